//! Hotline's domain vocabulary: the validated newtypes every other crate speaks in.
//!
//! Everything here is pure: no IO, no clock, no randomness. Values are built through
//! `parse`/`TryFrom` constructors at the boundary, so code further in can rely on them
//! being valid ("parse, don't validate").

mod audit;
mod ids;
mod names;
mod pii;
mod role;
mod time;

pub use audit::{ActorKind, AuditEntry, AuditEvent, AuthMethod, Outcome, UnknownAuditValue};
pub use ids::{
    ApiKeyId, AuditEntryId, ConversationId, FlowId, IdParseError, RequestId, TenantId, UserId,
};
pub use names::{DisplayName, NameError, TenantName, Username};
pub use pii::Redacted;
pub use role::{Role, RoleParseError};
pub use time::Timestamp;
