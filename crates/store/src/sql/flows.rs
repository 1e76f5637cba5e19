//! Flows: the editable draft, the immutable published versions, and which version is live.

use domain::{FlowId, TenantId, Timestamp, UserId};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::{DraftSave, FlowRecord, FlowVersion, Result, StoreError};

#[derive(FromRow)]
struct FlowRow {
    tenant_id: String,
    id: String,
    name: String,
    draft: String,
    active_version: Option<i64>,
    created_at: i64,
    updated_at: i64,
    layout: String,
    revision: i64,
}

impl FlowRow {
    fn into_flow(self) -> Result<FlowRecord> {
        Ok(FlowRecord {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse::<FlowId>(&self.id, "flow id")?,
            name: self.name,
            draft: self.draft,
            active_version: self.active_version,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
            layout: self.layout,
            revision: self.revision,
        })
    }
}

#[derive(FromRow)]
struct FlowVersionRow {
    tenant_id: String,
    flow_id: String,
    version: i64,
    source: String,
    created_by: Option<String>,
    created_at: i64,
    note: String,
}

impl FlowVersionRow {
    fn into_version(self) -> Result<FlowVersion> {
        Ok(FlowVersion {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            flow_id: parse::<FlowId>(&self.flow_id, "flow id")?,
            version: self.version,
            source: self.source,
            created_by: self
                .created_by
                .as_deref()
                .map(|s| parse::<UserId>(s, "user id"))
                .transpose()?,
            created_at: Timestamp::from_millis(self.created_at),
            note: self.note,
        })
    }
}

const FLOW_COLUMNS: &str =
    "tenant_id, id, name, draft, active_version, created_at, updated_at, layout, revision";
const VERSION_COLUMNS: &str = "tenant_id, flow_id, version, source, created_by, created_at, note";

impl Sql<'_> {
    pub(super) async fn insert_flow(self, flow: &FlowRecord) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO flows (tenant_id, id, name, draft, active_version, created_at, \
                 updated_at, layout, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(flow.tenant_id.to_string())
            .bind(flow.id.to_string())
            .bind(flow.name.clone())
            .bind(flow.draft.clone())
            .bind(flow.active_version)
            .bind(flow.created_at.millis())
            .bind(flow.updated_at.millis())
            .bind(flow.layout.clone())
            .bind(flow.revision)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn get_flow(
        self,
        tenant: TenantId,
        flow: FlowId,
    ) -> Result<Option<FlowRecord>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, FlowRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {FLOW_COLUMNS} FROM flows WHERE tenant_id = $1 AND id = $2"
            )))
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .fetch_optional(pool)
            .await?
            .map(FlowRow::into_flow)
            .transpose()
        })
    }

    pub(super) async fn list_flows(self, tenant: TenantId) -> Result<Vec<FlowRecord>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, FlowRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {FLOW_COLUMNS} FROM flows WHERE tenant_id = $1 ORDER BY name, id"
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(FlowRow::into_flow)
            .collect()
        })
    }

    pub(super) async fn update_flow_draft(
        self,
        tenant: TenantId,
        flow: FlowId,
        name: &str,
        draft: &str,
        base: Option<i64>,
        now: Timestamp,
    ) -> Result<DraftSave> {
        on_backend!(self.db, pool, {
            // One statement: the revision check and the write cannot be split by another save.
            let saved: Option<(i64,)> = sqlx::query_as(
                "UPDATE flows SET name = $3, draft = $4, updated_at = $5, revision = revision + 1 \
                 WHERE tenant_id = $1 AND id = $2 AND ($6 IS NULL OR revision = $6) \
                 RETURNING revision",
            )
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .bind(name.to_owned())
            .bind(draft.to_owned())
            .bind(now.millis())
            .bind(base)
            .fetch_optional(pool)
            .await?;
            if let Some((revision,)) = saved {
                return Ok(DraftSave::Saved { revision });
            }
            let current: Option<(i64,)> =
                sqlx::query_as("SELECT revision FROM flows WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.to_string())
                    .bind(flow.to_string())
                    .fetch_optional(pool)
                    .await?;
            Ok(match current {
                Some((revision,)) => DraftSave::Stale { revision },
                None => DraftSave::Missing,
            })
        })
    }

    pub(super) async fn update_flow_layout(
        self,
        tenant: TenantId,
        flow: FlowId,
        layout: &str,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query("UPDATE flows SET layout = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .bind(layout.to_owned())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn publish_flow_version(
        self,
        tenant: TenantId,
        flow: FlowId,
        source: &str,
        note: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<i64> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // Touch the flow row first: it takes the write lock (SQLite) or row lock
            // (PostgreSQL), so two publishes cannot pick the same version number.
            let touched =
                sqlx::query("UPDATE flows SET updated_at = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.to_string())
                    .bind(flow.to_string())
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if touched != 1 {
                return Err(StoreError::NotFound { what: "flow" });
            }
            let (max,): (Option<i64>,) = sqlx::query_as(
                "SELECT MAX(version) FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2",
            )
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let version = max.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO flow_versions (tenant_id, flow_id, version, source, created_by, \
                 created_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .bind(version)
            .bind(source.to_owned())
            .bind(by.map(|u| u.to_string()))
            .bind(now.millis())
            .bind(note.to_owned())
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE flows SET active_version = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .bind(version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(version)
        })
    }

    pub(super) async fn list_flow_versions(
        self,
        tenant: TenantId,
        flow: FlowId,
    ) -> Result<Vec<FlowVersion>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, FlowVersionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLUMNS} FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2 \
                 ORDER BY version DESC"
            )))
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(FlowVersionRow::into_version)
            .collect()
        })
    }

    pub(super) async fn get_flow_version(
        self,
        tenant: TenantId,
        flow: FlowId,
        version: i64,
    ) -> Result<Option<FlowVersion>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, FlowVersionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLUMNS} FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2 \
                 AND version = $3"
            )))
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .bind(version)
            .fetch_optional(pool)
            .await?
            .map(FlowVersionRow::into_version)
            .transpose()
        })
    }

    pub(super) async fn set_active_version(
        self,
        tenant: TenantId,
        flow: FlowId,
        version: i64,
        now: Timestamp,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE flows SET active_version = $3, updated_at = $4 WHERE tenant_id = $1 AND id \
                 = $2 AND EXISTS (SELECT 1 FROM flow_versions v WHERE v.tenant_id = $1 AND \
                 v.flow_id = $2 AND v.version = $3)",
            )
            .bind(tenant.to_string())
            .bind(flow.to_string())
            .bind(version)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }
}
