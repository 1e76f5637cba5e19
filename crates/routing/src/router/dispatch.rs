//! Offers. The rule is that of one greedy pass: every pending task of an open queue, best
//! first (`GlobalKey`), goes to the longest-idle agent who may take it. Making that pass after
//! every input would cost a scan of every waiting task; instead the router keeps it true that
//! after each handler no pending task has a free agent who could take it, and then only what
//! changed can produce an offer: a task that became pending (it may find any free agent) or an
//! agent whose free capacity grew (they may find any pending task they are admitted to).
//!
//! `dispatch` puts each dirty task, and for each dirty agent the best task that agent could
//! take, into one heap ordered as the greedy pass is. The smallest entry is the task the pass
//! would serve next (an agent's entry may be stale, but stale entries only ever sort too
//! early, so they are re-checked and replaced), and it goes to the longest-idle agent who may
//! take it: the first suitable one among its queue's free agents of its stage and channel, in
//! idle order. So the offers are the greedy pass's, at the cost of the heap and a few
//! ordered-map look-ups per offer. `Router::check_invariants` checks the premise (no pending
//! task with a free agent who could take it) after every step of the tests.

use super::{GlobalKey, Router};
use crate::{ANY_LANGUAGE, AgentId, Channel, Event, TaskId, TaskState};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What sits in the dispatch heap: a dirty task, or a dirty agent with the best task they
/// could take when it was pushed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Candidate {
    Task(TaskId),
    Agent(AgentId, TaskId),
}

impl Router {
    /// Offers what the changes since the last dispatch make possible.
    pub(super) fn dispatch(&mut self, now: u64) {
        while !self.dirty_tasks.is_empty() || !self.dirty_agents.is_empty() {
            let tasks = std::mem::take(&mut self.dirty_tasks);
            let agents = std::mem::take(&mut self.dirty_agents);
            let mut heap = BinaryHeap::new();
            for t in tasks {
                if let Some(key) = self.pending_key(&t) {
                    heap.push(Reverse((key, Candidate::Task(t))));
                }
            }
            for a in agents {
                if let Some((key, t)) = self.pull(&a) {
                    heap.push(Reverse((key, Candidate::Agent(a, t))));
                }
            }
            while let Some(Reverse((key, candidate))) = heap.pop() {
                match candidate {
                    Candidate::Task(t) => {
                        if self.pending_key(&t) == Some(key)
                            && let Some(agent) = self.best_agent(&t)
                        {
                            self.offer_now(&t, &agent, now);
                        }
                    }
                    Candidate::Agent(a, t) => {
                        let current = self.pending_key(&t) == Some(key);
                        let mut offered = false;
                        if current
                            && self.can_take(&a, &t)
                            && let Some(agent) = self.best_agent(&t)
                        {
                            self.offer_now(&t, &agent, now);
                            offered = true;
                        }
                        // Pull again only when something moved: were the candidate still
                        // current and unoffered, the agent would pull the same task forever.
                        if (offered || !current)
                            && let Some((key, t)) = self.pull(&a)
                        {
                            heap.push(Reverse((key, Candidate::Agent(a, t))));
                        }
                    }
                }
            }
        }
    }

    /// Offers the task to the agent until the queue's offer timeout.
    fn offer_now(&mut self, task: &TaskId, agent: &AgentId, now: u64) {
        let timeout = self
            .tasks
            .get(task)
            .and_then(|t| self.queues.get(&t.task.spec.queue))
            .map_or(0, |q| q.queue.spec.offer_timeout_ms);
        self.offer(task, agent, now.saturating_add(timeout));
    }

    /// Makes the offer (whatever the queue's rules say: the callers have checked).
    pub(super) fn offer(&mut self, task: &TaskId, agent: &AgentId, until_ms: u64) {
        if !self.tasks.contains_key(task) {
            return;
        }
        self.update_task(task, |slot| {
            slot.task.state = TaskState::Offered {
                agent: agent.clone(),
                until_ms,
            };
        });
        self.events.push_back(Event::OfferMade {
            task: task.clone(),
            agent: agent.clone(),
            expires_at_ms: until_ms,
        });
    }

