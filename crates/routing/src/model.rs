//! The router's vocabulary: what the caller describes (`AgentSpec`, `QueueSpec`, `TaskSpec`,
//! and a queue's `RoutingRule`s) and what the router keeps about each (`Agent`, `Queue`,
//! `Task`), with presence and task states as closed enums. Maps are ordered (`BTreeMap`) so
//! iteration, and with it every decision, is deterministic. What rules mean (matching,
//! escalation, validation) is in `rules`.

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

impl Channel {
    /// Every channel, in order.
    pub const ALL: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Sms];

    /// The channel's place in `ALL`, for per-channel arrays.
    pub(crate) fn index(self) -> usize {
        match self {
            Channel::Voice => 0,
            Channel::Chat => 1,
            Channel::Sms => 2,
        }
    }
}

/// In [`AgentSpec::languages`]: the agent takes tasks in any language.
pub const ANY_LANGUAGE: &str = "*";

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
    /// Language tags the agent speaks ("de", "en"); [`ANY_LANGUAGE`] stands for every language.
    pub languages: BTreeSet<String>,
    /// How many tasks of each channel the agent handles at once; a missing channel is 0.
    pub capacity: BTreeMap<Channel, u32>,
}

impl AgentSpec {
    /// Whether the agent takes tasks in `language` (they name it, or [`ANY_LANGUAGE`]).
    pub fn speaks(&self, language: &str) -> bool {
        self.languages.contains(language) || self.languages.contains(ANY_LANGUAGE)
    }
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
    /// The queue's workflow: the first rule whose filter a task matches routes it through
    /// the rule's targets; a task matching none is routed by `required_skills` and
    /// `language`. Empty: every task is routed that way.
    #[serde(default)]
    pub rules: Vec<RoutingRule>,
    /// The handle time `Router::estimated_wait_ms` assumes while the queue has no completed
    /// task to average.
    #[serde(default = "default_handle_ms")]
    pub default_handle_ms: u64,
}

fn default_handle_ms() -> u64 {
    QueueSpec::DEFAULT_HANDLE_MS
}

impl QueueSpec {
    /// Five minutes: the handle time assumed before a queue has history.
    pub const DEFAULT_HANDLE_MS: u64 = 5 * 60 * 1000;

    /// A queue with no skills, language, rules, maximum wait or wrap-up, a 30 s offer
    /// timeout and the default handle time; set the fields that differ.
    pub fn new(id: QueueId) -> Self {
        Self {
            id,
            priority: 0,
            required_skills: BTreeMap::new(),
            language: None,
            max_wait_ms: None,
            overflow: None,
            offer_timeout_ms: 30_000,
            wrap_up_ms: 0,
            rules: Vec::new(),
            default_handle_ms: Self::DEFAULT_HANDLE_MS,
        }
    }
}

/// One rule of a queue's workflow, as Twilio TaskRouter's workflow filters: a task that
/// meets every condition of `filter` is offered to `targets[0]` for its timeout, then to
/// `targets[1]`, and so on, keeping its place in the queue (its age keeps counting). After
/// the last target's timeout, if it has one, the queue's own `required_skills` apply again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    /// Names the rule in events and diagnostics; unique within the queue.
    pub name: String,
    /// Conditions on the task, all of which must hold; empty matches every task.
    pub filter: Vec<TaskCondition>,
    /// Who is offered the task, in order of escalation; at least one.
    pub targets: Vec<RuleTarget>,
}

/// A condition on a task, tested when it enters the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskCondition {
    /// A `TaskSpec::attributes` entry passes the test.
    Attribute { name: String, test: AttributeTest },
    /// The task's channel is one of these.
    Channel(BTreeSet<Channel>),
    /// The task's language is one of these (a task without a language never matches).
    Language(BTreeSet<String>),
    /// The task's priority lies within `min..=max` (a missing bound is open).
    Priority { min: Option<i32>, max: Option<i32> },
}

/// What a `TaskCondition::Attribute` asks of the attribute's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeTest {
    /// Present and exactly this text.
    Equals(String),
    /// Present and one of these texts.
    OneOf(BTreeSet<String>),
    /// Present, whatever its value.
    Exists,
    /// Not present.
    Absent,
}

/// One step of a rule: the agents who may be offered the task, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTarget {
    /// Skill name → the range of levels an agent must have (an agent without the skill never
    /// matches). These replace the queue's `required_skills`; its `language` and the task's
    /// still apply.
    #[serde(default)]
    pub skills: BTreeMap<String, LevelRange>,
    /// If given, only these agents (who must also meet `skills`).
    #[serde(default)]
    pub agents: Option<BTreeSet<AgentId>>,
    /// How long the task is offered only to this target before the next one takes over;
    /// `None` (only allowed on the last target) is for as long as the task waits here.
    pub timeout_ms: Option<u64>,
    /// Added to the task's own priority while this target is in force (not cumulative).
    #[serde(default)]
    pub priority_bump: i32,
}

/// An inclusive range of skill levels, each 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRange {
    pub min: u8,
    pub max: u8,
}

impl LevelRange {
    /// `min` up to the highest level, 10.
    pub fn at_least(min: u8) -> Self {
        Self { min, max: 10 }
    }
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
    /// Free attributes for the shell and for the queue's routing rules.
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
    /// When an agent last accepted the task; its handle time counts from here.
    #[serde(default)]
    pub assigned_ms: Option<u64>,
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
