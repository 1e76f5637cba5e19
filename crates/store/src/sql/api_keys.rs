//! API keys: stored by the hash of their secret, listed, revoked and touched on use.

use domain::{ApiKeyId, DisplayName, Role, TenantId, Timestamp, UserId};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::{ApiKey, Result, StoreError};

#[derive(FromRow)]
struct ApiKeyRow {
    tenant_id: String,
    id: String,
    name: String,
    role: String,
    secret_hash: String,
    created_by: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl ApiKeyRow {
    fn into_key(self) -> Result<ApiKey> {
        Ok(ApiKey {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse::<ApiKeyId>(&self.id, "api key id")?,
            name: DisplayName::parse(&self.name)
                .map_err(|e| StoreError::corrupt("api key name", e))?,
            role: parse::<Role>(&self.role, "role")?,
            secret_hash: self.secret_hash,
            created_by: self
                .created_by
                .as_deref()
                .map(|s| parse::<UserId>(s, "user id"))
                .transpose()?,
            created_at: Timestamp::from_millis(self.created_at),
            revoked_at: self.revoked_at.map(Timestamp::from_millis),
            last_used_at: self.last_used_at.map(Timestamp::from_millis),
        })
    }
}

const API_KEY_COLUMNS: &str =
    "tenant_id, id, name, role, secret_hash, created_by, created_at, revoked_at, last_used_at";

impl Sql<'_> {
    pub(super) async fn insert_api_key(self, key: &ApiKey) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO api_keys (tenant_id, id, name, role, secret_hash, created_by, \
                 created_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(key.tenant_id.to_string())
            .bind(key.id.to_string())
            .bind(key.name.as_str().to_owned())
            .bind(key.role.as_str())
            .bind(key.secret_hash.clone())
            .bind(key.created_by.map(|u| u.to_string()))
            .bind(key.created_at.millis())
            .bind(key.revoked_at.map(Timestamp::millis))
            .bind(key.last_used_at.map(Timestamp::millis))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn get_api_key(
        self,
        tenant: TenantId,
        key: ApiKeyId,
    ) -> Result<Option<ApiKey>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, ApiKeyRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2"
            )))
            .bind(tenant.to_string())
            .bind(key.to_string())
            .fetch_optional(pool)
            .await?
            .map(ApiKeyRow::into_key)
            .transpose()
        })
    }

    pub(super) async fn list_api_keys(self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, ApiKeyRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 \
                 ORDER BY created_at DESC, id"
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(ApiKeyRow::into_key)
            .collect()
        })
    }

    pub(super) async fn revoke_api_key(
        self,
        tenant: TenantId,
        key: ApiKeyId,
        now: Timestamp,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND \
                 revoked_at IS NULL",
            )
            .bind(tenant.to_string())
            .bind(key.to_string())
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn touch_api_key(
        self,
        tenant: TenantId,
        key: ApiKeyId,
        now: Timestamp,
    ) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2 AND \
                 (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(tenant.to_string())
            .bind(key.to_string())
            .bind(now.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
