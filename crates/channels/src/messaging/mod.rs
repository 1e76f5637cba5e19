//! The messaging shells: senders for the providers Hotline hands SMS and WhatsApp messages to
//! (an SMSC over SMPP 3.4, a Twilio-compatible REST API, the WhatsApp Cloud API), and [`MessageRouter`], the app's
//! [`app::MessageSender`], which picks the provider configured for the channel and the number
//! a message goes out from.

mod smpp;
mod split;
mod twilio;
mod whatsapp;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::{MessageSender, OutboundMessage, SendOutcome};
use domain::Channel;

pub use smpp::{SmppConfig, SmppLink};
pub use split::split_text;
pub use twilio::{TwilioConfig, TwilioSender};
pub use whatsapp::{WhatsappConfig, WhatsappSender};

/// How long a provider's API may take to answer one request.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(15);

/// The HTTP client for providers' APIs: their addresses are the operator's configuration,
/// so no private-address guard; no redirects, a time limit.
pub(crate) fn provider_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .connect_timeout(PROVIDER_TIMEOUT)
        .user_agent(concat!("Hotline/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends a provider request: its status and body, or "try again" when no answer came.
pub(crate) async fn exchange(
    name: &str,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>), SendOutcome> {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap_or_default().to_vec();
            Ok((status, body))
        }
        Err(e) => Err(SendOutcome::Unavailable {
            reason: format!(
                "{name}: no answer ({})",
                if e.is_timeout() {
                    "timed out"
                } else {
                    "unreachable"
                }
            ),
        }),
    }
}

/// What an HTTP failure means for a message: try again (no answer, throttled, the
/// provider's own trouble, credentials the operator must fix) or give up (the provider
/// refused this message).
pub(crate) fn outcome_of_status(status: u16, code: String) -> SendOutcome {
    match status {
        401 | 403 | 408 | 429 | 500..=599 => SendOutcome::Unavailable { reason: code },
        _ => SendOutcome::Rejected { code },
    }
}

/// Picks the sender configured for a message's channel and number.
#[derive(Default)]
pub struct MessageRouter {
    routes: HashMap<(Channel, String), Arc<dyn MessageSender>>,
}

impl std::fmt::Debug for MessageRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageRouter")
            .field("routes", &self.routes.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl MessageRouter {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `channel` messages from `number` through `sender`; a later route for the same
    /// pair replaces an earlier one.
    pub fn route(&mut self, channel: Channel, number: &str, sender: Arc<dyn MessageSender>) {
        self.routes.insert((channel, number.to_owned()), sender);
    }

    /// Whether any route is configured.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[async_trait::async_trait]
impl MessageSender for MessageRouter {
    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        match self.routes.get(&(message.channel, message.from.clone())) {
            Some(sender) => sender.send(message).await,
            None => SendOutcome::Unavailable {
                reason: format!(
                    "no {} provider is configured for this number",
                    message.channel
                ),
            },
        }
    }
}
