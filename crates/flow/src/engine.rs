//! The interpreter's interface: inputs in, effects out, time passed in, no IO.
//!
//! A shell (the web chat socket, later a SIP call or an SMS thread) feeds [`Input`]s to
//! [`Engine::handle`](crate::Engine::handle) together with the current time and carries
//! out the returned [`Effect`]s: it shows or speaks texts, starts timers and feeds
//! `TimerFired` back when they expire, performs HTTP requests and feeds their results back,
//! puts the conversation into a queue. The whole state of a conversation is a
//! [`ConversationState`]: small, plain data, serialisable, persisted by the app after every
//! step so a restart loses nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

// `Channel` is part of the document format (a test names its channel); the engine's
// vocabulary re-exports it so `engine::Channel` keeps naming it.
pub use crate::format::Channel;
use crate::format::{HttpMethod, InputKind, Lang, MessageChannel, NodeId};

/// Something that happened to the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// A conversation begins.
    Start {
        /// Its channel.
        channel: Channel,
        /// Its language (`None`: the flow's default).
        language: Option<Lang>,
        /// Start at this node instead of the flow's `start`.
        entry: Option<NodeId>,
        /// Variables known from the start (e.g. `contact.language`, `channel.widget`).
        variables: BTreeMap<String, String>,
    },
    /// The caller wrote text.
    Text {
        /// The text.
        text: String,
    },
    /// The caller pressed keys.
    Digits {
        /// The digits (`0-9*#`).
        digits: String,
    },
    /// A speech recogniser heard something.
    Speech {
        /// What it heard.
        text: String,
        /// Its confidence, 0–1.
        confidence: f32,
    },
    /// A timer the engine asked for expired.
    TimerFired {
        /// The timer's id from [`Effect::StartTimer`].
        timer: u32,
    },
    /// The HTTP request the engine asked for finished.
    HttpResult {
        /// The request's id from [`Effect::HttpRequest`].
        request: u32,
        /// The status code; 0 when there was no response (timeout, refused address, network).
        status: u16,
        /// The response body (JSON is read for `save`).
        body: String,
    },
    /// A recording (voicemail) finished; `reference` names the stored audio (empty: nothing).
    RecordingDone {
        /// Where the recording is stored.
        reference: String,
    },
    /// A transfer failed.
    TransferFailed,
    /// The caller hung up or closed the chat.
    Hangup,
    /// Hotline hands the conversation to a human without the flow asking (the caller is in
    /// crisis, asked for a person, or was not understood twice). The engine goes to the
    /// flow's `fallback` when that is an `enqueue` node, and otherwise queues the
    /// conversation in `queue` itself; `reason` is kept in the variable `handover.reason`.
    /// Ignored when the conversation already waits in a queue, has not started, is being
    /// transferred or is over.
    HandOver {
        /// Why (`crisis`, `asked_for_human`, `out_of_scope`).
        reason: String,
        /// The queue to use when the flow's fallback is not an `enqueue` node.
        queue: String,
    },
}

