//! Conversations: running a flow's engine for a caller and carrying out its effects.
//!
//! Every input (the start, a message, a timer, an HTTP result) is one *step*: the
//! conversation is locked, the engine handles the input, and everything the step changes —
//! the caller's message, the bot's replies, timers, the queue entry, the new engine state —
//! is written in one transaction before anyone is told. Only then are the new messages
//! published to connected sockets and HTTP requests started. So an acknowledged message is
//! never lost, and a restart continues every conversation from its stored state: timers live
//! in the store and HTTP requests have a stored watchdog timer.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use domain::{ConversationId, FlowId, Redacted, TenantId, Timestamp};
use flow::{Channel, ConversationState, Effect, Engine, Input, IntentMatcher, Waiting};
use store::{Conversation, ConversationStatus, Message, QueueEntry, StepWrite, Widget};
use tokio::sync::broadcast;

use crate::{App, AppError, AppResult, random_bytes};

/// Longest user message, in bytes of UTF-8.
pub const MAX_MESSAGE_BYTES: usize = 4000;

/// Extra time after an HTTP request's own timeout before its watchdog fires.
const HTTP_WATCHDOG_GRACE_MS: i64 = 5_000;

/// One message as a chat client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Position in the conversation.
    pub seq: i64,
    /// Who wrote it.
    pub from: domain::Sender,
    /// The text (personal data: never logged).
    pub text: Redacted<String>,
    /// Choices offered with it.
    pub choices: Vec<flow::Choice>,
    /// The client's id of a user message.
    pub client_id: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// Something a connected chat client should learn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatEvent {
    /// New messages, in order.
    Messages(Vec<ChatMessage>),
    /// The conversation's status changed.
    Status {
        /// Where it stands now.
        state: ConversationStatus,
        /// The queue, when queued.
        queue: Option<String>,
    },
    /// Someone is (not) typing.
    Typing {
        /// The bot or an agent.
        from: domain::Sender,
        /// Typing or not.
        state: bool,
    },
    /// What a call must do next (voice conversations only), in order.
    Call(Vec<crate::voice::CallCommand>),
}

/// A widget a chat is opened through, with its tenant.
#[derive(Debug, Clone)]
pub struct ChatWidget {
    /// The widget's tenant.
    pub tenant: TenantId,
    /// The widget.
    pub widget: Widget,
}

/// An open chat: which conversation, and the token the browser keeps to resume it.
#[derive(Clone)]
pub struct ChatSession {
    /// The tenant.
    pub tenant: TenantId,
    /// The conversation.
    pub conversation: ConversationId,
    /// The resume token (secret; only its hash is stored).
    pub token: String,
    /// The conversation's status.
    pub status: ConversationStatus,
    /// The queue it waits in, when queued.
    pub queue: Option<String>,
    /// Whether this resumed an existing conversation.
    pub resumed: bool,
    /// The language the conversation runs in.
    pub language: String,
}

impl std::fmt::Debug for ChatSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatSession")
            .field("tenant", &self.tenant)
            .field("conversation", &self.conversation)
            .field("status", &self.status)
            .field("resumed", &self.resumed)
            .finish_non_exhaustive()
    }
}

/// An HTTP request a flow makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// Method name.
    pub method: &'static str,
    /// URL.
    pub url: String,
    /// Headers.
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: Option<String>,
    /// Timeout.
    pub timeout_ms: u64,
}

/// What came back; status 0 means no response (refused address, timeout, network error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    /// Status code or 0.
    pub status: u16,
    /// The body (truncated by the client to a sane size).
    pub body: String,
}

/// The port through which flows make HTTP requests; implemented by the `channels` crate.
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync + std::fmt::Debug {
    /// Performs the request. `allow_private` permits loopback and private addresses.
    async fn send(&self, request: OutboundRequest, allow_private: bool) -> OutboundResponse;
}

