//! One engine step, written atomically: the conversation's state and status, its new
//! messages, timers and queue entry, guarded by the optimistic `last_seq` check.

use domain::{ConversationId, TenantId};

use super::Sql;
use super::conversations::{insert_conversation_query, message_field};
use super::keys::insert_data_key_query;
use crate::vault::kind;
use crate::{ConversationStatus, DeliveryRoute, Result, StepWrite, StoreError};

impl Sql<'_> {
    pub(super) async fn save_step(
        self,
        tenant: TenantId,
        conversation: ConversationId,
        step: &StepWrite,
    ) -> Result<()> {
        if let Some(c) = &step.create {
            if c.tenant_id != tenant {
                return Err(StoreError::WrongTenant {
                    what: "conversation",
                });
            }
            if c.id != conversation {
                return Err(StoreError::Conflict(
                    "conversation step (a different conversation)",
                ));
            }
        }
        // Everything personal is sealed under the conversation's data key before the
        // transaction: a new conversation's key is inserted with its first row.
        let object = conversation.to_string();
        let (key, new_key) = if step.create.is_some() {
            let new = self
                .new_data_key(tenant, kind::CONVERSATION, &object, step.at)
                .await?;
            (new.key.clone(), Some(new))
        } else {
            let key = self
                .object_key_or_create(tenant, kind::CONVERSATION, &object, step.at)
                .await?;
            (key, None)
        };
        let state = key.seal("state", &step.state)?;
        let created_state = match &step.create {
            Some(c) => Some(key.seal("state", &c.state)?),
            None => None,
        };
        let mut bodies = Vec::with_capacity(step.messages.len());
        for (i, m) in step.messages.iter().enumerate() {
            let seq = step.expected_last_seq + 1 + i64::try_from(i).unwrap_or(0);
            bodies.push((seq, key.seal(&message_field(seq), m.body.expose())?));
        }
        let context = match &step.enqueue {
            Some(entry) => Some(key.seal("context", &entry.context)?),
            None => None,
        };
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            if let (Some(c), Some(new_key), Some(created_state)) =
                (&step.create, &new_key, &created_state)
            {
                insert_data_key_query(new_key).execute(&mut *tx).await?;
                insert_conversation_query(c, created_state.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            let new_last =
                step.expected_last_seq + i64::try_from(step.messages.len()).unwrap_or(i64::MAX);
            let n = sqlx::query(
                "UPDATE conversations SET state = $3, status = $4, last_seq = $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND id = $2 AND last_seq = $7",
            )
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .bind(state.clone())
            .bind(step.status.as_str())
            .bind(new_last)
            .bind(step.at.millis())
            .bind(step.expected_last_seq)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(StoreError::Conflict("conversation step"));
            }
            for (i, (m, (seq, body))) in step.messages.iter().zip(&bodies).enumerate() {
                sqlx::query(
                    "INSERT INTO messages (tenant_id, conversation_id, seq, sender, body, choices, \
                     client_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(*seq)
                .bind(m.sender.as_str())
                .bind(body.clone())
                .bind(m.choices.clone())
                .bind(m.client_id.clone())
                .bind(m.at.millis())
                .execute(&mut *tx)
                .await?;
                let route = step.routes.iter().find(|(at, _)| *at == i).map(|(_, r)| r);
                if route.is_some() || (step.deliver && m.sender != domain::Sender::User) {
                    let (state, proxy, error) = match route {
                        Some(DeliveryRoute::Proxy(r)) => ("queued", Some(r), None),
                        Some(DeliveryRoute::Failed(why)) => ("failed", None, Some(why.clone())),
                        None => ("queued", None, None),
                    };
                    sqlx::query(
                        "INSERT INTO message_deliveries (tenant_id, conversation_id, seq, state, \
                         attempts, next_attempt_at, updated_at, proxy_session_id, recipient, \
                         error) VALUES ($1, $2, $3, $4, 0, $5, $5, $6, $7, $8)",
                    )
                    .bind(tenant.to_string())
                    .bind(conversation.to_string())
                    .bind(*seq)
                    .bind(state)
                    .bind(m.at.millis())
                    .bind(proxy.map(|r| r.session.to_string()))
                    .bind(proxy.map(|r| r.to.as_str()))
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for timer in &step.cancel_timers {
                sqlx::query(
                    "DELETE FROM conversation_timers WHERE tenant_id = $1 AND conversation_id = $2 \
                     AND timer_id = $3",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(*timer)
                .execute(&mut *tx)
                .await?;
            }
            for (timer, due) in &step.set_timers {
                sqlx::query(
                    "INSERT INTO conversation_timers (tenant_id, conversation_id, timer_id, \
                     due_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, conversation_id, \
                     timer_id) DO UPDATE SET due_at = excluded.due_at",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(*timer)
                .bind(due.millis())
                .execute(&mut *tx)
                .await?;
            }
            if step.dequeue {
                sqlx::query(
                    "DELETE FROM queue_entries WHERE tenant_id = $1 AND conversation_id = $2",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .execute(&mut *tx)
                .await?;
            }
            if let Some(entry) = &step.enqueue {
                sqlx::query(
                    "INSERT INTO queue_entries (tenant_id, conversation_id, queue, priority, \
                     context, enqueued_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, \
                     conversation_id) DO UPDATE SET queue = excluded.queue, priority = \
                     excluded.priority, context = excluded.context, enqueued_at = \
                     excluded.enqueued_at",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(entry.queue.clone())
                .bind(entry.priority)
                .bind(context.clone())
                .bind(entry.enqueued_at.millis())
                .execute(&mut *tx)
                .await?;
            }
            if step.status == ConversationStatus::Ended {
                // An ended conversation waits for nothing: its timers would only fire
                // into it, and no agent may be offered it.
                sqlx::query(
                    "DELETE FROM conversation_timers WHERE tenant_id = $1 AND conversation_id = $2",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM queue_entries WHERE tenant_id = $1 AND conversation_id = $2",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
