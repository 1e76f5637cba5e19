//! The records the store keeps. Fields are domain types where the domain has one; secrets
//! appear only as hashes, except the TOTP seed, which must be readable to check codes (it is
//! encrypted with the tenant's key once the GDPR work lands).

use domain::{
    ApiKeyId, AuthMethod, Channel, ConversationStatus, DisplayName, Role, Sender, TenantId,
    TenantName, Timestamp, UserId, Username,
};

/// One organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant's id.
    pub id: TenantId,
    /// Its name.
    pub name: TenantName,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was disabled; a disabled tenant's staff, keys, widgets and numbers do nothing.
    pub disabled_at: Option<Timestamp>,
}

/// A staff account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The tenant the user belongs to.
    pub tenant_id: TenantId,
    /// The user's id.
    pub id: UserId,
    /// The login name, unique across the installation.
    pub username: Username,
    /// The name shown to colleagues.
    pub display_name: DisplayName,
    /// What the user may do.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Set for a generated one-time password: the next login must choose a new one.
    pub must_change_password: bool,
    /// Base32 TOTP seed, present from enrolment start.
    pub totp_secret: Option<String>,
    /// True once the user confirmed enrolment with a valid code.
    pub totp_enrolled: bool,
    /// The newest TOTP time step accepted; a code of this step or older is a replay.
    pub totp_last_step: Option<i64>,
    /// A disabled user cannot log in and has no sessions.
    pub disabled: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Time of the last change.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes and the TOTP seed are left out on purpose.
        f.debug_struct("User")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("role", &self.role)
            .field("must_change_password", &self.must_change_password)
            .field("totp_enrolled", &self.totp_enrolled)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// How far a session has got through login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; a second factor (or a password change) is still due.
    Partial,
    /// Fully signed in.
    Full,
}

impl SessionStage {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionStage::Partial => "partial",
            SessionStage::Full => "full",
        }
    }
}

/// A server-side session. The cookie carries the secret; the store keeps only its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The tenant of the session's user.
    pub tenant_id: TenantId,
    /// SHA-256 (hex) of the session secret.
    pub token_hash: String,
    /// Whose session it is.
    pub user_id: UserId,
    /// How far login has got.
    pub stage: SessionStage,
    /// How the user authenticated.
    pub auth_method: AuthMethod,
    /// The anti-CSRF token that state-changing requests must echo.
    pub csrf_token: String,
    /// When the session was created.
    pub created_at: Timestamp,
    /// The last request made with it (for the idle timeout).
    pub last_seen_at: Timestamp,
    /// Absolute end of the session.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("stage", &self.stage)
            .field("auth_method", &self.auth_method)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An API key. The secret is shown once at creation and only its hash is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The tenant the key acts for.
    pub tenant_id: TenantId,
    /// The key's id (public; part of the token).
    pub id: ApiKeyId,
    /// A name to recognise it by.
    pub name: DisplayName,
    /// What the key may do.
    pub role: Role,
    /// SHA-256 (hex) of the key's secret.
    pub secret_hash: String,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used_at: Option<Timestamp>,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("role", &self.role)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A stored backup code (hashed).
#[derive(Clone, PartialEq, Eq)]
pub struct BackupCode {
    /// Position 0..10 in the set.
    pub ordinal: i64,
    /// Argon2id PHC string of the code.
    pub code_hash: String,
}

impl std::fmt::Debug for BackupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupCode")
            .field("ordinal", &self.ordinal)
            .finish_non_exhaustive()
    }
}

/// What may change in a user's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// A new display name.
    pub display_name: Option<DisplayName>,
    /// A new role.
    pub role: Option<Role>,
    /// Disable or enable the account.
    pub disabled: Option<bool>,
}

/// A flow: its editable draft and which published version is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The flow's id.
    pub id: domain::FlowId,
    /// Its name (from the document).
    pub name: String,
    /// The draft's source text (YAML or JSON), as last saved.
    pub draft: String,
    /// The published version new conversations use, if any.
    pub active_version: Option<i64>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change of the draft or the active version.
    pub updated_at: Timestamp,
    /// Where the editor shows each node: a JSON object, kept apart from the draft so that
    /// moving a node never changes the flow.
    pub layout: String,
    /// 1 at creation, one more with each saved draft: an edit based on an older revision is
    /// a conflict, not a silent overwrite.
    pub revision: i64,
}

