//! Runs the test conversations embedded in a flow (`tests:`), as `hotline flow test` does.
//!
//! Each test starts a conversation on a virtual clock (the test's `at`, by default Monday
//! 2026-01-05 10:00 in Berlin), feeds one input per step one second apart — or, for
//! `silence`, lets the current input timer fire — and compares the bot's replies with the
//! step's expectations. A failure reads like a diff: the step, the input, what was expected
//! and every reply the bot actually gave.

use std::collections::HashMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use crate::compile::Flow;
use crate::engine::{ConversationState, Effect, Input, IntentMatcher, Waiting};
use crate::format::{Channel, FlowTest, TestEnd, TestStep};
use crate::interpret::Engine;

/// When a test does not say: Monday 2026-01-05, 10:00 in Central Europe.
pub const DEFAULT_TEST_TIME: &str = "2026-01-05T10:00:00+01:00";

/// How one test conversation went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// One readable message per failed expectation.
    pub failures: Vec<String>,
}

/// Runs every test of the flow.
pub fn run_tests(flow: &Flow, matcher: &dyn IntentMatcher) -> Vec<TestOutcome> {
    flow.document()
        .tests
        .iter()
        .map(|test| run_test(flow, matcher, test))
        .collect()
}

/// A conversation under test and what it has produced.
struct Session<'f> {
    engine: Engine<'f>,
    state: ConversationState,
    now_ms: i64,
    timers: HashMap<u32, i64>,
}

impl Session<'_> {
    /// Feeds an input and returns the texts the caller got.
    fn feed(&mut self, input: Input) -> Vec<String> {
        let effects = self.engine.handle(&mut self.state, input, self.now_ms);
        let mut replies = Vec::new();
        for effect in effects {
            match effect {
                Effect::Say { text, .. } | Effect::SendMessage { text, .. } => replies.push(text),
                Effect::StartTimer { id, at_ms } => {
                    self.timers.insert(id, at_ms);
                }
                Effect::CancelTimer { id } => {
                    self.timers.remove(&id);
                }
                _ => {}
            }
        }
        replies
    }

    /// The input a step gives, described for messages; or why it cannot be given.
    fn input_for(&mut self, step: &TestStep) -> Result<Option<(Input, String)>, String> {
        if let Some(text) = &step.send {
            return Ok(Some((
                Input::Text { text: text.clone() },
                format!("caller sends {text:?}"),
            )));
        }
        if let Some(digits) = &step.digits {
            return Ok(Some((
                Input::Digits {
                    digits: digits.clone(),
                },
                format!("caller presses {digits:?}"),
            )));
        }
        if step.silence {
            let timer = match &self.state.waiting {
                Waiting::Input { timer }
                | Waiting::Queue {
                    timer: Some(timer), ..
                } => *timer,
                _ => return Err("silence, but no timer is running".to_owned()),
            };
            let at = self.timers.get(&timer).copied().unwrap_or(self.now_ms);
            self.now_ms = self.now_ms.max(at);
            return Ok(Some((
                Input::TimerFired { timer },
                "caller stays silent".to_owned(),
            )));
        }
        if let Some(http) = &step.http {
            let Waiting::Http { request } = self.state.waiting else {
                return Err(format!(
                    "HTTP answer {}, but no request is pending",
                    http.status
                ));
            };
            let body = http.body.clone().unwrap_or_default();
            return Ok(Some((
                Input::HttpResult {
                    request,
                    status: http.status,
                    body,
                },
                format!("HTTP answers {}", http.status),
            )));
        }
        Ok(None)
    }
}

