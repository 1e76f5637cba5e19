//! The conversation state survives a restart: serialised to JSON and read back after every
//! step, a conversation produces exactly the effects it produces without the round trip.
//! The state stays small, and a state that does not fit the flow fails safely.

use std::collections::BTreeMap;

use flow::{Channel, ConversationState, Effect, EndReason, Engine, Input, KeywordMatcher, Waiting};

use crate::support::{T0, compile, flow_yaml};

const TOP: &str = r#"
    languages: [de, en]
    fallback: human
    intents: {human: {keywords: [mensch, person]}}
"#;

const NODES: &str = r#"
    - {id: hello, type: say, text: {de: "Hallo, ich bin der digitale Assistent.", en: "Hi, I am the digital assistant."}, next: menu}
    - {id: menu, type: menu, prompt: {de: "1 Termin, 2 Mensch", en: "1 appointment, 2 human"}, repeat: {digit: 9}, no_input: human, no_match: human, options: [{digit: 1, label: {de: Termin, en: Appointment}, next: name}, {digit: 2, label: {de: Mensch, en: Human}, intent: human, next: human}]}
    - {id: name, type: ask, prompt: {de: "Wie heißen Sie?", en: "Your name?"}, save_as: name, next: lookup, no_input: human, no_match: human}
    - {id: lookup, type: http_request, method: GET, url: "https://crm.example/c?name={{name}}", save: {slot: /slot}, next: check, on_error: human}
    - {id: check, type: split, branches: [{when: {compare: {var: slot, op: exists}}, next: book}], default: human}
    - {id: book, type: set, values: {booked: "{{slot}}"}, next: confirm}
    - {id: confirm, type: subflow, start: sms, next: note}
    - {id: sms, type: send_message, text: {de: "Termin {{booked}}", en: "Appointment {{booked}}"}, channel: sms, next: ret}
    - {id: ret, type: return}
    - {id: note, type: record, prompt: {de: "Ihre Nachricht?", en: "Your message?"}, save_as: note, next: human}
    - {id: human, type: enqueue, queue: counselling, timeout_secs: 120, on_timeout: bye, context: {name: "{{name}}", note: "{{note}}"}}
    - {id: bye, type: end, text: {de: "Auf Wiederhören.", en: "Goodbye."}}
"#;