/// Per-process runtime state of conversations: locks, subscribers, compiled flows.
#[derive(Default)]
pub(crate) struct ChatRuntime {
    locks: Mutex<HashMap<ConversationId, Arc<tokio::sync::Mutex<()>>>>,
    channels: Mutex<HashMap<ConversationId, broadcast::Sender<ChatEvent>>>,
    flows: Mutex<HashMap<(TenantId, FlowId, i64), CompiledFlow>>,
    http: std::sync::OnceLock<Arc<dyn HttpClient>>,
    base_url: std::sync::OnceLock<String>,
    pub(crate) prompt_warmer: std::sync::OnceLock<Arc<dyn crate::voice::PromptWarmer>>,
    /// Where numbers' calls go, kept briefly so an INVITE does not wait for the database.
    pub(crate) call_routes: Mutex<HashMap<String, crate::voice::CachedRoute>>,
}

impl std::fmt::Debug for ChatRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChatRuntime { .. }")
    }
}

/// A compiled flow version with its intent matcher.
#[derive(Clone)]
pub(crate) struct CompiledFlow {
    pub(crate) flow: Arc<flow::Flow>,
    pub(crate) matcher: Arc<dyn IntentMatcher>,
    /// Per language: the phrases callers may say (a recogniser's grammar).
    pub(crate) phrases: Arc<BTreeMap<String, Arc<Vec<String>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn status_of(state: &ConversationState) -> (ConversationStatus, Option<String>) {
    match &state.waiting {
        Waiting::Queue { queue, .. } => (ConversationStatus::Queued, Some(queue.clone())),
        Waiting::Ended { .. } => (ConversationStatus::Ended, None),
        _ => (ConversationStatus::Active, None),
    }
}

fn to_chat_message(m: &Message) -> ChatMessage {
    ChatMessage {
        seq: m.seq,
        from: m.sender,
        text: m.body.clone(),
        choices: m
            .choices
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default(),
        client_id: m.client_id.clone(),
        at: m.at,
    }
}

/// Timer ids below zero are HTTP watchdogs: `-(request id) - 1`.
fn watchdog_timer(request: u32) -> i64 {
    -i64::from(request) - 1
}

fn watchdog_request(timer: i64) -> Option<u32> {
    if timer < 0 {
        u32::try_from(-(timer + 1)).ok()
    } else {
        None
    }
}

pub(crate) struct UserMessage {
    pub(crate) client_id: String,
    pub(crate) text: String,
}

impl App {
    pub(crate) fn chat(&self) -> &ChatRuntime {
        &self.inner.chat
    }

    /// Records the server's own base URL (once, at start-up); flows see it as
    /// `{{system.base_url}}`.
    pub fn set_base_url(&self, url: String) {
        let _ = self.chat().base_url.set(url);
    }

    /// Installs the HTTP client flows use (once, at start-up).
    pub fn set_http_client(&self, client: Arc<dyn HttpClient>) {
        let _ = self.chat().http.set(client);
    }

