//! What a caller and a supervisor are told: a task's position in its queue, its estimated
//! wait, and a queue's figures right now.

use super::Router;
use crate::{Presence, QueueId, TaskId, TaskState};
use serde::{Deserialize, Serialize};

/// How many of a queue's agents are in each presence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceCounts {
    pub available: u32,
    pub busy: u32,
    pub wrap_up: u32,
    pub away: u32,
    pub offline: u32,
}

/// A queue as a supervisor sees it at one instant (`Router::queue_stats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    /// Tasks waiting: pending or offered.
    pub waiting: u32,
    /// Of those, offered to an agent right now.
    pub offered: u32,
    /// Tasks an agent has accepted and not yet completed.
    pub assigned: u32,
    /// Tasks in wrap-up.
    pub wrap_up: u32,
    /// How long the task that entered the queue first among those waiting has waited in it;
    /// `None` when nobody waits.
    pub longest_wait_ms: Option<u64>,
    /// The queue's agents — those admitted by its own skills or by a target of one of its
    /// rules, and speaking its language — by presence.
    pub agents: PresenceCounts,
    /// The average handle time `Router::estimated_wait_ms` uses for this queue.
    pub average_handle_ms: u64,
}

impl Router {
    /// The task's 1-based position among the waiting (pending or offered) tasks of its queue,
    /// in the order they are served: effective priority, then age, then creation order. It
    /// is the queue's order; skills and languages are not considered, so a task only some
    /// agents may take can be served later than its position suggests. `None` if the task is
    /// not waiting.
    pub fn position(&self, task: &TaskId) -> Option<u32> {
        let slot = self.tasks.get(task)?;
        if !slot.task.state.is_waiting() {
            return None;
        }
        let q = self.queues.get(&slot.task.spec.queue)?;
        let ahead = q.waiting.range(..slot.wait_key()).count();
        u32::try_from(ahead + 1).ok()
    }

    /// The mean handle time of the queue's last `RouterConfig::handle_time_samples`
    /// completed tasks (from the agent's accept to the end of wrap-up, rounded down to the
    /// millisecond), or the queue's `default_handle_ms` while it has none.
    pub fn average_handle_ms(&self, queue: &QueueId) -> Option<u64> {
        let q = self.queues.get(queue)?;
        let n = q.handle_times.len() as u64;
        let sum: u64 = q.handle_times.iter().sum();
        Some(sum.checked_div(n).unwrap_or(q.queue.spec.default_handle_ms))
    }

    /// The estimated wait of a waiting task, in milliseconds:
    ///
    /// `EWT = ceil(position / max(1, agents)) × average handle time`
    ///
    /// where `position` is `Router::position`, `agents` counts the agents who could take the
    /// task now or once free — admitted by the task's current stage (the queue's skills or
    /// the rule target in force), speaking the queue's and the task's language, with capacity
    /// on its channel, not having declined or missed it — and not `Offline` (away and busy
    /// agents count, they are expected back), and the average handle time is
    /// `Router::average_handle_ms`: the mean from accept to end of wrap-up of the queue's last
    /// 20 (`RouterConfig::handle_time_samples`) completed tasks, or `QueueSpec::default_handle_ms`
    /// (5 minutes unless set) while there are none. In words: the callers ahead are shared
    /// out among the agents, and each round takes one average handle time. A task at
    /// position 1 with an agent free is estimated at one handle time, not zero: the estimate
    /// is an upper bound of the usual case, not a promise. `None` if the task is not waiting.
    pub fn estimated_wait_ms(&self, task: &TaskId) -> Option<u64> {
        let position = u64::from(self.position(task)?);
        let slot = self.tasks.get(task)?;
        let spec = &slot.task.spec;
        let agents = self
            .agents
            .iter()
            .filter(|(id, a)| {
                a.agent.presence != Presence::Offline
                    && a.agent
                        .spec
                        .capacity
                        .get(&spec.channel)
                        .copied()
                        .unwrap_or(0)
                        > 0
                    && !slot.task.skipped.contains(*id)
                    && spec
                        .language
                        .as_ref()
                        .is_none_or(|l| a.agent.spec.speaks(l))
                    && a.eligible
                        .get(&spec.queue)
                        .is_some_and(|stages| stages.contains(&slot.stage))
            })
            .count() as u64;
        let rounds = position.div_ceil(agents.max(1));
        Some(rounds.saturating_mul(self.average_handle_ms(&spec.queue)?))
    }

    /// The queue's figures at `now`, for a supervisor's view; `None` for an unknown queue.
    /// It walks the queue's tasks and the agents, so it is meant for a view refreshed every
    /// few seconds, not for every decision.
    pub fn queue_stats(&self, queue: &QueueId, now: u64) -> Option<QueueStats> {
        let q = self.queues.get(queue)?;
        let mut stats = QueueStats {
            waiting: 0,
            offered: 0,
            assigned: 0,
            wrap_up: 0,
            longest_wait_ms: None,
            agents: PresenceCounts::default(),
            average_handle_ms: self.average_handle_ms(queue)?,
        };
        let mut first_in: Option<u64> = None;
        for id in q.waiting.values() {
            let Some(t) = self.tasks.get(id) else {
                continue;
            };
            stats.waiting += 1;
            if matches!(t.task.state, TaskState::Offered { .. }) {
                stats.offered += 1;
            }
            let entered = t.task.enqueued_ms;
            first_in = Some(first_in.map_or(entered, |f| f.min(entered)));
        }
        stats.longest_wait_ms = first_in.map(|f| now.saturating_sub(f));
        for a in self.agents.values() {
            for id in &a.holds {
                match self
                    .tasks
                    .get(id)
                    .map(|t| (&t.task.spec.queue, &t.task.state))
                {
                    Some((q, TaskState::Assigned { .. })) if q == queue => stats.assigned += 1,
                    Some((q, TaskState::WrapUp { .. })) if q == queue => stats.wrap_up += 1,
                    _ => {}
                }
            }
            if !a.eligible.contains_key(queue) {
                continue;
            }
            let counts = &mut stats.agents;
            match a.agent.presence {
                Presence::Available => counts.available += 1,
                Presence::Busy => counts.busy += 1,
                Presence::WrapUp { .. } => counts.wrap_up += 1,
                Presence::Away => counts.away += 1,
                Presence::Offline => counts.offline += 1,
            }
        }
        Some(stats)
    }
}
