//! What happens when time passes: wrap-ups end, offers expire, tasks outwait their queue's
//! maximum and overflow or time out, and routing rules move on to their next target. Each
//! kind of timer is an ordered set, so `handle_timeout` touches only what is due.

use super::{Router, Stage};
use crate::{AgentId, Event, Presence, RequeueReason, TaskId, TaskState, WithdrawReason};
use std::collections::BTreeSet;

/// The entries of a timer set due by `now`, earliest first.
fn due<T: Ord + Clone>(set: &BTreeSet<(u64, T)>, now: u64) -> Vec<(u64, T)> {
    set.iter()
        .take_while(|(at, _)| *at <= now)
        .cloned()
        .collect()
}

impl Router {
    /// Ends wrap-ups, expires offers, moves tasks past their queue's maximum wait and
    /// escalates routing rules, all as of `now`, then offers what can be offered.
    pub fn handle_timeout(&mut self, now: u64) {
        self.expire_wrap_ups(now);
        self.expire_offers(now);
        self.expire_waits(now);
        self.escalate(now);
        self.dispatch(now);
    }

    /// Completes wrap-ups that ended by `now` (each at its own end, which its handle time
    /// counts to), then makes agents whose wrap-up ended available again.
    pub(super) fn expire_wrap_ups(&mut self, now: u64) {
        for (until_ms, id) in due(&self.timers.task_wrap_ups, now) {
            let Some(TaskState::WrapUp { agent, .. }) = self.tasks.get(&id).map(|t| &t.task.state)
            else {
                continue;
            };
            let agent = agent.clone();
            self.finish(
                &id,
                TaskState::Completed {
                    agent: agent.clone(),
                },
                until_ms,
            );
            self.events
                .push_back(Event::TaskCompleted { task: id, agent });
        }
        for (until_ms, id) in due::<AgentId>(&self.timers.agent_wrap_ups, now) {
            self.update_agent(&id, |a| {
                a.presence = Presence::Available;
                a.idle_since_ms = until_ms;
            });
            self.events.push_back(Event::AgentPresenceChanged {
                agent: id,
                presence: Presence::Available,
            });
        }
    }

    fn expire_offers(&mut self, now: u64) {
        for (_, id) in due::<TaskId>(&self.timers.offers, now) {
            // An earlier expiry in this loop may have set the agent away and withdrawn it.
            let Some(TaskState::Offered { agent, .. }) = self.tasks.get(&id).map(|t| &t.task.state)
            else {
                continue;
            };
            let agent = agent.clone();
            self.update_task(&id, |slot| {
                slot.task.state = TaskState::Pending;
                slot.task.skipped.insert(agent.clone());
            });
            let queue = self.tasks[&id].task.spec.queue.clone();
            self.events.push_back(Event::OfferWithdrawn {
                task: id.clone(),
                agent: agent.clone(),
                reason: WithdrawReason::Expired,
            });
            self.events.push_back(Event::TaskRequeued {
                task: id,
                queue,
                reason: RequeueReason::OfferExpired,
            });
            let limit = self.config.missed_offers_before_away;
            let Some(a) = self.agents.get(&agent) else {
                continue;
            };
            let missed = a.agent.missed_offers + 1;
            let away = limit > 0 && missed >= limit && a.agent.presence == Presence::Available;
            self.update_agent(&agent, |a| {
                a.missed_offers = if away { 0 } else { missed };
                if away {
                    a.presence = Presence::Away;
                }
            });
            if away {
                self.events.push_back(Event::AgentPresenceChanged {
                    agent: agent.clone(),
                    presence: Presence::Away,
                });
                self.withdraw_offers_of(&agent);
            }
        }
    }

    /// Tasks past their queue's maximum wait move to its overflow queue, where they wait as
    /// of the instant they left (their age and place by age are kept), or time out. A task
    /// handled late may be past the next queue's limit too, so this repeats until nothing is
    /// due (it ends: overflow chains have no cycles).
    pub(super) fn expire_waits(&mut self, now: u64) {
        loop {
            let due = due::<TaskId>(&self.timers.max_waits, now);
            if due.is_empty() {
                return;
            }
            for (deadline, id) in due {
                self.expire_wait(&id, deadline, now);
            }
        }
    }

    fn expire_wait(&mut self, id: &TaskId, deadline: u64, now: u64) {
        self.withdraw_offer(id, WithdrawReason::Overflowed);
        let Some(t) = self.tasks.get(id) else {
            return;
        };
        let from = t.task.spec.queue.clone();
        match self
            .queues
            .get(&from)
            .and_then(|q| q.queue.spec.overflow.clone())
        {
            Some(to) => {
                self.update_task(id, |slot| {
                    slot.task.spec.queue = to.clone();
                    slot.task.enqueued_ms = deadline;
                    slot.task.skipped.clear();
                });
                self.reroute_task(id, now, true);
                self.events.push_back(Event::TaskOverflowed {
                    task: id.clone(),
                    from,
                    to,
                });
            }
            None => {
                self.finish(id, TaskState::TimedOut, deadline);
                self.events.push_back(Event::TaskTimedOut {
                    task: id.clone(),
                    queue: from,
                });
            }
        }
    }

    /// Waiting tasks whose rule target's timeout passed move on to the target in force now.
    fn escalate(&mut self, now: u64) {
        for (_, id) in due::<TaskId>(&self.timers.escalations, now) {
            let before = self.tasks.get(&id).map(|t| t.stage);
            self.reroute_task(&id, now, false);
            let Some(slot) = self.tasks.get(&id) else {
                continue;
            };
            if before == Some(slot.stage) {
                continue;
            }
            let queue = &slot.task.spec.queue;
            let Some(rule) = slot
                .rule
                .and_then(|r| self.queues.get(queue)?.queue.spec.rules.get(r))
            else {
                continue;
            };
            let target = match slot.stage {
                Stage::Target { target, .. } => Some(target),
                Stage::Default => None,
            };
            self.events.push_back(Event::TaskEscalated {
                task: id.clone(),
                queue: queue.clone(),
                rule: rule.name.clone(),
                target,
            });
        }
    }
}
