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
}

impl TenantRow {
    fn into_tenant(self) -> Result<Tenant> {
        Ok(Tenant {
            id: parse(&self.id, "tenant id")?,
            name: TenantName::parse(&self.name)
                .map_err(|e| StoreError::corrupt("tenant name", e))?,
            created_at: Timestamp::from_millis(self.created_at),
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
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(tenant.id.to_string())
                .bind(tenant.name.as_str().to_owned())
                .bind(tenant.created_at.millis())
                .execute(&mut *tx)
                .await?;
            insert_user_query(admin).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub(super) async fn list_tenants(self) -> Result<Vec<Tenant>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, TenantRow>(
                "SELECT id, name, created_at FROM tenants ORDER BY created_at, id",
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
            sqlx::query_as::<_, TenantRow>("SELECT id, name, created_at FROM tenants WHERE id = $1")
                .bind(tenant.to_string())
                .fetch_optional(pool)
                .await?
                .map(TenantRow::into_tenant)
                .transpose()
        })
    }

    pub(super) async fn tenant_allows_private_http(self, tenant: TenantId) -> Result<bool> {
        on_backend!(self.db, pool, {
            let row: Option<(bool,)> =
                sqlx::query_as("SELECT allow_private_http FROM tenants WHERE id = $1")
                    .bind(tenant.to_string())
                    .fetch_optional(pool)
                    .await?;
            Ok(row.is_some_and(|(allow,)| allow))
        })
    }

    pub(super) async fn set_tenant_allows_private_http(
        self,
        tenant: TenantId,
        allow: bool,
    ) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query("UPDATE tenants SET allow_private_http = $2 WHERE id = $1")
                .bind(tenant.to_string())
                .bind(allow)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