    /// Finds a widget by its public id and checks the page's origin against its allowed
    /// origins. `Forbidden` for a foreign origin, `NotFound` for an unknown widget.
    pub async fn chat_widget(
        &self,
        public_id: &str,
        origin: Option<&str>,
    ) -> AppResult<ChatWidget> {
        let tenant = self
            .store()
            .resolve_widget(public_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let widget = self
            .store()
            .get_widget(tenant, public_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let allowed = widget.allowed_origins.iter().any(|o| o == "*")
            || origin.is_some_and(|origin| {
                widget
                    .allowed_origins
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(origin))
            });
        if !allowed {
            return Err(AppError::Forbidden);
        }
        Ok(ChatWidget { tenant, widget })
    }

    /// Opens a chat: resumes the conversation a resume token names (if it has not ended),
    /// or starts a new one on the widget's flow and runs it to its first question.
    pub async fn chat_open(
        &self,
        widget: &ChatWidget,
        resume_token: Option<&str>,
        language: Option<&str>,
    ) -> AppResult<ChatSession> {
        let tenant = widget.tenant;
        if let Some(token) = resume_token {
            let hash = security::token::hash_secret(token);
            if let Some(conv) = self
                .store()
                .find_conversation_by_session(tenant, &hash)
                .await?
                && conv.status != ConversationStatus::Ended
                && conv.widget_id.as_deref() == Some(widget.widget.id.as_str())
            {
                let state: ConversationState = serde_json::from_str(&conv.state).map_err(|e| {
                    AppError::Internal(anyhow::Error::new(e).context("stored conversation state"))
                })?;
                let (status, queue) = status_of(&state);
                return Ok(ChatSession {
                    tenant,
                    conversation: conv.id,
                    token: token.to_owned(),
                    status,
                    queue,
                    resumed: true,
                    language: state.language,
                });
            }
        }
        let flow_id = widget
            .widget
            .flow_id
            .ok_or(AppError::Conflict("widget (no flow is bound to it)"))?;
        let record = self
            .store()
            .get_flow(tenant, flow_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let version = record
            .active_version
            .ok_or(AppError::Conflict("widget (its flow is not published)"))?;
        let compiled = self.compiled(tenant, flow_id, version).await?;
        let doc = compiled.flow.document();
        let lang = language
            .filter(|l| doc.languages.iter().any(|x| x == l) || doc.language == *l)
            .unwrap_or(doc.language.as_str())
            .to_owned();
        let now = self.now();
        let token = security::token::secret_from_random(random_bytes()?);
        let state = ConversationState::new(Channel::Chat, &lang);
        let conversation = Conversation {
            tenant_id: tenant,
            id: ConversationId::from_random_bytes(random_bytes()?),
            channel: domain::Channel::Chat,
            widget_id: Some(widget.widget.id.clone()),
            flow_id,
            flow_version: version,
            session_hash: security::token::hash_secret(&token),
            state: serde_json::to_string(&state).map_err(|e| AppError::Internal(e.into()))?,
            status: ConversationStatus::Active,
            last_seq: 0,
            created_at: now,
            updated_at: now,
        };
        tracing::info!(conversation = %conversation.id, flow = %flow_id, version, "chat started");
        let mut variables = BTreeMap::new();
        variables.insert("contact.language".to_owned(), lang.clone());
        variables.insert("channel.widget".to_owned(), widget.widget.id.clone());
        let input = Input::Start {
            channel: Channel::Chat,
            language: Some(lang),
            entry: None,
            variables,
        };
        let id = conversation.id;
        self.start_conversation(conversation, input).await?;
        let stored = self
            .store()
            .get_conversation(tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let state: ConversationState =
            serde_json::from_str(&stored.state).map_err(|e| AppError::Internal(e.into()))?;
        let (status, queue) = status_of(&state);
        Ok(ChatSession {
            tenant,
            conversation: id,
            token,
            status,
            queue,
            resumed: false,
            language: state.language,
        })
    }

    /// Messages after `after_seq`, oldest first (for replay on resume).
    pub async fn chat_history(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        after_seq: i64,
    ) -> AppResult<Vec<ChatMessage>> {
        let mut out = Vec::new();
        let mut after = after_seq;
        loop {
            let page = self
                .store()
                .messages_after(tenant, conversation, after, 500)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            let full = page.len() == 500;
            out.extend(page.iter().map(to_chat_message));
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// Subscribes to a conversation's live events (subscribe before replaying history, so
    /// nothing falls between the two).
    pub fn chat_subscribe(&self, conversation: ConversationId) -> broadcast::Receiver<ChatEvent> {
        let mut channels = lock(&self.chat().channels);
        channels
            .entry(conversation)
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe()
    }

    fn publish(&self, conversation: ConversationId, event: ChatEvent) {
        let mut channels = lock(&self.chat().channels);
        if let Some(tx) = channels.get(&conversation) {
            if tx.receiver_count() == 0 {
                channels.remove(&conversation);
            } else {
                let _ = tx.send(event);
            }
        }
    }

    /// Takes a caller's message. Idempotent by `client_id`: a retried message is not
    /// processed twice, and its original sequence number is returned. The returned number is
    /// the acknowledgement: the message is stored when this returns. `label` is what the
    /// caller saw when choosing an option (the transcript shows it; the flow gets `text`).
    pub async fn chat_user_message(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        client_id: &str,
        text: &str,
        label: Option<&str>,
    ) -> AppResult<i64> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(AppError::field(
                "text",
                format!("at most {MAX_MESSAGE_BYTES} bytes"),
            ));
        }
        if client_id.is_empty() || client_id.len() > 64 || client_id.chars().any(|c| c.is_control())
        {
            return Err(AppError::field("id", "a message id of 1–64 characters"));
        }
        let trimmed = text.trim();
        let input = if !trimmed.is_empty()
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            Input::Digits {
                digits: trimmed.to_owned(),
            }
        } else {
            Input::Text {
                text: trimmed.to_owned(),
            }
        };
        self.publish(
            conversation,
            ChatEvent::Typing {
                from: domain::Sender::Bot,
                state: true,
            },
        );
        let seq = self
            .step(
                tenant,
                conversation,
                input,
                Some(UserMessage {
                    client_id: client_id.to_owned(),
                    text: label.unwrap_or(text).to_owned(),
                }),
            )
            .await;
        self.publish(
            conversation,
            ChatEvent::Typing {
                from: domain::Sender::Bot,
                state: false,
            },
        );
        match seq? {
            Some(seq) => Ok(seq),
            None => Err(AppError::Internal(anyhow::anyhow!(
                "user message was not stored"
            ))),
        }
    }

    /// Fires every timer that is due; returns how many fired. The server calls this
    /// periodically; tests call it after moving the clock.
    pub async fn fire_due_timers(&self) -> AppResult<usize> {
        let due = self.store().due_timers(self.now(), 200).await?;
        let mut fired = 0;
        for timer in due {
            // Taking the timer is a compare-and-set: with several nodes, one fires it.
            if !self
                .store()
                .take_timer(timer.tenant_id, timer.conversation_id, timer.timer_id)
                .await?
            {
                continue;
            }
            let input = match watchdog_request(timer.timer_id) {
                Some(request) => Input::HttpResult {
                    request,
                    status: 0,
                    body: String::new(),
                },
                None => Input::TimerFired {
                    timer: u32::try_from(timer.timer_id).unwrap_or(u32::MAX),
                },
            };
            match self
                .step(timer.tenant_id, timer.conversation_id, input, None)
                .await
            {
                Ok(_) => fired += 1,
                Err(e) => {
                    tracing::warn!(conversation = %timer.conversation_id, error = %e, "timer step failed")
                }
            }
        }
        Ok(fired)
    }

    /// The people waiting in a queue, in service order.
    pub async fn queue_entries(&self, tenant: TenantId, queue: &str) -> AppResult<Vec<QueueEntry>> {
        Ok(self.store().list_queue(tenant, queue).await?)
    }

    /// A published version compiled, with its trained intent matcher; cached, since versions
    /// never change.
    pub(crate) async fn compiled(
        &self,
        tenant: TenantId,
        flow_id: FlowId,
        version: i64,
    ) -> AppResult<CompiledFlow> {
        self.compiled_warming(tenant, flow_id, version, true).await
    }

    /// [`Self::compiled`]; on a cache miss, `warm_in_background` has the version's prompts
    /// synthesised in the background (publishing waits for them instead).
    pub(crate) async fn compiled_warming(
        &self,
        tenant: TenantId,
        flow_id: FlowId,
        version: i64,
        warm_in_background: bool,
    ) -> AppResult<CompiledFlow> {
        if let Some(c) = lock(&self.chat().flows).get(&(tenant, flow_id, version)) {
            return Ok(c.clone());
        }
        let flow = self.compiled_flow(tenant, flow_id, version).await?;
        let for_training = flow.clone();
        let encoder = self.sentence_encoder();
        let understanding = tokio::task::spawn_blocking(move || {
            crate::understanding::FlowUnderstanding::train_with_encoder(&for_training, encoder)
        })
        .await
        .map_err(|e| {
            AppError::Internal(anyhow::Error::new(e).context("training the flow's model"))
        })?;
        let matcher: Arc<dyn IntentMatcher> = Arc::new(understanding);
        let doc = flow.document();
        let mut phrases = BTreeMap::new();
        for language in doc.languages.iter().chain(std::iter::once(&doc.language)) {
            phrases.insert(
                language.clone(),
                Arc::new(crate::voice::flow_phrases(doc, language)),
            );
        }
        if warm_in_background {
            self.warm_prompts(doc);
        }
        let compiled = CompiledFlow {
            flow,
            matcher,
            phrases: Arc::new(phrases),
        };
        lock(&self.chat().flows).insert((tenant, flow_id, version), compiled.clone());
        Ok(compiled)
    }

    fn conversation_lock(&self, conversation: ConversationId) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.chat().locks)
            .entry(conversation)
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    }