/// What saving a draft did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftSave {
    /// Saved as this revision.
    Saved {
        /// The new revision.
        revision: i64,
    },
    /// There is no such flow.
    Missing,
    /// The draft changed since the revision the edit was based on.
    Stale {
        /// The draft's current revision.
        revision: i64,
    },
}

/// An immutable published version of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowVersion {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The flow.
    pub flow_id: domain::FlowId,
    /// 1, 2, 3, …
    pub version: i64,
    /// The source text as published.
    pub source: String,
    /// Who published it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
    /// What the publisher said about it (may be empty).
    pub note: String,
}

/// A web chat widget: public id, looks, allowed origins, and the flow it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widget {
    /// The public id used in the `<script data-widget=…>` tag.
    pub id: String,
    /// The tenant.
    pub tenant_id: TenantId,
    /// An internal name.
    pub name: String,
    /// The flow it runs (its active version).
    pub flow_id: Option<domain::FlowId>,
    /// The chat window's title.
    pub title: String,
    /// The primary colour, `#rrggbb`.
    pub primary_color: String,
    /// Shown before the conversation starts.
    pub greeting: String,
    /// Origins allowed to open the chat (`*` allows any).
    pub allowed_origins: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A recorded prompt of a tenant, as listed (without its audio).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptInfo {
    /// The name `say` nodes use (`audio: welcome`).
    pub name: String,
    /// What the upload was: `wav`, `mp3`, `ogg-vorbis` or `ogg-opus`.
    pub format: String,
    /// The uploaded file's size in bytes.
    pub source_bytes: i64,
    /// How long it plays.
    pub duration_ms: i64,
    /// First upload.
    pub created_at: Timestamp,
    /// Last upload.
    pub updated_at: Timestamp,
}

/// A recorded prompt with its audio: 8 kHz µ-law.
#[derive(Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Name, format, size and times.
    pub info: PromptInfo,
    /// The audio, one µ-law byte per sample at 8 kHz.
    pub ulaw: Vec<u8>,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt")
            .field("info", &self.info)
            .field("ulaw", &self.ulaw.len())
            .finish()
    }
}

/// An agent's SIP account: the username the agent's phone registers with and the digest
/// secret to check it by. The password is never stored; `ha1` (RFC 2617's
/// `MD5(username:realm:password)`) is as good as the password for this realm, so it is never
/// logged (`Debug` leaves it out).
#[derive(Clone, PartialEq, Eq)]
pub struct SipAccount {
    /// The agent's tenant.
    pub tenant_id: TenantId,
    /// The agent.
    pub user_id: UserId,
    /// The SIP username, unique across the installation.
    pub username: String,
    /// Lower-case hex `MD5(username:realm:password)`.
    pub ha1: String,
    /// The digest realm `ha1` was computed for.
    pub realm: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change (of the password or the username).
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for SipAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipAccount")
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// A number (or SIP request-URI user) that calls arrive on, bound to a flow of its tenant.
/// It is the hotline's own number, not a caller's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    /// The dialled number or request-URI user, e.g. `+4930123456` or `demo-de`.
    pub number: String,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The flow that answers (its active version); `None` rejects calls.
    pub flow_id: Option<domain::FlowId>,
    /// The conversation language; `None` uses the flow's default.
    pub language: Option<String>,
    /// What calls to it keep of the caller's number.
    pub caller_id: domain::CallerIdMode,
    /// The channels it serves (voice, SMS, WhatsApp), each at most once.
    pub channels: Vec<domain::Channel>,
    /// In the tenant's pool of proxy numbers: messages to it are relayed within proxy
    /// sessions, no flow answers it.
    pub proxy: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A conversation and the engine state it is in.
#[derive(Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The conversation's id.
    pub id: domain::ConversationId,
    /// The channel it runs on.
    pub channel: Channel,
    /// The widget it came through (chat).
    pub widget_id: Option<String>,
    /// The flow it runs.
    pub flow_id: domain::FlowId,
    /// The flow version it runs to the end, even after a newer one is published.
    pub flow_version: i64,
    /// SHA-256 of the resume token held by the caller's browser.
    pub session_hash: String,
    /// The engine state (JSON).
    pub state: String,
    /// Where it stands.
    pub status: ConversationStatus,
    /// The sequence number of the newest message.
    pub last_seq: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last step.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("flow_version", &self.flow_version)
            .field("status", &self.status)
            .field("last_seq", &self.last_seq)
            .finish_non_exhaustive()
    }
}

