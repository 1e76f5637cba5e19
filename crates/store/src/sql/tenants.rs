//! Tenants: the installation's registry (creating a tenant with its first admin, listing
//! them) and the per-tenant settings.

use domain::{TenantId, TenantName, Timestamp};
use sqlx::FromRow;

use super::users::insert_user_query;
use super::{Sql, parse};
use crate::{Result, StoreError, Tenant, User};

#[derive(FromRow)]
struct TenantRow {
    id: String,
    name: String,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl TenantRow {
    fn into_tenant(self) -> Result<Tenant> {
        Ok(Tenant {
            id: parse(&self.id, "tenant id")?,
            name: TenantName::parse(&self.name)
                .map_err(|e| StoreError::corrupt("tenant name", e))?,
            created_at: Timestamp::from_millis(self.created_at),
            disabled_at: self.disabled_at.map(Timestamp::from_millis),
        })
    }
}

impl Sql<'_> {
    pub(super) async fn create_tenant_with_admin(
        self,
        tenant: &Tenant,
        admin: &User,
    ) -> Result<()> {
        // The same guard as `insert_user`: without it an admin naming another, existing
        // tenant would be written into that tenant.
        if admin.tenant_id != tenant.id {
            return Err(StoreError::WrongTenant { what: "user" });
        }
        let writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query(
                "INSERT INTO tenants (id, name, created_at, disabled_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(tenant.id.to_string())
            .bind(tenant.name.as_str().to_owned())
            .bind(tenant.created_at.millis())
            .bind(tenant.disabled_at.map(Timestamp::millis))
            .execute(&mut *tx)
            .await?;
            // The tenant's keys need the tenant's row: a seed is sealed once it exists.
            insert_user_query(admin, None).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        drop(writer);
        if admin.totp_secret.is_some() {
            let sealed = self
                .seal_totp(
                    tenant.id,
                    admin.id,
                    admin.totp_secret.as_deref(),
                    admin.created_at,
                )
                .await?;
            on_backend!(self.db, pool, {
                sqlx::query("UPDATE users SET totp_secret = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.id.to_string())
                    .bind(admin.id.to_string())
                    .bind(sealed)
                    .execute(pool)
                    .await?;
            });
        }
        Ok(())
    }

    pub(super) async fn list_tenants(self) -> Result<Vec<Tenant>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, TenantRow>(
                "SELECT id, name, created_at, disabled_at FROM tenants ORDER BY created_at, id",
            )
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(TenantRow::into_tenant)
            .collect()
        })
    }

    pub(super) async fn get_tenant(self, tenant: TenantId) -> Result<Option<Tenant>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, TenantRow>(
                "SELECT id, name, created_at, disabled_at FROM tenants WHERE id = $1",
            )
            .bind(tenant.to_string())
            .fetch_optional(pool)
            .await?
            .map(TenantRow::into_tenant)
            .transpose()
        })
    }

    pub(super) async fn set_tenant_disabled(
        self,
        tenant: TenantId,
        at: Option<Timestamp>,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let done = sqlx::query("UPDATE tenants SET disabled_at = $2 WHERE id = $1")
                .bind(tenant.to_string())
                .bind(at.map(Timestamp::millis))
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    pub(super) async fn private_http_destinations(self, tenant: TenantId) -> Result<Vec<String>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT destination FROM tenant_http_destinations WHERE tenant_id = $1 \
                 ORDER BY destination",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(d,)| d).collect())
        })
    }

    pub(super) async fn set_private_http_destination(
        self,
        tenant: TenantId,
        destination: &str,
        allow: bool,
        at: Timestamp,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let done = if allow {
                sqlx::query(
                    "INSERT INTO tenant_http_destinations (tenant_id, destination, created_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (tenant_id, destination) DO NOTHING",
                )
                .bind(tenant.to_string())
                .bind(destination.to_owned())
                .bind(at.millis())
                .execute(pool)
                .await?
            } else {
                sqlx::query(
                    "DELETE FROM tenant_http_destinations WHERE tenant_id = $1 AND destination = $2",
                )
                .bind(tenant.to_string())
                .bind(destination.to_owned())
                .execute(pool)
                .await?
            };
            Ok(done.rows_affected() > 0)
        })
    }
}
