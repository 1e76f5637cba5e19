//! The pure half of a conversation step: given what the engine returned (its effects and the
//! new state) and where the step started (the conversation, its status before, the caller's
//! message, the time), [`plan_step`] decides everything the step changes — the store write,
//! the HTTP requests to start, the commands a call must carry out and the events to publish.
//! It does no IO and reads no clock, so every effect kind is tested here without a database.

use std::sync::Arc;

use domain::{Redacted, Timestamp};
use flow::{ConversationState, Effect, Waiting};
use store::{Conversation, ConversationStatus, Message, QueueEntry, StepWrite};

use super::UserMessage;
use super::events::{CallCommand, ChatMessage, ConversationEvent};
use crate::ports::OutboundRequest;
use crate::{AppError, AppResult};

/// Extra time after an HTTP request's own timeout before its watchdog fires.
const HTTP_WATCHDOG_GRACE_MS: i64 = 5_000;

/// The timeout of a request whose own timeout does not fit the store's timer type.
const HTTP_FALLBACK_TIMEOUT_MS: i64 = 30_000;

/// A conversation's status with the queue it waits in (when queued).
pub(crate) type Status = (ConversationStatus, Option<String>);

/// The status a conversation in `state` has.
pub(crate) fn status_of(state: &ConversationState) -> Status {
    match &state.waiting {
        Waiting::Queue { queue, .. } => (ConversationStatus::Queued, Some(queue.clone())),
        Waiting::Ended { .. } => (ConversationStatus::Ended, None),
        _ => (ConversationStatus::Active, None),
    }
}

/// Timer ids below zero are HTTP watchdogs: `-(request id) - 1`.
pub(crate) fn watchdog_timer(request: u32) -> i64 {
    -i64::from(request) - 1
}

/// The HTTP request a watchdog timer guards, or `None` for an engine timer.
pub(crate) fn watchdog_request(timer: i64) -> Option<u32> {
    if timer < 0 {
        u32::try_from(-(timer + 1)).ok()
    } else {
        None
    }
}

/// Where a step started and what the engine made of it.
pub(crate) struct StepInput<'a> {
    /// The conversation as loaded (or as it is about to be created).
    pub(crate) conversation: &'a Conversation,
    /// Whether the conversation row is written with this step (its first).
    pub(crate) create: bool,
    /// Its status before the engine ran.
    pub(crate) before: Status,
    /// The engine state after the step.
    pub(crate) state: &'a ConversationState,
    /// The effects the engine returned, in order.
    pub(crate) effects: Vec<Effect>,
    /// The caller's message that caused the step, if one did.
    pub(crate) user: Option<&'a UserMessage>,
    /// `Some` for a call: the phrases its gathers expect in the conversation's language.
    /// `None` for channels without call commands.
    pub(crate) call_phrases: Option<Arc<Vec<String>>>,
    /// When the step happens.
    pub(crate) now: Timestamp,
}

/// Everything one step changes.
#[derive(Debug)]
pub(crate) struct StepPlan {
    /// What the store writes in one transaction.
    pub(crate) write: StepWrite,
    /// HTTP requests to start once the write is stored, by the engine's request id.
    pub(crate) requests: Vec<(u32, OutboundRequest)>,
    /// What to publish once the write is stored, in order: messages, the new status,
    /// call commands.
    pub(crate) events: Vec<ConversationEvent>,
    /// The seq the caller's message is stored under.
    pub(crate) user_seq: Option<i64>,
    /// Follow-up SMS the flow asked for on a conversation that is not itself SMS, by index
    /// in `write.messages`: the IO half routes them through the number proxy (or stores them
    /// failed, with the reason, when no proxy session can be had).
    pub(crate) follow_ups: Vec<usize>,
}

