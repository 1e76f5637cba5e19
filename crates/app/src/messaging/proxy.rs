//! The number proxy: a follow-up SMS to a caller goes out from one of the tenant's proxy
//! numbers, and what the caller answers to that number comes back into the same conversation,
//! so neither the caller nor the agent (nor an operator's phone) learns the other's number.
//!
//! A proxy session pairs participant A (the conversation's contact) with B: the agent desk
//! (agents answer in the conversation) or an operator's phone. Each participant writes to and
//! receives from one proxy number; the store keeps *an (address, proxy number) pair unique
//! among active sessions*, so a message to a proxy number names exactly one session. A
//! session stays open for the tenant's time to live after its last message; then the
//! timer loop closes it and its addresses are dropped. A message from an unknown sender or
//! to a session that ran out gets the tenant's configured reply (at most one per sender
//! every ten minutes), or nothing.
//!
//! Relays are stored as messages of the conversation with a delivery row that names the
//! session and the participant, so the outbox sends them like any other message (in order,
//! retried, with delivery states). Logs carry ids only.

use std::collections::HashMap;

use domain::{
    AuditAction, Channel, ConversationId, ProxyPartner, ProxyRole, ProxySessionId, Redacted,
    Sender, TenantId, Timestamp,
};
use security::rbac::Permission;
use store::{
    DeliveryRoute, Message, PhoneNumber, ProxyParticipant, ProxyRoute, ProxySession, StepWrite,
    StoreError,
};

use super::{Inbound, InboundMessage, render};
use crate::conversation::{ChatMessage, ConversationEvent, MAX_MESSAGE_BYTES, lock};
use crate::ports::{OutboundMessage, SendOutcome};
use crate::{App, AppError, AppResult, Principal, random_bytes};

/// How often an unknown sender on a proxy number gets the configured reply.
const REPLY_INTERVAL_MS: i64 = 10 * 60 * 1000;

/// How many senders the reply limit remembers (beyond that, the oldest are forgotten).
const MAX_REPLY_MEMORY: usize = 10_000;

/// How many expired sessions one sweep closes.
const SWEEP_LIMIT: u32 = 500;

/// How long after a call or chat ended its transient address is kept, so that an agent can
/// still send a follow-up during wrap-up.
pub(crate) const FOLLOW_UP_GRACE_MS: i64 = 60 * 60 * 1000;

/// When each unknown sender last got the configured reply.
#[derive(Default)]
pub(crate) struct ProxyRuntime {
    replied: std::sync::Mutex<HashMap<(TenantId, String), i64>>,
}

/// A proxy session as staff see it: ids and proxy numbers, never an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySessionView {
    /// The session.
    pub session: ProxySession,
    /// The proxy number the contact writes to.
    pub contact_number: Option<String>,
    /// The proxy number the operator's phone writes to (phone sessions).
    pub partner_number: Option<String>,
}

/// Why a follow-up cannot go out, for people (and the failed delivery's error).
fn refusal_text(e: &AppError) -> String {
    match e {
        AppError::Refused { detail, .. } => (*detail).to_owned(),
        e => e.to_string(),
    }
}

impl App {
    fn proxy_runtime(&self) -> &ProxyRuntime {
        &self.messaging().proxy
    }

    /// The tenant's pool: its numbers marked as proxy numbers that serve SMS.
    async fn proxy_pool(&self, tenant: TenantId) -> AppResult<Vec<String>> {
        Ok(self
            .store()
            .list_phone_numbers(tenant)
            .await?
            .into_iter()
            .filter(|n| n.proxy && n.channels.contains(&Channel::Sms))
            .map(|n| n.number)
            .collect())
    }

    /// The international form (`+4930…`) of a participant's phone number, if the tenant's
    /// policy lets Hotline write to it.
    async fn proxy_address(&self, tenant: TenantId, address: &str) -> AppResult<String> {
        let policy = self.contact_settings_of(tenant).await?.outbound_policy();
        match crate::fraud::allowed(address, &policy) {
            Ok(d) => Ok(format!("+{}", d.international)),
            Err(r) => Err(AppError::Refused {
                code: "number-not-allowed",
                detail: r.reason(),
            }),
        }
    }