/// One message of a conversation. The body is personal data: it never goes to logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// 1, 2, 3, … within the conversation.
    pub seq: i64,
    /// Who wrote it.
    pub sender: Sender,
    /// The text.
    pub body: domain::Redacted<String>,
    /// Choices offered with it (JSON array), if any.
    pub choices: Option<String>,
    /// The client's id for a user message (deduplicates retries).
    pub client_id: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("seq", &self.seq)
            .field("sender", &self.sender)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// A human queue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// The conversation waiting.
    pub conversation_id: domain::ConversationId,
    /// The queue's name.
    pub queue: String,
    /// Higher first.
    pub priority: i64,
    /// Context for the agent (JSON object).
    pub context: String,
    /// Since when.
    pub enqueued_at: Timestamp,
}

/// Everything one engine step changes, written atomically by [`crate::Repository::save_step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepWrite {
    /// The conversation's `last_seq` the step started from (optimistic concurrency).
    pub expected_last_seq: i64,
    /// The new engine state (JSON).
    pub state: String,
    /// The new status.
    pub status: ConversationStatus,
    /// Messages to append, in order; they get `expected_last_seq + 1`, `+ 2`, …
    pub messages: Vec<Message>,
    /// Timers to start: (timer id, due time).
    pub set_timers: Vec<(i64, Timestamp)>,
    /// Timers to drop.
    pub cancel_timers: Vec<i64>,
    /// A queue entry to create.
    pub enqueue: Option<QueueEntry>,
    /// Remove the conversation from its queue.
    pub dequeue: bool,
    /// When the step happened.
    pub at: Timestamp,
    /// A new conversation's row, inserted in the same transaction as its first step (its
    /// `last_seq` must equal `expected_last_seq`); `None` for an existing conversation.
    pub create: Option<Conversation>,
    /// Queue every message of the step not written by the user for delivery (a messaging
    /// conversation: SMS, WhatsApp), in the same transaction as the message.
    pub deliver: bool,
    /// Messages (by index in `messages`) that go elsewhere than the conversation's own
    /// channel (follow-up SMS, relays), each with its delivery row.
    pub routes: Vec<(usize, DeliveryRoute)>,
}

/// Where one message of a step is delivered, when not on the conversation's channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryRoute {
    /// By SMS through a proxy session.
    Proxy(ProxyRoute),
    /// Nowhere: it could not be sent, for this reason (stored failed, so the transcript says
    /// so).
    Failed(String),
}

/// Where a message relayed through a proxy session goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRoute {
    /// The session.
    pub session: domain::ProxySessionId,
    /// The participant it goes to (from that participant's proxy number).
    pub to: domain::ProxyRole,
}

/// A number-proxy session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySession {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The session's id.
    pub id: domain::ProxySessionId,
    /// The conversation it follows up (the contact's replies land there).
    pub conversation_id: domain::ConversationId,
    /// Who the contact is paired with.
    pub partner: domain::ProxyPartner,
    /// Open, or closed (expired or closed by staff).
    pub open: bool,
    /// How long it stays open after its last message.
    pub ttl_ms: i64,
    /// When it closes unless a message keeps it open.
    pub expires_at: Timestamp,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A participant of a proxy session.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyParticipant {
    /// Which one.
    pub role: domain::ProxyRole,
    /// The participant's pseudonym.
    pub contact: String,
    /// The address, in clear (kept sealed; `None` once the session closed).
    pub address: Option<domain::Redacted<String>>,
    /// The proxy number the participant writes to and receives from.
    pub proxy_number: String,
}

impl std::fmt::Debug for ProxyParticipant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyParticipant")
            .field("role", &self.role)
            .field("contact", &self.contact)
            .field("address", &self.address.as_ref().map(|_| "…"))
            .field("proxy_number", &self.proxy_number)
            .finish()
    }
}

