//! The outbox: every message the bot or an agent writes on a messaging conversation gets a
//! delivery row in the step that stores it (so nothing is lost between storing and sending),
//! and is handed to the [`MessageSender`] from there, a conversation's messages in order.
//! A provider that is not reachable is tried again with growing pauses; a refusal or too many
//! attempts mark the message failed. Providers' status reports move a message forward only
//! (`DeliveryState::may_become`).
//!
//! Right after a step the outbox is kicked; the timer loop calls [`App::deliver_due`] as well,
//! which resends what a restart or an outage left queued.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use domain::{Channel, ConversationId, DeliveryState, Redacted, Sender, TenantId, Timestamp};
use store::{Delivery, DeliveryUpdate};

use super::render;
use crate::conversation::{lock, stored_state};
use crate::ports::{MessageSender, OutboundMessage, SendOutcome};
use crate::{App, AppError, AppResult};

/// Attempts before a message that no provider took is given up.
const MAX_ATTEMPTS: i64 = 10;

/// The longest pause between attempts.
const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;

/// How many due deliveries one pass looks at.
const PASS_LIMIT: u32 = 200;

/// How long a new conversation's messages wait for its contact's address to be stored.
const ADDRESS_GRACE_MS: i64 = 60 * 1000;

/// How long WhatsApp lets a business answer freely after the contact's last message.
const WHATSAPP_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Counters of the outbox, for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct OutboxCounters {
    sent: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    reports: AtomicU64,
}

/// The outbox's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Messages a provider took.
    pub sent: u64,
    /// Attempts that will be repeated (provider unreachable, throttled).
    pub retried: u64,
    /// Messages given up (refused, or too many attempts).
    pub failed: u64,
    /// Status reports applied.
    pub reports: u64,
}

/// The sender, the conversations being sent right now, and the counters.
#[derive(Default)]
pub(crate) struct OutboxRuntime {
    pub(super) sender: std::sync::OnceLock<Arc<dyn MessageSender>>,
    /// Conversations being sent, each with whether another pass asked for it meanwhile.
    busy: std::sync::Mutex<HashMap<(TenantId, ConversationId), bool>>,
    counters: OutboxCounters,
    /// Reports that came before the provider's id was stored (a fast receipt beats the
    /// write): applied when it is, forgotten after a while.
    early: std::sync::Mutex<HashMap<(TenantId, String), (DeliveryReport, i64)>>,
}

/// How many early reports are kept, and for how long.
const MAX_EARLY_REPORTS: usize = 10_000;
const EARLY_REPORT_MS: i64 = 10 * 60 * 1000;

/// A provider's report on a message it took.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    /// SMS or WhatsApp.
    pub channel: Channel,
    /// The hotline's number the message went out from (finds the tenant).
    pub number: String,
    /// The provider's id for the message.
    pub provider_id: String,
    /// Where it stands now.
    pub state: DeliveryState,
    /// The provider's error code and words, when it failed.
    pub error: Option<String>,
}

/// The pause before attempt `attempts + 1`: 2 s, 4 s, 8 s, … at most five minutes.
fn backoff_ms(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 20)).unwrap_or(20);
    (1000_i64 << exp).min(MAX_BACKOFF_MS)
}

/// What the messages of one conversation's pass share, read once per pass.
struct Batch {
    conv: store::Conversation,
    from: String,
    address: Option<String>,
    window_open: bool,
    language: String,
}

/// Clears a conversation's busy mark however its sending ends.
struct Busy<'a> {
    app: &'a App,
    key: (TenantId, ConversationId),
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        lock(&self.app.messaging().outbox.busy).remove(&self.key);
    }
}

impl App {
    /// Installs the messaging shells' sender (once, at start-up). Without one, messages stay
    /// queued and are retried until one is configured or they are given up.
    pub fn set_message_sender(&self, sender: Arc<dyn MessageSender>) {
        let _ = self.messaging().outbox.sender.set(sender);
    }

    /// The outbox's counters.
    pub fn outbox_stats(&self) -> OutboxStats {
        let c = &self.messaging().outbox.counters;
        OutboxStats {
            sent: c.sent.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            reports: c.reports.load(Ordering::Relaxed),
        }
    }

