//! Calls Hotline places to callers: a call-back, when an agent accepts the task of a caller
//! who asked to be called back.

use domain::{ConversationId, Redacted, TenantId, UserId};

/// A call-back to place: ring `number` through the trunk and, once the caller answers, tell
/// [`crate::App::call_back_answered`] and connect the agent; when the caller does not answer
/// (busy, refused, no answer in time, unreachable), tell [`crate::App::call_back_failed`].
#[derive(Debug)]
pub struct CallBackOrder {
    /// The tenant.
    pub tenant: TenantId,
    /// The caller's conversation.
    pub conversation: ConversationId,
    /// The agent who accepted the task.
    pub agent: UserId,
    /// The number to call (personal data: never logged).
    pub number: Redacted<String>,
    /// The hotline number the caller called, shown as the call-back's caller id.
    pub from: String,
    /// The call's place under the tenant's concurrency cap: the dialer keeps it until the
    /// call-back ends (or fails), and dropping it frees the place.
    pub slot: crate::OutboundSlot,
}

/// The call shell's side of call-backs.
pub trait CallBackDialer: Send + Sync {
    /// Starts placing the call; the outcome comes back through the app.
    fn call_back(&self, order: CallBackOrder);
}
