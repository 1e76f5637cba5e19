//! Property tests: generated flows (every node kind, random and dangling transitions) never
//! make the parser, validator, linter, compiler or interpreter panic; every dangling
//! transition is reported; flows generated to be valid compile, and run any input sequence
//! with the state surviving a JSON round trip at every step.

use std::collections::BTreeMap;

use flow::diagnostic::codes;
use flow::{
    Ask, Branch, Calendar, Channel, CompareOp, Condition, ConversationState, Effect, End, Engine,
    Enqueue, FlowDocument, HttpMethod, HttpRequest, Input, IntentDef, KeywordMatcher, Menu,
    MenuOption, MessageChannel, Node, Record, RepeatOption, Return, Say, SendMessage, SetVars,
    Split, Subflow, Text, Transfer, Waiting, Weekday, check, lint, parse_json, parse_yaml,
    validate,
};
use proptest::prelude::*;

use crate::support::T0;

const PATTERNS: &[&str] = &["^[0-9]{5}$", "(?i)hilfe", "(", "a|b", "[z-a]", ""];
const DIGITS: &[&str] = &["1", "2", "9", "*", "#", "12", "a"];
const WORDS: &[&str] = &[
    "hilfe",
    "Termin um 10 Uhr",
    "1",
    "12345",
    "mensch",
    "",
    "Straße",
    "nochmal",
    "#",
];

/// One generated node: a kind and bytes that pick its fields and targets.
type Recipe = (u8, [u8; 8]);

/// Picks a target: mostly an existing node, sometimes a missing one (`x…`).
fn target(byte: u8, count: usize) -> String {
    let pick = usize::from(byte) % (count + 2);
    if pick < count {
        format!("n{pick}")
    } else {
        format!("x{}", pick - count)
    }
}

fn text(byte: u8, words: &str) -> Text {
    match byte % 3 {
        0 => Text::Plain(format!("{words} {{{{name}}}}")),
        1 => Text::ByLanguage(BTreeMap::from([
            ("de".into(), format!("{words} (de)")),
            ("en".into(), words.into()),
        ])),
        _ => Text::ByLanguage(BTreeMap::from([("fr".into(), words.into())])),
    }
}

fn pick<'a>(pool: &[&'a str], byte: u8) -> &'a str {
    pool[usize::from(byte) % pool.len()]
}

fn opt(byte: u8, value: String) -> Option<String> {
    (!byte.is_multiple_of(3)).then_some(value)
}

