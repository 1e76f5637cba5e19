//! Hotline's domain vocabulary: the validated newtypes every other crate speaks in.
//!
//! Everything here is pure: no IO, no clock, no randomness. Values are built through
//! `parse`/`TryFrom` constructors at the boundary, so code further in can rely on them
//! being valid ("parse, don't validate").

mod audit;
mod conversation;
mod ids;
mod names;
mod pii;
mod privacy;
mod role;
mod text_enum;
mod time;

pub use audit::{ActorKind, AuditAction, AuditEntry, AuditEvent, AuthMethod, Outcome};
pub use conversation::{
    Channel, ConversationStatus, DeliveryState, ProxyPartner, ProxyRole, Sender,
};
pub use ids::{
    ApiKeyId, AuditEntryId, ConversationId, FlowId, IdParseError, ProxySessionId, RequestId,
    TenantId, UserId,
};
pub use names::{DisplayName, NameError, TenantName, Username};
pub use pii::Redacted;
pub use privacy::{CallerIdMode, DataClass, MAX_RETENTION_DAYS, PrivacySettings, Retention};
pub use role::{Role, RoleParseError};
pub use text_enum::UnknownValue;
pub use time::Timestamp;
