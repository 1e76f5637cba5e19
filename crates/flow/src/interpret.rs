//! The interpreter: one [`Input`] and the current time in, [`Effect`]s out, the
//! conversation's [`ConversationState`] updated in place.
//!
//! The engine runs nodes until one waits (for the caller, an HTTP result, a recording, a
//! human or a transfer). What each node kind does lives in its module under `nodes`; this
//! module owns what they share: dispatching an input to the node it is for, the retry
//! rules, the fall-back when a branch is missing, the runaway guard, and rendering texts in
//! the conversation's language. Nothing is read from a clock, nothing is random, and a
//! state restored from storage continues exactly where it stopped.

use std::fmt;

use crate::compile::Flow;
use crate::engine::{
    Choice, ConversationState, Effect, EndReason, Input, IntentMatcher, MAX_STEPS_PER_INPUT,
    Waiting,
};
use crate::format::{Channel, Text};
use crate::nodes;
use crate::template::{Escape, has_placeholders, render_into};

/// The deepest nesting of subflows a conversation may reach.
const MAX_SUBFLOW_DEPTH: usize = 16;

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
        let mut run = Run {
            flow: self.flow,
            matcher: self.matcher,
            state,
            now_ms,
            effects: Vec::new(),
            steps: 0,
        };
        run.handle(input);
        run.effects
    }
}

/// Where the run goes after a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// On to this node.
    Node(u32),
    /// The conversation now waits (or has ended).
    Stop,
}

/// Why the caller is asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// Nothing came before the timeout.
    NoInput,
    /// What came did not fit.
    NoMatch,
}

