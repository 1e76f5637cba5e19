//! One tenant's contact centre in memory: the router, the task records around it, the queue
//! configurations and agent profiles, and how the router's events become a store write, desk
//! events and changes to conversations (`drain`). No IO here: the caller stores and publishes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::{ConversationId, Timestamp, UserId};
use routing::{
    AgentId, AgentSpec, Channel, Event, Presence, QueueId, QueueSpec, RequeueReason, Router,
    TaskId, TaskState, WithdrawReason,
};
use store::{CcAgent, CcPresenceChange, CcTask, CcWrite};

use super::model::{
    AgentProfile, AgentView, DeskEvent, QueueConfig, TaskRecord, TaskView, presence_name,
};
use crate::{AppError, AppResult};

/// Priority of a crisis hand-over: above anything a flow may set.
pub(crate) const CRISIS_PRIORITY: i32 = 1_000_000;

/// The shortest time between two position announcements to one caller.
const POSITION_EVERY_MS: u64 = 30_000;

/// A change to a conversation that follows from a routing decision; carried out after the
/// store write, under the conversation's lock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConvAction {
    /// An agent took the conversation: the bot stops, the caller is told who joined.
    Assigned {
        conversation: ConversationId,
        agent: UserId,
        agent_name: String,
        task: String,
    },
    /// The agent left (went away or offline, or transferred it): back to waiting.
    BackToQueue { conversation: ConversationId },
    /// The agent ended the conversation.
    Ended { conversation: ConversationId },
    /// The caller's place in the queue changed.
    Position {
        conversation: ConversationId,
        position: u32,
        wait_secs: u64,
    },
    /// The queue's maximum wait passed with nowhere to overflow: the caller is offered a
    /// call-back, a message or the crisis numbers.
    MaxWait { conversation: ConversationId },
    /// An agent took the task of a caller waiting for a call-back: Hotline calls them.
    CallBack {
        conversation: ConversationId,
        agent: UserId,
        agent_name: String,
        number: domain::Redacted<String>,
        from: String,
    },
    /// The call-back was not answered; the task waits in its queue for the next attempt.
    CallBackAgain {
        conversation: ConversationId,
        attempts: u32,
    },
    /// The call-back was not answered at its last attempt: the conversation ends.
    CallBackGaveUp { conversation: ConversationId },
}

/// Forgets a call-back's number once the task no longer needs it (wrap-up or a final state).
fn forget_number(record: &mut TaskRecord) {
    if let Some(c) = &mut record.call_back {
        c.number.clear();
    }
}

/// What one operation changed, ready to store and publish.
#[derive(Debug, Default)]
pub(crate) struct Drained {
    pub(crate) write: CcWrite,
    pub(crate) desk: Vec<DeskEvent>,
    pub(crate) conversations: Vec<ConvAction>,
}

/// One tenant's contact centre.
#[derive(Debug)]
pub(crate) struct Centre {
    pub(crate) router: Router,
    /// Live tasks (and those that ended in this operation, until drained).
    pub(crate) tasks: HashMap<String, TaskRecord>,
    /// The live task of each conversation.
    pub(crate) by_conversation: HashMap<ConversationId, String>,
    pub(crate) queues: BTreeMap<String, QueueConfig>,
    pub(crate) hours: BTreeMap<String, flow::BusinessHours>,
    pub(crate) agents: BTreeMap<UserId, AgentProfile>,
    pub(crate) presence_since: BTreeMap<UserId, Timestamp>,
    pub(crate) names: HashMap<UserId, String>,
    /// Queues created by an `enqueue` naming them, to be stored.
    pub(crate) new_queues: Vec<String>,
    /// The position each waiting task was last told, and when.
    pub(crate) told: HashMap<String, (u32, u64)>,
    /// Tasks whose conversation an agent holds (assigned, not yet ended).
    pub(crate) with_agent: BTreeSet<String>,
    /// Tasks changed by the current operation (beyond those named by events).
    pub(crate) touched: BTreeSet<String>,
    /// Agents whose profile changed in the current operation.
    pub(crate) touched_agents: BTreeSet<UserId>,
    /// Waiting tasks whose callers were told their options after the maximum wait.
    pub(crate) max_wait_told: BTreeSet<String>,
    /// Conversation changes decided outside the router's events (the maximum wait).
    pub(crate) pending_actions: Vec<ConvAction>,
}

