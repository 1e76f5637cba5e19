//! The run loop: `handle_*` inputs with the current time, `poll_event` and `poll_timeout`
//! outputs. Every handler validates first and only then changes state, so an `Err` leaves the
//! router exactly as it was; a successful handler ends by offering whatever can be offered.
//!
//! Decisions: open queues' pending tasks are taken by task priority (higher first), then queue
//! priority, then age (creation time, kept across overflow), then creation order; each goes to
//! the longest-idle agent who is `Available`, has the queue's skills at the minimum levels,
//! speaks the queue's and the task's language, has free capacity on the task's channel and has
//! not declined or missed this task in this queue (ties by agent id). An offer reserves the
//! capacity it would use. An offer that expires sends the task back to pending and skips that
//! agent for it; after `RouterConfig::missed_offers_before_away` expiries in a row the agent is
//! set `Away` (so a desk left open does not swallow every task), which a human reverses.

use crate::{
    Agent, AgentId, AgentSpec, CancelReason, Channel, Event, Presence, Queue, QueueId, QueueSpec,
    RequeueReason, RoutingError, Task, TaskId, TaskSpec, TaskState, Transfer, WithdrawReason,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// The router's tunables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterConfig {
    /// Expired offers in a row after which an available agent is set `Away`; 0 never does.
    pub missed_offers_before_away: u32,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            missed_offers_before_away: 2,
        }
    }
}

/// The contact-centre router. Serialise it to persist; events not yet polled are not part of
/// the persisted state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Router {
    config: RouterConfig,
    agents: BTreeMap<AgentId, Agent>,
    queues: BTreeMap<QueueId, Queue>,
    tasks: BTreeMap<TaskId, Task>,
    next_seq: u64,
    #[serde(skip)]
    events: VecDeque<Event>,
}

type Result<T> = std::result::Result<T, RoutingError>;

fn check_levels(skills: &BTreeMap<String, u8>) -> Result<()> {
    match skills.iter().find(|(_, level)| **level > 10) {
        Some((skill, level)) => Err(RoutingError::InvalidSkillLevel {
            skill: skill.clone(),
            level: *level,
        }),
        None => Ok(()),
    }
}

/// Whether the agent has the queue's skills and speaks the queue's and the task's language.
fn qualifies(agent: &AgentSpec, queue: &QueueSpec, language: Option<&String>) -> bool {
    let skills = queue
        .required_skills
        .iter()
        .all(|(skill, min)| agent.skills.get(skill).is_some_and(|level| level >= min));
    let speaks = |lang: Option<&String>| lang.is_none_or(|l| agent.languages.contains(l));
    skills && speaks(queue.language.as_ref()) && speaks(language)
}

impl Router {
    /// An empty router.
    pub fn new(config: RouterConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    // --- reading -------------------------------------------------------------------------

    /// The agent, if known.
    pub fn agent(&self, id: &AgentId) -> Option<&Agent> {
        self.agents.get(id)
    }

    /// The queue, if known.
    pub fn queue(&self, id: &QueueId) -> Option<&Queue> {
        self.queues.get(id)
    }

    /// The task, if known (final tasks are kept).
    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        self.tasks.get(id)
    }

    fn known_task(&self, id: &TaskId) -> Result<&Task> {
        self.tasks
            .get(id)
            .ok_or_else(|| RoutingError::UnknownTask(id.clone()))
    }

    fn known_agent(&self, id: &AgentId) -> Result<&Agent> {
        self.agents
            .get(id)
            .ok_or_else(|| RoutingError::UnknownAgent(id.clone()))
    }

    fn known_queue(&self, id: &QueueId) -> Result<&Queue> {
        self.queues
            .get(id)
            .ok_or_else(|| RoutingError::UnknownQueue(id.clone()))
    }

