//! Messaging channels (SMS, WhatsApp): a contact's message to one of the tenant's numbers
//! continues the contact's open conversation on that number or starts one on the number's
//! flow; the bot's and agents' replies are queued for delivery in the step that wrote them
//! and handed to the provider by the outbox (`outbox`); providers' status reports move each
//! message forward (`outbox`).
//!
//! A contact is its keyed pseudonym everywhere — threads, inbound ids, the conversation's
//! contact row, logs. The address itself is kept only sealed under the conversation's key,
//! because replies must reach it; it is read in clear only to send, and by the audited
//! [`App::contact_address`].
//!
//! Inbound is idempotent: the provider's message id is recorded per tenant and channel, and
//! the step stores the message under a client id made of it, so a provider's retry (even one
//! racing the original) never makes a second message.

mod outbox;
mod proxy;
pub(crate) mod render;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use domain::{Channel, ConversationId, Redacted, TenantId};
use flow::{ConversationState, Input};
use store::{Conversation, ConversationStatus};

pub use outbox::DeliveryReport;
pub(crate) use outbox::OutboxRuntime;
pub use proxy::ProxySessionView;

use crate::conversation::{MAX_MESSAGE_BYTES, UserMessage, lock};
use crate::{App, AppError, AppResult, Principal, random_bytes};

/// Longest provider message id accepted.
const MAX_PROVIDER_ID: usize = 128;

/// Longest address (phone number or WhatsApp user id) accepted.
const MAX_ADDRESS: usize = 64;

/// A contact's message as a provider delivered it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// SMS or WhatsApp.
    pub channel: Channel,
    /// The hotline's number it was sent to.
    pub to: String,
    /// The contact's address (personal data: never logged).
    pub from: Redacted<String>,
    /// The provider's id for the message (retries repeat it).
    pub provider_id: String,
    /// What the contact wrote (personal data: never logged).
    pub text: Redacted<String>,
    /// The option the contact tapped (WhatsApp buttons and lists): what it means to the
    /// flow; `text` is then the option's title, which the transcript shows.
    pub choice: Option<String>,
}

/// What became of an inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// Taken into the conversation.
    Taken {
        /// The conversation.
        conversation: ConversationId,
    },
    /// Taken before (a provider's retry): nothing changed.
    Duplicate {
        /// The conversation it went to.
        conversation: ConversationId,
    },
    /// Sent to a proxy number outside any open session: answered with the tenant's reply
    /// (or not at all), stored nowhere.
    Unmatched,
}

impl Inbound {
    /// The conversation the message is in.
    pub fn conversation(self) -> Option<ConversationId> {
        match self {
            Inbound::Taken { conversation } | Inbound::Duplicate { conversation } => {
                Some(conversation)
            }
            Inbound::Unmatched => None,
        }
    }
}

/// A contact's thread: tenant, channel, the hotline's number, the contact's pseudonym.
type ThreadKey = (TenantId, Channel, String, String);

/// Per-process state: one lock per contact thread, so a contact's messages (and a provider's
/// retries of one) are taken one after the other; and the outbox's.
#[derive(Default)]
pub(crate) struct MessagingRuntime {
    threads: Mutex<HashMap<ThreadKey, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) outbox: OutboxRuntime,
    proxy: proxy::ProxyRuntime,
}

impl std::fmt::Debug for MessagingRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessagingRuntime { .. }")
    }
}

