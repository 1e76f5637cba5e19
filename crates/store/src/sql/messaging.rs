//! Messaging: the conversation a contact's messages to a number continue, the provider
//! message ids already taken, and the delivery state of messages sent. Rows name contacts by
//! pseudonym only; the address to send to is the conversation's contact address (sealed).

use domain::{Channel, ConversationId, DeliveryState, TenantId, Timestamp};
use sqlx::FromRow;

use super::{Sql, limit_i64, parse};
use crate::{Delivery, ProxyRoute, Result};

#[derive(FromRow)]
struct DeliveryRow {
    tenant_id: String,
    conversation_id: String,
    seq: i64,
    state: String,
    attempts: i64,
    provider_id: Option<String>,
    error: Option<String>,
    next_attempt_at: i64,
    updated_at: i64,
    proxy_session_id: Option<String>,
    recipient: Option<String>,
}

impl DeliveryRow {
    fn into_delivery(self) -> Result<Delivery> {
        Ok(Delivery {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            conversation_id: parse(&self.conversation_id, "conversation id")?,
            seq: self.seq,
            state: parse(&self.state, "delivery state")?,
            attempts: self.attempts,
            provider_id: self.provider_id,
            error: self.error,
            via_proxy: match (self.proxy_session_id, self.recipient) {
                (Some(session), Some(to)) => Some(ProxyRoute {
                    session: parse(&session, "proxy session id")?,
                    to: parse(&to, "proxy role")?,
                }),
                _ => None,
            },
            next_attempt_at: Timestamp::from_millis(self.next_attempt_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

const DELIVERY_COLUMNS: &str = "tenant_id, conversation_id, seq, state, attempts, provider_id, \
                                error, next_attempt_at, updated_at, proxy_session_id, recipient";

/// A change to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    /// The new state.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i64,
    /// The provider's id, once known (kept when `None`).
    pub provider_id: Option<String>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// When to try again (queued only).
    pub next_attempt_at: Timestamp,
    /// When this changed.
    pub at: Timestamp,
}

impl Sql<'_> {
    pub(super) async fn message_thread(
        self,
        tenant: TenantId,
        channel: Channel,
        number: &str,
        contact: &str,
    ) -> Result<Option<ConversationId>> {
        let row: Option<(String,)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT conversation_id FROM message_threads WHERE tenant_id = $1 AND channel = $2 \
                 AND number = $3 AND contact = $4",
            )
            .bind(tenant.to_string())
            .bind(channel.as_str())
            .bind(number.to_owned())
            .bind(contact.to_owned())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(c,)| parse(&c, "conversation id")).transpose()
    }

    pub(super) async fn put_message_thread(
        self,
        tenant: TenantId,
        channel: Channel,
        number: &str,
        contact: &str,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<()> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO message_threads (tenant_id, channel, number, contact, \
                 conversation_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT \
                 (tenant_id, channel, number, contact) DO UPDATE SET conversation_id = \
                 excluded.conversation_id, updated_at = excluded.updated_at",
            )
            .bind(tenant.to_string())
            .bind(channel.as_str())
            .bind(number.to_owned())
            .bind(contact.to_owned())
            .bind(conversation.to_string())
            .bind(at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn inbound_message(
        self,
        tenant: TenantId,
        channel: Channel,
        provider_id: &str,
    ) -> Result<Option<ConversationId>> {
        let row: Option<(String,)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT conversation_id FROM inbound_messages WHERE tenant_id = $1 AND channel = \
                 $2 AND provider_id = $3",
            )
            .bind(tenant.to_string())
            .bind(channel.as_str())
            .bind(provider_id.to_owned())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(c,)| parse(&c, "conversation id")).transpose()
    }

    pub(super) async fn record_inbound_message(
        self,
        tenant: TenantId,
        channel: Channel,
        provider_id: &str,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "INSERT INTO inbound_messages (tenant_id, channel, provider_id, conversation_id, \
                 at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, channel, provider_id) \
                 DO NOTHING",
            )
            .bind(tenant.to_string())
            .bind(channel.as_str())
            .bind(provider_id.to_owned())
            .bind(conversation.to_string())
            .bind(at.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn due_deliveries(self, now: Timestamp, limit: u32) -> Result<Vec<Delivery>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM message_deliveries WHERE state = 'queued' AND \
                 next_attempt_at <= $1 ORDER BY next_attempt_at, tenant_id, conversation_id, seq \
                 LIMIT $2"
            )))
            .bind(now.millis())
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_delivery)
            .collect()
        })
    }

    pub(super) async fn update_delivery(
        self,
        tenant: TenantId,
        conversation: ConversationId,
        seq: i64,
        update: &DeliveryUpdate,
    ) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE message_deliveries SET state = $4, attempts = $5, provider_id = \
                 COALESCE($6, provider_id), error = $7, next_attempt_at = $8, updated_at = $9 \
                 WHERE tenant_id = $1 AND conversation_id = $2 AND seq = $3",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .bind(seq)
            .bind(update.state.as_str())
            .bind(update.attempts)
            .bind(update.provider_id.clone())
            .bind(update.error.clone())
            .bind(update.next_attempt_at.millis())
            .bind(update.at.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn delivery_by_provider_id(
        self,
        tenant: TenantId,
        provider_id: &str,
    ) -> Result<Option<Delivery>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM message_deliveries WHERE tenant_id = $1 AND \
                 provider_id = $2"
            )))
            .bind(tenant.to_string())
            .bind(provider_id.to_owned())
            .fetch_optional(pool)
            .await?
            .map(DeliveryRow::into_delivery)
            .transpose()
        })
    }

    pub(super) async fn deliveries(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<Delivery>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM message_deliveries WHERE tenant_id = $1 AND \
                 conversation_id = $2 ORDER BY seq"
            )))
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_delivery)
            .collect()
        })
    }
}
