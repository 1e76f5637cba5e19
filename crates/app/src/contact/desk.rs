//! The agent's desk: presence, offers (accept, decline), the conversations they hold
//! (replies, internal notes, transfer, end, wrap-up), the transcript view (audited) and
//! canned answers. Every refusal is a clear error that changes nothing.

use domain::{AuditAction, ConversationId, Redacted, Sender, UserId};
use routing::{CancelReason, Presence, QueueId, TaskId, TaskState, Transfer};
use security::rbac::Permission;
use store::{CannedResponse, CcNote, ConversationStatus, Message, StepWrite};

use super::centre::{agent_id, refused};
use super::model::{Desk, DeskEvent, TaskView, parse_presence};
use crate::conversation::{ChatMessage, ConversationEvent, MAX_MESSAGE_BYTES};
use crate::{App, AppError, AppResult, Principal, random_bytes};

/// Longest internal note and canned answer, in bytes.
const MAX_NOTE_BYTES: usize = 4000;

/// A conversation as the desk shows it: transcript, notes and tasks.
#[derive(Debug, Clone)]
pub struct ConversationView {
    /// The conversation.
    pub id: ConversationId,
    /// Chat or voice.
    pub channel: domain::Channel,
    /// Where it stands.
    pub status: ConversationStatus,
    /// Its language.
    pub language: String,
    /// The pseudonymous caller.
    pub contact: String,
    /// Every message, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Internal notes with their authors' names.
    pub notes: Vec<(CcNote, String)>,
    /// Its tasks (live ones with live figures).
    pub tasks: Vec<TaskView>,
}

/// A canned answer as written by a supervisor.
#[derive(Debug, Clone)]
pub struct CannedSpec {
    /// A title shown in the list.
    pub title: String,
    /// The text.
    pub text: String,
    /// The language it is written in.
    pub language: Option<String>,
}

fn me(who: &Principal) -> AppResult<UserId> {
    who.require(Permission::ConversationsHandle)?;
    who.user_id().ok_or(AppError::Forbidden)
}

fn task_id(id: &str) -> TaskId {
    TaskId::new(id)
}

/// What an agent's request needs, checked in this order so that a task or conversation of
/// another tenant is "not found" for everyone: the permission, the object in the caller's
/// tenant, then that a user (not an API key) acts.
impl App {
    async fn agent_on_task(&self, who: &Principal, task: &str) -> AppResult<UserId> {
        who.require(Permission::ConversationsHandle)?;
        let known = self
            .read_centre(who.tenant_id, |c, _| c.tasks.contains_key(task))
            .await?;
        if !known {
            return Err(AppError::NotFound);
        }
        who.user_id().ok_or(AppError::Forbidden)
    }

