//! What the router tells its caller, polled with `Router::poll_event` in the order it decided.
//! The shell turns these into messages on the agent desk, hold announcements and stored rows.

use crate::{AgentId, Presence, QueueId, TaskId};
use serde::{Deserialize, Serialize};

/// One decision or change of the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The task is offered to the agent until `expires_at_ms`.
    OfferMade {
        task: TaskId,
        agent: AgentId,
        expires_at_ms: u64,
    },
    /// An open offer no longer stands; the desk must stop showing it.
    OfferWithdrawn {
        task: TaskId,
        agent: AgentId,
        reason: WithdrawReason,
    },
    /// The agent accepted; the task is theirs.
    TaskAssigned { task: TaskId, agent: AgentId },
    /// The task waits again in `queue` (after an expired or declined offer, or a transfer).
    TaskRequeued {
        task: TaskId,
        queue: QueueId,
        reason: RequeueReason,
    },
    /// The task waited longer than its queue's maximum and moved to the overflow queue.
    TaskOverflowed {
        task: TaskId,
        from: QueueId,
        to: QueueId,
    },
    /// The task waited longer than its queue's maximum and the queue has no overflow target.
    TaskTimedOut { task: TaskId, queue: QueueId },
    /// The agent finished talking; the task is in wrap-up until `until_ms`.
    TaskWrapUp {
        task: TaskId,
        agent: AgentId,
        until_ms: u64,
    },
    /// Wrap-up is over; the task is done.
    TaskCompleted { task: TaskId, agent: AgentId },
    /// The caller left before an agent took the task.
    TaskAbandoned { task: TaskId },
    /// The task was withdrawn by the system before an agent took it.
    TaskCancelled { task: TaskId },
    /// The agent's presence changed (by the caller, wrap-up or missed offers).
    AgentPresenceChanged { agent: AgentId, presence: Presence },
    /// The task's routing rule moved on to its next target (`None`: past the last target,
    /// the queue's own skills apply again). An open offer stands.
    TaskEscalated {
        task: TaskId,
        queue: QueueId,
        rule: String,
        target: Option<usize>,
    },
}

/// Why an offer was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WithdrawReason {
    /// The agent did not answer before the offer timeout.
    Expired,
    /// The caller left or the task was cancelled.
    Cancelled,
    /// The task overflowed to another queue or timed out.
    Overflowed,
    /// The task was transferred elsewhere.
    Transferred,
    /// The agent stopped being available (away, offline, busy) or was removed.
    AgentUnavailable,
    /// The agent's skills, languages or capacity changed so the offer no longer fits.
    AgentUpdated,
}

/// Why a task went back to waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequeueReason {
    OfferExpired,
    Declined,
    Transferred,
    AgentUnavailable,
    AgentUpdated,
}
