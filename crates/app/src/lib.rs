//! Hotline's use cases. The API and the CLI call these; they call the store through its
//! repository interface, the security core for every decision about secrets and
//! permissions, and write the audit log. Time comes from an injected [`Clock`].
//!
//! The `App` is cheap to clone and shared by every request handler.

mod at_rest;
mod audit;
mod auth;
mod bootstrap;
mod calls;
mod chat;
mod clock;
mod contact;
mod conversation;
mod destinations;
mod drafts;
mod error;
mod flows;
mod fraud;
mod history;
mod keys;
mod messaging;
mod phone_numbers;
mod ports;
mod principal;
mod privacy;
mod prompts;
mod recorded_prompts;
mod understanding;
mod users;

use std::sync::{Arc, Mutex};

use domain::{AuditEvent, RequestId, TenantId, Timestamp};
use security::ratelimit::Limiter;
use store::Store;

pub use at_rest::{RECORDING_EXTENSION, new_root_key, recording_id, recording_reference};
pub use audit::{AuditPage, ChainReport, Refusal, new_audit_key};
pub use auth::{EnrolmentStart, LoginOutcome, NextStep, SecondFactor, SessionInfo};
pub use bootstrap::{Bootstrapped, DEMO_FLOW_DE, DEMO_FLOW_EN};
pub use calls::{CallRoute, CallSession, transcript_in_other_language};
pub use chat::{ChatSession, ChatWidget};
pub use clock::{Clock, ManualClock, SystemClock};
pub use contact::{
    AgentProfile, AgentView, CallBack, CannedSpec, ContactSettings, ConversationView,
    DEFAULT_SIP_REALM, Desk, DeskEvent, HAND_OVER_REASON_NAMES, HandOverReason, KpiInterval,
    KpiRow, MAX_CALL_BACK_ATTEMPTS, PRESENCE_NAMES, ProxySettings, QueueConfig, QueueView,
    ServiceLevelVariant, SipAccount, SipAccountView, TASK_STATE_NAMES, TaskRecord, TaskView,
    builtin_crisis_text, call_back_number,
};
pub use conversation::{CallCommand, ChatMessage, ConversationEvent, MAX_MESSAGE_BYTES};
pub use destinations::{MAX_DESTINATIONS, normalize_destination};
pub use drafts::{
    DraftErrors, IntentHealth, IntentReport, IntentWarning, MIN_EXAMPLES, OVERLAP_SHARE, Overlap,
    Simulation, TestRun,
};
pub use error::{AppError, AppResult, FieldError};
pub use flows::{
    FlowWithDiagnostics, MAX_NOTE_CHARS, NodePosition, WidgetSpec, parse_layout, parse_source,
};
pub use fraud::{
    Destination, NumberClass, OutboundCalls, OutboundPolicy, OutboundSlot,
    Refusal as OutboundRefusal, allowed as outbound_allowed, classify as classify_number,
};
pub use history::{ConversationOutcome, HistoryEntry, HistoryPage, HistoryQuery, MAX_HISTORY_PAGE};
pub use keys::CreatedApiKey;
pub use messaging::render::options_as_lines;
pub use messaging::{DeliveryReport, Inbound, InboundMessage, ProxySessionView};
pub use phone_numbers::PhoneNumberSpec;
pub use ports::{
    AsrError, CallBackDialer, CallBackOrder, Grammar, HttpClient, MessageSender, OutboundMessage,
    OutboundOutcome, OutboundRequest, OutboundResponse, PrivateAccess, Prompt, PromptText,
    PromptWarmer, Recognition, RecognitionStream, Recognizer, RecordingFiles, SendOutcome,
    Synthesizer, TtsError, VadEvent, Voice,
};
pub use principal::{Principal, PrincipalKind};
pub use privacy::{ContactExport, ErasureReport, ExpiryReport, ProcessingRecord, Subject};
pub use prompts::{flow_phrases, flow_prompts};
pub use recorded_prompts::{MAX_PROMPT_UPLOAD_BYTES, PromptListing, valid_prompt_name};
/// A conversation's status travels in [`ConversationEvent::Status`]; shells without a store
/// dependency (the call shell) name it through here.
pub use store::ConversationStatus;
pub use understanding::{Explanation, FlowUnderstanding, UnderstoodBy};
pub use users::CreatedUser;

/// Session and login-throttling policy. The defaults follow OWASP ASVS 5.0.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// A session unused for this long ends (30 minutes).
    pub idle_timeout_ms: i64,
    /// A session ends this long after login, used or not (12 hours).
    pub absolute_timeout_ms: i64,
    /// A half-finished login (password right, second factor due) lasts this long.
    pub partial_timeout_ms: i64,
    /// Failed logins allowed per account within `account_window_ms`.
    pub account_max_failures: u32,
    /// The window for account failures.
    pub account_window_ms: i64,
    /// Failed logins allowed per source IP within `ip_window_ms`.
    pub ip_max_failures: u32,
    /// The window for source-IP failures.
    pub ip_window_ms: i64,
    /// Wrong second-factor codes allowed per user within `totp_window_ms`.
    pub totp_max_failures: u32,
    /// The window for second-factor failures.
    pub totp_window_ms: i64,
    /// The issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// New web-chat conversations one source address may open within `chat_new_window_ms`.
    pub chat_new_per_source: u32,
    /// The window for new chats per source.
    pub chat_new_window_ms: i64,
    /// Messages one chat conversation may receive within `chat_message_window_ms`, over all
    /// its connections together.
    pub chat_messages_per_conversation: u32,
    /// The window for chat messages.
    pub chat_message_window_ms: i64,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            idle_timeout_ms: 30 * 60 * 1000,
            absolute_timeout_ms: 12 * 60 * 60 * 1000,
            partial_timeout_ms: 10 * 60 * 1000,
            account_max_failures: 5,
            account_window_ms: 15 * 60 * 1000,
            ip_max_failures: 30,
            ip_window_ms: 15 * 60 * 1000,
            totp_max_failures: 5,
            totp_window_ms: 15 * 60 * 1000,
            totp_issuer: "Hotline".to_owned(),
            chat_new_per_source: 20,
            chat_new_window_ms: 60 * 1000,
            chat_messages_per_conversation: 10,
            chat_message_window_ms: 10 * 1000,
        }
    }
}

