//! The web chat's WebSocket: `GET /chat/ws?widget=ID`.
//!
//! The handshake is refused (403) when the page's `Origin` is not one the widget allows.
//! After the upgrade the client says `hello` (with its resume token and the last message it
//! has), the server answers `welcome` and replays what the client missed, then both sides
//! exchange JSON frames: the client's `message`s are acknowledged with `ack` once stored,
//! so a client that resends after a dropped connection never loses or duplicates one; the
//! server pushes `message`, `typing` and `status` frames. Bad frames get an `error` frame and
//! change nothing. The frame shapes are the widget's contract (see `web/widget`).
//!
//! Rate limits are the app's (on its clock, so tests move time instead of racing it): a
//! conversation takes so many messages per window however many sockets resume it, and a
//! source address may open so many new conversations per window (`AuthPolicy`). A refused
//! message or hello gets a `rate_limited` error frame saying when to try again.

use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use app::{AppError, ChatMessage, ChatSession, ChatWidget, ConversationEvent};
use domain::{ConversationStatus, Sender};

use crate::ApiState;
use crate::extract::Meta;
use crate::problem::{ApiError, Problem};

/// Largest WebSocket message accepted at all; bigger ones close the socket.
const MAX_FRAME_BYTES: usize = 64 * 1024;
/// How long a new socket may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
pub(crate) struct WsQuery {
    widget: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    Hello {
        session: Option<String>,
        #[serde(default)]
        last_seq: i64,
        lang: Option<String>,
    },
    Message {
        id: String,
        text: String,
        /// The label of a chosen option, shown in the transcript instead of its value.
        label: Option<String>,
    },
    Ack {
        #[allow(dead_code)] // Delivery receipts are accepted; resume relies on `last_seq`.
        seq: i64,
    },
    Typing {
        #[allow(dead_code)] // Shown to agents once the agent desk exists.
        state: bool,
    },
}

#[derive(Serialize)]
struct WidgetConfig<'a> {
    title: &'a str,
    primary_color: &'a str,
    greeting: &'a str,
    lang: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerFrame<'a> {
    Welcome {
        session: &'a str,
        conversation: String,
        config: WidgetConfig<'a>,
    },
    Message {
        seq: i64,
        from: Sender,
        text: &'a str,
        choices: &'a [flow::Choice],
        at: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
    },
    Ack {
        id: &'a str,
        seq: i64,
    },
    Typing {
        from: Sender,
        state: bool,
    },
    Status {
        state: ConversationStatus,
        #[serde(skip_serializing_if = "Option::is_none")]
        queue: Option<&'a str>,
    },
    Error {
        code: &'a str,
        message: &'a str,
        id: Option<&'a str>,
    },
}

/// `GET /chat/ws?widget=ID` — checks the widget and the origin, then upgrades.
pub(crate) async fn upgrade(
    State(state): State<ApiState>,
    Meta(meta): Meta,
    query: Result<Query<WsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return ApiError::from(
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-query",
                "Invalid query parameters",
            )
            .with_detail("the widget id is missing: /chat/ws?widget=ID"),
        )
        .into_response();
    };
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let widget = match state.app.chat_widget(&query.widget, origin).await {
        Ok(w) => w,
        Err(AppError::Forbidden) => {
            return ApiError::from(
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "forbidden-origin",
                    "Origin not allowed",
                )
                .with_detail("this page's origin may not open this widget's chat"),
            )
            .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Ok(ws) = ws else {
        return ApiError::from(
            Problem::new(
                StatusCode::UPGRADE_REQUIRED,
                "upgrade-required",
                "WebSocket upgrade required",
            )
            .with_detail("connect with a WebSocket client"),
        )
        .into_response();
    };
    // Chat frames are small: modest buffers keep thousands of idle sessions cheap
    // (tungstenite's defaults are 128 KiB each way).
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(MAX_FRAME_BYTES * 2)
        .on_upgrade(move |socket| async move {
            Session::new(state, widget, socket, meta.source_ip)
                .run()
                .await;
        })
}

