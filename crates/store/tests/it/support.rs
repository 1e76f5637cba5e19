//! What every test needs: a fresh, migrated database per test on either backend (a file in a
//! temporary directory for SQLite, a schema of its own for PostgreSQL), raw access to its pool
//! for the tests that play an attacker, and builders for the records the tests store.
//!
//! Ids come from `Uuid::new_v4`, so records built here never collide; times are fixed offsets
//! from [`T0`], since the store takes every instant as an argument and never reads a clock.

use std::future::Future;
use std::sync::Arc;

use domain::{
    ActorKind, ApiKeyId, AuditEntry, AuditEntryId, AuditEvent, AuthMethod, DisplayName, Outcome,
    RequestId, Role, TenantId, TenantName, Timestamp, UserId, Username,
};
use security::audit::{ChainBreak, GENESIS_HASH, VerifiedChain};
use sqlx::{Connection, PgConnection, PgPool, SqlitePool};
use store::{
    ApiKey, Backend, PostgresStore, Session, SessionStage, SqliteStore, Store, Tenant, User,
};
use tempfile::TempDir;

/// The environment variable naming the PostgreSQL server the tests use.
pub(crate) const POSTGRES_URL_VAR: &str = "HOTLINE_TEST_POSTGRES_URL";

/// The instant every test's clock starts at.
pub(crate) const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

/// One hour in milliseconds.
pub(crate) const HOUR: i64 = 3_600_000;

fn random_bytes() -> [u8; 16] {
    uuid::Uuid::new_v4().into_bytes()
}

// ---- databases ----

/// A migrated database for one test, with what it takes to clean up after it.
#[derive(Debug)]
pub(crate) struct Db {
    store: Store,
    raw: Raw,
    place: Place,
}

/// Where a test database lives.
#[derive(Debug)]
enum Place {
    /// The directory is removed when it drops, so it is held until the store has closed.
    Sqlite(TempDir),
    Postgres(PgSchema),
}

/// The root key every test store is unlocked with.
pub(crate) fn test_root_key() -> security::crypto::Key {
    security::crypto::Key::from_bytes([0x5a; 32])
}

impl Db {
    /// A fresh SQLite file in a temporary directory.
    pub(crate) async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let concrete = SqliteStore::open(&url).await.expect("open SQLite");
        let raw = Raw::Sqlite(concrete.pool().clone());
        let store: Store = Arc::new(concrete);
        store.migrate().await.expect("migrate SQLite");
        store.unlock(test_root_key()).await.expect("unlock SQLite");
        assert_eq!(store.backend(), Backend::Sqlite);
        Self {
            store,
            raw,
            place: Place::Sqlite(dir),
        }
    }

    /// A fresh schema on the PostgreSQL server named by [`POSTGRES_URL_VAR`].
    pub(crate) async fn postgres() -> Self {
        let schema = PgSchema::create().await;
        let concrete: PostgresStore = store::connect_postgres_in_schema(&schema.url, &schema.name)
            .await
            .expect("connect to PostgreSQL in the test schema");
        let raw = Raw::Postgres(concrete.pool().clone());
        let store: Store = Arc::new(concrete);
        store.migrate().await.expect("migrate PostgreSQL");
        store
            .unlock(test_root_key())
            .await
            .expect("unlock PostgreSQL");
        assert_eq!(store.backend(), Backend::Postgres);
        Self {
            store,
            raw,
            place: Place::Postgres(schema),
        }
    }

    /// Runs a case that needs only the repository.
    pub(crate) async fn run<F, Fut>(self, case: F)
    where
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = ()>,
    {
        case(self.store.clone()).await;
        self.finish().await;
    }

    /// Runs a case that also writes to the database behind the repository's back.
    pub(crate) async fn run_raw<F, Fut>(self, case: F)
    where
        F: FnOnce(Store, Raw) -> Fut,
        Fut: Future<Output = ()>,
    {
        case(self.store.clone(), self.raw.clone()).await;
        self.finish().await;
    }

    /// Runs a case that also opens second handles on the same database (a restarted server).
    pub(crate) async fn run_reopen<F, Fut>(self, case: F)
    where
        F: FnOnce(Store, Raw, Reopen) -> Fut,
        Fut: Future<Output = ()>,
    {
        let reopen = match &self.place {
            Place::Sqlite(dir) => Reopen::Sqlite(format!("sqlite://{}/t.db", dir.path().display())),
            Place::Postgres(schema) => Reopen::Postgres(schema.url.clone(), schema.name.clone()),
        };
        case(self.store.clone(), self.raw.clone(), reopen).await;
        self.finish().await;
    }

    /// Reached only when the case passed: a failed test leaves its schema behind to look at.
    async fn finish(self) {
        self.store.close().await;
        match self.place {
            Place::Sqlite(_dir) => {}
            Place::Postgres(schema) => schema.drop().await,
        }
    }
}

