//! Messages Hotline sends on messaging channels (SMS, WhatsApp): the shells that speak to
//! providers (an SMSC over SMPP, a Twilio-compatible REST API, the WhatsApp Cloud API)
//! implement [`MessageSender`]; which of them carries a message is theirs to decide from the
//! channel and the number it goes out from.

use domain::{Channel, ConversationId, Redacted, TenantId};

/// One message to hand to a provider.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    /// The tenant.
    pub tenant: TenantId,
    /// The conversation it belongs to.
    pub conversation: ConversationId,
    /// Its position in the conversation (with the conversation, a unique reference the
    /// provider may echo back).
    pub seq: i64,
    /// SMS or WhatsApp.
    pub channel: Channel,
    /// The hotline's number it goes out from (as configured: `+4930…`).
    pub from: String,
    /// The contact's address: a phone number, or a WhatsApp user id (personal data: never
    /// logged).
    pub to: Redacted<String>,
    /// The text, with a menu's options already written out for SMS (personal data: never
    /// logged).
    pub text: Redacted<String>,
    /// The options of a menu, for channels that show them as buttons or lists (WhatsApp);
    /// empty otherwise.
    pub choices: Vec<flow::Choice>,
    /// The conversation's language (a template's language outside WhatsApp's window).
    pub language: String,
    /// Whether the contact wrote within the last 24 hours: outside that window WhatsApp
    /// takes only approved templates.
    pub window_open: bool,
}

/// What a provider made of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Taken: the provider's id for it (delivery reports name it).
    Accepted {
        /// The provider's message id.
        provider_id: String,
    },
    /// Refused for good (an invalid number, a blocked recipient, WhatsApp's window closed
    /// and no template configured): `code` says why, in the provider's terms.
    Rejected {
        /// The provider's code and a few words (never the text or the address).
        code: String,
    },
    /// Not now (no connection, throttled, a server error): try again later.
    Unavailable {
        /// Why, for the log and the delivery row.
        reason: String,
    },
}

/// The messaging shells' side of sending.
#[async_trait::async_trait]
pub trait MessageSender: Send + Sync {
    /// Hands one message to the provider serving `message.from` on `message.channel`.
    async fn send(&self, message: &OutboundMessage) -> SendOutcome;
}
