//! Sessions: stored by the hash of their secret, touched for the idle timeout, ended one by
//! one, per user or when they expire.

use domain::{AuthMethod, TenantId, Timestamp, UserId};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::{Result, Session, SessionStage, StoreError};

#[derive(FromRow)]
struct SessionRow {
    tenant_id: String,
    token_hash: String,
    user_id: String,
    stage: String,
    auth_method: String,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
}

impl SessionRow {
    fn into_session(self) -> Result<Session> {
        let stage = match self.stage.as_str() {
            "partial" => SessionStage::Partial,
            "full" => SessionStage::Full,
            _ => {
                return Err(StoreError::Corrupt {
                    what: "session stage",
                    source: None,
                });
            }
        };
        Ok(Session {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            token_hash: self.token_hash,
            user_id: parse(&self.user_id, "user id")?,
            stage,
            auth_method: parse::<AuthMethod>(&self.auth_method, "auth method")?,
            csrf_token: self.csrf_token,
            created_at: Timestamp::from_millis(self.created_at),
            last_seen_at: Timestamp::from_millis(self.last_seen_at),
            expires_at: Timestamp::from_millis(self.expires_at),
        })
    }
}

const SESSION_COLUMNS: &str = "tenant_id, token_hash, user_id, stage, auth_method, csrf_token, \
    created_at, last_seen_at, expires_at";

impl Sql<'_> {
    pub(super) async fn insert_session(self, session: &Session) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO sessions (tenant_id, token_hash, user_id, stage, auth_method, \
                 csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9)",
            )
            .bind(session.tenant_id.to_string())
            .bind(session.token_hash.clone())
            .bind(session.user_id.to_string())
            .bind(session.stage.as_str())
            .bind(session.auth_method.as_str())
            .bind(session.csrf_token.clone())
            .bind(session.created_at.millis())
            .bind(session.last_seen_at.millis())
            .bind(session.expires_at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn get_session(
        self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<Session>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE tenant_id = $1 AND token_hash = $2"
            )))
            .bind(tenant.to_string())
            .bind(token_hash.to_owned())
            .fetch_optional(pool)
            .await?
            .map(SessionRow::into_session)
            .transpose()
        })
    }

    pub(super) async fn touch_session(
        self,
        tenant: TenantId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND token_hash = $2 \
                 AND last_seen_at < $3",
            )
            .bind(tenant.to_string())
            .bind(token_hash.to_owned())
            .bind(now.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn delete_session(self, tenant: TenantId, token_hash: &str) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND token_hash = $2")
                .bind(tenant.to_string())
                .bind(token_hash.to_owned())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn delete_user_sessions(self, tenant: TenantId, user: UserId) -> Result<u64> {
        on_backend!(self.db, pool, {
            Ok(
                sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                    .bind(tenant.to_string())
                    .bind(user.to_string())
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }

    pub(super) async fn delete_expired_sessions(
        self,
        tenant: TenantId,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> Result<u64> {
        on_backend!(self.db, pool, {
            Ok(sqlx::query(
        "DELETE FROM sessions WHERE tenant_id = $1 AND (expires_at <= $2 OR last_seen_at < $3)",
    )
    .bind(tenant.to_string())
    .bind(now.millis())
    .bind(idle_cutoff.millis())
    .execute(pool)
    .await?
    .rows_affected())
        })
    }
}
