//! The two SQL implementations of [`Repository`], generated from one body by
//! `impl_repository!` so that SQLite and PostgreSQL run the very same statements.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use domain::{
    ActorKind, ApiKeyId, AuditEntry, AuditEntryId, AuditEvent, AuthMethod, ConversationId,
    DisplayName, FlowId, Outcome, RequestId, Role, TenantId, TenantName, Timestamp, UserId,
    Username,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, PgPool, SqlitePool};

use crate::{
    ApiKey, Backend, BackupCode, Conversation, ConversationStatus, DueTimer, FlowRecord,
    FlowVersion, Message, PhoneNumber, QueueEntry, Repository, Result, Session, SessionStage,
    StepWrite, Store, StoreError, Tenant, User, UserChanges, Widget,
};

/// The SQLite implementation (embedded default).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of in SQLite's
    /// busy handler, whose sleeping back-off turns many concurrent writers into a convoy
    /// (seconds of latency under a call load).
    write_gate: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The PostgreSQL implementation (cluster mode).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// PostgreSQL serialises conflicting writers itself; the gate lets every writer through.
    write_gate: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The SQLite URL for the database file inside a data directory.
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("hotline.db").display())
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://…`.
pub async fn connect(url: &str) -> Result<Store> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::Database)?;
        Ok(std::sync::Arc::new(PostgresStore::open(options).await?))
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

impl SqliteStore {
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
            pool,
            write_gate: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// The pool underneath, for tests that must tamper with rows directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl PostgresStore {
    /// Connects to PostgreSQL.
    pub async fn open(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            write_gate: std::sync::Arc::new(tokio::sync::Semaphore::new(
                tokio::sync::Semaphore::MAX_PERMITS,
            )),
        })
    }

    /// The pool underneath, for tests that must tamper with rows directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

// ---- rows: plain column types shared by both backends, converted to domain types ----

fn parse<T>(text: &str, what: &'static str) -> Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| StoreError::corrupt(what, e))
}

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

