//! The fixed vocabularies of a conversation: the channel it runs on, who sent a message, and
//! where it stands. Stored as their text; the store turns unknown text into a corrupt row.

use crate::text_enum::text_enum;

text_enum!(
    /// The channel a conversation runs on.
    Channel {
        /// Web chat (the widget).
        Chat => "chat",
        /// A phone call.
        Voice => "voice",
    }
);

text_enum!(
    /// Who wrote a message of a conversation.
    Sender {
        /// The person the conversation is with (caller, chat visitor).
        User => "user",
        /// The flow.
        Bot => "bot",
        /// A human agent.
        Agent => "agent",
        /// Hotline itself (notices about the conversation).
        System => "system",
    }
);

text_enum!(
    /// Where a conversation stands.
    ConversationStatus {
        /// The flow is running.
        Active => "active",
        /// Waiting in a human queue.
        Queued => "queued",
        /// A human agent holds the conversation; the bot does not answer.
        WithAgent => "with_agent",
        /// The caller asked to be called back and hung up: they keep their place in the queue,
        /// and Hotline calls them when an agent accepts. Nothing runs meanwhile.
        CallBack => "call_back",
        /// Over.
        Ended => "ended",
    }
);
