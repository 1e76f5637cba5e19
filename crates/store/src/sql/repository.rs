//! [`Repository`] for [`SqlStore`]: each method hands over to the statement of the same name
//! in its aggregate's module, so the trait is implemented once for both backends.

use domain::{
    ApiKeyId, AuditEntry, AuditEntryId, AuditEvent, ConversationId, FlowId, PrivacySettings,
    TenantId, Timestamp, UserId, Username,
};

use super::{DbPool, SqlStore};
use crate::{
    ApiKey, AuditFilter, Backend, BackupCode, CannedResponse, CcAgent, CcNote, CcPresenceChange,
    CcQueue, CcTask, CcWrite, Conversation, ConversationFilter, Delivery, DeliveryUpdate,
    DraftSave, DueTimer, Erased, FlowRecord, FlowVersion, Message, PhoneNumber, Prompt, PromptInfo,
    QueueEntry, Repository, Result, Session, SipAccount, StepWrite, Tenant, User, UserChanges,
    Widget,
};
use crate::{ProxyParticipant, ProxySession};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[async_trait::async_trait]
impl<DB: sqlx::Database> Repository for SqlStore<DB> {
    fn backend(&self) -> Backend {
        match self.db {
            DbPool::Sqlite(_) => Backend::Sqlite,
            DbPool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<()> {
        // The one place where the backends run different SQL: each has its own migrations.
        match &self.db {
            DbPool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            DbPool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        on_backend!(&self.db, pool, {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    async fn close(&self) {
        // Writers waiting for their turn learn at once that none will come.
        self.write_gate.close();
        self.pool.close().await;
    }

    async fn create_tenant_with_admin(&self, tenant: &Tenant, admin: &User) -> Result<()> {
        self.sql().create_tenant_with_admin(tenant, admin).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.sql().list_tenants().await
    }

    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>> {
        self.sql().get_tenant(tenant).await
    }

    async fn find_login(&self, username: &Username) -> Result<Option<(TenantId, UserId)>> {
        self.sql().find_login(username).await
    }

    async fn insert_user(&self, tenant: TenantId, user: &User) -> Result<()> {
        self.sql().insert_user(tenant, user).await
    }

    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>> {
        self.sql().get_user(tenant, user).await
    }

    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>> {
        self.sql().list_users(tenant).await
    }

    async fn update_user(
        &self,
        tenant: TenantId,
        user: UserId,
        changes: &UserChanges,
        now: Timestamp,
    ) -> Result<Option<User>> {
        self.sql().update_user(tenant, user, changes, now).await
    }

    async fn set_password(
        &self,
        tenant: TenantId,
        user: UserId,
        password_hash: &str,
        must_change: bool,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql()
            .set_password(tenant, user, password_hash, must_change, now)
            .await
    }

    async fn set_totp_secret(
        &self,
        tenant: TenantId,
        user: UserId,
        secret: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql().set_totp_secret(tenant, user, secret, now).await
    }

    async fn confirm_totp(
        &self,
        tenant: TenantId,
        user: UserId,
        step: i64,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql().confirm_totp(tenant, user, step, now).await
    }

    async fn advance_totp_step(&self, tenant: TenantId, user: UserId, step: i64) -> Result<bool> {
        self.sql().advance_totp_step(tenant, user, step).await
    }

    async fn replace_backup_codes(
        &self,
        tenant: TenantId,
        user: UserId,
        hashes: &[String],
    ) -> Result<()> {
        self.sql().replace_backup_codes(tenant, user, hashes).await
    }

    async fn unused_backup_codes(&self, tenant: TenantId, user: UserId) -> Result<Vec<BackupCode>> {
        self.sql().unused_backup_codes(tenant, user).await
    }

    async fn use_backup_code(
        &self,
        tenant: TenantId,
        user: UserId,
        ordinal: i64,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql().use_backup_code(tenant, user, ordinal, now).await
    }

    async fn insert_session(&self, session: &Session) -> Result<()> {
        self.sql().insert_session(session).await
    }

    async fn get_session(&self, tenant: TenantId, token_hash: &str) -> Result<Option<Session>> {
        self.sql().get_session(tenant, token_hash).await
    }

    async fn touch_session(
        &self,
        tenant: TenantId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.sql().touch_session(tenant, token_hash, now).await
    }

    async fn delete_session(&self, tenant: TenantId, token_hash: &str) -> Result<bool> {
        self.sql().delete_session(tenant, token_hash).await
    }

    async fn delete_user(&self, tenant: TenantId, user: UserId, now: Timestamp) -> Result<bool> {
        self.sql().delete_user(tenant, user, now).await
    }

    async fn delete_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.sql().delete_user_sessions(tenant, user).await
    }

    async fn delete_expired_sessions(
        &self,
        tenant: TenantId,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> Result<u64> {
        self.sql()
            .delete_expired_sessions(tenant, now, idle_cutoff)
            .await
    }

    async fn insert_api_key(&self, key: &ApiKey) -> Result<()> {
        self.sql().insert_api_key(key).await
    }

    async fn get_api_key(&self, tenant: TenantId, key: ApiKeyId) -> Result<Option<ApiKey>> {
        self.sql().get_api_key(tenant, key).await
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        self.sql().list_api_keys(tenant).await
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        key: ApiKeyId,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql().revoke_api_key(tenant, key, now).await
    }

    async fn touch_api_key(&self, tenant: TenantId, key: ApiKeyId, now: Timestamp) -> Result<()> {
        self.sql().touch_api_key(tenant, key, now).await
    }

    async fn append_audit(
        &self,
        tenant: TenantId,
        id: AuditEntryId,
        at: Timestamp,
        event: &AuditEvent,
    ) -> Result<AuditEntry> {
        self.sql().append_audit(tenant, id, at, event).await
    }

    async fn list_audit_filtered(
        &self,
        tenant: TenantId,
        before_seq: Option<i64>,
        limit: u32,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>> {
        self.sql()
            .list_audit(tenant, before_seq, limit, filter)
            .await
    }

    async fn audit_page_ascending(
        &self,
        tenant: TenantId,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.sql()
            .audit_page_ascending(tenant, after_seq, limit)
            .await
    }

    async fn audit_head(&self, tenant: TenantId) -> Result<Option<(i64, String)>> {
        self.sql().audit_head(tenant).await
    }

    async fn audit_head_signed(
        &self,
        tenant: TenantId,
    ) -> Result<Option<(i64, String, Option<String>)>> {
        self.sql().audit_head_signed(tenant).await
    }

    async fn sign_audit_head(&self, tenant: TenantId, seq: i64, hash: &str) -> Result<bool> {
        self.sql().sign_audit_head(tenant, seq, hash).await
    }

    fn set_audit_key(&self, key: Vec<u8>) {
        SqlStore::set_audit_key(self, key);
    }

    async fn has_root_key_check(&self) -> Result<bool> {
        Ok(self.sql().root_check().await?.is_some())
    }

    async fn unlock(&self, root: security::crypto::Key) -> Result<bool> {
        SqlStore::unlock(self, root).await
    }

    async fn seal_plaintext(&self, now: Timestamp) -> Result<u64> {
        self.sql().seal_plaintext(now).await
    }

    async fn rotate_tenant_key(&self, tenant: TenantId, now: Timestamp) -> Result<(i64, u64)> {
        self.sql().rotate_tenant_key(tenant, now).await
    }

    async fn tenant_key_versions(&self, tenant: TenantId) -> Result<Vec<i64>> {
        self.sql().tenant_key_versions(tenant).await
    }

    async fn seal_object_bytes(
        &self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        plaintext: &[u8],
        now: Timestamp,
    ) -> Result<Vec<u8>> {
        let key = self
            .sql()
            .object_key_or_create(tenant, kind, object, now)
            .await?;
        key.seal_bytes("content", plaintext)
    }

    async fn open_object_bytes(
        &self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>> {
        let key = self.sql().existing_object_key(tenant, kind, object).await?;
        key.open_bytes("content", sealed)
    }

    async fn shred(&self, tenant: TenantId, kind: &'static str, object: &str) -> Result<bool> {
        self.sql().shred(tenant, kind, object).await
    }

    async fn set_tenant_disabled(&self, tenant: TenantId, at: Option<Timestamp>) -> Result<bool> {
        self.sql().set_tenant_disabled(tenant, at).await
    }

    async fn private_http_destinations(&self, tenant: TenantId) -> Result<Vec<String>> {
        self.sql().private_http_destinations(tenant).await
    }

    async fn set_private_http_destination(
        &self,
        tenant: TenantId,
        destination: &str,
        allow: bool,
        at: Timestamp,
    ) -> Result<bool> {
        self.sql()
            .set_private_http_destination(tenant, destination, allow, at)
            .await
    }

    async fn insert_flow(&self, flow: &FlowRecord) -> Result<()> {
        self.sql().insert_flow(flow).await
    }

    async fn get_flow(&self, tenant: TenantId, flow: FlowId) -> Result<Option<FlowRecord>> {
        self.sql().get_flow(tenant, flow).await
    }

    async fn list_flows(&self, tenant: TenantId) -> Result<Vec<FlowRecord>> {
        self.sql().list_flows(tenant).await
    }

    async fn update_flow_draft(
        &self,
        tenant: TenantId,
        flow: FlowId,
        name: &str,
        draft: &str,
        base: Option<i64>,
        now: Timestamp,
    ) -> Result<DraftSave> {
        self.sql()
            .update_flow_draft(tenant, flow, name, draft, base, now)
            .await
    }

    async fn update_flow_layout(
        &self,
        tenant: TenantId,
        flow: FlowId,
        layout: &str,
    ) -> Result<bool> {
        self.sql().update_flow_layout(tenant, flow, layout).await
    }

    async fn publish_flow_version(
        &self,
        tenant: TenantId,
        flow: FlowId,
        source: &str,
        note: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<i64> {
        self.sql()
            .publish_flow_version(tenant, flow, source, note, by, now)
            .await
    }

    async fn list_flow_versions(&self, tenant: TenantId, flow: FlowId) -> Result<Vec<FlowVersion>> {
        self.sql().list_flow_versions(tenant, flow).await
    }

    async fn get_flow_version(
        &self,
        tenant: TenantId,
        flow: FlowId,
        version: i64,
    ) -> Result<Option<FlowVersion>> {
        self.sql().get_flow_version(tenant, flow, version).await
    }

    async fn set_active_version(
        &self,
        tenant: TenantId,
        flow: FlowId,
        version: i64,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql()
            .set_active_version(tenant, flow, version, now)
            .await
    }

    async fn put_prompt(&self, tenant: TenantId, prompt: &Prompt) -> Result<()> {
        self.sql().put_prompt(tenant, prompt).await
    }

    async fn get_prompt(&self, tenant: TenantId, name: &str) -> Result<Option<Prompt>> {
        self.sql().get_prompt(tenant, name).await
    }

    async fn list_prompts(&self, tenant: TenantId) -> Result<Vec<PromptInfo>> {
        self.sql().list_prompts(tenant).await
    }

    async fn delete_prompt(&self, tenant: TenantId, name: &str) -> Result<bool> {
        self.sql().delete_prompt(tenant, name).await
    }

    async fn resolve_widget(&self, public_id: &str) -> Result<Option<TenantId>> {
        self.sql().resolve_widget(public_id).await
    }

    async fn insert_widget(&self, widget: &Widget) -> Result<()> {
        self.sql().insert_widget(widget).await
    }

    async fn get_widget(&self, tenant: TenantId, id: &str) -> Result<Option<Widget>> {
        self.sql().get_widget(tenant, id).await
    }

    async fn list_widgets(&self, tenant: TenantId) -> Result<Vec<Widget>> {
        self.sql().list_widgets(tenant).await
    }

    async fn update_widget(&self, widget: &Widget) -> Result<bool> {
        self.sql().update_widget(widget).await
    }

    async fn privacy_settings(&self, tenant: TenantId) -> Result<PrivacySettings> {
        self.sql().privacy_settings(tenant).await
    }

    async fn put_privacy_settings(
        &self,
        tenant: TenantId,
        settings: &PrivacySettings,
        now: Timestamp,
    ) -> Result<()> {
        self.sql().put_privacy_settings(tenant, settings, now).await
    }

    async fn pseudonym(
        &self,
        tenant: TenantId,
        purpose: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<String> {
        self.sql().pseudonym(tenant, purpose, value, now).await
    }

    async fn record_contact(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        contact: &str,
        address: Option<&str>,
        transient: bool,
        now: Timestamp,
    ) -> Result<()> {
        self.sql()
            .record_contact(tenant, conversation, contact, address, transient, now)
            .await
    }

    async fn contact_address_transient(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<bool> {
        self.sql()
            .contact_address_transient(tenant, conversation)
            .await
    }

    async fn drop_transient_addresses(
        &self,
        ended_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64> {
        self.sql().drop_transient_addresses(ended_before, now).await
    }

    async fn open_proxy_session(
        &self,
        session: &ProxySession,
        participants: &[ProxyParticipant],
    ) -> Result<()> {
        self.sql().open_proxy_session(session, participants).await
    }

    async fn proxy_session_of_pair(
        &self,
        tenant: TenantId,
        proxy_number: &str,
        contact: &str,
        now: Timestamp,
    ) -> Result<Option<(ProxySession, domain::ProxyRole)>> {
        self.sql()
            .proxy_session_of_pair(tenant, proxy_number, contact, now)
            .await
    }

    async fn get_proxy_session(
        &self,
        tenant: TenantId,
        id: domain::ProxySessionId,
    ) -> Result<Option<ProxySession>> {
        self.sql().get_proxy_session(tenant, id).await
    }

    async fn proxy_sessions_of(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<ProxySession>> {
        self.sql().proxy_sessions_of(tenant, conversation).await
    }

    async fn open_proxy_sessions(
        &self,
        tenant: TenantId,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<ProxySession>> {
        self.sql().open_proxy_sessions(tenant, now, limit).await
    }

    async fn proxy_participants(
        &self,
        tenant: TenantId,
        session: domain::ProxySessionId,
    ) -> Result<Vec<ProxyParticipant>> {
        self.sql().proxy_participants(tenant, session).await
    }

    async fn proxy_numbers_in_use(
        &self,
        tenant: TenantId,
        contact: &str,
        now: Timestamp,
    ) -> Result<Vec<String>> {
        self.sql().proxy_numbers_in_use(tenant, contact, now).await
    }

    async fn extend_proxy_session(
        &self,
        tenant: TenantId,
        id: domain::ProxySessionId,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql().extend_proxy_session(tenant, id, now).await
    }

    async fn close_proxy_session(
        &self,
        tenant: TenantId,
        id: domain::ProxySessionId,
        now: Timestamp,
    ) -> Result<bool> {
        self.sql().close_proxy_session(tenant, id, now).await
    }

    async fn expired_proxy_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TenantId, domain::ProxySessionId)>> {
        self.sql().expired_proxy_sessions(now, limit).await
    }

    async fn conversation_contact(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Option<(String, Option<String>)>> {
        self.sql().conversation_contact(tenant, conversation).await
    }

    async fn conversations_of_contact(
        &self,
        tenant: TenantId,
        contact: &str,
    ) -> Result<Vec<ConversationId>> {
        self.sql().conversations_of_contact(tenant, contact).await
    }

    async fn erase_conversation(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Erased> {
        self.sql().erase_conversation(tenant, conversation).await
    }

    async fn ended_conversations_before(
        &self,
        tenant: TenantId,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<ConversationId>> {
        self.sql()
            .ended_conversations_before(tenant, before, limit)
            .await
    }

    async fn expire_addresses(&self, tenant: TenantId, before: Timestamp) -> Result<u64> {
        self.sql().expire_addresses(tenant, before).await
    }

    async fn expire_keys(
        &self,
        tenant: TenantId,
        kind: &'static str,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>> {
        self.sql().expire_keys(tenant, kind, before, limit).await
    }

    async fn expire_audit_months(&self, tenant: TenantId, month: &str) -> Result<Vec<String>> {
        self.sql().expire_audit_months(tenant, month).await
    }

    async fn message_thread(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        number: &str,
        contact: &str,
    ) -> Result<Option<ConversationId>> {
        self.sql()
            .message_thread(tenant, channel, number, contact)
            .await
    }

    async fn put_message_thread(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        number: &str,
        contact: &str,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<()> {
        self.sql()
            .put_message_thread(tenant, channel, number, contact, conversation, at)
            .await
    }

    async fn inbound_message(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        provider_id: &str,
    ) -> Result<Option<ConversationId>> {
        self.sql()
            .inbound_message(tenant, channel, provider_id)
            .await
    }

    async fn record_inbound_message(
        &self,
        tenant: TenantId,
        channel: domain::Channel,
        provider_id: &str,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<bool> {
        self.sql()
            .record_inbound_message(tenant, channel, provider_id, conversation, at)
            .await
    }

    async fn due_deliveries(&self, now: Timestamp, limit: u32) -> Result<Vec<Delivery>> {
        self.sql().due_deliveries(now, limit).await
    }

    async fn update_delivery(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        seq: i64,
        update: &DeliveryUpdate,
    ) -> Result<bool> {
        self.sql()
            .update_delivery(tenant, conversation, seq, update)
            .await
    }

    async fn delivery_by_provider_id(
        &self,
        tenant: TenantId,
        provider_id: &str,
    ) -> Result<Option<Delivery>> {
        self.sql()
            .delivery_by_provider_id(tenant, provider_id)
            .await
    }

    async fn deliveries(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<Delivery>> {
        self.sql().deliveries(tenant, conversation).await
    }

    async fn resolve_phone_number(&self, number: &str) -> Result<Option<PhoneNumber>> {
        self.sql().resolve_phone_number(number).await
    }

    async fn insert_phone_number(&self, number: &PhoneNumber) -> Result<()> {
        self.sql().insert_phone_number(number).await
    }

    async fn list_phone_numbers(&self, tenant: TenantId) -> Result<Vec<PhoneNumber>> {
        self.sql().list_phone_numbers(tenant).await
    }

    async fn update_phone_number(&self, number: &PhoneNumber) -> Result<bool> {
        self.sql().update_phone_number(number).await
    }

    async fn delete_phone_number(&self, tenant: TenantId, number: &str) -> Result<bool> {
        self.sql().delete_phone_number(tenant, number).await
    }

    async fn resolve_sip_account(&self, username: &str) -> Result<Option<SipAccount>> {
        self.sql().resolve_sip_account(username).await
    }

    async fn put_sip_account(&self, tenant: TenantId, account: &SipAccount) -> Result<()> {
        self.sql().put_sip_account(tenant, account).await
    }

    async fn get_sip_account(&self, tenant: TenantId, user: UserId) -> Result<Option<SipAccount>> {
        self.sql().get_sip_account(tenant, user).await
    }

    async fn delete_sip_account(&self, tenant: TenantId, user: UserId) -> Result<bool> {
        self.sql().delete_sip_account(tenant, user).await
    }

    async fn insert_conversation(&self, conversation: &Conversation) -> Result<()> {
        self.sql().insert_conversation(conversation).await
    }

    async fn search_conversations(
        &self,
        tenant: TenantId,
        filter: &ConversationFilter,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        self.sql().search_conversations(tenant, filter, limit).await
    }

    async fn recent_conversations(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        self.sql().recent_conversations(tenant, limit).await
    }

    async fn get_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<Conversation>> {
        self.sql().get_conversation(tenant, id).await
    }

    async fn find_conversation_by_session(
        &self,
        tenant: TenantId,
        session_hash: &str,
    ) -> Result<Option<Conversation>> {
        self.sql()
            .find_conversation_by_session(tenant, session_hash)
            .await
    }

    async fn save_step(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        step: &StepWrite,
    ) -> Result<()> {
        self.sql().save_step(tenant, conversation, step).await
    }

    async fn messages_after(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.sql()
            .messages_after(tenant, conversation, after, limit)
            .await
    }

    async fn find_client_message(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        client_id: &str,
    ) -> Result<Option<i64>> {
        self.sql()
            .find_client_message(tenant, conversation, client_id)
            .await
    }

    async fn due_timers(&self, now: Timestamp, limit: u32) -> Result<Vec<DueTimer>> {
        self.sql().due_timers(now, limit).await
    }

    async fn take_timer(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        timer_id: i64,
    ) -> Result<bool> {
        self.sql().take_timer(tenant, conversation, timer_id).await
    }

    async fn list_queue(&self, tenant: TenantId, queue: &str) -> Result<Vec<QueueEntry>> {
        self.sql().list_queue(tenant, queue).await
    }

    async fn put_cc_queue(&self, tenant: TenantId, queue: &CcQueue) -> Result<()> {
        self.sql().put_cc_queue(tenant, queue).await
    }

    async fn delete_cc_queue(&self, tenant: TenantId, name: &str) -> Result<bool> {
        self.sql().delete_cc_queue(tenant, name).await
    }

    async fn list_cc_queues(&self, tenant: TenantId) -> Result<Vec<CcQueue>> {
        self.sql().list_cc_queues(tenant).await
    }

    async fn list_cc_agents(&self, tenant: TenantId) -> Result<Vec<CcAgent>> {
        self.sql().list_cc_agents(tenant).await
    }

    async fn save_cc(&self, tenant: TenantId, write: &CcWrite) -> Result<()> {
        self.sql().save_cc(tenant, write).await
    }

    async fn list_live_cc_tasks(&self, tenant: TenantId) -> Result<Vec<CcTask>> {
        self.sql().list_live_cc_tasks(tenant).await
    }

    async fn list_cc_tasks_between(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CcTask>> {
        self.sql().list_cc_tasks_between(tenant, from, to).await
    }

    async fn cc_tasks_of_conversation(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<CcTask>> {
        self.sql()
            .cc_tasks_of_conversation(tenant, conversation)
            .await
    }

    async fn list_cc_presence(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CcPresenceChange>> {
        self.sql().list_cc_presence(tenant, from, to).await
    }

    async fn insert_cc_note(&self, tenant: TenantId, note: &CcNote) -> Result<()> {
        self.sql().insert_cc_note(tenant, note).await
    }

    async fn list_cc_notes(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<CcNote>> {
        self.sql().list_cc_notes(tenant, conversation).await
    }

    async fn put_canned(&self, tenant: TenantId, canned: &CannedResponse) -> Result<()> {
        self.sql().put_canned(tenant, canned).await
    }

    async fn delete_canned(&self, tenant: TenantId, id: &str) -> Result<bool> {
        self.sql().delete_canned(tenant, id).await
    }

    async fn list_canned(&self, tenant: TenantId) -> Result<Vec<CannedResponse>> {
        self.sql().list_canned(tenant).await
    }

    async fn get_cc_settings(&self, tenant: TenantId) -> Result<Option<String>> {
        self.sql().get_cc_settings(tenant).await
    }

    async fn put_cc_settings(
        &self,
        tenant: TenantId,
        settings: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.sql().put_cc_settings(tenant, settings, now).await
    }
}
