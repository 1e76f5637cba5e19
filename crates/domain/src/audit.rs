//! The shape of an audit log entry. Hashing and verification of the chain live in
//! `security::audit`; storage in `store`. Entries hold ids only, never personal data other
//! than the source IP address that the audit duty requires.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{AuditEntryId, RequestId, TenantId, Timestamp};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The stable name used in storage, JSON and the hash chain.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownAuditValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownAuditValue),
                }
            }
        }
    };
}

/// A stored audit value that this version does not know (a sign of tampering or a newer writer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value in audit entry")]
pub struct UnknownAuditValue;

text_enum!(
    /// Who acted.
    ActorKind {
        /// A staff member signed in to the UI or API.
        User => "user",
        /// An API key.
        ApiKey => "api_key",
        /// Hotline itself (first start, background jobs, the CLI).
        System => "system",
    }
);

text_enum!(
    /// How the actor proved who they are.
    AuthMethod {
        /// Nothing yet (for example a failed login).
        None => "none",
        /// Password only (first factor).
        Password => "password",
        /// Password and a TOTP code.
        Totp => "totp",
        /// Password and a backup code.
        BackupCode => "backup_code",
        /// An established session cookie.
        Session => "session",
        /// An API key.
        ApiKey => "api_key",
        /// Local access to the command line and the data directory.
        Cli => "cli",
    }
);

text_enum!(
    /// How the action ended.
    Outcome {
        /// It happened.
        Success => "success",
        /// It was tried and failed (wrong password, invalid code).
        Failure => "failure",
        /// It was refused for lack of permission or by a rate limit.
        Denied => "denied",
    }
);

/// What the caller supplies when writing an entry; the store adds sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Who acted.
    pub actor_kind: ActorKind,
    /// The user or API key id; `None` for the system or an unknown user.
    pub actor_id: Option<String>,
    /// How the actor authenticated.
    pub auth_method: AuthMethod,
    /// The source IP address of the request, if any.
    pub source_ip: Option<String>,
    /// The request that caused the entry, if any.
    pub request_id: Option<RequestId>,
    /// A dotted action name such as `auth.login` or `user.create`.
    pub action: String,
    /// The kind of object acted on, such as `user` or `api_key`.
    pub object_type: Option<String>,
    /// The id of the object acted on.
    pub object_id: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// A stored audit entry: position `seq` (1, 2, 3, … per tenant) in the tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The tenant whose chain this entry belongs to.
    pub tenant_id: TenantId,
    /// Position in the chain, starting at 1 with no gaps.
    pub seq: i64,
    /// The entry's id.
    pub id: AuditEntryId,
    /// When it was written (UTC).
    pub at: Timestamp,
    /// What happened.
    pub event: AuditEvent,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and this entry's canonical form.
    pub hash: String,
}
