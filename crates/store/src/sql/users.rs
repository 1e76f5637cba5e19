//! Staff accounts: the login lookup, profiles, password hashes and the TOTP state whose
//! compare-and-set makes each code single-use.

use domain::{DisplayName, Role, TenantId, Timestamp, UserId, Username};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::vault::kind;
use crate::{Result, StoreError, User, UserChanges};

#[derive(FromRow)]
struct UserRow {
    tenant_id: String,
    id: String,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    must_change_password: bool,
    totp_secret: Option<String>,
    totp_enrolled: bool,
    totp_last_step: Option<i64>,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    fn into_user(self) -> Result<User> {
        Ok(User {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse(&self.id, "user id")?,
            username: Username::parse(&self.username)
                .map_err(|e| StoreError::corrupt("username", e))?,
            display_name: DisplayName::parse(&self.display_name)
                .map_err(|e| StoreError::corrupt("display name", e))?,
            role: parse::<Role>(&self.role, "role")?,
            password_hash: self.password_hash,
            must_change_password: self.must_change_password,
            totp_secret: self.totp_secret,
            totp_enrolled: self.totp_enrolled,
            totp_last_step: self.totp_last_step,
            disabled: self.disabled,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

/// The sealed field of a user's TOTP seed.
const TOTP_FIELD: &str = "totp_secret";

const USER_COLUMNS: &str = "tenant_id, id, username, display_name, role, password_hash, \
    must_change_password, totp_secret, totp_enrolled, totp_last_step, disabled, created_at, \
    updated_at";

/// The INSERT of a user row, bound, for either backend (a new user, and a new tenant's first
/// admin, use the same statement).
pub(super) fn insert_user_query<'q, DB>(
    user: &'q User,
    sealed_totp: Option<String>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO users (tenant_id, id, username, display_name, role, password_hash, \
         must_change_password, totp_secret, totp_enrolled, totp_last_step, disabled, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(user.tenant_id.to_string())
    .bind(user.id.to_string())
    .bind(user.username.as_str())
    .bind(user.display_name.as_str())
    .bind(user.role.as_str())
    .bind(user.password_hash.as_str())
    .bind(user.must_change_password)
    .bind(sealed_totp)
    .bind(user.totp_enrolled)
    .bind(user.totp_last_step)
    .bind(user.disabled)
    .bind(user.created_at.millis())
    .bind(user.updated_at.millis())
}

impl Sql<'_> {
    pub(super) async fn find_login(
        self,
        username: &Username,
    ) -> Result<Option<(TenantId, UserId)>> {
        on_backend!(self.db, pool, {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT tenant_id, id FROM users WHERE username = $1")
                    .bind(username.as_str().to_owned())
                    .fetch_optional(pool)
                    .await?;
            row.map(|(t, u)| Ok((parse(&t, "tenant id")?, parse(&u, "user id")?)))
                .transpose()
        })
    }

    pub(super) async fn insert_user(self, tenant: TenantId, user: &User) -> Result<()> {
        if user.tenant_id != tenant {
            return Err(StoreError::WrongTenant { what: "user" });
        }
        let sealed_totp = self
            .seal_totp(
                tenant,
                user.id,
                user.totp_secret.as_deref(),
                user.created_at,
            )
            .await?;
        on_backend!(self.db, pool, {
            insert_user_query(user, sealed_totp)
                .execute(pool)
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => StoreError::Conflict("username"),
                    other => other,
                })?;
            Ok(())
        })
    }

    /// Seals a TOTP seed under the user's data key (made if the user has none).
    pub(super) async fn seal_totp(
        self,
        tenant: TenantId,
        user: UserId,
        secret: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<String>> {
        let Some(secret) = secret else {
            return Ok(None);
        };
        let key = self
            .object_key_or_create(tenant, kind::USER, &user.to_string(), now)
            .await?;
        Ok(Some(key.seal(TOTP_FIELD, secret)?))
    }

    /// Opens a user row's sealed TOTP seed.
    async fn open_user(self, row: UserRow) -> Result<User> {
        let mut user = row.into_user()?;
        if let Some(sealed) = &user.totp_secret {
            let secret = self
                .open_field(
                    user.tenant_id,
                    kind::USER,
                    &user.id.to_string(),
                    TOTP_FIELD,
                    sealed,
                )
                .await?;
            user.totp_secret = Some(secret);
        }
        Ok(user)
    }

    pub(super) async fn get_user(self, tenant: TenantId, user: UserId) -> Result<Option<User>> {
        let row = on_backend!(self.db, pool, {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
            )))
            .bind(tenant.to_string())
            .bind(user.to_string())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some(row) => Ok(Some(self.open_user(row).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn list_users(self, tenant: TenantId) -> Result<Vec<User>> {
        let rows = on_backend!(self.db, pool, {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY {}",
                self.username_order()
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
        });
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            users.push(self.open_user(row).await?);
        }
        Ok(users)
    }

    pub(super) async fn update_user(
        self,
        tenant: TenantId,
        user: UserId,
        changes: &UserChanges,
        now: Timestamp,
    ) -> Result<Option<User>> {
        on_backend!(self.db, pool, {
            let updated = sqlx::query(
                "UPDATE users SET display_name = COALESCE($3, display_name), role = COALESCE($4, \
                 role), disabled = COALESCE($5, disabled), updated_at = $6 WHERE tenant_id = $1 \
                 AND id = $2",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .bind(changes.display_name.as_ref().map(|d| d.as_str().to_owned()))
            .bind(changes.role.map(|r| r.as_str()))
            .bind(changes.disabled)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            if updated == 0 {
                return Ok(None);
            }
            self.get_user(tenant, user).await
        })
    }

    pub(super) async fn delete_user(
        self,
        tenant: TenantId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool> {
        let (t, u) = (tenant.to_string(), user.to_string());
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // What hangs on the account goes with it: its phone account and agent profile;
            // the API keys it made stop working (kept, revoked, for the audit trail).
            for table in ["agent_sip_accounts", "cc_agents"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE tenant_id = $1 AND user_id = $2"
                )))
                .bind(t.clone())
                .bind(u.clone())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND created_by = $2 \
                 AND revoked_at IS NULL",
            )
            .bind(t.clone())
            .bind(u.clone())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            // Sessions and backup codes cascade.
            let deleted = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(t.clone())
                .bind(u.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            tx.commit().await?;
            Ok(deleted)
        })
    }

    pub(super) async fn set_password(
        self,
        tenant: TenantId,
        user: UserId,
        password_hash: &str,
        must_change: bool,
        now: Timestamp,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE users SET password_hash = $3, must_change_password = $4, updated_at = $5 \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .bind(password_hash.to_owned())
            .bind(must_change)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn set_totp_secret(
        self,
        tenant: TenantId,
        user: UserId,
        secret: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        let sealed = self.seal_totp(tenant, user, secret, now).await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE users SET totp_secret = $3, totp_enrolled = $4, totp_last_step = NULL, \
                 updated_at = $5 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .bind(sealed)
            .bind(false)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn confirm_totp(
        self,
        tenant: TenantId,
        user: UserId,
        step: i64,
        now: Timestamp,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE users SET totp_enrolled = $3, totp_last_step = $4, updated_at = $5 WHERE \
                 tenant_id = $1 AND id = $2 AND totp_secret IS NOT NULL AND (totp_last_step IS \
                 NULL OR totp_last_step < $4)",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .bind(true)
            .bind(step)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn advance_totp_step(
        self,
        tenant: TenantId,
        user: UserId,
        step: i64,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE users SET totp_last_step = $3 WHERE tenant_id = $1 AND id = $2 AND \
                 (totp_last_step IS NULL OR totp_last_step < $3)",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .bind(step)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }
}