struct Session {
    state: ApiState,
    widget: ChatWidget,
    socket: Option<WebSocket>,
    last_sent: i64,
    /// The peer's address, for the new-conversation limit (never logged).
    source: Option<String>,
}

type Sink = futures_util::stream::SplitSink<WebSocket, WsMessage>;

async fn send(sink: &mut Sink, frame: &ServerFrame<'_>) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => sink
            .send(WsMessage::Text(Utf8Bytes::from(text)))
            .await
            .is_ok(),
        Err(_) => false,
    }
}

async fn send_error(sink: &mut Sink, code: &str, message: &str, id: Option<&str>) -> bool {
    send(sink, &ServerFrame::Error { code, message, id }).await
}

fn error_code(err: &AppError) -> (&'static str, String) {
    match err {
        AppError::Validation(errors) => {
            let first = errors.first();
            let code = if first.is_some_and(|e| e.field == "text") {
                "too_large"
            } else {
                "malformed"
            };
            let message = first.map_or_else(
                || "invalid message".to_owned(),
                |e| format!("{}: {}", e.field, e.message),
            );
            (code, message)
        }
        AppError::Conflict(what) => ("conflict", what.to_string()),
        AppError::RateLimited { retry_after_secs } => (
            "rate_limited",
            format!("too many at once; please try again in {retry_after_secs} s"),
        ),
        AppError::NotFound => ("unknown_widget", "this chat is not available".to_owned()),
        _ => (
            "internal",
            "the message could not be processed; please try again".to_owned(),
        ),
    }
}

impl Session {
    fn new(state: ApiState, widget: ChatWidget, socket: WebSocket, source: Option<String>) -> Self {
        Self {
            state,
            widget,
            socket: Some(socket),
            last_sent: 0,
            source,
        }
    }

    async fn send_messages(&mut self, sink: &mut Sink, messages: &[ChatMessage]) -> bool {
        let already = self.last_sent;
        for m in messages.iter().filter(|m| m.seq > already) {
            let frame = ServerFrame::Message {
                seq: m.seq,
                from: m.from,
                text: m.text.expose(),
                choices: &m.choices,
                at: m.at.to_rfc3339(),
                id: m.client_id.as_deref(),
            };
            if !send(sink, &frame).await {
                return false;
            }
            self.last_sent = m.seq;
        }
        true
    }