/// Plans one step: the store write, the requests and the events. Fails only when the state
/// cannot be serialised.
pub(crate) fn plan_step(input: StepInput<'_>) -> AppResult<StepPlan> {
    let StepInput {
        conversation,
        create,
        before,
        state,
        effects,
        user,
        call_phrases,
        now,
    } = input;
    let commands = match &call_phrases {
        Some(phrases) => call_commands(&effects, &state.language, phrases),
        None => Vec::new(),
    };

    let mut messages = Vec::new();
    if let Some(u) = user {
        messages.push(Message {
            seq: 0,
            sender: domain::Sender::User,
            body: Redacted::new(u.text.clone()),
            choices: None,
            client_id: Some(u.client_id.clone()),
            at: now,
        });
    }
    let mut set_timers = Vec::new();
    let mut follow_ups = Vec::new();
    let mut cancel_timers = Vec::new();
    let mut enqueue = None;
    let mut requests = Vec::new();
    let mut leave_queue = false;
    for effect in effects {
        match effect {
            Effect::Say { text, choices, .. } => {
                if text.is_empty() && choices.is_empty() {
                    continue;
                }
                messages.push(Message {
                    seq: 0,
                    sender: domain::Sender::Bot,
                    body: Redacted::new(text),
                    choices: (!choices.is_empty())
                        .then(|| serde_json::to_string(&choices).unwrap_or_default()),
                    client_id: None,
                    at: now,
                });
            }
            Effect::SendMessage { channel, text } => {
                // On an SMS conversation a follow-up SMS is a message in it; elsewhere it is
                // a message of the transcript that goes out through the number proxy.
                if channel == flow::MessageChannel::Sms
                    && conversation.channel != domain::Channel::Sms
                {
                    follow_ups.push(messages.len());
                }
                messages.push(Message {
                    seq: 0,
                    sender: domain::Sender::Bot,
                    body: Redacted::new(text),
                    choices: None,
                    client_id: None,
                    at: now,
                });
            }
            Effect::StartTimer { id, at_ms } => {
                set_timers.push((i64::from(id), Timestamp::from_millis(at_ms)))
            }
            Effect::CancelTimer { id } => cancel_timers.push(i64::from(id)),
            Effect::HttpRequest {
                id,
                method,
                url,
                headers,
                body,
                timeout_ms,
            } => {
                let timeout = i64::try_from(timeout_ms).unwrap_or(HTTP_FALLBACK_TIMEOUT_MS);
                set_timers.push((
                    watchdog_timer(id),
                    now.plus_millis(timeout + HTTP_WATCHDOG_GRACE_MS),
                ));
                requests.push((
                    id,
                    OutboundRequest {
                        method: method.as_str(),
                        url,
                        headers,
                        body,
                        timeout_ms,
                    },
                ));
            }
            Effect::Enqueue {
                queue,
                priority,
                context,
            } => {
                enqueue = Some(QueueEntry {
                    conversation_id: conversation.id,
                    queue,
                    priority: i64::from(priority),
                    context: serde_json::to_string(&context).unwrap_or_else(|_| "{}".to_owned()),
                    enqueued_at: now,
                });
            }
            Effect::LeaveQueue { .. } => leave_queue = true,
            Effect::Gather { .. }
            | Effect::Record { .. }
            | Effect::Transfer { .. }
            | Effect::End { .. } => {}
        }
    }
    let after = status_of(state);
    let write = StepWrite {
        expected_last_seq: conversation.last_seq,
        state: serde_json::to_string(state).map_err(|e| AppError::Internal(e.into()))?,
        status: after.0,
        messages,
        set_timers,
        cancel_timers,
        dequeue: leave_queue
            || (before.0 == ConversationStatus::Queued && after.0 != ConversationStatus::Queued),
        enqueue,
        at: now,
        create: create.then(|| conversation.clone()),
        deliver: conversation.channel.is_messaging(),
        routes: Vec::new(),
    };

    let mut events = Vec::new();
    let stored: Vec<ChatMessage> = write
        .messages
        .iter()
        .zip(conversation.last_seq + 1..)
        .map(|(m, seq)| ChatMessage {
            seq,
            ..ChatMessage::from_stored(m)
        })
        .collect();
    if !stored.is_empty() {
        events.push(ConversationEvent::Messages(stored));
    }
    if before != after {
        events.push(ConversationEvent::Status {
            state: after.0,
            queue: after.1,
        });
    }
    if !commands.is_empty() {
        events.push(ConversationEvent::Call(commands));
    }
    Ok(StepPlan {
        write,
        requests,
        events,
        user_seq: user.map(|_| conversation.last_seq + 1),
        follow_ups,
    })
}

/// The call commands one step's effects ask for, in order.
fn call_commands(
    effects: &[Effect],
    language: &str,
    phrases: &Arc<Vec<String>>,
) -> Vec<CallCommand> {
    let mut out = Vec::new();
    for effect in effects {
        match effect {
            Effect::Say {
                text, voice, audio, ..
            } if !text.is_empty() || audio.is_some() => out.push(CallCommand::Play {
                text: text.clone(),
                language: language.to_owned(),
                voice: voice.clone(),
                audio: audio.clone(),
            }),
            Effect::Gather {
                kinds,
                num_digits,
                finish_on_key,
            } => out.push(CallCommand::Gather {
                kinds: kinds.clone(),
                num_digits: *num_digits,
                finish_on_key: *finish_on_key,
                phrases: phrases.clone(),
            }),
            Effect::Record { max_secs } => out.push(CallCommand::Record {
                max_secs: *max_secs,
            }),
            Effect::Transfer { to } => out.push(CallCommand::Transfer { to: to.clone() }),
            Effect::Enqueue { queue, .. } => out.push(CallCommand::Queued {
                queue: queue.clone(),
            }),
            Effect::End { .. } => out.push(CallCommand::Hangup),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
