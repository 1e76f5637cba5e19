//! What the caller hears and reads from the contact centre, and the conversation changes a
//! routing decision causes: the bot falls silent when an agent joins, the caller is told their
//! place and expected wait, the conversation goes back to the queue when the agent leaves
//! and ends when the agent ends it. Every change is one stored step under the conversation's
//! lock, so the transcript the agent reads is the one the caller saw.

use domain::{ConversationId, Redacted, Sender, TenantId};
use store::{ConversationStatus, Message, StepWrite};

use super::centre::ConvAction;
use crate::conversation::{ChatMessage, ConversationEvent, stored_state};
use crate::{App, AppError, AppResult};

/// Fixed texts of the contact centre, per language (German, else English).
pub(crate) struct Texts {
    pub(crate) joined: fn(&str) -> String,
    pub(crate) back_to_queue: &'static str,
    pub(crate) ended: &'static str,
    pub(crate) position: fn(u32, u64) -> String,
    pub(crate) max_wait: &'static str,
    /// The maximum wait on a call where a call-back can be asked for (key 1).
    pub(crate) max_wait_call: &'static str,
    /// The maximum wait on a call without call-backs.
    pub(crate) max_wait_hold: &'static str,
    /// Said before Hotline hangs up on a caller who asked for a call-back.
    pub(crate) call_back_promised: &'static str,
    /// The call-back is answered: said before the agent's phone rings.
    pub(crate) call_back_answered: &'static str,
    /// The call-back waits in the queue again: after an unanswered attempt (its number), or
    /// (0) because the agent left before it was answered. For the transcript.
    pub(crate) call_back_again: fn(u32) -> String,
    /// The last attempt was not answered (for the transcript).
    pub(crate) call_back_gave_up: &'static str,
}

fn minutes(secs: u64) -> u64 {
    secs.div_ceil(60).max(1)
}

const DE: Texts = Texts {
    joined: |name| {
        if name.is_empty() {
            "Eine Beraterin oder ein Berater ist jetzt für Sie da.".to_owned()
        } else {
            format!("{name} aus der Beratung ist jetzt für Sie da.")
        }
    },
    back_to_queue: "Die Beratung musste das Gespräch unterbrechen. Sie sind wieder in der Warteschlange – die nächste freie Beraterin oder der nächste freie Berater übernimmt.",
    ended: "Die Beratung hat das Gespräch beendet. Danke, dass Sie sich gemeldet haben.",
    position: |p, secs| {
        format!(
            "Sie sind an Position {p} der Warteschlange. Voraussichtliche Wartezeit: etwa {} Minute(n).",
            minutes(secs)
        )
    },
    max_wait: "Es tut uns leid, dass Sie so lange warten. Sie behalten Ihren Platz. Sie können hier eine Nachricht hinterlassen – die Beratung liest sie, sobald sie frei ist. Wenn Sie in Gefahr sind: Notruf 112, TelefonSeelsorge 0800 111 0 111 oder 0800 111 0 222 (kostenfrei, rund um die Uhr).",
    max_wait_call: "Es tut uns leid, dass Sie so lange warten. Sie behalten Ihren Platz. Wenn Sie die 1 drücken, rufen wir Sie zurück, sobald eine Beraterin oder ein Berater frei ist. Wenn Sie in Gefahr sind: Notruf 112, TelefonSeelsorge 0800 111 0 111 oder 0800 111 0 222.",
    max_wait_hold: "Es tut uns leid, dass Sie so lange warten. Sie behalten Ihren Platz, bitte bleiben Sie in der Leitung. Wenn Sie in Gefahr sind: Notruf 112, TelefonSeelsorge 0800 111 0 111 oder 0800 111 0 222.",
    call_back_promised: "Gut. Wir rufen Sie unter der Nummer zurück, von der Sie anrufen, sobald eine Beraterin oder ein Berater frei ist. Sie behalten Ihren Platz. Wenn Sie in Gefahr sind: Notruf 112. Auf Wiederhören.",
    call_back_answered: "Hallo, hier ist die Beratung. Sie hatten um einen Rückruf gebeten. Wir verbinden Sie jetzt.",
    call_back_again: |n| {
        if n == 0 {
            "Der Rückrufwunsch wartet wieder in der Warteschlange.".to_owned()
        } else {
            format!(
                "Der Rückruf wurde nicht angenommen (Versuch {n}). Der Rückrufwunsch wartet wieder in der Warteschlange."
            )
        }
    },
    call_back_gave_up: "Der Rückruf wurde mehrmals nicht angenommen. Das Gespräch ist beendet.",
};