/// How to open another handle on a test's database: what a restarted server does.
#[derive(Debug, Clone)]
pub(crate) enum Reopen {
    Sqlite(String),
    Postgres(String, String),
}

impl Reopen {
    /// A new, still locked handle on the same database.
    pub(crate) async fn open(&self) -> Store {
        match self {
            Reopen::Sqlite(url) => Arc::new(SqliteStore::open(url).await.expect("reopen SQLite")),
            Reopen::Postgres(url, schema) => Arc::new(
                store::connect_postgres_in_schema(url, schema)
                    .await
                    .expect("reopen PostgreSQL"),
            ),
        }
    }
}

/// A PostgreSQL schema made for one test.
#[derive(Debug)]
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    async fn create() -> Self {
        let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{POSTGRES_URL_VAR} is not set: the store tests need a PostgreSQL server, for \
                 example {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/test \
                 (run only the SQLite half with `cargo test -p store sqlite`)"
            )
        });
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect to {POSTGRES_URL_VAR}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        conn.close().await.expect("close the admin connection");
        Self { url, name }
    }

    async fn drop(self) {
        let mut conn = PgConnection::connect(&self.url)
            .await
            .expect("reconnect to drop the test schema");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.name
        )))
        .execute(&mut conn)
        .await
        .expect("drop the test schema");
        conn.close().await.expect("close the admin connection");
    }
}

