//! Calls: the same conversation runtime as the chat, opened by a phone number instead of a
//! widget. The call shell (the `voice` crate) resolves the number a call arrived on, opens a
//! conversation, feeds the caller's digits and speech as steps, and carries out the
//! [`CallCommand`]s each step publishes — in the order the flow produced them.
//!
//! The caller's own number is never stored or logged here: a conversation knows the hotline
//! number it came in on, not who called.

use std::collections::BTreeSet;
use std::sync::Arc;

use domain::{ConversationId, FlowId, TenantId, Timestamp};
use flow::{ConversationState, Effect, FlowDocument, Input, InputKind, Node, Text};
use store::{Conversation, ConversationStatus, PhoneNumber};
use tokio::sync::broadcast;

use crate::chat::{ChatEvent, UserMessage};
use crate::{App, AppError, AppResult, Principal, random_bytes};

/// Something the call shell must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCommand {
    /// Speak a text (or play `audio`), in `language`, with the flow's `voice` if it names one.
    Play {
        /// The rendered text (personal data may be in it: never logged).
        text: String,
        /// The conversation's language.
        language: String,
        /// A text-to-speech voice the flow asks for.
        voice: Option<String>,
        /// An audio file to play instead.
        audio: Option<String>,
    },
    /// Collect input: digits and/or speech, with phrases a recogniser may expect.
    Gather {
        /// What counts as input.
        kinds: Vec<InputKind>,
        /// Stop after this many digits.
        num_digits: Option<u8>,
        /// A key that ends digit input.
        finish_on_key: Option<char>,
        /// Phrases the flow understands here (for a recogniser's grammar).
        phrases: Arc<Vec<String>>,
    },
    /// Record the caller for at most `max_secs`; feed [`App::call_recording_done`] after.
    Record {
        /// Longest recording.
        max_secs: u32,
    },
    /// Hand the call to `to` (a SIP URI or number); feed [`App::call_transfer_failed`] on failure.
    Transfer {
        /// The target.
        to: String,
    },
    /// The call waits in a queue: play hold music and position announcements.
    Queued {
        /// The queue's name.
        queue: String,
    },
    /// The flow is over: hang up once everything before this has been played.
    Hangup,
}

/// How long a number's route is reused without asking the store. Changes made through this
/// process invalidate at once; the lifetime bounds staleness across several nodes.
const ROUTE_CACHE_MS: i64 = 10_000;
/// Routes kept at most (a scan of random numbers must not grow the cache without bound).
const ROUTE_CACHE_ENTRIES: usize = 10_000;

/// A cached answer of [`App::call_route`]: the route, or `None` for a number nobody has.
#[derive(Debug, Clone)]
pub(crate) struct CachedRoute {
    route: Option<CallRoute>,
    until_ms: i64,
}

/// Where a number's calls go.
#[derive(Debug, Clone)]
pub struct CallRoute {
    /// The number's tenant.
    pub tenant: TenantId,
    /// The flow.
    pub flow_id: FlowId,
    /// Its live version.
    pub version: i64,
    /// The conversation language.
    pub language: String,
}

/// An open call's conversation.
#[derive(Debug)]
pub struct CallSession {
    /// The tenant.
    pub tenant: TenantId,
    /// The conversation.
    pub conversation: ConversationId,
    /// Its language.
    pub language: String,
    /// What the flow asks of the call, step by step. Subscribed before the first step, so
    /// nothing is missed.
    pub events: broadcast::Receiver<ChatEvent>,
}

/// A static prompt of a flow, for synthesis ahead of the first call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromptText {
    /// The text.
    pub text: String,
    /// Its language.
    pub language: String,
    /// The voice the flow names, if any.
    pub voice: Option<String>,
}

/// The port through which the app has a flow's prompts synthesised when a version is
/// published (or first loaded after a restart); implemented by the call shell.
#[async_trait::async_trait]
pub trait PromptWarmer: Send + Sync + std::fmt::Debug {
    /// Starts synthesising these prompts in the background.
    fn warm(&self, prompts: Vec<PromptText>);

    /// Synthesises these prompts and returns when they are ready (or failed, which is logged:
    /// a call then speaks the prompt when it reaches it).
    async fn warm_now(&self, prompts: Vec<PromptText>);
}

/// What a number is bound to, as the API shows and takes it.
#[derive(Debug, Clone)]
pub struct PhoneNumberSpec {
    /// The number or SIP user.
    pub number: String,
    /// The flow that answers.
    pub flow_id: Option<FlowId>,
    /// The language; `None` for the flow's default.
    pub language: Option<String>,
}

/// Longest number or SIP user accepted.
const MAX_NUMBER_LEN: usize = 64;