/// Where a request came from, for rate limits and the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client's IP address, if known.
    pub source_ip: Option<String>,
    /// The request id.
    pub request_id: Option<RequestId>,
}

#[derive(Debug)]
struct Limits {
    per_account: Limiter,
    per_ip: Limiter,
    per_user_totp: Limiter,
    /// New chat conversations per source address.
    new_chats: Limiter,
    /// Messages per chat conversation.
    chat_messages: Limiter,
    /// Audited refusals per caller and kind (one a minute).
    refusals: Limiter,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    policy: AuthPolicy,
    limits: Mutex<Limits>,
    conversations: conversation::ConversationRuntime,
    calls: calls::CallRuntime,
    contact: contact::ContactRuntime,
    prompts: prompts::PromptRuntime,
    /// The speech engine for previews (see `recorded_prompts`).
    speech: recorded_prompts::SpeechRuntime,
    /// Models and reports of drafts being edited (see `drafts`).
    drafts: drafts::DraftModels,
    /// Set once at start-up when `nlu.encoder_dir` is configured (see `understanding`).
    sentence_encoder: std::sync::OnceLock<nlu::SharedEmbedder>,
    /// The digest realm of agents' phones (`sip.realm`), set once at start-up.
    sip_realm: std::sync::OnceLock<String>,
    /// The key that signs audit chain heads, set once at start-up (see `audit`).
    audit_key: std::sync::OnceLock<Vec<u8>>,
    /// Where recording files live, set once at start-up (see `privacy`).
    recording_files: std::sync::OnceLock<Arc<dyn ports::RecordingFiles>>,
    /// When the last finished pass of the retention job began (see `privacy`).
    retention_passes: tokio::sync::watch::Sender<i64>,
    /// Messaging channels' threads and outbox (see `messaging`).
    messaging: messaging::MessagingRuntime,
}

/// The application: the store, the clock and the policy, shared by all requests.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl App {
    /// Builds the application over a migrated store.
    pub fn new(store: Store, clock: Arc<dyn Clock>, policy: AuthPolicy) -> Self {
        let limits = Limits {
            per_account: Limiter::new(policy.account_max_failures, policy.account_window_ms),
            per_ip: Limiter::new(policy.ip_max_failures, policy.ip_window_ms),
            per_user_totp: Limiter::new(policy.totp_max_failures, policy.totp_window_ms),
            new_chats: Limiter::new(policy.chat_new_per_source, policy.chat_new_window_ms),
            chat_messages: Limiter::new(
                policy.chat_messages_per_conversation,
                policy.chat_message_window_ms,
            ),
            refusals: Limiter::new(1, 60 * 1000),
        };
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                policy,
                limits: Mutex::new(limits),
                conversations: conversation::ConversationRuntime::default(),
                calls: calls::CallRuntime::default(),
                contact: contact::ContactRuntime::default(),
                prompts: prompts::PromptRuntime::default(),
                drafts: drafts::DraftModels::default(),
                speech: recorded_prompts::SpeechRuntime::default(),
                sentence_encoder: std::sync::OnceLock::new(),
                sip_realm: std::sync::OnceLock::new(),
                audit_key: std::sync::OnceLock::new(),
                recording_files: std::sync::OnceLock::new(),
                retention_passes: tokio::sync::watch::Sender::new(i64::MIN),
                messaging: messaging::MessagingRuntime::default(),
            }),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The current time from the injected clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The session and login policy.
    pub fn policy(&self) -> &AuthPolicy {
        &self.inner.policy
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ready(&self) -> bool {
        self.inner.store.ping().await.is_ok()
    }

    /// Appends to a tenant's audit chain. A failure to audit is an error of the action.
    /// The source address is kept as the tenant's privacy settings say (itself, a pseudonym,
    /// or nothing).
    pub(crate) async fn audit(&self, tenant: TenantId, mut event: AuditEvent) -> AppResult<()> {
        if let Some(ip) = event.source_ip.take() {
            event.source_ip = self.audit_source(tenant, ip).await?;
        }
        let id = domain::AuditEntryId::from_random_bytes(random_bytes()?);
        self.inner
            .store
            .append_audit(tenant, id, self.now(), &event)
            .await
            .map_err(|e| {
                AppError::Internal(anyhow::Error::new(e).context("writing the audit log"))
            })?;
        Ok(())
    }

    fn limits(&self) -> std::sync::MutexGuard<'_, Limits> {
        // A panic while holding the lock leaves only counters behind; they stay usable.
        self.inner
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness available: {e}")))?;
    Ok(buf)
}