/// Builds node `i` of `count` from its recipe: any kind, any transitions.
fn wild_node(i: usize, count: usize, (kind, b): Recipe) -> Node {
    let id = format!("n{i}");
    let t = |k: usize| target(b[k], count);
    match kind % 13 {
        0 => Node::Say(Say {
            id,
            text: opt(b[0], "hi".into()).map(Text::Plain),
            audio: None,
            voice: None,
            next: t(1),
        }),
        1 => Node::Ask(Ask {
            id,
            prompt: text(b[0], "q?"),
            input: Vec::new(),
            num_digits: (!b[2].is_multiple_of(4)).then_some(b[2] % 6),
            finish_on_key: b[3]
                .is_multiple_of(3)
                .then_some(['#', '*', 'x'][usize::from(b[3]) % 3]),
            timeout_secs: u32::from(b[4] % 20),
            retries: b[5] % 3,
            pattern: opt(b[6], pick(PATTERNS, b[6]).into()),
            save_as: Some("answer".into()),
            next: t(1),
            no_input: opt(b[7], t(7)),
            no_match: opt(b[5], t(5)),
        }),
        2 => Node::Menu(Menu {
            id,
            prompt: text(b[0], "menu"),
            options: (0..usize::from(b[2] % 7))
                .map(|k| MenuOption {
                    digit: opt(
                        b[3].wrapping_add(k as u8),
                        pick(DIGITS, b[4].wrapping_add(k as u8)).into(),
                    ),
                    keywords: vec![pick(WORDS, b[5].wrapping_add(k as u8)).into()],
                    intent: (k == 1).then(|| pick(&["human", "ghost"], b[6]).into()),
                    label: Text::Plain(format!("option {k}")),
                    next: target(b[1].wrapping_add(k as u8), count),
                })
                .collect(),
            repeat: b[6].is_multiple_of(2).then(|| RepeatOption {
                digit: Some(pick(DIGITS, b[6]).into()),
                keywords: vec![],
            }),
            timeout_secs: 5,
            retries: b[7] % 3,
            no_input: opt(b[7], t(7)),
            no_match: opt(b[3], t(3)),
        }),
        3 => Node::Split(Split {
            id,
            branches: vec![
                Branch {
                    when: Condition::Intent(pick(&["human", "ghost"], b[2]).into()),
                    next: t(1),
                },
                Branch {
                    when: Condition::Regex {
                        var: None,
                        pattern: pick(PATTERNS, b[3]).into(),
                    },
                    next: t(4),
                },
                Branch {
                    when: Condition::Compare {
                        var: "answer".into(),
                        op: [
                            CompareOp::Eq,
                            CompareOp::Ne,
                            CompareOp::Lt,
                            CompareOp::Gt,
                            CompareOp::Contains,
                            CompareOp::Exists,
                        ][usize::from(b[5]) % 6],
                        value: Some("1".into()),
                    },
                    next: t(5),
                },
                Branch {
                    when: Condition::Open(pick(&["office", "nowhere"], b[6]).into()),
                    next: t(6),
                },
            ],
            default: t(7),
        }),
        4 => Node::Set(SetVars {
            id,
            values: BTreeMap::from([("x".into(), "{{answer}}!".into())]),
            next: t(1),
        }),
        5 => Node::SendMessage(SendMessage {
            id,
            text: text(b[0], "sms"),
            channel: MessageChannel::Sms,
            next: t(1),
        }),
        6 => Node::HttpRequest(HttpRequest {
            id,
            method: HttpMethod::Post,
            url: "https://crm.example/{{answer}}".into(),
            headers: BTreeMap::new(),
            body: Some(r#"{"a": "{{answer}}"}"#.into()),
            timeout_secs: u32::from(b[2] % 40),
            save: BTreeMap::from([("slot".into(), "/slot".into())]),
            next: t(1),
            on_error: t(3),
        }),
        7 => Node::Enqueue(Enqueue {
            id,
            queue: "q".into(),
            priority: i32::from(b[2]),
            context: BTreeMap::new(),
            text: None,
            timeout_secs: b[3].is_multiple_of(2).then_some(30),
            on_timeout: opt(b[4], t(1)),
        }),
        8 => Node::Record(Record {
            id,
            prompt: text(b[0], "speak"),
            max_secs: 60,
            save_as: "rec".into(),
            next: t(1),
            no_input: opt(b[2], t(2)),
        }),
        9 => Node::Transfer(Transfer {
            id,
            to: "+49800".into(),
            text: None,
            on_failure: opt(b[2], t(1)),
        }),
        10 => Node::End(End {
            id,
            text: opt(b[2], "bye".into()).map(Text::Plain),
        }),
        11 => Node::Subflow(Subflow {
            id,
            start: t(1),
            next: t(2),
        }),
        _ => Node::Return(Return { id }),
    }
}

fn document(nodes: Vec<Node>, fallback: Option<String>, tz: &str) -> FlowDocument {
    FlowDocument {
        flow: 1,
        id: "gen".into(),
        name: "Generated".into(),
        language: "de".into(),
        languages: vec!["de".into(), "en".into()],
        start: "n0".into(),
        fallback,
        variables: BTreeMap::from([("name".into(), "Alex".into())]),
        intents: BTreeMap::from([(
            "human".into(),
            IntentDef {
                examples: BTreeMap::new(),
                keywords: vec!["mensch".into()],
                patterns: vec!["(?i)person".into()],
            },
        )]),
        calendars: BTreeMap::from([(
            "office".into(),
            Calendar {
                time_zone: tz.into(),
                hours: BTreeMap::from([(Weekday::Mon, vec!["08:00-17:00".into()])]),
                holidays: vec!["2026-01-06".into()],
            },
        )]),
        nodes,
        tests: Vec::new(),
    }
}

fn wild_flow() -> impl Strategy<Value = FlowDocument> {
    (
        prop::collection::vec((any::<u8>(), any::<[u8; 8]>()), 1..14),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(|(recipes, fb, utc)| {
            let count = recipes.len();
            let nodes = recipes
                .into_iter()
                .enumerate()
                .map(|(i, r)| wild_node(i, count, r))
                .collect();
            let fallback = (!fb.is_multiple_of(3)).then(|| target(fb, count));
            document(nodes, fallback, if utc { "UTC" } else { "Mars/Base" })
        })
}

/// The dangling transitions, found from `Node::transitions` alone: (node index, target).
fn dangling_expected(doc: &FlowDocument) -> Vec<(usize, String)> {
    let ids: Vec<&str> = doc.nodes.iter().map(Node::id).collect();
    let mut out: Vec<(usize, String)> = doc
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| {
            n.transitions()
                .into_iter()
                .map(move |(_, t)| (i, t.clone()))
        })
        .filter(|(_, t)| !ids.contains(&t.as_str()))
        .collect();
    out.sort();
    out
}

/// The dangling transitions the validator reported on nodes: (node index, target).
fn dangling_reported(doc: &FlowDocument) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = validate(doc)
        .into_iter()
        .filter(|d| d.code == codes::DANGLING_TRANSITION && d.path.starts_with("nodes["))
        .map(|d| {
            let index = d.path["nodes[".len()..]
                .split(']')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            let target = d.message.split('"').nth(1).unwrap_or("").to_owned();
            (index, target)
        })
        .collect();
    out.sort();
    out
}