    /// The task's place in the greedy order, if it is pending in an open queue.
    fn pending_key(&self, task: &TaskId) -> Option<GlobalKey> {
        let slot = self.tasks.get(task)?;
        let q = self.queues.get(&slot.task.spec.queue)?;
        if slot.task.state != TaskState::Pending || !q.queue.open {
            return None;
        }
        let (priority, created, seq) = slot.wait_key();
        Some((priority, Reverse(q.queue.spec.priority), created, seq))
    }

    /// Whether the agent, as they are now, may be offered the pending task.
    pub(super) fn can_take(&self, agent: &AgentId, task: &TaskId) -> bool {
        let (Some(a), Some(t)) = (self.agents.get(agent), self.tasks.get(task)) else {
            return false;
        };
        let spec = &t.task.spec;
        a.free_cap[spec.channel.index()] > 0
            && !t.task.skipped.contains(agent)
            && spec
                .language
                .as_ref()
                .is_none_or(|l| a.agent.spec.speaks(l))
            && a.eligible
                .get(&spec.queue)
                .is_some_and(|stages| stages.contains(&t.stage))
    }

    /// The longest-idle free agent who may take the task (ties by agent id): the first of
    /// the free agents of its queue, stage and channel who speaks its language and has not
    /// been skipped for it.
    pub(super) fn best_agent(&self, task: &TaskId) -> Option<AgentId> {
        let t = self.tasks.get(task)?;
        let spec = &t.task.spec;
        let q = self.queues.get(&spec.queue)?;
        q.free
            .get(&(t.stage, spec.channel))?
            .iter()
            .map(|(_, id)| id)
            .find(|id| {
                !t.task.skipped.contains(*id)
                    && spec.language.as_ref().is_none_or(|l| {
                        self.agents.get(*id).is_some_and(|a| a.agent.spec.speaks(l))
                    })
            })
            .cloned()
    }

    /// The best pending task (in the greedy order) the agent may take, with its key.
    fn pull(&self, agent: &AgentId) -> Option<(GlobalKey, TaskId)> {
        let a = self.agents.get(agent)?;
        if a.free_cap.iter().all(|n| *n == 0) {
            return None;
        }
        let mut best: Option<(GlobalKey, &TaskId)> = None;
        for (queue, stages) in &a.eligible {
            let Some(q) = self.queues.get(queue) else {
                continue;
            };
            if !q.queue.open || q.pending.is_empty() {
                continue;
            }
            let queue_priority = Reverse(q.queue.spec.priority);
            for stage in stages {
                for channel in Channel::ALL {
                    if a.free_cap[channel.index()] == 0 {
                        continue;
                    }
                    let Some(lb) = q.pending.get(&(*stage, channel)) else {
                        continue;
                    };
                    let spoken: Vec<_> = if a.agent.spec.languages.contains(ANY_LANGUAGE) {
                        lb.by.values().collect()
                    } else {
                        a.agent
                            .spec
                            .languages
                            .iter()
                            .filter_map(|l| lb.by.get(l))
                            .collect()
                    };
                    for bucket in std::iter::once(&lb.none).chain(spoken) {
                        for (key, pending) in bucket {
                            let global = (key.0, queue_priority, key.1, key.2);
                            if best.is_some_and(|(b, _)| b <= global) {
                                // Everything after this entry sorts later still.
                                break;
                            }
                            let skipped = pending.skips
                                && self
                                    .tasks
                                    .get(&pending.id)
                                    .is_some_and(|t| t.task.skipped.contains(agent));
                            if !skipped {
                                best = Some((global, &pending.id));
                                break;
                            }
                        }
                    }
                }
            }
        }
        best.map(|(key, id)| (key, id.clone()))
    }
}