const EN: Texts = Texts {
    joined: |name| {
        if name.is_empty() {
            "A counsellor is with you now.".to_owned()
        } else {
            format!("{name}, a counsellor, is with you now.")
        }
    },
    back_to_queue: "The counsellor had to leave the conversation. You are back in the queue – the next free counsellor will take over.",
    ended: "The counsellor has ended the conversation. Thank you for reaching out.",
    position: |p, secs| {
        format!(
            "You are number {p} in the queue. Expected wait: about {} minute(s).",
            minutes(secs)
        )
    },
    max_wait: "We are sorry you have waited so long. You keep your place. You can leave a message here – the counsellor reads it as soon as they are free. If you are in danger, call the emergency number 112 (911 in North America), or a crisis line such as 116 123 (Samaritans, UK and Ireland) or 988 (US).",
    max_wait_call: "We are sorry you have waited so long. You keep your place. Press 1 and we will call you back as soon as a counsellor is free. If you are in danger, call the emergency number 112 (911 in North America), or a crisis line such as 116 123 or 988.",
    max_wait_hold: "We are sorry you have waited so long. You keep your place; please stay on the line. If you are in danger, call the emergency number 112 (911 in North America), or a crisis line such as 116 123 or 988.",
    call_back_promised: "All right. We will call you back on the number you are calling from as soon as a counsellor is free. You keep your place. If you are in danger, call the emergency number 112. Goodbye.",
    call_back_answered: "Hello, this is the helpline calling you back, as you asked. We are connecting you now.",
    call_back_again: |n| {
        if n == 0 {
            "The call-back request waits in the queue again.".to_owned()
        } else {
            format!(
                "The call-back was not answered (attempt {n}). The request waits in the queue again."
            )
        }
    },
    call_back_gave_up: "The call-back was not answered several times. The conversation has ended.",
};

/// What a notice is, for how a call says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The caller's place in the queue: a call announces it itself.
    Position,
    /// Anything else: a call speaks it.
    Other,
}

/// The texts for a language tag.
pub(crate) fn texts(language: &str) -> &'static Texts {
    if language.starts_with("de") { &DE } else { &EN }
}

impl App {
    /// Carries out one conversation change; a failure is logged (the routing decision is
    /// already stored and the caller's own next step will see the stored state).
    pub(super) async fn carry_out_action(&self, tenant: TenantId, action: ConvAction) {
        let result = match &action {
            ConvAction::Assigned {
                conversation,
                agent,
                agent_name,
                ..
            } => {
                // A call is connected to the agent's phone once the caller has been told.
                self.conversation_notice_then(
                    tenant,
                    *conversation,
                    |t, _| (t.joined)(agent_name),
                    Some(ConversationStatus::WithAgent),
                    Notice::Other,
                    Some(crate::CallCommand::ConnectAgent { agent: *agent }),
                )
                .await
            }
            ConvAction::BackToQueue { conversation } => {
                self.conversation_notice(
                    tenant,
                    *conversation,
                    |t, _| t.back_to_queue.to_owned(),
                    Some(ConversationStatus::Queued),
                    Notice::Other,
                )
                .await
            }
            ConvAction::Ended { conversation } => {
                self.conversation_notice(
                    tenant,
                    *conversation,
                    |t, _| t.ended.to_owned(),
                    Some(ConversationStatus::Ended),
                    Notice::Other,
                )
                .await
            }
            ConvAction::Position {
                conversation,
                position,
                wait_secs,
            } => {
                self.conversation_notice(
                    tenant,
                    *conversation,
                    |t, _| (t.position)(*position, *wait_secs),
                    None,
                    Notice::Position,
                )
                .await
            }
            ConvAction::MaxWait { conversation } => {
                let call_backs = self.call_backs_offered();
                self.conversation_notice(
                    tenant,
                    *conversation,
                    |t, call| match (call, call_backs) {
                        (false, _) => t.max_wait.to_owned(),
                        (true, true) => t.max_wait_call.to_owned(),
                        (true, false) => t.max_wait_hold.to_owned(),
                    },
                    None,
                    Notice::Other,
                )
                .await
            }
            ConvAction::CallBack {
                conversation,
                agent,
                agent_name,
                number,
                from,
            } => {
                let noticed = self
                    .conversation_notice(
                        tenant,
                        *conversation,
                        |t, _| (t.joined)(agent_name),
                        Some(ConversationStatus::WithAgent),
                        Notice::Other,
                    )
                    .await;
                self.dial_call_back(tenant, *conversation, *agent, number.clone(), from.clone())
                    .await;
                noticed
            }
            ConvAction::CallBackAgain {
                conversation,
                attempts,
            } => {
                self.conversation_notice(
                    tenant,
                    *conversation,
                    |t, _| (t.call_back_again)(*attempts),
                    Some(ConversationStatus::CallBack),
                    Notice::Other,
                )
                .await
            }
            ConvAction::CallBackGaveUp { conversation } => {
                self.conversation_notice(
                    tenant,
                    *conversation,
                    |t, _| t.call_back_gave_up.to_owned(),
                    Some(ConversationStatus::Ended),
                    Notice::Other,
                )
                .await
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "contact-centre notice not delivered");
        }
    }