/// A node of a flow generated to be valid: a chain n0 → n1 → … → end, with extra forward
/// transitions and backward ones only into nodes that wait for the caller.
fn valid_node(i: usize, count: usize, (kind, b): Recipe, waits: &[bool]) -> Node {
    let id = format!("n{i}");
    let next = format!("n{}", i + 1);
    let extra = |byte: u8| {
        let pick = usize::from(byte) % count;
        if pick > i || waits[pick] {
            format!("n{pick}")
        } else {
            format!("n{}", i + 1)
        }
    };
    if i + 1 == count {
        return Node::End(End {
            id,
            text: Some(Text::Plain("bye".into())),
        });
    }
    match kind % 11 {
        0 => Node::Say(Say {
            id,
            text: Some(text(b[0] % 2, "hi")),
            audio: None,
            voice: None,
            next,
        }),
        1 => Node::Ask(Ask {
            id,
            prompt: Text::Plain("q?".into()),
            input: Vec::new(),
            num_digits: b[2].is_multiple_of(2).then_some(1 + b[2] % 5),
            finish_on_key: b[3].is_multiple_of(2).then_some('#'),
            timeout_secs: 1 + u32::from(b[4] % 20),
            retries: b[5] % 3,
            pattern: b[6].is_multiple_of(2).then(|| "^[0-9]+$".into()),
            save_as: Some("answer".into()),
            next,
            no_input: b[7].is_multiple_of(2).then(|| extra(b[7])),
            no_match: b[5].is_multiple_of(2).then(|| extra(b[1])),
        }),
        2 => Node::Menu(Menu {
            id,
            prompt: Text::Plain("menu".into()),
            options: (0..1 + usize::from(b[2] % 5))
                .map(|k| MenuOption {
                    digit: b[3].is_multiple_of(2).then(|| (k + 1).to_string()),
                    keywords: vec![pick(WORDS, b[4].wrapping_add(k as u8)).into()],
                    intent: (k == 1).then(|| "human".into()),
                    label: Text::Plain(format!("option {k}")),
                    next: if k == 0 {
                        next.clone()
                    } else {
                        extra(b[5].wrapping_add(k as u8))
                    },
                })
                .collect(),
            repeat: b[6].is_multiple_of(2).then(|| RepeatOption {
                digit: Some("9".into()),
                keywords: vec!["nochmal".into()],
            }),
            timeout_secs: 1 + u32::from(b[7] % 10),
            retries: b[7] % 3,
            no_input: b[1].is_multiple_of(2).then(|| extra(b[1])),
            no_match: None,
        }),
        3 => Node::Split(Split {
            id,
            branches: vec![
                Branch {
                    when: Condition::Intent("human".into()),
                    next: extra(b[1]),
                },
                Branch {
                    when: Condition::Regex {
                        var: None,
                        pattern: "^1".into(),
                    },
                    next: extra(b[2]),
                },
                Branch {
                    when: Condition::Compare {
                        var: "answer".into(),
                        op: CompareOp::Gt,
                        value: Some("5".into()),
                    },
                    next: extra(b[3]),
                },
                Branch {
                    when: Condition::Open("office".into()),
                    next: extra(b[4]),
                },
            ],
            default: next,
        }),
        4 => Node::Set(SetVars {
            id,
            values: BTreeMap::from([("x".into(), "{{answer}}".into())]),
            next,
        }),
        5 => Node::SendMessage(SendMessage {
            id,
            text: Text::Plain("sms".into()),
            channel: MessageChannel::Same,
            next,
        }),
        6 => Node::HttpRequest(HttpRequest {
            id,
            method: HttpMethod::Get,
            url: "https://crm.example/{{answer}}".into(),
            headers: BTreeMap::new(),
            body: None,
            timeout_secs: 1 + u32::from(b[2] % 30),
            save: BTreeMap::from([("slot".into(), "/slot".into())]),
            next,
            on_error: extra(b[3]),
        }),
        7 => Node::Enqueue(Enqueue {
            id,
            queue: "q".into(),
            priority: 0,
            context: BTreeMap::new(),
            text: None,
            timeout_secs: Some(30),
            on_timeout: Some(next),
        }),
        8 => Node::Record(Record {
            id,
            prompt: Text::Plain("speak".into()),
            max_secs: 60,
            save_as: "rec".into(),
            next,
            no_input: None,
        }),
        9 => Node::Transfer(Transfer {
            id,
            to: "+49800".into(),
            text: None,
            on_failure: Some(next),
        }),
        _ => Node::Subflow(Subflow {
            id,
            start: next,
            next: extra(b[1]),
        }),
    }
}