/// Something the shell must do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Show or speak a text (already rendered in the conversation's language).
    Say {
        /// The text.
        text: String,
        /// Text-to-speech voice, if the flow names one.
        voice: Option<String>,
        /// An audio file to play instead (phone).
        audio: Option<String>,
        /// Choices to offer as buttons (chat) — the menu's option labels.
        choices: Vec<Choice>,
    },
    /// Wait for input of these kinds (the phone opens DTMF/speech collection).
    Gather {
        /// Accepted inputs.
        kinds: Vec<InputKind>,
        /// Stop after this many digits.
        num_digits: Option<u8>,
        /// A key that ends digit input.
        finish_on_key: Option<char>,
    },
    /// Start a timer; feed `TimerFired { timer: id }` at `at_ms` (Unix milliseconds).
    StartTimer {
        /// The timer's id.
        id: u32,
        /// When it fires.
        at_ms: i64,
    },
    /// A timer is no longer needed.
    CancelTimer {
        /// The timer's id.
        id: u32,
    },
    /// Perform an HTTP request; feed `HttpResult { request: id, .. }` back.
    HttpRequest {
        /// The request's id.
        id: u32,
        /// Method.
        method: HttpMethod,
        /// Rendered URL.
        url: String,
        /// Rendered headers.
        headers: BTreeMap<String, String>,
        /// Rendered body.
        body: Option<String>,
        /// Timeout in milliseconds.
        timeout_ms: u64,
    },
    /// Send a message outside the conversation's own stream (e.g. a follow-up SMS).
    SendMessage {
        /// Where.
        channel: MessageChannel,
        /// The rendered text.
        text: String,
    },
    /// Put the conversation into a human queue; it now waits for an agent.
    Enqueue {
        /// The queue's name.
        queue: String,
        /// Priority (higher first).
        priority: i32,
        /// Context for the agent: rendered values.
        context: BTreeMap<String, String>,
    },
    /// The conversation left the queue it waited in (its wait timed out and the flow goes on
    /// at `on_timeout`): the shell withdraws it from the queue so no agent is offered it.
    LeaveQueue {
        /// The queue's name.
        queue: String,
    },
    /// Record audio (phone) or take one written message (chat) of at most `max_secs`.
    Record {
        /// Longest recording.
        max_secs: u32,
    },
    /// Transfer the call.
    Transfer {
        /// The rendered target.
        to: String,
    },
    /// The conversation is over.
    End {
        /// Why.
        reason: EndReason,
    },
}

/// A choice offered with a menu prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The label shown.
    pub label: String,
    /// What sending it means (the option's digit if it has one, else its label).
    pub value: String,
}

/// Why a conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// An `end` node was reached.
    Completed,
    /// The caller hung up or left.
    Hangup,
    /// Transferred away.
    Transferred,
    /// The flow could not go on (a step failed with nowhere to go, or a runaway loop).
    Failed,
}

/// What the conversation is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Waiting {
    /// Not started.
    NotStarted,
    /// Input at the current node (`ask`, `menu`, `record` on chat).
    Input {
        /// The no-input timer.
        timer: u32,
    },
    /// The HTTP request with this id.
    Http {
        /// The request's id.
        request: u32,
    },
    /// A recording.
    Recording,
    /// A human in this queue.
    Queue {
        /// The queue's name.
        queue: String,
        /// The wait timeout's timer, if any.
        timer: Option<u32>,
    },
    /// A transfer to complete.
    Transfer,
    /// Nothing: the conversation is over.
    Ended {
        /// Why.
        reason: EndReason,
    },
}

/// The complete state of one conversation: small, plain, serialisable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The channel.
    pub channel: Channel,
    /// The language texts are rendered in.
    pub language: Lang,
    /// The current node.
    pub node: NodeId,
    /// What the conversation waits for.
    pub waiting: Waiting,
    /// Variables (all values are text).
    pub vars: BTreeMap<String, String>,
    /// Return addresses of running subflows.
    pub stack: Vec<NodeId>,
    /// Failed attempts at the current node (no input / no match).
    pub attempts: u8,
    /// The next timer or request id to hand out.
    pub next_id: u32,
    /// The intent of the caller's last message, if any matched.
    pub last_intent: Option<String>,
}

/// What an intent matcher found in one utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentMatch {
    /// The best intent, or `None` when nothing matched well enough (out of scope).
    pub intent: Option<String>,
    /// Confidence, 0–1.
    pub confidence: f32,
}

/// Classifies an utterance into one of the flow's intents. The keyword/pattern matcher in
/// this crate implements it; the NLU engine implements it too, without the flow changing.
pub trait IntentMatcher: Send + Sync {
    /// Classifies `text` written in `language`.
    fn classify(&self, text: &str, language: &str) -> IntentMatch;
}

/// How many nodes one input may pass through before the engine declares a runaway loop.
pub const MAX_STEPS_PER_INPUT: usize = 256;