    /// Runs one engine step and persists it. Returns the stored user message's seq.
    pub(crate) async fn step(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        input: Input,
        user: Option<UserMessage>,
    ) -> AppResult<Option<i64>> {
        self.step_or_create(tenant, conversation, input, user, None)
            .await
    }

    /// Creates a conversation and runs its first step, written in one transaction.
    pub(crate) async fn start_conversation(
        &self,
        conversation: Conversation,
        input: Input,
    ) -> AppResult<()> {
        let (tenant, id) = (conversation.tenant_id, conversation.id);
        self.step_or_create(tenant, id, input, None, Some(conversation))
            .await?;
        Ok(())
    }

    async fn step_or_create(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        input: Input,
        user: Option<UserMessage>,
        create: Option<Conversation>,
    ) -> AppResult<Option<i64>> {
        let guard_arc = self.conversation_lock(conversation);
        let guard = guard_arc.lock().await;
        let result = self
            .step_locked(tenant, conversation, input, user, create)
            .await;
        drop(guard);
        {
            let mut locks = lock(&self.chat().locks);
            if locks
                .get(&conversation)
                .is_some_and(|l| Arc::strong_count(l) <= 2)
            {
                locks.remove(&conversation);
            }
        }
        result
    }

    async fn step_locked(
        &self,
        tenant: TenantId,
        conversation_id: ConversationId,
        input: Input,
        user: Option<UserMessage>,
        create: Option<Conversation>,
    ) -> AppResult<Option<i64>> {
        let conv = match &create {
            Some(c) => c.clone(),
            None => self
                .store()
                .get_conversation(tenant, conversation_id)
                .await?
                .ok_or(AppError::NotFound)?,
        };
        if let Some(u) = &user {
            // A retried message (or one racing its original) is answered with its stored seq,
            // under the conversation's lock, so it is never processed twice.
            if let Some(seq) = self
                .store()
                .find_client_message(tenant, conversation_id, &u.client_id)
                .await?
            {
                return Ok(Some(seq));
            }
            if conv.status == ConversationStatus::Ended {
                return Err(AppError::Conflict("conversation (it has ended)"));
            }
        }
        let compiled = self
            .compiled(tenant, conv.flow_id, conv.flow_version)
            .await?;
        let mut state: ConversationState = serde_json::from_str(&conv.state).map_err(|e| {
            AppError::Internal(anyhow::Error::new(e).context("stored conversation state"))
        })?;
        // System variables are the server's, not the conversation's: refresh them each step so
        // a conversation continued after a restart (on another address) uses the current ones.
        if let Some(base) = self.chat().base_url.get() {
            state
                .vars
                .insert("system.base_url".to_owned(), base.clone());
        }
        let before = status_of(&state);
        let now = self.now();
        let effects = Engine::new(&compiled.flow, compiled.matcher.as_ref()).handle(
            &mut state,
            input,
            now.millis(),
        );
        let call_commands = if conv.channel == domain::Channel::Voice {
            let phrases = compiled
                .phrases
                .get(&state.language)
                .cloned()
                .unwrap_or_default();
            crate::voice::call_commands(&effects, &state.language, &phrases)
        } else {
            Vec::new()
        };

        let mut messages = Vec::new();
        if let Some(u) = &user {
            messages.push(Message {
                seq: 0,
                sender: domain::Sender::User,
                body: Redacted::new(u.text.clone()),
                choices: None,
                client_id: Some(u.client_id.clone()),
                at: now,
            });
        }
        let mut set_timers = Vec::new();
        let mut cancel_timers = Vec::new();
        let mut enqueue = None;
        let mut http = Vec::new();
        let mut leave_queue = false;
        for effect in effects {
            match effect {
                Effect::Say { text, choices, .. } => {
                    if text.is_empty() && choices.is_empty() {
                        continue;
                    }
                    messages.push(Message {
                        seq: 0,
                        sender: domain::Sender::Bot,
                        body: Redacted::new(text),
                        choices: (!choices.is_empty())
                            .then(|| serde_json::to_string(&choices).unwrap_or_default()),
                        client_id: None,
                        at: now,
                    });
                }
                Effect::SendMessage { channel, text } => match channel {
                    flow::MessageChannel::Same => messages.push(Message {
                        seq: 0,
                        sender: domain::Sender::Bot,
                        body: Redacted::new(text),
                        choices: None,
                        client_id: None,
                        at: now,
                    }),
                    flow::MessageChannel::Sms => {
                        // The SMS channel arrives with the messaging capability; until then
                        // the follow-up is not sent, and that is logged (without content).
                        tracing::warn!(conversation = %conversation_id, "follow-up SMS not sent: no SMS channel configured");
                    }
                },
                Effect::StartTimer { id, at_ms } => {
                    set_timers.push((i64::from(id), Timestamp::from_millis(at_ms)))
                }
                Effect::CancelTimer { id } => cancel_timers.push(i64::from(id)),
                Effect::HttpRequest {
                    id,
                    method,
                    url,
                    headers,
                    body,
                    timeout_ms,
                } => {
                    let timeout = i64::try_from(timeout_ms).unwrap_or(30_000);
                    set_timers.push((
                        watchdog_timer(id),
                        now.plus_millis(timeout + HTTP_WATCHDOG_GRACE_MS),
                    ));
                    http.push((
                        id,
                        OutboundRequest {
                            method: method.as_str(),
                            url,
                            headers,
                            body,
                            timeout_ms,
                        },
                    ));
                }
                Effect::Enqueue {
                    queue,
                    priority,
                    context,
                } => {
                    enqueue = Some(QueueEntry {
                        conversation_id,
                        queue,
                        priority: i64::from(priority),
                        context: serde_json::to_string(&context)
                            .unwrap_or_else(|_| "{}".to_owned()),
                        enqueued_at: now,
                    });
                }
                Effect::LeaveQueue { .. } => leave_queue = true,
                Effect::Gather { .. }
                | Effect::Record { .. }
                | Effect::Transfer { .. }
                | Effect::End { .. } => {}
            }
        }
        let after = status_of(&state);
        let step = StepWrite {
            expected_last_seq: conv.last_seq,
            state: serde_json::to_string(&state).map_err(|e| AppError::Internal(e.into()))?,
            status: after.0,
            messages,
            set_timers,
            cancel_timers,
            dequeue: leave_queue
                || (before.0 == ConversationStatus::Queued
                    && after.0 != ConversationStatus::Queued),
            enqueue,
            at: now,
            create,
        };
        self.store()
            .save_step(tenant, conversation_id, &step)
            .await?;

        let mut stored: Vec<ChatMessage> = Vec::new();
        for (i, m) in step.messages.iter().enumerate() {
            let mut m = m.clone();
            m.seq = conv.last_seq + 1 + i64::try_from(i).unwrap_or(0);
            stored.push(to_chat_message(&m));
        }
        let user_seq = user.as_ref().map(|_| conv.last_seq + 1);
        if !stored.is_empty() {
            self.publish(conversation_id, ChatEvent::Messages(stored));
        }
        if before != after {
            self.publish(
                conversation_id,
                ChatEvent::Status {
                    state: after.0,
                    queue: after.1.clone(),
                },
            );
        }
        if !call_commands.is_empty() {
            self.publish(conversation_id, ChatEvent::Call(call_commands));
        }
        for (id, request) in http {
            self.spawn_http(tenant, conversation_id, id, request);
        }
        Ok(user_seq)
    }

    fn spawn_http(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        id: u32,
        request: OutboundRequest,
    ) {
        let app = self.clone();
        tokio::spawn(async move {
            let allow_private = app
                .store()
                .tenant_allows_private_http(tenant)
                .await
                .unwrap_or(false);
            let response = match app.chat().http.get() {
                Some(client) => client.send(request, allow_private).await,
                None => OutboundResponse {
                    status: 0,
                    body: String::new(),
                },
            };
            // Only the first of the response and the watchdog may feed the result.
            match app
                .store()
                .take_timer(tenant, conversation, watchdog_timer(id))
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(conversation = %conversation, error = %e, "HTTP result could not be recorded");
                    return;
                }
            }
            let input = Input::HttpResult {
                request: id,
                status: response.status,
                body: response.body,
            };
            if let Err(e) = app.step(tenant, conversation, input, None).await {
                tracing::warn!(conversation = %conversation, error = %e, "HTTP result step failed");
            }
        });
    }
}
