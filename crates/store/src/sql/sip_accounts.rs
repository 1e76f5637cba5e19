//! Agents' SIP accounts: the username an agent's phone registers with, which finds the agent's
//! tenant, and the digest HA1 that checks the phone's credentials.

use domain::{TenantId, Timestamp, UserId};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::{Result, SipAccount, StoreError};

#[derive(FromRow)]
struct SipAccountRow {
    username: String,
    tenant_id: String,
    user_id: String,
    ha1: String,
    realm: String,
    created_at: i64,
    updated_at: i64,
}

impl SipAccountRow {
    fn into_account(self) -> Result<SipAccount> {
        Ok(SipAccount {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            user_id: parse(&self.user_id, "user id")?,
            username: self.username,
            ha1: self.ha1,
            realm: self.realm,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

const COLUMNS: &str = "username, tenant_id, user_id, ha1, realm, created_at, updated_at";

impl Sql<'_> {
    pub(super) async fn resolve_sip_account(self, username: &str) -> Result<Option<SipAccount>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, SipAccountRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM agent_sip_accounts WHERE username = $1"
            )))
            .bind(username.to_owned())
            .fetch_optional(pool)
            .await?
            .map(SipAccountRow::into_account)
            .transpose()
        })
    }

    pub(super) async fn put_sip_account(self, tenant: TenantId, a: &SipAccount) -> Result<()> {
        if a.tenant_id != tenant {
            return Err(StoreError::WrongTenant {
                what: "SIP account",
            });
        }
        // One row per agent: a new username replaces the old one, keeping the creation time.
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO agent_sip_accounts (username, tenant_id, user_id, ha1, realm, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT \
                 (tenant_id, user_id) DO UPDATE SET username = excluded.username, ha1 = \
                 excluded.ha1, realm = excluded.realm, updated_at = excluded.updated_at",
            )
            .bind(a.username.clone())
            .bind(tenant.to_string())
            .bind(a.user_id.to_string())
            .bind(a.ha1.clone())
            .bind(a.realm.clone())
            .bind(a.created_at.millis())
            .bind(a.updated_at.millis())
            .execute(pool)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict("SIP username"),
                other => other,
            })?;
            Ok(())
        })
    }

    pub(super) async fn get_sip_account(
        self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<SipAccount>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, SipAccountRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM agent_sip_accounts WHERE tenant_id = $1 AND user_id = $2"
            )))
            .bind(tenant.to_string())
            .bind(user.to_string())
            .fetch_optional(pool)
            .await?
            .map(SipAccountRow::into_account)
            .transpose()
        })
    }

    pub(super) async fn delete_sip_account(self, tenant: TenantId, user: UserId) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n =
                sqlx::query("DELETE FROM agent_sip_accounts WHERE tenant_id = $1 AND user_id = $2")
                    .bind(tenant.to_string())
                    .bind(user.to_string())
                    .execute(pool)
                    .await?
                    .rows_affected();
            Ok(n == 1)
        })
    }
}
