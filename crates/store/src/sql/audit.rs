//! The audit log: appends chained to the tenant's head (sealed by `security::audit`), and
//! reading the chain back in pages for the UI and for verification.

use domain::{
    ActorKind, AuditEntry, AuditEntryId, AuditEvent, AuthMethod, Outcome, RequestId, TenantId,
    Timestamp,
};
use sqlx::FromRow;

use super::{Sql, limit_i64, parse};
use crate::vault::kind;
use crate::{AuditFilter, Result};

/// The audit month (`YYYY-MM`, UTC) whose key seals an entry's source address.
pub(super) fn audit_month(at: Timestamp) -> String {
    at.to_rfc3339().chars().take(7).collect()
}

/// The sealed field of an entry's source address.
fn source_ip_field(id: AuditEntryId) -> String {
    format!("source_ip:{id}")
}

#[derive(FromRow)]
struct AuditRow {
    tenant_id: String,
    seq: i64,
    id: String,
    at: i64,
    actor_kind: String,
    actor_id: Option<String>,
    auth_method: String,
    source_ip: Option<String>,
    request_id: Option<String>,
    action: String,
    object_type: Option<String>,
    object_id: Option<String>,
    outcome: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            seq: self.seq,
            id: parse::<AuditEntryId>(&self.id, "audit id")?,
            at: Timestamp::from_millis(self.at),
            event: AuditEvent {
                actor_kind: parse::<ActorKind>(&self.actor_kind, "actor kind")?,
                actor_id: self.actor_id,
                auth_method: parse::<AuthMethod>(&self.auth_method, "auth method")?,
                source_ip: self.source_ip,
                request_id: self
                    .request_id
                    .as_deref()
                    .map(|s| parse::<RequestId>(s, "request id"))
                    .transpose()?,
                action: self.action,
                object_type: self.object_type,
                object_id: self.object_id,
                outcome: parse::<Outcome>(&self.outcome, "outcome")?,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

const AUDIT_COLUMNS: &str = "tenant_id, seq, id, at, actor_kind, actor_id, auth_method, \
    source_ip, request_id, action, object_type, object_id, outcome, prev_hash, hash";

impl Sql<'_> {
    pub(super) async fn append_audit(
        self,
        tenant: TenantId,
        id: AuditEntryId,
        at: Timestamp,
        event: &AuditEvent,
    ) -> Result<AuditEntry> {
        // The source address is personal data: sealed under the month's key, so that the
        // audit-metadata retention can shred it while the entry and its chain stay. The hash
        // covers the sealed text. A locked store keeps no address at all.
        let mut stored = event.clone();
        stored.source_ip = match (&event.source_ip, self.vault()) {
            (Some(ip), Ok(_)) => Some(
                self.object_key_or_create(tenant, kind::AUDIT, &audit_month(at), at)
                    .await?
                    .seal(&source_ip_field(id), ip)?,
            ),
            _ => None,
        };
        let source_ip = event.source_ip.clone();
        let event = &stored;
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // Claim the head first: on PostgreSQL this locks the tenant's head row, on SQLite
            // the write lock is held from BEGIN IMMEDIATE; either way appends serialise.
            sqlx::query(
                "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT \
                 (tenant_id) DO NOTHING",
            )
            .bind(tenant.to_string())
            .bind(security::audit::GENESIS_HASH)
            .execute(&mut *tx)
            .await?;
            let (seq, prev_hash): (i64, String) = sqlx::query_as(
                "UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash",
            )
            .bind(tenant.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let entry = security::audit::seal(tenant, seq, id, at, event.clone(), prev_hash);
            sqlx::query(
                "INSERT INTO audit_log (tenant_id, seq, id, at, actor_kind, actor_id, auth_method, \
                 source_ip, request_id, action, object_type, object_id, outcome, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(tenant.to_string())
            .bind(entry.seq)
            .bind(entry.id.to_string())
            .bind(entry.at.millis())
            .bind(entry.event.actor_kind.as_str())
            .bind(entry.event.actor_id.clone())
            .bind(entry.event.auth_method.as_str())
            .bind(entry.event.source_ip.clone())
            .bind(entry.event.request_id.map(|r| r.to_string()))
            .bind(entry.event.action.clone())
            .bind(entry.event.object_type.clone())
            .bind(entry.event.object_id.clone())
            .bind(entry.event.outcome.as_str())
            .bind(entry.prev_hash.clone())
            .bind(entry.hash.clone())
            .execute(&mut *tx)
            .await?;
            let mac = self
                .audit_key
                .map(|key| security::audit::head_mac(key, tenant, entry.seq, &entry.hash));
            sqlx::query("UPDATE audit_heads SET hash = $2, mac = $3 WHERE tenant_id = $1")
                .bind(tenant.to_string())
                .bind(entry.hash.clone())
                .bind(mac)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(entry)
        })
        .map(|mut entry: AuditEntry| {
            entry.event.source_ip.clone_from(&source_ip);
            entry
        })
    }

    /// Opens the source addresses of entries for display: an address whose month's key has
    /// expired (or that does not open) shows as none.
    async fn open_source_ips(self, mut entries: Vec<AuditEntry>) -> Result<Vec<AuditEntry>> {
        let mut keys = std::collections::HashMap::new();
        for e in &mut entries {
            let Some(sealed) = e.event.source_ip.take() else {
                continue;
            };
            let month = audit_month(e.at);
            if !keys.contains_key(&month) {
                let key = self.object_key(e.tenant_id, kind::AUDIT, &month).await?;
                keys.insert(month.clone(), key);
            }
            e.event.source_ip = keys[&month]
                .as_ref()
                .and_then(|k| k.open(&source_ip_field(e.id), &sealed).ok());
        }
        Ok(entries)
    }

    pub(super) async fn list_audit(
        self,
        tenant: TenantId,
        before_seq: Option<i64>,
        limit: u32,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>> {
        let entries = on_backend!(self.db, pool, {
            sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq < $2 \
                 AND ($4 IS NULL OR action = $4) AND ($5 IS NULL OR outcome = $5) \
                 AND ($6 IS NULL OR actor_id = $6) AND ($7 IS NULL OR object_id = $7) \
                 AND ($8 IS NULL OR at >= $8) AND ($9 IS NULL OR at < $9) \
                 ORDER BY seq DESC LIMIT $3"
            )))
            .bind(tenant.to_string())
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(limit_i64(limit))
            .bind(filter.action.clone())
            .bind(filter.outcome.clone())
            .bind(filter.actor_id.clone())
            .bind(filter.object_id.clone())
            .bind(filter.from.map(|t| t.millis()))
            .bind(filter.to.map(|t| t.millis()))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(AuditRow::into_entry)
            .collect::<Result<Vec<_>>>()?
        });
        self.open_source_ips(entries).await
    }

    pub(super) async fn audit_page_ascending(
        self,
        tenant: TenantId,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY \
                 seq ASC LIMIT $3"
            )))
            .bind(tenant.to_string())
            .bind(after_seq)
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(AuditRow::into_entry)
            .collect()
        })
    }

    pub(super) async fn audit_head(self, tenant: TenantId) -> Result<Option<(i64, String)>> {
        on_backend!(self.db, pool, {
            Ok(
                sqlx::query_as(
                    "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 AND seq > 0",
                )
                .bind(tenant.to_string())
                .fetch_optional(pool)
                .await?,
            )
        })
    }

    pub(super) async fn audit_head_signed(
        self,
        tenant: TenantId,
    ) -> Result<Option<(i64, String, Option<String>)>> {
        on_backend!(self.db, pool, {
            Ok(sqlx::query_as(
                "SELECT seq, hash, mac FROM audit_heads WHERE tenant_id = $1 AND seq > 0",
            )
            .bind(tenant.to_string())
            .fetch_optional(pool)
            .await?)
        })
    }

    pub(super) async fn sign_audit_head(
        self,
        tenant: TenantId,
        seq: i64,
        hash: &str,
    ) -> Result<bool> {
        let Some(key) = self.audit_key else {
            return Ok(false);
        };
        let mac = security::audit::head_mac(key, tenant, seq, hash);
        on_backend!(self.db, pool, {
            let done = sqlx::query(
                "UPDATE audit_heads SET mac = $4 WHERE tenant_id = $1 AND seq = $2 AND hash = $3 \
                 AND mac IS NULL",
            )
            .bind(tenant.to_string())
            .bind(seq)
            .bind(hash.to_owned())
            .bind(mac)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }
}
