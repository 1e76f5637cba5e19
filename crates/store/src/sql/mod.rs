//! The SQL implementation of [`Repository`](crate::Repository) for both backends.
//!
//! Every statement is written once, in the module of its aggregate (`users`, `sessions`,
//! `audit`, `flows`, `conversations`, …), as a method of [`Sql`], and runs on SQLite and on
//! PostgreSQL alike (`$1`-style parameters work on both). [`on_backend!`] compiles such a body
//! once per backend, with `pool` bound to that backend's pool, so the two cannot drift apart.
//! The few real differences between the dialects are methods of [`Sql`]: how a write
//! transaction begins ([`Sql::begin_write`]) and how usernames sort ([`Sql::username_order`]).
//! `repository` maps the trait's methods onto these.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Pool, Postgres, Sqlite, SqlitePool};
use tokio::sync::{Semaphore, SemaphorePermit};

pub use self::messaging::DeliveryUpdate;
pub use self::privacy::Erased;
use crate::vault::Vault;
use crate::{Result, Store, StoreError};

/// Runs `$body` on whichever backend `$db` (a `&DbPool`) holds, with `$pool` bound to its
/// pool: one body of code, compiled once for SQLite and once for PostgreSQL. Invoked with
/// expression arguments only, so that rustfmt formats every call.
macro_rules! on_backend {
    ($db:expr, $pool:ident, $body:expr) => {
        match $db {
            $crate::sql::DbPool::Sqlite($pool) => $body,
            $crate::sql::DbPool::Postgres($pool) => $body,
        }
    };
}

mod api_keys;
mod audit;
mod backup_codes;
mod contact_centre;
mod conversations;
mod flows;
mod keys;
mod messaging;
mod phone_numbers;
mod privacy;
mod prompts;
mod proxy;
mod repository;
mod sessions;
mod sip_accounts;
mod steps;
mod sweep;
mod tenants;
mod timers;
mod users;
mod widgets;

/// A store on one backend: [`SqliteStore`] (the embedded default) or [`PostgresStore`]
/// (cluster mode). Both run the same code; the type parameter only says which pool
/// [`SqlStore::pool`] hands to tests.
pub struct SqlStore<DB: sqlx::Database> {
    /// The pool, typed for [`SqlStore::pool`].
    pool: Pool<DB>,
    /// The same pool, as the statements see it.
    db: DbPool,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of in SQLite's
    /// busy handler, whose sleeping back-off turns many concurrent writers into a convoy
    /// (seconds of latency under a call load). PostgreSQL serialises conflicting writers
    /// itself; its gate lets every writer through.
    write_gate: Arc<Semaphore>,
    /// The key that signs audit chain heads, once the server has set it.
    audit_key: Arc<std::sync::OnceLock<Vec<u8>>>,
    /// The root key and the tenant keys, once the server has unlocked the store: personal
    /// data is neither read nor written before.
    vault: Arc<std::sync::OnceLock<Vault>>,
}

/// The SQLite store (embedded default).
pub type SqliteStore = SqlStore<Sqlite>;

/// The PostgreSQL store (cluster mode).
pub type PostgresStore = SqlStore<Postgres>;

impl<DB: sqlx::Database> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            db: self.db.clone(),
            write_gate: Arc::clone(&self.write_gate),
            audit_key: Arc::clone(&self.audit_key),
            vault: Arc::clone(&self.vault),
        }
    }
}

impl<DB: sqlx::Database> SqlStore<DB> {
    /// The pool underneath, for tests that must tamper with rows directly.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The handle the statements run through.
    /// Sets the key that signs audit chain heads (once; later calls change nothing).
    pub(crate) fn set_audit_key(&self, key: Vec<u8>) {
        let _ = self.audit_key.set(key);
    }

    /// Unlocks the store with the root key: checks it against the database's root-key check
    /// (writing the check on a database that has none) and keeps it. `Ok(true)`: the check
    /// was written now. A second unlock changes nothing.
    pub(crate) async fn unlock(&self, root: security::crypto::Key) -> Result<bool> {
        let first = self.sql().check_root_key(&root).await?;
        let _ = self.vault.set(Vault::new(root));
        Ok(first)
    }

    fn sql(&self) -> Sql<'_> {
        Sql {
            db: &self.db,
            write_gate: &self.write_gate,
            audit_key: self.audit_key.get().map(Vec::as_slice),
            vault: self.vault.get(),
        }
    }
}

impl SqlStore<Sqlite> {
    /// Opens (creating if needed) the SQLite database at `url`, in WAL mode with
    /// `synchronous=FULL`, so an acknowledged write survives a power cut.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::Database)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self {
            db: DbPool::Sqlite(pool.clone()),
            pool,
            write_gate: Arc::new(Semaphore::new(1)),
            audit_key: Arc::default(),
            vault: Arc::default(),
        })
    }
}

impl SqlStore<Postgres> {
    /// Connects to PostgreSQL.
    pub async fn open(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self {
            db: DbPool::Postgres(pool.clone()),
            pool,
            write_gate: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            audit_key: Arc::default(),
            vault: Arc::default(),
        })
    }
}

/// The SQLite URL for the database file inside a data directory.
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("hotline.db").display())
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://…`.
pub async fn connect(url: &str) -> Result<Store> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::Database)?;
        Ok(Arc::new(PostgresStore::open(options).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Opens PostgreSQL with every connection's `search_path` set to `schema` (which must
/// exist). Tests use this to give each test its own schema.
pub async fn connect_postgres_in_schema(url: &str, schema: &str) -> Result<PostgresStore> {
    let options = PgConnectOptions::from_str(url)
        .map_err(StoreError::Database)?
        .options([("search_path", schema)]);
    PostgresStore::open(options).await
}

/// The pool of whichever backend is configured; [`on_backend!`] matches on it.
#[derive(Debug, Clone)]
enum DbPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What every statement needs: the pool, and the gate writers queue at. Each aggregate's
/// module adds its statements as methods.
#[derive(Debug, Clone, Copy)]
struct Sql<'a> {
    db: &'a DbPool,
    write_gate: &'a Semaphore,
    audit_key: Option<&'a [u8]>,
    vault: Option<&'a Vault>,
}

impl<'a> Sql<'a> {
    /// A turn at writing, for the statements that must not wait in SQLite's busy handler
    /// (transactions, and hot single writes). Fails once the store is closed.
    async fn writer(self) -> Result<SemaphorePermit<'a>> {
        self.write_gate
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)
    }

    /// The statement that opens a write transaction. SQLite's `BEGIN IMMEDIATE` takes the
    /// write lock up front, so a transaction never fails half-way on an upgrade to writer;
    /// PostgreSQL locks rows as it touches them.
    fn begin_write(self) -> &'static str {
        match self.db {
            DbPool::Sqlite(_) => "BEGIN IMMEDIATE",
            DbPool::Postgres(_) => "BEGIN",
        }
    }

    /// Orders users by the bytes of their name on both backends. SQLite compares text
    /// bytewise already; PostgreSQL uses the database's collation, under which a locale such
    /// as en_US sorts `a_d` before `a-b`, so the same query would list users in another order.
    fn username_order(self) -> &'static str {
        match self.db {
            DbPool::Sqlite(_) => "username",
            DbPool::Postgres(_) => "username COLLATE \"C\"",
        }
    }
}

/// Reads a stored text into a domain type; text it refuses makes the row corrupt.
fn parse<T>(text: &str, what: &'static str) -> Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| StoreError::corrupt(what, e))
}

/// Clamps a page size to 1..=1000.
fn limit_i64(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 1000))
}