    async fn run(mut self) {
        let Some(socket) = self.socket.take() else {
            return;
        };
        let (mut sink, mut stream) = socket.split();

        // 1. hello
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await {
            Ok(Some(Ok(WsMessage::Text(text)))) => serde_json::from_str::<ClientFrame>(&text).ok(),
            _ => None,
        };
        let Some(ClientFrame::Hello {
            session,
            last_seq,
            lang,
        }) = hello
        else {
            send_error(
                &mut sink,
                "malformed",
                "the first frame must be hello",
                None,
            )
            .await;
            let _ = sink.close().await;
            return;
        };
        let opened: ChatSession = match self
            .state
            .app
            .chat_open(
                &self.widget,
                session.as_deref(),
                lang.as_deref(),
                self.source.as_deref(),
            )
            .await
        {
            Ok(s) => s,
            Err(e) => {
                let (code, message) = error_code(&e);
                if matches!(e, AppError::Internal(_)) {
                    tracing::error!(error = format!("{e:#}"), "chat could not start");
                }
                send_error(&mut sink, code, &message, None).await;
                let _ = sink.close().await;
                return;
            }
        };
        let conversation = opened.conversation;
        let tenant = opened.tenant;
        let mut events = self.state.app.chat_subscribe(conversation);
        let welcome = ServerFrame::Welcome {
            session: &opened.token,
            conversation: conversation.to_string(),
            config: WidgetConfig {
                title: &self.widget.widget.title,
                primary_color: &self.widget.widget.primary_color,
                greeting: &self.widget.widget.greeting,
                lang: &opened.language,
            },
        };
        if !send(&mut sink, &welcome).await {
            return;
        }

        // 2. replay what the client has not seen, then the status. A new conversation (the
        // old one ended or was unknown) is replayed from its start.
        self.last_sent = if opened.resumed { last_seq.max(0) } else { 0 };
        match self
            .state
            .app
            .chat_history(tenant, conversation, self.last_sent)
            .await
        {
            Ok(history) => {
                if !self.send_messages(&mut sink, &history).await {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "chat history failed");
                return;
            }
        }
        if opened.status != store::ConversationStatus::Active {
            let frame = ServerFrame::Status {
                state: opened.status,
                queue: opened.queue.as_deref(),
            };
            if !send(&mut sink, &frame).await {
                return;
            }
        }

        // 3. the conversation
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let text = match incoming {
                        Some(Ok(WsMessage::Text(text))) => text,
                        Some(Ok(WsMessage::Binary(_))) => {
                            if !send_error(&mut sink, "malformed", "frames must be JSON text", None).await { break; }
                            continue;
                        }
                        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                        Some(Ok(WsMessage::Close(_))) | None => break,
                        Some(Err(_)) => break,
                    };
                    if !self.handle_frame(&mut sink, tenant, conversation, &text).await {
                        break;
                    }
                }
                event = events.recv() => {
                    let ok = match event {
                        Ok(ConversationEvent::Messages(messages)) => self.send_messages(&mut sink, &messages).await,
                        Ok(ConversationEvent::Status { state, queue }) => {
                            send(&mut sink, &ServerFrame::Status { state, queue: queue.as_deref() }).await
                        }
                        Ok(ConversationEvent::Typing { from, state }) => {
                            send(&mut sink, &ServerFrame::Typing { from, state }).await
                        }
                        // Call commands are for the voice shell; a chat never carries them.
                        Ok(ConversationEvent::Call(_)) => true,
                        Err(RecvError::Lagged(_)) => {
                            // Fell behind the live stream: catch up from the store.
                            match self.state.app.chat_history(tenant, conversation, self.last_sent).await {
                                Ok(history) => self.send_messages(&mut sink, &history).await,
                                Err(_) => false,
                            }
                        }
                        Err(RecvError::Closed) => false,
                    };
                    if !ok { break; }
                }
            }
        }
    }

    /// Handles one client frame; false when the socket should close.
    async fn handle_frame(
        &mut self,
        sink: &mut Sink,
        tenant: domain::TenantId,
        conversation: domain::ConversationId,
        text: &str,
    ) -> bool {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(_) => {
                return send_error(
                    sink,
                    "malformed",
                    "a frame was not valid; nothing was changed",
                    None,
                )
                .await;
            }
        };
        match frame {
            ClientFrame::Message { id, text, label } => {
                if text.len() > app::MAX_MESSAGE_BYTES {
                    let message =
                        format!("messages may be at most {} bytes", app::MAX_MESSAGE_BYTES);
                    return send_error(sink, "too_large", &message, Some(&id)).await;
                }
                if text.trim().is_empty() {
                    return send_error(sink, "malformed", "the message is empty", Some(&id)).await;
                }
                let label = label.filter(|l| !l.trim().is_empty() && l.len() <= 200);
                match self
                    .state
                    .app
                    .chat_user_message(tenant, conversation, &id, &text, label.as_deref())
                    .await
                {
                    Ok(seq) => {
                        // Everything up to this message goes out before its ack, so a client
                        // sees messages in order, whatever the live stream still holds.
                        match self
                            .state
                            .app
                            .chat_history(tenant, conversation, self.last_sent)
                            .await
                        {
                            Ok(history) => {
                                if !self.send_messages(sink, &history).await {
                                    return false;
                                }
                            }
                            Err(_) => return false,
                        }
                        send(sink, &ServerFrame::Ack { id: &id, seq }).await
                    }
                    Err(e) => {
                        if matches!(e, AppError::Internal(_)) {
                            tracing::error!(error = format!("{e:#}"), "chat message failed");
                        }
                        let (code, message) = error_code(&e);
                        send_error(sink, code, &message, Some(&id)).await
                    }
                }
            }
            ClientFrame::Ack { .. } | ClientFrame::Typing { .. } => true,
            ClientFrame::Hello { .. } => {
                send_error(sink, "malformed", "hello was already said", None).await
            }
        }
    }
}