fn waits_for_caller(kind: u8) -> bool {
    matches!(kind % 11, 1 | 2 | 7 | 8)
}

fn valid_flow() -> impl Strategy<Value = FlowDocument> {
    prop::collection::vec((any::<u8>(), any::<[u8; 8]>()), 2..12).prop_map(|recipes| {
        let count = recipes.len();
        let waits: Vec<bool> = recipes
            .iter()
            .enumerate()
            .map(|(i, (k, _))| i + 1 < count && waits_for_caller(*k))
            .collect();
        let nodes = recipes
            .into_iter()
            .enumerate()
            .map(|(i, r)| valid_node(i, count, r, &waits))
            .collect();
        document(nodes, Some(format!("n{}", count - 1)), "Europe/Berlin")
    })
}

/// An input, partly chosen from what the conversation waits for.
fn resolve_input(choice: (u8, u8, u8), state: &ConversationState) -> Input {
    let (kind, a, b) = choice;
    let current_timer = match &state.waiting {
        Waiting::Input { timer }
        | Waiting::Queue {
            timer: Some(timer), ..
        } => *timer,
        _ => u32::from(a),
    };
    match kind % 11 {
        0 => Input::Text {
            text: pick(WORDS, a).into(),
        },
        1 => Input::Digits {
            digits: pick(DIGITS, a).into(),
        },
        2 => Input::Speech {
            text: pick(WORDS, a).into(),
            confidence: f32::from(b) / 255.0,
        },
        3 | 4 => Input::TimerFired {
            timer: current_timer,
        },
        5 => Input::TimerFired {
            timer: u32::from(a),
        },
        6 => Input::HttpResult {
            request: match state.waiting {
                Waiting::Http { request } => request,
                _ => u32::from(a),
            },
            status: [200, 404, 0, 201, 500][usize::from(b) % 5],
            body: pick(&[r#"{"slot": "10:00"}"#, "not json", "", "[1]"], a).into(),
        },
        7 => Input::RecordingDone {
            reference: pick(&["rec-1", "", "  "], a).into(),
        },
        8 => Input::TransferFailed,
        9 => Input::Start {
            channel: [
                Channel::Chat,
                Channel::Voice,
                Channel::Sms,
                Channel::Whatsapp,
            ][usize::from(a) % 4],
            language: Some(pick(&["de", "en", "fr"], b).into()),
            entry: None,
            variables: BTreeMap::new(),
        },
        _ => {
            if a.is_multiple_of(8) {
                Input::Hangup
            } else {
                Input::Text {
                    text: String::from_utf8_lossy(&[a, b, b'x']).into_owned(),
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn wild_flows_never_panic_and_every_dangling_transition_is_reported(doc in wild_flow()) {
        let tagged_yaml = serde_norway::to_string(&doc).unwrap_or_default();
        let json = serde_json::to_string(&doc).unwrap_or_default();
        prop_assert_eq!(parse_yaml(&tagged_yaml), Ok(doc.clone()));
        prop_assert_eq!(parse_yaml(&flow::to_yaml(&doc)), Ok(doc.clone()));
        prop_assert_eq!(parse_json(&json), Ok(doc.clone()));
        let _ = lint(&doc);
        let all = check(&doc);
        let errors = validate(&doc);
        prop_assert_eq!(errors.len(), all.iter().filter(|d| d.is_error()).count());
        prop_assert_eq!(dangling_reported(&doc), dangling_expected(&doc));
        match flow::Flow::compile(doc.clone()) {
            Ok(_) => prop_assert!(errors.is_empty()),
            Err(e) => prop_assert_eq!(e, errors),
        }
    }

    #[test]
    fn valid_flows_compile_and_run_any_inputs(
        doc in valid_flow(),
        inputs in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..40),
        channel in 0usize..4,
    ) {
        let errors = validate(&doc);
        prop_assert!(errors.is_empty(), "{}", crate::support::lines(&errors));
        let flow = flow::Flow::compile(doc).map_err(|e| TestCaseError::fail(crate::support::lines(&e)))?;
        let matcher = KeywordMatcher::from_flow(&flow);
        let engine = Engine::new(&flow, &matcher);
        let channel = [Channel::Chat, Channel::Voice, Channel::Sms, Channel::Whatsapp][channel];
        let mut state = ConversationState::new(channel, "de");
        let start = Input::Start { channel, language: None, entry: None, variables: BTreeMap::new() };
        let mut now = T0;
        let mut effects = engine.handle(&mut state, start, now);
        let mut last_timer = 0;
        for choice in inputs {
            let ended = matches!(state.waiting, Waiting::Ended { .. });
            let json = serde_json::to_string(&state).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let restored: ConversationState = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&restored, &state);
            prop_assert!(json.len() < 1024, "state of {} bytes", json.len());
            for e in &effects {
                if let Effect::StartTimer { id, at_ms } = e {
                    prop_assert!(*id > last_timer, "timer ids grow");
                    prop_assert!(*at_ms >= now);
                    last_timer = *id;
                }
            }
            prop_assert!(effects.len() <= 3 * flow::MAX_STEPS_PER_INPUT);
            now += 1000;
            let input = resolve_input(choice, &state);
            let before = state.clone();
            effects = engine.handle(&mut state, input, now);
            if ended {
                prop_assert!(effects.is_empty());
                prop_assert_eq!(&state, &before);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_parser(text in "\\PC{0,300}") {
        let _ = parse_yaml(&text);
        let _ = parse_json(&text);
        let _ = flow::parse_auto(&text, Some("x.yml"));
    }

    #[test]
    fn mangled_flows_never_panic(doc in wild_flow(), cut in any::<prop::sample::Index>(), junk in "[\\[\\]{}:,\\-\"' a-z0-9#*&!|>\n]{0,8}") {
        let yaml = serde_norway::to_string(&doc).unwrap_or_default();
        let at = cut.index(yaml.len() + 1);
        let at = (0..=at).rev().find(|&i| yaml.is_char_boundary(i)).unwrap_or(0);
        let mangled = format!("{}{junk}{}", &yaml[..at], &yaml[at..]);
        if let Ok(doc) = parse_yaml(&mangled) {
            let _ = check(&doc);
            let _ = flow::Flow::compile(doc);
        }
    }
}
