//! Recorded prompts: a tenant's audio for `say` nodes, by name, in the telephone's format.

use domain::{TenantId, Timestamp};
use sqlx::FromRow;

use super::Sql;
use crate::{Prompt, PromptInfo, Result};

#[derive(FromRow)]
struct InfoRow {
    name: String,
    format: String,
    source_bytes: i64,
    duration_ms: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<InfoRow> for PromptInfo {
    fn from(r: InfoRow) -> Self {
        PromptInfo {
            name: r.name,
            format: r.format,
            source_bytes: r.source_bytes,
            duration_ms: r.duration_ms,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        }
    }
}

#[derive(FromRow)]
struct PromptRow {
    #[sqlx(flatten)]
    info: InfoRow,
    ulaw: Vec<u8>,
}

const INFO_COLUMNS: &str = "name, format, source_bytes, duration_ms, created_at, updated_at";

impl Sql<'_> {
    pub(super) async fn put_prompt(self, tenant: TenantId, prompt: &Prompt) -> Result<()> {
        let _writer = self.writer().await?;
        let p = &prompt.info;
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO prompts (tenant_id, name, format, source_bytes, duration_ms, ulaw, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT \
                 (tenant_id, name) DO UPDATE SET format = excluded.format, source_bytes = \
                 excluded.source_bytes, duration_ms = excluded.duration_ms, ulaw = excluded.ulaw, \
                 updated_at = excluded.updated_at",
            )
            .bind(tenant.to_string())
            .bind(p.name.clone())
            .bind(p.format.clone())
            .bind(p.source_bytes)
            .bind(p.duration_ms)
            .bind(prompt.ulaw.clone())
            .bind(p.created_at.millis())
            .bind(p.updated_at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn get_prompt(self, tenant: TenantId, name: &str) -> Result<Option<Prompt>> {
        on_backend!(self.db, pool, {
            let row: Option<PromptRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS}, ulaw FROM prompts WHERE tenant_id = $1 AND name = $2"
            )))
            .bind(tenant.to_string())
            .bind(name.to_owned())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| Prompt {
                info: PromptInfo::from(r.info),
                ulaw: r.ulaw,
            }))
        })
    }

    pub(super) async fn list_prompts(self, tenant: TenantId) -> Result<Vec<PromptInfo>> {
        on_backend!(self.db, pool, {
            Ok(sqlx::query_as::<_, InfoRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS} FROM prompts WHERE tenant_id = $1 ORDER BY name"
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(PromptInfo::from)
            .collect())
        })
    }

    pub(super) async fn delete_prompt(self, tenant: TenantId, name: &str) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query("DELETE FROM prompts WHERE tenant_id = $1 AND name = $2")
                .bind(tenant.to_string())
                .bind(name.to_owned())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }
}
