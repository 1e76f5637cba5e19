//! Conversations and their messages: creating, finding (by id or resume token) and reading
//! them. The writes of an engine step are in `steps`.

use domain::{ConversationId, FlowId, TenantId, Timestamp};
use sqlx::FromRow;

use super::keys::insert_data_key_query;
use super::{Sql, limit_i64, parse};
use crate::vault::kind;
use crate::{Conversation, ConversationFilter, Message, Result, StoreError};

/// The sealed field of a message: its place in the conversation.
pub(super) fn message_field(seq: i64) -> String {
    format!("message:{seq}")
}

#[derive(FromRow)]
struct ConversationRow {
    tenant_id: String,
    id: String,
    channel: String,
    widget_id: Option<String>,
    flow_id: String,
    flow_version: i64,
    session_hash: String,
    state: String,
    status: String,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
}

impl ConversationRow {
    fn into_conversation(self) -> Result<Conversation> {
        Ok(Conversation {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse::<ConversationId>(&self.id, "conversation id")?,
            channel: parse(&self.channel, "channel")?,
            widget_id: self.widget_id,
            flow_id: parse::<FlowId>(&self.flow_id, "flow id")?,
            flow_version: self.flow_version,
            session_hash: self.session_hash,
            state: self.state,
            status: parse(&self.status, "status")?,
            last_seq: self.last_seq,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

#[derive(FromRow)]
struct MessageRow {
    seq: i64,
    sender: String,
    body: String,
    choices: Option<String>,
    client_id: Option<String>,
    at: i64,
}

impl MessageRow {
    fn into_message(self) -> Result<Message> {
        Ok(Message {
            seq: self.seq,
            sender: parse(&self.sender, "sender")?,
            body: domain::Redacted::new(self.body),
            choices: self.choices,
            client_id: self.client_id,
            at: Timestamp::from_millis(self.at),
        })
    }
}

/// The INSERT of a conversation row, bound, for either backend (a plain insert, and the first
/// step of a new conversation, use the same statement).
pub(super) fn insert_conversation_query<'q, DB>(
    c: &'q Conversation,
    sealed_state: String,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO conversations (tenant_id, id, channel, widget_id, flow_id, flow_version, \
         session_hash, state, status, last_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(c.tenant_id.to_string())
    .bind(c.id.to_string())
    .bind(c.channel.as_str())
    .bind(c.widget_id.clone())
    .bind(c.flow_id.to_string())
    .bind(c.flow_version)
    .bind(c.session_hash.clone())
    .bind(sealed_state)
    .bind(c.status.as_str())
    .bind(c.last_seq)
    .bind(c.created_at.millis())
    .bind(c.updated_at.millis())
}

const CONVERSATION_COLUMNS: &str = "tenant_id, id, channel, widget_id, flow_id, flow_version, \
    session_hash, state, status, last_seq, created_at, updated_at";

impl Sql<'_> {
    pub(super) async fn insert_conversation(self, c: &Conversation) -> Result<()> {
        let new_key = self
            .new_data_key(
                c.tenant_id,
                kind::CONVERSATION,
                &c.id.to_string(),
                c.created_at,
            )
            .await?;
        let state = new_key.key.seal("state", &c.state)?;
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            insert_data_key_query(&new_key).execute(&mut *tx).await?;
            insert_conversation_query(c, state)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Opens a conversation row's sealed state.
    async fn open_conversation(self, row: ConversationRow) -> Result<Conversation> {
        let mut c = row.into_conversation()?;
        let key = self
            .existing_object_key(c.tenant_id, kind::CONVERSATION, &c.id.to_string())
            .await?;
        c.state = key.open("state", &c.state)?;
        Ok(c)
    }

    pub(super) async fn get_conversation(
        self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<Conversation>> {
        let row = on_backend!(self.db, pool, {
            sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2"
            )))
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some(row) => Ok(Some(self.open_conversation(row).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn search_conversations(
        self,
        tenant: TenantId,
        filter: &ConversationFilter,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        let (after_at, after_id) = filter.after.map_or((None, None), |(at, id)| {
            (Some(at.millis()), Some(id.to_string()))
        });
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
                 AND ($2 IS NULL OR created_at >= $2) AND ($3 IS NULL OR created_at < $3) \
                 AND ($4 IS NULL OR channel = $4) AND ($5 IS NULL OR flow_id = $5) \
                 AND ($6 IS NULL OR created_at < $6 OR (created_at = $6 AND id > $7)) \
                 ORDER BY created_at DESC, id LIMIT $8"
            )))
            .bind(tenant.to_string())
            .bind(filter.from.map(Timestamp::millis))
            .bind(filter.to.map(Timestamp::millis))
            .bind(filter.channel.map(|c| c.as_str().to_owned()))
            .bind(filter.flow_id.map(|f| f.to_string()))
            .bind(after_at)
            .bind(after_id)
            .bind(limit.clamp(0, 500))
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id.clone();
            match self.open_conversation(row).await {
                Ok(c) => out.push(c),
                Err(e @ StoreError::Undecryptable { .. }) => {
                    tracing::warn!(conversation = %id, error = %e, "conversation skipped in a list");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub(super) async fn recent_conversations(
        self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 ORDER BY \
                 created_at DESC, id LIMIT $2"
            )))
            .bind(tenant.to_string())
            .bind(limit.clamp(0, 1000))
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id.clone();
            match self.open_conversation(row).await {
                Ok(c) => out.push(c),
                // One conversation that cannot be read (erased key, altered row) does not
                // hide the others.
                Err(e @ StoreError::Undecryptable { .. }) => {
                    tracing::warn!(conversation = %id, error = %e, "conversation skipped in a list");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub(super) async fn find_conversation_by_session(
        self,
        tenant: TenantId,
        session_hash: &str,
    ) -> Result<Option<Conversation>> {
        let row = on_backend!(self.db, pool, {
            sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND \
                 session_hash = $2"
            )))
            .bind(tenant.to_string())
            .bind(session_hash.to_owned())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some(row) => Ok(Some(self.open_conversation(row).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn messages_after(
        self,
        tenant: TenantId,
        conversation: ConversationId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, MessageRow>(
                "SELECT seq, sender, body, choices, client_id, at FROM messages WHERE tenant_id = \
                 $1 AND conversation_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .bind(after)
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let key = self
            .existing_object_key(tenant, kind::CONVERSATION, &conversation.to_string())
            .await?;
        rows.into_iter()
            .map(|mut row| {
                row.body = key.open(&message_field(row.seq), &row.body)?;
                row.into_message()
            })
            .collect()
    }

    pub(super) async fn find_client_message(
        self,
        tenant: TenantId,
        conversation: ConversationId,
        client_id: &str,
    ) -> Result<Option<i64>> {
        on_backend!(self.db, pool, {
            let row: Option<(i64,)> = sqlx::query_as(
        "SELECT seq FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND client_id = $3",
    )
    .bind(tenant.to_string())
    .bind(conversation.to_string())
    .bind(client_id.to_owned())
    .fetch_optional(pool)
    .await?;
            Ok(row.map(|(seq,)| seq))
        })
    }
}
