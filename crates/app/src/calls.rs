//! Calls: the conversation runtime opened by a phone number instead of a widget. The call
//! shell (the `voice` crate) resolves the number a call arrived on ([`App::call_route`]),
//! opens a conversation, feeds the caller's digits and speech as steps, and carries out the
//! [`CallCommand`](crate::CallCommand)s each step publishes — in the order the flow produced
//! them.
//!
//! The caller's own number is never stored or logged here: a conversation knows the hotline
//! number it came in on, not who called.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::{ConversationId, FlowId, Redacted, TenantId};
use flow::{ConversationState, Input};
use store::{Conversation, ConversationStatus};
use tokio::sync::broadcast;

use crate::conversation::{ConversationEvent, MAX_MESSAGE_BYTES, UserMessage, lock};
use crate::{App, AppError, AppResult, random_bytes};

/// How long a number's route is reused without asking the store. Changes made through this
/// process invalidate at once; the lifetime bounds staleness across several nodes.
const ROUTE_CACHE_MS: i64 = 10_000;
/// Routes kept at most (a scan of random numbers must not grow the cache without bound).
const ROUTE_CACHE_ENTRIES: usize = 10_000;

/// A cached answer of [`App::call_route`]: the route, or `None` for a number nobody has.
#[derive(Debug, Clone)]
struct CachedRoute {
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
    /// What the call keeps of the caller's number.
    pub caller_id: domain::CallerIdMode,
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
    pub events: broadcast::Receiver<ConversationEvent>,
}

/// Per-process state of the call use cases.
#[derive(Default)]
pub(crate) struct CallRuntime {
    /// Where numbers' calls go, kept briefly so an INVITE does not wait for the database.
    routes: Mutex<HashMap<String, CachedRoute>>,
}

impl std::fmt::Debug for CallRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallRuntime { .. }")
    }
}

impl App {
    /// Forgets cached call routes (after a number or a flow's live version changed).
    pub(crate) fn invalidate_call_routes(&self) {
        lock(&self.inner.calls.routes).clear();
    }

    /// Where a call to `number` goes. `NotFound` for a number nobody has;
    /// `Conflict` when its flow is missing or not published. Answers are cached for a few
    /// seconds, so the INVITE path of a busy trunk does not queue behind database writes.
    pub async fn call_route(&self, number: &str) -> AppResult<CallRoute> {
        let now = self.now().millis();
        let cached = lock(&self.inner.calls.routes)
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
        let mut routes = lock(&self.inner.calls.routes);
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
        if !self.tenant_enabled(bound.tenant_id).await?
            || !bound.channels.contains(&domain::Channel::Voice)
        {
            return Err(AppError::NotFound);
        }
        let flow_id = bound
            .flow_id
            .ok_or(AppError::Conflict("number (no flow is bound to it)"))?;
        let version = self
            .live_version(
                bound.tenant_id,
                flow_id,
                "number (its flow is not published)",
            )
            .await
            .map_err(|e| match e {
                // NotFound means "nobody has this number" to the call shell; a bound flow
                // that is gone is the tenant's misconfiguration.
                AppError::NotFound => AppError::Conflict("number (its flow is gone)"),
                e => e,
            })?;
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
            caller_id: bound.caller_id,
        })
    }

    /// Opens a call's conversation and runs the flow to its first question; the commands
    /// of that first step are already waiting in the returned session's `events`. `caller`
    /// is the caller's address (the From user), kept as the number's caller-ID mode says.
    pub async fn call_open(
        &self,
        route: &CallRoute,
        caller: Option<&Redacted<String>>,
    ) -> AppResult<CallSession> {
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
        if let Some(caller) = caller {
            // The call goes on without it: a caller is never dropped for bookkeeping.
            if let Err(e) = self
                .record_caller(route.tenant, id, route.caller_id, caller)
                .await
            {
                tracing::warn!(conversation = %id, error = %e, "the caller's contact could not be recorded");
            }
        }
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
        let text: String = text.chars().take(MAX_MESSAGE_BYTES).collect();
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

    /// A recogniser's transcript that reads as another language than the call's
    /// ([`transcript_in_other_language`]): the caller is told to use the keys and the flow
    /// does not see it, but a crisis or a request for a person in it still hands the caller
    /// over, as in any language. Returns whether it did.
    pub async fn call_speech_in_other_language(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        text: &str,
        confidence: f32,
    ) -> AppResult<bool> {
        let text: String = text.chars().take(MAX_MESSAGE_BYTES).collect();
        let user = self.call_message(&text)?;
        let input = Input::Speech {
            text,
            confidence: confidence.clamp(0.0, 1.0),
        };
        let check = self.hand_over_check(tenant, &input).await;
        if !(check.crisis || check.human) {
            return Ok(false);
        }
        self.step(tenant, conversation, input, Some(user)).await?;
        Ok(true)
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

    /// Whether a transfer may go to `target` (a `sip:`/`tel:` URI or a number). A phone
    /// number — a `tel:` URI, or a SIP user of digits — must pass the tenant's outbound policy
    /// like a call-back, and counts against the same hourly rate per number range; a SIP
    /// address with a name is the operator's own endpoint and passes. A refusal is logged
    /// without digits.
    pub async fn transfer_allowed(&self, tenant: TenantId, target: &str) -> AppResult<()> {
        let rest = ["sips:", "sip:", "tel:"]
            .iter()
            .find_map(|p| target.strip_prefix(p))
            .unwrap_or(target);
        let user = rest
            .split(['@', ';', '?'])
            .next()
            .unwrap_or_default()
            .replace(['-', '.', ' ', '(', ')'], "");
        let digits = user.strip_prefix('+').unwrap_or(&user);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        let policy = self.contact_settings_of(tenant).await?.outbound_policy();
        let refusal = match crate::fraud::allowed(&user, &policy) {
            Err(refusal) => Some(refusal),
            Ok(destination) => crate::fraud::check_rates(
                &mut crate::conversation::lock(&self.inner.contact.velocity),
                &tenant.to_string(),
                &destination,
                &policy,
                self.now().millis(),
            )
            .err(),
        };
        match refusal {
            None => Ok(()),
            Some(r) => {
                tracing::warn!(%tenant, reason = r.reason(), "transfer refused by the outbound policy");
                Err(AppError::field("to", r.reason()))
            }
        }
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
}

/// The language (`"de"`, `"en"`) a recogniser's transcript for a call in `language` (a tag
/// such as `de-AT`) reads as, when it is clearly another one: a speech server with the wrong
/// model answers in its own language. `None` when it reads as the call's language, is too
/// short to tell, or the call's language is one [`nlu::other_language`] cannot tell apart.
#[must_use]
pub fn transcript_in_other_language(text: &str, language: &str) -> Option<&'static str> {
    let expected = match language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "de" => nlu::Lang::De,
        "en" => nlu::Lang::En,
        _ => return None,
    };
    match nlu::other_language(text, expected)? {
        nlu::Lang::De => Some("de"),
        nlu::Lang::En => Some("en"),
        nlu::Lang::Unknown => None,
    }
}
