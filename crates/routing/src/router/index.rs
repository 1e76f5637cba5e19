//! The orders the router derives from its agents, queues and tasks, kept up to date so a
//! decision never scans everything: each queue's waiting tasks in service order, its pending
//! tasks by stage, channel and language, its free agents (available, with room on the
//! channel) by stage, channel and idle time, every agent's load and the tasks they hold,
//! which stages each agent belongs to, and the timers.
//!
//! One discipline keeps them right: a task's derived entries are removed (`unindex_task`)
//! before anything they are computed from changes, and added again (`index_task`) after, so
//! the entries always describe the task as it is (`update_task` and `reroute_task` do both
//! around a change, and move the load when the agent holding the task changes). Agents work
//! the same way through `update_agent` and `refresh_free`. Two sets record what changed since
//! the last dispatch: a task is dirty when it is (again) pending, an agent when their free
//! capacity grew. `check_invariants` rebuilds everything from scratch and compares.

use super::{AgentSlot, Pending, Router, Stage, TaskSlot, admits, stages};
use crate::{Agent, AgentId, Channel, Presence, QueueId, Task, TaskId, TaskState};
use std::collections::{BTreeMap, BTreeSet};

impl Router {
    /// Removes every derived entry of the task (it stays in `tasks`).
    pub(super) fn unindex_task(&mut self, id: &TaskId) {
        let Some(slot) = self.tasks.get(id) else {
            return;
        };
        let key = slot.wait_key();
        let channel = slot.task.spec.channel;
        if let Some(q) = self.queues.get_mut(&slot.task.spec.queue) {
            if slot.task.state.is_waiting() {
                q.waiting.remove(&key);
            }
            if slot.task.state == TaskState::Pending {
                let stage = (slot.stage, channel);
                if let Some(lb) = q.pending.get_mut(&stage) {
                    match &slot.task.spec.language {
                        None => {
                            lb.none.remove(&key);
                        }
                        Some(lang) => {
                            if let Some(b) = lb.by.get_mut(lang) {
                                b.remove(&key);
                                if b.is_empty() {
                                    lb.by.remove(lang);
                                }
                            }
                        }
                    }
                    if lb.none.is_empty() && lb.by.is_empty() {
                        q.pending.remove(&stage);
                    }
                }
            }
        }
        let timers = &mut self.timers;
        match &slot.task.state {
            TaskState::Offered { until_ms, .. } => {
                timers.offers.remove(&(*until_ms, id.clone()));
            }
            TaskState::WrapUp { until_ms, .. } => {
                timers.task_wrap_ups.remove(&(*until_ms, id.clone()));
            }
            _ => {}
        }
        if let Some(at) = slot.wait_deadline {
            timers.max_waits.remove(&(at, id.clone()));
        }
        if let Some(at) = slot.escalate_at
            && slot.task.state.is_waiting()
        {
            timers.escalations.remove(&(at, id.clone()));
        }
        self.dirty_tasks.remove(id);
    }

