//! The editor's simulator: a conversation with a draft, replayed from its start on every
//! turn. Replaying keeps the simulator without state on the server (a draft changes between
//! turns, and the same inputs on the same draft always give the same conversation) and
//! shows, per turn, what the caller got, which nodes the input went through, what the
//! understanding made of it and the variables afterwards.
//!
//! Nothing here leaves the process: an HTTP request the flow makes is shown and waits for the
//! operator to give its answer, as a flow test does.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::compile::Flow;
use crate::engine::{
    ConversationState, Effect, EndReason, Input, IntentMatch, IntentMatcher, Waiting,
};
use crate::format::{Channel, MessageChannel, NodeId};
use crate::interpret::Engine;

/// The most inputs one simulated conversation replays.
pub const MAX_SIMULATED_INPUTS: usize = 200;

/// One thing the simulated caller does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SimInput {
    /// Writes (chat) or says (phone) a sentence.
    Text {
        /// The sentence.
        text: String,
    },
    /// Presses keys.
    Digits {
        /// The keys (`0-9*#`).
        digits: String,
    },
    /// Stays silent until the running input timer fires.
    Silence,
    /// The answer to the HTTP request the flow waits for.
    Http {
        /// The status code (0: no response).
        status: u16,
        /// The body.
        #[serde(default)]
        body: String,
    },
    /// Hangs up or closes the chat.
    Hangup,
}

/// A simulated conversation's setting.
#[derive(Debug, Clone)]
pub struct SimSetup {
    /// The channel.
    pub channel: Channel,
    /// The caller's language (`None`: the flow's default).
    pub language: Option<String>,
    /// When the conversation starts (Unix milliseconds; business hours are read at it).
    pub start_ms: i64,
}

/// A text the caller got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimReply {
    /// The text.
    pub text: String,
    /// The audio file played instead, on the phone.
    pub audio: Option<String>,
    /// The choices offered as buttons on chat.
    pub choices: Vec<String>,
}

/// Something the flow did besides talking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SimAction {
    /// An HTTP request (not sent: the operator answers it).
    HttpRequest {
        /// Method.
        method: String,
        /// The rendered URL.
        url: String,
    },
    /// A message outside the conversation (e.g. an SMS).
    SendMessage {
        /// Where.
        channel: String,
        /// The rendered text.
        text: String,
    },
    /// The conversation was put into a queue for a human.
    Enqueue {
        /// The queue.
        queue: String,
    },
    /// The conversation left its queue.
    LeaveQueue {
        /// The queue.
        queue: String,
    },
    /// A recording (phone) or one written message (chat) is taken.
    Record {
        /// Its longest length.
        max_secs: u32,
    },
    /// The call is transferred.
    Transfer {
        /// The target.
        to: String,
    },
    /// The conversation ended.
    End {
        /// Why: `completed`, `hangup`, `transferred` or `failed`.
        reason: String,
    },
}

/// What the understanding made of a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimUnderstood {
    /// The sentence.
    pub text: String,
    /// The intent, or `None` when nothing fitted (out of scope).
    pub intent: Option<String>,
    /// Confidence, 0–1.
    pub confidence: f32,
}

/// Where the conversation is after a turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimState {
    /// `input`, `http`, `recording`, `queue`, `transfer` or `ended`.
    pub waiting: &'static str,
    /// The node it is at.
    pub node: NodeId,
    /// The queue, while queued.
    pub queue: Option<String>,
    /// Why it ended, once ended.
    pub ended: Option<String>,
}

/// Why an input was not given to the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimRefusal {
    /// The conversation is over.
    Ended,
    /// An empty message.
    Empty,
    /// Keys other than `0-9*#`.
    BadKeys,
    /// The flow waits for its HTTP request's answer first.
    HttpPending,
    /// Silence, but no timer runs that it would let run out.
    NoTimer,
    /// An HTTP answer, but no request waits for one.
    NoRequest,
}

impl SimRefusal {
    /// The refusal's stable code.
    pub const fn code(self) -> &'static str {
        match self {
            SimRefusal::Ended => "ended",
            SimRefusal::Empty => "empty",
            SimRefusal::BadKeys => "bad-keys",
            SimRefusal::HttpPending => "http-pending",
            SimRefusal::NoTimer => "no-timer",
            SimRefusal::NoRequest => "no-request",
        }
    }
}

