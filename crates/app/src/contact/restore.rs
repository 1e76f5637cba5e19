//! Rebuilding a tenant's router from stored rows after a restart: queues, agents with their
//! presence, and every live task in the state it was stored in, through `Router::restore`,
//! which checks the rows, keeps waiting callers in their order and renews the offers that
//! were open (see its documentation). Recent handle times are rebuilt from the tasks that
//! completed in the last day, so the expected wait does not start from the default again.

use std::collections::BTreeMap;

use domain::{Timestamp, UserId};
use routing::{Presence, QueueId, Router, RouterConfig, RouterSnapshot, RoutingError};

use super::centre::{agent_spec, queue_spec};
use super::model::{AgentProfile, QueueConfig, TaskRecord};

/// Stored parts of one tenant's contact centre.
pub(crate) struct Parts<'a> {
    pub(crate) queues: &'a BTreeMap<String, QueueConfig>,
    pub(crate) agents: &'a BTreeMap<UserId, AgentProfile>,
    pub(crate) presence: &'a BTreeMap<UserId, (Presence, Timestamp)>,
    /// Live tasks.
    pub(crate) tasks: &'a [TaskRecord],
    /// Recently completed tasks, oldest first (for handle times).
    pub(crate) completed: &'a [TaskRecord],
}

/// A router holding exactly these queues, agents and live tasks, as of `now`.
pub(crate) fn router_from_parts(
    config: RouterConfig,
    parts: &Parts<'_>,
    now: u64,
) -> Result<Router, RoutingError> {
    let ms = |t: Timestamp| u64::try_from(t.millis()).unwrap_or(0);
    let queues = parts
        .queues
        .iter()
        .map(|(name, c)| routing::Queue {
            spec: queue_spec(name, c),
            open: true,
        })
        .collect();
    let agents = parts
        .agents
        .iter()
        .map(|(user, profile)| {
            let (presence, since) = parts
                .presence
                .get(user)
                .copied()
                .unwrap_or((Presence::Offline, Timestamp::from_millis(0)));
            routing::Agent {
                spec: agent_spec(*user, profile),
                presence,
                idle_since_ms: ms(since),
                missed_offers: 0,
            }
        })
        .collect();
    let mut handle_times: BTreeMap<QueueId, Vec<u64>> = BTreeMap::new();
    for r in parts.completed {
        if let (Some(answered), Some(ended)) = (r.answered_at, r.ended_at)
            && parts.queues.contains_key(r.queue())
        {
            handle_times
                .entry(QueueId::new(r.queue()))
                .or_default()
                .push(ms(ended).saturating_sub(ms(answered)));
        }
    }
    let snapshot = RouterSnapshot {
        agents,
        queues,
        tasks: parts.tasks.iter().map(|t| t.routing.clone()).collect(),
        next_seq: 0,
        handle_times,
    };
    Router::restore(config, snapshot, now)
}
