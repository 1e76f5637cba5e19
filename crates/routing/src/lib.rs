//! Hotline's contact-centre router, a sans-IO core in the manner of `sip_proto::UserAgent`.
//!
//! Agents (skills with levels, languages, capacity per channel, presence), queues (priority,
//! required skills, language, routing rules, maximum wait, overflow target, offer timeout,
//! open or closed) and tasks (one caller or chat waiting for a human) go in through
//! `Router::handle_*`, each given the current time in milliseconds; decisions come out
//! through `Router::poll_event`, and `Router::poll_timeout` names the next instant at which
//! the caller must call `Router::handle_timeout`. The router never reads a clock, draws a
//! random number or does IO, so a simulation on a virtual clock replays it exactly. Bad input
//! returns a `RoutingError` and changes nothing.
//!
//! A queue's routing rules (`RoutingRule`, in `rules`) send tasks that match a filter to an
//! ordered list of agent targets that escalate over time. `Router::snapshot` and
//! `Router::restore` let a shell persist the state and rebuild it after a restart;
//! `Router::position`, `Router::estimated_wait_ms` and `Router::queue_stats` answer callers
//! and supervisors; `kpi` computes contact-centre statistics (service level, ASA, AHT,
//! abandonment, occupancy) from stored records.

mod error;
mod event;
mod ids;
pub mod kpi;
mod model;
mod router;
pub mod rules;

pub use error::{RoutingError, RuleProblem};
pub use event::{Event, RequeueReason, WithdrawReason};
pub use ids::{AgentId, QueueId, TaskId};
pub use model::{
    ANY_LANGUAGE, Agent, AgentSpec, AttributeTest, CancelReason, Channel, LevelRange, Presence,
    Queue, QueueSpec, RoutingRule, RuleTarget, Task, TaskCondition, TaskSpec, TaskState, Transfer,
};
pub use router::{PresenceCounts, QueueStats, Router, RouterConfig, RouterSnapshot};
pub use rules::RuleStage;
