//! Automatic hand-over inside a conversation step, and the conversation's side of the
//! contact centre.
//!
//! Before the flow sees a caller's message, Hotline checks it: a crisis hands over at once
//! (with the tenant's crisis text first), a request for a person hands over, and the flow's
//! own answer is replaced by a hand-over when it did not understand twice in a row (the NLU
//! said out of scope) or when the caller pressed 0 where the menu has no 0. While an agent
//! holds the conversation, the bot does not run at all: caller messages are stored and go to
//! the agent's desk. What the contact centre must learn from a step (a new queue entry, a
//! conversation that left its queue, a crisis while waiting) is a [`FollowUp`], done after
//! the conversation's lock is released.

use std::collections::BTreeMap;

use domain::{ConversationId, Redacted, Sender, TenantId};
use flow::{ConversationState, Effect, Engine, Input};
use serde::{Deserialize, Serialize};
use store::{Conversation, ConversationStatus, Message, QueueEntry, StepWrite};

use super::{ChatMessage, ConversationEvent, UserMessage};
use crate::{App, AppResult};

/// Why a conversation went to a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandOverReason {
    /// The flow's `enqueue` node.
    Flow,
    /// The caller asked for a person.
    AskedForHuman,
    /// The caller is in crisis.
    Crisis,
    /// The bot did not understand twice in a row.
    OutOfScope,
}

impl HandOverReason {
    /// The text kept in the engine's `handover.reason`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HandOverReason::Flow => "flow",
            HandOverReason::AskedForHuman => "asked_for_human",
            HandOverReason::Crisis => "crisis",
            HandOverReason::OutOfScope => "out_of_scope",
        }
    }
}

/// What the checks found in one caller message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct HandOverCheck {
    /// A crisis expression (lexicon or model).
    pub(crate) crisis: bool,
    /// The caller asks for a person.
    pub(crate) human: bool,
}

/// What the flow's engine recorded about the last utterance, for the task's context.
#[derive(Debug, Clone, Default)]
pub(crate) struct Understood {
    pub(crate) intent: Option<String>,
    pub(crate) confidence: Option<f32>,
    pub(crate) language: String,
    pub(crate) variables: BTreeMap<String, String>,
}

impl Understood {
    /// Reads the engine state's variables (`last_intent`, `nlu.confidence`, the rest).
    pub(crate) fn from_state(state: &flow::ConversationState) -> Self {
        let variables: BTreeMap<String, String> = state
            .vars
            .iter()
            .filter(|(k, v)| !k.starts_with("system.") && !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Understood {
            intent: state.last_intent.clone(),
            confidence: state
                .vars
                .get("nlu.confidence")
                .and_then(|c| c.parse().ok()),
            language: state.language.clone(),
            variables,
        }
    }
}

/// The acknowledgement of a message sent while waiting, in the caller's language.
pub(crate) fn queued_ack(language: &str) -> &'static str {
    if language.starts_with("de") {
        "Danke, Ihre Nachricht wird der Beraterin oder dem Berater gezeigt."
    } else {
        "Thank you, your message will be shown to the counsellor."
    }
}

/// Out-of-scope answers in a row after which the conversation goes to a human.
const OUT_OF_SCOPE_LIMIT: u32 = 2;

/// The engine variable counting out-of-scope answers in a row.
const STREAK_VAR: &str = "nlu.out_of_scope_streak";

/// What the checks found and what a hand-over needs.
pub(crate) struct Turn {
    pub(crate) check: HandOverCheck,
    /// The conversation already waits in a queue.
    pub(crate) queued: bool,
    /// The queue for a hand-over when the flow's fallback is not an `enqueue`.
    pub(crate) handover_queue: String,
    /// Said first when the caller is in crisis.
    pub(crate) crisis_text: Option<String>,
}

/// What the contact centre must learn after a step.
#[derive(Debug)]
pub(crate) struct FollowUp {
    /// The step put the conversation into a queue.
    pub(crate) enqueue: Option<(QueueEntry, Understood)>,
    /// Why, when Hotline handed over by itself.
    pub(crate) reason: Option<HandOverReason>,
    /// The conversation's channel.
    pub(crate) channel: domain::Channel,
    /// The step took the conversation out of its queue (the flow went on, or it ended).
    pub(crate) left_queue: bool,
    /// The input was the caller hanging up.
    pub(crate) hangup: bool,
    /// A crisis was detected in this step.
    pub(crate) crisis: bool,
}

