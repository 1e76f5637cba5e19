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
}
