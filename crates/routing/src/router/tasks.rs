//! A task's life through the caller's inputs: enqueue, accept, decline, complete, cancel and
//! transfer.

use super::{Result, Router, qualifies};
use crate::{
    AgentId, CancelReason, Event, Presence, RequeueReason, RoutingError, Task, TaskId, TaskSpec,
    TaskState, Transfer, WithdrawReason,
};

impl Router {
    /// A new task waits in its queue (under the first of the queue's rules it matches).
    /// An id the router still knows, live or recently finished, is refused.
    pub fn handle_enqueue(&mut self, spec: TaskSpec, now: u64) -> Result<()> {
        if self.task(&spec.id).is_some() {
            return Err(RoutingError::DuplicateTask(spec.id));
        }
        if !self.queues.contains_key(&spec.queue) {
            return Err(RoutingError::UnknownQueue(spec.queue));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut slot = Self::slot(Task {
            spec,
            state: TaskState::Pending,
            created_ms: now,
            enqueued_ms: now,
            seq,
            assigned_ms: None,
            skipped: Default::default(),
        });
        self.route(&mut slot, now);
        self.insert_task(slot);
        self.dispatch(now);
        Ok(())
    }

    /// Checks that `task` is offered to `agent` and the offer still stands at `now`.
    fn check_offer(&self, task: &TaskId, agent: &AgentId, now: u64) -> Result<()> {
        let t = self.known_task(task)?;
        self.known_agent(agent)?;
        match &t.state {
            TaskState::Offered { agent: a, .. } if a != agent => {
                Err(RoutingError::OfferedToOther {
                    task: task.clone(),
                    agent: agent.clone(),
                })
            }
            TaskState::Offered { until_ms, .. } if now >= *until_ms => {
                Err(RoutingError::OfferExpired(task.clone()))
            }
            TaskState::Offered { .. } => Ok(()),
            TaskState::Pending => Err(RoutingError::NotOffered(task.clone())),
            TaskState::Assigned { agent: a } | TaskState::WrapUp { agent: a, .. } => {
                Err(RoutingError::AlreadyTaken {
                    task: task.clone(),
                    agent: a.clone(),
                })
            }
            _ => Err(RoutingError::TaskFinished(task.clone())),
        }
    }

    /// Sets a waiting task's priority (a caller found to be in crisis while waiting moves to
    /// the front); it keeps its age and its open offer. Assigned and finished tasks are
    /// refused with `NotWaiting`.
    pub fn handle_set_priority(&mut self, task: &TaskId, priority: i32, now: u64) -> Result<()> {
        if !self.known_task(task)?.state.is_waiting() {
            return Err(RoutingError::NotWaiting(task.clone()));
        }
        self.unindex_task(task);
        if let Some(mut slot) = self.tasks.remove(task) {
            slot.task.spec.priority = priority;
            // The effective priority (with the bump of the rule target in force) follows.
            self.route(&mut slot, now);
            self.tasks.insert(task.clone(), slot);
        }
        self.index_task(task);
        self.dispatch(now);
        Ok(())
    }

    /// The agent accepts the offer: the task is theirs.
    pub fn handle_accept(&mut self, task: &TaskId, agent: &AgentId, now: u64) -> Result<()> {
        self.check_offer(task, agent, now)?;
        self.update_task(task, |slot| {
            slot.task.state = TaskState::Assigned {
                agent: agent.clone(),
            };
            slot.task.assigned_ms = Some(now);
        });
        self.update_agent(agent, |a| {
            a.missed_offers = 0;
            a.idle_since_ms = now;
        });
        self.events.push_back(Event::TaskAssigned {
            task: task.clone(),
            agent: agent.clone(),
        });
        self.dispatch(now);
        Ok(())
    }

    /// The agent declines the offer: the task goes to the next agent, never back to this one
    /// while it stays in this queue.
    pub fn handle_decline(&mut self, task: &TaskId, agent: &AgentId, now: u64) -> Result<()> {
        self.check_offer(task, agent, now)?;
        self.update_task(task, |slot| {
            slot.task.state = TaskState::Pending;
            slot.task.skipped.insert(agent.clone());
        });
        self.update_agent(agent, |a| a.missed_offers = 0);
        if let Some(t) = self.tasks.get(task) {
            self.events.push_back(Event::TaskRequeued {
                task: task.clone(),
                queue: t.task.spec.queue.clone(),
                reason: RequeueReason::Declined,
            });
        }
        self.dispatch(now);
        Ok(())
    }

    /// The agent is done with the task: it wraps up for the queue's wrap-up time (the agent is
    /// `WrapUp` meanwhile and gets no offers), then completes.
    pub fn handle_complete(&mut self, task: &TaskId, agent: &AgentId, now: u64) -> Result<()> {
        let t = self.known_task(task)?;
        self.known_agent(agent)?;
        match &t.state {
            TaskState::Assigned { agent: a } if a == agent => {}
            s if s.is_final() => return Err(RoutingError::TaskFinished(task.clone())),
            _ => {
                return Err(RoutingError::NotAssigned {
                    task: task.clone(),
                    agent: agent.clone(),
                });
            }
        }
        let wrap_up = self
            .queues
            .get(&t.spec.queue)
            .map_or(0, |q| q.queue.spec.wrap_up_ms);
        let until_ms = now.saturating_add(wrap_up);
        self.update_task(task, |slot| {
            slot.task.state = TaskState::WrapUp {
                agent: agent.clone(),
                until_ms,
            };
        });
        self.events.push_back(Event::TaskWrapUp {
            task: task.clone(),
            agent: agent.clone(),
            until_ms,
        });
        let presence = self.agents.get(agent).map(|a| a.agent.presence);
        let wrap = match presence {
            Some(Presence::Available) => Some(until_ms),
            Some(Presence::WrapUp { until_ms: u }) => Some(u.max(until_ms)),
            _ => None,
        };
        if let Some(until_ms) = wrap {
            let presence = Presence::WrapUp { until_ms };
            self.update_agent(agent, |a| a.presence = presence);
            self.events.push_back(Event::AgentPresenceChanged {
                agent: agent.clone(),
                presence,
            });
        }
        // A zero wrap-up ends at once; other timers wait for `handle_timeout`.
        self.expire_wrap_ups(now);
        self.dispatch(now);
        Ok(())
    }

    /// The task ends before an agent took it; an open offer is withdrawn.
    pub fn handle_cancel(&mut self, task: &TaskId, reason: CancelReason, now: u64) -> Result<()> {
        let t = self.known_task(task)?;
        match &t.state {
            TaskState::Pending | TaskState::Offered { .. } => {}
            TaskState::Assigned { agent: a } | TaskState::WrapUp { agent: a, .. } => {
                return Err(RoutingError::AlreadyTaken {
                    task: task.clone(),
                    agent: a.clone(),
                });
            }
            _ => return Err(RoutingError::TaskFinished(task.clone())),
        }
        self.withdraw_offer(task, WithdrawReason::Cancelled);
        let (state, event) = match reason {
            CancelReason::CallerLeft => (
                TaskState::Abandoned,
                Event::TaskAbandoned { task: task.clone() },
            ),
            CancelReason::Withdrawn => (
                TaskState::Cancelled,
                Event::TaskCancelled { task: task.clone() },
            ),
        };
        self.finish(task, state, now);
        self.events.push_back(event);
        self.dispatch(now);
        Ok(())
    }

    /// Moves a waiting or assigned task to another queue (where it is matched against that
    /// queue's rules, and waits as of now), or offers it to a named agent who has the target
    /// queue's own skills, is available and has capacity.
    pub fn handle_transfer(&mut self, task: &TaskId, to: Transfer, now: u64) -> Result<()> {
        let t = self.known_task(task)?;
        match &t.state {
            TaskState::Pending | TaskState::Offered { .. } | TaskState::Assigned { .. } => {}
            _ => return Err(RoutingError::TaskFinished(task.clone())),
        }
        let queue = match &to {
            Transfer::Queue(q) | Transfer::Agent { queue: q, .. } => q,
        };
        let q = self.known_queue(queue)?;
        let offer_until = now.saturating_add(q.spec.offer_timeout_ms);
        if let Transfer::Agent { agent, .. } = &to {
            let a = self.known_agent(agent)?;
            if !qualifies(&a.spec, &q.spec, t.spec.language.as_ref()) {
                return Err(RoutingError::SkillMismatch {
                    agent: agent.clone(),
                    queue: queue.clone(),
                });
            }
            if a.presence != Presence::Available {
                return Err(RoutingError::AgentUnavailable(agent.clone()));
            }
            let channel = t.spec.channel;
            let cap = a.spec.capacity.get(&channel).copied().unwrap_or(0);
            let own = u32::from(t.state.agent() == Some(agent));
            if self.load(agent, channel).saturating_sub(own) >= cap {
                return Err(RoutingError::AtCapacity {
                    agent: agent.clone(),
                    channel,
                });
            }
        }
        let queue = queue.clone();
        self.withdraw_offer(task, WithdrawReason::Transferred);
        self.update_task(task, |slot| {
            slot.task.state = TaskState::Pending;
            slot.task.spec.queue = queue.clone();
            slot.task.enqueued_ms = now;
            slot.task.skipped.clear();
        });
        self.reroute_task(task, now, true);
        self.events.push_back(Event::TaskRequeued {
            task: task.clone(),
            queue,
            reason: RequeueReason::Transferred,
        });
        if let Transfer::Agent { agent, .. } = to {
            self.offer(task, &agent, offer_until);
        }
        self.dispatch(now);
        Ok(())
    }
}
