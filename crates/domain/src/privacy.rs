//! What a tenant keeps of callers, and for how long: caller-ID modes and retention per data
//! class. Pure values; the store and the app carry them out.

use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

text_enum!(
    /// What is kept of who called (a phone number's setting) or of where a request came from
    /// (the audit log's source addresses, a tenant setting).
    CallerIdMode {
        /// The address itself, sealed, with a stable pseudonym to find the contact by.
        Identified => "identified",
        /// Only a stable keyed pseudonym (HMAC under a key of the tenant's): the same caller
        /// is recognised, the number cannot be read back.
        Pseudonymised => "pseudonymised",
        /// Nothing at all.
        Anonymous => "anonymous",
    }
);

text_enum!(
    /// The kinds of personal data that each have a retention period.
    DataClass {
        /// Ended conversations: transcripts, state, hand-over context, tasks and notes.
        Transcripts => "transcripts",
        /// Recordings (voicemail).
        Recordings => "recordings",
        /// Callers' addresses (phone numbers kept under the identified mode).
        Addresses => "addresses",
        /// Source addresses in the audit log (the entries themselves stay: the chain must
        /// verify).
        AuditMetadata => "audit_metadata",
    }
);

/// The longest retention period a tenant may set, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// How many days each data class is kept after it was last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Ended conversations, counted from their last change.
    pub transcripts_days: u32,
    /// Recordings, counted from when they were made.
    pub recordings_days: u32,
    /// Callers' addresses, counted from the call.
    pub addresses_days: u32,
    /// Source addresses in the audit log, counted from the entry's month.
    pub audit_metadata_days: u32,
}

impl Default for Retention {
    /// Short periods: a hotline keeps what it needs for follow-up and quality, not more.
    fn default() -> Self {
        Self {
            transcripts_days: 90,
            recordings_days: 30,
            addresses_days: 30,
            audit_metadata_days: 180,
        }
    }
}

impl Retention {
    /// The period of one class.
    pub const fn days(&self, class: DataClass) -> u32 {
        match class {
            DataClass::Transcripts => self.transcripts_days,
            DataClass::Recordings => self.recordings_days,
            DataClass::Addresses => self.addresses_days,
            DataClass::AuditMetadata => self.audit_metadata_days,
        }
    }

    /// The first class whose period is outside 1..=[`MAX_RETENTION_DAYS`], if any.
    pub fn invalid_class(&self) -> Option<DataClass> {
        DataClass::ALL
            .iter()
            .copied()
            .find(|c| !(1..=MAX_RETENTION_DAYS).contains(&self.days(*c)))
    }
}

/// A tenant's privacy settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Retention per data class.
    pub retention: Retention,
    /// What the audit log keeps of a request's source address.
    #[serde(default = "identified")]
    pub audit_source_ip: CallerIdMode,
}

fn identified() -> CallerIdMode {
    CallerIdMode::Identified
}

impl Default for PrivacySettings {
    /// Default retention; the audit log keeps source addresses (sealed, for the audit-metadata
    /// period), which a security investigation needs.
    fn default() -> Self {
        Self {
            retention: Retention::default(),
            audit_source_ip: identified(),
        }
    }
}

impl Default for CallerIdMode {
    /// A stable pseudonym: enough to recognise a returning caller, nothing to read back.
    fn default() -> Self {
        Self::Pseudonymised
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_outside_one_day_to_ten_years_are_named() {
        assert_eq!(Retention::default().invalid_class(), None);
        let r = Retention {
            recordings_days: 0,
            ..Retention::default()
        };
        assert_eq!(r.invalid_class(), Some(DataClass::Recordings));
        let r = Retention {
            audit_metadata_days: MAX_RETENTION_DAYS + 1,
            ..Retention::default()
        };
        assert_eq!(r.invalid_class(), Some(DataClass::AuditMetadata));
    }

    #[test]
    fn settings_round_trip_and_refuse_unknown_fields() {
        let s = PrivacySettings::default();
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<PrivacySettings>(&text).unwrap(), s);
        assert!(
            serde_json::from_str::<PrivacySettings>(
                r#"{"retention":{"transcripts_days":1,"recordings_days":1,"addresses_days":1,"audit_metadata_days":1,"x":1}}"#
            )
            .is_err()
        );
        assert!(serde_json::from_str::<CallerIdMode>(r#""hidden""#).is_err());
    }
}