fn run_test(flow: &Flow, matcher: &dyn IntentMatcher, test: &FlowTest) -> TestOutcome {
    let mut failures = Vec::new();
    let channel = test.channel.unwrap_or(Channel::Chat);
    let at = test.at.as_deref().unwrap_or(DEFAULT_TEST_TIME);
    let Ok(start) = at.parse::<Timestamp>() else {
        return failed(
            test,
            format!("{at:?} is not a time like {DEFAULT_TEST_TIME}"),
        );
    };
    let language = test.language.clone();
    let mut session = Session {
        engine: Engine::new(flow, matcher),
        state: ConversationState::new(
            channel,
            language.as_deref().unwrap_or(&flow.document().language),
        ),
        now_ms: start.as_millisecond(),
        timers: HashMap::new(),
    };
    let mut replies = session.feed(Input::Start {
        channel,
        language,
        entry: None,
        variables: test.variables.clone(),
    });
    let mut described = "start".to_owned();
    for (k, step) in test.steps.iter().enumerate() {
        if k > 0 {
            replies.clear();
        }
        match session.input_for(step) {
            Ok(Some((input, what))) => {
                // A step takes a second; silence instead lasts until its timer fires.
                if !step.silence {
                    session.now_ms += 1000;
                }
                replies.extend(session.feed(input));
                described = if k == 0 {
                    format!("start, then {what}")
                } else {
                    what
                };
            }
            Ok(None) if k == 0 => {}
            Ok(None) => described = "no input".to_owned(),
            Err(why) => {
                failures.push(format!("step {}: {why}", k + 1));
                continue;
            }
        }
        check_step(
            k + 1,
            &described,
            step,
            &replies,
            &session.state,
            &mut failures,
        );
    }
    if let Some(end) = &test.end
        && !end_holds(end, &session.state)
    {
        failures.push(format!(
            "end: expected {}, but the conversation is {}",
            describe_end(end),
            describe(&session.state)
        ));
    }
    TestOutcome {
        name: test.name.clone(),
        passed: failures.is_empty(),
        failures,
    }
}

fn failed(test: &FlowTest, why: String) -> TestOutcome {
    TestOutcome {
        name: test.name.clone(),
        passed: false,
        failures: vec![why],
    }
}

fn check_step(
    number: usize,
    input: &str,
    step: &TestStep,
    replies: &[String],
    state: &ConversationState,
    out: &mut Vec<String>,
) {
    let all = replies.join("\n");
    let mut problems = Vec::new();
    let mut pos = 0;
    let mut previous: Option<&str> = None;
    for expected in &step.expect {
        match all.get(pos..).and_then(|rest| rest.find(expected.as_str())) {
            Some(found) => {
                pos += found + expected.len();
                previous = Some(expected);
            }
            None => {
                let after = previous
                    .map(|p| format!(" after {p:?}"))
                    .unwrap_or_default();
                problems.push(format!("expected {expected:?}{after}"));
                break;
            }
        }
    }
    for rejected in &step.reject {
        if all.contains(rejected.as_str()) {
            problems.push(format!("did not expect {rejected:?}"));
        }
    }
    if let Some(node) = &step.at_node {
        let waits = !matches!(state.waiting, Waiting::NotStarted | Waiting::Ended { .. });
        if !waits || &state.node != node {
            problems.push(format!(
                "expected to wait at {node:?}, but the conversation is {}",
                describe(state)
            ));
        }
    }
    if problems.is_empty() {
        return;
    }
    let mut message = format!(
        "step {number} ({input}): {}\n  replies:",
        problems.join("; ")
    );
    if replies.is_empty() {
        message.push_str("\n  (no reply)");
    }
    for reply in replies {
        for line in reply.lines() {
            let _ = write!(message, "\n  bot: {line}");
        }
    }
    out.push(message);
}

fn end_holds(end: &TestEnd, state: &ConversationState) -> bool {
    match (end, &state.waiting) {
        (TestEnd::Queued(q), Waiting::Queue { queue, .. }) => q == queue,
        (TestEnd::Ended, Waiting::Ended { .. }) => true,
        (TestEnd::Transferred, Waiting::Transfer)
        | (
            TestEnd::Transferred,
            Waiting::Ended {
                reason: crate::engine::EndReason::Transferred,
            },
        ) => true,
        (TestEnd::Waiting(node), Waiting::Input { .. } | Waiting::Recording) => &state.node == node,
        _ => false,
    }
}

fn describe_end(end: &TestEnd) -> String {
    match end {
        TestEnd::Queued(q) => format!("queued in {q:?}"),
        TestEnd::Ended => "ended".to_owned(),
        TestEnd::Transferred => "transferred".to_owned(),
        TestEnd::Waiting(node) => format!("waiting for input at {node:?}"),
    }
}

/// Where a conversation is, in words.
fn describe(state: &ConversationState) -> String {
    let node = &state.node;
    match &state.waiting {
        Waiting::NotStarted => "not started".to_owned(),
        Waiting::Input { .. } => format!("waiting for input at {node:?}"),
        Waiting::Http { .. } => format!("waiting for an HTTP answer at {node:?}"),
        Waiting::Recording => format!("recording at {node:?}"),
        Waiting::Queue { queue, .. } => format!("queued in {queue:?}"),
        Waiting::Transfer => format!("transferring at {node:?}"),
        Waiting::Ended { reason } => format!("ended ({})", format!("{reason:?}").to_lowercase()),
    }
}