/// The router's id of a user.
pub(crate) fn agent_id(user: UserId) -> AgentId {
    AgentId::new(user.to_string())
}

/// The router's spec of a queue.
pub(crate) fn queue_spec(name: &str, c: &QueueConfig) -> QueueSpec {
    QueueSpec {
        id: QueueId::new(name),
        priority: c.priority,
        required_skills: c.required_skills.clone(),
        language: c.language.clone(),
        // The router moves a task on after the maximum wait only to an overflow queue; without
        // one the caller keeps their place and is told their options (`Centre::tick`).
        max_wait_ms: c
            .max_wait_secs
            .filter(|_| c.overflow.is_some())
            .map(|s| u64::from(s) * 1000),
        overflow: c.overflow.as_deref().map(QueueId::new),
        offer_timeout_ms: u64::from(c.offer_timeout_secs.max(1)) * 1000,
        wrap_up_ms: u64::from(c.wrap_up_secs) * 1000,
        rules: c.rules.clone(),
        default_handle_ms: QueueSpec::DEFAULT_HANDLE_MS,
    }
}

/// The router's spec of an agent.
pub(crate) fn agent_spec(user: UserId, p: &AgentProfile) -> AgentSpec {
    let mut capacity = BTreeMap::new();
    capacity.insert(Channel::Voice, p.voice);
    capacity.insert(Channel::Chat, p.chat);
    capacity.insert(Channel::Sms, p.chat);
    // An agent who names no language takes every language.
    let languages = if p.languages.is_empty() {
        [routing::ANY_LANGUAGE.to_owned()].into()
    } else {
        p.languages.clone()
    };
    AgentSpec {
        id: agent_id(user),
        skills: p.skills.clone(),
        languages,
        capacity,
    }
}

/// A routing refusal as the API shows it: a clear problem, nothing changed.
pub(crate) fn refused(e: routing::RoutingError) -> AppError {
    use routing::RoutingError as R;
    match &e {
        R::UnknownTask(_) => AppError::NotFound,
        R::UnknownQueue(_) => AppError::field("queue", "there is no such queue"),
        R::UnknownAgent(_) => AppError::field("agent_id", "there is no such agent"),
        R::AlreadyTaken { .. } => AppError::Refused {
            code: "already-taken",
            detail: "another agent has already taken this conversation",
        },
        R::OfferExpired(_) => AppError::Refused {
            code: "offer-expired",
            detail: "the offer has expired",
        },
        R::NotOffered(_) | R::OfferedToOther { .. } => AppError::Refused {
            code: "not-offered",
            detail: "this task is not offered to you",
        },
        R::TaskFinished(_) => AppError::Refused {
            code: "task-finished",
            detail: "this task is finished",
        },
        R::NotAssigned { .. } => AppError::Refused {
            code: "not-yours",
            detail: "this task is not yours",
        },
        R::SkillMismatch { .. } => AppError::field(
            "agent_id",
            "the agent lacks the skills or language of the queue",
        ),
        R::AtCapacity { .. } => AppError::Refused {
            code: "at-capacity",
            detail: "the agent has no free capacity for this channel",
        },
        R::AgentUnavailable(_) => AppError::Refused {
            code: "agent-unavailable",
            detail: "the agent is not available",
        },
        R::AgentBusyWithTasks(_) => AppError::Refused {
            code: "agent-busy",
            detail: "the agent still holds tasks",
        },
        R::QueueInUse(_) => AppError::Refused {
            code: "queue-in-use",
            detail: "the queue still holds tasks or is another queue's overflow",
        },
        R::NotWaiting(_) => AppError::Refused {
            code: "not-waiting",
            detail: "the task is not waiting",
        },
        R::InvalidSkillLevel { .. } => AppError::field("skills", "levels are 0 to 10"),
        R::OverflowToSelf { .. } => {
            AppError::field("overflow", "a queue cannot overflow to itself")
        }
        R::OverflowCycle { .. } => {
            AppError::field("overflow", "the overflow leads back to this queue")
        }
        R::InvalidRule { rule, problem, .. } => {
            AppError::field("rules", format!("rule {rule}: {problem}"))
        }
        R::HeldByUnknownAgent { .. } | R::OverCapacity { .. } | R::DuplicateSeq { .. } => {
            AppError::Internal(anyhow::anyhow!("stored contact-centre rows disagree: {e}"))
        }
        R::WrapUpNotSettable => AppError::field("presence", "wrap-up is set by the system"),
        R::DuplicateAgent(_) | R::DuplicateQueue(_) | R::DuplicateTask(_) => {
            AppError::Conflict("contact-centre object")
        }
    }
}

