//! What conversations wait for: stored timers (the scheduler's scan across tenants, and
//! taking a timer exactly once) and human queues.

use domain::{ConversationId, TenantId, Timestamp};
use sqlx::FromRow;

use super::{Sql, limit_i64, parse};
use crate::vault::kind;
use crate::{DueTimer, QueueEntry, Result, StoreError};

#[derive(FromRow)]
struct QueueRow {
    conversation_id: String,
    queue: String,
    priority: i64,
    context: String,
    enqueued_at: i64,
}

impl QueueRow {
    fn into_entry(self) -> Result<QueueEntry> {
        Ok(QueueEntry {
            conversation_id: parse::<ConversationId>(&self.conversation_id, "conversation id")?,
            queue: self.queue,
            priority: self.priority,
            context: self.context,
            enqueued_at: Timestamp::from_millis(self.enqueued_at),
        })
    }
}

impl Sql<'_> {
    pub(super) async fn due_timers(self, now: Timestamp, limit: u32) -> Result<Vec<DueTimer>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
                "SELECT tenant_id, conversation_id, timer_id, due_at FROM conversation_timers \
                 WHERE due_at <= $1 ORDER BY due_at LIMIT $2",
            )
            .bind(now.millis())
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(t, c, timer_id, due)| {
                    Ok(DueTimer {
                        tenant_id: parse(&t, "tenant id")?,
                        conversation_id: parse(&c, "conversation id")?,
                        timer_id,
                        due_at: Timestamp::from_millis(due),
                    })
                })
                .collect()
        })
    }

    pub(super) async fn take_timer(
        self,
        tenant: TenantId,
        conversation: ConversationId,
        timer_id: i64,
    ) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "DELETE FROM conversation_timers WHERE tenant_id = $1 AND conversation_id = $2 AND \
                 timer_id = $3",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .bind(timer_id)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn list_queue(self, tenant: TenantId, queue: &str) -> Result<Vec<QueueEntry>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, QueueRow>(
                "SELECT conversation_id, queue, priority, context, enqueued_at FROM queue_entries \
                 WHERE tenant_id = $1 AND queue = $2 ORDER BY priority DESC, enqueued_at, \
                 conversation_id",
            )
            .bind(tenant.to_string())
            .bind(queue.to_owned())
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for mut row in rows {
            let opened = self
                .open_field(
                    tenant,
                    kind::CONVERSATION,
                    &row.conversation_id,
                    "context",
                    &row.context,
                )
                .await;
            match opened {
                Ok(context) => {
                    row.context = context;
                    out.push(row.into_entry()?);
                }
                // A waiting caller whose context cannot be read is still listed elsewhere
                // (the routing record); this list skips it rather than hide the others.
                Err(e @ StoreError::Undecryptable { .. }) => {
                    tracing::warn!(conversation = %row.conversation_id, error = %e, "queue entry skipped");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
