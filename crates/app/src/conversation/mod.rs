//! Conversations: running a flow's engine for a contact on any channel and carrying out its
//! effects. The channels (`chat`, `calls`) open conversations and feed them inputs; this
//! module owns what they share: the per-conversation lock, the step, persistence and the
//! event stream shells subscribe to.
//!
//! Every input (the start, a message, a timer, an HTTP result) is one *step*: the
//! conversation is locked, the engine handles the input, and everything the step changes —
//! the caller's message, the bot's replies, timers, the queue entry, the new engine state —
//! is written in one transaction before anyone is told. Only then are the new messages
//! published to connected sockets and HTTP requests started. So an acknowledged message is
//! never lost, and a restart continues every conversation from its stored state: timers live
//! in the store and HTTP requests have a stored watchdog timer. What a step changes is
//! decided by the pure [`plan::plan_step`]; this module does the IO around it.

mod compiled;
mod events;
mod handover;
mod plan;
mod timers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::{ConversationId, FlowId, TenantId};
use flow::{ConversationState, Engine, Input};
use store::{Conversation, ConversationStatus, QueueEntry};
use tokio::sync::broadcast;

pub(crate) use compiled::CompiledFlow;
pub use events::{CallCommand, ChatMessage, ConversationEvent};
pub(crate) use plan::status_of;

use crate::ports::HttpClient;
use crate::{App, AppError, AppResult};
pub use handover::HandOverReason;
pub(crate) use handover::{FollowUp, HandOverCheck, Understood};
use plan::{StepInput, StepPlan, plan_step};

/// Longest user message, in bytes of UTF-8.
pub const MAX_MESSAGE_BYTES: usize = 4000;

/// Per-process runtime state of conversations: locks, subscribers, compiled flows, and the
/// HTTP client and base URL flows use.
#[derive(Default)]
pub(crate) struct ConversationRuntime {
    locks: Mutex<HashMap<ConversationId, Arc<tokio::sync::Mutex<()>>>>,
    channels: Mutex<HashMap<ConversationId, broadcast::Sender<ConversationEvent>>>,
    flows: Mutex<HashMap<(TenantId, FlowId, i64), CompiledFlow>>,
    http: std::sync::OnceLock<Arc<dyn HttpClient>>,
    base_url: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for ConversationRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConversationRuntime { .. }")
    }
}

/// A caller's message that causes a step; stored with it and deduplicated by `client_id`.
pub(crate) struct UserMessage {
    pub(crate) client_id: String,
    pub(crate) text: String,
}

/// Locks a mutex whose data stays usable after a panic elsewhere (maps of handles and
/// caches: nothing is left half-changed in them).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The engine state a conversation stored.
pub(crate) fn stored_state(conversation: &Conversation) -> AppResult<ConversationState> {
    serde_json::from_str(&conversation.state)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("stored conversation state")))
}

impl App {
    fn conversations(&self) -> &ConversationRuntime {
        &self.inner.conversations
    }

    /// Records the server's own base URL (once, at start-up); flows see it as
    /// `{{system.base_url}}`.
    pub fn set_base_url(&self, url: String) {
        let _ = self.conversations().base_url.set(url);
    }

    /// Installs the HTTP client flows use (once, at start-up).
    pub fn set_http_client(&self, client: Arc<dyn HttpClient>) {
        let _ = self.conversations().http.set(client);
    }

    /// Subscribes to a conversation's live events, on any channel (subscribe before
    /// replaying history or running the first step, so nothing falls between the two).
    pub fn chat_subscribe(
        &self,
        conversation: ConversationId,
    ) -> broadcast::Receiver<ConversationEvent> {
        let mut channels = lock(&self.conversations().channels);
        channels
            .entry(conversation)
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe()
    }

    /// Tells a conversation's subscribers; forgets the stream once nobody listens.
    pub(crate) fn publish(&self, conversation: ConversationId, event: ConversationEvent) {
        let mut channels = lock(&self.conversations().channels);
        if let Some(tx) = channels.get(&conversation) {
            if tx.receiver_count() == 0 {
                channels.remove(&conversation);
            } else {
                let _ = tx.send(event);
            }
        }
    }

