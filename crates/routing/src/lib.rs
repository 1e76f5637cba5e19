//! Hotline's contact-centre router, a sans-IO core in the manner of `sip_proto::UserAgent`.
//!
//! Agents (skills with levels, languages, capacity per channel, presence), queues (priority,
//! required skills, language, maximum wait, overflow target, offer timeout, open or closed) and
//! tasks (one caller or chat waiting for a human) go in through `Router::handle_*`, each given
//! the current time in milliseconds; decisions come out through `Router::poll_event`, and
//! `Router::poll_timeout` names the next instant at which the caller must call
//! `Router::handle_timeout`. The router never reads a clock, draws a random number or does IO,
//! so a simulation on a virtual clock replays it exactly, and the whole state serialises with
//! serde so a shell can persist it. Bad input returns a `RoutingError` and changes nothing.

mod error;
mod event;
mod ids;
mod model;
mod router;

pub use error::RoutingError;
pub use event::{Event, RequeueReason, WithdrawReason};
pub use ids::{AgentId, QueueId, TaskId};
pub use model::{
    Agent, AgentSpec, CancelReason, Channel, Presence, Queue, QueueSpec, Task, TaskSpec, TaskState,
    Transfer,
};
pub use router::{Router, RouterConfig};