/// A step of the conversation; timers and requests are looked up in the state, so the
/// same script drives both runs.
enum Step {
    Give(Input),
    FireTimer,
    AnswerHttp(u16, &'static str),
}

fn script() -> Vec<Step> {
    let text = |t: &str| Step::Give(Input::Text { text: t.to_owned() });
    vec![
        Step::Give(Input::Start {
            channel: Channel::Chat,
            language: Some("de".to_owned()),
            entry: None,
            variables: BTreeMap::from([("contact.language".to_owned(), "de".to_owned())]),
        }),
        Step::Give(Input::Digits {
            digits: "9".to_owned(),
        }),
        text("Bananen"),
        Step::Give(Input::TimerFired { timer: 1 }),
        Step::Give(Input::Digits {
            digits: "1".to_owned(),
        }),
        text("Alex Müller"),
        Step::Give(Input::HttpResult {
            request: 99,
            status: 200,
            body: "{}".to_owned(),
        }),
        Step::AnswerHttp(200, r#"{"slot": "Mo 10:00"}"#),
        text("Ich brauche Hilfe"),
        text("Hallo?"),
        Step::FireTimer,
        text("nach dem Ende"),
    ]
}

/// Runs the script; with `restart`, the state goes through JSON before every step.
/// Returns the effects of every step and the largest state seen, in bytes.
fn run(restart: bool) -> (Vec<Vec<Effect>>, usize, ConversationState) {
    let flow = compile(&flow_yaml(TOP, NODES));
    let matcher = KeywordMatcher::from_flow(&flow);
    let engine = Engine::new(&flow, &matcher);
    let mut state = ConversationState::new(Channel::Chat, "de");
    let mut now = T0;
    let mut timers: BTreeMap<u32, i64> = BTreeMap::new();
    let mut all = Vec::new();
    let mut largest = 0;
    for step in script() {
        let json = serde_json::to_string(&state).unwrap_or_default();
        largest = largest.max(json.len());
        if restart {
            state = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("state does not read back: {e}\n{json}"));
        }
        now += 1000;
        let input = match step {
            Step::Give(input) => input,
            Step::FireTimer => {
                let timer = match &state.waiting {
                    Waiting::Input { timer }
                    | Waiting::Queue {
                        timer: Some(timer), ..
                    } => *timer,
                    other => panic!("no timer to fire while {other:?}"),
                };
                now = now.max(timers.get(&timer).copied().unwrap_or(now));
                Input::TimerFired { timer }
            }
            Step::AnswerHttp(status, body) => match state.waiting {
                Waiting::Http { request } => Input::HttpResult {
                    request,
                    status,
                    body: body.to_owned(),
                },
                ref other => panic!("no request pending while {other:?}"),
            },
        };
        let effects = engine.handle(&mut state, input, now);
        for e in &effects {
            if let Effect::StartTimer { id, at_ms } = e {
                timers.insert(*id, *at_ms);
            }
        }
        all.push(effects);
    }
    (all, largest, state)
}

#[test]
fn a_conversation_survives_a_restart_after_every_step() {
    let (straight, largest, end_state) = run(false);
    let (restarted, _, restarted_end) = run(true);
    assert_eq!(straight, restarted);
    assert_eq!(end_state, restarted_end);
    // The conversation went all the way: booked, messaged, queued, timed out, ended.
    let flat: Vec<&Effect> = straight.iter().flatten().collect();
    assert!(flat.contains(&&Effect::SendMessage {
        channel: flow::MessageChannel::Sms,
        text: "Termin Mo 10:00".into()
    }));
    assert!(flat.iter().any(
        |e| matches!(e, Effect::Enqueue { context, .. } if context["note"] == "Ich brauche Hilfe")
    ));
    assert!(flat.contains(&&Effect::LeaveQueue {
        queue: "counselling".into()
    }));
    assert_eq!(
        end_state.waiting,
        Waiting::Ended {
            reason: EndReason::Completed
        }
    );
    assert!(end_state.stack.is_empty());
    assert!(largest < 1024, "the state grew to {largest} bytes of JSON");
}

#[test]
fn a_state_naming_an_unknown_node_ends_as_failed() {
    let flow = compile(&flow_yaml(TOP, NODES));
    let engine = Engine::new(&flow, &flow::NoIntents);
    let mut state = ConversationState::new(Channel::Voice, "en");
    let effects = engine.handle(
        &mut state,
        Input::Start {
            channel: Channel::Voice,
            language: None,
            entry: None,
            variables: BTreeMap::new(),
        },
        T0,
    );
    assert_eq!(state.node, "menu", "{effects:?}");
    state.node = "removed-in-a-later-version".to_owned();
    let effects = engine.handle(&mut state, Input::Digits { digits: "1".into() }, T0 + 1000);
    assert_eq!(
        effects,
        vec![
            Effect::CancelTimer { id: 1 },
            Effect::End {
                reason: EndReason::Failed
            }
        ]
    );
    assert_eq!(
        state.waiting,
        Waiting::Ended {
            reason: EndReason::Failed
        }
    );
}

#[test]
fn a_return_address_naming_an_unknown_node_ends_as_failed() {
    let flow = compile(&flow_yaml(TOP, NODES));
    let engine = Engine::new(&flow, &flow::NoIntents);
    let mut state = ConversationState::new(Channel::Chat, "en");
    let start = Input::Start {
        channel: Channel::Chat,
        language: None,
        entry: Some("ret".into()),
        variables: BTreeMap::new(),
    };
    state.stack.push("gone".into());
    let effects = engine.handle(&mut state, start, T0);
    assert_eq!(
        effects,
        vec![Effect::End {
            reason: EndReason::Failed
        }]
    );
}