#[derive(FromRow)]
struct AuditRow {
    tenant_id: String,
    seq: i64,
    id: String,
    at: i64,
    actor_kind: String,
    actor_id: Option<String>,
    auth_method: String,
    source_ip: Option<String>,
    request_id: Option<String>,
    action: String,
    object_type: Option<String>,
    object_id: Option<String>,
    outcome: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            seq: self.seq,
            id: parse::<AuditEntryId>(&self.id, "audit id")?,
            at: Timestamp::from_millis(self.at),
            event: AuditEvent {
                actor_kind: parse::<ActorKind>(&self.actor_kind, "actor kind")?,
                actor_id: self.actor_id,
                auth_method: parse::<AuthMethod>(&self.auth_method, "auth method")?,
                source_ip: self.source_ip,
                request_id: self
                    .request_id
                    .as_deref()
                    .map(|s| parse::<RequestId>(s, "request id"))
                    .transpose()?,
                action: self.action,
                object_type: self.object_type,
                object_id: self.object_id,
                outcome: parse::<Outcome>(&self.outcome, "outcome")?,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

#[derive(FromRow)]
struct FlowRow {
    tenant_id: String,
    id: String,
    name: String,
    draft: String,
    active_version: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl FlowRow {
    fn into_flow(self) -> Result<FlowRecord> {
        Ok(FlowRecord {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse::<FlowId>(&self.id, "flow id")?,
            name: self.name,
            draft: self.draft,
            active_version: self.active_version,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

#[derive(FromRow)]
struct FlowVersionRow {
    tenant_id: String,
    flow_id: String,
    version: i64,
    source: String,
    created_by: Option<String>,
    created_at: i64,
}

impl FlowVersionRow {
    fn into_version(self) -> Result<FlowVersion> {
        Ok(FlowVersion {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            flow_id: parse::<FlowId>(&self.flow_id, "flow id")?,
            version: self.version,
            source: self.source,
            created_by: self
                .created_by
                .as_deref()
                .map(|s| parse::<UserId>(s, "user id"))
                .transpose()?,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

#[derive(FromRow)]
struct PhoneNumberRow {
    number: String,
    tenant_id: String,
    flow_id: Option<String>,
    language: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl PhoneNumberRow {
    fn into_number(self) -> Result<PhoneNumber> {
        Ok(PhoneNumber {
            number: self.number,
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            flow_id: self
                .flow_id
                .as_deref()
                .map(|s| parse::<FlowId>(s, "flow id"))
                .transpose()?,
            language: self.language,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

#[derive(FromRow)]
struct WidgetRow {
    id: String,
    tenant_id: String,
    name: String,
    flow_id: Option<String>,
    title: String,
    primary_color: String,
    greeting: String,
    allowed_origins: String,
    created_at: i64,
    updated_at: i64,
}

impl WidgetRow {
    fn into_widget(self) -> Result<Widget> {
        Ok(Widget {
            id: self.id,
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            name: self.name,
            flow_id: self
                .flow_id
                .as_deref()
                .map(|s| parse::<FlowId>(s, "flow id"))
                .transpose()?,
            title: self.title,
            primary_color: self.primary_color,
            greeting: self.greeting,
            allowed_origins: serde_json::from_str(&self.allowed_origins)
                .map_err(|e| StoreError::corrupt("allowed origins", e))?,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

#[derive(FromRow)]
struct ConversationRow {
    tenant_id: String,
    id: String,
    channel: String,
    widget_id: Option<String>,
    flow_id: String,
    flow_version: i64,
    session_hash: String,
    state: String,
    status: String,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
}

impl ConversationRow {
    fn into_conversation(self) -> Result<Conversation> {
        Ok(Conversation {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse::<ConversationId>(&self.id, "conversation id")?,
            channel: self.channel,
            widget_id: self.widget_id,
            flow_id: parse::<FlowId>(&self.flow_id, "flow id")?,
            flow_version: self.flow_version,
            session_hash: self.session_hash,
            state: self.state,
            status: ConversationStatus::parse(&self.status).ok_or(StoreError::Corrupt {
                what: "status",
                source: None,
            })?,
            last_seq: self.last_seq,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

#[derive(FromRow)]
struct MessageRow {
    seq: i64,
    sender: String,
    body: String,
    choices: Option<String>,
    client_id: Option<String>,
    at: i64,
}

impl MessageRow {
    fn into_message(self) -> Message {
        Message {
            seq: self.seq,
            sender: self.sender,
            body: domain::Redacted::new(self.body),
            choices: self.choices,
            client_id: self.client_id,
            at: Timestamp::from_millis(self.at),
        }
    }
}

#[derive(FromRow)]
struct QueueRow {
    conversation_id: String,
    queue: String,
    priority: i64,
    context: String,
    enqueued_at: i64,
}

impl QueueRow {
    fn into_entry(self) -> Result<QueueEntry> {
        Ok(QueueEntry {
            conversation_id: parse::<ConversationId>(&self.conversation_id, "conversation id")?,
            queue: self.queue,
            priority: self.priority,
            context: self.context,
            enqueued_at: Timestamp::from_millis(self.enqueued_at),
        })
    }
}

const FLOW_COLUMNS: &str = "tenant_id, id, name, draft, active_version, created_at, updated_at";
/// The INSERT of a conversation row, bound, for either backend (a plain insert, and the first
/// step of a new conversation, use the same statement).
fn insert_conversation_query<'q, DB>(
    c: &'q Conversation,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO conversations (tenant_id, id, channel, widget_id, flow_id, flow_version, \
         session_hash, state, status, last_seq, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(c.tenant_id.to_string())
    .bind(c.id.to_string())
    .bind(c.channel.clone())
    .bind(c.widget_id.clone())
    .bind(c.flow_id.to_string())
    .bind(c.flow_version)
    .bind(c.session_hash.clone())
    .bind(c.state.clone())
    .bind(c.status.as_str())
    .bind(c.last_seq)
    .bind(c.created_at.millis())
    .bind(c.updated_at.millis())
}

const PHONE_NUMBER_COLUMNS: &str = "number, tenant_id, flow_id, language, created_at, updated_at";
const WIDGET_COLUMNS: &str = "id, tenant_id, name, flow_id, title, primary_color, greeting, allowed_origins, created_at, updated_at";
const CONVERSATION_COLUMNS: &str = "tenant_id, id, channel, widget_id, flow_id, flow_version, session_hash, \
     state, status, last_seq, created_at, updated_at";

const USER_COLUMNS: &str = "tenant_id, id, username, display_name, role, password_hash, must_change_password, \
     totp_secret, totp_enrolled, totp_last_step, disabled, created_at, updated_at";

const INSERT_USER: &str = "INSERT INTO users (tenant_id, id, username, display_name, role, password_hash, \
     must_change_password, totp_secret, totp_enrolled, totp_last_step, disabled, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

const AUDIT_COLUMNS: &str = "tenant_id, seq, id, at, actor_kind, actor_id, auth_method, source_ip, request_id, \
     action, object_type, object_id, outcome, prev_hash, hash";

const SESSION_COLUMNS: &str = "tenant_id, token_hash, user_id, stage, auth_method, csrf_token, created_at, last_seen_at, expires_at";

const API_KEY_COLUMNS: &str =
    "tenant_id, id, name, role, secret_hash, created_by, created_at, revoked_at, last_used_at";

fn limit_i64(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 1000))
}

/// Binds a user's columns in `INSERT_USER` order.
macro_rules! bind_user {
    ($query:expr, $user:expr) => {
        $query
            .bind($user.tenant_id.to_string())
            .bind($user.id.to_string())
            .bind($user.username.as_str().to_owned())
            .bind($user.display_name.as_str().to_owned())
            .bind($user.role.as_str())
            .bind($user.password_hash.clone())
            .bind($user.must_change_password)
            .bind($user.totp_secret.clone())
            .bind($user.totp_enrolled)
            .bind($user.totp_last_step)
            .bind($user.disabled)
            .bind($user.created_at.millis())
            .bind($user.updated_at.millis())
    };
}

macro_rules! impl_repository {
    ($store:ty, $backend:expr, $migrator:expr, $begin_write:expr, $username_order:expr) => {
        #[async_trait::async_trait]
        impl Repository for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn migrate(&self) -> Result<()> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                // Writers waiting for their turn learn at once that none will come.
                self.write_gate.close();
                self.pool.close().await;
            }

            async fn create_tenant_with_admin(&self, tenant: &Tenant, admin: &User) -> Result<()> {
                // The same guard as `insert_user`: without it an admin naming another, existing
                // tenant would be written into that tenant.
                if admin.tenant_id != tenant.id {
                    return Err(StoreError::WrongTenant { what: "user" });
                }
                let _writer = self.write_gate.acquire().await.map_err(|_| StoreError::Closed)?;
                let mut tx = self.pool.begin_with($begin_write).await?;
                sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(tenant.id.to_string())
                    .bind(tenant.name.as_str().to_owned())
                    .bind(tenant.created_at.millis())
                    .execute(&mut *tx)
                    .await?;
                bind_user!(sqlx::query(INSERT_USER), admin).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_tenants(&self) -> Result<Vec<Tenant>> {
                sqlx::query_as::<_, TenantRow>("SELECT id, name, created_at FROM tenants ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(TenantRow::into_tenant)
                    .collect()
            }

            async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>> {
                sqlx::query_as::<_, TenantRow>("SELECT id, name, created_at FROM tenants WHERE id = $1")
                    .bind(tenant.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .map(TenantRow::into_tenant)
                    .transpose()
            }

            async fn find_login(&self, username: &Username) -> Result<Option<(TenantId, UserId)>> {
                let row: Option<(String, String)> =
                    sqlx::query_as("SELECT tenant_id, id FROM users WHERE username = $1")
                        .bind(username.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(|(t, u)| Ok((parse(&t, "tenant id")?, parse(&u, "user id")?))).transpose()
            }

            async fn insert_user(&self, tenant: TenantId, user: &User) -> Result<()> {
                if user.tenant_id != tenant {
                    return Err(StoreError::WrongTenant { what: "user" });
                }
                bind_user!(sqlx::query(INSERT_USER), user)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| match StoreError::from(e) {
                        StoreError::Conflict(_) => StoreError::Conflict("username"),
                        other => other,
                    })?;
                Ok(())
            }

            async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>> {
                sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
                )))
                .bind(tenant.to_string())
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(UserRow::into_user)
                .transpose()
            }

            async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>> {
                sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY {}",
                    $username_order
                )))
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(UserRow::into_user)
                .collect()
            }

            async fn update_user(
                &self,
                tenant: TenantId,
                user: UserId,
                changes: &UserChanges,
                now: Timestamp,
            ) -> Result<Option<User>> {
                let updated = sqlx::query(
                    "UPDATE users SET display_name = COALESCE($3, display_name), role = COALESCE($4, role), \
                     disabled = COALESCE($5, disabled), updated_at = $6 WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(changes.display_name.as_ref().map(|d| d.as_str().to_owned()))
                .bind(changes.role.map(|r| r.as_str()))
                .bind(changes.disabled)
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(None);
                }
                self.get_user(tenant, user).await
            }

            async fn set_password(
                &self,
                tenant: TenantId,
                user: UserId,
                password_hash: &str,
                must_change: bool,
                now: Timestamp,
            ) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE users SET password_hash = $3, must_change_password = $4, updated_at = $5 \
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(password_hash.to_owned())
                .bind(must_change)
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn set_totp_secret(
                &self,
                tenant: TenantId,
                user: UserId,
                secret: Option<&str>,
                now: Timestamp,
            ) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE users SET totp_secret = $3, totp_enrolled = $4, totp_last_step = NULL, updated_at = $5 \
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(secret.map(str::to_owned))
                .bind(false)
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn confirm_totp(&self, tenant: TenantId, user: UserId, step: i64, now: Timestamp) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE users SET totp_enrolled = $3, totp_last_step = $4, updated_at = $5 \
                     WHERE tenant_id = $1 AND id = $2 AND totp_secret IS NOT NULL \
                     AND (totp_last_step IS NULL OR totp_last_step < $4)",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(true)
                .bind(step)
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn advance_totp_step(&self, tenant: TenantId, user: UserId, step: i64) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE users SET totp_last_step = $3 WHERE tenant_id = $1 AND id = $2 \
                     AND (totp_last_step IS NULL OR totp_last_step < $3)",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(step)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn replace_backup_codes(&self, tenant: TenantId, user: UserId, hashes: &[String]) -> Result<()> {
                let _writer = self.write_gate.acquire().await.map_err(|_| StoreError::Closed)?;
                let mut tx = self.pool.begin_with($begin_write).await?;
                sqlx::query("DELETE FROM backup_codes WHERE tenant_id = $1 AND user_id = $2")
                    .bind(tenant.to_string())
                    .bind(user.to_string())
                    .execute(&mut *tx)
                    .await?;
                for (ordinal, hash) in hashes.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO backup_codes (tenant_id, user_id, ordinal, code_hash, used_at) \
                         VALUES ($1, $2, $3, $4, NULL)",
                    )
                    .bind(tenant.to_string())
                    .bind(user.to_string())
                    .bind(i64::try_from(ordinal).unwrap_or(i64::MAX))
                    .bind(hash.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn unused_backup_codes(&self, tenant: TenantId, user: UserId) -> Result<Vec<BackupCode>> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT ordinal, code_hash FROM backup_codes \
                     WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL ORDER BY ordinal",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(ordinal, code_hash)| BackupCode { ordinal, code_hash }).collect())
            }

            async fn use_backup_code(
                &self,
                tenant: TenantId,
                user: UserId,
                ordinal: i64,
                now: Timestamp,
            ) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE backup_codes SET used_at = $4 \
                     WHERE tenant_id = $1 AND user_id = $2 AND ordinal = $3 AND used_at IS NULL",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(ordinal)
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn insert_session(&self, session: &Session) -> Result<()> {
                sqlx::query(
                    "INSERT INTO sessions (tenant_id, token_hash, user_id, stage, auth_method, csrf_token, \
                     created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_session(&self, tenant: TenantId, token_hash: &str) -> Result<Option<Session>> {
                sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE tenant_id = $1 AND token_hash = $2"
                )))
                .bind(tenant.to_string())
                .bind(token_hash.to_owned())
                .fetch_optional(&self.pool)
                .await?
                .map(SessionRow::into_session)
                .transpose()
            }

            async fn touch_session(&self, tenant: TenantId, token_hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query(
                    "UPDATE sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND token_hash = $2 \
                     AND last_seen_at < $3",
                )
                .bind(tenant.to_string())
                .bind(token_hash.to_owned())
                .bind(now.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_session(&self, tenant: TenantId, token_hash: &str) -> Result<bool> {
                let n = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND token_hash = $2")
                    .bind(tenant.to_string())
                    .bind(token_hash.to_owned())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn delete_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                    .bind(tenant.to_string())
                    .bind(user.to_string())
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn delete_expired_sessions(
                &self,
                tenant: TenantId,
                now: Timestamp,
                idle_cutoff: Timestamp,
            ) -> Result<u64> {
                Ok(sqlx::query(
                    "DELETE FROM sessions WHERE tenant_id = $1 AND (expires_at <= $2 OR last_seen_at < $3)",
                )
                .bind(tenant.to_string())
                .bind(now.millis())
                .bind(idle_cutoff.millis())
                .execute(&self.pool)
                .await?
                .rows_affected())
            }

            async fn insert_api_key(&self, key: &ApiKey) -> Result<()> {
                sqlx::query(
                    "INSERT INTO api_keys (tenant_id, id, name, role, secret_hash, created_by, created_at, \
                     revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_api_key(&self, tenant: TenantId, key: ApiKeyId) -> Result<Option<ApiKey>> {
                sqlx::query_as::<_, ApiKeyRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2"
                )))
                .bind(tenant.to_string())
                .bind(key.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(ApiKeyRow::into_key)
                .transpose()
            }

            async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>> {
                sqlx::query_as::<_, ApiKeyRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id"
                )))
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(ApiKeyRow::into_key)
                .collect()
            }

            async fn revoke_api_key(&self, tenant: TenantId, key: ApiKeyId, now: Timestamp) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind(tenant.to_string())
                .bind(key.to_string())
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn touch_api_key(&self, tenant: TenantId, key: ApiKeyId, now: Timestamp) -> Result<()> {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2 \
                     AND (last_used_at IS NULL OR last_used_at < $3)",
                )
                .bind(tenant.to_string())
                .bind(key.to_string())
                .bind(now.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn append_audit(
                &self,
                tenant: TenantId,
                id: AuditEntryId,
                at: Timestamp,
                event: &AuditEvent,
            ) -> Result<AuditEntry> {
                let _writer = self.write_gate.acquire().await.map_err(|_| StoreError::Closed)?;
                let mut tx = self.pool.begin_with($begin_write).await?;
                // Claim the head first: on PostgreSQL this locks the tenant's head row, on SQLite
                // the write lock is held from BEGIN IMMEDIATE; either way appends serialise.
                sqlx::query(
                    "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) \
                     ON CONFLICT (tenant_id) DO NOTHING",
                )
                .bind(tenant.to_string())
                .bind(security::audit::GENESIS_HASH)
                .execute(&mut *tx)
                .await?;
                let (seq, prev_hash): (i64, String) = sqlx::query_as(
                    "UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash",
                )
                .bind(tenant.to_string())
                .fetch_one(&mut *tx)
                .await?;
                let entry = security::audit::seal(tenant, seq, id, at, event.clone(), prev_hash);
                sqlx::query(
                    "INSERT INTO audit_log (tenant_id, seq, id, at, actor_kind, actor_id, auth_method, source_ip, \
                     request_id, action, object_type, object_id, outcome, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(tenant.to_string())
                .bind(entry.seq)
                .bind(entry.id.to_string())
                .bind(entry.at.millis())
                .bind(entry.event.actor_kind.as_str())
                .bind(entry.event.actor_id.clone())
                .bind(entry.event.auth_method.as_str())
                .bind(entry.event.source_ip.clone())
                .bind(entry.event.request_id.map(|r| r.to_string()))
                .bind(entry.event.action.clone())
                .bind(entry.event.object_type.clone())
                .bind(entry.event.object_id.clone())
                .bind(entry.event.outcome.as_str())
                .bind(entry.prev_hash.clone())
                .bind(entry.hash.clone())
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE audit_heads SET hash = $2 WHERE tenant_id = $1")
                    .bind(tenant.to_string())
                    .bind(entry.hash.clone())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn list_audit(
                &self,
                tenant: TenantId,
                before_seq: Option<i64>,
                limit: u32,
            ) -> Result<Vec<AuditEntry>> {
                sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq < $2 \
                     ORDER BY seq DESC LIMIT $3"
                )))
                .bind(tenant.to_string())
                .bind(before_seq.unwrap_or(i64::MAX))
                .bind(limit_i64(limit))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(AuditRow::into_entry)
                .collect()
            }

            async fn audit_page_ascending(
                &self,
                tenant: TenantId,
                after_seq: i64,
                limit: u32,
            ) -> Result<Vec<AuditEntry>> {
                sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 \
                     ORDER BY seq ASC LIMIT $3"
                )))
                .bind(tenant.to_string())
                .bind(after_seq)
                .bind(limit_i64(limit))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(AuditRow::into_entry)
                .collect()
            }

            async fn tenant_allows_private_http(&self, tenant: TenantId) -> Result<bool> {
                let row: Option<(bool,)> = sqlx::query_as("SELECT allow_private_http FROM tenants WHERE id = $1")
                    .bind(tenant.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.is_some_and(|(allow,)| allow))
            }

            async fn set_tenant_allows_private_http(&self, tenant: TenantId, allow: bool) -> Result<()> {
                sqlx::query("UPDATE tenants SET allow_private_http = $2 WHERE id = $1")
                    .bind(tenant.to_string())
                    .bind(allow)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn insert_flow(&self, flow: &FlowRecord) -> Result<()> {
                sqlx::query(
                    "INSERT INTO flows (tenant_id, id, name, draft, active_version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(flow.tenant_id.to_string())
                .bind(flow.id.to_string())
                .bind(flow.name.clone())
                .bind(flow.draft.clone())
                .bind(flow.active_version)
                .bind(flow.created_at.millis())
                .bind(flow.updated_at.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_flow(&self, tenant: TenantId, flow: FlowId) -> Result<Option<FlowRecord>> {
                sqlx::query_as::<_, FlowRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {FLOW_COLUMNS} FROM flows WHERE tenant_id = $1 AND id = $2"
                )))
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(FlowRow::into_flow)
                .transpose()
            }

            async fn list_flows(&self, tenant: TenantId) -> Result<Vec<FlowRecord>> {
                sqlx::query_as::<_, FlowRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {FLOW_COLUMNS} FROM flows WHERE tenant_id = $1 ORDER BY name, id"
                )))
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(FlowRow::into_flow)
                .collect()
            }

            async fn update_flow_draft(
                &self,
                tenant: TenantId,
                flow: FlowId,
                name: &str,
                draft: &str,
                now: Timestamp,
            ) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE flows SET name = $3, draft = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .bind(name.to_owned())
                .bind(draft.to_owned())
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn publish_flow_version(
                &self,
                tenant: TenantId,
                flow: FlowId,
                source: &str,
                by: Option<UserId>,
                now: Timestamp,
            ) -> Result<i64> {
                let _writer = self.write_gate.acquire().await.map_err(|_| StoreError::Closed)?;
                let mut tx = self.pool.begin_with($begin_write).await?;
                // Touch the flow row first: it takes the write lock (SQLite) or row lock
                // (PostgreSQL), so two publishes cannot pick the same version number.
                let touched = sqlx::query("UPDATE flows SET updated_at = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.to_string())
                    .bind(flow.to_string())
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched != 1 {
                    return Err(StoreError::NotFound { what: "flow" });
                }
                let (max,): (Option<i64>,) = sqlx::query_as(
                    "SELECT MAX(version) FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2",
                )
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .fetch_one(&mut *tx)
                .await?;
                let version = max.unwrap_or(0) + 1;
                sqlx::query(
                    "INSERT INTO flow_versions (tenant_id, flow_id, version, source, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .bind(version)
                .bind(source.to_owned())
                .bind(by.map(|u| u.to_string()))
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE flows SET active_version = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.to_string())
                    .bind(flow.to_string())
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(version)
            }

            async fn list_flow_versions(&self, tenant: TenantId, flow: FlowId) -> Result<Vec<FlowVersion>> {
                sqlx::query_as::<_, FlowVersionRow>(
                    "SELECT tenant_id, flow_id, version, source, created_by, created_at FROM flow_versions \
                     WHERE tenant_id = $1 AND flow_id = $2 ORDER BY version DESC",
                )
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(FlowVersionRow::into_version)
                .collect()
            }

            async fn get_flow_version(
                &self,
                tenant: TenantId,
                flow: FlowId,
                version: i64,
            ) -> Result<Option<FlowVersion>> {
                sqlx::query_as::<_, FlowVersionRow>(
                    "SELECT tenant_id, flow_id, version, source, created_by, created_at FROM flow_versions \
                     WHERE tenant_id = $1 AND flow_id = $2 AND version = $3",
                )
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .bind(version)
                .fetch_optional(&self.pool)
                .await?
                .map(FlowVersionRow::into_version)
                .transpose()
            }

            async fn set_active_version(
                &self,
                tenant: TenantId,
                flow: FlowId,
                version: i64,
                now: Timestamp,
            ) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE flows SET active_version = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 \
                     AND EXISTS (SELECT 1 FROM flow_versions v WHERE v.tenant_id = $1 AND v.flow_id = $2 \
                     AND v.version = $3)",
                )
                .bind(tenant.to_string())
                .bind(flow.to_string())
                .bind(version)
                .bind(now.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn resolve_widget(&self, public_id: &str) -> Result<Option<TenantId>> {
                let row: Option<(String,)> = sqlx::query_as("SELECT tenant_id FROM widgets WHERE id = $1")
                    .bind(public_id.to_owned())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(t,)| parse(&t, "tenant id")).transpose()
            }

            async fn insert_widget(&self, widget: &Widget) -> Result<()> {
                sqlx::query(
                    "INSERT INTO widgets (id, tenant_id, name, flow_id, title, primary_color, greeting, \
                     allowed_origins, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(widget.id.clone())
                .bind(widget.tenant_id.to_string())
                .bind(widget.name.clone())
                .bind(widget.flow_id.map(|f| f.to_string()))
                .bind(widget.title.clone())
                .bind(widget.primary_color.clone())
                .bind(widget.greeting.clone())
                .bind(serde_json::to_string(&widget.allowed_origins).unwrap_or_else(|_| "[]".to_owned()))
                .bind(widget.created_at.millis())
                .bind(widget.updated_at.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_widget(&self, tenant: TenantId, id: &str) -> Result<Option<Widget>> {
                sqlx::query_as::<_, WidgetRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {WIDGET_COLUMNS} FROM widgets WHERE tenant_id = $1 AND id = $2"
                )))
                .bind(tenant.to_string())
                .bind(id.to_owned())
                .fetch_optional(&self.pool)
                .await?
                .map(WidgetRow::into_widget)
                .transpose()
            }

            async fn list_widgets(&self, tenant: TenantId) -> Result<Vec<Widget>> {
                sqlx::query_as::<_, WidgetRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {WIDGET_COLUMNS} FROM widgets WHERE tenant_id = $1 ORDER BY name, id"
                )))
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(WidgetRow::into_widget)
                .collect()
            }

            async fn update_widget(&self, widget: &Widget) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE widgets SET name = $3, flow_id = $4, title = $5, primary_color = $6, greeting = $7, \
                     allowed_origins = $8, updated_at = $9 WHERE tenant_id = $1 AND id = $2",
                )
                .bind(widget.tenant_id.to_string())
                .bind(widget.id.clone())
                .bind(widget.name.clone())
                .bind(widget.flow_id.map(|f| f.to_string()))
                .bind(widget.title.clone())
                .bind(widget.primary_color.clone())
                .bind(widget.greeting.clone())
                .bind(serde_json::to_string(&widget.allowed_origins).unwrap_or_else(|_| "[]".to_owned()))
                .bind(widget.updated_at.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn resolve_phone_number(&self, number: &str) -> Result<Option<PhoneNumber>> {
                sqlx::query_as::<_, PhoneNumberRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE number = $1"
                )))
                .bind(number.to_owned())
                .fetch_optional(&self.pool)
                .await?
                .map(PhoneNumberRow::into_number)
                .transpose()
            }

            async fn insert_phone_number(&self, n: &PhoneNumber) -> Result<()> {
                sqlx::query(
                    "INSERT INTO phone_numbers (number, tenant_id, flow_id, language, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(n.number.clone())
                .bind(n.tenant_id.to_string())
                .bind(n.flow_id.map(|f| f.to_string()))
                .bind(n.language.clone())
                .bind(n.created_at.millis())
                .bind(n.updated_at.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_phone_numbers(&self, tenant: TenantId) -> Result<Vec<PhoneNumber>> {
                sqlx::query_as::<_, PhoneNumberRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE tenant_id = $1 ORDER BY number"
                )))
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(PhoneNumberRow::into_number)
                .collect()
            }

            async fn update_phone_number(&self, n: &PhoneNumber) -> Result<bool> {
                let count = sqlx::query(
                    "UPDATE phone_numbers SET flow_id = $3, language = $4, updated_at = $5 \
                     WHERE tenant_id = $1 AND number = $2",
                )
                .bind(n.tenant_id.to_string())
                .bind(n.number.clone())
                .bind(n.flow_id.map(|f| f.to_string()))
                .bind(n.language.clone())
                .bind(n.updated_at.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(count == 1)
            }

            async fn delete_phone_number(&self, tenant: TenantId, number: &str) -> Result<bool> {
                let count = sqlx::query("DELETE FROM phone_numbers WHERE tenant_id = $1 AND number = $2")
                    .bind(tenant.to_string())
                    .bind(number.to_owned())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(count == 1)
            }

            async fn insert_conversation(&self, c: &Conversation) -> Result<()> {
                insert_conversation_query(c).execute(&self.pool).await?;
                Ok(())
            }

            async fn get_conversation(&self, tenant: TenantId, id: ConversationId) -> Result<Option<Conversation>> {
                sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2"
                )))
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(ConversationRow::into_conversation)
                .transpose()
            }

            async fn recent_conversations(&self, tenant: TenantId, limit: i64) -> Result<Vec<Conversation>> {
                sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
                     ORDER BY created_at DESC, id LIMIT $2"
                )))
                .bind(tenant.to_string())
                .bind(limit.clamp(0, 1000))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(ConversationRow::into_conversation)
                .collect()
            }

            async fn find_conversation_by_session(
                &self,
                tenant: TenantId,
                session_hash: &str,
            ) -> Result<Option<Conversation>> {
                sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND session_hash = $2"
                )))
                .bind(tenant.to_string())
                .bind(session_hash.to_owned())
                .fetch_optional(&self.pool)
                .await?
                .map(ConversationRow::into_conversation)
                .transpose()
            }

            async fn save_step(&self, tenant: TenantId, conversation: ConversationId, step: &StepWrite) -> Result<()> {
                let _writer = self.write_gate.acquire().await.map_err(|_| StoreError::Closed)?;
                let mut tx = self.pool.begin_with($begin_write).await?;
                if let Some(c) = &step.create {
                    if c.tenant_id != tenant {
                        return Err(StoreError::WrongTenant { what: "conversation" });
                    }
                    if c.id != conversation {
                        return Err(StoreError::Conflict("conversation step (a different conversation)"));
                    }
                    insert_conversation_query(c).execute(&mut *tx).await?;
                }
                let new_last = step.expected_last_seq + i64::try_from(step.messages.len()).unwrap_or(i64::MAX);
                let n = sqlx::query(
                    "UPDATE conversations SET state = $3, status = $4, last_seq = $5, updated_at = $6 \
                     WHERE tenant_id = $1 AND id = $2 AND last_seq = $7",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(step.state.clone())
                .bind(step.status.as_str())
                .bind(new_last)
                .bind(step.at.millis())
                .bind(step.expected_last_seq)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Err(StoreError::Conflict("conversation step"));
                }
                for (i, m) in step.messages.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO messages (tenant_id, conversation_id, seq, sender, body, choices, client_id, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(tenant.to_string())
                    .bind(conversation.to_string())
                    .bind(step.expected_last_seq + 1 + i64::try_from(i).unwrap_or(0))
                    .bind(m.sender.clone())
                    .bind(m.body.expose().clone())
                    .bind(m.choices.clone())
                    .bind(m.client_id.clone())
                    .bind(m.at.millis())
                    .execute(&mut *tx)
                    .await?;
                }
                for timer in &step.cancel_timers {
                    sqlx::query(
                        "DELETE FROM conversation_timers WHERE tenant_id = $1 AND conversation_id = $2 AND timer_id = $3",
                    )
                    .bind(tenant.to_string())
                    .bind(conversation.to_string())
                    .bind(*timer)
                    .execute(&mut *tx)
                    .await?;
                }
                for (timer, due) in &step.set_timers {
                    sqlx::query(
                        "INSERT INTO conversation_timers (tenant_id, conversation_id, timer_id, due_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, conversation_id, timer_id) \
                         DO UPDATE SET due_at = excluded.due_at",
                    )
                    .bind(tenant.to_string())
                    .bind(conversation.to_string())
                    .bind(*timer)
                    .bind(due.millis())
                    .execute(&mut *tx)
                    .await?;
                }
                if step.dequeue {
                    sqlx::query("DELETE FROM queue_entries WHERE tenant_id = $1 AND conversation_id = $2")
                        .bind(tenant.to_string())
                        .bind(conversation.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(entry) = &step.enqueue {
                    sqlx::query(
                        "INSERT INTO queue_entries (tenant_id, conversation_id, queue, priority, context, enqueued_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET \
                         queue = excluded.queue, priority = excluded.priority, context = excluded.context, \
                         enqueued_at = excluded.enqueued_at",
                    )
                    .bind(tenant.to_string())
                    .bind(conversation.to_string())
                    .bind(entry.queue.clone())
                    .bind(entry.priority)
                    .bind(entry.context.clone())
                    .bind(entry.enqueued_at.millis())
                    .execute(&mut *tx)
                    .await?;
                }
                if step.status == ConversationStatus::Ended {
                    // An ended conversation waits for nothing: its timers would only fire
                    // into it, and no agent may be offered it.
                    sqlx::query("DELETE FROM conversation_timers WHERE tenant_id = $1 AND conversation_id = $2")
                        .bind(tenant.to_string())
                        .bind(conversation.to_string())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM queue_entries WHERE tenant_id = $1 AND conversation_id = $2")
                        .bind(tenant.to_string())
                        .bind(conversation.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn messages_after(
                &self,
                tenant: TenantId,
                conversation: ConversationId,
                after: i64,
                limit: u32,
            ) -> Result<Vec<Message>> {
                Ok(sqlx::query_as::<_, MessageRow>(
                    "SELECT seq, sender, body, choices, client_id, at FROM messages \
                     WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(after)
                .bind(limit_i64(limit))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(MessageRow::into_message)
                .collect())
            }

            async fn find_client_message(
                &self,
                tenant: TenantId,
                conversation: ConversationId,
                client_id: &str,
            ) -> Result<Option<i64>> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT seq FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND client_id = $3",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(client_id.to_owned())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(seq,)| seq))
            }

            async fn due_timers(&self, now: Timestamp, limit: u32) -> Result<Vec<DueTimer>> {
                let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
                    "SELECT tenant_id, conversation_id, timer_id, due_at FROM conversation_timers \
                     WHERE due_at <= $1 ORDER BY due_at LIMIT $2",
                )
                .bind(now.millis())
                .bind(limit_i64(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(t, c, timer_id, due)| {
                        Ok(DueTimer {
                            tenant_id: parse(&t, "tenant id")?,
                            conversation_id: parse(&c, "conversation id")?,
                            timer_id,
                            due_at: Timestamp::from_millis(due),
                        })
                    })
                    .collect()
            }

            async fn take_timer(&self, tenant: TenantId, conversation: ConversationId, timer_id: i64) -> Result<bool> {
                let _writer = self.write_gate.acquire().await.map_err(|_| StoreError::Closed)?;
                let n = sqlx::query(
                    "DELETE FROM conversation_timers WHERE tenant_id = $1 AND conversation_id = $2 AND timer_id = $3",
                )
                .bind(tenant.to_string())
                .bind(conversation.to_string())
                .bind(timer_id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn list_queue(&self, tenant: TenantId, queue: &str) -> Result<Vec<QueueEntry>> {
                sqlx::query_as::<_, QueueRow>(
                    "SELECT conversation_id, queue, priority, context, enqueued_at FROM queue_entries \
                     WHERE tenant_id = $1 AND queue = $2 ORDER BY priority DESC, enqueued_at, conversation_id",
                )
                .bind(tenant.to_string())
                .bind(queue.to_owned())
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(QueueRow::into_entry)
                .collect()
            }

            async fn audit_head(&self, tenant: TenantId) -> Result<Option<(i64, String)>> {
                Ok(sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 AND seq > 0")
                    .bind(tenant.to_string())
                    .fetch_optional(&self.pool)
                    .await?)
            }
        }
    };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

// The last argument orders users by the bytes of their name on both backends. SQLite compares
// text bytewise already; PostgreSQL uses the database's collation, under which a locale such as
// en_US sorts `a_d` before `a-b`, so the same query would list users in another order.
impl_repository!(
    SqliteStore,
    Backend::Sqlite,
    SQLITE_MIGRATIONS,
    "BEGIN IMMEDIATE",
    "username"
);
impl_repository!(
    PostgresStore,
    Backend::Postgres,
    POSTGRES_MIGRATIONS,
    "BEGIN",
    "username COLLATE \"C\""
);
