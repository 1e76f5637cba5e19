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
        /// SMS (through SMPP or an HTTP provider).
        Sms => "sms",
        /// WhatsApp (the Cloud API).
        Whatsapp => "whatsapp",
    }
);

impl Channel {
    /// Whether the channel carries messages to an address Hotline must send to (SMS,
    /// WhatsApp), rather than a live connection (a call, a chat socket).
    pub const fn is_messaging(self) -> bool {
        matches!(self, Channel::Sms | Channel::Whatsapp)
    }
}

text_enum!(
    /// Where a message sent on a messaging channel stands. The order is the order of
    /// progress: a late status never moves a message back.
    DeliveryState {
        /// Stored, not yet taken by a provider.
        Queued => "queued",
        /// A provider took it.
        Sent => "sent",
        /// The handset received it.
        Delivered => "delivered",
        /// The recipient read it (WhatsApp).
        Read => "read",
        /// It could not be sent or delivered.
        Failed => "failed",
    }
);

impl DeliveryState {
    /// Whether a status report may move a message from `self` to `next`: forward only, and
    /// nothing after a failure or a read.
    pub fn may_become(self, next: DeliveryState) -> bool {
        use DeliveryState::{Delivered, Failed, Queued, Read, Sent};
        match (self, next) {
            (Failed | Read, _) => false,
            (Queued, Sent | Delivered | Read | Failed) => true,
            (Sent, Delivered | Read | Failed) => true,
            (Delivered, Read) => true,
            _ => false,
        }
    }
}

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
    /// Who a proxy session pairs the contact with.
    ProxyPartner {
        /// The agent desk: the contact's replies land in the conversation, agents answer there.
        Desk => "desk",
        /// An operator's phone: messages are relayed between the two phones.
        Phone => "phone",
    }
);

text_enum!(
    /// A participant of a proxy session.
    ProxyRole {
        /// Participant a: the contact (caller, texter).
        Contact => "a",
        /// Participant b: the operator's phone (a desk session has none).
        Partner => "b",
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