fn ts(ms: u64) -> Timestamp {
    Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

impl Centre {
    /// An empty centre around a fresh router.
    pub(crate) fn new(router: Router) -> Self {
        Centre {
            router,
            tasks: HashMap::new(),
            by_conversation: HashMap::new(),
            queues: BTreeMap::new(),
            hours: BTreeMap::new(),
            agents: BTreeMap::new(),
            presence_since: BTreeMap::new(),
            names: HashMap::new(),
            new_queues: Vec::new(),
            told: HashMap::new(),
            with_agent: BTreeSet::new(),
            touched: BTreeSet::new(),
            touched_agents: BTreeSet::new(),
            max_wait_told: BTreeSet::new(),
            pending_actions: Vec::new(),
        }
    }

    pub(crate) fn live_task_count(&self) -> usize {
        self.tasks.len()
    }

    /// Ensures the queue exists in the router (a queue an `enqueue` node names is created
    /// with the defaults the first time).
    pub(crate) fn ensure_queue(&mut self, name: &str, now: u64) -> AppResult<bool> {
        if self.queues.contains_key(name) {
            return Ok(false);
        }
        let config = QueueConfig::default();
        self.router
            .handle_add_queue(queue_spec(name, &config), true, now)
            .map_err(refused)?;
        self.queues.insert(name.to_owned(), config);
        self.new_queues.push(name.to_owned());
        Ok(true)
    }

    /// Ensures a user is known to the router as an agent (offline, default profile).
    pub(crate) fn ensure_agent(&mut self, user: UserId, now: u64) -> AppResult<()> {
        if self.agents.contains_key(&user) {
            return Ok(());
        }
        let profile = AgentProfile::default();
        self.router
            .handle_add_agent(agent_spec(user, &profile), Presence::Offline, now)
            .map_err(refused)?;
        self.agents.insert(user, profile);
        self.presence_since.insert(user, ts(now));
        self.touched_agents.insert(user);
        Ok(())
    }

    /// Opens and closes queues by their business hours; returns how many changed.
    pub(crate) fn apply_hours(&mut self, now: u64) -> usize {
        let mut changed = 0;
        for (name, hours) in &self.hours {
            let open = hours.is_open(i64::try_from(now).unwrap_or(i64::MAX));
            let id = QueueId::new(name.as_str());
            if self.router.queue(&id).is_some_and(|q| q.open != open)
                && self.router.handle_queue_open(&id, open, now).is_ok()
            {
                changed += 1;
            }
        }
        changed
    }

    /// Timers: business hours, the router's own (offers, wrap-ups, maximum waits with an
    /// overflow), and callers who waited past their queue's maximum wait with nowhere to
    /// overflow: they keep their place and are told their options, once.
    pub(crate) fn tick(&mut self, now: u64) -> usize {
        let mut n = self.apply_hours(now);
        for r in self.tasks.values() {
            let Some(config) = self.queues.get(r.queue()) else {
                continue;
            };
            let Some(max) = config.max_wait_secs.filter(|_| config.overflow.is_none()) else {
                continue;
            };
            if r.routing.state.is_waiting()
                && now.saturating_sub(r.routing.enqueued_ms) >= u64::from(max) * 1000
                && self.max_wait_told.insert(r.id.clone())
            {
                self.pending_actions.push(ConvAction::MaxWait {
                    conversation: r.conversation_id,
                });
                n += 1;
            }
        }
        if self.router.poll_timeout().is_some_and(|t| t <= now) {
            self.router.handle_timeout(now);
            n += 1;
        }
        n
    }

    /// The pseudonymous name of a conversation's caller.
    pub(crate) fn contact_of(conversation: ConversationId) -> String {
        let text = conversation.to_string();
        let short: String = text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(6)
            .collect();
        format!("K-{}", short.to_uppercase())
    }

    /// A task as the desk shows it.
    pub(crate) fn view(&self, record: &TaskRecord) -> TaskView {
        let id = TaskId::new(record.id.as_str());
        let offer_expires_at = match &record.routing.state {
            TaskState::Offered { until_ms, .. } => Some(ts(*until_ms)),
            _ => None,
        };
        // The router's expected wait: ⌈position ÷ agents who could take it (not offline)⌉ ×
        // the queue's recent average handle time (see `Router::estimated_wait_ms`).
        let position = self.router.position(&id);
        let estimated_wait_secs = self.router.estimated_wait_ms(&id).map(|ms| ms / 1000);
        TaskView {
            record: record.clone(),
            contact: Self::contact_of(record.conversation_id),
            offer_expires_at,
            position,
            estimated_wait_secs,
        }
    }

    pub(crate) fn agent_view(&self, user: UserId) -> AgentView {
        let router_agent = self.router.agent(&agent_id(user));
        let presence = router_agent.map_or(Presence::Offline, |a| a.presence);
        let wrap_up_until = match presence {
            Presence::WrapUp { until_ms } => Some(ts(until_ms)),
            _ => None,
        };
        let mut tasks: Vec<&TaskRecord> = self
            .tasks
            .values()
            .filter(|t| {
                t.agent() == Some(user)
                    && matches!(
                        t.routing.state,
                        TaskState::Assigned { .. } | TaskState::WrapUp { .. }
                    )
            })
            .collect();
        tasks.sort_by_key(|t| t.created_at);
        AgentView {
            user_id: user,
            username: String::new(),
            display_name: self.names.get(&user).cloned().unwrap_or_default(),
            profile: self.agents.get(&user).cloned().unwrap_or_default(),
            presence: presence_name(presence),
            presence_since: self
                .presence_since
                .get(&user)
                .copied()
                .unwrap_or(Timestamp::from_millis(0)),
            wrap_up_until,
            tasks: tasks.into_iter().map(|t| t.id.clone()).collect(),
        }
    }

    fn agent_row(&self, user: UserId, now: Timestamp) -> Option<CcAgent> {
        let profile = self.agents.get(&user)?;
        let presence = self
            .router
            .agent(&agent_id(user))
            .map_or(Presence::Offline, |a| a.presence);
        Some(CcAgent {
            user_id: user,
            profile: serde_json::to_string(profile).ok()?,
            presence: serde_json::to_string(&presence).ok()?,
            presence_since: self.presence_since.get(&user).copied().unwrap_or(now),
            updated_at: now,
        })
    }

    fn task_row(record: &TaskRecord, now: Timestamp) -> Option<CcTask> {
        Some(CcTask {
            id: record.id.clone(),
            conversation_id: record.conversation_id,
            queue: record.queue().to_owned(),
            state: record.state_name().to_owned(),
            agent_id: record.agent(),
            live: !record.routing.state.is_final(),
            record: domain::Redacted::new(serde_json::to_string(record).ok()?),
            created_at: record.created_at,
            updated_at: now,
        })
    }

    /// Refreshes a record from the router (which may forget a finished task), or sets the
    /// final state an event named.
    fn refresh(&mut self, task: &TaskId, fallback: Option<TaskState>) {
        let Some(record) = self.tasks.get_mut(task.as_str()) else {
            return;
        };
        match self.router.task(task) {
            Some(t) => record.routing = t.clone(),
            None => {
                if let Some(state) = fallback {
                    record.routing.state = state;
                }
            }
        }
        self.touched.insert(task.as_str().to_owned());
    }

    /// Turns the router's events into a store write, desk events and conversation changes.
    pub(crate) fn drain(&mut self, now: Timestamp) -> Drained {
        let mut out = Drained {
            conversations: std::mem::take(&mut self.pending_actions),
            ..Drained::default()
        };
        let mut queues_moved: BTreeSet<String> = BTreeSet::new();
        while let Some(event) = self.router.poll_event() {
            match event {
                Event::TaskEscalated { task, queue, .. } => {
                    self.refresh(&task, None);
                    queues_moved.insert(queue.to_string());
                }
                Event::OfferMade { task, agent, .. } => {
                    self.refresh(&task, None);
                    if let (Some(r), Ok(user)) =
                        (self.tasks.get(task.as_str()), agent.as_str().parse())
                    {
                        out.desk.push(DeskEvent::Offer {
                            agent: user,
                            task: Box::new(self.view(r)),
                        });
                    }
                }
                Event::OfferWithdrawn {
                    task,
                    agent,
                    reason,
                } => {
                    self.refresh(&task, None);
                    if let Ok(user) = agent.as_str().parse() {
                        out.desk.push(DeskEvent::OfferWithdrawn {
                            agent: user,
                            task_id: task.to_string(),
                            reason: match reason {
                                WithdrawReason::Expired => "expired",
                                WithdrawReason::Cancelled => "cancelled",
                                WithdrawReason::Overflowed => "overflowed",
                                WithdrawReason::Transferred => "transferred",
                                WithdrawReason::AgentUnavailable => "unavailable",
                                WithdrawReason::AgentUpdated => "agent_updated",
                            },
                        });
                    }
                }
                Event::TaskAssigned { task, agent } => {
                    self.refresh(&task, None);
                    if let Some(r) = self.tasks.get_mut(task.as_str()) {
                        r.answered_at = Some(now);
                        self.with_agent.insert(r.id.clone());
                        self.told.remove(&r.id);
                        if let Ok(user) = agent.as_str().parse::<UserId>() {
                            let agent_name = self.names.get(&user).cloned().unwrap_or_default();
                            out.conversations.push(match r.call_back.as_ref() {
                                Some(c) if c.pending() => ConvAction::CallBack {
                                    conversation: r.conversation_id,
                                    agent: user,
                                    agent_name,
                                    number: domain::Redacted::new(c.number.clone()),
                                    from: c.from.clone(),
                                },
                                _ => ConvAction::Assigned {
                                    conversation: r.conversation_id,
                                    agent: user,
                                    agent_name,
                                    task: r.id.clone(),
                                },
                            });
                        }
                    }
                }
                Event::TaskRequeued {
                    task,
                    queue,
                    reason,
                } => {
                    self.refresh(&task, None);
                    queues_moved.insert(queue.to_string());
                    let back = matches!(
                        reason,
                        RequeueReason::Transferred
                            | RequeueReason::AgentUnavailable
                            | RequeueReason::AgentUpdated
                    ) && self.with_agent.remove(task.as_str());
                    if back && let Some(r) = self.tasks.get(task.as_str()) {
                        out.conversations.push(match r.call_back.as_ref() {
                            Some(c) if c.pending() => ConvAction::CallBackAgain {
                                conversation: r.conversation_id,
                                attempts: c.attempts,
                            },
                            _ => ConvAction::BackToQueue {
                                conversation: r.conversation_id,
                            },
                        });
                    }
                }
                Event::TaskOverflowed { task, to, .. } => {
                    self.refresh(&task, None);
                    queues_moved.insert(to.to_string());
                }
                Event::TaskTimedOut { task, .. } => {
                    self.refresh(&task, Some(TaskState::TimedOut));
                    if let Some(r) = self.tasks.get_mut(task.as_str()) {
                        r.ended_at = Some(now);
                        forget_number(r);
                        out.conversations.push(ConvAction::MaxWait {
                            conversation: r.conversation_id,
                        });
                    }
                }
                Event::TaskWrapUp {
                    task,
                    agent,
                    until_ms,
                } => {
                    self.refresh(
                        &task,
                        Some(TaskState::WrapUp {
                            agent: agent.clone(),
                            until_ms,
                        }),
                    );
                    if let Some(r) = self.tasks.get_mut(task.as_str()) {
                        r.talk_ended_at.get_or_insert(now);
                        if self.with_agent.remove(&r.id) {
                            let conversation = r.conversation_id;
                            out.conversations.push(
                                if r.call_back.as_ref().is_some_and(|c| {
                                    c.pending() && c.attempts >= super::MAX_CALL_BACK_ATTEMPTS
                                }) {
                                    ConvAction::CallBackGaveUp { conversation }
                                } else {
                                    ConvAction::Ended { conversation }
                                },
                            );
                        }
                        forget_number(r);
                    }
                }
                Event::TaskCompleted { task, agent } => {
                    self.refresh(&task, Some(TaskState::Completed { agent }));
                    if let Some(r) = self.tasks.get_mut(task.as_str()) {
                        r.ended_at = Some(now);
                        forget_number(r);
                    }
                }
                Event::TaskAbandoned { task } => {
                    self.refresh(&task, Some(TaskState::Abandoned));
                    if let Some(r) = self.tasks.get_mut(task.as_str()) {
                        r.ended_at = Some(now);
                        forget_number(r);
                        queues_moved.insert(r.queue().to_owned());
                    }
                }
                Event::TaskCancelled { task } => {
                    self.refresh(&task, Some(TaskState::Cancelled));
                    if let Some(r) = self.tasks.get_mut(task.as_str()) {
                        r.ended_at = Some(now);
                        forget_number(r);
                        queues_moved.insert(r.queue().to_owned());
                    }
                }
                Event::AgentPresenceChanged { agent, presence } => {
                    if let Ok(user) = agent.as_str().parse::<UserId>() {
                        self.presence_since.insert(user, now);
                        self.touched_agents.insert(user);
                        out.write.presence.push(CcPresenceChange {
                            user_id: user,
                            presence: presence_name(presence).to_owned(),
                            at: now,
                        });
                        out.desk.push(DeskEvent::Presence { agent: user });
                    }
                }
            }
        }
        // Desk updates and rows for every task this operation changed.
        let touched = std::mem::take(&mut self.touched);
        for id in &touched {
            let Some(record) = self.tasks.get(id) else {
                continue;
            };
            if let Some(row) = Self::task_row(record, now) {
                out.write.tasks.push(row);
            }
            if let Some(user) = record.agent().or_else(|| {
                // A final task names no agent in its state; tell the one who held it.
                match &record.routing.state {
                    TaskState::Completed { agent } => agent.as_str().parse().ok(),
                    _ => None,
                }
            }) && !matches!(record.routing.state, TaskState::Offered { .. })
            {
                out.desk.push(DeskEvent::Task {
                    agent: user,
                    task: Box::new(self.view(record)),
                });
            }
            queues_moved.insert(record.queue().to_owned());
        }
        for name in std::mem::take(&mut self.new_queues) {
            if let Some(config) = self.queues.get(&name)
                && let Ok(json) = serde_json::to_string(config)
            {
                out.write.queues.push(store::CcQueue {
                    name,
                    config: json,
                    updated_at: now,
                });
            }
        }
        for user in std::mem::take(&mut self.touched_agents) {
            if let Some(row) = self.agent_row(user, now) {
                out.write.agents.push(row);
            }
        }
        // Tell waiting callers of the queues that moved their new place: at once the first
        // time, then at most every `POSITION_EVERY_MS` (a caller far back would otherwise
        // read a new number for every caller served ahead of them).
        let now_ms = u64::try_from(now.millis()).unwrap_or(0);
        let due: Vec<(String, ConversationId)> = self
            .tasks
            .values()
            .filter(|r| r.routing.state.is_waiting() && queues_moved.contains(r.queue()))
            .filter(|r| {
                self.told
                    .get(&r.id)
                    .is_none_or(|(_, at)| now_ms.saturating_sub(*at) >= POSITION_EVERY_MS)
            })
            .map(|r| (r.id.clone(), r.conversation_id))
            .collect();
        for (id, conversation) in due {
            let tid = TaskId::new(id.as_str());
            let Some(position) = self.router.position(&tid) else {
                continue;
            };
            if self.told.get(&id).is_some_and(|(p, _)| *p == position) {
                continue;
            }
            self.told.insert(id.clone(), (position, now_ms));
            let wait_secs = self.router.estimated_wait_ms(&tid).unwrap_or(0) / 1000;
            out.conversations.push(ConvAction::Position {
                conversation,
                position,
                wait_secs,
            });
        }
        // Forget what is over.
        let finished: Vec<String> = self
            .tasks
            .values()
            .filter(|r| r.routing.state.is_final())
            .map(|r| r.id.clone())
            .collect();
        for id in finished {
            if let Some(r) = self.tasks.remove(&id)
                && self.by_conversation.get(&r.conversation_id) == Some(&id)
            {
                self.by_conversation.remove(&r.conversation_id);
            }
            self.told.remove(&id);
            self.with_agent.remove(&id);
            self.max_wait_told.remove(&id);
        }
        if !out.write.tasks.is_empty() || !out.write.agents.is_empty() {
            out.desk.push(DeskEvent::Changed);
        }
        out
    }
}
