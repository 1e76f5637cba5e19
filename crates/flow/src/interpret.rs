//! The interpreter: one [`Input`] and the current time in, [`Effect`]s out, the
//! conversation's [`ConversationState`] updated in place.
//!
//! The engine runs nodes until one waits (for the caller, an HTTP result, a recording, a
//! human or a transfer). What each node kind does lives in its module under `nodes`, and
//! what they share while they step (the retry rules, the fall-back when a branch is
//! missing, rendering texts in the conversation's language) in `step`; this module
//! dispatches an input to the node it is for and guards against runaway loops. Nothing is
//! read from a clock, nothing is random, and a state restored from storage continues
//! exactly where it stopped.

use std::fmt;

use crate::compile::Flow;
use crate::engine::{
    ConversationState, Effect, EndReason, Input, IntentMatcher, MAX_STEPS_PER_INPUT, Waiting,
};
use crate::format::{Channel, NodeId};
use crate::nodes;
use crate::step::{Next, Reply, Run};

/// Speech recognised with less confidence than this counts as no match.
const MIN_SPEECH_CONFIDENCE: f32 = 0.3;

impl ConversationState {
    /// A conversation that has not started yet; `Input::Start` sets the rest.
    pub fn new(channel: Channel, language: &str) -> Self {
        ConversationState {
            channel,
            language: language.to_owned(),
            node: String::new(),
            waiting: Waiting::NotStarted,
            vars: Default::default(),
            stack: Vec::new(),
            attempts: 0,
            next_id: 1,
            last_intent: None,
        }
    }
}

/// Runs conversations on one compiled flow.
pub struct Engine<'a> {
    flow: &'a Flow,
    matcher: &'a dyn IntentMatcher,
}

impl fmt::Debug for Engine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("flow", &self.flow.document().id)
            .finish_non_exhaustive()
    }
}

impl<'a> Engine<'a> {
    /// An engine for `flow` that classifies utterances with `matcher`.
    pub fn new(flow: &'a Flow, matcher: &'a dyn IntentMatcher) -> Self {
        Engine { flow, matcher }
    }

    /// The flow this engine runs.
    pub fn flow(&self) -> &'a Flow {
        self.flow
    }

    /// Feeds one input at `now_ms` (Unix milliseconds) and returns what the shell must do.
    ///
    /// Never panics. An input that does not fit the state is ignored without effects: a
    /// second `Start`, anything after the end, a timer or HTTP result that is no longer
    /// current, text while waiting for an HTTP result. A state that does not fit the flow (a
    /// node id from another version) ends the conversation as failed. A hang-up cancels the
    /// pending timer, if any, and ends the conversation (as transferred while a transfer is
    /// under way).
    pub fn handle(&self, state: &mut ConversationState, input: Input, now_ms: i64) -> Vec<Effect> {
        self.handle_traced(state, input, now_ms).0
    }

    /// Like [`handle`](Self::handle), and also says which nodes the input went through, in
    /// order: the node that took the input (if one waited for it), then every node entered.
    pub fn handle_traced(
        &self,
        state: &mut ConversationState,
        input: Input,
        now_ms: i64,
    ) -> (Vec<Effect>, Vec<NodeId>) {
        let mut run = Run {
            flow: self.flow.resolved(),
            state,
            now_ms,
            effects: Vec::new(),
            steps: 0,
            path: Vec::new(),
        };
        self.dispatch(&mut run, input);
        let nodes = &self.flow.resolved().doc.nodes;
        let path = run
            .path
            .iter()
            .filter_map(|&i| nodes.get(i as usize).map(|n| n.id().to_owned()))
            .collect();
        (run.effects, path)
    }
}

/// What the conversation waits for, reduced to copyable ids.
#[derive(Clone, Copy)]
enum Wait {
    NotStarted,
    Input(u32),
    Http(u32),
    Recording,
    Queue(Option<u32>),
    Transfer,
    Ended,
}