/// A message to send on a messaging channel, and where its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The conversation.
    pub conversation_id: domain::ConversationId,
    /// The message's position in it.
    pub seq: i64,
    /// Where it stands.
    pub state: domain::DeliveryState,
    /// Attempts made to hand it to a provider.
    pub attempts: i64,
    /// The provider's id for it, once taken.
    pub provider_id: Option<String>,
    /// Why it failed (a provider's code and words; never the text).
    pub error: Option<String>,
    /// Through a proxy session (by SMS from a proxy number), instead of the conversation's
    /// own channel and contact.
    pub via_proxy: Option<ProxyRoute>,
    /// When a queued message is next tried.
    pub next_attempt_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A timer that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimer {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The conversation.
    pub conversation_id: domain::ConversationId,
    /// The engine's timer id.
    pub timer_id: i64,
    /// When it was due.
    pub due_at: Timestamp,
}

/// A contact-centre queue as configured; `config` is the app's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcQueue {
    /// The queue's name (as `enqueue` nodes name it).
    pub name: String,
    /// The configuration (JSON object).
    pub config: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// An agent's contact-centre profile and presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcAgent {
    /// The user.
    pub user_id: UserId,
    /// Skills, languages and capacity (JSON object).
    pub profile: String,
    /// The presence (JSON: the router's presence).
    pub presence: String,
    /// Since when.
    pub presence_since: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One task: a contact waiting for, or handled by, a human. `record` is the app's JSON of
/// the whole task (routing state, context, times); the other columns are for lookups.
#[derive(Clone, PartialEq, Eq)]
pub struct CcTask {
    /// The task's id.
    pub id: String,
    /// The conversation it is for.
    pub conversation_id: domain::ConversationId,
    /// The queue it is in (or was in last).
    pub queue: String,
    /// Its state's name (`pending`, `offered`, `assigned`, `wrap_up`, `completed`, …).
    pub state: String,
    /// The agent holding it, if any.
    pub agent_id: Option<UserId>,
    /// Whether it is still live (not in a final state).
    pub live: bool,
    /// The whole record (JSON; holds the hand-over context, which is personal data).
    pub record: domain::Redacted<String>,
    /// When the task was created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for CcTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CcTask")
            .field("id", &self.id)
            .field("queue", &self.queue)
            .field("state", &self.state)
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

/// One presence change of an agent, for occupancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcPresenceChange {
    /// The agent.
    pub user_id: UserId,
    /// The new presence's name.
    pub presence: String,
    /// When.
    pub at: Timestamp,
}

/// What one contact-centre operation changes, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CcWrite {
    /// Queues to insert or replace.
    pub queues: Vec<CcQueue>,
    /// Tasks to insert or replace.
    pub tasks: Vec<CcTask>,
    /// Agents to insert or replace.
    pub agents: Vec<CcAgent>,
    /// Presence changes to append.
    pub presence: Vec<CcPresenceChange>,
}

/// An internal note on a conversation: for agents and supervisors, never for the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct CcNote {
    /// The note's id.
    pub id: String,
    /// The conversation.
    pub conversation_id: domain::ConversationId,
    /// Who wrote it.
    pub author_id: UserId,
    /// The text (personal data: never logged).
    pub body: domain::Redacted<String>,
    /// When.
    pub at: Timestamp,
}

impl std::fmt::Debug for CcNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CcNote")
            .field("id", &self.id)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// A canned answer agents can insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedResponse {
    /// Its id (a short name).
    pub id: String,
    /// A title shown in the list.
    pub title: String,
    /// The text inserted.
    pub body: String,
    /// The language it is written in, if one.
    pub language: Option<String>,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Which conversations to list (newest first); every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    /// Started at or after this time.
    pub from: Option<Timestamp>,
    /// Started before this time.
    pub to: Option<Timestamp>,
    /// On this channel.
    pub channel: Option<domain::Channel>,
    /// Running this flow.
    pub flow_id: Option<domain::FlowId>,
    /// After this one in the list (the previous page's last: its start and id).
    pub after: Option<(Timestamp, domain::ConversationId)>,
}

/// Which audit entries to list; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The action's name (`flow.publish`).
    pub action: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: Option<String>,
    /// Who acted (a user or API key id).
    pub actor_id: Option<String>,
    /// What was acted on (its id).
    pub object_id: Option<String>,
    /// At or after this time.
    pub from: Option<Timestamp>,
    /// Before this time.
    pub to: Option<Timestamp>,
}