    /// The people waiting in a queue, in service order.
    pub async fn queue_entries(&self, tenant: TenantId, queue: &str) -> AppResult<Vec<QueueEntry>> {
        Ok(self.store().list_queue(tenant, queue).await?)
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

    /// Creates a conversation and runs its first step with the caller's message that opened
    /// it (a message channel's first message), written in one transaction.
    pub(crate) async fn start_conversation_with(
        &self,
        conversation: Conversation,
        input: Input,
        user: Option<UserMessage>,
    ) -> AppResult<()> {
        let (tenant, id) = (conversation.tenant_id, conversation.id);
        self.step_or_create(tenant, id, input, user, Some(conversation))
            .await?;
        Ok(())
    }

    pub(crate) fn conversation_lock(
        &self,
        conversation: ConversationId,
    ) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.conversations().locks)
            .entry(conversation)
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
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
        // The contact centre is told after the conversation's lock is released: its
        // decisions change conversations (this one included) under their own locks.
        let result = match result {
            Ok((seq, follow)) => {
                self.follow_up(tenant, conversation, follow).await;
                Ok(seq)
            }
            Err(e) => Err(e),
        };
        {
            let mut locks = lock(&self.conversations().locks);
            if locks
                .get(&conversation)
                .is_some_and(|l| Arc::strong_count(l) <= 2)
            {
                locks.remove(&conversation);
            }
        }
        result
    }

    /// One step under the conversation's lock: load → dedup → hand-over checks → compile →
    /// engine → plan → persist → publish.
    async fn step_locked(
        &self,
        tenant: TenantId,
        conversation_id: ConversationId,
        input: Input,
        user: Option<UserMessage>,
        create: Option<Conversation>,
    ) -> AppResult<(Option<i64>, FollowUp)> {
        let creating = create.is_some();
        let conv = match create {
            Some(c) => c,
            None => self
                .store()
                .get_conversation(tenant, conversation_id)
                .await?
                .ok_or(AppError::NotFound)?,
        };
        if let Some(u) = &user
            && let Some(seq) = self.already_stored(&conv, u).await?
        {
            return Ok((Some(seq), FollowUp::default()));
        }
        // Every caller message, in every state of every flow, is checked for a crisis and
        // for a request for a person before the flow sees it.
        let check = self.hand_over_check(tenant, &input).await;
        if conv.status == ConversationStatus::WithAgent {
            return self.step_with_agent(&conv, input, user, check).await;
        }
        if conv.status == ConversationStatus::CallBack {
            // The caller hung up to be called back: nothing runs until an agent calls (the
            // flow's timers, a late HTTP result and the call's own hang-up change nothing).
            return Ok((None, FollowUp::default()));
        }
        let compiled = self
            .compiled(tenant, conv.flow_id, conv.flow_version)
            .await?;
        let mut state = self.engine_state(&conv)?;
        let before = status_of(&state);
        let now = self.now();
        let engine = Engine::new(&compiled.flow, compiled.matcher.as_ref());
        let turn = handover::Turn {
            check,
            queued: before.0 == ConversationStatus::Queued,
            handover_queue: if check.crisis || check.human {
                self.handover_queue(tenant).await
            } else {
                String::new()
            },
            crisis_text: if check.crisis {
                Some(self.crisis_text(tenant, &state.language).await)
            } else {
                None
            },
        };
        let hangup = matches!(input, Input::Hangup);
        let (effects, reason) = handover::run_turn(&engine, &mut state, input, now.millis(), &turn);
        let follow = FollowUp {
            crisis: check.crisis,
            reason,
            channel: conv.channel,
            hangup,
            ..FollowUp::default()
        };
        let was_queued = before.0 == ConversationStatus::Queued;
        let mut plan = plan_step(StepInput {
            conversation: &conv,
            create: creating,
            before,
            state: &state,
            effects,
            user: user.as_ref(),
            call_phrases: (conv.channel == domain::Channel::Voice)
                .then(|| compiled.phrases(&state.language)),
            now,
        })?;
        plan.write.routes = self
            .follow_up_routes(tenant, conversation_id, &plan.follow_ups)
            .await;
        self.store()
            .save_step(tenant, conversation_id, &plan.write)
            .await?;
        let follow = FollowUp {
            enqueue: plan
                .write
                .enqueue
                .clone()
                .map(|e| (e, Understood::from_state(&state))),
            left_queue: was_queued
                && (plan.write.dequeue || plan.write.status == ConversationStatus::Ended),
            ..follow
        };
        Ok((self.carry_out(tenant, conversation_id, plan), follow))
    }

    /// The seq a retried message (or one racing its original) was stored under, checked
    /// under the conversation's lock so a message is never processed twice; `Conflict` for a
    /// new message to an ended conversation.
    async fn already_stored(
        &self,
        conv: &Conversation,
        user: &UserMessage,
    ) -> AppResult<Option<i64>> {
        if let Some(seq) = self
            .store()
            .find_client_message(conv.tenant_id, conv.id, &user.client_id)
            .await?
        {
            return Ok(Some(seq));
        }
        if conv.status == ConversationStatus::Ended {
            return Err(AppError::Conflict("conversation (it has ended)"));
        }
        Ok(None)
    }

    /// The stored state, with the server's system variables.
    fn engine_state(&self, conv: &Conversation) -> AppResult<ConversationState> {
        let mut state = stored_state(conv)?;
        // System variables are the server's, not the conversation's: refresh them each step so
        // a conversation continued after a restart (on another address) uses the current ones.
        if let Some(base) = self.conversations().base_url.get() {
            state
                .vars
                .insert("system.base_url".to_owned(), base.clone());
        }
        Ok(state)
    }

    /// After the step is stored: tells the subscribers and starts the HTTP requests.
    fn carry_out(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        plan: StepPlan,
    ) -> Option<i64> {
        let proxied = plan
            .write
            .routes
            .iter()
            .any(|(_, r)| matches!(r, store::DeliveryRoute::Proxy(_)));
        if proxied
            || plan.write.deliver
                && plan
                    .write
                    .messages
                    .iter()
                    .any(|m| m.sender != domain::Sender::User)
        {
            self.kick_outbox(tenant, conversation);
        }
        for event in plan.events {
            self.publish(conversation, event);
        }
        for (id, request) in plan.requests {
            self.spawn_http(tenant, conversation, id, request);
        }
        plan.user_seq
    }
}
