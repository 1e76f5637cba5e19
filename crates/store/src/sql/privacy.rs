//! Privacy: each tenant's settings, the contact behind a conversation (pseudonym and sealed
//! address), keyed pseudonyms, and what retention and erasure delete.

use domain::{ConversationId, PrivacySettings, TenantId, Timestamp};

use super::{Sql, limit_i64, parse};
use crate::vault::{PSEUDONYMS, kind};
use crate::{Result, StoreError};

/// The sealed field of a conversation's caller address.
const ADDRESS_FIELD: &str = "address";

/// What erasing one conversation removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// Whether the conversation existed.
    pub conversation: bool,
    /// The ids of its recordings whose keys were deleted (their files are the caller's to
    /// remove; without the keys they cannot be read).
    pub recordings: Vec<String>,
}

impl Sql<'_> {
    pub(super) async fn privacy_settings(self, tenant: TenantId) -> Result<PrivacySettings> {
        let row: Option<(String,)> = on_backend!(self.db, pool, {
            sqlx::query_as("SELECT settings FROM privacy_settings WHERE tenant_id = $1")
                .bind(tenant.to_string())
                .fetch_optional(pool)
                .await?
        });
        match row {
            None => Ok(PrivacySettings::default()),
            Some((text,)) => {
                serde_json::from_str(&text).map_err(|e| StoreError::corrupt("privacy settings", e))
            }
        }
    }

    pub(super) async fn put_privacy_settings(
        self,
        tenant: TenantId,
        settings: &PrivacySettings,
        now: Timestamp,
    ) -> Result<()> {
        let text = serde_json::to_string(settings)
            .map_err(|e| StoreError::corrupt("privacy settings", e))?;
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO privacy_settings (tenant_id, settings, updated_at) VALUES ($1, $2, \
                 $3) ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, \
                 updated_at = excluded.updated_at",
            )
            .bind(tenant.to_string())
            .bind(text)
            .bind(now.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The tenant's stable pseudonym of `value` for `purpose` (its pseudonym key is made on
    /// first use).
    pub(super) async fn pseudonym(
        self,
        tenant: TenantId,
        purpose: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<String> {
        let key = self
            .object_key_or_create(tenant, kind::PSEUDONYM, PSEUDONYMS, now)
            .await?;
        Ok(security::crypto::pseudonym(&key.key, purpose, value))
    }

    /// Records who is behind a conversation: the pseudonym, and the address sealed under the
    /// conversation's key (identified mode only).
    pub(super) async fn record_contact(
        self,
        tenant: TenantId,
        conversation: ConversationId,
        contact: &str,
        address: Option<&str>,
        transient: bool,
        now: Timestamp,
    ) -> Result<()> {
        let sealed = match address {
            Some(a) => Some(
                self.existing_object_key(tenant, kind::CONVERSATION, &conversation.to_string())
                    .await?
                    .seal(ADDRESS_FIELD, a)?,
            ),
            None => None,
        };
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO conversation_contacts (tenant_id, conversation_id, contact, address, \
                 created_at, transient) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, \
                 conversation_id) DO UPDATE SET contact = excluded.contact, address = \
                 excluded.address, transient = excluded.transient",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .bind(contact.to_owned())
            .bind(sealed)
            .bind(now.millis())
            .bind(i64::from(transient))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The contact behind a conversation: its pseudonym and, if still kept, its address.
    pub(super) async fn conversation_contact(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Option<(String, Option<String>)>> {
        let row: Option<(String, Option<String>)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT contact, address FROM conversation_contacts WHERE tenant_id = $1 AND \
                 conversation_id = $2",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .fetch_optional(pool)
            .await?
        });
        let Some((contact, sealed)) = row else {
            return Ok(None);
        };
        let address = match sealed {
            Some(s) => Some(
                self.open_field(
                    tenant,
                    kind::CONVERSATION,
                    &conversation.to_string(),
                    ADDRESS_FIELD,
                    &s,
                )
                .await?,
            ),
            None => None,
        };
        Ok(Some((contact, address)))
    }

    /// Whether the conversation's address is kept only while the conversation needs it.
    pub(super) async fn contact_address_transient(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<bool> {
        let row: Option<(i64,)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT transient FROM conversation_contacts WHERE tenant_id = $1 AND \
                 conversation_id = $2",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some_and(|(t,)| t != 0))
    }

    /// Drops the transient addresses of conversations that ended by `ended_before` with
    /// nothing left to send and no open proxy session; how many.
    pub(super) async fn drop_transient_addresses(
        self,
        ended_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            Ok(sqlx::query(
                "UPDATE conversation_contacts SET address = NULL WHERE transient = 1 AND address \
                 IS NOT NULL AND EXISTS (SELECT 1 FROM conversations c WHERE c.tenant_id = \
                 conversation_contacts.tenant_id AND c.id = conversation_contacts.conversation_id \
                 AND c.status = 'ended' AND c.updated_at <= $2) AND NOT EXISTS (SELECT 1 FROM message_deliveries d WHERE \
                 d.tenant_id = conversation_contacts.tenant_id AND d.conversation_id = \
                 conversation_contacts.conversation_id AND d.state = 'queued') AND NOT EXISTS \
                 (SELECT 1 FROM proxy_sessions s WHERE s.tenant_id = \
                 conversation_contacts.tenant_id AND s.conversation_id = \
                 conversation_contacts.conversation_id AND s.status = 'open' AND s.expires_at > \
                 $1)",
            )
            .bind(now.millis())
            .bind(ended_before.millis())
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// The conversations of one contact, oldest first.
    pub(super) async fn conversations_of_contact(
        self,
        tenant: TenantId,
        contact: &str,
    ) -> Result<Vec<ConversationId>> {
        let rows: Vec<(String,)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT conversation_id FROM conversation_contacts WHERE tenant_id = $1 AND \
                 contact = $2 ORDER BY created_at, conversation_id",
            )
            .bind(tenant.to_string())
            .bind(contact.to_owned())
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(id,)| parse::<ConversationId>(id, "conversation id"))
            .collect()
    }

    /// Deletes a conversation and everything of it, in one transaction: messages, timers,
    /// queue entry, tasks, notes, contact, its data key and its recordings' keys.
    pub(super) async fn erase_conversation(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Erased> {
        let (t, c) = (tenant.to_string(), conversation.to_string());
        // Recording ids begin with their conversation's id (`CONVERSATION-MILLIS`); a UUID
        // holds no LIKE wildcard.
        let recordings_like = format!("{c}-%");
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for table in [
                "message_deliveries",
                "proxy_participants",
                "proxy_sessions",
                "message_threads",
                "inbound_messages",
                "messages",
                "conversation_timers",
                "queue_entries",
                "cc_tasks",
                "cc_notes",
                "conversation_contacts",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE tenant_id = $1 AND conversation_id = $2"
                )))
                .bind(t.clone())
                .bind(c.clone())
                .execute(&mut *tx)
                .await?;
            }
            let existed = sqlx::query("DELETE FROM conversations WHERE tenant_id = $1 AND id = $2")
                .bind(t.clone())
                .bind(c.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            sqlx::query(
                "DELETE FROM data_keys WHERE tenant_id = $1 AND kind = $2 AND object_id = $3",
            )
            .bind(t.clone())
            .bind(kind::CONVERSATION)
            .bind(c.clone())
            .execute(&mut *tx)
            .await?;
            let recordings: Vec<(String,)> = sqlx::query_as(
                "DELETE FROM data_keys WHERE tenant_id = $1 AND kind = $2 AND object_id LIKE $3 \
                 RETURNING object_id",
            )
            .bind(t.clone())
            .bind(kind::RECORDING)
            .bind(recordings_like)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Erased {
                conversation: existed,
                recordings: recordings.into_iter().map(|(id,)| id).collect(),
            })
        })
    }

    /// Ended conversations last changed before `before`, oldest first, at most `limit`.
    pub(super) async fn ended_conversations_before(
        self,
        tenant: TenantId,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<ConversationId>> {
        let rows: Vec<(String,)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT id FROM conversations WHERE tenant_id = $1 AND status = 'ended' AND \
                 updated_at < $2 ORDER BY updated_at, id LIMIT $3",
            )
            .bind(tenant.to_string())
            .bind(before.millis())
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(id,)| parse::<ConversationId>(id, "conversation id"))
            .collect()
    }

    /// Forgets the addresses of calls made before `before` (their pseudonyms stay); how many.
    pub(super) async fn expire_addresses(self, tenant: TenantId, before: Timestamp) -> Result<u64> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            Ok(sqlx::query(
                "UPDATE conversation_contacts SET address = NULL WHERE tenant_id = $1 AND \
                 created_at < $2 AND address IS NOT NULL",
            )
            .bind(tenant.to_string())
            .bind(before.millis())
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// Deletes the data keys of `kind` made before `before` (at most `limit`), returning their
    /// objects' ids: whatever was sealed under them is unreadable from now on.
    pub(super) async fn expire_keys(
        self,
        tenant: TenantId,
        kind: &str,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let ids: Vec<(String,)> = sqlx::query_as(
                "SELECT object_id FROM data_keys WHERE tenant_id = $1 AND kind = $2 AND \
                 created_at < $3 ORDER BY created_at, object_id LIMIT $4",
            )
            .bind(tenant.to_string())
            .bind(kind.to_owned())
            .bind(before.millis())
            .bind(limit_i64(limit))
            .fetch_all(&mut *tx)
            .await?;
            for (id,) in &ids {
                sqlx::query(
                    "DELETE FROM data_keys WHERE tenant_id = $1 AND kind = $2 AND object_id = $3",
                )
                .bind(tenant.to_string())
                .bind(kind.to_owned())
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(ids.into_iter().map(|(id,)| id).collect())
        })
    }

    /// Deletes the audit-month keys of months before `month` (`YYYY-MM`): the source addresses
    /// of those months' entries become unreadable. Returns the months.
    pub(super) async fn expire_audit_months(
        self,
        tenant: TenantId,
        month: &str,
    ) -> Result<Vec<String>> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let rows: Vec<(String,)> = sqlx::query_as(
                "DELETE FROM data_keys WHERE tenant_id = $1 AND kind = $2 AND object_id < $3 \
                 RETURNING object_id",
            )
            .bind(tenant.to_string())
            .bind(kind::AUDIT)
            .bind(month.to_owned())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(m,)| m).collect())
        })
    }
}