    /// A pool number `contact` is not paired with in an open session, other than `taken`.
    async fn free_proxy_number(
        &self,
        tenant: TenantId,
        pool: &[String],
        contact: &str,
        taken: &[String],
        now: Timestamp,
    ) -> AppResult<Vec<String>> {
        let in_use = self
            .store()
            .proxy_numbers_in_use(tenant, contact, now)
            .await?;
        Ok(pool
            .iter()
            .filter(|n| !in_use.contains(n) && !taken.contains(n))
            .cloned()
            .collect())
    }

    /// Opens a session for a conversation's contact and, for a phone session, an operator's
    /// number: each gets a pool number it is not paired with yet. Another session taking the
    /// same pair at the same moment makes the store refuse; the next free number is tried.
    async fn open_session(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        partner: Option<(String, String)>,
    ) -> AppResult<ProxySession> {
        let no_address = AppError::Refused {
            code: "no-phone-number",
            detail: "no phone number is kept for the contact",
        };
        let (contact, address) = self
            .store()
            .conversation_contact(tenant, conversation)
            .await?
            .ok_or(AppError::Refused {
                code: "no-phone-number",
                detail: "no phone number is kept for the contact",
            })?;
        let address = self
            .proxy_address(tenant, &address.ok_or(no_address)?)
            .await?;
        let pool = self.proxy_pool(tenant).await?;
        let settings = self.contact_settings_of(tenant).await?;
        let ttl_ms = i64::from(settings.proxy_settings().ttl_hours) * 3_600_000;
        let exhausted = AppError::Refused {
            code: "no-proxy-number",
            detail: "every proxy number of the tenant is already paired with this contact \
                     (or the tenant has none for SMS)",
        };
        for _attempt in 0..4 {
            let now = self.now();
            let a_numbers = self
                .free_proxy_number(tenant, &pool, &contact, &[], now)
                .await?;
            let Some(a_number) = a_numbers.first().cloned() else {
                return Err(exhausted);
            };
            let mut participants = vec![ProxyParticipant {
                role: ProxyRole::Contact,
                contact: contact.clone(),
                address: Some(Redacted::new(address.clone())),
                proxy_number: a_number.clone(),
            }];
            if let Some((b_contact, b_address)) = &partner {
                let b_numbers = self
                    .free_proxy_number(
                        tenant,
                        &pool,
                        b_contact,
                        std::slice::from_ref(&a_number),
                        now,
                    )
                    .await?;
                let Some(b_number) = b_numbers.first().cloned() else {
                    return Err(AppError::Refused {
                        code: "no-proxy-number",
                        detail: "the tenant needs a second proxy number that the operator's \
                                 phone is not paired with yet",
                    });
                };
                participants.push(ProxyParticipant {
                    role: ProxyRole::Partner,
                    contact: b_contact.clone(),
                    address: Some(Redacted::new(b_address.clone())),
                    proxy_number: b_number,
                });
            }
            let session = ProxySession {
                tenant_id: tenant,
                id: ProxySessionId::from_random_bytes(random_bytes()?),
                conversation_id: conversation,
                partner: if partner.is_some() {
                    ProxyPartner::Phone
                } else {
                    ProxyPartner::Desk
                },
                open: true,
                ttl_ms,
                expires_at: Timestamp::from_millis(now.millis() + ttl_ms),
                created_at: now,
                updated_at: now,
            };
            match self
                .store()
                .open_proxy_session(&session, &participants)
                .await
            {
                Ok(()) => {
                    tracing::info!(%conversation, session = %session.id, partner = %session.partner, "proxy session opened");
                    return Ok(session);
                }
                // Taken by a session opened meanwhile: look again.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(exhausted)
    }

    /// The conversation's open desk session (kept open for its time to live), or a new one.
    async fn desk_session(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<ProxySessionId> {
        let now = self.now();
        for s in self.store().proxy_sessions_of(tenant, conversation).await? {
            if s.open
                && s.partner == ProxyPartner::Desk
                && self.store().extend_proxy_session(tenant, s.id, now).await?
            {
                return Ok(s.id);
            }
        }
        Ok(self.open_session(tenant, conversation, None).await?.id)
    }

    /// Where the follow-up SMS a flow step asked for go: through the conversation's desk
    /// session, or nowhere with the reason (stored failed, so the transcript says why).
    pub(crate) async fn follow_up_routes(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        follow_ups: &[usize],
    ) -> Vec<(usize, DeliveryRoute)> {
        if follow_ups.is_empty() {
            return Vec::new();
        }
        let route = match self.desk_session(tenant, conversation).await {
            Ok(session) => DeliveryRoute::Proxy(ProxyRoute {
                session,
                to: ProxyRole::Contact,
            }),
            Err(e) => {
                tracing::warn!(%conversation, error = %refusal_text(&e), "follow-up SMS not sent");
                DeliveryRoute::Failed(refusal_text(&e))
            }
        };
        follow_ups.iter().map(|i| (*i, route.clone())).collect()
    }

    /// May `who` follow up on the conversation: the agent who holds or held its task, or a
    /// supervisor.
    async fn may_follow_up(&self, who: &Principal, conversation: ConversationId) -> AppResult<()> {
        who.require(Permission::ConversationsHandle)?;
        self.store()
            .get_conversation(who.tenant_id, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        if who.require(Permission::QueuesSupervise).is_ok() {
            return Ok(());
        }
        let user = who.user_id().ok_or(AppError::Forbidden)?;
        let holder = self
            .read_centre(who.tenant_id, |c, _| {
                c.by_conversation
                    .get(&conversation)
                    .and_then(|id| c.tasks.get(id))
                    .and_then(|r| r.holder())
            })
            .await?;
        if holder == Some(user) {
            Ok(())
        } else {
            Err(AppError::Refused {
                code: "not-your-conversation",
                detail: "only the agent who handled the conversation, or a supervisor, may \
                         follow up on it",
            })
        }
    }

    /// An agent's follow-up SMS to the conversation's contact, from a proxy number (the
    /// contact's answers land in this conversation). Refused with a reason when no phone
    /// number is kept for the contact, the tenant has no free proxy number, or the number
    /// may not be written to.
    pub async fn send_follow_up(
        &self,
        who: &Principal,
        conversation: ConversationId,
        text: &str,
    ) -> AppResult<ChatMessage> {
        self.may_follow_up(who, conversation).await?;
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_MESSAGE_BYTES {
            return Err(AppError::field(
                "text",
                format!("1 to {MAX_MESSAGE_BYTES} bytes"),
            ));
        }
        let tenant = who.tenant_id;
        let guard_arc = self.conversation_lock(conversation);
        let _guard = guard_arc.lock().await;
        let session = self.desk_session(tenant, conversation).await?;
        let message = self
            .append_relayed(
                tenant,
                conversation,
                vec![(
                    Sender::Agent,
                    text.to_owned(),
                    None,
                    Some(ProxyRoute {
                        session,
                        to: ProxyRole::Contact,
                    }),
                )],
            )
            .await?
            .remove(0);
        tracing::info!(%conversation, %session, "follow-up SMS queued");
        Ok(message)
    }

    /// Pairs the conversation's contact with an operator's phone (admins and supervisors):
    /// each writes to a proxy number and reads the other's messages from it. Audited.
    pub async fn open_phone_proxy_session(
        &self,
        who: &Principal,
        conversation: ConversationId,
        operator_phone: &str,
    ) -> AppResult<ProxySessionView> {
        who.require(Permission::ContactAddressesRead)?;
        who.require(Permission::QueuesSupervise)?;
        let tenant = who.tenant_id;
        self.store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        let b_address = self
            .proxy_address(tenant, operator_phone)
            .await
            .map_err(|e| AppError::field("operator_phone", refusal_text(&e)))?;
        let b_contact = self.caller_pseudonym(tenant, &b_address).await?;
        let session = self
            .open_session(tenant, conversation, Some((b_contact, b_address)))
            .await?;
        self.audit_success(who, AuditAction::ProxySessionOpen, &session.id.to_string())
            .await?;
        self.proxy_view(session).await
    }

    /// A conversation's proxy sessions, newest first (staff who may read transcripts, and the
    /// agent who handled it).
    pub async fn conversation_proxy_sessions(
        &self,
        who: &Principal,
        conversation: ConversationId,
    ) -> AppResult<Vec<ProxySessionView>> {
        if who.require(Permission::TranscriptsRead).is_ok() {
            self.store()
                .get_conversation(who.tenant_id, conversation)
                .await?
                .ok_or(AppError::NotFound)?;
        } else {
            self.may_follow_up(who, conversation).await?;
        }
        let mut out = Vec::new();
        for s in self
            .store()
            .proxy_sessions_of(who.tenant_id, conversation)
            .await?
        {
            out.push(self.proxy_view(s).await?);
        }
        Ok(out)
    }

    /// Closes a session at once (a supervisor): its numbers are free, its addresses dropped.
    pub async fn close_proxy_session(&self, who: &Principal, id: ProxySessionId) -> AppResult<()> {
        who.require(Permission::QueuesSupervise)?;
        self.store()
            .get_proxy_session(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !self
            .store()
            .close_proxy_session(who.tenant_id, id, self.now())
            .await?
        {
            return Err(AppError::Refused {
                code: "already-closed",
                detail: "the proxy session is already closed",
            });
        }
        self.audit_success(who, AuditAction::ProxySessionClose, &id.to_string())
            .await?;
        Ok(())
    }

    async fn proxy_view(&self, mut session: ProxySession) -> AppResult<ProxySessionView> {
        let participants = self
            .store()
            .proxy_participants(session.tenant_id, session.id)
            .await?;
        let number = |role| {
            participants
                .iter()
                .find(|p| p.role == role)
                .map(|p| p.proxy_number.clone())
        };
        session.open = session.open && session.expires_at > self.now();
        Ok(ProxySessionView {
            contact_number: number(ProxyRole::Contact),
            partner_number: number(ProxyRole::Partner),
            session,
        })
    }

    /// Stores messages in a conversation outside its flow (relays and follow-ups), each with
    /// its route, whatever the conversation's state; tells its subscribers and the agents
    /// holding it, and kicks the outbox. Called under the conversation's lock.
    async fn append_relayed(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        messages: Vec<(Sender, String, Option<String>, Option<ProxyRoute>)>,
    ) -> AppResult<Vec<ChatMessage>> {
        let conv = self
            .store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        let now = self.now();
        let mut stored = Vec::new();
        let mut routes = Vec::new();
        for (i, (sender, text, client_id, route)) in messages.into_iter().enumerate() {
            if let Some(r) = route {
                routes.push((i, DeliveryRoute::Proxy(r)));
            }
            stored.push(Message {
                seq: 0,
                sender,
                body: Redacted::new(text),
                choices: None,
                client_id,
                at: now,
            });
        }
        let write = StepWrite {
            expected_last_seq: conv.last_seq,
            state: conv.state.clone(),
            status: conv.status,
            messages: stored.clone(),
            set_timers: Vec::new(),
            cancel_timers: Vec::new(),
            enqueue: None,
            dequeue: false,
            at: now,
            create: None,
            deliver: false,
            routes,
        };
        self.store().save_step(tenant, conversation, &write).await?;
        if !write.routes.is_empty() {
            self.kick_outbox(tenant, conversation);
        }
        let shown: Vec<ChatMessage> = stored
            .iter()
            .zip(conv.last_seq + 1..)
            .map(|(m, seq)| ChatMessage {
                seq,
                ..ChatMessage::from_stored(m)
            })
            .collect();
        self.publish(conversation, ConversationEvent::Messages(shown.clone()));
        for m in &shown {
            self.publish_to_holders(tenant, conversation, m.clone())
                .await;
        }
        Ok(shown)
    }

    /// A message to one of the tenant's proxy numbers: relayed within its session, or
    /// answered with the configured reply when it belongs to none.
    pub(super) async fn proxy_message_received(
        &self,
        number: &PhoneNumber,
        msg: &InboundMessage,
    ) -> AppResult<Inbound> {
        let tenant = number.tenant_id;
        let address = render::address_key(msg.channel, msg.from.expose());
        let contact = self.caller_pseudonym(tenant, &address).await?;
        if let Some(conversation) = self
            .store()
            .inbound_message(tenant, msg.channel, &msg.provider_id)
            .await?
        {
            return Ok(Inbound::Duplicate { conversation });
        }
        let now = self.now();
        let Some((session, role)) = self
            .store()
            .proxy_session_of_pair(tenant, &number.number, &contact, now)
            .await?
        else {
            self.answer_unknown_sender(tenant, number, &contact, address)
                .await;
            return Ok(Inbound::Unmatched);
        };
        let conversation = session.conversation_id;
        let guard_arc = self.conversation_lock(conversation);
        let guard = guard_arc.lock().await;
        // A retry racing its original: the first one stored it.
        if self
            .store()
            .inbound_message(tenant, msg.channel, &msg.provider_id)
            .await?
            .is_some()
        {
            return Ok(Inbound::Duplicate { conversation });
        }
        let text = msg.text.expose().clone();
        let client_id = Some(format!("{}:{}", msg.channel, msg.provider_id));
        let mut messages = Vec::new();
        match role {
            ProxyRole::Contact => {
                // The caller answers: into the conversation, and on to the operator's phone
                // in a phone session. Checked for a crisis like every caller message.
                let to_partner = (session.partner == ProxyPartner::Phone).then_some(ProxyRoute {
                    session: session.id,
                    to: ProxyRole::Partner,
                });
                messages.push((Sender::User, text.clone(), client_id, to_partner));
                let check = self
                    .hand_over_check(tenant, &flow::Input::Text { text })
                    .await;
                if check.crisis {
                    let state = crate::conversation::stored_state(
                        &self
                            .store()
                            .get_conversation(tenant, conversation)
                            .await?
                            .ok_or(AppError::NotFound)?,
                    )?;
                    let crisis = self.crisis_text(tenant, &state.language).await;
                    messages.push((
                        Sender::System,
                        crisis,
                        None,
                        Some(ProxyRoute {
                            session: session.id,
                            to: ProxyRole::Contact,
                        }),
                    ));
                }
            }
            ProxyRole::Partner => {
                messages.push((
                    Sender::Agent,
                    text,
                    client_id,
                    Some(ProxyRoute {
                        session: session.id,
                        to: ProxyRole::Contact,
                    }),
                ));
            }
        }
        let crisis = messages.len() > 1;
        self.append_relayed(tenant, conversation, messages).await?;
        self.store()
            .extend_proxy_session(tenant, session.id, now)
            .await?;
        self.store()
            .record_inbound_message(tenant, msg.channel, &msg.provider_id, conversation, now)
            .await?;
        // The contact centre is told outside the conversation's lock, as after every step.
        drop(guard);
        if crisis {
            self.mark_crisis(tenant, conversation).await?;
        }
        tracing::info!(%conversation, session = %session.id, from = %role, "proxy message relayed");
        Ok(Inbound::Taken { conversation })
    }

    /// The tenant's reply to a sender on a proxy number who belongs to no open session, at
    /// most once per sender every ten minutes; nothing when none is configured.
    async fn answer_unknown_sender(
        &self,
        tenant: TenantId,
        number: &PhoneNumber,
        contact: &str,
        address: String,
    ) {
        let reply = match self.contact_settings_of(tenant).await {
            Ok(s) => s.proxy_settings().reply,
            Err(_) => None,
        };
        tracing::info!(number = %number.number, "message to a proxy number outside any open session");
        let Some(reply) = reply else { return };
        let now = self.now().millis();
        {
            let mut replied = lock(&self.proxy_runtime().replied);
            replied.retain(|_, at| now - *at < REPLY_INTERVAL_MS);
            let key = (tenant, contact.to_owned());
            if replied.contains_key(&key) || replied.len() >= MAX_REPLY_MEMORY {
                return;
            }
            replied.insert(key, now);
        }
        let Some(sender) = self.messaging().outbox.sender.get().cloned() else {
            return;
        };
        let Ok(bytes) = random_bytes() else { return };
        let outbound = OutboundMessage {
            tenant,
            conversation: ConversationId::from_random_bytes(bytes),
            seq: 0,
            channel: Channel::Sms,
            from: number.number.clone(),
            to: Redacted::new(address),
            text: Redacted::new(reply),
            choices: Vec::new(),
            language: number.language.clone().unwrap_or_else(|| "de".to_owned()),
            window_open: true,
        };
        match sender.send(&outbound).await {
            SendOutcome::Accepted { .. } => {
                tracing::info!(number = %number.number, "proxy reply sent to an unknown sender");
            }
            SendOutcome::Rejected { code } | SendOutcome::Unavailable { reason: code } => {
                tracing::warn!(number = %number.number, error = code, "proxy reply not sent");
            }
        }
    }

    /// Closes the sessions that ran out and drops the transient addresses conversations no
    /// longer need (the timer loop's sweep); how many sessions were closed.
    pub async fn sweep_proxy_sessions(&self) -> AppResult<usize> {
        let now = self.now();
        let expired = self
            .store()
            .expired_proxy_sessions(now, SWEEP_LIMIT)
            .await?;
        let mut closed = 0;
        for (tenant, id) in expired {
            if self.store().close_proxy_session(tenant, id, now).await? {
                closed += 1;
                tracing::info!(session = %id, "proxy session expired");
            }
        }
        self.store()
            .drop_transient_addresses(
                Timestamp::from_millis(now.millis() - FOLLOW_UP_GRACE_MS),
                now,
            )
            .await?;
        Ok(closed)
    }
}