    async fn agent_on_conversation(
        &self,
        who: &Principal,
        conversation: ConversationId,
    ) -> AppResult<UserId> {
        who.require(Permission::ConversationsHandle)?;
        self.store()
            .get_conversation(who.tenant_id, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        who.user_id().ok_or(AppError::Forbidden)
    }
}

fn check_text(field: &'static str, text: &str, max: usize) -> AppResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::field(field, "must not be empty"));
    }
    if t.len() > max {
        return Err(AppError::field(field, format!("at most {max} bytes")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_owned())
}

impl App {
    /// The signed-in agent's desk.
    pub async fn desk(&self, who: &Principal) -> AppResult<Desk> {
        let user = me(who)?;
        self.with_centre(who.tenant_id, |c, now| c.ensure_agent(user, now))
            .await?;
        self.read_centre(who.tenant_id, |c, _| {
            let mut offers: Vec<TaskView> = Vec::new();
            let mut tasks: Vec<TaskView> = Vec::new();
            for r in c.tasks.values() {
                if r.agent() != Some(user) {
                    continue;
                }
                match r.routing.state {
                    TaskState::Offered { .. } => offers.push(c.view(r)),
                    TaskState::Assigned { .. } | TaskState::WrapUp { .. } => tasks.push(c.view(r)),
                    _ => {}
                }
            }
            offers.sort_by_key(|t| {
                (
                    std::cmp::Reverse(t.record.routing.spec.priority),
                    t.record.routing.created_ms,
                    t.record.routing.seq,
                )
            });
            tasks.sort_by_key(|t| (t.record.routing.created_ms, t.record.routing.seq));
            Desk {
                agent: c.agent_view(user),
                offers,
                tasks,
            }
        })
        .await
    }

    /// Sets an agent's presence: one's own, or anyone's with `queues_supervise`. Going away
    /// or offline gives the conversations the agent holds back to their queues first.
    pub async fn set_presence(
        &self,
        who: &Principal,
        agent: UserId,
        presence: &str,
    ) -> AppResult<()> {
        if who.user_id() == Some(agent) {
            who.require(Permission::ConversationsHandle)?;
        } else {
            who.require(Permission::QueuesSupervise)?;
            self.store()
                .get_user(who.tenant_id, agent)
                .await?
                .ok_or(AppError::NotFound)?;
        }
        let presence = parse_presence(presence)
            .ok_or_else(|| AppError::field("presence", "one of available, busy, away, offline"))?;
        self.with_centre(who.tenant_id, |c, now| {
            c.ensure_agent(agent, now)?;
            let id = agent_id(agent);
            if matches!(presence, Presence::Away | Presence::Offline) {
                let held: Vec<(TaskId, QueueId)> = c
                    .router
                    .tasks()
                    .filter(|t| matches!(&t.state, TaskState::Assigned { agent: a } if *a == id))
                    .map(|t| (t.spec.id.clone(), t.spec.queue.clone()))
                    .collect();
                for (task, queue) in held {
                    c.router
                        .handle_transfer(&task, Transfer::Queue(queue), now)
                        .map_err(refused)?;
                }
            }
            c.router
                .handle_presence(&id, presence, now)
                .map_err(refused)
        })
        .await
    }

    /// The offered agent takes the task; from now on they hold the conversation.
    pub async fn accept_task(&self, who: &Principal, task: &str) -> AppResult<TaskView> {
        let user = self.agent_on_task(who, task).await?;
        self.with_centre(who.tenant_id, |c, now| {
            c.router
                .handle_accept(&task_id(task), &agent_id(user), now)
                .map_err(refused)
        })
        .await?;
        self.task_view(who, task).await
    }

    /// The offered agent declines; the task goes to the next agent.
    pub async fn decline_task(&self, who: &Principal, task: &str) -> AppResult<()> {
        let user = self.agent_on_task(who, task).await?;
        self.with_centre(who.tenant_id, |c, now| {
            c.router
                .handle_decline(&task_id(task), &agent_id(user), now)
                .map_err(refused)
        })
        .await
    }

    /// The agent holding a task hands it to another queue or agent.
    pub async fn transfer_task(
        &self,
        who: &Principal,
        task: &str,
        queue: Option<String>,
        agent: Option<UserId>,
    ) -> AppResult<TaskView> {
        let user = self.agent_on_task(who, task).await?;
        self.move_or_transfer(who, task, queue, agent, Some(user))
            .await
    }

    /// A supervisor moves any live task to another queue or agent (audited).
    pub async fn move_task(
        &self,
        who: &Principal,
        task: &str,
        queue: Option<String>,
        agent: Option<UserId>,
    ) -> AppResult<TaskView> {
        who.require(Permission::QueuesSupervise)?;
        let view = self.move_or_transfer(who, task, queue, agent, None).await?;
        self.audit_success(who, AuditAction::TaskMove, task).await?;
        Ok(view)
    }

    async fn move_or_transfer(
        &self,
        who: &Principal,
        task: &str,
        queue: Option<String>,
        agent: Option<UserId>,
        owner: Option<UserId>,
    ) -> AppResult<TaskView> {
        if queue.is_none() && agent.is_none() {
            return Err(AppError::field("queue", "name a queue or an agent"));
        }
        self.with_centre(who.tenant_id, |c, now| {
            let id = task_id(task);
            let t = c.router.task(&id).ok_or(AppError::NotFound)?;
            if let Some(owner) = owner
                && !matches!(&t.state, TaskState::Assigned { agent } if *agent == agent_id(owner))
            {
                return Err(AppError::Conflict("task (it is not yours)"));
            }
            let target = match &queue {
                Some(q) if !c.queues.contains_key(q) => {
                    return Err(AppError::field("queue", "there is no such queue"));
                }
                Some(q) => QueueId::new(q.as_str()),
                None => t.spec.queue.clone(),
            };
            let to = match agent {
                Some(a) => {
                    if !c.agents.contains_key(&a) {
                        return Err(AppError::field("agent_id", "there is no such agent"));
                    }
                    Transfer::Agent {
                        queue: target,
                        agent: agent_id(a),
                    }
                }
                None => Transfer::Queue(target),
            };
            c.router.handle_transfer(&id, to, now).map_err(refused)
        })
        .await?;
        self.task_view(who, task).await
    }

    /// The agent ends the conversation: the caller is told, the task goes to wrap-up.
    pub async fn end_task(&self, who: &Principal, task: &str) -> AppResult<TaskView> {
        let user = self.agent_on_task(who, task).await?;
        self.with_centre(who.tenant_id, |c, now| {
            c.router
                .handle_complete(&task_id(task), &agent_id(user), now)
                .map_err(refused)
        })
        .await?;
        self.task_view(who, task).await
    }

    /// The agent finishes wrap-up with an optional code; the task completes.
    pub async fn wrap_up_task(
        &self,
        who: &Principal,
        task: &str,
        code: Option<String>,
    ) -> AppResult<TaskView> {
        let user = self.agent_on_task(who, task).await?;
        let view = self.task_view(who, task).await?;
        if let Some(code) = &code {
            let codes = self
                .read_centre(who.tenant_id, |c, _| {
                    c.queues
                        .get(view.record.queue())
                        .map(|q| q.wrap_up_codes.clone())
                        .unwrap_or_default()
                })
                .await?;
            if !codes.is_empty() && !codes.contains(code) {
                return Err(AppError::field("code", "not a wrap-up code of this queue"));
            }
            check_text("code", code, 200)?;
        }
        self.with_centre(who.tenant_id, |c, now| {
            let id = task_id(task);
            match c.router.task(&id).map(|t| t.state.clone()) {
                Some(TaskState::WrapUp { agent, .. }) if agent == agent_id(user) => {}
                Some(_) => return Err(AppError::Conflict("task (it is not in your wrap-up)")),
                None => return Err(AppError::NotFound),
            }
            if let Some(r) = c.tasks.get_mut(task) {
                r.wrap_up_code = code;
            }
            // Ending the wrap-up is the agent saying they are ready again.
            c.router
                .handle_presence(&agent_id(user), Presence::Available, now)
                .map_err(refused)
        })
        .await?;
        Ok(TaskView {
            record: crate::contact::TaskRecord {
                routing: routing::Task {
                    state: TaskState::Completed {
                        agent: agent_id(user),
                    },
                    ..view.record.routing.clone()
                },
                ..view.record
            },
            ..view
        })
    }

    /// A live task (or 404).
    async fn task_view(&self, who: &Principal, task: &str) -> AppResult<TaskView> {
        self.read_centre(who.tenant_id, |c, _| c.tasks.get(task).map(|r| c.view(r)))
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Withdraws a conversation's live task (the caller left, the flow went on, or the
    /// conversation ended): waiting → abandoned, held → wrap-up.
    pub(crate) async fn conversation_left_queue(
        &self,
        tenant: domain::TenantId,
        conversation: ConversationId,
        caller_left: bool,
    ) -> AppResult<()> {
        self.with_centre(tenant, |c, now| {
            let Some(id) = c.by_conversation.get(&conversation).cloned() else {
                return Ok(());
            };
            let tid = task_id(&id);
            match c.router.task(&tid).map(|t| t.state.clone()) {
                Some(TaskState::Assigned { agent }) => {
                    c.with_agent.remove(&id);
                    c.router.handle_complete(&tid, &agent, now).map_err(refused)
                }
                Some(s) if s.is_waiting() => {
                    let reason = if caller_left {
                        CancelReason::CallerLeft
                    } else {
                        CancelReason::Withdrawn
                    };
                    c.router.handle_cancel(&tid, reason, now).map_err(refused)
                }
                _ => Ok(()),
            }
        })
        .await
    }

    /// Drops the personal part of a conversation's live task (what the flow collected, the
    /// intent, a call-back number) before the conversation is erased: a task still in its
    /// agent's wrap-up keeps only its routing times until it completes.
    pub(crate) async fn forget_task_context(
        &self,
        tenant: domain::TenantId,
        conversation: ConversationId,
    ) -> AppResult<()> {
        self.with_centre(tenant, |c, _| {
            let Some(id) = c.by_conversation.get(&conversation).cloned() else {
                return Ok(());
            };
            if let Some(r) = c.tasks.get_mut(&id) {
                r.variables.clear();
                r.intent = None;
                r.confidence = None;
                r.call_back = None;
                c.touched.insert(id);
            }
            Ok(())
        })
        .await
    }

    /// The call could not reach the agent's phone (nothing registered, busy, refused, no
    /// answer): the task goes back to its queue, as when an agent goes away, and the caller
    /// waits again with the hold music. Only a task that `agent` still holds moves; one the
    /// agent ended or handed on meanwhile is left alone.
    pub async fn agent_leg_failed(
        &self,
        tenant: domain::TenantId,
        conversation: ConversationId,
        agent: UserId,
    ) -> AppResult<()> {
        self.with_centre(tenant, |c, now| {
            let Some(id) = c.by_conversation.get(&conversation).cloned() else {
                return Ok(());
            };
            let tid = task_id(&id);
            let queue = match c.router.task(&tid) {
                Some(t) if matches!(&t.state, TaskState::Assigned { agent: a } if *a == agent_id(agent)) => {
                    t.spec.queue.clone()
                }
                _ => return Ok(()),
            };
            c.router
                .handle_transfer(&tid, Transfer::Queue(queue), now)
                .map_err(refused)
        })
        .await
    }

    /// The conversation a principal may act in as its agent: they hold its task.
    async fn held_by(
        &self,
        who: &Principal,
        conversation: ConversationId,
    ) -> AppResult<(UserId, String)> {
        let user = me(who)?;
        let task = self
            .read_centre(who.tenant_id, |c, _| {
                c.by_conversation.get(&conversation).and_then(|id| {
                    c.tasks.get(id).filter(|r| {
                        matches!(&r.routing.state, TaskState::Assigned { agent } if *agent == agent_id(user))
                    })
                })
                .map(|r| r.id.clone())
            })
            .await?;
        match task {
            Some(t) => Ok((user, t)),
            None => Err(AppError::Conflict(
                "conversation (you do not hold it, or it is closed)",
            )),
        }
    }

    /// The agent holding the conversation writes to the caller.
    pub async fn agent_message(
        &self,
        who: &Principal,
        conversation: ConversationId,
        text: &str,
    ) -> AppResult<ChatMessage> {
        self.agent_on_conversation(who, conversation).await?;
        let text = check_text("text", text, MAX_MESSAGE_BYTES)?;
        self.held_by(who, conversation).await?;
        let tenant = who.tenant_id;
        let guard_arc = self.conversation_lock(conversation);
        let _guard = guard_arc.lock().await;
        let conv = self
            .store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        if conv.status != ConversationStatus::WithAgent {
            return Err(AppError::Conflict(
                "conversation (you do not hold it, or it is closed)",
            ));
        }
        let now = self.now();
        let write = StepWrite {
            expected_last_seq: conv.last_seq,
            state: conv.state.clone(),
            status: conv.status,
            messages: vec![Message {
                seq: 0,
                sender: Sender::Agent,
                body: Redacted::new(text.clone()),
                choices: None,
                client_id: None,
                at: now,
            }],
            set_timers: Vec::new(),
            cancel_timers: Vec::new(),
            enqueue: None,
            dequeue: false,
            at: now,
            create: None,
            deliver: conv.channel.is_messaging(),
            routes: Vec::new(),
        };
        self.store().save_step(tenant, conversation, &write).await?;
        if write.deliver {
            self.kick_outbox(tenant, conversation);
        }
        let message = ChatMessage {
            seq: conv.last_seq + 1,
            from: Sender::Agent,
            text: Redacted::new(text.clone()),
            choices: Vec::new(),
            client_id: None,
            at: now,
        };
        self.publish(
            conversation,
            ConversationEvent::Messages(vec![message.clone()]),
        );
        if conv.channel == domain::Channel::Voice {
            let state = crate::conversation::stored_state(&conv)?;
            self.publish(
                conversation,
                ConversationEvent::Call(vec![crate::CallCommand::Play {
                    text,
                    language: state.language,
                    voice: None,
                    audio: None,
                }]),
            );
        }
        self.publish_to_holders(tenant, conversation, message.clone())
            .await;
        Ok(message)
    }

    /// Tells the desks of the agents holding (or offered) the conversation about a message.
    pub(crate) async fn publish_to_holders(
        &self,
        tenant: domain::TenantId,
        conversation: ConversationId,
        message: ChatMessage,
    ) {
        // Called under the conversation's lock: never load the centre from here.
        let agents = self
            .peek_centre(tenant, |c| {
                c.by_conversation
                    .get(&conversation)
                    .and_then(|id| c.tasks.get(id))
                    .and_then(|r| r.agent())
                    .into_iter()
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
        if !agents.is_empty() {
            self.publish_desk(
                tenant,
                vec![DeskEvent::Message {
                    agents,
                    conversation_id: conversation,
                    message,
                }],
            );
        }
    }

    /// An internal note on a conversation, for agents and supervisors only; never shown to
    /// the caller.
    pub async fn add_note(
        &self,
        who: &Principal,
        conversation: ConversationId,
        text: &str,
    ) -> AppResult<(CcNote, String)> {
        let user = self.agent_on_conversation(who, conversation).await?;
        let text = check_text("text", text, MAX_NOTE_BYTES)?;
        let may_read = self
            .read_centre(who.tenant_id, |c, _| {
                c.by_conversation
                    .get(&conversation)
                    .and_then(|id| c.tasks.get(id))
                    .is_some_and(|r| r.agent() == Some(user))
            })
            .await?;
        if !may_read {
            who.require(Permission::TranscriptsRead)?;
        }
        let note = CcNote {
            id: data_encoding::HEXLOWER.encode(&random_bytes::<12>()?),
            conversation_id: conversation,
            author_id: user,
            body: Redacted::new(text),
            at: self.now(),
        };
        self.store().insert_cc_note(who.tenant_id, &note).await?;
        let author = self
            .read_centre(who.tenant_id, |c, _| c.names.get(&user).cloned())
            .await?
            .unwrap_or_default();
        let agents = self
            .read_centre(who.tenant_id, |c, _| {
                c.by_conversation
                    .get(&conversation)
                    .and_then(|id| c.tasks.get(id))
                    .and_then(|r| r.agent())
                    .into_iter()
                    .chain(std::iter::once(user))
                    .collect::<Vec<_>>()
            })
            .await?;
        self.publish_desk(
            who.tenant_id,
            vec![DeskEvent::Note {
                agents,
                conversation_id: conversation,
                note: note.clone(),
                author: author.clone(),
            }],
        );
        Ok((note, author))
    }

    /// A conversation's transcript, notes and tasks. An agent may open the conversations
    /// they hold or are offered; others need `transcripts_read`. Every opening is audited.
    pub async fn conversation_view(
        &self,
        who: &Principal,
        conversation: ConversationId,
    ) -> AppResult<ConversationView> {
        who.require(Permission::ConversationsHandle)
            .or_else(|_| who.require(Permission::TranscriptsRead))?;
        let user = who.user_id();
        let holds = self
            .read_centre(who.tenant_id, |c, _| {
                c.by_conversation
                    .get(&conversation)
                    .and_then(|id| c.tasks.get(id))
                    .is_some_and(|r| user.is_some() && r.agent() == user)
            })
            .await?;
        if !holds {
            who.require(Permission::TranscriptsRead)?;
        }
        let conv = self
            .store()
            .get_conversation(who.tenant_id, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        let state = crate::conversation::stored_state(&conv)?;
        let messages = self
            .store()
            .messages_after(who.tenant_id, conversation, 0, 10_000)
            .await?
            .iter()
            .map(ChatMessage::from_stored)
            .collect();
        let names = self
            .read_centre(who.tenant_id, |c, _| c.names.clone())
            .await?;
        let notes = self
            .store()
            .list_cc_notes(who.tenant_id, conversation)
            .await?
            .into_iter()
            .map(|n| {
                let author = names.get(&n.author_id).cloned().unwrap_or_default();
                (n, author)
            })
            .collect();
        let stored = self
            .store()
            .cc_tasks_of_conversation(who.tenant_id, conversation)
            .await?;
        let mut tasks = Vec::new();
        for row in stored {
            let live = self
                .read_centre(who.tenant_id, |c, _| {
                    c.tasks.get(&row.id).map(|r| c.view(r))
                })
                .await?;
            match live {
                Some(v) => tasks.push(v),
                None => {
                    if let Ok(record) = serde_json::from_str(row.record.expose()) {
                        tasks.push(TaskView {
                            record,
                            contact: super::Centre::contact_of(conversation),
                            offer_expires_at: None,
                            position: None,
                            estimated_wait_secs: None,
                        });
                    }
                }
            }
        }
        self.audit_success(who, AuditAction::TranscriptRead, conversation)
            .await?;
        Ok(ConversationView {
            id: conv.id,
            channel: conv.channel,
            status: conv.status,
            language: state.language,
            contact: super::Centre::contact_of(conversation),
            messages,
            notes,
            tasks,
        })
    }

    /// The tenant's canned answers.
    pub async fn canned_responses(&self, who: &Principal) -> AppResult<Vec<CannedResponse>> {
        who.require(Permission::ConversationsHandle)?;
        Ok(self.store().list_canned(who.tenant_id).await?)
    }

    /// Creates or replaces a canned answer.
    pub async fn put_canned_response(
        &self,
        who: &Principal,
        id: &str,
        spec: CannedSpec,
    ) -> AppResult<CannedResponse> {
        who.require(Permission::QueuesSupervise)?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(AppError::field("id", "1 to 64 letters, digits, '-' or '_'"));
        }
        let canned = CannedResponse {
            id: id.to_owned(),
            title: check_text("title", &spec.title, 200)?,
            body: check_text("text", &spec.text, MAX_NOTE_BYTES)?,
            language: spec.language,
            updated_at: self.now(),
        };
        self.store().put_canned(who.tenant_id, &canned).await?;
        Ok(canned)
    }

    /// Removes a canned answer.
    pub async fn delete_canned_response(&self, who: &Principal, id: &str) -> AppResult<()> {
        who.require(Permission::QueuesSupervise)?;
        if self.store().delete_canned(who.tenant_id, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}