/// One turn: the start or one input, and everything it caused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimTurn {
    /// The input (`None` for the start).
    pub input: Option<SimInput>,
    /// Why the input could not be given, if it could not (nothing happened then).
    pub refused: Option<SimRefusal>,
    /// What the caller got.
    pub replies: Vec<SimReply>,
    /// What the flow did besides.
    pub actions: Vec<SimAction>,
    /// The nodes the turn went through, in order.
    pub path: Vec<NodeId>,
    /// What the understanding made of the sentences of this turn.
    pub understood: Vec<SimUnderstood>,
    /// The variables after the turn.
    pub variables: BTreeMap<String, String>,
    /// Where the conversation is after the turn.
    pub state: SimState,
}

/// Records every classification it passes on.
struct Recording<'m> {
    inner: &'m dyn IntentMatcher,
    seen: Mutex<Vec<SimUnderstood>>,
}

impl IntentMatcher for Recording<'_> {
    fn classify(&self, text: &str, language: &str) -> IntentMatch {
        let found = self.inner.classify(text, language);
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(SimUnderstood {
                text: text.to_owned(),
                intent: found.intent.clone(),
                confidence: if found.confidence.is_finite() {
                    found.confidence.clamp(0.0, 1.0)
                } else {
                    0.0
                },
            });
        }
        found
    }
}

impl Recording<'_> {
    fn take(&self) -> Vec<SimUnderstood> {
        self.seen
            .lock()
            .map(|mut seen| std::mem::take(&mut *seen))
            .unwrap_or_default()
    }
}

/// Runs the conversation: the start, then each input in turn (at most
/// [`MAX_SIMULATED_INPUTS`]; the rest are ignored). A turn's input takes a second; silence
/// lasts until the timer fires.
pub fn simulate(
    flow: &Flow,
    matcher: &dyn IntentMatcher,
    setup: &SimSetup,
    inputs: &[SimInput],
) -> Vec<SimTurn> {
    let recording = Recording {
        inner: matcher,
        seen: Mutex::new(Vec::new()),
    };
    let engine = Engine::new(flow, &recording);
    let language = setup
        .language
        .clone()
        .unwrap_or_else(|| flow.document().language.clone());
    let mut state = ConversationState::new(setup.channel, &language);
    let mut now_ms = setup.start_ms;
    let mut timers: HashMap<u32, i64> = HashMap::new();
    let mut turns = Vec::with_capacity(inputs.len().min(MAX_SIMULATED_INPUTS) + 1);

    let start = Input::Start {
        channel: setup.channel,
        language: setup.language.clone(),
        entry: None,
        variables: BTreeMap::new(),
    };
    let (effects, path) = engine.handle_traced(&mut state, start, now_ms);
    turns.push(turn(
        None,
        effects,
        path,
        recording.take(),
        &state,
        &mut timers,
    ));

    for given in inputs.iter().take(MAX_SIMULATED_INPUTS) {
        let input = match engine_input(given, &state, &timers, setup.channel) {
            Ok((input, at)) => {
                now_ms = at.map_or(now_ms + 1000, |at| at.max(now_ms));
                input
            }
            Err(why) => {
                turns.push(SimTurn {
                    input: Some(given.clone()),
                    refused: Some(why),
                    replies: Vec::new(),
                    actions: Vec::new(),
                    path: Vec::new(),
                    understood: Vec::new(),
                    variables: visible_vars(&state),
                    state: sim_state(&state),
                });
                continue;
            }
        };
        let (effects, path) = engine.handle_traced(&mut state, input, now_ms);
        turns.push(turn(
            Some(given.clone()),
            effects,
            path,
            recording.take(),
            &state,
            &mut timers,
        ));
    }
    turns
}

