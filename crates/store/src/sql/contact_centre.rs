//! The contact centre's rows: queue configurations, agents' profiles and presence, tasks
//! (each with the app's JSON record), the presence log, internal notes, canned answers and
//! per-tenant settings. One operation's changes (`CcWrite`) go in one transaction.

use domain::{ConversationId, Redacted, TenantId, Timestamp, UserId};
use sqlx::FromRow;

use std::collections::HashMap;

use super::{Sql, parse};
use crate::vault::{ObjectKey, kind};
use crate::{
    CannedResponse, CcAgent, CcNote, CcPresenceChange, CcQueue, CcTask, CcWrite, Result, StoreError,
};

#[derive(FromRow)]
struct TaskRow {
    id: String,
    conversation_id: String,
    queue: String,
    state: String,
    agent_id: Option<String>,
    live: i64,
    record: String,
    created_at: i64,
    updated_at: i64,
}

impl TaskRow {
    fn into_task(self) -> Result<CcTask> {
        Ok(CcTask {
            id: self.id,
            conversation_id: parse(&self.conversation_id, "conversation id")?,
            queue: self.queue,
            state: self.state,
            agent_id: self
                .agent_id
                .as_deref()
                .map(|a| parse::<UserId>(a, "agent id"))
                .transpose()?,
            live: self.live != 0,
            record: Redacted::new(self.record),
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

const TASK_COLUMNS: &str =
    "id, conversation_id, queue, state, agent_id, live, record, created_at, updated_at";

#[derive(FromRow)]
struct AgentRow {
    user_id: String,
    profile: String,
    presence: String,
    presence_since: i64,
    updated_at: i64,
}

#[derive(FromRow)]
struct NoteRow {
    id: String,
    conversation_id: String,
    author_id: String,
    body: String,
    at: i64,
}

/// The sealed field of a task's record.
pub(super) fn task_field(task: &str) -> String {
    format!("task:{task}")
}

/// The sealed field of a note.
pub(super) fn note_field(note: &str) -> String {
    format!("note:{note}")
}

/// What a list does with a row that does not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unreadable {
    Fail,
    Skip,
}

/// Conversations' data keys looked up during one call, so a list of many tasks of the same
/// conversation reads its key once.
#[derive(Default)]
struct KeyCache(HashMap<ConversationId, ObjectKey>);

impl KeyCache {
    async fn get(
        &mut self,
        sql: Sql<'_>,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<ObjectKey> {
        if let Some(key) = self.0.get(&conversation) {
            return Ok(key.clone());
        }
        let key = sql
            .existing_object_key(tenant, kind::CONVERSATION, &conversation.to_string())
            .await?;
        self.0.insert(conversation, key.clone());
        Ok(key)
    }

    async fn get_or_create(
        &mut self,
        sql: Sql<'_>,
        tenant: TenantId,
        conversation: ConversationId,
        now: Timestamp,
    ) -> Result<ObjectKey> {
        if let Some(key) = self.0.get(&conversation) {
            return Ok(key.clone());
        }
        let key = sql
            .object_key_or_create(tenant, kind::CONVERSATION, &conversation.to_string(), now)
            .await?;
        self.0.insert(conversation, key.clone());
        Ok(key)
    }
}

/// Refuses a write whose rows would not fit its tenant's keys (empty ids).
fn check_write(write: &CcWrite) -> Result<()> {
    if write
        .tasks
        .iter()
        .any(|t| t.id.is_empty() || t.queue.is_empty())
    {
        return Err(StoreError::Conflict(
            "contact-centre task (empty id or queue)",
        ));
    }
    Ok(())
}

impl Sql<'_> {
    pub(super) async fn put_cc_queue(self, tenant: TenantId, queue: &CcQueue) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO cc_queues (tenant_id, name, config, updated_at) VALUES ($1, $2, $3, \
                 $4) ON CONFLICT (tenant_id, name) DO UPDATE SET config = excluded.config, \
                 updated_at = excluded.updated_at",
            )
            .bind(tenant.to_string())
            .bind(queue.name.clone())
            .bind(queue.config.clone())
            .bind(queue.updated_at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn delete_cc_queue(self, tenant: TenantId, name: &str) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query("DELETE FROM cc_queues WHERE tenant_id = $1 AND name = $2")
                .bind(tenant.to_string())
                .bind(name.to_owned())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn list_cc_queues(self, tenant: TenantId) -> Result<Vec<CcQueue>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT name, config, updated_at FROM cc_queues WHERE tenant_id = $1 ORDER BY name",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(name, config, at)| CcQueue {
                    name,
                    config,
                    updated_at: Timestamp::from_millis(at),
                })
                .collect())
        })
    }

    pub(super) async fn list_cc_agents(self, tenant: TenantId) -> Result<Vec<CcAgent>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, AgentRow>(
                "SELECT user_id, profile, presence, presence_since, updated_at FROM cc_agents \
                 WHERE tenant_id = $1 ORDER BY user_id",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| {
                Ok(CcAgent {
                    user_id: parse(&r.user_id, "agent id")?,
                    profile: r.profile,
                    presence: r.presence,
                    presence_since: Timestamp::from_millis(r.presence_since),
                    updated_at: Timestamp::from_millis(r.updated_at),
                })
            })
            .collect()
        })
    }

    pub(super) async fn save_cc(self, tenant: TenantId, write: &CcWrite) -> Result<()> {
        check_write(write)?;
        if write.queues.is_empty()
            && write.tasks.is_empty()
            && write.agents.is_empty()
            && write.presence.is_empty()
        {
            return Ok(());
        }
        // Task records hold the hand-over context: sealed under their conversation's key.
        let mut keys = KeyCache::default();
        let mut records = Vec::with_capacity(write.tasks.len());
        for t in &write.tasks {
            let key = keys
                .get_or_create(self, tenant, t.conversation_id, t.updated_at)
                .await?;
            records.push(key.seal(&task_field(&t.id), t.record.expose())?);
        }
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for q in &write.queues {
                sqlx::query(
                    "INSERT INTO cc_queues (tenant_id, name, config, updated_at) VALUES ($1, $2, \
                     $3, $4) ON CONFLICT (tenant_id, name) DO UPDATE SET config = \
                     excluded.config, updated_at = excluded.updated_at",
                )
                .bind(tenant.to_string())
                .bind(q.name.clone())
                .bind(q.config.clone())
                .bind(q.updated_at.millis())
                .execute(&mut *tx)
                .await?;
            }
            for (t, record) in write.tasks.iter().zip(&records) {
                sqlx::query(
                    "INSERT INTO cc_tasks (tenant_id, id, conversation_id, queue, state, agent_id, \
                     live, record, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10) ON CONFLICT (tenant_id, id) DO UPDATE SET queue = \
                     excluded.queue, state = excluded.state, agent_id = excluded.agent_id, live = \
                     excluded.live, record = excluded.record, updated_at = excluded.updated_at",
                )
                .bind(tenant.to_string())
                .bind(t.id.clone())
                .bind(t.conversation_id.to_string())
                .bind(t.queue.clone())
                .bind(t.state.clone())
                .bind(t.agent_id.map(|a| a.to_string()))
                .bind(i64::from(t.live))
                .bind(record.clone())
                .bind(t.created_at.millis())
                .bind(t.updated_at.millis())
                .execute(&mut *tx)
                .await?;
            }
            for a in &write.agents {
                sqlx::query(
                    "INSERT INTO cc_agents (tenant_id, user_id, profile, presence, presence_since, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id) \
                     DO UPDATE SET profile = excluded.profile, presence = excluded.presence, \
                     presence_since = excluded.presence_since, updated_at = excluded.updated_at",
                )
                .bind(tenant.to_string())
                .bind(a.user_id.to_string())
                .bind(a.profile.clone())
                .bind(a.presence.clone())
                .bind(a.presence_since.millis())
                .bind(a.updated_at.millis())
                .execute(&mut *tx)
                .await?;
            }
            for p in &write.presence {
                sqlx::query(
                    "INSERT INTO cc_presence_log (tenant_id, user_id, presence, at) VALUES ($1, \
                     $2, $3, $4)",
                )
                .bind(tenant.to_string())
                .bind(p.user_id.to_string())
                .bind(p.presence.clone())
                .bind(p.at.millis())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub(super) async fn list_live_cc_tasks(self, tenant: TenantId) -> Result<Vec<CcTask>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, TaskRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {TASK_COLUMNS} FROM cc_tasks WHERE tenant_id = $1 AND live = 1 ORDER BY \
                 created_at, id"
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
        });
        self.open_tasks(tenant, rows, Unreadable::Skip).await
    }

    pub(super) async fn list_cc_tasks_between(
        self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CcTask>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, TaskRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {TASK_COLUMNS} FROM cc_tasks WHERE tenant_id = $1 AND created_at >= $2 \
                 AND created_at < $3 ORDER BY created_at, id"
            )))
            .bind(tenant.to_string())
            .bind(from.millis())
            .bind(to.millis())
            .fetch_all(pool)
            .await?
        });
        self.open_tasks(tenant, rows, Unreadable::Skip).await
    }

    pub(super) async fn cc_tasks_of_conversation(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<CcTask>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, TaskRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {TASK_COLUMNS} FROM cc_tasks WHERE tenant_id = $1 AND conversation_id = \
                 $2 ORDER BY created_at, id"
            )))
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .fetch_all(pool)
            .await?
        });
        self.open_tasks(tenant, rows, Unreadable::Fail).await
    }

    /// Opens the sealed records of task rows: a record that does not decrypt fails the call
    /// (`Fail`, a read about one conversation) or is left out with a warning (`Skip`, a list
    /// across conversations, which one unreadable task must not take down).
    async fn open_tasks(
        self,
        tenant: TenantId,
        rows: Vec<TaskRow>,
        unreadable: Unreadable,
    ) -> Result<Vec<CcTask>> {
        let mut keys = KeyCache::default();
        let mut out = Vec::with_capacity(rows.len());
        for mut row in rows {
            let conversation: ConversationId = parse(&row.conversation_id, "conversation id")?;
            let opened = match keys.get(self, tenant, conversation).await {
                Ok(key) => key.open(&task_field(&row.id), &row.record),
                Err(e) => Err(e),
            };
            match opened {
                Ok(record) => {
                    row.record = record;
                    out.push(row.into_task()?);
                }
                Err(e @ StoreError::Undecryptable { .. }) if unreadable == Unreadable::Skip => {
                    tracing::warn!(task = %row.id, error = %e, "task skipped: its record cannot be decrypted");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub(super) async fn list_cc_presence(
        self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CcPresenceChange>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT user_id, presence, at FROM cc_presence_log WHERE tenant_id = $1 AND at >= \
                 $2 AND at < $3 ORDER BY at",
            )
            .bind(tenant.to_string())
            .bind(from.millis())
            .bind(to.millis())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(user, presence, at)| {
                    Ok(CcPresenceChange {
                        user_id: parse(&user, "agent id")?,
                        presence,
                        at: Timestamp::from_millis(at),
                    })
                })
                .collect()
        })
    }

    pub(super) async fn insert_cc_note(self, tenant: TenantId, note: &CcNote) -> Result<()> {
        let body = self
            .object_key_or_create(
                tenant,
                kind::CONVERSATION,
                &note.conversation_id.to_string(),
                note.at,
            )
            .await?
            .seal(&note_field(&note.id), note.body.expose())?;
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO cc_notes (tenant_id, id, conversation_id, author_id, body, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant.to_string())
            .bind(note.id.clone())
            .bind(note.conversation_id.to_string())
            .bind(note.author_id.to_string())
            .bind(body)
            .bind(note.at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn list_cc_notes(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<CcNote>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, NoteRow>(
                "SELECT id, conversation_id, author_id, body, at FROM cc_notes WHERE tenant_id = \
                 $1 AND conversation_id = $2 ORDER BY at, id",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
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
            .map(|r| {
                Ok(CcNote {
                    body: Redacted::new(key.open(&note_field(&r.id), &r.body)?),
                    id: r.id,
                    conversation_id: parse(&r.conversation_id, "conversation id")?,
                    author_id: parse(&r.author_id, "author id")?,
                    at: Timestamp::from_millis(r.at),
                })
            })
            .collect()
    }

    pub(super) async fn put_canned(self, tenant: TenantId, c: &CannedResponse) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO cc_canned (tenant_id, id, title, body, language, updated_at) VALUES \
                 ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO UPDATE SET title = \
                 excluded.title, body = excluded.body, language = excluded.language, updated_at = \
                 excluded.updated_at",
            )
            .bind(tenant.to_string())
            .bind(c.id.clone())
            .bind(c.title.clone())
            .bind(c.body.clone())
            .bind(c.language.clone())
            .bind(c.updated_at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn delete_canned(self, tenant: TenantId, id: &str) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query("DELETE FROM cc_canned WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(id.to_owned())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn list_canned(self, tenant: TenantId) -> Result<Vec<CannedResponse>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
                "SELECT id, title, body, language, updated_at FROM cc_canned WHERE tenant_id = $1 \
                 ORDER BY title, id",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, title, body, language, at)| CannedResponse {
                    id,
                    title,
                    body,
                    language,
                    updated_at: Timestamp::from_millis(at),
                })
                .collect())
        })
    }

    pub(super) async fn get_cc_settings(self, tenant: TenantId) -> Result<Option<String>> {
        on_backend!(self.db, pool, {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT settings FROM cc_settings WHERE tenant_id = $1")
                    .bind(tenant.to_string())
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|(s,)| s))
        })
    }

    pub(super) async fn put_cc_settings(
        self,
        tenant: TenantId,
        settings: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO cc_settings (tenant_id, settings, updated_at) VALUES ($1, $2, $3) ON \
                 CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = \
                 excluded.updated_at",
            )
            .bind(tenant.to_string())
            .bind(settings.to_owned())
            .bind(now.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
