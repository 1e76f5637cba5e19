//! `text_enum!`: a closed set of values that is stored, hashed and sent as fixed text.
//!
//! Each variant names its text once; `as_str`, `Display`, `FromStr` and serde all use that
//! text, so the stored column, the JSON field and the audit chain's canonical bytes cannot
//! disagree. Text outside the set parses to [`UnknownValue`], which the store reports as a
//! corrupt row.

/// A text that names none of an enum's values (a sign of tampering or of a newer writer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}")]
pub struct UnknownValue {
    /// Which enum was asked for.
    pub kind: &'static str,
}

/// Declares a `Copy` enum whose variants each map to a fixed text.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name used in storage, JSON and the hash chain.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue { kind: stringify!($name) }),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use crate::{AuditAction, AuthMethod, Channel, ConversationStatus, DeliveryState, Sender};

    /// Every value's text parses back to it and is its JSON form.
    fn round_trips<T>(all: &[T], text: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + FromStr + serde::Serialize,
        T::Err: std::fmt::Debug,
    {
        for &value in all {
            assert_eq!(T::from_str(text(value)).unwrap(), value);
            assert_eq!(
                serde_json::to_string(&value).unwrap(),
                format!("\"{}\"", text(value))
            );
        }
    }

    #[test]
    fn every_value_round_trips_through_its_text() {
        round_trips(AuthMethod::ALL, AuthMethod::as_str);
        round_trips(AuditAction::ALL, AuditAction::as_str);
        round_trips(Channel::ALL, Channel::as_str);
        round_trips(Sender::ALL, Sender::as_str);
        round_trips(ConversationStatus::ALL, ConversationStatus::as_str);
        round_trips(DeliveryState::ALL, DeliveryState::as_str);
    }

    #[test]
    fn a_delivery_state_only_moves_forward() {
        use DeliveryState::*;
        assert!(Queued.may_become(Sent));
        assert!(Sent.may_become(Delivered));
        assert!(
            Queued.may_become(Delivered),
            "a receipt may come before the response"
        );
        assert!(Delivered.may_become(Read));
        assert!(
            !Delivered.may_become(Sent),
            "a late 'sent' never moves a message back"
        );
        assert!(!Failed.may_become(Delivered));
        assert!(!Read.may_become(Delivered));
        assert!(!Sent.may_become(Sent));
    }

    #[test]
    fn unknown_text_is_refused_with_the_enum_named() {
        let err = Channel::from_str("fax").unwrap_err();
        assert_eq!(err.kind, "Channel");
        assert!(serde_json::from_str::<Sender>("\"robot\"").is_err());
    }
}