    /// Adds the task's derived entries as it is now; a pending task becomes dirty.
    pub(super) fn index_task(&mut self, id: &TaskId) {
        let max_wait = self
            .tasks
            .get(id)
            .and_then(|s| self.queues.get(&s.task.spec.queue))
            .and_then(|q| q.queue.spec.max_wait_ms);
        let Some(slot) = self.tasks.get_mut(id) else {
            return;
        };
        let waiting = slot.task.state.is_waiting();
        slot.wait_deadline = match (waiting, max_wait) {
            (true, Some(max)) => Some(slot.task.enqueued_ms.saturating_add(max)),
            _ => None,
        };
        let slot = &*slot;
        let key = slot.wait_key();
        let channel = slot.task.spec.channel;
        let pending = slot.task.state == TaskState::Pending;
        if let Some(q) = self.queues.get_mut(&slot.task.spec.queue) {
            if waiting {
                q.waiting.insert(key, id.clone());
            }
            if pending {
                let lb = q.pending.entry((slot.stage, channel)).or_default();
                let bucket = match &slot.task.spec.language {
                    None => &mut lb.none,
                    Some(lang) => lb.by.entry(lang.clone()).or_default(),
                };
                let entry = Pending {
                    id: id.clone(),
                    skips: !slot.task.skipped.is_empty(),
                };
                bucket.insert(key, entry);
                if q.queue.open {
                    self.dirty_tasks.insert(id.clone());
                }
            }
        }
        let timers = &mut self.timers;
        match &slot.task.state {
            TaskState::Offered { until_ms, .. } => {
                timers.offers.insert((*until_ms, id.clone()));
            }
            TaskState::WrapUp { until_ms, .. } => {
                timers.task_wrap_ups.insert((*until_ms, id.clone()));
            }
            _ => {}
        }
        if let Some(at) = slot.wait_deadline {
            timers.max_waits.insert((at, id.clone()));
        }
        if let Some(at) = slot.escalate_at
            && waiting
        {
            timers.escalations.insert((at, id.clone()));
        }
    }

    /// Counts the task in (or out of) the load of the agent holding it.
    pub(super) fn hold(&mut self, agent: &AgentId, task: &TaskId, channel: Channel, on: bool) {
        if let Some(a) = self.agents.get_mut(agent) {
            let load = &mut a.load[channel.index()];
            if on {
                *load += 1;
                a.holds.insert(task.clone());
            } else {
                *load = load.saturating_sub(1);
                a.holds.remove(task);
            }
        }
        self.refresh_free(agent);
    }

    /// Adds a task entering the router (routed already): its slot, its entries, its load.
    pub(super) fn insert_task(&mut self, slot: TaskSlot) {
        let id = slot.task.spec.id.clone();
        let holder = slot.task.state.agent().cloned();
        let channel = slot.task.spec.channel;
        self.tasks.insert(id.clone(), slot);
        self.index_task(&id);
        if let Some(agent) = holder {
            self.hold(&agent, &id, channel, true);
        }
    }

    /// Changes a live task: its derived entries are taken out, `f` runs, they go back in, and
    /// the load moves if another agent (or none) now holds it.
    pub(super) fn update_task(&mut self, id: &TaskId, f: impl FnOnce(&mut TaskSlot)) {
        self.unindex_task(id);
        let Some(slot) = self.tasks.get_mut(id) else {
            return;
        };
        let before = slot.task.state.agent().cloned();
        f(slot);
        let after = slot.task.state.agent().cloned();
        let channel = slot.task.spec.channel;
        self.index_task(id);
        if before != after {
            if let Some(agent) = before {
                self.hold(&agent, id, channel, false);
            }
            if let Some(agent) = after {
                self.hold(&agent, id, channel, true);
            }
        }
    }

    /// Matches a live task against its queue's rules again (`rematch`), or only moves it to
    /// the target of its rule in force, as of `now`.
    pub(super) fn reroute_task(&mut self, id: &TaskId, now: u64, rematch: bool) {
        self.unindex_task(id);
        if let Some(mut slot) = self.tasks.remove(id) {
            if rematch {
                self.route(&mut slot, now);
            } else {
                self.restage(&mut slot, now);
            }
            self.tasks.insert(id.clone(), slot);
        }
        self.index_task(id);
    }

    /// Matches the task against its queue's rules and sets its stage as of `now` (the time
    /// since it entered the queue decides the target). Call inside `update_task` or before
    /// the first `index_task`.
    pub(super) fn route(&self, slot: &mut TaskSlot, now: u64) {
        let Some(q) = self.queues.get(&slot.task.spec.queue) else {
            return;
        };
        let spec = &q.queue.spec;
        slot.rule = spec.rules.iter().position(|r| r.matches(&slot.task.spec));
        self.restage(slot, now);
    }

