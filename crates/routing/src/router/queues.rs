//! Queues: add, update (skills, rules, timeouts, overflow, …) and open or close. A queue's
//! rules are checked in full before the router takes them (`rules::check_rules`).

use super::{QueueSlot, Result, Router, check_levels};
use crate::rules::check_rules;
use crate::{Queue, QueueId, QueueSpec, RoutingError, TaskId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

impl Router {
    /// Checks a queue's own fields, its rules and its overflow target (which must exist, not
    /// be the queue, and not lead back to it).
    pub(super) fn check_queue(&self, spec: &QueueSpec) -> Result<()> {
        check_levels(&spec.required_skills)?;
        if let Some(d) = check_rules(&spec.rules).into_iter().next() {
            return Err(RoutingError::InvalidRule {
                queue: spec.id.clone(),
                rule: d.rule,
                problem: d.problem,
            });
        }
        let Some(target) = &spec.overflow else {
            return Ok(());
        };
        if *target == spec.id {
            return Err(RoutingError::OverflowToSelf {
                queue: spec.id.clone(),
            });
        }
        let mut seen = BTreeSet::new();
        let mut next = Some(target);
        while let Some(q) = next {
            if *q == spec.id {
                return Err(RoutingError::OverflowCycle {
                    queue: spec.id.clone(),
                });
            }
            if !seen.insert(q) {
                break;
            }
            next = self
                .queues
                .get(q)
                .ok_or_else(|| RoutingError::UnknownQueue(q.clone()))?
                .queue
                .spec
                .overflow
                .as_ref();
        }
        Ok(())
    }

    /// Adds a queue, open or closed. Its overflow target must already exist.
    pub fn handle_add_queue(&mut self, spec: QueueSpec, open: bool, now: u64) -> Result<()> {
        if self.queues.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateQueue(spec.id));
        }
        self.check_queue(&spec)?;
        let id = spec.id.clone();
        self.queues.insert(
            id.clone(),
            QueueSlot {
                queue: Queue { spec, open },
                waiting: BTreeMap::new(),
                pending: BTreeMap::new(),
                free: BTreeMap::new(),
                handle_times: VecDeque::new(),
            },
        );
        self.refresh_eligibility_for(&id);
        self.dispatch(now);
        Ok(())
    }

    /// Changes a queue's settings; it stays open or closed. Its tasks are matched
    /// against the new rules (a rule's targets count from when each task entered the queue),
    /// their maximum wait counts from the same instant under the new limit (a task already
    /// past a shortened limit overflows or times out now), and open offers stand. Then
    /// whatever the new settings allow is offered.
    pub fn handle_update_queue(&mut self, spec: QueueSpec, now: u64) -> Result<()> {
        self.known_queue(&spec.id)?;
        self.check_queue(&spec)?;
        let id = spec.id.clone();
        // Every live task of the queue (a walk over all tasks: updates are rare), so the
        // rule each one is under is always that of the current rules.
        let mut waiting: Vec<TaskId> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.task.spec.queue == id)
            .map(|(task, _)| task.clone())
            .collect();
        waiting.sort_unstable();
        for task in &waiting {
            self.unindex_task(task);
        }
        if let Some(q) = self.queues.get_mut(&id) {
            q.queue.spec = spec;
        }
        self.refresh_eligibility_for(&id);
        for task in &waiting {
            if let Some(mut slot) = self.tasks.remove(task) {
                self.route(&mut slot, now);
                self.tasks.insert(task.clone(), slot);
            }
            self.index_task(task);
        }
        self.expire_waits(now);
        self.dispatch(now);
        Ok(())
    }

    /// Removes a queue that holds no live task and that no other queue overflows to.
    pub fn handle_remove_queue(&mut self, queue: &QueueId, now: u64) -> Result<()> {
        self.known_queue(queue)?;
        let busy = self.tasks.values().any(|t| t.task.spec.queue == *queue)
            || self
                .queues
                .values()
                .any(|q| q.queue.spec.overflow.as_ref() == Some(queue));
        if busy {
            return Err(RoutingError::QueueInUse(queue.clone()));
        }
        self.queues.remove(queue);
        for slot in self.agents.values_mut() {
            slot.eligible.remove(queue);
        }
        self.dispatch(now);
        Ok(())
    }

    /// Opens or closes a queue (the caller decides business hours). A closed queue keeps its
    /// tasks in their order, and their maximum wait keeps running, but offers none; open
    /// offers stand. Opening offers its tasks in order.
    pub fn handle_queue_open(&mut self, queue: &QueueId, open: bool, now: u64) -> Result<()> {
        self.known_queue(queue)?;
        let Some(q) = self.queues.get_mut(queue) else {
            return Ok(());
        };
        let opening = open && !q.queue.open;
        q.queue.open = open;
        if opening {
            let pending = q
                .pending
                .values()
                .flat_map(|lb| {
                    lb.none
                        .values()
                        .chain(lb.by.values().flat_map(|b| b.values()))
                })
                .map(|p| p.id.clone());
            self.dirty_tasks.extend(pending);
        }
        self.dispatch(now);
        Ok(())
    }
}
