//! Typed identifiers. Each is a UUID underneath, but the types keep a user id from ever
//! being passed where a tenant id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: expected a UUID")]
pub struct IdParseError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID (for example one read back from the store).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Builds an id from 16 random bytes supplied by the caller, who owns the RNG.
            pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }

            /// The UUID underneath.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self).map_err(|_| IdParseError)
            }
        }
    };
}

uuid_id!(
    /// A tenant: one organisation running hotlines, strictly apart from every other.
    TenantId
);
uuid_id!(
    /// A staff account (admin, supervisor, agent, auditor, integrator).
    UserId
);
uuid_id!(
    /// An API key; the id is public, the secret is never stored.
    ApiKeyId
);
uuid_id!(
    /// One audit log entry.
    AuditEntryId
);
uuid_id!(
    /// A flow (its versions share the id).
    FlowId
);
uuid_id!(
    /// One conversation with a caller, on any channel.
    ConversationId
);
uuid_id!(
    /// A number-proxy session: a contact and the desk or an operator's phone, paired through
    /// proxy numbers for a time.
    ProxySessionId
);
uuid_id!(
    /// The id of one HTTP request, echoed in `x-request-id` and recorded in the audit log.
    RequestId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        let id = TenantId::from_random_bytes([7; 16]);
        let text = id.to_string();
        assert_eq!(text.parse::<TenantId>(), Ok(id));
        assert_eq!(text.len(), 36);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!("not-a-uuid".parse::<UserId>(), Err(IdParseError));
        assert_eq!("".parse::<UserId>(), Err(IdParseError));
    }

    #[test]
    fn random_bytes_make_a_version_4_uuid() {
        let id = UserId::from_random_bytes([0xff; 16]);
        assert_eq!(id.as_uuid().get_version_num(), 4);
    }
}