/// What the caller sent to a node waiting for input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reply<'i> {
    /// Keypad digits.
    Digits(&'i str),
    /// Written text.
    Text(&'i str),
    /// Recognised speech with enough confidence.
    Speech(&'i str),
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

/// One `handle` call in progress.
pub(crate) struct Run<'r> {
    pub(crate) flow: &'r Flow,
    matcher: &'r dyn IntentMatcher,
    pub(crate) state: &'r mut ConversationState,
    pub(crate) now_ms: i64,
    pub(crate) effects: Vec<Effect>,
    steps: usize,
}

impl Run<'_> {
    fn handle(&mut self, input: Input) {
        let wait = match &self.state.waiting {
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
                self.start(channel, language.as_deref(), entry.as_deref(), variables);
            }
            (Wait::NotStarted, Input::Hangup) => self.end(EndReason::Hangup),
            (Wait::NotStarted, _) | (_, Input::Start { .. }) => {}
            (Wait::Transfer, Input::Hangup) => self.end(EndReason::Transferred),
            (wait, Input::Hangup) => {
                if let Wait::Input(timer) | Wait::Queue(Some(timer)) = wait {
                    self.effects.push(Effect::CancelTimer { id: timer });
                }
                self.end(EndReason::Hangup);
            }
            (Wait::Input(timer), Input::TimerFired { timer: fired }) if fired == timer => {
                self.at_current(nodes::no_input);
            }
            (Wait::Input(timer), Input::Text { text }) => {
                self.effects.push(Effect::CancelTimer { id: timer });
                self.heard(&text, true);
                self.at_current(|run, i, node, c| {
                    nodes::reply(run, i, node, c, Reply::Text(&text))
                });
            }
            (Wait::Input(timer), Input::Speech { text, confidence }) => {
                self.effects.push(Effect::CancelTimer { id: timer });
                // Low confidence is as good as not understood (NaN included).
                let heard = confidence >= MIN_SPEECH_CONFIDENCE;
                self.heard(&text, heard);
                if heard {
                    self.at_current(|run, i, node, c| {
                        nodes::reply(run, i, node, c, Reply::Speech(&text))
                    });
                } else {
                    self.at_current(nodes::no_match);
                }
            }
            (Wait::Input(timer), Input::Digits { digits }) => {
                self.effects.push(Effect::CancelTimer { id: timer });
                self.heard(&digits, false);
                self.at_current(|run, i, node, c| {
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
                self.at_current(|run, _, node, c| nodes::http_result(run, node, c, status, &body));
            }
            (Wait::Recording, Input::RecordingDone { reference }) => {
                self.at_current(|run, _, node, c| nodes::recorded(run, node, c, &reference));
            }
            (Wait::Recording, Input::Text { text }) if self.state.channel != Channel::Voice => {
                self.set_var("last_input", &text);
                self.at_current(|run, _, node, c| nodes::recorded(run, node, c, &text));
            }
            (Wait::Queue(_), Input::Text { text }) => self.set_var("last_input", &text),
            (Wait::Queue(Some(timer)), Input::TimerFired { timer: fired }) if fired == timer => {
                self.at_current(|run, _, node, c| nodes::queue_timeout(run, node, c));
            }
            (Wait::Transfer, Input::TransferFailed) => {
                self.at_current(|run, _, node, c| nodes::transfer_failed(run, node, c));
            }
            _ => {}
        }
    }

    fn start(
        &mut self,
        channel: Channel,
        language: Option<&str>,
        entry: Option<&str>,
        variables: std::collections::BTreeMap<String, String>,
    ) {
        let flow = self.flow;
        self.state.channel = channel;
        let language = flow.language_for(language);
        if self.state.language != language {
            self.state.language = language.to_owned();
        }
        for (name, value) in &flow.document().variables {
            self.state.vars.insert(name.clone(), value.clone());
        }
        self.state.vars.extend(variables);
        let first = match entry {
            Some(id) => flow.index_of(id),
            None => Some(flow.start()),
        };
        match first {
            Some(i) => self.run(i),
            None => self.end(EndReason::Failed),
        }
    }

    /// Records what the caller said: `last_input`, and `last_intent` from the matcher with its
    /// confidence in `nlu.confidence` and `nlu.out_of_scope` (`true` when no intent fitted), so
    /// a flow can ask again or hand over when the bot did not understand.
    fn heard(&mut self, text: &str, classify: bool) {
        self.set_var("last_input", text);
        self.state.last_intent = if classify {
            let found = self.matcher.classify(text, &self.state.language);
            let confidence = if found.confidence.is_finite() {
                found.confidence.clamp(0.0, 1.0)
            } else {
                0.0
            };
            self.set_var("nlu.confidence", &format!("{confidence:.2}"));
            self.set_var(
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
        &mut self,
        f: impl FnOnce(&mut Self, u32, &crate::format::Node, &nodes::Compiled) -> Next,
    ) {
        let flow = self.flow;
        let Some(i) = flow.index_of(&self.state.node) else {
            self.end(EndReason::Failed);
            return;
        };
        let Some((node, compiled)) = flow.entry(i) else {
            self.end(EndReason::Failed);
            return;
        };
        if let Next::Node(next) = f(self, i, node, compiled) {
            self.run(next);
        }
    }

    /// Enters nodes from `i` until one waits.
    pub(crate) fn run(&mut self, mut i: u32) {
        let flow = self.flow;
        loop {
            self.steps += 1;
            if self.steps > MAX_STEPS_PER_INPUT {
                self.end(EndReason::Failed);
                return;
            }
            let Some((node, compiled)) = flow.entry(i) else {
                self.end(EndReason::Failed);
                return;
            };
            self.state.attempts = 0;
            match nodes::enter(self, i, node, compiled) {
                Next::Node(next) => i = next,
                Next::Stop => return,
            }
        }
    }

    /// Looks a variable up the way templates see it.
    pub(crate) fn lookup(&self, name: &str) -> Option<&str> {
        match name {
            "language" => Some(&self.state.language),
            "channel" => Some(self.state.channel.as_str()),
            "last_intent" => self.state.last_intent.as_deref(),
            _ => self.state.vars.get(name).map(String::as_str),
        }
    }

    /// Sets a variable, reusing its allocation when it exists.
    pub(crate) fn set_var(&mut self, name: &str, value: &str) {
        match self.state.vars.get_mut(name) {
            Some(v) => {
                v.clear();
                v.push_str(value);
            }
            None => {
                self.state.vars.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// Renders a template.
    pub(crate) fn render(&self, template: &str, escape: Escape) -> String {
        if !has_placeholders(template) {
            return template.to_owned();
        }
        let mut out = String::with_capacity(template.len() + 16);
        render_into(template, escape, &mut out, |name| self.lookup(name));
        out
    }

    /// Renders a text in the conversation's language (else the flow's default, else any).
    pub(crate) fn text(&self, text: &Text) -> String {
        let template = match text {
            Text::Plain(s) => s.as_str(),
            Text::ByLanguage(by_lang) => by_lang
                .get(&self.state.language)
                .or_else(|| by_lang.get(&self.flow.document().language))
                .or_else(|| by_lang.values().next())
                .map_or("", String::as_str),
        };
        self.render(template, Escape::None)
    }

    /// Says a text.
    pub(crate) fn say(&mut self, text: &Text, choices: Vec<Choice>) {
        let text = self.text(text);
        self.effects.push(Effect::Say {
            text,
            voice: None,
            audio: None,
            choices,
        });
    }

    /// A fresh timer or request id.
    pub(crate) fn new_id(&mut self) -> u32 {
        let id = self.state.next_id;
        self.state.next_id = self.state.next_id.wrapping_add(1).max(1);
        id
    }

    /// Starts a timer `secs` from now.
    pub(crate) fn timer(&mut self, secs: u32) -> u32 {
        let id = self.new_id();
        let at_ms = self.now_ms.saturating_add(i64::from(secs) * 1000);
        self.effects.push(Effect::StartTimer { id, at_ms });
        id
    }

    /// Waits at node `i`.
    pub(crate) fn wait(&mut self, i: u32, waiting: Waiting) {
        let id = self.flow.id_at(i);
        if self.state.node != id {
            self.state.node.clear();
            self.state.node.push_str(id);
        }
        self.state.waiting = waiting;
    }

    /// Ends the conversation.
    pub(crate) fn end(&mut self, reason: EndReason) {
        self.effects.push(Effect::End { reason });
        self.state.waiting = Waiting::Ended { reason };
    }

    /// Takes `branch`, or the flow's fallback (leaving any subflow), or ends as failed.
    pub(crate) fn give_up(&mut self, branch: Option<u32>) -> Next {
        if let Some(b) = branch {
            return Next::Node(b);
        }
        if let Some(f) = self.flow.fallback() {
            self.state.stack.clear();
            return Next::Node(f);
        }
        self.end(EndReason::Failed);
        Next::Stop
    }

    /// Counts a failed attempt. `None`: ask again (the apology is said, the caller
    /// re-prompts); `Some`: the retries are used up and this is where to go.
    pub(crate) fn miss(&mut self, miss: Miss, retries: u8, branch: Option<u32>) -> Option<Next> {
        self.state.attempts = self.state.attempts.saturating_add(1);
        if self.state.attempts <= retries {
            let text = fixed_text(&self.state.language, miss).to_owned();
            self.effects.push(Effect::Say {
                text,
                voice: None,
                audio: None,
                choices: Vec::new(),
            });
            None
        } else {
            Some(self.give_up(branch))
        }
    }

    /// Enters a subflow: remembers where to come back to.
    pub(crate) fn push_return(&mut self, next: u32) -> bool {
        if self.state.stack.len() >= MAX_SUBFLOW_DEPTH {
            return false;
        }
        self.state.stack.push(self.flow.id_at(next).to_owned());
        true
    }

    /// Leaves a subflow: where to go back to.
    pub(crate) fn pop_return(&mut self) -> Option<u32> {
        let id = self.state.stack.pop()?;
        self.flow.index_of(&id)
    }
}

/// The engine's own short texts, in German and English (English for any other language).
pub(crate) fn fixed_text(language: &str, miss: Miss) -> &'static str {
    match (language, miss) {
        ("de", Miss::NoMatch) => "Entschuldigung, das habe ich nicht verstanden.",
        ("de", Miss::NoInput) => "Ich habe nichts gehört.",
        (_, Miss::NoMatch) => "Sorry, I did not understand.",
        (_, Miss::NoInput) => "I did not hear anything.",
    }
}