/// The pool under the store, for statements the repository would never run.
#[derive(Debug, Clone)]
pub(crate) enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$raw` holds; the body is compiled once
/// per backend, so the same statement text serves both.
macro_rules! with_pool {
    ($raw:expr, |$pool:ident| $body:expr) => {
        match $raw {
            Raw::Sqlite($pool) => $body,
            Raw::Postgres($pool) => $body,
        }
    };
}

impl Raw {
    /// Runs one statement whose only parameter, `$1`, is the tenant id; returns rows affected.
    pub(crate) async fn execute(
        &self,
        sql: &'static str,
        tenant: TenantId,
    ) -> Result<u64, sqlx::Error> {
        with_pool!(self, |pool| Ok(sqlx::query(sql)
            .bind(tenant.to_string())
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// The text values of a one-column query whose only parameter, `$1`, is the tenant id.
    pub(crate) async fn texts(&self, sql: &'static str, tenant: TenantId) -> Vec<String> {
        with_pool!(self, |pool| sqlx::query_as::<_, (String,)>(sql)
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await
            .expect("raw query")
            .into_iter()
            .map(|(t,)| t)
            .collect())
    }

    /// What an attacker with database access does first: removes the append-only guard.
    pub(crate) async fn drop_audit_triggers(&self) {
        match self {
            Raw::Sqlite(pool) => {
                for sql in [
                    "DROP TRIGGER audit_log_no_update",
                    "DROP TRIGGER audit_log_no_delete",
                ] {
                    sqlx::query(sql).execute(pool).await.expect(sql);
                }
            }
            Raw::Postgres(pool) => {
                let sql = "DROP TRIGGER audit_log_append_only ON audit_log";
                sqlx::query(sql).execute(pool).await.expect(sql);
            }
        }
    }

    /// Overwrites every column but the tenant and `seq` of the row at `seq` with `entry`'s.
    pub(crate) async fn overwrite_audit_row(&self, seq: i64, entry: &AuditEntry) {
        let sql = "UPDATE audit_log SET id = $3, at = $4, actor_kind = $5, actor_id = $6, \
                   auth_method = $7, source_ip = $8, request_id = $9, action = $10, \
                   object_type = $11, object_id = $12, outcome = $13, prev_hash = $14, hash = $15 \
                   WHERE tenant_id = $1 AND seq = $2";
        let event = &entry.event;
        let affected = with_pool!(self, |pool| sqlx::query(sql)
            .bind(entry.tenant_id.to_string())
            .bind(seq)
            .bind(entry.id.to_string())
            .bind(entry.at.millis())
            .bind(event.actor_kind.as_str())
            .bind(event.actor_id.clone())
            .bind(event.auth_method.as_str())
            .bind(event.source_ip.clone())
            .bind(event.request_id.map(|r| r.to_string()))
            .bind(event.action.clone())
            .bind(event.object_type.clone())
            .bind(event.object_id.clone())
            .bind(event.outcome.as_str())
            .bind(entry.prev_hash.clone())
            .bind(entry.hash.clone())
            .execute(pool)
            .await
            .expect("overwrite an audit row")
            .rows_affected());
        assert_eq!(affected, 1, "no audit row at seq {seq}");
    }
}

// ---- builders ----

/// A tenant created at [`T0`].
pub(crate) fn tenant(name: &str) -> Tenant {
    Tenant {
        id: TenantId::from_random_bytes(random_bytes()),
        name: TenantName::parse(name).expect("valid tenant name"),
        created_at: T0,
        disabled_at: None,
    }
}

/// A fresh user of `tenant` (no second factor, nothing to change) created at [`T0`].
pub(crate) fn user(tenant: TenantId, username: &str, role: Role) -> User {
    User {
        tenant_id: tenant,
        id: UserId::from_random_bytes(random_bytes()),
        username: Username::parse(username).expect("valid username"),
        display_name: DisplayName::parse(&format!("The {username}")).expect("valid display name"),
        role,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}"),
        must_change_password: false,
        totp_secret: None,
        totp_enrolled: false,
        totp_last_step: None,
        disabled: false,
        created_at: T0,
        updated_at: T0,
    }
}

/// Creates a tenant with an admin called `admin`; returns both.
pub(crate) async fn create_tenant(store: &Store, name: &str, admin: &str) -> (Tenant, User) {
    let tenant = tenant(name);
    let admin = user(tenant.id, admin, Role::Admin);
    store
        .create_tenant_with_admin(&tenant, &admin)
        .await
        .expect("create tenant with admin");
    (tenant, admin)
}

/// Adds a user with `role` to an existing tenant.
pub(crate) async fn add_user(store: &Store, tenant: TenantId, username: &str, role: Role) -> User {
    let user = user(tenant, username, role);
    store.insert_user(tenant, &user).await.expect("insert user");
    user
}

/// A full session of `user`, created and last seen at [`T0`], ending eight hours later.
/// An agent's SIP account named `sip-{name}` (its HA1 is a placeholder: the store does not
/// compute it).
pub(crate) fn sip_account(tenant: TenantId, user: UserId, name: &str) -> store::SipAccount {
    store::SipAccount {
        tenant_id: tenant,
        user_id: user,
        username: format!("sip-{name}"),
        ha1: format!("{:032x}", name.len()),
        realm: "hotline".to_owned(),
        created_at: T0,
        updated_at: T0,
    }
}

pub(crate) fn session(user: &User, token_hash: &str) -> Session {
    Session {
        tenant_id: user.tenant_id,
        token_hash: token_hash.to_owned(),
        user_id: user.id,
        stage: SessionStage::Full,
        auth_method: AuthMethod::Totp,
        csrf_token: format!("csrf-{token_hash}"),
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0.plus_millis(8 * HOUR),
    }
}

/// An unrevoked, unused integrator key of `tenant` created at `created_at`.
pub(crate) fn api_key(
    tenant: TenantId,
    name: &str,
    created_by: Option<UserId>,
    created_at: Timestamp,
) -> ApiKey {
    ApiKey {
        tenant_id: tenant,
        id: ApiKeyId::from_random_bytes(random_bytes()),
        name: DisplayName::parse(name).expect("valid key name"),
        role: Role::Integrator,
        secret_hash: format!("sha256-of-{name}"),
        created_by,
        created_at,
        revoked_at: None,
        last_used_at: None,
    }
}

/// A fresh audit entry id.
pub(crate) fn entry_id() -> AuditEntryId {
    AuditEntryId::from_random_bytes(random_bytes())
}

/// A successful action by a signed-in user, with every optional field present.
pub(crate) fn event(action: &str) -> AuditEvent {
    AuditEvent {
        actor_kind: ActorKind::User,
        actor_id: Some(UserId::from_random_bytes(random_bytes()).to_string()),
        auth_method: AuthMethod::Session,
        source_ip: Some("192.0.2.7".to_owned()),
        request_id: Some(RequestId::from_random_bytes(random_bytes())),
        action: action.to_owned(),
        object_type: Some("user".to_owned()),
        object_id: Some(UserId::from_random_bytes(random_bytes()).to_string()),
        outcome: Outcome::Success,
    }
}

/// Appends `count` events (`test.1`, `test.2`, …), one second apart from [`T0`].
pub(crate) async fn append_events(store: &Store, tenant: TenantId, count: i64) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    for n in 1..=count {
        let entry = store
            .append_audit(
                tenant,
                entry_id(),
                T0.plus_secs(n),
                &event(&format!("test.{n}")),
            )
            .await
            .expect("append audit entry");
        entries.push(entry);
    }
    entries
}

/// The tenant's whole chain, read oldest first in small pages as a verifier would, and the
/// separately recorded head.
pub(crate) async fn read_chain(
    store: &Store,
    tenant: TenantId,
) -> (Vec<AuditEntry>, Option<(i64, String)>) {
    let mut entries: Vec<AuditEntry> = Vec::new();
    loop {
        let after = entries.last().map_or(0, |e| e.seq);
        let page = store
            .audit_page_ascending(tenant, after, 2)
            .await
            .expect("read an audit page");
        if page.is_empty() {
            break;
        }
        entries.extend(page);
    }
    let head = store.audit_head(tenant).await.expect("read the audit head");
    (entries, head)
}

/// Reads the tenant's chain back and verifies it against the recorded head.
pub(crate) async fn verify(store: &Store, tenant: TenantId) -> Result<VerifiedChain, ChainBreak> {
    let (entries, head) = read_chain(store, tenant).await;
    let head = head.unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
    security::audit::verify_chain(&entries, Some((head.0, head.1.as_str())))
}