/// The engine's input for a simulated one and, for silence, when it happens; or why it
/// cannot be given now.
fn engine_input(
    given: &SimInput,
    state: &ConversationState,
    timers: &HashMap<u32, i64>,
    channel: Channel,
) -> Result<(Input, Option<i64>), SimRefusal> {
    if let Waiting::Ended { .. } = state.waiting {
        return Err(SimRefusal::Ended);
    }
    match given {
        SimInput::Text { text } if text.trim().is_empty() => Err(SimRefusal::Empty),
        SimInput::Text { text } => {
            if let Waiting::Http { .. } = state.waiting {
                return Err(SimRefusal::HttpPending);
            }
            Ok((
                if channel == Channel::Voice && state.waiting == Waiting::Recording {
                    // On the phone the caller speaks a message; the simulator takes the
                    // sentence as the recording.
                    Input::RecordingDone {
                        reference: "simulated-recording".to_owned(),
                    }
                } else if channel == Channel::Voice {
                    Input::Speech {
                        text: text.clone(),
                        confidence: 1.0,
                    }
                } else {
                    Input::Text { text: text.clone() }
                },
                None,
            ))
        }
        SimInput::Digits { digits } => {
            if digits.is_empty()
                || !digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                return Err(SimRefusal::BadKeys);
            }
            if let Waiting::Http { .. } = state.waiting {
                return Err(SimRefusal::HttpPending);
            }
            Ok((
                Input::Digits {
                    digits: digits.clone(),
                },
                None,
            ))
        }
        SimInput::Silence => {
            let timer = match &state.waiting {
                Waiting::Input { timer }
                | Waiting::Queue {
                    timer: Some(timer), ..
                } => *timer,
                _ => return Err(SimRefusal::NoTimer),
            };
            Ok((Input::TimerFired { timer }, timers.get(&timer).copied()))
        }
        SimInput::Http { status, body } => {
            let Waiting::Http { request } = state.waiting else {
                return Err(SimRefusal::NoRequest);
            };
            Ok((
                Input::HttpResult {
                    request,
                    status: *status,
                    body: body.clone(),
                },
                None,
            ))
        }
        SimInput::Hangup => Ok((Input::Hangup, None)),
    }
}

fn turn(
    input: Option<SimInput>,
    effects: Vec<Effect>,
    path: Vec<NodeId>,
    understood: Vec<SimUnderstood>,
    state: &ConversationState,
    timers: &mut HashMap<u32, i64>,
) -> SimTurn {
    let mut replies = Vec::new();
    let mut actions = Vec::new();
    for effect in effects {
        match effect {
            Effect::Say {
                text,
                audio,
                choices,
                ..
            } => replies.push(SimReply {
                text,
                audio,
                choices: choices.into_iter().map(|c| c.label).collect(),
            }),
            Effect::StartTimer { id, at_ms } => {
                timers.insert(id, at_ms);
            }
            Effect::CancelTimer { id } => {
                timers.remove(&id);
            }
            Effect::Gather { .. } => {}
            Effect::HttpRequest { method, url, .. } => actions.push(SimAction::HttpRequest {
                method: method.as_str().to_owned(),
                url,
            }),
            Effect::SendMessage { channel, text } => actions.push(SimAction::SendMessage {
                channel: match channel {
                    MessageChannel::Same => "same",
                    MessageChannel::Sms => "sms",
                }
                .to_owned(),
                text,
            }),
            Effect::Enqueue { queue, .. } => actions.push(SimAction::Enqueue { queue }),
            Effect::LeaveQueue { queue } => actions.push(SimAction::LeaveQueue { queue }),
            Effect::Record { max_secs } => actions.push(SimAction::Record { max_secs }),
            Effect::Transfer { to } => actions.push(SimAction::Transfer { to }),
            Effect::End { reason } => actions.push(SimAction::End {
                reason: reason_name(reason).to_owned(),
            }),
        }
    }
    SimTurn {
        input,
        refused: None,
        replies,
        actions,
        path,
        understood,
        variables: visible_vars(state),
        state: sim_state(state),
    }
}

fn reason_name(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Completed => "completed",
        EndReason::Hangup => "hangup",
        EndReason::Transferred => "transferred",
        EndReason::Failed => "failed",
    }
}

/// The variables a flow's templates see, the engine's built-ins included.
fn visible_vars(state: &ConversationState) -> BTreeMap<String, String> {
    let mut vars = state.vars.clone();
    vars.insert("channel".to_owned(), state.channel.as_str().to_owned());
    vars.insert("language".to_owned(), state.language.clone());
    if let Some(intent) = &state.last_intent {
        vars.insert("last_intent".to_owned(), intent.clone());
    }
    vars
}

fn sim_state(state: &ConversationState) -> SimState {
    let (waiting, queue, ended) = match &state.waiting {
        Waiting::NotStarted => ("ended", None, Some("failed".to_owned())),
        Waiting::Input { .. } => ("input", None, None),
        Waiting::Http { .. } => ("http", None, None),
        Waiting::Recording => ("recording", None, None),
        Waiting::Queue { queue, .. } => ("queue", Some(queue.clone()), None),
        Waiting::Transfer => ("transfer", None, None),
        Waiting::Ended { reason } => ("ended", None, Some(reason_name(*reason).to_owned())),
    };
    SimState {
        waiting,
        node: state.node.clone(),
        queue,
        ended,
    }
}
