//! Validated names: login names, display names and tenant names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a name was refused. The message is safe to show to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Shorter than the minimum.
    #[error("must be at least {min} characters long")]
    TooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// Longer than the maximum.
    #[error("must be at most {max} characters long")]
    TooLong {
        /// The maximum length in characters.
        max: usize,
    },
    /// Contains a character outside the allowed set.
    #[error("contains a character that is not allowed: {allowed}")]
    BadCharacter {
        /// A description of the allowed set.
        allowed: &'static str,
    },
}

/// A login name, unique across the installation: 3–64 characters of lower-case ASCII letters,
/// digits and `. _ - @`. Input is trimmed and lower-cased, so `Alice` and `alice` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Normalises and validates a login name.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim().to_ascii_lowercase();
        let len = name.chars().count();
        if len < 3 {
            return Err(NameError::TooShort { min: 3 });
        }
        if len > 64 {
            return Err(NameError::TooLong { max: 64 });
        }
        let ok = name.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@')
        });
        if !ok {
            return Err(NameError::BadCharacter {
                allowed: "letters a-z, digits and . _ - @",
            });
        }
        Ok(Self(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Username::parse(&raw).map_err(serde::de::Error::custom)
    }
}

fn free_text(raw: &str, max: usize) -> Result<String, NameError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err(NameError::TooShort { min: 1 });
    }
    if len > max {
        return Err(NameError::TooLong { max });
    }
    if text
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(NameError::BadCharacter {
            allowed: "printable characters, no control, bidirectional-override or zero-width characters",
        });
    }
    Ok(text.to_owned())
}

/// Invisible formatting characters that make a name look like another or reorder what follows
/// it on screen: bidirectional marks, embeddings, overrides and isolates, zero-width characters,
/// the soft hyphen, the byte-order mark and the tag characters.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

macro_rules! free_text_name {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Trims and validates the text.
            pub fn parse(raw: &str) -> Result<Self, NameError> {
                free_text(raw, $max).map(Self)
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

free_text_name!(
    /// How a staff member is shown to colleagues: 1–100 printable characters.
    DisplayName,
    100
);
free_text_name!(
    /// A tenant's name: 1–100 printable characters.
    TenantName,
    100
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised() {
        assert_eq!(
            Username::parse("  Alice.Admin ").unwrap().as_str(),
            "alice.admin"
        );
        assert_eq!(
            Username::parse("ops@example.org").unwrap().as_str(),
            "ops@example.org"
        );
    }

    #[test]
    fn usernames_reject_bad_input() {
        assert_eq!(Username::parse("ab"), Err(NameError::TooShort { min: 3 }));
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(NameError::TooLong { max: 64 })
        );
        assert!(matches!(
            Username::parse("al ice"),
            Err(NameError::BadCharacter { .. })
        ));
        assert!(matches!(
            Username::parse("jürgen"),
            Err(NameError::BadCharacter { .. })
        ));
    }

    #[test]
    fn display_names_allow_unicode_but_not_control_characters() {
        assert_eq!(
            DisplayName::parse(" Jürgen Groß ").unwrap().as_str(),
            "Jürgen Groß"
        );
        assert!(DisplayName::parse("a\u{0}b").is_err());
        // The probe's names: a right-to-left override that shows "admin" reversed text after
        // it, and zero-width characters that make two names look alike.
        for sneaky in [
            "Maria\u{202E}nimda",
            "Ma\u{200B}ria",
            "Maria\u{2066}x\u{2069}",
            "\u{FEFF}Maria",
            "Ma\u{00AD}ria",
            "Maria\u{200F}",
        ] {
            assert!(DisplayName::parse(sneaky).is_err(), "{sneaky:?}");
            assert!(TenantName::parse(sneaky).is_err(), "{sneaky:?}");
        }
        assert!(
            DisplayName::parse("محمد علي").is_ok(),
            "right-to-left scripts are names"
        );
        assert_eq!(
            DisplayName::parse("   "),
            Err(NameError::TooShort { min: 1 })
        );
        assert!(TenantName::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<Username>("\"OK_name\"").is_ok());
        assert!(serde_json::from_str::<Username>("\"x\"").is_err());
    }
}
