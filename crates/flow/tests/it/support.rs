//! Test support: small flows written as YAML, scripts of inputs, and transcripts of the
//! effects as compact text lines, compared with inline expectations (expect-test style,
//! with plain strings: on a mismatch the actual transcript is printed, ready to paste).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use flow::{
    Channel, ConversationState, Effect, Engine, Flow, Input, InputKind, KeywordMatcher,
    MessageChannel, Waiting, parse_yaml,
};

/// The clock at the start of every script: Monday 2026-01-05 09:00 UTC (10:00 in Berlin).
pub(crate) const T0: i64 = 1_767_603_600_000;

/// A flow document in YAML: the usual header, `top` (extra top-level keys), then `nodes`.
/// `start` is the first node's id.
pub(crate) fn flow_yaml(top: &str, nodes: &str) -> String {
    let nodes = trim_indent(nodes);
    let start = nodes
        .split("id:")
        .nth(1)
        .and_then(|rest| rest.split([',', '}', '\n']).next())
        .map(str::trim)
        .unwrap_or("missing");
    let top = trim_indent(top);
    format!("flow: 1\nid: t\nname: Test\nlanguage: en\nstart: {start}\n{top}\nnodes:\n{nodes}\n")
}

/// Parses and compiles a flow, panicking with the diagnostics if it is broken.
pub(crate) fn compile(yaml: &str) -> Flow {
    let doc = match parse_yaml(yaml) {
        Ok(doc) => doc,
        Err(diags) => panic!("flow does not parse:\n{}\n{yaml}", lines(&diags)),
    };
    match Flow::compile(doc) {
        Ok(flow) => flow,
        Err(diags) => panic!("flow does not compile:\n{}\n{yaml}", lines(&diags)),
    }
}

/// Diagnostics, one per line.
pub(crate) fn lines<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes the common indentation and the surrounding blank lines of an inline text.
pub(crate) fn trim_indent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min();
    let indent = indent.unwrap_or(0);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect();
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(first, |i| i + 1);
    lines[first..last]
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One input of a script, parsed.
fn parse_input(line: &str) -> Input {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    match word {
        "start" => {
            let mut channel = Channel::Chat;
            let mut language = None;
            let mut entry = None;
            let mut variables = BTreeMap::new();
            for part in rest.split_whitespace() {
                match part {
                    "chat" => channel = Channel::Chat,
                    "voice" => channel = Channel::Voice,
                    "sms" => channel = Channel::Sms,
                    "whatsapp" => channel = Channel::Whatsapp,
                    _ => match part.split_once('=') {
                        Some(("entry", e)) => entry = Some(e.to_owned()),
                        Some((k, v)) => {
                            variables.insert(k.to_owned(), v.to_owned());
                        }
                        None => language = Some(part.to_owned()),
                    },
                }
            }
            Input::Start {
                channel,
                language,
                entry,
                variables,
            }
        }
        "text" => Input::Text {
            text: rest.to_owned(),
        },
        "digits" => Input::Digits {
            digits: rest.to_owned(),
        },
        "speech" => {
            let (confidence, text) = rest.split_once(' ').unwrap_or((rest, ""));
            Input::Speech {
                text: text.to_owned(),
                confidence: confidence.parse().unwrap_or(0.0),
            }
        }
        "timer" => Input::TimerFired {
            timer: rest.trim().parse().unwrap_or(0),
        },
        "http" => {
            let mut parts = rest.splitn(3, ' ');
            let request = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let status = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            Input::HttpResult {
                request,
                status,
                body: parts.next().unwrap_or("").to_owned(),
            }
        }
        "recording" => Input::RecordingDone {
            reference: rest.to_owned(),
        },
        "transfer-failed" => Input::TransferFailed,
        "hangup" => Input::Hangup,
        "handover" => {
            let (reason, queue) = rest.split_once(' ').unwrap_or((rest, "default"));
            Input::HandOver {
                reason: reason.to_owned(),
                queue: queue.to_owned(),
            }
        }
        other => panic!("unknown script input {other:?}"),
    }
}