    /// Sends a conversation's queued messages in the background (after a step queued some).
    pub(crate) fn kick_outbox(&self, tenant: TenantId, conversation: ConversationId) {
        if let Some(handle) = self.claim((tenant, conversation)) {
            tokio::spawn(handle);
        }
    }

    /// Sends every queued message that is due, each conversation's in order; returns how
    /// many conversations it started on (the timer loop's pass: retries, and what a restart
    /// left queued).
    pub async fn deliver_due(&self) -> AppResult<usize> {
        let due = self.store().due_deliveries(self.now(), PASS_LIMIT).await?;
        let keys: BTreeSet<(TenantId, ConversationId)> = due
            .iter()
            .map(|d| (d.tenant_id, d.conversation_id))
            .collect();
        let handles: Vec<_> = keys
            .into_iter()
            .filter_map(|key| self.claim(key))
            .map(tokio::spawn)
            .collect();
        let n = handles.len();
        for h in handles {
            let _ = h.await;
        }
        Ok(n)
    }

    /// The work of sending a conversation's messages, unless another task is sending them:
    /// then that task is asked to look again when it is done, so nothing queued meanwhile
    /// waits for the next pass.
    fn claim(
        &self,
        key: (TenantId, ConversationId),
    ) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        {
            let mut busy = lock(&self.messaging().outbox.busy);
            if let Some(again) = busy.get_mut(&key) {
                *again = true;
                return None;
            }
            busy.insert(key, false);
        }
        let app = self.clone();
        Some(async move {
            let _busy = Busy { app: &app, key };
            loop {
                if let Err(e) = app.deliver_conversation(key.0, key.1).await {
                    tracing::warn!(conversation = %key.1, error = %e, "messages not sent");
                }
                let mut busy = lock(&app.messaging().outbox.busy);
                match busy.get_mut(&key) {
                    Some(again) if *again => *again = false,
                    _ => break,
                }
            }
        })
    }

    /// Sends a conversation's due messages in order, stopping at the first that stays queued.
    async fn deliver_conversation(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<()> {
        let now = self.now();
        let mut queued: Vec<Delivery> = self
            .store()
            .deliveries(tenant, conversation)
            .await?
            .into_iter()
            .filter(|d| d.state == DeliveryState::Queued)
            .collect();
        queued.sort_by_key(|d| d.seq);
        // A message waiting for its retry holds back the ones after it.
        let Some(first) = queued.first().filter(|d| d.next_attempt_at <= now) else {
            return Ok(());
        };
        // What every message of the pass shares is read once.
        let Some(conv) = self.store().get_conversation(tenant, conversation).await? else {
            return Ok(());
        };
        let state = stored_state(&conv)?;
        let messages = self
            .store()
            .messages_after(tenant, conversation, first.seq - 1, PASS_LIMIT)
            .await?;
        let batch = Batch {
            from: state
                .vars
                .get("channel.number")
                .cloned()
                .unwrap_or_default(),
            address: self
                .store()
                .conversation_contact(tenant, conversation)
                .await?
                .and_then(|(_, a)| a),
            window_open: conv.channel != Channel::Whatsapp
                || self
                    .last_contact_message(tenant, conversation)
                    .await?
                    .is_some_and(|at| now.millis() - at.millis() < WHATSAPP_WINDOW_MS),
            language: state.language,
            conv,
        };
        let read_up_to = match messages.last() {
            Some(last) if messages.len() >= PASS_LIMIT as usize => last.seq,
            _ => i64::MAX,
        };
        for d in queued {
            if d.seq > read_up_to {
                // Beyond what this pass read: the next pass goes on from here.
                break;
            }
            let message = messages.iter().find(|m| m.seq == d.seq);
            if d.next_attempt_at > now || !self.deliver_one(&d, message, &batch).await? {
                // Later messages wait for this one: a conversation's order holds.
                break;
            }
        }
        Ok(())
    }

    /// Hands one message to the provider; false when it stays queued (try again later).
    async fn deliver_one(
        &self,
        d: &Delivery,
        message: Option<&store::Message>,
        batch: &Batch,
    ) -> AppResult<bool> {
        let (tenant, conversation) = (d.tenant_id, d.conversation_id);
        let attempts = d.attempts + 1;
        let now = self.now();
        let Some(message) = message else {
            // Erased meanwhile: nothing to send.
            return Ok(true);
        };
        let conv = &batch.conv;
        if let Some(route) = d.via_proxy {
            return self
                .deliver_by_proxy(d, message, route, attempts, &batch.language)
                .await;
        }
        let Some(address) = batch.address.clone() else {
            // The contact row is written right after the conversation's first step, which
            // kicks the outbox again; later, a missing address stays missing.
            if now.millis() - conv.created_at.millis() < ADDRESS_GRACE_MS {
                return Ok(false);
            }
            self.fail_delivery(
                d,
                attempts,
                now,
                "no address is kept for the contact".to_owned(),
            )
            .await?;
            return Ok(true);
        };
        let choices: Vec<flow::Choice> = message
            .choices
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        let outbound = OutboundMessage {
            tenant,
            conversation,
            seq: d.seq,
            channel: conv.channel,
            from: batch.from.clone(),
            to: Redacted::new(address),
            text: Redacted::new(render::outbound_text(
                conv.channel,
                message.body.expose(),
                &choices,
            )),
            choices,
            language: batch.language.clone(),
            window_open: batch.window_open,
        };
        self.send_and_settle(d, &outbound, attempts).await
    }

    /// Hands a message relayed through a proxy session to the provider: by SMS from the
    /// participant's proxy number to the participant's address.
    async fn deliver_by_proxy(
        &self,
        d: &Delivery,
        message: &store::Message,
        route: store::ProxyRoute,
        attempts: i64,
        language: &str,
    ) -> AppResult<bool> {
        let participant = self
            .store()
            .proxy_participants(d.tenant_id, route.session)
            .await?
            .into_iter()
            .find(|p| p.role == route.to);
        let Some((from, Some(address))) = participant.map(|p| (p.proxy_number, p.address)) else {
            self.fail_delivery(
                d,
                attempts,
                self.now(),
                "the proxy session has ended".to_owned(),
            )
            .await?;
            return Ok(true);
        };
        let outbound = OutboundMessage {
            tenant: d.tenant_id,
            conversation: d.conversation_id,
            seq: d.seq,
            channel: Channel::Sms,
            from,
            to: address,
            text: Redacted::new(render::outbound_text(
                Channel::Sms,
                message.body.expose(),
                &[],
            )),
            choices: Vec::new(),
            language: language.to_owned(),
            window_open: true,
        };
        self.send_and_settle(d, &outbound, attempts).await
    }

    /// Sends one message and records what the provider made of it; false when it stays
    /// queued.
    async fn send_and_settle(
        &self,
        d: &Delivery,
        outbound: &OutboundMessage,
        attempts: i64,
    ) -> AppResult<bool> {
        let (tenant, conversation) = (d.tenant_id, d.conversation_id);
        let outcome = match self.messaging().outbox.sender.get() {
            Some(sender) => sender.send(outbound).await,
            None => SendOutcome::Unavailable {
                reason: format!("no {} provider is configured", outbound.channel),
            },
        };
        let now = self.now();
        let counters = &self.messaging().outbox.counters;
        match outcome {
            SendOutcome::Accepted { provider_id } => {
                counters.sent.fetch_add(1, Ordering::Relaxed);
                self.store()
                    .update_delivery(
                        tenant,
                        conversation,
                        d.seq,
                        &DeliveryUpdate {
                            state: DeliveryState::Sent,
                            attempts,
                            provider_id: Some(provider_id.clone()),
                            error: None,
                            next_attempt_at: now,
                            at: now,
                        },
                    )
                    .await?;
                let early = lock(&self.messaging().outbox.early).remove(&(tenant, provider_id));
                if let Some((report, _)) = early {
                    self.message_status(report).await?;
                }
                Ok(true)
            }
            SendOutcome::Rejected { code } => {
                self.fail_delivery(d, attempts, now, code).await?;
                Ok(true)
            }
            SendOutcome::Unavailable { reason } => {
                self.retry_or_fail(d, attempts, now, &reason).await
            }
        }
    }

    async fn retry_or_fail(
        &self,
        d: &Delivery,
        attempts: i64,
        now: Timestamp,
        reason: &str,
    ) -> AppResult<bool> {
        if attempts >= MAX_ATTEMPTS {
            self.fail_delivery(
                d,
                attempts,
                now,
                format!("gave up after {attempts} attempts: {reason}"),
            )
            .await?;
            return Ok(true);
        }
        self.messaging()
            .outbox
            .counters
            .retried
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(conversation = %d.conversation_id, seq = d.seq, attempts, reason, "message not sent yet; trying again");
        self.store()
            .update_delivery(
                d.tenant_id,
                d.conversation_id,
                d.seq,
                &DeliveryUpdate {
                    state: DeliveryState::Queued,
                    attempts,
                    provider_id: None,
                    error: Some(reason.to_owned()),
                    next_attempt_at: Timestamp::from_millis(now.millis() + backoff_ms(attempts)),
                    at: now,
                },
            )
            .await?;
        Ok(false)
    }

    async fn fail_delivery(
        &self,
        d: &Delivery,
        attempts: i64,
        now: Timestamp,
        error: String,
    ) -> AppResult<()> {
        self.messaging()
            .outbox
            .counters
            .failed
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(conversation = %d.conversation_id, seq = d.seq, error, "message failed");
        self.store()
            .update_delivery(
                d.tenant_id,
                d.conversation_id,
                d.seq,
                &DeliveryUpdate {
                    state: DeliveryState::Failed,
                    attempts,
                    provider_id: None,
                    error: Some(error),
                    next_attempt_at: now,
                    at: now,
                },
            )
            .await?;
        Ok(())
    }

    /// When the contact last wrote in the conversation.
    async fn last_contact_message(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<Option<Timestamp>> {
        let mut last = None;
        let mut after = 0;
        loop {
            let page = self
                .store()
                .messages_after(tenant, conversation, after, 500)
                .await?;
            let Some(end) = page.last() else { break };
            after = end.seq;
            let full = page.len() == 500;
            if let Some(m) = page.iter().rev().find(|m| m.sender == Sender::User) {
                last = Some(m.at);
            }
            if !full {
                break;
            }
        }
        Ok(last)
    }

    /// Applies a provider's status report. `NotFound` for a number nobody has; `Ok(false)`
    /// when it changed nothing: a late report that would move the message backwards, or one
    /// for a provider id not stored yet (kept for ten minutes and applied when the id is).
    pub async fn message_status(&self, report: DeliveryReport) -> AppResult<bool> {
        let number = self
            .store()
            .resolve_phone_number(&report.number)
            .await?
            .ok_or(AppError::NotFound)?;
        let tenant = number.tenant_id;
        let Some(d) = self
            .store()
            .delivery_by_provider_id(tenant, &report.provider_id)
            .await?
        else {
            let now = self.now().millis();
            let mut early = lock(&self.messaging().outbox.early);
            early.retain(|_, (_, at)| now - *at < EARLY_REPORT_MS);
            if early.len() < MAX_EARLY_REPORTS {
                early.insert((tenant, report.provider_id.clone()), (report, now));
            }
            return Ok(false);
        };
        if !d.state.may_become(report.state) {
            return Ok(false);
        }
        let now = self.now();
        if report.state == DeliveryState::Failed {
            self.messaging()
                .outbox
                .counters
                .failed
                .fetch_add(1, Ordering::Relaxed);
        }
        self.messaging()
            .outbox
            .counters
            .reports
            .fetch_add(1, Ordering::Relaxed);
        self.store()
            .update_delivery(
                tenant,
                d.conversation_id,
                d.seq,
                &DeliveryUpdate {
                    state: report.state,
                    attempts: d.attempts,
                    provider_id: None,
                    error: report.error,
                    next_attempt_at: d.next_attempt_at,
                    at: now,
                },
            )
            .await?;
        Ok(true)
    }

    /// Where each message sent in a conversation stands (staff who may read transcripts).
    pub async fn conversation_deliveries(
        &self,
        who: &crate::Principal,
        conversation: ConversationId,
    ) -> AppResult<Vec<Delivery>> {
        who.require(security::rbac::Permission::TranscriptsRead)?;
        self.store()
            .get_conversation(who.tenant_id, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(self.store().deliveries(who.tenant_id, conversation).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_stop_at_five_minutes() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(9), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(100), MAX_BACKOFF_MS);
    }
}
