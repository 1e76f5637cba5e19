//! The router's typed errors: each is a case the caller can act on (tell the agent the offer
//! has gone, ask for another queue, …). Returning one never changes the router's state.

use crate::{AgentId, Channel, QueueId, TaskId};

/// Why an input was refused. The router's state is unchanged after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    #[error("unknown queue {0}")]
    UnknownQueue(QueueId),
    #[error("unknown task {0}")]
    UnknownTask(TaskId),
    #[error("agent {0} already exists")]
    DuplicateAgent(AgentId),
    #[error("queue {0} already exists")]
    DuplicateQueue(QueueId),
    #[error("task {0} already exists")]
    DuplicateTask(TaskId),
    #[error("skill {skill} has level {level}, levels are 0 to 10")]
    InvalidSkillLevel { skill: String, level: u8 },
    #[error("queue {queue} overflows to itself")]
    OverflowToSelf { queue: QueueId },
    #[error("queue {queue}'s overflow leads back to it")]
    OverflowCycle { queue: QueueId },
    #[error("rule {rule} of queue {queue}: {problem}")]
    InvalidRule {
        queue: QueueId,
        /// The rule's index in `QueueSpec::rules`.
        rule: usize,
        problem: RuleProblem,
    },
    #[error("presence WrapUp is set by the router when a task completes, not by the caller")]
    WrapUpNotSettable,
    #[error("task {0} has no open offer")]
    NotOffered(TaskId),
    #[error("task {task} is offered to another agent, not {agent}")]
    OfferedToOther { task: TaskId, agent: AgentId },
    #[error("the offer of task {0} has expired")]
    OfferExpired(TaskId),
    #[error("task {task} is already taken by {agent}")]
    AlreadyTaken { task: TaskId, agent: AgentId },
    #[error("task {0} is finished")]
    TaskFinished(TaskId),
    #[error("task {task} is not assigned to {agent}")]
    NotAssigned { task: TaskId, agent: AgentId },
    #[error("agent {agent} lacks the skills or language of queue {queue}")]
    SkillMismatch { agent: AgentId, queue: QueueId },
    #[error("agent {agent} has no free capacity for {channel:?}")]
    AtCapacity { agent: AgentId, channel: Channel },
    #[error("agent {0} is not available")]
    AgentUnavailable(AgentId),
    #[error("agent {0} still holds tasks")]
    AgentBusyWithTasks(AgentId),
    #[error("restored task {task} is held by unknown agent {agent}")]
    HeldByUnknownAgent { task: TaskId, agent: AgentId },
    #[error("restored agent {agent} holds {held} {channel:?} tasks, capacity {capacity}")]
    OverCapacity {
        agent: AgentId,
        channel: Channel,
        held: u32,
        capacity: u32,
    },
    #[error("restored tasks {task} and {other} share sequence number {seq}")]
    DuplicateSeq {
        seq: u64,
        task: TaskId,
        other: TaskId,
    },
    #[error("queue {0} still holds tasks or is another queue's overflow")]
    QueueInUse(QueueId),
    #[error("task {0} is not waiting")]
    NotWaiting(TaskId),
}

/// What is wrong with a routing rule (see `rules::check_rules`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("the rule has no targets")]
    NoTargets,
    #[error("another rule of the queue is also named {0:?}")]
    DuplicateName(String),
    #[error("condition {condition} offers an empty set of values, so it never holds")]
    EmptyChoice { condition: usize },
    #[error("condition {condition} asks for a priority of at least {min} and at most {max}")]
    EmptyPriorityRange {
        condition: usize,
        min: i32,
        max: i32,
    },
    #[error("target {target}: skill {skill} level range {min}..={max} is empty or beyond level 10")]
    InvalidLevelRange {
        target: usize,
        skill: String,
        min: u8,
        max: u8,
    },
    #[error("target {target} names an empty agent list, so nobody is ever offered the task")]
    EmptyAgentList { target: usize },
    #[error("target {target} has a zero timeout, so it would never be offered the task")]
    ZeroTimeout { target: usize },
    #[error("target {target} has no timeout but is not the last, so the next never comes")]
    NoTimeoutBeforeLast { target: usize },
}
