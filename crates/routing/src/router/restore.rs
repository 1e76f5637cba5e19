//! Persisting and rebuilding: `Router::snapshot` gives the state a shell stores (agents with
//! presence and idle time, queues, live tasks with their state, the sequence counter and each
//! queue's recent handle times), and `Router::restore` rebuilds a router from such rows after
//! a restart, checking them first.
//!
//! What a restore decides, as of the `now` it is given:
//! - waiting tasks keep their order: priority (with the bump of the rule target in force,
//!   which is recomputed from the time since each task entered its queue), then creation
//!   time, then sequence number;
//! - an open offer is renewed, with a fresh expiry and an `OfferMade` event, to the same
//!   agent if that agent is still available, admitted to the task and has room (renewals go
//!   first, best task first, before any new offer); otherwise it is withdrawn
//!   (`OfferWithdrawn` and `TaskRequeued`, both for `AgentUnavailable`) and the task waits
//!   like any other. The agent is not counted as having missed it;
//! - assigned and wrapping-up tasks stay with their agent; a wrap-up (of a task or an agent)
//!   whose end has passed, and a maximum wait that has run out, are handled by the next
//!   `handle_timeout` (so `poll_timeout` may return an instant before `now`);
//! - tasks in a final state are dropped;
//! - then whatever can be offered is, as after any input.