/// An effect as one compact line; times relative to `now`.
pub(crate) fn effect_line(effect: &Effect, now: i64) -> String {
    match effect {
        Effect::Say {
            text,
            voice,
            audio,
            choices,
        } => {
            let mut s = format!("say {text:?}");
            if let Some(v) = voice {
                let _ = write!(s, " voice={v}");
            }
            if let Some(a) = audio {
                let _ = write!(s, " audio={a}");
            }
            if !choices.is_empty() {
                let c: Vec<String> = choices
                    .iter()
                    .map(|c| format!("{}={}", c.value, c.label))
                    .collect();
                let _ = write!(s, " [{}]", c.join(", "));
            }
            s
        }
        Effect::Gather {
            kinds,
            num_digits,
            finish_on_key,
        } => {
            let k: Vec<&str> = kinds
                .iter()
                .map(|k| match k {
                    InputKind::Digits => "digits",
                    InputKind::Speech => "speech",
                    InputKind::Text => "text",
                })
                .collect();
            let mut s = format!("gather {}", k.join(","));
            if let Some(n) = num_digits {
                let _ = write!(s, " n={n}");
            }
            if let Some(f) = finish_on_key {
                let _ = write!(s, " finish={f}");
            }
            s
        }
        Effect::StartTimer { id, at_ms } => format!("timer {id} @+{}", at_ms - now),
        Effect::CancelTimer { id } => format!("cancel {id}"),
        Effect::HttpRequest {
            id,
            method,
            url,
            headers,
            body,
            timeout_ms,
        } => {
            let method = serde_json::to_value(method)
                .ok()
                .and_then(|m| m.as_str().map(str::to_owned));
            let mut s = format!(
                "http {id} {} {url} timeout={timeout_ms}",
                method.unwrap_or_default()
            );
            for (k, v) in headers {
                let _ = write!(s, " {k}:{v}");
            }
            if let Some(b) = body {
                let _ = write!(s, " body={b}");
            }
            s
        }
        Effect::SendMessage { channel, text } => {
            let ch = match channel {
                MessageChannel::Same => "same",
                MessageChannel::Sms => "sms",
            };
            format!("send {ch} {text:?}")
        }
        Effect::Enqueue {
            queue,
            priority,
            context,
        } => {
            let mut s = format!("enqueue {queue} p={priority}");
            if !context.is_empty() {
                let c: Vec<String> = context.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = write!(s, " {{{}}}", c.join(", "));
            }
            s
        }
        Effect::LeaveQueue { queue } => format!("leave {queue}"),
        Effect::Record { max_secs } => format!("record {max_secs}"),
        Effect::Transfer { to } => format!("transfer {to}"),
        Effect::End { reason } => format!("end {}", format!("{reason:?}").to_lowercase()),
    }
}

/// The state's waiting, as one line.
pub(crate) fn waiting_line(state: &ConversationState) -> String {
    let node = &state.node;
    match &state.waiting {
        Waiting::NotStarted => "= not started".to_owned(),
        Waiting::Input { timer } => format!("= input {node} timer={timer}"),
        Waiting::Http { request } => format!("= http {node} request={request}"),
        Waiting::Recording => format!("= recording {node}"),
        Waiting::Queue { queue, timer } => match timer {
            Some(t) => format!("= queue {queue} timer={t}"),
            None => format!("= queue {queue}"),
        },
        Waiting::Transfer => format!("= transfer {node}"),
        Waiting::Ended { reason } => format!("= ended {}", format!("{reason:?}").to_lowercase()),
    }
}

/// Runs a script against a compiled flow and returns the transcript. Each line is an input,
/// optionally prefixed with `@+ms` (time since [`T0`]; default: one second after the
/// previous input). `?vars` prints the variables instead of feeding an input.
pub(crate) fn run_script(flow: &Flow, script: &str) -> String {
    let matcher = KeywordMatcher::from_flow(flow);
    let engine = Engine::new(flow, &matcher);
    let mut state = ConversationState::new(Channel::Chat, "en");
    let mut out = String::new();
    let mut now = T0 - 1000;
    for line in trim_indent(script)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if line == "?vars" {
            let vars: Vec<String> = state.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "? vars {}", vars.join(", "));
            continue;
        }
        let (time, input) = match line.strip_prefix('@') {
            Some(rest) => {
                let (t, input) = rest.split_once(' ').unwrap_or((rest, ""));
                (Some(t), input)
            }
            None => (None, line),
        };
        now = match time {
            Some(t) if t.starts_with('+') => T0 + t[1..].parse::<i64>().unwrap_or(0),
            Some(t) => t
                .parse::<jiff::Timestamp>()
                .map(|ts| ts.as_millisecond())
                .unwrap_or(now),
            None => now + 1000,
        };
        let _ = writeln!(out, "> {input}");
        for effect in engine.handle(&mut state, parse_input(input), now) {
            let _ = writeln!(out, "  {}", effect_line(&effect, now));
        }
        let _ = writeln!(out, "  {}", waiting_line(&state));
    }
    out.trim_end().to_owned()
}

/// One case of a table: a name, a flow (top-level extras and nodes), a script, and the
/// expected transcript.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) top: &'static str,
    pub(crate) nodes: &'static str,
    pub(crate) script: &'static str,
    pub(crate) expect: &'static str,
}

/// Runs every case and fails once, listing every mismatch with its actual transcript.
#[track_caller]
pub(crate) fn run_table(cases: &[Case]) {
    let mut failures = String::new();
    for case in cases {
        let flow = compile(&flow_yaml(case.top, case.nodes));
        let actual = run_script(&flow, case.script);
        let expected = trim_indent(case.expect);
        if actual != expected {
            let _ = write!(
                failures,
                "\n=== case {:?}\n--- expected\n{expected}\n--- actual (paste this to update)\n{actual}\n",
                case.name
            );
        }
    }
    assert_eq!(failures, "", "transcripts differ:{failures}");
}