fn check_number(number: &str) -> AppResult<()> {
    let ok = !number.is_empty()
        && number.len() <= MAX_NUMBER_LEN
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '.' | '*' | '#'));
    if ok {
        Ok(())
    } else {
        Err(AppError::field(
            "number",
            format!(
                "1–{MAX_NUMBER_LEN} characters: digits, letters, '+', '-', '_', '.', '*' or '#'"
            ),
        ))
    }
}

/// The phrases a caller may say anywhere in a flow, in one language: menu option labels
/// and keywords, repeat keywords and intent examples and keywords.
pub fn flow_phrases(doc: &FlowDocument, language: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut text = |t: &Text| {
        if let Some(s) = text_in(t, language, &doc.language)
            && !s.contains("{{")
        {
            out.insert(s.to_owned());
        }
    };
    for node in &doc.nodes {
        if let Node::Menu(menu) = node {
            for option in &menu.options {
                text(&option.label);
            }
        }
    }
    for node in &doc.nodes {
        if let Node::Menu(menu) = node {
            for option in &menu.options {
                out.extend(option.keywords.iter().cloned());
            }
            if let Some(repeat) = &menu.repeat {
                out.extend(repeat.keywords.iter().cloned());
            }
        }
    }
    for intent in doc.intents.values() {
        out.extend(intent.keywords.iter().cloned());
        if let Some(examples) = intent.examples.get(language) {
            out.extend(examples.iter().cloned());
        }
    }
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

fn text_in<'t>(t: &'t Text, language: &str, default: &str) -> Option<&'t str> {
    match t {
        Text::Plain(s) => Some(s),
        Text::ByLanguage(m) => m
            .get(language)
            .or_else(|| m.get(default))
            .map(String::as_str),
    }
}

/// A flow's prompts without template variables, in every language it speaks, for synthesis
/// ahead of the first call. (Prompts with `{{variables}}` are synthesised when spoken.)
pub fn flow_prompts(doc: &FlowDocument) -> Vec<PromptText> {
    let mut languages: Vec<String> = doc.languages.clone();
    if !languages.contains(&doc.language) {
        languages.push(doc.language.clone());
    }
    let mut out = BTreeSet::new();
    for language in &languages {
        for node in &doc.nodes {
            let (texts, voice): (Vec<&Text>, Option<&String>) = match node {
                Node::Say(n) => (n.text.iter().collect(), n.voice.as_ref()),
                Node::Ask(n) => (vec![&n.prompt], None),
                Node::Menu(n) => (vec![&n.prompt], None),
                Node::Enqueue(n) => (n.text.iter().collect(), None),
                Node::Record(n) => (vec![&n.prompt], None),
                Node::Transfer(n) => (n.text.iter().collect(), None),
                Node::End(n) => (n.text.iter().collect(), None),
                _ => (Vec::new(), None),
            };
            for t in texts {
                if let Some(s) = text_in(t, language, &doc.language)
                    && !s.contains("{{")
                    && !s.trim().is_empty()
                {
                    out.insert(PromptText {
                        text: s.to_owned(),
                        language: language.clone(),
                        voice: voice.cloned(),
                    });
                }
            }
        }
    }
    out.into_iter().collect()
}

impl App {
    /// Installs the prompt synthesiser (once, at start-up, before flows are loaded).
    pub fn set_prompt_warmer(&self, warmer: Arc<dyn PromptWarmer>) {
        let _ = self.chat().prompt_warmer.set(warmer);
    }

    /// Has a freshly compiled version's prompts synthesised in the background.
    pub(crate) fn warm_prompts(&self, doc: &FlowDocument) {
        if let Some(warmer) = self.chat().prompt_warmer.get() {
            warmer.warm(flow_prompts(doc));
        }
    }

    /// Synthesises a version's prompts and waits for them.
    pub(crate) async fn warm_prompts_now(&self, doc: &FlowDocument) {
        if let Some(warmer) = self.chat().prompt_warmer.get() {
            warmer.warm_now(flow_prompts(doc)).await;
        }
    }