    /// Sets the stage, effective priority and next escalation of a task under its rule.
    pub(super) fn restage(&self, slot: &mut TaskSlot, now: u64) {
        let rule = slot.rule.and_then(|r| {
            let q = self.queues.get(&slot.task.spec.queue)?;
            Some((r, q.queue.spec.rules.get(r)?))
        });
        let base = i64::from(slot.task.spec.priority);
        (slot.stage, slot.priority, slot.escalate_at) = match rule {
            None => (Stage::Default, base, None),
            Some((r, rule)) => {
                let enqueued = slot.task.enqueued_ms;
                let (target, next) = rule.target_at(now.saturating_sub(enqueued));
                let at = next.map(|n| enqueued.saturating_add(n));
                match target.and_then(|t| Some((t, rule.targets.get(t)?))) {
                    Some((t, tg)) => (
                        Stage::Target { rule: r, target: t },
                        base + i64::from(tg.priority_bump),
                        at,
                    ),
                    None => (Stage::Default, base, at),
                }
            }
        };
    }

    /// Puts an agent's capacity back in line with their presence and load: their places
    /// among the free agents of the stages they belong to, and dirty when it grew.
    pub(super) fn refresh_free(&mut self, id: &AgentId) {
        let Some(slot) = self.agents.get_mut(id) else {
            return;
        };
        let available = slot.agent.presence == Presence::Available;
        let mut grew = false;
        let mut changed = [None; 3];
        for channel in Channel::ALL {
            let i = channel.index();
            let cap = slot.agent.spec.capacity.get(&channel).copied().unwrap_or(0);
            let free = if available {
                cap.saturating_sub(slot.load[i])
            } else {
                0
            };
            if (slot.free_cap[i] > 0) != (free > 0) {
                changed[i] = Some(free > 0);
            }
            grew |= free > slot.free_cap[i];
            slot.free_cap[i] = free;
        }
        for channel in Channel::ALL {
            if let Some(on) = changed[channel.index()] {
                self.list(id, channel, on);
            }
        }
        if grew {
            self.dirty_agents.insert(id.clone());
        }
    }

    /// Adds the agent to (or removes them from) the free agents on `channel` of every stage
    /// they belong to, under their current idle time.
    fn list(&mut self, id: &AgentId, channel: Channel, on: bool) {
        let Some(slot) = self.agents.get(id) else {
            return;
        };
        let key = (slot.agent.idle_since_ms, id.clone());
        for (queue, stages) in &slot.eligible {
            let Some(q) = self.queues.get_mut(queue) else {
                continue;
            };
            for stage in stages {
                if on {
                    q.free
                        .entry((*stage, channel))
                        .or_default()
                        .insert(key.clone());
                } else if let Some(set) = q.free.get_mut(&(*stage, channel)) {
                    set.remove(&key);
                    if set.is_empty() {
                        q.free.remove(&(*stage, channel));
                    }
                }
            }
        }
    }

    /// Changes an agent's presence, idle time or capacity (`update_agent`), or anything,
    /// the stages they belong to included (`update_agent_slot`): their free-agent entries and
    /// wrap-up timer follow.
    pub(super) fn update_agent(&mut self, id: &AgentId, f: impl FnOnce(&mut Agent)) {
        let Some(slot) = self.agents.get_mut(id) else {
            return;
        };
        let listed = slot.free_cap.map(|n| n > 0);
        let idle = slot.agent.idle_since_ms;
        if let Presence::WrapUp { until_ms } = slot.agent.presence {
            self.timers.agent_wrap_ups.remove(&(until_ms, id.clone()));
        }
        f(&mut slot.agent);
        if let Presence::WrapUp { until_ms } = slot.agent.presence {
            self.timers.agent_wrap_ups.insert((until_ms, id.clone()));
        }
        let now_idle = slot.agent.idle_since_ms;
        // The stages stay the same: entries only move to the new idle time, in one pass.
        if now_idle != idle && listed.contains(&true) {
            self.move_free(id, listed, idle, now_idle);
        }
        self.refresh_free(id);
    }

