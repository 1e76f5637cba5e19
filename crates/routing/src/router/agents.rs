//! Agents coming, changing and going: add, update (skills, languages, capacity), remove, and
//! presence, with what each does to open offers and wrap-ups.

use super::{Result, Router, check_levels};
use crate::{
    Agent, AgentId, AgentSpec, Event, Presence, RequeueReason, RoutingError, TaskId, TaskState,
    WithdrawReason,
};

impl Router {
    /// Adds an agent with a presence (not `WrapUp`).
    pub fn handle_add_agent(
        &mut self,
        spec: AgentSpec,
        presence: Presence,
        now: u64,
    ) -> Result<()> {
        if self.agents.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateAgent(spec.id));
        }
        check_levels(&spec.skills)?;
        if matches!(presence, Presence::WrapUp { .. }) {
            return Err(RoutingError::WrapUpNotSettable);
        }
        let id = spec.id.clone();
        let slot = self.agent_slot(Agent {
            spec,
            presence,
            idle_since_ms: now,
            missed_offers: 0,
        });
        self.agents.insert(id.clone(), slot);
        self.update_agent(&id, |_| {});
        self.dispatch(now);
        Ok(())
    }

    /// Changes an agent's skills, languages or capacity. Assigned and wrapping-up tasks stay
    /// (even beyond a lowered capacity: no new offer comes until the load is below it); an
    /// open offer the agent no longer qualifies for, or beyond the new capacity (the later
    /// tasks in service order first), is withdrawn and its task waits again. Then whatever
    /// the agent can now take is offered.
    pub fn handle_update_agent(&mut self, spec: AgentSpec, now: u64) -> Result<()> {
        self.known_agent(&spec.id)?;
        check_levels(&spec.skills)?;
        let id = spec.id.clone();
        let updated = Agent {
            spec,
            ..self.agents[&id].agent.clone()
        };
        let eligible = self.eligibility(&updated);
        // Which open offers still fit: held tasks count first, then offers best first.
        let slot = &self.agents[&id];
        let mut used = [0u32; 3];
        let mut offers = Vec::new();
        for task in &slot.holds {
            let Some(t) = self.tasks.get(task) else {
                continue;
            };
            match t.task.state {
                TaskState::Offered { .. } => offers.push((t.wait_key(), task.clone())),
                _ => used[t.task.spec.channel.index()] += 1,
            }
        }
        offers.sort();
        let mut withdraw: Vec<TaskId> = Vec::new();
        for (_, task) in offers {
            let t = &self.tasks[&task];
            let channel = t.task.spec.channel;
            let cap = updated.spec.capacity.get(&channel).copied().unwrap_or(0);
            let speaks = t
                .task
                .spec
                .language
                .as_ref()
                .is_none_or(|l| updated.spec.speaks(l));
            let admitted = eligible
                .get(&t.task.spec.queue)
                .is_some_and(|stages| stages.contains(&t.stage));
            if speaks && admitted && used[channel.index()] < cap {
                used[channel.index()] += 1;
            } else {
                withdraw.push(task);
            }
        }
        for task in &withdraw {
            self.requeue_offer(
                task,
                WithdrawReason::AgentUpdated,
                RequeueReason::AgentUpdated,
            );
        }
        self.update_agent_slot(&id, |slot| {
            slot.eligible = eligible;
            slot.agent = updated;
        });
        // New skills may admit the agent to waiting tasks though their capacity did not grow.
        self.dirty_agents.insert(id);
        self.dispatch(now);
        Ok(())
    }

    /// Removes an agent who holds no assigned or wrapping-up task; open offers are withdrawn.
    pub fn handle_remove_agent(&mut self, agent: &AgentId, now: u64) -> Result<()> {
        self.known_agent(agent)?;
        let holds = self.agents[agent].holds.iter().any(|t| {
            self.tasks
                .get(t)
                .is_some_and(|t| !matches!(t.task.state, TaskState::Offered { .. }))
        });
        if holds {
            return Err(RoutingError::AgentBusyWithTasks(agent.clone()));
        }
        self.withdraw_offers_of(agent);
        // Offline takes the agent out of the free sets and timers before they go.
        self.update_agent(agent, |a| a.presence = Presence::Offline);
        self.agents.remove(agent);
        self.dirty_agents.remove(agent);
        self.dispatch(now);
        Ok(())
    }

    /// Sets an agent's presence. Leaving `Available` withdraws their open offers; any explicit
    /// change ends a running wrap-up (the agent says they are done).
    pub fn handle_presence(&mut self, agent: &AgentId, presence: Presence, now: u64) -> Result<()> {
        if matches!(presence, Presence::WrapUp { .. }) {
            return Err(RoutingError::WrapUpNotSettable);
        }
        let before = self.known_agent(agent)?.presence;
        self.finish_wrap_ups_of(agent, now);
        if presence != Presence::Available {
            self.withdraw_offers_of(agent);
        }
        self.update_agent(agent, |a| {
            if presence == Presence::Available && before != Presence::Available {
                a.idle_since_ms = now;
                a.missed_offers = 0;
            }
            a.presence = presence;
        });
        if before != presence {
            self.events.push_back(Event::AgentPresenceChanged {
                agent: agent.clone(),
                presence,
            });
        }
        self.dispatch(now);
        Ok(())
    }

    /// Completes every wrap-up task of the agent, as of `now` (or of its own end, if that
    /// came first and the timer has not been handled yet).
    fn finish_wrap_ups_of(&mut self, agent: &AgentId, now: u64) {
        let Some(slot) = self.agents.get(agent) else {
            return;
        };
        let due: Vec<(TaskId, u64)> = slot
            .holds
            .iter()
            .filter_map(|id| match self.tasks.get(id)?.task.state {
                TaskState::WrapUp { until_ms, .. } => Some((id.clone(), until_ms.min(now))),
                _ => None,
            })
            .collect();
        for (task, at) in due {
            self.finish(
                &task,
                TaskState::Completed {
                    agent: agent.clone(),
                },
                at,
            );
            self.events.push_back(Event::TaskCompleted {
                task,
                agent: agent.clone(),
            });
        }
    }

    /// Withdraws every open offer to the agent and puts those tasks back to pending.
    pub(super) fn withdraw_offers_of(&mut self, agent: &AgentId) {
        let Some(slot) = self.agents.get(agent) else {
            return;
        };
        let offered: Vec<TaskId> = slot
            .holds
            .iter()
            .filter(|id| {
                self.tasks
                    .get(*id)
                    .is_some_and(|t| matches!(t.task.state, TaskState::Offered { .. }))
            })
            .cloned()
            .collect();
        for task in &offered {
            self.requeue_offer(
                task,
                WithdrawReason::AgentUnavailable,
                RequeueReason::AgentUnavailable,
            );
        }
    }

    /// Withdraws the task's open offer (without skipping the agent) and tells the caller it
    /// waits again.
    pub(super) fn requeue_offer(
        &mut self,
        task: &TaskId,
        withdrawn: WithdrawReason,
        requeued: RequeueReason,
    ) {
        if self.withdraw_offer(task, withdrawn).is_some()
            && let Some(t) = self.tasks.get(task)
        {
            self.events.push_back(Event::TaskRequeued {
                task: task.clone(),
                queue: t.task.spec.queue.clone(),
                reason: requeued,
            });
        }
    }

    /// If the task is offered, withdraws the offer (the task becomes pending) and returns the
    /// agent it was offered to.
    pub(super) fn withdraw_offer(
        &mut self,
        task: &TaskId,
        reason: WithdrawReason,
    ) -> Option<AgentId> {
        let agent = match &self.tasks.get(task)?.task.state {
            TaskState::Offered { agent, .. } => agent.clone(),
            _ => return None,
        };
        self.update_task(task, |slot| slot.task.state = TaskState::Pending);
        self.events.push_back(Event::OfferWithdrawn {
            task: task.clone(),
            agent: agent.clone(),
            reason,
        });
        Some(agent)
    }
}