fn check_inbound(msg: &InboundMessage) -> AppResult<()> {
    if !msg.channel.is_messaging() {
        return Err(AppError::field("channel", "sms or whatsapp"));
    }
    let id = &msg.provider_id;
    if id.is_empty() || id.len() > MAX_PROVIDER_ID || id.chars().any(char::is_control) {
        return Err(AppError::field(
            "provider_id",
            format!("a message id of 1–{MAX_PROVIDER_ID} characters"),
        ));
    }
    let from = msg.from.expose();
    if from.is_empty() || from.len() > MAX_ADDRESS || from.chars().any(char::is_control) {
        return Err(AppError::field(
            "from",
            format!("an address of 1–{MAX_ADDRESS} characters"),
        ));
    }
    if msg.text.expose().len() > MAX_MESSAGE_BYTES {
        return Err(AppError::field(
            "text",
            format!("at most {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    Ok(())
}

impl App {
    pub(crate) fn messaging(&self) -> &MessagingRuntime {
        &self.inner.messaging
    }

    /// Takes a contact's message: finds the number's tenant, continues the contact's open
    /// conversation on the number or starts one on its flow, and runs the flow on the text.
    /// `NotFound` for a number nobody has on this channel, `Conflict` when its flow is not
    /// published; a retried provider id is a [`Inbound::Duplicate`] and changes nothing.
    pub async fn message_received(&self, msg: InboundMessage) -> AppResult<Inbound> {
        check_inbound(&msg)?;
        let number = self
            .store()
            .resolve_phone_number(&msg.to)
            .await?
            .filter(|n| n.channels.contains(&msg.channel))
            .ok_or(AppError::NotFound)?;
        let tenant = number.tenant_id;
        if !self.tenant_enabled(tenant).await? {
            return Err(AppError::NotFound);
        }
        if number.proxy {
            return self.proxy_message_received(&number, &msg).await;
        }
        let address = render::address_key(msg.channel, msg.from.expose());
        let contact = self.caller_pseudonym(tenant, &address).await?;
        let key = (tenant, msg.channel, number.number.clone(), contact.clone());
        let thread_lock = lock(&self.messaging().threads)
            .entry(key.clone())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone();
        let guard = thread_lock.lock().await;
        let result = self
            .message_in_thread(tenant, &number, &contact, &address, &msg)
            .await;
        drop(guard);
        {
            let mut threads = lock(&self.messaging().threads);
            if threads.get(&key).is_some_and(|l| Arc::strong_count(l) <= 2) {
                threads.remove(&key);
            }
        }
        result
    }

    async fn message_in_thread(
        &self,
        tenant: TenantId,
        number: &store::PhoneNumber,
        contact: &str,
        address: &str,
        msg: &InboundMessage,
    ) -> AppResult<Inbound> {
        if let Some(conversation) = self
            .store()
            .inbound_message(tenant, msg.channel, &msg.provider_id)
            .await?
        {
            return Ok(Inbound::Duplicate { conversation });
        }
        let open = match self
            .store()
            .message_thread(tenant, msg.channel, &number.number, contact)
            .await?
        {
            Some(id) => self
                .store()
                .get_conversation(tenant, id)
                .await?
                .filter(|c| c.status != ConversationStatus::Ended),
            None => None,
        };
        let text = msg.text.expose();
        let meaning = msg.choice.as_deref().unwrap_or(text);
        let user = UserMessage {
            client_id: format!("{}:{}", msg.channel, msg.provider_id),
            text: text.to_owned(),
        };
        let conversation = match open {
            Some(c) => {
                self.step(tenant, c.id, render::input_of(meaning), Some(user))
                    .await?;
                c.id
            }
            None => {
                // The message that opened the conversation is its first line; the flow's
                // greeting and first question answer it. Unless it was only a greeting (which
                // that answers), the flow then reads it, so "2" or "I need someone to talk
                // to" is understood at once (and checked for a crisis like any message).
                let id = self
                    .start_message_conversation(tenant, number, contact, address, msg.channel, user)
                    .await?;
                if msg.choice.is_some() || !flow::is_greeting(meaning) {
                    self.step(tenant, id, render::input_of(meaning), None)
                        .await?;
                }
                id
            }
        };
        self.store()
            .record_inbound_message(
                tenant,
                msg.channel,
                &msg.provider_id,
                conversation,
                self.now(),
            )
            .await?;
        tracing::info!(%conversation, channel = %msg.channel, "message received");
        Ok(Inbound::Taken { conversation })
    }

    /// Starts a conversation on the number's flow for a contact, keeps the address sealed
    /// under it (replies must reach it) and points the contact's thread at it.
    async fn start_message_conversation(
        &self,
        tenant: TenantId,
        number: &store::PhoneNumber,
        contact: &str,
        address: &str,
        channel: Channel,
        first: UserMessage,
    ) -> AppResult<ConversationId> {
        let flow_id = number
            .flow_id
            .ok_or(AppError::Conflict("number (no flow is bound to it)"))?;
        let version = self
            .live_version(tenant, flow_id, "number (its flow is not published)")
            .await?;
        let compiled = self.compiled(tenant, flow_id, version).await?;
        let doc = compiled.flow.document();
        let language = number
            .language
            .clone()
            .filter(|l| doc.languages.iter().any(|x| x == l) || doc.language == *l)
            .unwrap_or_else(|| doc.language.clone());
        let flow_channel = match channel {
            Channel::Whatsapp => flow::Channel::Whatsapp,
            _ => flow::Channel::Sms,
        };
        let now = self.now();
        let state = ConversationState::new(flow_channel, &language);
        let token = security::token::secret_from_random(random_bytes()?);
        let conversation = Conversation {
            tenant_id: tenant,
            id: ConversationId::from_random_bytes(random_bytes()?),
            channel,
            widget_id: None,
            flow_id,
            flow_version: version,
            session_hash: security::token::hash_secret(&token),
            state: serde_json::to_string(&state).map_err(|e| AppError::Internal(e.into()))?,
            status: ConversationStatus::Active,
            last_seq: 0,
            created_at: now,
            updated_at: now,
        };
        let id = conversation.id;
        let mut variables = BTreeMap::new();
        variables.insert("contact.language".to_owned(), language.clone());
        variables.insert("channel.number".to_owned(), number.number.clone());
        let input = Input::Start {
            channel: flow_channel,
            language: Some(language),
            entry: None,
            variables,
        };
        self.start_conversation_with(conversation, input, Some(first))
            .await?;
        // Replies must reach the address; unless the number identifies its callers, it is
        // kept only while the conversation needs it, and no one reads it.
        let transient = number.caller_id != domain::CallerIdMode::Identified;
        self.store()
            .record_contact(tenant, id, contact, Some(address), transient, now)
            .await?;
        self.store()
            .put_message_thread(tenant, channel, &number.number, contact, id, now)
            .await?;
        // The first replies were queued before the address was stored: send them now.
        self.kick_outbox(tenant, id);
        tracing::info!(conversation = %id, flow = %flow_id, version, %channel, "message conversation started");
        Ok(id)
    }

    /// The address behind a messaging conversation, in clear, for a role that may reach
    /// callers (an admin or supervisor following up by phone). Audited; `NotFound` when the
    /// address is not kept.
    pub async fn contact_address(
        &self,
        who: &Principal,
        conversation: ConversationId,
    ) -> AppResult<String> {
        who.require(security::rbac::Permission::ContactAddressesRead)?;
        let (_, address) = self
            .store()
            .conversation_contact(who.tenant_id, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        let address = address.ok_or(AppError::NotFound)?;
        // Kept only to reach the contact (pseudonymised numbers): no one reads it.
        if self
            .store()
            .contact_address_transient(who.tenant_id, conversation)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.audit_success(
            who,
            domain::AuditAction::ContactAddressRead,
            &conversation.to_string(),
        )
        .await?;
        Ok(address)
    }
}
