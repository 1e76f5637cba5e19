//! One step of a conversation as a node kind sees it: the [`Run`] in progress (the state,
//! the effects so far, the part of the flow it reads), where the run goes next ([`Next`]),
//! what the caller sent ([`Reply`]) and why it is asked again ([`Miss`]).
//!
//! What every node kind shares while it steps lives here: rendering texts in the
//! conversation's language, waiting, timers, the retry rules, the fall-back when a branch
//! is missing, entering and leaving subflows. It sits below `nodes`; the interpreter
//! (`interpret`) drives a run from node to node.

use std::collections::HashMap;

use crate::calendar::CompiledCalendar;
use crate::engine::{Choice, ConversationState, Effect, EndReason, Waiting};
use crate::format::{FlowDocument, Node, Text};
use crate::template::{Escape, has_placeholders, render_into};

/// The deepest nesting of subflows a conversation may reach.
const MAX_SUBFLOW_DEPTH: usize = 16;

/// A compiled flow's document with its names resolved: node ids to indices, calendars
/// compiled, the fallback found. It is what a node's step reads of the flow; a
/// [`Flow`](crate::Flow) holds it beside the compiled node data and the keyword matcher.
pub(crate) struct Resolved {
    /// The document.
    pub(crate) doc: FlowDocument,
    /// Node id → index.
    pub(crate) index: HashMap<String, u32>,
    /// The calendars, compiled, by index.
    pub(crate) calendars: Vec<CompiledCalendar>,
    /// The index of the fallback node, if the flow has one.
    pub(crate) fallback: Option<u32>,
}

impl Resolved {
    pub(crate) fn index_of(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub(crate) fn id_at(&self, i: u32) -> &str {
        self.doc.nodes.get(i as usize).map_or("", Node::id)
    }

    pub(crate) fn calendar(&self, i: u32) -> Option<&CompiledCalendar> {
        self.calendars.get(i as usize)
    }

    pub(crate) fn fallback(&self) -> Option<u32> {
        self.fallback
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

/// One `Engine::handle` call in progress.
pub(crate) struct Run<'r> {
    /// The part of the flow a node's step reads.
    pub(crate) flow: &'r Resolved,
    pub(crate) state: &'r mut ConversationState,
    pub(crate) now_ms: i64,
    pub(crate) effects: Vec<Effect>,
    /// Nodes entered so far in this call (the interpreter's runaway guard).
    pub(crate) steps: usize,
    /// The nodes this input went through, in order (for the editor's simulator).
    pub(crate) path: Vec<u32>,
}

impl Run<'_> {
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
        let template = text.in_language(
            self.state.channel,
            &self.state.language,
            &self.flow.doc.language,
        );
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

    /// Says one of the engine's own texts.
    pub(crate) fn say_fixed(&mut self, text: &str) {
        self.effects.push(Effect::Say {
            text: text.to_owned(),
            voice: None,
            audio: None,
            choices: Vec::new(),
        });
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
