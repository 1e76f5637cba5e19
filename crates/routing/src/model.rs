//! The router's vocabulary: what the caller describes (`AgentSpec`, `QueueSpec`, `TaskSpec`)
//! and what the router keeps about each (`Agent`, `Queue`, `Task`), with presence and task
//! states as closed enums. Maps are ordered (`BTreeMap`) so iteration, and with it every
//! decision, is deterministic.

use crate::{AgentId, QueueId, TaskId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The medium of a task; an agent's capacity is counted per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Channel {
    Voice,
    Chat,
    Sms,
}

/// An agent's presence. Only `Available` agents receive offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Presence {
    Available,
    Busy,
    Away,
    Offline,
    /// After a task completes, until the instant given; then `Available` again.
    WrapUp {
        until_ms: u64,
    },
}

/// What the caller says about an agent when adding them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSpec {
    pub id: AgentId,
    /// Skill name → level, 0 to 10.
    pub skills: BTreeMap<String, u8>,
    /// Language tags the agent speaks ("de", "en").
    pub languages: BTreeSet<String>,
    /// How many tasks of each channel the agent handles at once; a missing channel is 0.
    pub capacity: BTreeMap<Channel, u32>,
}

/// An agent as the router keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub spec: AgentSpec,
    pub presence: Presence,
    /// When the agent last became idle: became available, accepted a task or finished a
    /// wrap-up. The smallest value is the longest idle and gets the next offer.
    pub idle_since_ms: u64,
    /// Offers that expired in a row without an answer; reset by an accept or a decline.
    pub missed_offers: u32,
}

/// What the caller says about a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSpec {
    pub id: QueueId,
    /// Breaks ties between tasks of equal task priority: higher first.
    pub priority: i32,
    /// Skill name → minimum level an agent needs.
    pub required_skills: BTreeMap<String, u8>,
    /// A language every agent of this queue must speak.
    pub language: Option<String>,
    /// How long a task may wait here before it overflows (or times out); `None` is forever.
    pub max_wait_ms: Option<u64>,
    /// Where a task goes after `max_wait_ms`; `None` times it out.
    pub overflow: Option<QueueId>,
    /// How long an agent has to accept an offer.
    pub offer_timeout_ms: u64,
    /// How long the agent is in wrap-up after completing a task of this queue.
    pub wrap_up_ms: u64,
}

/// A queue as the router keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub spec: QueueSpec,
    /// Closed queues hold their tasks without offering them (business hours are the caller's).
    pub open: bool,
}

/// What the caller says about a new task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub id: TaskId,
    pub channel: Channel,
    pub queue: QueueId,
    /// Higher first; crisis hand-overs use the highest.
    pub priority: i32,
    /// The caller's language; the agent must speak it.
    pub language: Option<String>,
    /// Free attributes for the shell and, later, routing rules.
    pub attributes: BTreeMap<String, String>,
}

/// Where a task is in its life. Pending, Offered, Assigned and WrapUp are live; the rest final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    Pending,
    Offered { agent: AgentId, until_ms: u64 },
    Assigned { agent: AgentId },
    WrapUp { agent: AgentId, until_ms: u64 },
    Completed { agent: AgentId },
    Abandoned,
    TimedOut,
    Cancelled,
}

impl TaskState {
    /// The agent holding capacity for this task, if any.
    pub fn agent(&self) -> Option<&AgentId> {
        match self {
            TaskState::Offered { agent, .. }
            | TaskState::Assigned { agent }
            | TaskState::WrapUp { agent, .. } => Some(agent),
            _ => None,
        }
    }

    /// Whether the task is waiting for an agent (pending or offered).
    pub fn is_waiting(&self) -> bool {
        matches!(self, TaskState::Pending | TaskState::Offered { .. })
    }

    /// Whether the task has reached a final state.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            TaskState::Completed { .. }
                | TaskState::Abandoned
                | TaskState::TimedOut
                | TaskState::Cancelled
        )
    }
}

/// A task as the router keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub spec: TaskSpec,
    pub state: TaskState,
    /// When the task was created; its age, kept across overflow and transfer.
    pub created_ms: u64,
    /// When the task entered its current queue; the queue's maximum wait counts from here.
    pub enqueued_ms: u64,
    /// Order of creation, the last tie-breaker between tasks of equal priority and age.
    pub seq: u64,
    /// Agents who declined or missed this task in its current queue; they are skipped.
    pub skipped: BTreeSet<AgentId>,
}

/// Why a waiting task ends before an agent takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelReason {
    /// The caller hung up or left the chat: `Abandoned`.
    CallerLeft,
    /// The system withdrew it (e.g. the conversation was closed): `Cancelled`.
    Withdrawn,
}

/// Where `Router::handle_transfer` moves a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transfer {
    /// Back to waiting, in this queue.
    Queue(QueueId),
    /// Offered directly to this agent, as a task of this queue (whose skills they must have).
    Agent { queue: QueueId, agent: AgentId },
}