impl Default for FollowUp {
    fn default() -> Self {
        FollowUp {
            enqueue: None,
            reason: None,
            channel: domain::Channel::Chat,
            left_queue: false,
            hangup: false,
            crisis: false,
        }
    }
}

fn hand_over(reason: HandOverReason, queue: &str) -> Input {
    Input::HandOver {
        reason: reason.as_str().to_owned(),
        queue: queue.to_owned(),
    }
}

fn say(text: String) -> Effect {
    Effect::Say {
        text,
        voice: None,
        audio: None,
        choices: Vec::new(),
    }
}

/// Runs the engine for one input with the automatic hand-over rules; returns the effects and,
/// when Hotline handed over by itself, why.
pub(crate) fn run_turn(
    engine: &Engine<'_>,
    state: &mut ConversationState,
    input: Input,
    now_ms: i64,
    turn: &Turn,
) -> (Vec<Effect>, Option<HandOverReason>) {
    let from_caller = matches!(
        input,
        Input::Text { .. } | Input::Speech { .. } | Input::Digits { .. }
    );
    if !from_caller {
        return (engine.handle(state, input, now_ms), None);
    }
    if turn.check.crisis {
        let mut effects: Vec<Effect> = turn.crisis_text.clone().map(say).into_iter().collect();
        if turn.queued {
            // Already waiting: the engine keeps the caller's words; the task moves up.
            effects.extend(engine.handle(state, input, now_ms));
        } else {
            effects.extend(engine.handle(
                state,
                hand_over(HandOverReason::Crisis, &turn.handover_queue),
                now_ms,
            ));
        }
        return (effects, Some(HandOverReason::Crisis));
    }
    if turn.queued {
        let mut effects = engine.handle(state, input, now_ms);
        effects.push(say(queued_ack(&state.language).to_owned()));
        return (effects, None);
    }
    if turn.check.human {
        let effects = engine.handle(
            state,
            hand_over(HandOverReason::AskedForHuman, &turn.handover_queue),
            now_ms,
        );
        return (effects, Some(HandOverReason::AskedForHuman));
    }
    let original = state.clone();
    let key_zero = matches!(&input, Input::Digits { digits } if digits == "0");
    // Only words are classified; the out-of-scope flag of digits would be stale.
    let words = matches!(input, Input::Text { .. } | Input::Speech { .. });
    let effects = engine.handle(state, input, now_ms);
    let missed = state.node == original.node && state.attempts > original.attempts;
    let out_of_scope = state.vars.get("nlu.out_of_scope").map(String::as_str) == Some("true");
    let streak = if words && missed && out_of_scope {
        original
            .vars
            .get(STREAK_VAR)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
            + 1
    } else {
        0
    };
    let reason = if key_zero && missed {
        Some(HandOverReason::AskedForHuman)
    } else if streak >= OUT_OF_SCOPE_LIMIT {
        Some(HandOverReason::OutOfScope)
    } else {
        None
    };
    match reason {
        Some(reason) => {
            // The flow's "not understood" is replaced by the hand-over.
            *state = original;
            state.vars.remove(STREAK_VAR);
            let queue = if turn.handover_queue.is_empty() {
                "default"
            } else {
                turn.handover_queue.as_str()
            };
            (
                engine.handle(state, hand_over(reason, queue), now_ms),
                Some(reason),
            )
        }
        None => {
            if streak > 0 {
                state.vars.insert(STREAK_VAR.to_owned(), streak.to_string());
            } else {
                state.vars.remove(STREAK_VAR);
            }
            (effects, None)
        }
    }
}

