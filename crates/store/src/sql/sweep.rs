//! Sealing what an older version stored in clear: run once at start-up after the store is
//! unlocked. Each personal column is read in batches of values that are not sealed yet, and
//! each value is sealed under its object's data key, guarded so that a value a writer changed
//! meanwhile is left to that writer (which sealed it).

use std::collections::HashMap;

use domain::{TenantId, Timestamp};

use super::contact_centre::{note_field, task_field};
use super::conversations::message_field;
use super::{Sql, parse};
use crate::Result;
use crate::vault::{ObjectKey, kind};

/// Values sealed per transaction.
const BATCH: i64 = 200;

/// One personal column: how to find its values still in clear (as `tenant_id, object,
/// row_key, value, at`) and how to replace one (`$1` tenant, `$2` object, `$3` row key, `$4`
/// sealed value, `$5` the clear value read).
struct Column {
    kind: &'static str,
    select: &'static str,
    update: &'static str,
    field: fn(&str) -> String,
}

const COLUMNS: &[Column] = &[
    Column {
        kind: kind::CONVERSATION,
        select: "SELECT tenant_id, id, id, state, created_at FROM conversations WHERE state NOT \
                 LIKE 'enc1.%' LIMIT $1",
        update: "UPDATE conversations SET state = $4 WHERE tenant_id = $1 AND id = $2 AND id = \
                 $3 AND state = $5",
        field: |_| "state".to_owned(),
    },
    Column {
        kind: kind::CONVERSATION,
        select: "SELECT tenant_id, conversation_id, CAST(seq AS TEXT), body, at FROM messages \
                 WHERE body NOT LIKE 'enc1.%' LIMIT $1",
        update: "UPDATE messages SET body = $4 WHERE tenant_id = $1 AND conversation_id = $2 AND \
                 seq = CAST($3 AS BIGINT) AND body = $5",
        field: |seq| message_field(seq.parse().unwrap_or(-1)),
    },
    Column {
        kind: kind::CONVERSATION,
        select: "SELECT tenant_id, conversation_id, conversation_id, context, enqueued_at FROM \
                 queue_entries WHERE context NOT LIKE 'enc1.%' LIMIT $1",
        update: "UPDATE queue_entries SET context = $4 WHERE tenant_id = $1 AND conversation_id = \
                 $2 AND conversation_id = $3 AND context = $5",
        field: |_| "context".to_owned(),
    },
    Column {
        kind: kind::CONVERSATION,
        select: "SELECT tenant_id, conversation_id, id, record, updated_at FROM cc_tasks WHERE \
                 record NOT LIKE 'enc1.%' LIMIT $1",
        update: "UPDATE cc_tasks SET record = $4 WHERE tenant_id = $1 AND conversation_id = $2 \
                 AND id = $3 AND record = $5",
        field: task_field,
    },
    Column {
        kind: kind::CONVERSATION,
        select: "SELECT tenant_id, conversation_id, id, body, at FROM cc_notes WHERE body NOT \
                 LIKE 'enc1.%' LIMIT $1",
        update: "UPDATE cc_notes SET body = $4 WHERE tenant_id = $1 AND conversation_id = $2 AND \
                 id = $3 AND body = $5",
        field: note_field,
    },
    Column {
        kind: kind::USER,
        select: "SELECT tenant_id, id, id, totp_secret, updated_at FROM users WHERE totp_secret \
                 IS NOT NULL AND totp_secret NOT LIKE 'enc1.%' LIMIT $1",
        update: "UPDATE users SET totp_secret = $4 WHERE tenant_id = $1 AND id = $2 AND id = $3 \
                 AND totp_secret = $5",
        field: |_| "totp_secret".to_owned(),
    },
];

impl Sql<'_> {
    /// Seals every value still in clear; how many were sealed.
    pub(super) async fn seal_plaintext(self, now: Timestamp) -> Result<u64> {
        let mut sealed = 0u64;
        for column in COLUMNS {
            let mut keys: HashMap<(String, String), ObjectKey> = HashMap::new();
            loop {
                let rows: Vec<(String, String, String, String, i64)> =
                    on_backend!(self.db, pool, {
                        sqlx::query_as(column.select)
                            .bind(BATCH)
                            .fetch_all(pool)
                            .await?
                    });
                if rows.is_empty() {
                    break;
                }
                let mut updates = Vec::with_capacity(rows.len());
                for (tenant, object, row_key, clear, at) in rows {
                    let id = (tenant.clone(), object.clone());
                    let key = match keys.get(&id) {
                        Some(key) => key.clone(),
                        None => {
                            let tenant_id: TenantId = parse(&tenant, "tenant id")?;
                            let at = Timestamp::from_millis(at.min(now.millis()));
                            let key = self
                                .object_key_or_create(tenant_id, column.kind, &object, at)
                                .await?;
                            keys.insert(id, key.clone());
                            key
                        }
                    };
                    let value = key.seal(&(column.field)(&row_key), &clear)?;
                    updates.push((tenant, object, row_key, value, clear));
                }
                let _writer = self.writer().await?;
                let changed = on_backend!(self.db, pool, {
                    let mut tx = pool.begin_with(self.begin_write()).await?;
                    let mut changed = 0u64;
                    for (tenant, object, row_key, value, clear) in &updates {
                        changed += sqlx::query(column.update)
                            .bind(tenant.clone())
                            .bind(object.clone())
                            .bind(row_key.clone())
                            .bind(value.clone())
                            .bind(clear.clone())
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    tx.commit().await?;
                    changed
                });
                sealed += changed;
                if changed == 0 {
                    // Every value of the batch changed under us (its writers sealed it) or
                    // cannot be matched: never loop on the same rows.
                    break;
                }
            }
        }
        Ok(sealed)
    }
}
