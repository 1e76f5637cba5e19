//! Call-backs: a caller waiting on the phone presses 1 and hangs up, keeping their place; when
//! an agent accepts the task, the call shell ([`crate::CallBackDialer`]) calls the caller back
//! through the trunk and, once they answer, rings the agent's phone and bridges the two, as for
//! a caller who waited on the line. A call-back nobody answers goes back to the queue, up to
//! [`MAX_CALL_BACK_ATTEMPTS`] times; then the conversation ends. The number lives in the task
//! record only while the call-back is pending: answering it or ending the task forgets it.

use domain::{ConversationId, Redacted, TenantId, UserId};
use routing::{TaskId, TaskState, Transfer};
use store::{ConversationStatus, Message, StepWrite};

use super::centre::{agent_id, refused};
use super::model::CallBack;
use super::notify::{Notice, texts};
use crate::conversation::{ChatMessage, ConversationEvent, lock, stored_state};
use crate::{App, AppError, AppResult, CallBackDialer, CallBackOrder, CallSession};

/// Call-backs placed without an answer before the conversation ends.
pub const MAX_CALL_BACK_ATTEMPTS: u32 = 3;

/// The number a call-back may go to: a caller id of 3 to 20 digits, optionally with a
/// leading `+` (visual separators are not part of a SIP caller id). `None` for anything else,
/// such as a withheld or made-up caller id.
#[must_use]
pub fn call_back_number(caller_id: &str) -> Option<String> {
    let digits = caller_id.strip_prefix('+').unwrap_or(caller_id);
    ((3..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| caller_id.to_owned())
}

impl App {
    /// Installs the call shell's dialer (once, at start-up); without one no call-back is
    /// offered.
    pub fn set_call_back_dialer(&self, dialer: std::sync::Arc<dyn CallBackDialer>) {
        let _ = self.contact().dialer.set(dialer);
    }

    /// Whether callers may ask to be called back (a dialer is installed).
    pub fn call_backs_offered(&self) -> bool {
        self.contact().dialer.get().is_some()
    }

    /// A caller waiting in a queue on the phone asks to be called back on `caller_id` (their
    /// caller id), having called the hotline number `via`. The task keeps its place and is
    /// marked as a call-back; the caller is told and the call hangs up; the conversation waits
    /// (status `call_back`) until an agent accepts. Refused, changing nothing: a caller id that
    /// is not a number, no dialer, a conversation that is not waiting on the phone.
    pub async fn call_back_requested(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        caller_id: &Redacted<String>,
        via: &str,
    ) -> AppResult<()> {
        let number = call_back_number(caller_id.expose()).ok_or_else(|| {
            AppError::field("caller_id", "a phone number to call back (3–20 digits)")
        })?;
        if !self.call_backs_offered() {
            return Err(AppError::Conflict(
                "call-back (no trunk for outgoing calls is configured)",
            ));
        }
        // Toll fraud: only destinations the tenant allows, and so many per number range an
        // hour. Refused changes nothing; the caller keeps waiting (no digits are logged).
        let policy = self.contact_settings_of(tenant).await?.outbound_policy();
        let refused = match crate::fraud::allowed(&number, &policy) {
            Err(refusal) => Some(refusal),
            Ok(destination) => crate::fraud::check_rates(
                &mut lock(&self.contact().velocity),
                &tenant.to_string(),
                &destination,
                &policy,
                self.now().millis(),
            )
            .err(),
        };
        if let Some(refusal) = refused {
            tracing::warn!(%tenant, %conversation, reason = refusal.reason(), "call-back refused by the outbound policy");
            return Err(AppError::field("caller_id", refusal.reason()));
        }
        let guard_arc = self.conversation_lock(conversation);
        let guard = guard_arc.lock().await;
        let conv = self
            .store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        if conv.channel != domain::Channel::Voice || conv.status != ConversationStatus::Queued {
            return Err(AppError::Conflict(
                "call-back (the caller is not waiting in a queue on the phone)",
            ));
        }
        // Lock order: the conversation's, then the centre's; the centre's actions are carried
        // out after this conversation's lock is released.
        let marked = self
            .with_loaded_centre(tenant, |c, _| {
                let id = c
                    .by_conversation
                    .get(&conversation)
                    .cloned()
                    .ok_or(AppError::Conflict("call-back (the caller has no task)"))?;
                let waiting = c
                    .router
                    .task(&TaskId::new(id.as_str()))
                    .is_some_and(|t| t.state.is_waiting());
                let record = c.tasks.get_mut(&id).ok_or(AppError::NotFound)?;
                if !waiting {
                    return Err(AppError::Conflict(
                        "call-back (an agent already has the task)",
                    ));
                }
                record.call_back = Some(CallBack {
                    number: number.clone(),
                    from: via.to_owned(),
                    attempts: 0,
                });
                c.touched.insert(id);
                Ok(())
            })
            .await?;
        let Some(((), actions)) = marked else {
            return Err(AppError::Conflict(
                "call-back (the contact centre is loading)",
            ));
        };
        let state = stored_state(&conv)?;
        let now = self.now();
        let body = texts(&state.language).call_back_promised.to_owned();
        let message = Message {
            seq: 0,
            sender: domain::Sender::System,
            body: Redacted::new(body.clone()),
            choices: None,
            client_id: None,
            at: now,
        };
        let write = StepWrite {
            expected_last_seq: conv.last_seq,
            state: conv.state.clone(),
            status: ConversationStatus::CallBack,
            messages: vec![message.clone()],
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
        let shown = ChatMessage {
            seq: conv.last_seq + 1,
            ..ChatMessage::from_stored(&message)
        };
        self.publish(conversation, ConversationEvent::Messages(vec![shown]));
        self.publish(
            conversation,
            ConversationEvent::Status {
                state: ConversationStatus::CallBack,
                queue: None,
            },
        );
        self.publish(
            conversation,
            ConversationEvent::Call(vec![
                crate::CallCommand::Play {
                    text: body,
                    language: state.language.clone(),
                    voice: None,
                    audio: None,
                },
                crate::CallCommand::Hangup,
            ]),
        );
        drop(guard);
        tracing::info!(%conversation, "call-back requested");
        for action in actions {
            self.carry_out_action(tenant, action).await;
        }
        Ok(())
    }

    /// Hands an accepted call-back to the dialer (or, without one, counts it as unanswered).
    /// When the tenant already has as many calls in progress as its outbound policy allows,
    /// the task goes back to its queue without using up an attempt, and is offered again.
    pub(super) async fn dial_call_back(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        agent: UserId,
        number: Redacted<String>,
        from: String,
    ) {
        let Some(dialer) = self.contact().dialer.get() else {
            let failed = Box::pin(self.call_back_failed(tenant, conversation, agent));
            if let Err(e) = failed.await {
                tracing::warn!(%conversation, error = %e, "call-back not put back");
            }
            return;
        };
        let max = match self.contact_settings_of(tenant).await {
            Ok(settings) => settings.outbound_policy().max_concurrent,
            Err(e) => {
                tracing::warn!(%conversation, error = %e, "outbound policy unreadable; call-back not placed");
                0
            }
        };
        match self.contact().outbound_calls.take(&tenant.to_string(), max) {
            Ok(slot) => dialer.call_back(CallBackOrder {
                tenant,
                conversation,
                agent,
                number,
                from,
                slot,
            }),
            Err(refusal) => {
                tracing::warn!(%tenant, %conversation, reason = refusal.reason(), "call-back waits for a free line");
                let requeued = Box::pin(self.requeue_call_back(tenant, conversation, agent, false));
                if let Err(e) = requeued.await {
                    tracing::warn!(%conversation, error = %e, "call-back not put back");
                }
            }
        }
    }

    /// Call-backs of `tenant` ringing or connected now.
    pub fn call_backs_in_progress(&self, tenant: TenantId) -> u32 {
        self.contact()
            .outbound_calls
            .in_progress(&tenant.to_string())
    }

    /// The caller answered the call-back: the number is forgotten, and the call connects to
    /// the agent who accepted (after a sentence saying who calls). If the task moved on while
    /// the phone rang, the caller waits in the queue on the line, or hears that it ended.
    /// The returned session's events carry what the call must do.
    pub async fn call_back_answered(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<CallSession> {
        let events = self.chat_subscribe(conversation);
        let holder = self
            .with_centre(tenant, |c, _| {
                let Some(id) = c.by_conversation.get(&conversation).cloned() else {
                    return Ok(None);
                };
                if let Some(r) = c.tasks.get_mut(&id)
                    && let Some(cb) = &mut r.call_back
                {
                    cb.number.clear();
                    c.touched.insert(id.clone());
                }
                Ok(
                    match c.router.task(&TaskId::new(id.as_str())).map(|t| &t.state) {
                        Some(TaskState::Assigned { agent }) => {
                            Some(agent.as_str().parse::<UserId>().ok())
                        }
                        Some(s) if s.is_waiting() => Some(None),
                        _ => None,
                    },
                )
            })
            .await?;
        let conv = self
            .store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        let language = stored_state(&conv)?.language;
        match holder {
            Some(Some(agent)) => {
                self.conversation_notice_then(
                    tenant,
                    conversation,
                    |t, _| t.call_back_answered.to_owned(),
                    None,
                    Notice::Other,
                    Some(crate::CallCommand::ConnectAgent { agent }),
                )
                .await?;
            }
            Some(None) => {
                self.conversation_notice(
                    tenant,
                    conversation,
                    |t, _| t.back_to_queue.to_owned(),
                    Some(ConversationStatus::Queued),
                    Notice::Other,
                )
                .await?;
            }
            None => {
                self.conversation_notice(
                    tenant,
                    conversation,
                    |t, _| t.ended.to_owned(),
                    Some(ConversationStatus::Ended),
                    Notice::Other,
                )
                .await?;
            }
        }
        Ok(CallSession {
            tenant,
            conversation,
            language,
            events,
        })
    }

    /// The call-back to the caller was not answered (busy, refused, no answer, unreachable):
    /// the task goes back to its queue for another attempt, or, after
    /// [`MAX_CALL_BACK_ATTEMPTS`], to the agent's wrap-up and the conversation ends. Only a
    /// pending call-back that `agent` still holds changes.
    pub async fn call_back_failed(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        agent: UserId,
    ) -> AppResult<()> {
        self.requeue_call_back(tenant, conversation, agent, true)
            .await
    }

    /// Puts an accepted call-back task back in its queue; `attempted`: the call was tried (and
    /// counts towards the attempts, after the last of which the task ends).
    async fn requeue_call_back(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        agent: UserId,
        attempted: bool,
    ) -> AppResult<()> {
        self.with_centre(tenant, |c, now| {
            let Some(id) = c.by_conversation.get(&conversation).cloned() else {
                return Ok(());
            };
            let tid = TaskId::new(id.as_str());
            let queue = match c.router.task(&tid) {
                Some(t) if matches!(&t.state, TaskState::Assigned { agent: a } if *a == agent_id(agent)) => {
                    t.spec.queue.clone()
                }
                _ => return Ok(()),
            };
            let Some(cb) = c
                .tasks
                .get_mut(&id)
                .and_then(|r| r.call_back.as_mut())
                .filter(|cb| cb.pending())
            else {
                return Ok(());
            };
            if attempted {
                cb.attempts += 1;
            }
            let give_up = cb.attempts >= MAX_CALL_BACK_ATTEMPTS;
            c.touched.insert(id);
            if give_up {
                c.router
                    .handle_complete(&tid, &agent_id(agent), now)
                    .map_err(refused)
            } else {
                c.router
                    .handle_transfer(&tid, Transfer::Queue(queue), now)
                    .map_err(refused)
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::call_back_number;

    #[test]
    fn only_numbers_can_be_called_back() {
        for good in ["+4915112345678", "030123456", "112", "+1234567890123456789"] {
            assert_eq!(call_back_number(good).as_deref(), Some(good));
        }
        for bad in [
            "",
            "+",
            "12",
            "anonymous",
            "sipp",
            "+49 151 123",
            "0151-123456",
            "123456789012345678901",
            "++49151",
            "49151a",
        ] {
            assert_eq!(call_back_number(bad), None, "{bad}");
        }
    }
}
