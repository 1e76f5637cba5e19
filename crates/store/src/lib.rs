//! Hotline's persistence: one [`Repository`] interface with two implementations, SQLite (the
//! embedded default) and PostgreSQL (cluster mode), chosen by the database URL.
//!
//! Both implementations are generated from one body of code and one set of SQL statements
//! (`$1`-style parameters work on both), so they cannot drift apart; only the migrations are
//! written per dialect. Every method that touches tenant data takes the tenant id and puts
//! it in the `WHERE` clause. The few methods above tenants (creating and listing tenants,
//! resolving a login name) say so in their docs.

mod error;
mod model;
mod sql;

use std::sync::Arc;

use domain::{
    ApiKeyId, AuditEntry, AuditEntryId, AuditEvent, TenantId, Timestamp, UserId, Username,
};

pub use error::StoreError;
pub use model::{ApiKey, BackupCode, Session, SessionStage, Tenant, User, UserChanges};
pub use sql::{
    PostgresStore, SqliteStore, connect, connect_postgres_in_schema, sqlite_url_for_dir,
};

/// A shared handle to whichever backend is configured.
pub type Store = Arc<dyn Repository>;

/// The result type of every repository method.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Everything Hotline persists. Implemented by [`SqliteStore`] and [`PostgresStore`].
#[async_trait::async_trait]
pub trait Repository: Send + Sync + std::fmt::Debug {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<()>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    /// Closes the pool, waiting for connections to be returned.
    async fn close(&self);

    // ---- tenants (above tenants: these are the installation's registry) ----

    /// Creates a tenant together with its first admin, atomically. Installation-level.
    async fn create_tenant_with_admin(&self, tenant: &Tenant, admin: &User) -> Result<()>;

    /// All tenants, oldest first. Installation-level.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    /// One tenant.
    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>>;

    // ---- users ----

    /// Resolves a login name to its tenant and user. Installation-level: this is how a
    /// login finds its tenant; everything after it is tenant-scoped.
    async fn find_login(&self, username: &Username) -> Result<Option<(TenantId, UserId)>>;

    /// Adds a user. A taken username gives [`StoreError::Conflict`].
    async fn insert_user(&self, tenant: TenantId, user: &User) -> Result<()>;

    /// One user of the tenant.
    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>>;

    /// The tenant's users, ordered by username.
    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>>;

    /// Changes profile fields; returns the updated user, or `None` if there is no such user.
    async fn update_user(
        &self,
        tenant: TenantId,
        user: UserId,
        changes: &UserChanges,
        now: Timestamp,
    ) -> Result<Option<User>>;

    /// Sets a new password hash and whether it must be changed at the next login.
    async fn set_password(
        &self,
        tenant: TenantId,
        user: UserId,
        password_hash: &str,
        must_change: bool,
        now: Timestamp,
    ) -> Result<bool>;

    /// Starts TOTP enrolment (or resets it with `None`): stores a new seed, not yet enrolled.
    async fn set_totp_secret(
        &self,
        tenant: TenantId,
        user: UserId,
        secret: Option<&str>,
        now: Timestamp,
    ) -> Result<bool>;

    /// Marks TOTP as enrolled and records the step of the confirming code.
    async fn confirm_totp(
        &self,
        tenant: TenantId,
        user: UserId,
        step: i64,
        now: Timestamp,
    ) -> Result<bool>;

    /// Records `step` as the newest accepted TOTP step if it is newer than the stored one.
    /// Returns false when an equal or newer step was already accepted: a replayed code,
    /// possibly by a concurrent request. This compare-and-set is what makes codes single-use.
    async fn advance_totp_step(&self, tenant: TenantId, user: UserId, step: i64) -> Result<bool>;

    // ---- backup codes ----

    /// Replaces the user's backup codes with a fresh set of hashes.
    async fn replace_backup_codes(
        &self,
        tenant: TenantId,
        user: UserId,
        hashes: &[String],
    ) -> Result<()>;

    /// The user's backup codes that have not been used.
    async fn unused_backup_codes(&self, tenant: TenantId, user: UserId) -> Result<Vec<BackupCode>>;

    /// Marks a backup code used; false if it already was (single use under concurrency).
    async fn use_backup_code(
        &self,
        tenant: TenantId,
        user: UserId,
        ordinal: i64,
        now: Timestamp,
    ) -> Result<bool>;

    // ---- sessions ----

    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> Result<()>;

    /// A session by the hash of its secret.
    async fn get_session(&self, tenant: TenantId, token_hash: &str) -> Result<Option<Session>>;

    /// Records activity on a session (idle timeout).
    async fn touch_session(&self, tenant: TenantId, token_hash: &str, now: Timestamp)
    -> Result<()>;

    /// Ends one session; false if it did not exist.
    async fn delete_session(&self, tenant: TenantId, token_hash: &str) -> Result<bool>;

    /// Ends every session of a user; returns how many ended.
    async fn delete_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64>;

    /// Removes sessions past their absolute expiry or idle since before `idle_cutoff`.
    async fn delete_expired_sessions(
        &self,
        tenant: TenantId,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> Result<u64>;

    // ---- API keys ----

    /// Stores a new API key.
    async fn insert_api_key(&self, key: &ApiKey) -> Result<()>;

    /// One API key of the tenant.
    async fn get_api_key(&self, tenant: TenantId, key: ApiKeyId) -> Result<Option<ApiKey>>;

    /// The tenant's API keys, newest first.
    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>>;

    /// Revokes a key; false if there is no such unrevoked key.
    async fn revoke_api_key(&self, tenant: TenantId, key: ApiKeyId, now: Timestamp)
    -> Result<bool>;

    /// Records the key's last use.
    async fn touch_api_key(&self, tenant: TenantId, key: ApiKeyId, now: Timestamp) -> Result<()>;

    // ---- audit ----

    /// Appends an entry to the tenant's chain: the next sequence number, chained to the head.
    /// Appends to one tenant serialise on the chain head.
    async fn append_audit(
        &self,
        tenant: TenantId,
        id: AuditEntryId,
        at: Timestamp,
        event: &AuditEvent,
    ) -> Result<AuditEntry>;

    /// Entries newest first, strictly before `before_seq` when given.
    async fn list_audit(
        &self,
        tenant: TenantId,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;

    /// Entries oldest first, strictly after `after_seq`, for verification in pages.
    async fn audit_page_ascending(
        &self,
        tenant: TenantId,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;

    /// The recorded head of the tenant's chain (sequence number and hash), if any entry exists.
    async fn audit_head(&self, tenant: TenantId) -> Result<Option<(i64, String)>>;
}
