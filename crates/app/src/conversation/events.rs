//! What a running conversation tells the shells connected to it: new messages, status
//! changes, typing, and — for calls — the commands the call must carry out. Every channel's
//! shell subscribes to the same [`ConversationEvent`] stream and ignores what is not for it.

use std::sync::Arc;

use domain::{Redacted, Timestamp};
use flow::InputKind;
use store::{ConversationStatus, Message};

/// One message as a chat client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Position in the conversation.
    pub seq: i64,
    /// Who wrote it.
    pub from: domain::Sender,
    /// The text (personal data: never logged).
    pub text: Redacted<String>,
    /// Choices offered with it.
    pub choices: Vec<flow::Choice>,
    /// The client's id of a user message.
    pub client_id: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl ChatMessage {
    /// A stored message as clients see it.
    pub(crate) fn from_stored(m: &Message) -> Self {
        ChatMessage {
            seq: m.seq,
            from: m.sender,
            text: m.body.clone(),
            choices: m
                .choices
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok())
                .unwrap_or_default(),
            client_id: m.client_id.clone(),
            at: m.at,
        }
    }
}

/// Something a shell connected to a conversation should learn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationEvent {
    /// New messages, in order.
    Messages(Vec<ChatMessage>),
    /// The conversation's status changed.
    Status {
        /// The new status.
        state: ConversationStatus,
        /// The queue, when queued.
        queue: Option<String>,
    },
    /// Someone is (not) typing.
    Typing {
        /// The bot or an agent.
        from: domain::Sender,
        /// Typing or not.
        state: bool,
    },
    /// What a call must do next (voice conversations only), in order.
    Call(Vec<CallCommand>),
}

/// Something the call shell must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCommand {
    /// Speak a text (or play `audio`), in `language`, with the flow's `voice` if it names one.
    Play {
        /// The rendered text (personal data may be in it: never logged).
        text: String,
        /// The conversation's language.
        language: String,
        /// A text-to-speech voice the flow asks for.
        voice: Option<String>,
        /// An audio file to play instead.
        audio: Option<String>,
    },
    /// Collect input: digits and/or speech, with phrases a recogniser may expect.
    Gather {
        /// What counts as input.
        kinds: Vec<InputKind>,
        /// Stop after this many digits.
        num_digits: Option<u8>,
        /// A key that ends digit input.
        finish_on_key: Option<char>,
        /// Phrases the flow understands here (for a recogniser's grammar).
        phrases: Arc<Vec<String>>,
    },
    /// Record the caller for at most `max_secs`; feed [`crate::App::call_recording_done`] after.
    Record {
        /// Longest recording.
        max_secs: u32,
    },
    /// Hand the call to `to` (a SIP URI or number); feed [`crate::App::call_transfer_failed`]
    /// on failure.
    Transfer {
        /// The target.
        to: String,
    },
    /// The call waits in a queue: play hold music and position announcements.
    Queued {
        /// The queue's name.
        queue: String,
    },
    /// The flow is over: hang up once everything before this has been played.
    Hangup,
    /// An agent took the call on the desk: ring the agent's registered phone and, once it
    /// answers, bridge the two (the hold music stops). When the phone cannot be reached, feed
    /// [`crate::App::agent_leg_failed`]; the task goes back to its queue.
    ConnectAgent {
        /// The agent who accepted.
        agent: domain::UserId,
    },
}