use super::{QueueSlot, Result, Router, RouterConfig, check_levels};
use crate::{
    Agent, AgentId, Channel, Event, Queue, QueueId, RequeueReason, RoutingError, Task, TaskId,
    TaskState, WithdrawReason,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Everything a router needs to be rebuilt, as rows a shell can store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterSnapshot {
    pub agents: Vec<Agent>,
    pub queues: Vec<Queue>,
    /// Live tasks; final ones are ignored by `Router::restore`.
    pub tasks: Vec<Task>,
    /// The sequence number the next task gets (restore raises it above every task's).
    pub next_seq: u64,
    /// Per queue, the handle times of its last completed tasks, oldest first.
    #[serde(default)]
    pub handle_times: BTreeMap<QueueId, Vec<u64>>,
}

impl Router {
    /// The router's state as rows to store (unpolled events and the recently finished tasks
    /// are not part of it).
    pub fn snapshot(&self) -> RouterSnapshot {
        RouterSnapshot {
            agents: self.agents().cloned().collect(),
            queues: self.queues().cloned().collect(),
            tasks: self.tasks().cloned().collect(),
            next_seq: self.next_seq,
            handle_times: self
                .queues
                .iter()
                .filter(|(_, q)| !q.handle_times.is_empty())
                .map(|(id, q)| (id.clone(), q.handle_times.iter().copied().collect()))
                .collect(),
        }
    }

    /// Rebuilds a router from stored rows as of `now` (see the module documentation for what
    /// happens to open offers, timers and finished tasks). Rows that contradict each other are
    /// refused with the error the matching handler would give (`DuplicateAgent`,
    /// `DuplicateQueue`, `DuplicateTask`, `InvalidSkillLevel`, `InvalidRule`, `UnknownQueue`,
    /// `OverflowToSelf`, `OverflowCycle`), or with `HeldByUnknownAgent`, `OverCapacity`
    /// (assigned and wrapping-up tasks beyond an agent's capacity) or `DuplicateSeq`.
    pub fn restore(config: RouterConfig, parts: RouterSnapshot, now: u64) -> Result<Router> {
        let mut r = Router::new(config);
        let RouterSnapshot {
            agents,
            queues,
            tasks,
            next_seq,
            handle_times,
        } = parts;
        // Queues first, all of them, so overflow targets can be checked in any order.
        for queue in queues {
            if r.queues.contains_key(&queue.spec.id) {
                return Err(RoutingError::DuplicateQueue(queue.spec.id));
            }
            r.queues.insert(
                queue.spec.id.clone(),
                QueueSlot {
                    queue,
                    waiting: BTreeMap::new(),
                    pending: BTreeMap::new(),
                    free: BTreeMap::new(),
                    handle_times: VecDeque::new(),
                },
            );
        }
        for q in r.queues.values() {
            r.check_queue(&q.queue.spec)?;
        }
        let keep = r.config.handle_time_samples;
        for (queue, times) in handle_times {
            if let Some(q) = r.queues.get_mut(&queue) {
                let skip = times.len().saturating_sub(keep);
                q.handle_times = times.into_iter().skip(skip).collect();
            }
        }
        for agent in agents {
            if r.agents.contains_key(&agent.spec.id) {
                return Err(RoutingError::DuplicateAgent(agent.spec.id));
            }
            check_levels(&agent.spec.skills)?;
            let id = agent.spec.id.clone();
            let slot = r.agent_slot(agent);
            r.agents.insert(id.clone(), slot);
            r.update_agent(&id, |_| {});
        }
        let tasks = r.check_tasks(tasks)?;
        r.next_seq = tasks
            .iter()
            .map(|t| t.seq.saturating_add(1))
            .fold(next_seq, u64::max);
        // Every task goes in; open offers go in as pending and are renewed below.
        let mut offers: Vec<(TaskId, AgentId)> = Vec::new();
        for mut task in tasks {
            let id = task.spec.id.clone();
            if let TaskState::Offered { agent, .. } = &task.state {
                offers.push((id.clone(), agent.clone()));
                task.state = TaskState::Pending;
            }
            let mut slot = Self::slot(task);
            r.route(&mut slot, now);
            r.insert_task(slot);
        }
        offers.sort_by_key(|(task, _)| r.tasks.get(task).map(|s| s.wait_key()));
        for (task, agent) in offers {
            let renew = r.agents.get(&agent).is_some_and(|a| {
                a.agent.presence == crate::Presence::Available && r.can_take(&agent, &task)
            });
            if renew {
                let timeout = r
                    .tasks
                    .get(&task)
                    .and_then(|t| r.queues.get(&t.task.spec.queue))
                    .map_or(0, |q| q.queue.spec.offer_timeout_ms);
                r.offer(&task, &agent, now.saturating_add(timeout));
            } else if let Some(t) = r.tasks.get(&task) {
                let queue = t.task.spec.queue.clone();
                r.events.push_back(Event::OfferWithdrawn {
                    task: task.clone(),
                    agent,
                    reason: WithdrawReason::AgentUnavailable,
                });
                r.events.push_back(Event::TaskRequeued {
                    task,
                    queue,
                    reason: RequeueReason::AgentUnavailable,
                });
            }
        }
        r.dirty_agents.extend(r.agents.keys().cloned());
        r.dispatch(now);
        Ok(r)
    }

    /// Drops final tasks and checks the rest against each other and the agents and queues.
    fn check_tasks(&self, tasks: Vec<Task>) -> Result<Vec<Task>> {
        let tasks: Vec<Task> = tasks.into_iter().filter(|t| !t.state.is_final()).collect();
        let mut ids = BTreeMap::new();
        let mut seqs: BTreeMap<u64, &TaskId> = BTreeMap::new();
        let mut held: BTreeMap<(&AgentId, Channel), u32> = BTreeMap::new();
        for t in &tasks {
            let id = &t.spec.id;
            if ids.insert(id, ()).is_some() {
                return Err(RoutingError::DuplicateTask(id.clone()));
            }
            if let Some(other) = seqs.insert(t.seq, id) {
                return Err(RoutingError::DuplicateSeq {
                    seq: t.seq,
                    task: other.clone(),
                    other: id.clone(),
                });
            }
            if !self.queues.contains_key(&t.spec.queue) {
                return Err(RoutingError::UnknownQueue(t.spec.queue.clone()));
            }
            let Some(agent) = t.state.agent() else {
                continue;
            };
            let Some(a) = self.agents.get(agent) else {
                return Err(RoutingError::HeldByUnknownAgent {
                    task: id.clone(),
                    agent: agent.clone(),
                });
            };
            if matches!(t.state, TaskState::Offered { .. }) {
                continue;
            }
            let channel = t.spec.channel;
            let n = held.entry((agent, channel)).or_default();
            *n += 1;
            let capacity = a.agent.spec.capacity.get(&channel).copied().unwrap_or(0);
            if *n > capacity {
                return Err(RoutingError::OverCapacity {
                    agent: agent.clone(),
                    channel,
                    held: *n,
                    capacity,
                });
            }
        }
        Ok(tasks)
    }
}