impl App {
    /// A step while an agent holds the conversation: the bot stays silent. A caller's message
    /// is stored and goes to the agent (with the crisis text first when it is a crisis); a
    /// hang-up ends the conversation; the flow's timers and late HTTP results are dropped.
    pub(super) async fn step_with_agent(
        &self,
        conv: &Conversation,
        input: Input,
        user: Option<UserMessage>,
        check: HandOverCheck,
    ) -> AppResult<(Option<i64>, FollowUp)> {
        let now = self.now();
        let (tenant, conversation) = (conv.tenant_id, conv.id);
        let state = super::stored_state(conv)?;
        let mut messages = Vec::new();
        let mut status = conv.status;
        let follow = FollowUp {
            channel: conv.channel,
            crisis: check.crisis,
            ..FollowUp::default()
        };
        match (&input, &user) {
            (Input::Text { text } | Input::Speech { text, .. }, _) => {
                let client_id = user.as_ref().map(|u| u.client_id.clone());
                messages.push(message(Sender::User, text.clone(), client_id, now));
                if check.crisis {
                    let text = self.crisis_text(tenant, &state.language).await;
                    messages.push(message(Sender::System, text, None, now));
                }
            }
            (Input::Digits { digits }, _) => {
                let client_id = user.as_ref().map(|u| u.client_id.clone());
                messages.push(message(Sender::User, digits.clone(), client_id, now));
            }
            (Input::Hangup, _) => status = ConversationStatus::Ended,
            _ => return Ok((None, FollowUp::default())),
        }
        let write = StepWrite {
            expected_last_seq: conv.last_seq,
            state: conv.state.clone(),
            status,
            messages: messages.clone(),
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
        let stored: Vec<ChatMessage> = messages
            .iter()
            .zip(conv.last_seq + 1..)
            .map(|(m, seq)| ChatMessage {
                seq,
                ..ChatMessage::from_stored(m)
            })
            .collect();
        let user_seq = user.as_ref().map(|_| conv.last_seq + 1);
        if !stored.is_empty() {
            self.publish(conversation, ConversationEvent::Messages(stored.clone()));
            for m in stored {
                self.publish_to_holders(tenant, conversation, m).await;
            }
        }
        if status != conv.status {
            self.publish(
                conversation,
                ConversationEvent::Status {
                    state: status,
                    queue: None,
                },
            );
        }
        let follow = FollowUp {
            left_queue: status == ConversationStatus::Ended,
            hangup: matches!(input, Input::Hangup),
            ..follow
        };
        Ok((user_seq, follow))
    }

    /// Tells the contact centre what a step changed. Failures are logged: the step is stored,
    /// and the conversation's queue entry stays for the next restore to pick up.
    pub(super) async fn follow_up(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        follow: FollowUp,
    ) {
        let result = async {
            if let Some((entry, understood)) = follow.enqueue {
                let reason = follow.reason.unwrap_or(HandOverReason::Flow);
                self.task_for_entry(
                    tenant,
                    conversation,
                    follow.channel,
                    &entry,
                    understood,
                    reason,
                )
                .await?;
            } else if follow.left_queue {
                self.conversation_left_queue(tenant, conversation, follow.hangup)
                    .await?;
            }
            if follow.crisis {
                self.mark_crisis(tenant, conversation).await?;
            }
            AppResult::Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(%conversation, error = %e, "contact centre not told of a step");
        }
    }
}

fn message(
    sender: Sender,
    text: String,
    client_id: Option<String>,
    at: domain::Timestamp,
) -> Message {
    Message {
        seq: 0,
        sender,
        body: Redacted::new(text),
        choices: None,
        client_id,
        at,
    }
}

#[cfg(test)]
mod tests {
    use flow::{ConversationState, Effect, Engine, Flow, Input, KeywordMatcher, Waiting};

    use super::{HandOverCheck, HandOverReason};
    use super::{Turn, run_turn};

    const FLOW: &str = r#"
flow: 1
id: t
name: T
language: de
start: menu
fallback: human
intents:
  appointment: {keywords: [termin]}
nodes:
  - id: menu
    type: menu
    prompt: "Termin oder Frage?"
    retries: 3
    options:
      - {label: Termin, intent: appointment, next: done}
      - {label: Frage, digit: "2", next: done}
    no_match: human
  - {id: done, type: end, text: "Gut."}
  - {id: human, type: enqueue, queue: beratung, text: "Ich verbinde Sie."}
"#;

    fn setup() -> (Flow, KeywordMatcher) {
        let doc = flow::parse_yaml(FLOW).expect("parses");
        let matcher = KeywordMatcher::from_document(&doc).expect("matcher");
        (Flow::compile(doc).expect("compiles"), matcher)
    }

    fn turn(check: HandOverCheck) -> Turn {
        Turn {
            check,
            queued: false,
            handover_queue: "default".to_owned(),
            crisis_text: Some("Notruf 112".to_owned()),
        }
    }

