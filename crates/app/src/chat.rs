//! Web chat: widgets embedded on a tenant's pages open conversations, resume them with a
//! token the browser keeps, replay their history and take the visitor's messages. The
//! conversation itself runs in [`crate::conversation`], shared with every other channel.

use std::collections::BTreeMap;

use domain::{ConversationId, TenantId};
use flow::{Channel, ConversationState, Input};
use store::{Conversation, ConversationStatus, Widget};

use crate::conversation::{
    ChatMessage, ConversationEvent, MAX_MESSAGE_BYTES, UserMessage, status_of, stored_state,
};
use crate::{App, AppError, AppResult, random_bytes};

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

impl App {
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
        if !self.tenant_enabled(tenant).await? {
            return Err(AppError::NotFound);
        }
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
        source: Option<&str>,
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
                let state = stored_state(&conv)?;
                let (status, queue) = if conv.status == ConversationStatus::WithAgent {
                    (ConversationStatus::WithAgent, None)
                } else {
                    status_of(&state)
                };
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
        // Only a new conversation counts against its source's allowance: resuming is free.
        if let Some(source) = source {
            let now = self.now();
            let mut limits = self.limits();
            limits
                .new_chats
                .check(source, now)
                .map_err(|r| AppError::RateLimited {
                    retry_after_secs: r.secs,
                })?;
            limits.new_chats.record_failure(source, now);
        }
        let flow_id = widget
            .widget
            .flow_id
            .ok_or(AppError::Conflict("widget (no flow is bound to it)"))?;
        let version = self
            .live_version(tenant, flow_id, "widget (its flow is not published)")
            .await?;
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
        let state = stored_state(&stored)?;
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
            out.extend(page.iter().map(ChatMessage::from_stored));
            if !full {
                break;
            }
        }
        Ok(out)
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
        {
            // Per conversation, however many connections resume it.
            let now = self.now();
            let key = conversation.to_string();
            let mut limits = self.limits();
            limits
                .chat_messages
                .check(&key, now)
                .map_err(|r| AppError::RateLimited {
                    retry_after_secs: r.secs,
                })?;
            limits.chat_messages.record_failure(&key, now);
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
            ConversationEvent::Typing {
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
            ConversationEvent::Typing {
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
}
