//! One test per effect kind for [`plan_step`]: what it writes, which requests it starts,
//! which call commands and events it publishes, and in which order.

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::{ConversationId, TenantId, Timestamp};
use flow::{Channel, Choice, ConversationState, Effect, EndReason, InputKind, Waiting};
use store::{Conversation, ConversationStatus};

use super::*;

const NOW: Timestamp = Timestamp::from_millis(1_700_000_000_000);

fn conversation(channel: domain::Channel, last_seq: i64) -> Conversation {
    Conversation {
        tenant_id: TenantId::from_random_bytes([1; 16]),
        id: ConversationId::from_random_bytes([2; 16]),
        channel,
        widget_id: None,
        flow_id: domain::FlowId::from_random_bytes([3; 16]),
        flow_version: 1,
        session_hash: String::new(),
        state: String::new(),
        status: ConversationStatus::Active,
        last_seq,
        created_at: NOW,
        updated_at: NOW,
    }
}

fn state(waiting: Waiting) -> ConversationState {
    let mut s = ConversationState::new(Channel::Chat, "de");
    s.waiting = waiting;
    s
}

fn active() -> ConversationState {
    state(Waiting::Input { timer: 1 })
}

fn phrases() -> Arc<Vec<String>> {
    Arc::new(vec!["Beratung".to_owned()])
}

fn say(text: &str) -> Effect {
    Effect::Say {
        text: text.to_owned(),
        voice: None,
        audio: None,
        choices: Vec::new(),
    }
}

/// Plans a step of a chat (`call` false) or a call from an active conversation.
fn plan(call: bool, state: &ConversationState, effects: Vec<Effect>) -> StepPlan {
    plan_from(call, (ConversationStatus::Active, None), state, effects)
}

fn plan_from(
    call: bool,
    before: Status,
    state: &ConversationState,
    effects: Vec<Effect>,
) -> StepPlan {
    let conv = conversation(
        if call {
            domain::Channel::Voice
        } else {
            domain::Channel::Chat
        },
        4,
    );
    plan_step(StepInput {
        conversation: &conv,
        create: false,
        before,
        state,
        effects,
        user: None,
        call_phrases: call.then(phrases),
        now: NOW,
    })
    .unwrap()
}