/// Driving a run: which node an input is for, and on from node to node until one waits.
impl Engine<'_> {
    fn dispatch(&self, run: &mut Run<'_>, input: Input) {
        let wait = match &run.state.waiting {
            Waiting::NotStarted => Wait::NotStarted,
            Waiting::Input { timer } => Wait::Input(*timer),
            Waiting::Http { request } => Wait::Http(*request),
            Waiting::Recording => Wait::Recording,
            Waiting::Queue { timer, .. } => Wait::Queue(*timer),
            Waiting::Transfer => Wait::Transfer,
            Waiting::Ended { .. } => Wait::Ended,
        };
        match (wait, input) {
            (Wait::Ended, _) => {}
            (
                Wait::NotStarted,
                Input::Start {
                    channel,
                    language,
                    entry,
                    variables,
                },
            ) => {
                self.start(
                    run,
                    channel,
                    language.as_deref(),
                    entry.as_deref(),
                    variables,
                );
            }
            (Wait::NotStarted, Input::Hangup) => run.end(EndReason::Hangup),
            (Wait::NotStarted, _) | (_, Input::Start { .. }) => {}
            (Wait::Transfer, Input::Hangup) => run.end(EndReason::Transferred),
            (wait, Input::Hangup) => {
                if let Wait::Input(timer) | Wait::Queue(Some(timer)) = wait {
                    run.effects.push(Effect::CancelTimer { id: timer });
                }
                run.end(EndReason::Hangup);
            }
            (Wait::Input(timer), Input::TimerFired { timer: fired }) if fired == timer => {
                self.at_current(run, nodes::no_input);
            }
            (Wait::Input(timer), Input::Text { text }) => {
                run.effects.push(Effect::CancelTimer { id: timer });
                self.heard(run, &text, true);
                self.at_current(run, |run, i, node, c| {
                    nodes::reply(run, i, node, c, Reply::Text(&text))
                });
            }
            (Wait::Input(timer), Input::Speech { text, confidence }) => {
                run.effects.push(Effect::CancelTimer { id: timer });
                // Low confidence is as good as not understood (NaN included).
                let heard = confidence >= MIN_SPEECH_CONFIDENCE;
                self.heard(run, &text, heard);
                if heard {
                    self.at_current(run, |run, i, node, c| {
                        nodes::reply(run, i, node, c, Reply::Speech(&text))
                    });
                } else {
                    self.at_current(run, nodes::no_match);
                }
            }
            (Wait::Input(timer), Input::Digits { digits }) => {
                run.effects.push(Effect::CancelTimer { id: timer });
                self.heard(run, &digits, false);
                self.at_current(run, |run, i, node, c| {
                    nodes::reply(run, i, node, c, Reply::Digits(&digits))
                });
            }
            (
                Wait::Http(request),
                Input::HttpResult {
                    request: done,
                    status,
                    body,
                },
            ) if done == request => {
                self.at_current(run, |run, _, node, c| {
                    nodes::http_result(run, node, c, status, &body)
                });
            }
            (Wait::Recording, Input::RecordingDone { reference }) => {
                self.at_current(run, |run, _, node, c| {
                    nodes::recorded(run, node, c, &reference)
                });
            }
            (Wait::Recording, Input::Text { text }) if run.state.channel != Channel::Voice => {
                run.set_var("last_input", &text);
                self.at_current(run, |run, _, node, c| nodes::recorded(run, node, c, &text));
            }
            (Wait::Queue(_), Input::Text { text }) => run.set_var("last_input", &text),
            (Wait::Queue(Some(timer)), Input::TimerFired { timer: fired }) if fired == timer => {
                self.at_current(run, |run, _, node, c| nodes::queue_timeout(run, node, c));
            }
            (
                Wait::Input(_) | Wait::Http(_) | Wait::Recording,
                Input::HandOver { reason, queue },
            ) => {
                if let Wait::Input(timer) = wait {
                    run.effects.push(Effect::CancelTimer { id: timer });
                }
                self.hand_over(run, &reason, queue);
            }
            (Wait::Transfer, Input::TransferFailed) => {
                self.at_current(run, |run, _, node, c| nodes::transfer_failed(run, node, c));
            }
            _ => {}
        }
    }

    fn start(
        &self,
        run: &mut Run<'_>,
        channel: Channel,
        language: Option<&str>,
        entry: Option<&str>,
        variables: std::collections::BTreeMap<String, String>,
    ) {
        let flow = self.flow;
        run.state.channel = channel;
        let language = flow.language_for(language);
        if run.state.language != language {
            run.state.language = language.to_owned();
        }
        for (name, value) in &flow.document().variables {
            run.state.vars.insert(name.clone(), value.clone());
        }
        run.state.vars.extend(variables);
        let first = match entry {
            Some(id) => flow.index_of(id),
            None => Some(flow.start()),
        };
        match first {
            Some(i) => self.run_from(run, i),
            None => run.end(EndReason::Failed),
        }
    }

    /// Records what the caller said: `last_input`, and `last_intent` from the matcher with its
    /// confidence in `nlu.confidence` and `nlu.out_of_scope` (`true` when no intent fitted), so
    /// a flow can ask again or hand over when the bot did not understand.
    fn heard(&self, run: &mut Run<'_>, text: &str, classify: bool) {
        run.set_var("last_input", text);
        run.state.last_intent = if classify {
            let found = self.matcher.classify(text, &run.state.language);
            let confidence = if found.confidence.is_finite() {
                found.confidence.clamp(0.0, 1.0)
            } else {
                0.0
            };
            run.set_var("nlu.confidence", &format!("{confidence:.2}"));
            run.set_var(
                "nlu.out_of_scope",
                if found.intent.is_none() {
                    "true"
                } else {
                    "false"
                },
            );
            found.intent
        } else {
            None
        };
    }

    /// Runs `f` on the node the conversation waits at, then on from where it leads.
    fn at_current(
        &self,
        run: &mut Run<'_>,
        f: impl FnOnce(&mut Run<'_>, u32, &crate::format::Node, &nodes::Compiled) -> Next,
    ) {
        let flow = self.flow;
        let Some(i) = flow.index_of(&run.state.node) else {
            run.end(EndReason::Failed);
            return;
        };
        let Some((node, compiled)) = flow.entry(i) else {
            run.end(EndReason::Failed);
            return;
        };
        run.path.push(i);
        if let Next::Node(next) = f(run, i, node, compiled) {
            self.run_from(run, next);
        }
    }

    /// Enters nodes from `i` until one waits.
    /// Goes to the flow's fallback when it is an `enqueue` node (the author's queue, texts and
    /// timeout), else queues the conversation in `queue` directly: a hand-over never ends up
    /// anywhere but with a human.
    fn hand_over(&self, run: &mut Run<'_>, reason: &str, queue: String) {
        run.set_var("handover.reason", reason);
        run.state.stack.clear();
        let resolved = self.flow.resolved();
        let fallback = resolved.fallback().filter(|&f| {
            matches!(
                resolved.doc.nodes.get(f as usize),
                Some(crate::format::Node::Enqueue(_))
            )
        });
        if let Some(f) = fallback {
            self.run_from(run, f);
            return;
        }
        let mut context = std::collections::BTreeMap::new();
        context.insert("handover.reason".to_owned(), reason.to_owned());
        run.effects.push(Effect::Enqueue {
            queue: queue.clone(),
            priority: 0,
            context,
        });
        run.state.waiting = Waiting::Queue { queue, timer: None };
    }

    fn run_from(&self, run: &mut Run<'_>, mut i: u32) {
        let flow = self.flow;
        loop {
            run.steps += 1;
            if run.steps > MAX_STEPS_PER_INPUT {
                run.end(EndReason::Failed);
                return;
            }
            let Some((node, compiled)) = flow.entry(i) else {
                run.end(EndReason::Failed);
                return;
            };
            run.state.attempts = 0;
            run.path.push(i);
            match nodes::enter(run, i, node, compiled) {
                Next::Node(next) => i = next,
                Next::Stop => return,
            }
        }
    }
}