    /// Moves the agent's free-agent entries on the `listed` channels from one idle time to
    /// another.
    fn move_free(&mut self, id: &AgentId, listed: [bool; 3], from: u64, to: u64) {
        let Some(slot) = self.agents.get(id) else {
            return;
        };
        let (old, new) = ((from, id.clone()), (to, id.clone()));
        for (queue, stages) in &slot.eligible {
            let Some(q) = self.queues.get_mut(queue) else {
                continue;
            };
            for stage in stages {
                for channel in Channel::ALL {
                    if listed[channel.index()]
                        && let Some(set) = q.free.get_mut(&(*stage, channel))
                    {
                        set.remove(&old);
                        set.insert(new.clone());
                    }
                }
            }
        }
    }

    pub(super) fn update_agent_slot(&mut self, id: &AgentId, f: impl FnOnce(&mut AgentSlot)) {
        let Some(slot) = self.agents.get(id) else {
            return;
        };
        let listed = slot.free_cap.map(|n| n > 0);
        for channel in Channel::ALL {
            if listed[channel.index()] {
                self.list(id, channel, false);
            }
        }
        let Some(slot) = self.agents.get_mut(id) else {
            return;
        };
        if let Presence::WrapUp { until_ms } = slot.agent.presence {
            self.timers.agent_wrap_ups.remove(&(until_ms, id.clone()));
        }
        f(slot);
        if let Presence::WrapUp { until_ms } = slot.agent.presence {
            self.timers.agent_wrap_ups.insert((until_ms, id.clone()));
        }
        // Back under the (maybe new) idle time and stages, then in line with the change.
        for channel in Channel::ALL {
            if listed[channel.index()] {
                self.list(id, channel, true);
            }
        }
        self.refresh_free(id);
    }

    /// The stages of every queue the agent belongs to.
    pub(super) fn eligibility(&self, agent: &Agent) -> BTreeMap<QueueId, Vec<Stage>> {
        self.queues
            .iter()
            .filter_map(|(id, q)| {
                let s: Vec<Stage> = stages(&q.queue.spec)
                    .filter(|s| admits(&agent.spec, &q.queue.spec, *s))
                    .collect();
                (!s.is_empty()).then(|| (id.clone(), s))
            })
            .collect()
    }

    /// Recomputes which stages of `queue` every agent belongs to (after the queue changed),
    /// and with them the queue's free agents.
    pub(super) fn refresh_eligibility_for(&mut self, queue: &QueueId) {
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        q.free.clear();
        let spec = &q.queue.spec;
        for (id, slot) in self.agents.iter_mut() {
            let s: Vec<Stage> = stages(spec)
                .filter(|s| admits(&slot.agent.spec, spec, *s))
                .collect();
            for channel in Channel::ALL {
                if slot.free_cap[channel.index()] == 0 {
                    continue;
                }
                for stage in &s {
                    q.free
                        .entry((*stage, channel))
                        .or_default()
                        .insert((slot.agent.idle_since_ms, id.clone()));
                }
            }
            if s.is_empty() {
                slot.eligible.remove(queue);
            } else {
                slot.eligible.insert(queue.clone(), s);
            }
        }
    }

    /// Ends a live task in a final state: it leaves every index and joins the bounded list of
    /// recently finished tasks. A completion at `at` adds its handle time to its queue's
    /// history.
    pub(super) fn finish(&mut self, id: &TaskId, state: TaskState, at: u64) {
        self.unindex_task(id);
        let Some(slot) = self.tasks.remove(id) else {
            return;
        };
        let mut task = slot.task;
        if let Some(agent) = task.state.agent().cloned() {
            self.hold(&agent, id, task.spec.channel, false);
        }
        if let (TaskState::Completed { .. }, Some(assigned)) = (&state, task.assigned_ms)
            && let Some(q) = self.queues.get_mut(&task.spec.queue)
        {
            q.handle_times.push_back(at.saturating_sub(assigned));
            while q.handle_times.len() > self.config.handle_time_samples {
                q.handle_times.pop_front();
            }
        }
        task.state = state;
        self.remember_finished(task);
    }