fn commands(plan: &StepPlan) -> Vec<CallCommand> {
    plan.events
        .iter()
        .find_map(|e| match e {
            ConversationEvent::Call(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn bodies(plan: &StepPlan) -> Vec<(String, String)> {
    plan.write
        .messages
        .iter()
        .map(|m| (m.sender.as_str().to_owned(), m.body.expose().clone()))
        .collect()
}

#[test]
fn ask_writes_the_prompt_and_a_call_gathers_with_the_flows_phrases() {
    let gather = Effect::Gather {
        kinds: vec![InputKind::Digits, InputKind::Speech],
        num_digits: Some(1),
        finish_on_key: Some('#'),
    };
    let p = plan(true, &active(), vec![say("Wie heißt du?"), gather.clone()]);
    assert_eq!(bodies(&p), [("bot".to_owned(), "Wie heißt du?".to_owned())]);
    assert_eq!(
        commands(&p),
        [
            CallCommand::Play {
                text: "Wie heißt du?".to_owned(),
                language: "de".to_owned(),
                voice: None,
                audio: None,
            },
            CallCommand::Gather {
                kinds: vec![InputKind::Digits, InputKind::Speech],
                num_digits: Some(1),
                finish_on_key: Some('#'),
                phrases: phrases(),
            },
        ]
    );
    assert_eq!(p.write.expected_last_seq, 4);
    assert_eq!(p.write.status, ConversationStatus::Active);
    assert!(p.write.create.is_none());

    // A chat writes the same message and gets no call commands.
    let chat = plan(false, &active(), vec![say("Wie heißt du?"), gather]);
    assert_eq!(bodies(&chat), bodies(&p));
    assert!(commands(&chat).is_empty());
}

#[test]
fn a_menu_stores_its_choices_and_publishes_them_with_the_next_seqs() {
    let choices = vec![Choice {
        label: "Beratung".to_owned(),
        value: "1".to_owned(),
    }];
    let menu = Effect::Say {
        text: "Wählen Sie".to_owned(),
        voice: None,
        audio: None,
        choices: choices.clone(),
    };
    let p = plan(false, &active(), vec![menu, say("")]);
    // The empty text without choices is not a message.
    assert_eq!(p.write.messages.len(), 1);
    assert_eq!(
        p.write.messages[0].choices.as_deref(),
        Some(r#"[{"label":"Beratung","value":"1"}]"#)
    );
    match &p.events[..] {
        [ConversationEvent::Messages(m)] => {
            assert_eq!(m.len(), 1);
            assert_eq!(m[0].seq, 5);
            assert_eq!(m[0].choices, choices);
            assert_eq!(m[0].from, domain::Sender::Bot);
        }
        other => panic!("unexpected events {other:?}"),
    }
}

#[test]
fn the_callers_message_comes_first_and_its_seq_is_returned() {
    let conv = conversation(domain::Channel::Chat, 4);
    let user = UserMessage {
        client_id: "m-1".to_owned(),
        text: "Hallo".to_owned(),
    };
    let s = active();
    let p = plan_step(StepInput {
        conversation: &conv,
        create: true,
        before: (ConversationStatus::Active, None),
        state: &s,
        effects: vec![say("Hallo zurück")],
        user: Some(&user),
        call_phrases: None,
        now: NOW,
    })
    .unwrap();
    assert_eq!(p.user_seq, Some(5));
    assert_eq!(
        bodies(&p),
        [
            ("user".to_owned(), "Hallo".to_owned()),
            ("bot".to_owned(), "Hallo zurück".to_owned())
        ]
    );
    assert_eq!(p.write.messages[0].client_id.as_deref(), Some("m-1"));
    assert_eq!(p.write.create.as_ref(), Some(&conv));
    let seqs: Vec<i64> = match &p.events[0] {
        ConversationEvent::Messages(m) => m.iter().map(|m| m.seq).collect(),
        other => panic!("unexpected event {other:?}"),
    };
    assert_eq!(seqs, [5, 6]);
}

#[test]
fn enqueue_writes_a_queue_entry_reports_the_status_and_tells_the_call() {
    let mut context = BTreeMap::new();
    context.insert("topic".to_owned(), "Miete".to_owned());
    let queued = state(Waiting::Queue {
        queue: "beratung".to_owned(),
        timer: None,
    });
    let enqueue = Effect::Enqueue {
        queue: "beratung".to_owned(),
        priority: 3,
        context,
    };
    let p = plan(true, &queued, vec![enqueue]);
    let entry = p.write.enqueue.as_ref().expect("a queue entry");
    assert_eq!(entry.queue, "beratung");
    assert_eq!(entry.priority, 3);
    assert_eq!(entry.context, r#"{"topic":"Miete"}"#);
    assert_eq!(entry.enqueued_at, NOW);
    assert_eq!(p.write.status, ConversationStatus::Queued);
    assert!(!p.write.dequeue);
    assert_eq!(
        p.events,
        [
            ConversationEvent::Status {
                state: ConversationStatus::Queued,
                queue: Some("beratung".to_owned()),
            },
            ConversationEvent::Call(vec![CallCommand::Queued {
                queue: "beratung".to_owned()
            }]),
        ]
    );
}

#[test]
fn leaving_the_queue_dequeues_whether_announced_or_not() {
    let left = Effect::LeaveQueue {
        queue: "beratung".to_owned(),
    };
    let p = plan(false, &active(), vec![left]);
    assert!(p.write.dequeue);

    // Queued before, active after: dequeued without an explicit effect.
    let before = (ConversationStatus::Queued, Some("beratung".to_owned()));
    let p = plan_from(false, before.clone(), &active(), vec![]);
    assert!(p.write.dequeue);
    assert_eq!(
        p.events,
        [ConversationEvent::Status {
            state: ConversationStatus::Active,
            queue: None,
        }]
    );

    // Still queued: nothing changes.
    let queued = state(Waiting::Queue {
        queue: "beratung".to_owned(),
        timer: Some(2),
    });
    let p = plan_from(false, before, &queued, vec![]);
    assert!(!p.write.dequeue);
    assert!(p.events.is_empty());
}

#[test]
fn timers_are_started_and_cancelled() {
    let p = plan(
        false,
        &active(),
        vec![
            Effect::CancelTimer { id: 1 },
            Effect::StartTimer {
                id: 2,
                at_ms: NOW.millis() + 30_000,
            },
        ],
    );
    assert_eq!(p.write.cancel_timers, [1]);
    assert_eq!(p.write.set_timers, [(2, NOW.plus_millis(30_000))]);
    assert!(p.events.is_empty());
    assert!(p.requests.is_empty());
}

#[test]
fn an_http_request_is_started_with_a_watchdog_timer() {
    let mut headers = BTreeMap::new();
    headers.insert("accept".to_owned(), "application/json".to_owned());
    let request = Effect::HttpRequest {
        id: 7,
        method: flow::HttpMethod::Post,
        url: "https://example.org/api".to_owned(),
        headers: headers.clone(),
        body: Some("{}".to_owned()),
        timeout_ms: 2_000,
    };
    let p = plan(true, &state(Waiting::Http { request: 7 }), vec![request]);
    assert_eq!(
        p.requests,
        [(
            7,
            OutboundRequest {
                method: "POST",
                url: "https://example.org/api".to_owned(),
                headers,
                body: Some("{}".to_owned()),
                timeout_ms: 2_000,
            }
        )]
    );
    assert_eq!(p.write.set_timers, [(-8, NOW.plus_millis(7_000))]);
    assert_eq!(watchdog_request(-8), Some(7));
    assert_eq!(watchdog_request(7), None);
    assert!(commands(&p).is_empty());
}

#[test]
fn record_and_transfer_become_call_commands() {
    let p = plan(
        true,
        &state(Waiting::Recording),
        vec![Effect::Record { max_secs: 60 }],
    );
    assert_eq!(commands(&p), [CallCommand::Record { max_secs: 60 }]);
    assert!(p.write.messages.is_empty());

    let p = plan(
        true,
        &state(Waiting::Transfer),
        vec![Effect::Transfer {
            to: "sip:team@example.org".to_owned(),
        }],
    );
    assert_eq!(
        commands(&p),
        [CallCommand::Transfer {
            to: "sip:team@example.org".to_owned()
        }]
    );
}

#[test]
fn end_hangs_up_and_ends_the_conversation() {
    let ended = state(Waiting::Ended {
        reason: EndReason::Completed,
    });
    let p = plan(
        true,
        &ended,
        vec![
            say("Auf Wiederhören"),
            Effect::End {
                reason: EndReason::Completed,
            },
        ],
    );
    assert_eq!(p.write.status, ConversationStatus::Ended);
    assert!(matches!(
        &p.events[..],
        [
            ConversationEvent::Messages(_),
            ConversationEvent::Status {
                state: ConversationStatus::Ended,
                queue: None,
            },
            ConversationEvent::Call(_),
        ]
    ));
    assert_eq!(commands(&p).last(), Some(&CallCommand::Hangup));
}

#[test]
fn call_commands_keep_the_order_of_the_effects() {
    let audio = Effect::Say {
        text: String::new(),
        voice: Some("anna".to_owned()),
        audio: Some("hold.wav".to_owned()),
        choices: Vec::new(),
    };
    let p = plan(
        true,
        &state(Waiting::Queue {
            queue: "q".to_owned(),
            timer: None,
        }),
        vec![
            say("Einen Moment"),
            Effect::Enqueue {
                queue: "q".to_owned(),
                priority: 0,
                context: BTreeMap::new(),
            },
            Effect::StartTimer { id: 3, at_ms: 0 },
            audio,
            say(""),
        ],
    );
    let kinds: Vec<String> = commands(&p)
        .iter()
        .map(|c| match c {
            CallCommand::Play { text, audio, .. } => format!("play {text}{audio:?}"),
            CallCommand::Queued { queue } => format!("queued {queue}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "play Einen MomentNone",
            "queued q",
            "play Some(\"hold.wav\")"
        ]
    );
    // An audio-only prompt is played but is no chat message.
    assert_eq!(bodies(&p).len(), 1);
}

#[test]
fn a_follow_up_on_the_same_channel_is_a_message_and_an_sms_is_marked_for_the_proxy() {
    let p = plan(
        false,
        &active(),
        vec![
            Effect::SendMessage {
                channel: flow::MessageChannel::Same,
                text: "Danke".to_owned(),
            },
            Effect::SendMessage {
                channel: flow::MessageChannel::Sms,
                text: "Ihr Termin".to_owned(),
            },
        ],
    );
    assert_eq!(
        bodies(&p),
        [
            ("bot".to_owned(), "Danke".to_owned()),
            ("bot".to_owned(), "Ihr Termin".to_owned())
        ]
    );
    // The SMS is the second message; the first stays on the conversation's channel.
    assert_eq!(p.follow_ups, [1]);
}