    fn texts(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Say { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn started(engine: &Engine<'_>) -> ConversationState {
        let mut state = ConversationState::new(flow::Channel::Chat, "de");
        engine.handle(
            &mut state,
            Input::Start {
                channel: flow::Channel::Chat,
                language: None,
                entry: None,
                variables: Default::default(),
            },
            0,
        );
        state
    }

    fn text(t: &str) -> Input {
        Input::Text { text: t.to_owned() }
    }

    #[test]
    fn out_of_scope_twice_hands_over_instead_of_a_second_apology() {
        let (flow, matcher) = setup();
        let engine = Engine::new(&flow, &matcher);
        let mut state = started(&engine);
        let none = turn(HandOverCheck::default());
        // First: the flow's own "not understood" and its re-prompt.
        let (first, reason) = run_turn(&engine, &mut state, text("Wie wird das Wetter?"), 1, &none);
        assert_eq!(reason, None);
        assert!(
            texts(&first).iter().any(|t| t.contains("nicht verstanden")),
            "{first:?}"
        );
        // Second: the hand-over, not another apology (the menu would allow three).
        let (second, reason) = run_turn(&engine, &mut state, text("Blau ist schön"), 2, &none);
        assert_eq!(reason, Some(HandOverReason::OutOfScope));
        assert_eq!(texts(&second), ["Ich verbinde Sie."]);
        assert!(matches!(state.waiting, Waiting::Queue { .. }));
    }

    #[test]
    fn an_understood_answer_resets_the_count() {
        let (flow, matcher) = setup();
        let engine = Engine::new(&flow, &matcher);
        let none = turn(HandOverCheck::default());
        let mut state = started(&engine);
        run_turn(&engine, &mut state, text("Wetter?"), 1, &none);
        assert_eq!(
            state
                .vars
                .get("nlu.out_of_scope_streak")
                .map(String::as_str),
            Some("1")
        );
        // Key 5 is not an option: a digit no-match is not out of scope, and resets.
        let (_, reason) = run_turn(
            &engine,
            &mut state,
            Input::Digits { digits: "5".into() },
            2,
            &none,
        );
        assert_eq!(reason, None);
        assert_eq!(state.vars.get("nlu.out_of_scope_streak"), None);
        let (_, reason) = run_turn(&engine, &mut state, text("Sonne?"), 3, &none);
        assert_eq!(reason, None, "one out-of-scope after the reset is not two");
    }

    #[test]
    fn key_zero_where_the_menu_has_none_asks_for_a_person() {
        let (flow, matcher) = setup();
        let engine = Engine::new(&flow, &matcher);
        let mut state = started(&engine);
        let (effects, reason) = run_turn(
            &engine,
            &mut state,
            Input::Digits { digits: "0".into() },
            1,
            &turn(HandOverCheck::default()),
        );
        assert_eq!(reason, Some(HandOverReason::AskedForHuman));
        assert_eq!(texts(&effects), ["Ich verbinde Sie."]);
    }

    #[test]
    fn crisis_says_where_help_is_first_and_never_not_understood() {
        let (flow, matcher) = setup();
        let engine = Engine::new(&flow, &matcher);
        let mut state = started(&engine);
        let crisis = turn(HandOverCheck {
            crisis: true,
            human: false,
        });
        let (effects, reason) = run_turn(
            &engine,
            &mut state,
            text("ich will nicht mehr leben"),
            1,
            &crisis,
        );
        assert_eq!(reason, Some(HandOverReason::Crisis));
        assert_eq!(texts(&effects), ["Notruf 112", "Ich verbinde Sie."]);
        // Already queued: the text again, the engine keeps waiting, no second enqueue.
        let queued = Turn {
            queued: true,
            ..crisis
        };
        let (effects, _) = run_turn(&engine, &mut state, text("bitte"), 2, &queued);
        assert_eq!(texts(&effects), ["Notruf 112"]);
        assert!(!effects.iter().any(|e| matches!(e, Effect::Enqueue { .. })));
    }

    #[test]
    fn asking_for_a_person_hands_over_and_queued_messages_are_acknowledged() {
        let (flow, matcher) = setup();
        let engine = Engine::new(&flow, &matcher);
        let mut state = started(&engine);
        let human = turn(HandOverCheck {
            crisis: false,
            human: true,
        });
        let (effects, reason) =
            run_turn(&engine, &mut state, text("einen Menschen bitte"), 1, &human);
        assert_eq!(reason, Some(HandOverReason::AskedForHuman));
        assert_eq!(texts(&effects), ["Ich verbinde Sie."]);
        let queued = Turn {
            queued: true,
            ..turn(HandOverCheck::default())
        };
        let (effects, _) = run_turn(&engine, &mut state, text("Hallo?"), 2, &queued);
        assert_eq!(
            texts(&effects),
            ["Danke, Ihre Nachricht wird der Beraterin oder dem Berater gezeigt."]
        );
    }
}