    pub(super) fn remember_finished(&mut self, task: Task) {
        if self.config.finished_tasks_kept == 0 {
            return;
        }
        let id = task.spec.id.clone();
        if self.finished.insert(id.clone(), task).is_some() {
            self.finished_order.retain(|x| *x != id);
        }
        self.finished_order.push_back(id);
        while self.finished_order.len() > self.config.finished_tasks_kept {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }

    /// A task slot for a task entering the router, not yet routed or indexed.
    pub(super) fn slot(task: Task) -> TaskSlot {
        let priority = i64::from(task.spec.priority);
        TaskSlot {
            task,
            rule: None,
            stage: Stage::Default,
            priority,
            escalate_at: None,
            wait_deadline: None,
        }
    }

    /// A new agent's slot, not yet in the free sets.
    pub(super) fn agent_slot(&self, agent: Agent) -> AgentSlot {
        AgentSlot {
            eligible: self.eligibility(&agent),
            agent,
            load: [0; 3],
            holds: BTreeSet::new(),
            free_cap: [0; 3],
        }
    }

    /// Checks that every derived order matches a rebuild from scratch, that no pending task of
    /// an open queue has a free agent who could take it (the dispatch left nothing undone),
    /// and that nothing is left dirty. For tests and debugging: it costs a full rebuild.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut fresh = self.clone();
        for slot in fresh.agents.values_mut() {
            slot.load = [0; 3];
            slot.holds.clear();
            slot.free_cap = [0; 3];
        }
        fresh.timers = Default::default();
        for q in fresh.queues.values_mut() {
            q.waiting.clear();
            q.pending.clear();
            q.free.clear();
        }
        let ids: Vec<AgentId> = fresh.agents.keys().cloned().collect();
        for id in &ids {
            let eligible = fresh.eligibility(&fresh.agents[id].agent);
            if let Some(slot) = fresh.agents.get_mut(id) {
                slot.eligible = eligible;
            }
            fresh.update_agent(id, |_| {});
        }
        let ids: Vec<TaskId> = fresh.tasks.keys().cloned().collect();
        for id in &ids {
            let slot = &fresh.tasks[id];
            let matched = fresh.queues.get(&slot.task.spec.queue).and_then(|q| {
                q.queue
                    .spec
                    .rules
                    .iter()
                    .position(|r| r.matches(&slot.task.spec))
            });
            if slot.rule != matched {
                return Err(format!(
                    "task {id} has rule {:?}, not {matched:?}",
                    slot.rule
                ));
            }
            let holder = slot.task.state.agent().cloned();
            let channel = slot.task.spec.channel;
            fresh.index_task(id);
            if let Some(agent) = holder {
                fresh.hold(&agent, id, channel, true);
            }
        }
        fresh.dirty_agents.clear();
        fresh.dirty_tasks.clear();
        let same = |what: &str, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(format!("{what} differs from a rebuild"))
            }
        };
        same("timers", fresh.timers == self.timers)?;
        same("agents", fresh.agents == self.agents)?;
        same("queues", fresh.queues == self.queues)?;
        if !self.dirty_tasks.is_empty() || !self.dirty_agents.is_empty() {
            return Err("dirty after a handler".into());
        }
        for (id, slot) in &self.tasks {
            if slot.task.state.is_final() {
                return Err(format!("task {id} is final but live"));
            }
            let open = self
                .queues
                .get(&slot.task.spec.queue)
                .is_some_and(|q| q.queue.open);
            if slot.task.state == TaskState::Pending
                && open
                && let Some(agent) = self.best_agent(id)
            {
                return Err(format!("task {id} waits while {agent} could take it"));
            }
        }
        if self.finished.len() != self.finished_order.len()
            || self.finished.len() > self.config.finished_tasks_kept
            || self.tasks.keys().any(|id| self.finished.contains_key(id))
        {
            return Err("the finished list is inconsistent".into());
        }
        Ok(())
    }
}
