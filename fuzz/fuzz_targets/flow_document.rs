//! Flow documents as an operator uploads them, and conversations on them. The input is the flow
//! text (YAML or JSON), optionally followed by a NUL byte and a script of conversation inputs.
//!
//! `flow::parse_auto`; for a parsed document, `flow::check`, the YAML round trip
//! (`to_yaml` then `parse_yaml` gives the same document) and `Flow::compile`; for a compiled
//! flow, a conversation through `flow::Engine` whose inputs the script chooses. Nothing may
//! panic; the engine keeps its documented promises (bounded effects per input, nothing happens
//! after the end, the state survives a JSON round trip).

#![no_main]

use std::collections::BTreeMap;

use flow::{
    Channel, ConversationState, Effect, Engine, Flow, Input, KeywordMatcher, MAX_STEPS_PER_INPUT,
    Waiting,
};
use libfuzzer_sys::fuzz_target;

/// 2026-01-05 09:00 UTC, a Monday morning.
const T0: i64 = 1_767_603_600_000;
const MAX_INPUTS: usize = 32;
const CHANNELS: [Channel; 4] = [
    Channel::Chat,
    Channel::Voice,
    Channel::Sms,
    Channel::Whatsapp,
];
const DIGITS: &[u8; 12] = b"0123456789*#";

/// Reads the conversation script.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// A length byte, then that many bytes of text.
    fn text(&mut self) -> String {
        let n = usize::from(self.byte().unwrap_or(0)).min(self.0.len());
        let (text, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(text).into_owned()
    }
}

fn input(kind: u8, script: &mut Script<'_>, state: &ConversationState, timers: &[u32]) -> Input {
    let current_timer = match &state.waiting {
        Waiting::Input { timer }
        | Waiting::Queue {
            timer: Some(timer), ..
        } => Some(*timer),
        _ => None,
    };
    match kind % 11 {
        0 => Input::Text {
            text: script.text(),
        },
        1 => Input::Digits {
            digits: script
                .text()
                .bytes()
                .map(|b| char::from(DIGITS[usize::from(b) % DIGITS.len()]))
                .collect(),
        },
        2 => {
            let confidence = f32::from(script.byte().unwrap_or(255)) / 255.0;
            Input::Speech {
                text: script.text(),
                confidence,
            }
        }
        3 | 4 => Input::TimerFired {
            timer: current_timer
                .or_else(|| timers.last().copied())
                .unwrap_or(0),
        },
        5 => Input::TimerFired {
            timer: u32::from(script.byte().unwrap_or(0)),
        },
        6 => {
            let request = match state.waiting {
                Waiting::Http { request } => request,
                _ => u32::from(script.byte().unwrap_or(0)),
            };
            let status = [200, 404, 0, 201, 500][usize::from(script.byte().unwrap_or(0)) % 5];
            Input::HttpResult {
                request,
                status,
                body: script.text(),
            }
        }
        7 => Input::RecordingDone {
            reference: script.text(),
        },
        8 => Input::TransferFailed,
        9 => Input::Start {
            channel: CHANNELS[usize::from(script.byte().unwrap_or(0)) % 4],
            language: Some(script.text()),
            entry: None,
            variables: BTreeMap::new(),
        },
        _ => Input::Hangup,
    }
}

fn converse(flow: &Flow, mut script: Script<'_>) {
    let matcher = KeywordMatcher::from_flow(flow);
    let engine = Engine::new(flow, &matcher);
    let first = script.byte().unwrap_or(0);
    let channel = CHANNELS[usize::from(first) % 4];
    let language = ["de", "en", "fr"][usize::from(first >> 2) % 3];
    let mut state = ConversationState::new(channel, language);
    let mut now = T0;
    let mut timers = Vec::new();
    let start = Input::Start {
        channel,
        language: None,
        entry: None,
        variables: BTreeMap::new(),
    };
    let mut effects = engine.handle(&mut state, start, now);
    for _ in 0..MAX_INPUTS {
        assert!(
            effects.len() <= 3 * MAX_STEPS_PER_INPUT,
            "{} effects for one input",
            effects.len()
        );
        for e in &effects {
            if let Effect::StartTimer { id, at_ms } = e {
                assert!(*at_ms >= now, "timer {id} starts in the past");
                timers.push(*id);
                now = now.max(*at_ms);
            }
        }
        let json = serde_json::to_string(&state).expect("state serialises");
        let restored: ConversationState = serde_json::from_str(&json).expect("state deserialises");
        assert_eq!(restored, state, "state JSON round trip");

        let Some(kind) = script.byte() else { break };
        now += 1000 * i64::from(kind >> 4);
        let ended = matches!(state.waiting, Waiting::Ended { .. });
        let before = ended.then(|| state.clone());
        let input = input(kind, &mut script, &state, &timers);
        effects = engine.handle(&mut state, input, now);
        if let Some(before) = before {
            assert!(effects.is_empty(), "effects after the end: {effects:?}");
            assert_eq!(state, before, "state changed after the end");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (text, script) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(doc) = flow::parse_auto(text, None) else {
        return;
    };
    let _ = flow::check(&doc);
    let yaml = flow::to_yaml(&doc);
    if yaml.len() <= flow::parse::MAX_DOCUMENT_BYTES {
        match flow::parse_yaml(&yaml) {
            Ok(again) => assert_eq!(again, doc, "to_yaml → parse_yaml changed the document"),
            Err(e) => panic!("to_yaml output does not parse: {e:?}\n{yaml}"),
        }
    }
    if let Ok(flow) = Flow::compile(doc) {
        converse(&flow, Script(script));
    }
});
