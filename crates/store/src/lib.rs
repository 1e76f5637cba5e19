//! Hotline's persistence: one [`Repository`] interface with two implementations, SQLite (the
//! embedded default) and PostgreSQL (cluster mode), chosen by the database URL.
//!
//! Both are one type, [`SqlStore`], running one set of SQL statements (`$1`-style parameters
//! work on both), written once per aggregate in `sql/` and compiled for each backend, so they
//! cannot drift apart; only the migrations are written per dialect. Every method that touches
//! tenant data takes the tenant id and puts it in the `WHERE` clause. The few methods above
//! tenants (creating and listing tenants, resolving a login name, a widget or a dialled
//! number, the timer scan) say so in their docs.

mod error;
mod model;
mod sql;
pub mod vault;

use std::sync::Arc;

use domain::{
    ApiKeyId, AuditEntry, AuditEntryId, AuditEvent, ConversationId, FlowId, PrivacySettings,
    TenantId, Timestamp, UserId, Username,
};

pub use domain::ConversationStatus;
pub use error::{ReadError, StoreError};
pub use model::{
    ApiKey, AuditFilter, BackupCode, CannedResponse, CcAgent, CcNote, CcPresenceChange, CcQueue,
    CcTask, CcWrite, Conversation, ConversationFilter, Delivery, DeliveryRoute, DraftSave,
    DueTimer, FlowRecord, FlowVersion, Message, PhoneNumber, Prompt, PromptInfo, ProxyParticipant,
    ProxyRoute, ProxySession, QueueEntry, Session, SessionStage, SipAccount, StepWrite, Tenant,
    User, UserChanges, Widget,
};
pub use sql::{
    DeliveryUpdate, Erased, PostgresStore, SqlStore, SqliteStore, connect,
    connect_postgres_in_schema, sqlite_url_for_dir,
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

    /// Deletes a user account with its sessions, backup codes, phone account and agent
    /// profile, and revokes the API keys it created; false if there is no such user.
    async fn delete_user(&self, tenant: TenantId, user: UserId, now: Timestamp) -> Result<bool>;

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

    /// Entries newest first, strictly before `before_seq` when given, with their source
    /// addresses opened (none where the month's key has expired).
    async fn list_audit(
        &self,
        tenant: TenantId,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.list_audit_filtered(tenant, before_seq, limit, &AuditFilter::default())
            .await
    }

    /// [`Self::list_audit`], only the entries `filter` matches.
    async fn list_audit_filtered(
        &self,
        tenant: TenantId,
        before_seq: Option<i64>,
        limit: u32,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>>;

    /// Entries oldest first, strictly after `after_seq`, for verification in pages: as
    /// stored (source addresses sealed), which is what the chain covers.
    async fn audit_page_ascending(
        &self,
        tenant: TenantId,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;

    /// The recorded head of the tenant's chain (sequence number and hash), if any entry exists.
    async fn audit_head(&self, tenant: TenantId) -> Result<Option<(i64, String)>>;

    /// The recorded head with its signature (`None` until a key signed it), if any entry
    /// exists.
    async fn audit_head_signed(
        &self,
        tenant: TenantId,
    ) -> Result<Option<(i64, String, Option<String>)>>;

    /// Signs a head that has no signature yet, if it is still `(seq, hash)` (when the audit
    /// key is first made, after the chain verified); whether it was signed.
    async fn sign_audit_head(&self, tenant: TenantId, seq: i64, hash: &str) -> Result<bool>;

    /// Sets the key that signs every chain head from now on (installation-level: the server
    /// reads it from outside the database at start-up).
    fn set_audit_key(&self, key: Vec<u8>);

    // ---- keys for data at rest (installation-level: the root key comes from outside) ----

    /// Whether the database was set up with a root key (it holds a root-key check): a server
    /// without its root key must then refuse to start rather than write anything in clear.
    async fn has_root_key_check(&self) -> Result<bool>;

    /// Unlocks personal data with the root key: checks it against the database's root-key
    /// check ([`StoreError::WrongRootKey`] if it does not match), writing the check on a
    /// database that has none (`Ok(true)`). Until then every read or write of personal data
    /// fails with [`StoreError::Locked`].
    async fn unlock(&self, root: security::crypto::Key) -> Result<bool>;

    /// Seals every value still stored in clear (written before encryption at rest existed),
    /// each under its object's data key; how many values were sealed. Run at start-up after
    /// [`Repository::unlock`]; finds nothing to do on a database that was always encrypted.
    async fn seal_plaintext(&self, now: Timestamp) -> Result<u64>;

    /// Rotates the tenant's key: a new version wraps every data key, no sealed value is
    /// rewritten, unused old versions are deleted. Returns the new version and how many data
    /// keys were re-wrapped.
    async fn rotate_tenant_key(&self, tenant: TenantId, now: Timestamp) -> Result<(i64, u64)>;

    /// The versions of the tenant's key that exist, oldest first.
    async fn tenant_key_versions(&self, tenant: TenantId) -> Result<Vec<i64>>;

    /// Seals bytes (a file's content, such as a recording) under the object's data key, made
    /// if the object has none. `kind` is one of [`vault::kind`].
    async fn seal_object_bytes(
        &self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        plaintext: &[u8],
        now: Timestamp,
    ) -> Result<Vec<u8>>;

    /// Opens bytes sealed by [`Repository::seal_object_bytes`]; [`StoreError::Undecryptable`]
    /// if the object's key was erased or the bytes altered or taken from another object.
    async fn open_object_bytes(
        &self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>>;

    /// Deletes the object's data key, so that whatever was sealed under it can never be read
    /// again (crypto-shredding); whether it had one.
    async fn shred(&self, tenant: TenantId, kind: &'static str, object: &str) -> Result<bool>;

    // ---- tenant settings ----

    /// Disables the tenant (`Some(when)`) or enables it again (`None`); whether it exists.
    async fn set_tenant_disabled(&self, tenant: TenantId, at: Option<Timestamp>) -> Result<bool>;

    /// The destinations (`host:port`) where the tenant's flows may reach loopback and private
    /// addresses, in order; none unless an admin opened them.
    async fn private_http_destinations(&self, tenant: TenantId) -> Result<Vec<String>>;

    /// Opens (`allow`) or closes a destination for the tenant's flows; whether anything changed.
    async fn set_private_http_destination(
        &self,
        tenant: TenantId,
        destination: &str,
        allow: bool,
        at: Timestamp,
    ) -> Result<bool>;

    // ---- flows ----

    /// Stores a new flow with its draft.
    async fn insert_flow(&self, flow: &FlowRecord) -> Result<()>;

    /// One flow.
    async fn get_flow(&self, tenant: TenantId, flow: FlowId) -> Result<Option<FlowRecord>>;

    /// The tenant's flows, by name.
    async fn list_flows(&self, tenant: TenantId) -> Result<Vec<FlowRecord>>;

    /// Replaces a flow's draft and moves its revision on; with `base`, only when the draft is
    /// still at that revision.
    async fn update_flow_draft(
        &self,
        tenant: TenantId,
        flow: FlowId,
        name: &str,
        draft: &str,
        base: Option<i64>,
        now: Timestamp,
    ) -> Result<DraftSave>;

    /// Replaces where the editor shows the flow's nodes (a JSON object); the draft and its
    /// revision stay. False if there is no such flow.
    async fn update_flow_layout(
        &self,
        tenant: TenantId,
        flow: FlowId,
        layout: &str,
    ) -> Result<bool>;

    /// Publishes `source` as the flow's next version and makes it active, atomically.
    /// Returns the new version number.
    async fn publish_flow_version(
        &self,
        tenant: TenantId,
        flow: FlowId,
        source: &str,
        note: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<i64>;

    /// The flow's versions, newest first.
    async fn list_flow_versions(&self, tenant: TenantId, flow: FlowId) -> Result<Vec<FlowVersion>>;

    /// One version.
    async fn get_flow_version(
        &self,
        tenant: TenantId,
        flow: FlowId,
        version: i64,
    ) -> Result<Option<FlowVersion>>;

    /// Makes an existing version the active one; false if the version does not exist.
    async fn set_active_version(
        &self,
        tenant: TenantId,
        flow: FlowId,
        version: i64,
        now: Timestamp,
    ) -> Result<bool>;

    // ---- prompts ----

    /// Stores a prompt, replacing one of the same name (its first upload time stays).
    async fn put_prompt(&self, tenant: TenantId, prompt: &Prompt) -> Result<()>;

    /// One prompt of the tenant, with its audio.
    async fn get_prompt(&self, tenant: TenantId, name: &str) -> Result<Option<Prompt>>;

    /// The tenant's prompts, by name, without their audio.
    async fn list_prompts(&self, tenant: TenantId) -> Result<Vec<PromptInfo>>;

    /// Deletes a prompt; false if there is none of that name.
    async fn delete_prompt(&self, tenant: TenantId, name: &str) -> Result<bool>;

    // ---- widgets ----

    /// Resolves a widget's public id to its tenant. Installation-level: this is how an
    /// anonymous chat finds its tenant; everything after it is tenant-scoped.
    async fn resolve_widget(&self, public_id: &str) -> Result<Option<TenantId>>;

    /// Stores a new widget; a taken id gives [`StoreError::Conflict`].
    async fn insert_widget(&self, widget: &Widget) -> Result<()>;

    /// One widget of the tenant.
    async fn get_widget(&self, tenant: TenantId, id: &str) -> Result<Option<Widget>>;

    /// The tenant's widgets.
    async fn list_widgets(&self, tenant: TenantId) -> Result<Vec<Widget>>;

    /// Replaces a widget's settings; false if there is no such widget.
    async fn update_widget(&self, widget: &Widget) -> Result<bool>;

    // ---- privacy ----

    /// The tenant's privacy settings (the defaults until set).
    async fn privacy_settings(&self, tenant: TenantId) -> Result<PrivacySettings>;

    /// Replaces the tenant's privacy settings.
    async fn put_privacy_settings(
        &self,
        tenant: TenantId,
        settings: &PrivacySettings,
        now: Timestamp,
    ) -> Result<()>;

    /// The tenant's stable keyed pseudonym of `value` for `purpose` (`caller`, `source_ip`).
    async fn pseudonym(
        &self,
        tenant: TenantId,
        purpose: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<String>;

    /// Records the contact behind a conversation: its pseudonym and, under the identified
    /// mode, its address (sealed under the conversation's key).
    async fn record_contact(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        contact: &str,
        address: Option<&str>,
        transient: bool,
        now: Timestamp,
    ) -> Result<()>;

    /// Whether the conversation's address is kept only while the conversation needs it
    /// (then no one reads it in clear).
    async fn contact_address_transient(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<bool>;

    /// Drops the transient addresses of conversations that ended by `ended_before` and have
    /// nothing left to send and no open proxy session. Installation-level (the timer loop's
    /// sweep); how many.
    async fn drop_transient_addresses(
        &self,
        ended_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64>;

    /// The contact behind a conversation: pseudonym and, while kept, address.
    async fn conversation_contact(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Option<(String, Option<String>)>>;

    /// The conversations of a contact (by pseudonym), oldest first.
    async fn conversations_of_contact(
        &self,
        tenant: TenantId,
        contact: &str,
    ) -> Result<Vec<ConversationId>>;

    /// Deletes a conversation with everything of it and shreds its keys (its recordings'
    /// too, whose ids are returned so their files can be removed).
    async fn erase_conversation(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Erased>;

    /// Ended conversations last changed before `before`, oldest first, at most `limit`.
    async fn ended_conversations_before(
        &self,
        tenant: TenantId,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<ConversationId>>;

    /// Forgets callers' addresses recorded before `before`; how many.
    async fn expire_addresses(&self, tenant: TenantId, before: Timestamp) -> Result<u64>;

    /// Deletes up to `limit` data keys of `kind` made before `before`; their objects' ids.
    async fn expire_keys(
        &self,
        tenant: TenantId,
        kind: &'static str,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>>;

    /// Deletes the audit-month keys of the months before `month` (`YYYY-MM`); the months.
    async fn expire_audit_months(&self, tenant: TenantId, month: &str) -> Result<Vec<String>>;

    // ---- phone numbers ----

    /// Finds the number a call arrived on. Installation-level: this is how an inbound call
    /// finds its tenant; everything after it is tenant-scoped.
    async fn resolve_phone_number(&self, number: &str) -> Result<Option<PhoneNumber>>;

    /// Stores a new number; a number taken (by any tenant) gives [`StoreError::Conflict`].
    async fn insert_phone_number(&self, number: &PhoneNumber) -> Result<()>;

    /// The tenant's numbers.
    async fn list_phone_numbers(&self, tenant: TenantId) -> Result<Vec<PhoneNumber>>;

    /// Replaces a number's flow and language; false if the tenant has no such number.
    async fn update_phone_number(&self, number: &PhoneNumber) -> Result<bool>;

    /// Removes a number; false if the tenant has no such number.
    async fn delete_phone_number(&self, tenant: TenantId, number: &str) -> Result<bool>;

    // ---- messaging ----

    /// The conversation a contact's messages to `number` on `channel` continue, if any.
    async fn message_thread(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        number: &str,
        contact: &str,
    ) -> Result<Option<ConversationId>>;

    /// Points a contact's messages to `number` on `channel` at `conversation`.
    async fn put_message_thread(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        number: &str,
        contact: &str,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<()>;

    /// The conversation an inbound message with this provider id went to, if it was taken.
    async fn inbound_message(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        provider_id: &str,
    ) -> Result<Option<ConversationId>>;

    /// Records an inbound message's provider id; false if it was recorded before.
    async fn record_inbound_message(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        provider_id: &str,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<bool>;

    /// Queued messages due to be (re)tried, oldest first. Installation-level, like
    /// `due_timers`: the sender's scan over every tenant; each delivery names its tenant.
    async fn due_deliveries(&self, now: Timestamp, limit: u32) -> Result<Vec<Delivery>>;

    /// Changes a delivery; false if there is no such delivery.
    async fn update_delivery(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        seq: i64,
        update: &DeliveryUpdate,
    ) -> Result<bool>;

    /// The delivery a provider knows by `provider_id`.
    async fn delivery_by_provider_id(
        &self,
        tenant: TenantId,
        provider_id: &str,
    ) -> Result<Option<Delivery>>;

    /// A conversation's deliveries, by seq.
    async fn deliveries(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<Delivery>>;

    // ---- number proxy ----

    /// Opens a proxy session with its participants (addresses sealed under the conversation's
    /// key). A pair of address and proxy number that an open, unexpired session holds gives
    /// [`StoreError::Conflict`]; pairs of sessions that ran out are freed first.
    async fn open_proxy_session(
        &self,
        session: &ProxySession,
        participants: &[ProxyParticipant],
    ) -> Result<()>;

    /// The open session a message from `contact` to `proxy_number` belongs to, and which
    /// participant sent it.
    async fn proxy_session_of_pair(
        &self,
        tenant: TenantId,
        proxy_number: &str,
        contact: &str,
        now: Timestamp,
    ) -> Result<Option<(ProxySession, domain::ProxyRole)>>;

    /// One session.
    async fn get_proxy_session(
        &self,
        tenant: TenantId,
        id: domain::ProxySessionId,
    ) -> Result<Option<ProxySession>>;

    /// A conversation's sessions, newest first.
    async fn proxy_sessions_of(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<ProxySession>>;

    /// The tenant's open sessions, newest first, at most `limit`.
    async fn open_proxy_sessions(
        &self,
        tenant: TenantId,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<ProxySession>>;

    /// A session's participants, addresses opened while kept.
    async fn proxy_participants(
        &self,
        tenant: TenantId,
        session: domain::ProxySessionId,
    ) -> Result<Vec<ProxyParticipant>>;

    /// The proxy numbers a contact is paired with in open sessions.
    async fn proxy_numbers_in_use(
        &self,
        tenant: TenantId,
        contact: &str,
        now: Timestamp,
    ) -> Result<Vec<String>>;

    /// Keeps an open session open for its time to live from `now`; false if it is closed or
    /// ran out.
    async fn extend_proxy_session(
        &self,
        tenant: TenantId,
        id: domain::ProxySessionId,
        now: Timestamp,
    ) -> Result<bool>;

    /// Closes a session: its pairs are free, its addresses dropped. False if it was closed.
    async fn close_proxy_session(
        &self,
        tenant: TenantId,
        id: domain::ProxySessionId,
        now: Timestamp,
    ) -> Result<bool>;

    /// Open sessions that ran out, oldest first. Installation-level (the timer loop's sweep).
    async fn expired_proxy_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TenantId, domain::ProxySessionId)>>;

    // ---- agents' SIP accounts ----

    /// Finds the account a REGISTER names. Installation-level: this is how an agent's phone
    /// finds its tenant (a REGISTER carries no tenant); everything after it is tenant-scoped.
    async fn resolve_sip_account(&self, username: &str) -> Result<Option<SipAccount>>;

    /// Creates or replaces the agent's account (one per agent; a new username replaces the
    /// old one). A username another agent has (in any tenant) gives
    /// [`StoreError::Conflict`]; an account naming another tenant, [`StoreError::WrongTenant`].
    async fn put_sip_account(&self, tenant: TenantId, account: &SipAccount) -> Result<()>;

    /// The agent's account.
    async fn get_sip_account(&self, tenant: TenantId, user: UserId) -> Result<Option<SipAccount>>;

    /// Removes the agent's account; false if there is none.
    async fn delete_sip_account(&self, tenant: TenantId, user: UserId) -> Result<bool>;

    // ---- conversations ----

    /// Stores a new conversation (before its first step).
    async fn insert_conversation(&self, conversation: &Conversation) -> Result<()>;

    /// The tenant's newest conversations first, at most `limit` (≤ 1000).
    async fn recent_conversations(&self, tenant: TenantId, limit: i64)
    -> Result<Vec<Conversation>>;

    /// The tenant's conversations that match `filter`, newest first, at most `limit` (≤ 500).
    async fn search_conversations(
        &self,
        tenant: TenantId,
        filter: &ConversationFilter,
        limit: i64,
    ) -> Result<Vec<Conversation>>;

    /// One conversation.
    async fn get_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<Conversation>>;

    /// The conversation a resume token (its hash) belongs to.
    async fn find_conversation_by_session(
        &self,
        tenant: TenantId,
        session_hash: &str,
    ) -> Result<Option<Conversation>>;

    /// Writes one engine step atomically: messages, state, status, timers, queue. Fails with
    /// [`StoreError::Conflict`] if another step got there first (`expected_last_seq` moved).
    async fn save_step(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        step: &StepWrite,
    ) -> Result<()>;

    /// Messages with `seq` greater than `after`, oldest first.
    async fn messages_after(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Message>>;

    /// The `seq` of the user message with this client id, if it was stored.
    async fn find_client_message(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        client_id: &str,
    ) -> Result<Option<i64>>;

    /// Timers due at or before `now`, in every tenant (installation-level: the scheduler's
    /// scan), oldest first.
    async fn due_timers(&self, now: Timestamp, limit: u32) -> Result<Vec<DueTimer>>;

    /// Removes one timer; false if it was already gone (fired elsewhere or cancelled).
    async fn take_timer(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        timer_id: i64,
    ) -> Result<bool>;

    /// Entries of a queue, in service order (priority, then waiting time).
    async fn list_queue(&self, tenant: TenantId, queue: &str) -> Result<Vec<QueueEntry>>;
    // ---- contact centre ----

    /// Creates or replaces a queue's configuration.
    async fn put_cc_queue(&self, tenant: TenantId, queue: &CcQueue) -> Result<()>;

    /// Removes a queue's configuration; `false` when there was none.
    async fn delete_cc_queue(&self, tenant: TenantId, name: &str) -> Result<bool>;

    /// The tenant's configured queues, by name.
    async fn list_cc_queues(&self, tenant: TenantId) -> Result<Vec<CcQueue>>;

    /// The tenant's agents (profiles and presence).
    async fn list_cc_agents(&self, tenant: TenantId) -> Result<Vec<CcAgent>>;

    /// Writes one contact-centre operation's changes (tasks, agents, presence log) atomically.
    async fn save_cc(&self, tenant: TenantId, write: &CcWrite) -> Result<()>;

    /// Tasks not yet in a final state, oldest first.
    async fn list_live_cc_tasks(&self, tenant: TenantId) -> Result<Vec<CcTask>>;

    /// Tasks created in `[from, to)`, oldest first (for KPIs).
    async fn list_cc_tasks_between(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CcTask>>;

    /// Every task of one conversation, oldest first.
    async fn cc_tasks_of_conversation(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<CcTask>>;

    /// Presence changes in `[from, to)`, in order (for occupancy).
    async fn list_cc_presence(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CcPresenceChange>>;

    /// Adds an internal note.
    async fn insert_cc_note(&self, tenant: TenantId, note: &CcNote) -> Result<()>;

    /// A conversation's internal notes, oldest first.
    async fn list_cc_notes(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<CcNote>>;

    /// Creates or replaces a canned answer.
    async fn put_canned(&self, tenant: TenantId, canned: &CannedResponse) -> Result<()>;

    /// Removes a canned answer; `false` when there was none.
    async fn delete_canned(&self, tenant: TenantId, id: &str) -> Result<bool>;

    /// The tenant's canned answers, by title.
    async fn list_canned(&self, tenant: TenantId) -> Result<Vec<CannedResponse>>;

    /// The tenant's contact-centre settings (JSON), if set.
    async fn get_cc_settings(&self, tenant: TenantId) -> Result<Option<String>>;

    /// Replaces the tenant's contact-centre settings.
    async fn put_cc_settings(&self, tenant: TenantId, settings: &str, now: Timestamp)
    -> Result<()>;
}