    /// Forgets cached call routes (after a number or a flow's live version changed).
    pub(crate) fn invalidate_call_routes(&self) {
        self.chat()
            .call_routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Where a call to `number` goes. `NotFound` for a number nobody has;
    /// `Conflict` when its flow is missing or not published. Answers are cached for a few
    /// seconds, so the INVITE path of a busy trunk does not queue behind database writes.
    pub async fn call_route(&self, number: &str) -> AppResult<CallRoute> {
        let now = self.now().millis();
        let cached = self
            .chat()
            .call_routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(number)
            .filter(|c| c.until_ms > now)
            .cloned();
        if let Some(c) = cached {
            return c.route.ok_or(AppError::NotFound);
        }
        let result = self.call_route_uncached(number).await;
        let route = match &result {
            Ok(r) => Some(r.clone()),
            Err(AppError::NotFound) => None,
            // Misconfiguration is not cached: fixing it takes effect at the next call.
            Err(_) => return result,
        };
        let mut routes = self
            .chat()
            .call_routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if routes.len() >= ROUTE_CACHE_ENTRIES {
            routes.retain(|_, c| c.until_ms > now);
            if routes.len() >= ROUTE_CACHE_ENTRIES {
                routes.clear();
            }
        }
        routes.insert(
            number.to_owned(),
            CachedRoute {
                route,
                until_ms: now + ROUTE_CACHE_MS,
            },
        );
        drop(routes);
        result
    }

    async fn call_route_uncached(&self, number: &str) -> AppResult<CallRoute> {
        let bound = self
            .store()
            .resolve_phone_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        let flow_id = bound
            .flow_id
            .ok_or(AppError::Conflict("number (no flow is bound to it)"))?;
        let record = self
            .store()
            .get_flow(bound.tenant_id, flow_id)
            .await?
            .ok_or(AppError::Conflict("number (its flow is gone)"))?;
        let version = record
            .active_version
            .ok_or(AppError::Conflict("number (its flow is not published)"))?;
        let compiled = self.compiled(bound.tenant_id, flow_id, version).await?;
        let language = compiled
            .flow
            .language_for(bound.language.as_deref())
            .to_owned();
        Ok(CallRoute {
            tenant: bound.tenant_id,
            flow_id,
            version,
            language,
        })
    }

    /// Opens a call's conversation and runs the flow to its first question; the commands
    /// of that first step are already waiting in the returned session's `events`.
    pub async fn call_open(&self, route: &CallRoute) -> AppResult<CallSession> {
        let now = self.now();
        let state = ConversationState::new(flow::Channel::Voice, &route.language);
        let conversation = Conversation {
            tenant_id: route.tenant,
            id: ConversationId::from_random_bytes(random_bytes()?),
            channel: domain::Channel::Voice,
            widget_id: None,
            flow_id: route.flow_id,
            flow_version: route.version,
            // A call has no resume token; a random hash that no token matches.
            session_hash: security::token::hash_secret(&security::token::secret_from_random(
                random_bytes()?,
            )),
            state: serde_json::to_string(&state).map_err(|e| AppError::Internal(e.into()))?,
            status: ConversationStatus::Active,
            last_seq: 0,
            created_at: now,
            updated_at: now,
        };
        let events = self.chat_subscribe(conversation.id);
        tracing::info!(conversation = %conversation.id, flow = %route.flow_id, version = route.version, "call started");
        let mut variables = std::collections::BTreeMap::new();
        variables.insert("contact.language".to_owned(), route.language.clone());
        let input = Input::Start {
            channel: flow::Channel::Voice,
            language: Some(route.language.clone()),
            entry: None,
            variables,
        };
        let id = conversation.id;
        self.start_conversation(conversation, input).await?;
        Ok(CallSession {
            tenant: route.tenant,
            conversation: id,
            language: route.language.clone(),
            events,
        })
    }

    /// The caller pressed keys (a whole gathered entry).
    pub async fn call_digits(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        digits: &str,
    ) -> AppResult<()> {
        if digits.is_empty()
            || digits.len() > 64
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'))
        {
            return Err(AppError::field("digits", "1–64 keys of 0-9, *, #, A-D"));
        }
        let user = self.call_message(digits)?;
        self.step(
            tenant,
            conversation,
            Input::Digits {
                digits: digits.to_owned(),
            },
            Some(user),
        )
        .await?;
        Ok(())
    }

    /// A recogniser heard the caller say `text` with `confidence` (0–1).
    pub async fn call_speech(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        text: &str,
        confidence: f32,
    ) -> AppResult<()> {
        let text: String = text.chars().take(crate::chat::MAX_MESSAGE_BYTES).collect();
        let user = self.call_message(&text)?;
        self.step(
            tenant,
            conversation,
            Input::Speech {
                text,
                confidence: confidence.clamp(0.0, 1.0),
            },
            Some(user),
        )
        .await?;
        Ok(())
    }

    /// A recording finished; `reference` names the stored audio (empty: nothing recorded).
    pub async fn call_recording_done(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        reference: &str,
    ) -> AppResult<()> {
        let input = Input::RecordingDone {
            reference: reference.to_owned(),
        };
        self.step(tenant, conversation, input, None).await?;
        Ok(())
    }

    /// A transfer the flow asked for did not happen.
    pub async fn call_transfer_failed(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<()> {
        self.step(tenant, conversation, Input::TransferFailed, None)
            .await?;
        Ok(())
    }

    /// The call is over (the caller hung up, or we did after the flow ended): the
    /// conversation ends and leaves any queue. Ending an ended conversation changes nothing.
    pub async fn call_ended(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<()> {
        let conv = self
            .store()
            .get_conversation(tenant, conversation)
            .await?
            .ok_or(AppError::NotFound)?;
        if conv.status == ConversationStatus::Ended {
            return Ok(());
        }
        self.step(tenant, conversation, Input::Hangup, None).await?;
        Ok(())
    }

    fn call_message(&self, text: &str) -> AppResult<UserMessage> {
        let id: [u8; 12] = random_bytes()?;
        Ok(UserMessage {
            client_id: format!("call-{}", security::alphabet::encode(&id, 16)),
            text: text.to_owned(),
        })
    }

    /// The tenant's phone numbers.
    pub async fn list_phone_numbers(&self, who: &Principal) -> AppResult<Vec<PhoneNumber>> {
        who.require(security::rbac::Permission::FlowsRead)?;
        Ok(self.store().list_phone_numbers(who.tenant_id).await?)
    }

    /// Binds a number to a flow (creating it, or changing the tenant's own binding).
    pub async fn put_phone_number(
        &self,
        who: &Principal,
        spec: PhoneNumberSpec,
    ) -> AppResult<PhoneNumber> {
        who.require(security::rbac::Permission::FlowsManage)?;
        check_number(&spec.number)?;
        if let Some(flow) = spec.flow_id {
            self.store()
                .get_flow(who.tenant_id, flow)
                .await?
                .ok_or_else(|| AppError::field("flow_id", "no such flow"))?;
        }
        if let Some(l) = &spec.language
            && !matches!(l.as_str(), "de" | "en")
        {
            return Err(AppError::field("language", "de or en"));
        }
        let now = self.now();
        let mut number = PhoneNumber {
            number: spec.number,
            tenant_id: who.tenant_id,
            flow_id: spec.flow_id,
            language: spec.language,
            created_at: now,
            updated_at: now,
        };
        let existing = self
            .store()
            .list_phone_numbers(who.tenant_id)
            .await?
            .into_iter()
            .find(|n| n.number == number.number);
        match existing {
            Some(old) => {
                number.created_at = old.created_at;
                self.store().update_phone_number(&number).await?;
            }
            None => self
                .store()
                .insert_phone_number(&number)
                .await
                .map_err(|e| match e {
                    store::StoreError::Conflict(_) => AppError::Conflict("number (it is taken)"),
                    e => e.into(),
                })?,
        }
        self.invalidate_call_routes();
        self.audit_success(who, domain::AuditAction::PhoneNumberPut, &number.number)
            .await?;
        Ok(number)
    }

    /// Removes one of the tenant's numbers.
    pub async fn delete_phone_number(&self, who: &Principal, number: &str) -> AppResult<()> {
        who.require(security::rbac::Permission::FlowsManage)?;
        if !self
            .store()
            .delete_phone_number(who.tenant_id, number)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.invalidate_call_routes();
        self.audit_success(who, domain::AuditAction::PhoneNumberDelete, number)
            .await?;
        Ok(())
    }

    /// A number for the demo tenant (bootstrap).
    pub(crate) async fn bind_demo_number(
        &self,
        tenant: TenantId,
        number: &str,
        flow_id: FlowId,
        language: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        if self.store().resolve_phone_number(number).await?.is_some() {
            return Ok(());
        }
        self.store()
            .insert_phone_number(&PhoneNumber {
                number: number.to_owned(),
                tenant_id: tenant,
                flow_id: Some(flow_id),
                language: Some(language.to_owned()),
                created_at: now,
                updated_at: now,
            })
            .await?;
        Ok(())
    }
}

/// The call commands one step's effects ask for, in order. Chat conversations get none.
pub(crate) fn call_commands(
    effects: &[Effect],
    language: &str,
    phrases: &Arc<Vec<String>>,
) -> Vec<CallCommand> {
    let mut out = Vec::new();
    for effect in effects {
        match effect {
            Effect::Say {
                text, voice, audio, ..
            } if !text.is_empty() || audio.is_some() => out.push(CallCommand::Play {
                text: text.clone(),
                language: language.to_owned(),
                voice: voice.clone(),
                audio: audio.clone(),
            }),
            Effect::Gather {
                kinds,
                num_digits,
                finish_on_key,
            } => out.push(CallCommand::Gather {
                kinds: kinds.clone(),
                num_digits: *num_digits,
                finish_on_key: *finish_on_key,
                phrases: phrases.clone(),
            }),
            Effect::Record { max_secs } => out.push(CallCommand::Record {
                max_secs: *max_secs,
            }),
            Effect::Transfer { to } => out.push(CallCommand::Transfer { to: to.clone() }),
            Effect::Enqueue { queue, .. } => out.push(CallCommand::Queued {
                queue: queue.clone(),
            }),
            Effect::End { .. } => out.push(CallCommand::Hangup),
            _ => {}
        }
    }
    out
}