    /// Every agent, by id.
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }

    /// Every task, by id.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values()
    }

    /// How many tasks of `channel` hold the agent's capacity (offered, assigned or wrapping up).
    pub fn load(&self, agent: &AgentId, channel: Channel) -> u32 {
        let n = self
            .tasks
            .values()
            .filter(|t| t.spec.channel == channel && t.state.agent() == Some(agent))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn free_capacity(&self, agent: &Agent, channel: Channel, except: Option<&TaskId>) -> u32 {
        let cap = agent.spec.capacity.get(&channel).copied().unwrap_or(0);
        let used = self
            .tasks
            .values()
            .filter(|t| Some(&t.spec.id) != except)
            .filter(|t| t.spec.channel == channel && t.state.agent() == Some(&agent.spec.id))
            .count();
        cap.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX))
    }

    // --- output --------------------------------------------------------------------------

    /// The next decision, in the order they were made.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next instant at which `handle_timeout` has something to do.
    pub fn poll_timeout(&self) -> Option<u64> {
        let tasks = self.tasks.values().filter_map(|t| match &t.state {
            TaskState::Offered { until_ms, .. } | TaskState::WrapUp { until_ms, .. } => {
                let wait = self.max_wait_deadline(t);
                Some(wait.map_or(*until_ms, |w| w.min(*until_ms)))
            }
            TaskState::Pending => self.max_wait_deadline(t),
            _ => None,
        });
        let agents = self.agents.values().filter_map(|a| match a.presence {
            Presence::WrapUp { until_ms } => Some(until_ms),
            _ => None,
        });
        tasks.chain(agents).min()
    }

    fn max_wait_deadline(&self, task: &Task) -> Option<u64> {
        if !task.state.is_waiting() {
            return None;
        }
        let max = self.queues.get(&task.spec.queue)?.spec.max_wait_ms?;
        Some(task.enqueued_ms.saturating_add(max))
    }

    // --- agents --------------------------------------------------------------------------

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
        self.agents.insert(
            id,
            Agent {
                spec,
                presence,
                idle_since_ms: now,
                missed_offers: 0,
            },
        );
        self.dispatch(now);
        Ok(())
    }

    /// Removes an agent who holds no assigned or wrapping-up task; open offers are withdrawn.
    pub fn handle_remove_agent(&mut self, agent: &AgentId, now: u64) -> Result<()> {
        if !self.agents.contains_key(agent) {
            return Err(RoutingError::UnknownAgent(agent.clone()));
        }
        let holds = self.tasks.values().any(|t| {
            matches!(&t.state, TaskState::Assigned { agent: a } | TaskState::WrapUp { agent: a, .. } if a == agent)
        });
        if holds {
            return Err(RoutingError::AgentBusyWithTasks(agent.clone()));
        }
        self.withdraw_offers_of(agent);
        self.agents.remove(agent);
        self.dispatch(now);
        Ok(())
    }

    /// Sets an agent's presence. Leaving `Available` withdraws their open offers; any explicit
    /// change ends a running wrap-up (the agent says they are done).
    pub fn handle_presence(&mut self, agent: &AgentId, presence: Presence, now: u64) -> Result<()> {
        if matches!(presence, Presence::WrapUp { .. }) {
            return Err(RoutingError::WrapUpNotSettable);
        }
        let a = self.known_agent(agent)?;
        let before = a.presence;
        self.finish_wrap_ups_of(agent, u64::MAX);
        if presence != Presence::Available {
            self.withdraw_offers_of(agent);
        }
        if let Some(a) = self.agents.get_mut(agent) {
            if presence == Presence::Available && before != Presence::Available {
                a.idle_since_ms = now;
                a.missed_offers = 0;
            }
            a.presence = presence;
        }
        if before != presence {
            self.events.push_back(Event::AgentPresenceChanged {
                agent: agent.clone(),
                presence,
            });
        }
        self.dispatch(now);
        Ok(())
    }

    /// Completes the agent's wrap-up tasks whose timer ends by `by`.
    fn finish_wrap_ups_of(&mut self, agent: &AgentId, by: u64) {
        for task in self.tasks.values_mut() {
            if let TaskState::WrapUp { agent: a, until_ms } = &task.state
                && a == agent
                && *until_ms <= by
            {
                task.state = TaskState::Completed {
                    agent: agent.clone(),
                };
                self.events.push_back(Event::TaskCompleted {
                    task: task.spec.id.clone(),
                    agent: agent.clone(),
                });
            }
        }
    }

    /// Withdraws every open offer to the agent and puts those tasks back to pending.
    fn withdraw_offers_of(&mut self, agent: &AgentId) {
        for task in self.tasks.values_mut() {
            if matches!(&task.state, TaskState::Offered { agent: a, .. } if a == agent) {
                task.state = TaskState::Pending;
                let id = task.spec.id.clone();
                self.events.push_back(Event::OfferWithdrawn {
                    task: id.clone(),
                    agent: agent.clone(),
                    reason: WithdrawReason::AgentUnavailable,
                });
                self.events.push_back(Event::TaskRequeued {
                    task: id,
                    queue: task.spec.queue.clone(),
                    reason: RequeueReason::AgentUnavailable,
                });
            }
        }
    }

    // --- queues --------------------------------------------------------------------------

    /// Adds a queue, open or closed. Its overflow target must already exist.
    pub fn handle_add_queue(&mut self, spec: QueueSpec, open: bool, now: u64) -> Result<()> {
        if self.queues.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateQueue(spec.id));
        }
        check_levels(&spec.required_skills)?;
        if let Some(target) = &spec.overflow {
            if *target == spec.id {
                return Err(RoutingError::OverflowToSelf { queue: spec.id });
            }
            if !self.queues.contains_key(target) {
                return Err(RoutingError::UnknownQueue(target.clone()));
            }
        }
        self.queues.insert(spec.id.clone(), Queue { spec, open });
        self.dispatch(now);
        Ok(())
    }

    /// Opens or closes a queue (the caller decides business hours). A closed queue keeps its
    /// tasks, and their maximum wait keeps running, but offers none; open offers stand.
    pub fn handle_queue_open(&mut self, queue: &QueueId, open: bool, now: u64) -> Result<()> {
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(|| RoutingError::UnknownQueue(queue.clone()))?;
        q.open = open;
        self.dispatch(now);
        Ok(())
    }

    // --- tasks ---------------------------------------------------------------------------

    /// A new task waits in its queue.
    pub fn handle_enqueue(&mut self, spec: TaskSpec, now: u64) -> Result<()> {
        if self.tasks.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateTask(spec.id));
        }
        if !self.queues.contains_key(&spec.queue) {
            return Err(RoutingError::UnknownQueue(spec.queue));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let task = Task {
            spec,
            state: TaskState::Pending,
            created_ms: now,
            enqueued_ms: now,
            seq,
            skipped: Default::default(),
        };
        self.tasks.insert(task.spec.id.clone(), task);
        self.dispatch(now);
        Ok(())
    }

    /// Checks that `task` is offered to `agent` and the offer still stands at `now`.
    fn check_offer(&self, task: &TaskId, agent: &AgentId, now: u64) -> Result<()> {
        let t = self.known_task(task)?;
        if !self.agents.contains_key(agent) {
            return Err(RoutingError::UnknownAgent(agent.clone()));
        }
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

    /// The agent accepts the offer: the task is theirs.
    pub fn handle_accept(&mut self, task: &TaskId, agent: &AgentId, now: u64) -> Result<()> {
        self.check_offer(task, agent, now)?;
        if let Some(t) = self.tasks.get_mut(task) {
            t.state = TaskState::Assigned {
                agent: agent.clone(),
            };
        }
        if let Some(a) = self.agents.get_mut(agent) {
            a.missed_offers = 0;
            a.idle_since_ms = now;
        }
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
        let mut queue = None;
        if let Some(t) = self.tasks.get_mut(task) {
            t.state = TaskState::Pending;
            t.skipped.insert(agent.clone());
            queue = Some(t.spec.queue.clone());
        }
        if let Some(a) = self.agents.get_mut(agent) {
            a.missed_offers = 0;
        }
        if let Some(queue) = queue {
            self.events.push_back(Event::TaskRequeued {
                task: task.clone(),
                queue,
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
        if !self.agents.contains_key(agent) {
            return Err(RoutingError::UnknownAgent(agent.clone()));
        }
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
            .map_or(0, |q| q.spec.wrap_up_ms);
        let until_ms = now.saturating_add(wrap_up);
        if let Some(t) = self.tasks.get_mut(task) {
            t.state = TaskState::WrapUp {
                agent: agent.clone(),
                until_ms,
            };
        }
        self.events.push_back(Event::TaskWrapUp {
            task: task.clone(),
            agent: agent.clone(),
            until_ms,
        });
        if let Some(a) = self.agents.get_mut(agent)
            && matches!(a.presence, Presence::Available | Presence::WrapUp { .. })
        {
            let until_ms = match a.presence {
                Presence::WrapUp { until_ms: u } => u.max(until_ms),
                _ => until_ms,
            };
            a.presence = Presence::WrapUp { until_ms };
            self.events.push_back(Event::AgentPresenceChanged {
                agent: agent.clone(),
                presence: a.presence,
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
        if let Some(t) = self.tasks.get_mut(task) {
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
            t.state = state;
            self.events.push_back(event);
        }
        self.dispatch(now);
        Ok(())
    }

    /// Moves a waiting or assigned task to another queue, or offers it to a named agent who
    /// has the target queue's skills, is available and has capacity.
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
            if self.free_capacity(a, t.spec.channel, Some(task)) == 0 {
                return Err(RoutingError::AtCapacity {
                    agent: agent.clone(),
                    channel: t.spec.channel,
                });
            }
        }
        let queue = queue.clone();
        self.withdraw_offer(task, WithdrawReason::Transferred);
        if let Some(t) = self.tasks.get_mut(task) {
            t.state = TaskState::Pending;
            t.spec.queue = queue.clone();
            t.enqueued_ms = now;
            t.skipped.clear();
        }
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

    /// If the task is offered, withdraws the offer (the task becomes pending).
    fn withdraw_offer(&mut self, task: &TaskId, reason: WithdrawReason) {
        if let Some(t) = self.tasks.get_mut(task)
            && let TaskState::Offered { agent, .. } = &t.state
        {
            let agent = agent.clone();
            t.state = TaskState::Pending;
            self.events.push_back(Event::OfferWithdrawn {
                task: task.clone(),
                agent,
                reason,
            });
        }
    }

    fn offer(&mut self, task: &TaskId, agent: &AgentId, until_ms: u64) {
        if let Some(t) = self.tasks.get_mut(task) {
            t.state = TaskState::Offered {
                agent: agent.clone(),
                until_ms,
            };
            self.events.push_back(Event::OfferMade {
                task: task.clone(),
                agent: agent.clone(),
                expires_at_ms: until_ms,
            });
        }
    }

    // --- time ----------------------------------------------------------------------------

    /// Ends wrap-ups, expires offers and moves tasks past their queue's maximum wait, all as of
    /// `now`, then offers what can be offered.
    pub fn handle_timeout(&mut self, now: u64) {
        self.expire_wrap_ups(now);
        self.expire_offers(now);
        self.expire_waits(now);
        self.dispatch(now);
    }

    fn expire_wrap_ups(&mut self, now: u64) {
        let ids: Vec<AgentId> = self.agents.keys().cloned().collect();
        for id in ids {
            self.finish_wrap_ups_of(&id, now);
            if let Some(a) = self.agents.get_mut(&id)
                && let Presence::WrapUp { until_ms } = a.presence
                && until_ms <= now
            {
                a.presence = Presence::Available;
                a.idle_since_ms = until_ms;
                self.events.push_back(Event::AgentPresenceChanged {
                    agent: id,
                    presence: Presence::Available,
                });
            }
        }
    }

    fn expire_offers(&mut self, now: u64) {
        let due: Vec<TaskId> = self
            .tasks
            .values()
            .filter(|t| matches!(t.state, TaskState::Offered { until_ms, .. } if until_ms <= now))
            .map(|t| t.spec.id.clone())
            .collect();
        for id in due {
            let Some(t) = self.tasks.get_mut(&id) else {
                continue;
            };
            // An earlier expiry in this loop may have set the agent away and withdrawn it.
            let TaskState::Offered { agent, .. } = &t.state else {
                continue;
            };
            let agent = agent.clone();
            t.state = TaskState::Pending;
            t.skipped.insert(agent.clone());
            let queue = t.spec.queue.clone();
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
            let mut away = false;
            if let Some(a) = self.agents.get_mut(&agent) {
                a.missed_offers += 1;
                if limit > 0 && a.missed_offers >= limit && a.presence == Presence::Available {
                    a.presence = Presence::Away;
                    a.missed_offers = 0;
                    away = true;
                }
            }
            if away {
                self.events.push_back(Event::AgentPresenceChanged {
                    agent: agent.clone(),
                    presence: Presence::Away,
                });
                self.withdraw_offers_of(&agent);
            }
        }
    }

    fn expire_waits(&mut self, now: u64) {
        let due: Vec<TaskId> = self
            .tasks
            .values()
            .filter(|t| self.max_wait_deadline(t).is_some_and(|d| d <= now))
            .map(|t| t.spec.id.clone())
            .collect();
        for id in due {
            self.withdraw_offer(&id, WithdrawReason::Overflowed);
            let Some(t) = self.tasks.get_mut(&id) else {
                continue;
            };
            let from = t.spec.queue.clone();
            match self.queues.get(&from).and_then(|q| q.spec.overflow.clone()) {
                Some(to) => {
                    t.spec.queue = to.clone();
                    t.enqueued_ms = now;
                    t.skipped.clear();
                    self.events
                        .push_back(Event::TaskOverflowed { task: id, from, to });
                }
                None => {
                    t.state = TaskState::TimedOut;
                    self.events.push_back(Event::TaskTimedOut {
                        task: id,
                        queue: from,
                    });
                }
            }
        }
    }

    // --- decisions -----------------------------------------------------------------------

    /// Offers pending tasks of open queues, best task first, each to the longest-idle match.
    /// Free capacity is counted once per pass (one scan of the tasks) and decremented as
    /// offers are made, and the pass stops as soon as no available agent has any left.
    fn dispatch(&mut self, now: u64) {
        let mut free: BTreeMap<(AgentId, Channel), u32> = BTreeMap::new();
        for a in self
            .agents
            .values()
            .filter(|a| a.presence == Presence::Available)
        {
            for (channel, cap) in &a.spec.capacity {
                free.insert((a.spec.id.clone(), *channel), *cap);
            }
        }
        for t in self.tasks.values() {
            if let Some(agent) = t.state.agent()
                && let Some(n) = free.get_mut(&(agent.clone(), t.spec.channel))
            {
                *n = n.saturating_sub(1);
            }
        }
        let mut left: u64 = free.values().map(|n| u64::from(*n)).sum();
        if left == 0 {
            return;
        }
        let mut pending: Vec<&Task> = self
            .tasks
            .values()
            .filter(|t| t.state == TaskState::Pending)
            .filter(|t| self.queues.get(&t.spec.queue).is_some_and(|q| q.open))
            .collect();
        pending.sort_by_key(|t| {
            let queue_priority = self
                .queues
                .get(&t.spec.queue)
                .map_or(0, |q| q.spec.priority);
            (
                std::cmp::Reverse(t.spec.priority),
                std::cmp::Reverse(queue_priority),
                t.created_ms,
                t.seq,
            )
        });
        let pending: Vec<TaskId> = pending.into_iter().map(|t| t.spec.id.clone()).collect();
        for id in pending {
            let Some((agent, channel, timeout)) = self.best_agent(&id, &free) else {
                continue;
            };
            if let Some(n) = free.get_mut(&(agent.clone(), channel)) {
                *n -= 1;
            }
            self.offer(&id, &agent, now.saturating_add(timeout));
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }

    /// The longest-idle agent who may take the task, with the task's channel and the queue's
    /// offer timeout.
    fn best_agent(
        &self,
        task: &TaskId,
        free: &BTreeMap<(AgentId, Channel), u32>,
    ) -> Option<(AgentId, Channel, u64)> {
        let t = self.tasks.get(task)?;
        let q = self.queues.get(&t.spec.queue)?;
        let channel = t.spec.channel;
        self.agents
            .values()
            .filter(|a| {
                free.get(&(a.spec.id.clone(), channel))
                    .is_some_and(|n| *n > 0)
            })
            .filter(|a| !t.skipped.contains(&a.spec.id))
            .filter(|a| qualifies(&a.spec, &q.spec, t.spec.language.as_ref()))
            .min_by(|x, y| (x.idle_since_ms, &x.spec.id).cmp(&(y.idle_since_ms, &y.spec.id)))
            .map(|a| (a.spec.id.clone(), channel, q.spec.offer_timeout_ms))
    }
}