    /// Appends a system message (in the conversation's language) and optionally changes the
    /// status, as one stored step; publishes both. A conversation that has ended is left
    /// alone; on a call, the text is spoken unless it is a position (the call shell
    /// announces positions itself).
    pub(crate) async fn conversation_notice(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        text: impl FnOnce(&'static Texts, bool) -> String,
        status: Option<ConversationStatus>,
        kind: Notice,
    ) -> AppResult<()> {
        self.conversation_notice_then(tenant, conversation, text, status, kind, None)
            .await
    }

    /// [`App::conversation_notice`], and on a call whose status changes, `then` after the
    /// spoken text.
    pub(crate) async fn conversation_notice_then(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        text: impl FnOnce(&'static Texts, bool) -> String,
        status: Option<ConversationStatus>,
        kind: Notice,
        then: Option<crate::CallCommand>,
    ) -> AppResult<()> {
        let guard_arc = self.conversation_lock(conversation);
        let _guard = guard_arc.lock().await;
        let conv = self
            .store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        if conv.status == ConversationStatus::Ended {
            return Ok(());
        }
        let state = stored_state(&conv)?;
        let voice = conv.channel == domain::Channel::Voice;
        if voice && kind == Notice::Position {
            // The call announces its place in the queue itself.
            return Ok(());
        }
        if conv.status == ConversationStatus::CallBack && status.is_none() {
            // The caller hung up and waits for the call-back: nobody to tell.
            return Ok(());
        }
        let now = self.now();
        let body = text(texts(&state.language), voice);
        let new_status = status.unwrap_or(conv.status);
        let write = StepWrite {
            expected_last_seq: conv.last_seq,
            state: conv.state.clone(),
            status: new_status,
            messages: vec![Message {
                seq: 0,
                sender: Sender::System,
                body: Redacted::new(body.clone()),
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
            from: Sender::System,
            text: Redacted::new(body.clone()),
            choices: Vec::new(),
            client_id: None,
            at: now,
        };
        self.publish(
            conversation,
            ConversationEvent::Messages(vec![message.clone()]),
        );
        self.publish_to_holders(tenant, conversation, message).await;
        if new_status != conv.status {
            let queue = match &state.waiting {
                flow::Waiting::Queue { queue, .. } if new_status == ConversationStatus::Queued => {
                    Some(queue.clone())
                }
                _ => None,
            };
            self.publish(
                conversation,
                ConversationEvent::Status {
                    state: new_status,
                    queue,
                },
            );
        }
        if voice {
            let mut commands = vec![crate::CallCommand::Play {
                text: body,
                language: state.language.clone(),
                voice: None,
                audio: None,
            }];
            if new_status == ConversationStatus::Ended {
                commands.push(crate::CallCommand::Hangup);
            }
            commands.extend(then);
            self.publish(conversation, ConversationEvent::Call(commands));
        }
        Ok(())
    }
}
