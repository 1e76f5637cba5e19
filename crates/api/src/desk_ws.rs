//! The live sockets of the contact centre: `GET /api/v1/desk/ws` for an agent's desk and
//! `GET /api/v1/supervisor/ws` for the supervisor view.
//!
//! Both need a signed-in session (the cookie) and a same-origin page: the handshake is
//! refused (403) when the `Origin` names another host, so another site cannot open a socket
//! with the user's cookie. The server only sends: a `snapshot` first (and again whenever the
//! socket fell behind), then the agent's events (offers with their expiry, withdrawn offers,
//! task changes, messages and notes of the conversations they hold, presence). The
//! supervisor socket sends a fresh snapshot of queues and agents after every change, at
//! most every 250 ms, so the view is never more than a fraction of a second behind. Every
//! minute the session is checked again; a session that ended closes the socket.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use app::{DeskEvent, Principal};
use security::rbac::Permission;

use crate::ApiState;
use crate::extract::{FullSession, session_cookie};
use crate::problem::{ApiError, Problem};
use crate::routes::contact::{
    AgentDto, DeskDto, NoteDto, QueueDto, TaskDto, TranscriptMessage, agent_dto, desk_dto,
    message_dto, note_dto, queue_dto, task_dto,
};

/// The supervisor view's snapshots come at most this often.
const SUPERVISOR_THROTTLE: Duration = Duration::from_millis(250);
/// Without changes, the supervisor view still refreshes this often (waits grow).
const SUPERVISOR_REFRESH: Duration = Duration::from_secs(5);
/// How often a socket's session is checked again.
const SESSION_RECHECK: Duration = Duration::from_secs(60);

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum DeskFrame {
    Snapshot {
        desk: DeskDto,
    },
    Offer {
        task: TaskDto,
    },
    OfferWithdrawn {
        task_id: String,
        reason: &'static str,
    },
    Task {
        task: TaskDto,
    },
    Message {
        conversation_id: String,
        message: TranscriptMessage,
    },
    Note {
        conversation_id: String,
        note: NoteDto,
    },
    Presence {
        agent: AgentDto,
    },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum SupervisorFrame {
    Snapshot {
        queues: Vec<QueueDto>,
        agents: Vec<AgentDto>,
        /// Every live task, the highest priority first, then the oldest.
        tasks: Vec<TaskDto>,
    },
}

/// Refuses a handshake from a page of another host.
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            if origin_host == host {
                Ok(())
            } else {
                Err(
                    Problem::new(StatusCode::FORBIDDEN, "origin", "Origin not allowed")
                        .with_detail("open the desk from this server's own pages")
                        .into(),
                )
            }
        }
        // Non-browser clients send no Origin; the session cookie still has to be valid.
        _ => Ok(()),
    }
}

/// `GET /api/v1/desk/ws`: the signed-in agent's desk, live.
pub(crate) async fn desk(
    State(state): State<ApiState>,
    FullSession(who): FullSession,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(e) = same_origin(&headers) {
        return e.into_response();
    }
    if let Err(e) = who.require(Permission::ConversationsHandle) {
        return ApiError::from(e).into_response();
    }
    let cookie = session_cookie(&headers).unwrap_or_default();
    ws.on_upgrade(move |socket| run_desk(state, who, cookie, socket))
}

/// `GET /api/v1/supervisor/ws`: queues and agents, live.
pub(crate) async fn supervisor(
    State(state): State<ApiState>,
    FullSession(who): FullSession,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(e) = same_origin(&headers) {
        return e.into_response();
    }
    if let Err(e) = who.require(Permission::QueuesSupervise) {
        return ApiError::from(e).into_response();
    }
    let cookie = session_cookie(&headers).unwrap_or_default();
    ws.on_upgrade(move |socket| run_supervisor(state, who, cookie, socket))
}

fn text<T: Serialize>(frame: &T) -> Option<WsMessage> {
    serde_json::to_string(frame)
        .ok()
        .map(|s| WsMessage::Text(Utf8Bytes::from(s)))
}

async fn still_signed_in(state: &ApiState, who: &Principal, cookie: &str) -> bool {
    let meta = who.meta.clone();
    state
        .app
        .authenticate_session(&meta, cookie)
        .await
        .ok()
        .and_then(|info| info.principal())
        .is_some()
}

async fn desk_snapshot(state: &ApiState, who: &Principal) -> Option<WsMessage> {
    match state.app.desk(who).await {
        Ok(d) => text(&DeskFrame::Snapshot { desk: desk_dto(d) }),
        Err(e) => {
            tracing::warn!(error = %e, "desk snapshot failed");
            None
        }
    }
}

async fn desk_frame(state: &ApiState, who: &Principal, event: DeskEvent) -> Option<WsMessage> {
    let frame = match event {
        DeskEvent::Offer { task, .. } => DeskFrame::Offer {
            task: task_dto(*task),
        },
        DeskEvent::OfferWithdrawn {
            task_id, reason, ..
        } => DeskFrame::OfferWithdrawn { task_id, reason },
        DeskEvent::Task { task, .. } => DeskFrame::Task {
            task: task_dto(*task),
        },
        DeskEvent::Message {
            conversation_id,
            message,
            ..
        } => DeskFrame::Message {
            conversation_id: conversation_id.to_string(),
            message: message_dto(&message),
        },
        DeskEvent::Note {
            conversation_id,
            note,
            author,
            ..
        } => DeskFrame::Note {
            conversation_id: conversation_id.to_string(),
            note: note_dto(&note, &author),
        },
        DeskEvent::Presence { .. } => DeskFrame::Presence {
            agent: agent_dto(state.app.desk(who).await.ok()?.agent),
        },
        DeskEvent::Changed => return None,
    };
    text(&frame)
}

async fn run_desk(state: ApiState, who: Principal, cookie: String, socket: WebSocket) {
    let Some(me) = who.user_id() else {
        return;
    };
    let (mut tx, mut rx) = socket.split();
    // Subscribe before the snapshot so nothing falls between the two.
    let mut events = state.app.agent_desk_subscribe(who.tenant_id, me);
    let Some(first) = desk_snapshot(&state, &who).await else {
        return;
    };
    if tx.send(first).await.is_err() {
        return;
    }
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => {
                let out = match event {
                    Ok(e) if e.is_for(me) => desk_frame(&state, &who, e).await,
                    Ok(_) => None,
                    Err(RecvError::Lagged(_)) => desk_snapshot(&state, &who).await,
                    Err(RecvError::Closed) => break,
                };
                if let Some(m) = out
                    && tx.send(m).await.is_err()
                {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = recheck.tick() => {
                if !still_signed_in(&state, &who, &cookie).await {
                    break;
                }
            }
        }
    }
    let _ = tx.send(WsMessage::Close(None)).await;
}

async fn supervisor_snapshot(state: &ApiState, who: &Principal) -> Option<WsMessage> {
    let queues = state.app.list_queues(who).await.ok()?;
    let agents = state.app.list_agents(who).await.ok()?;
    let tasks = state.app.live_tasks(who).await.ok()?;
    text(&SupervisorFrame::Snapshot {
        queues: queues.into_iter().map(queue_dto).collect(),
        agents: agents.into_iter().map(agent_dto).collect(),
        tasks: tasks.into_iter().map(task_dto).collect(),
    })
}

async fn run_supervisor(state: ApiState, who: Principal, cookie: String, socket: WebSocket) {
    let (mut tx, mut rx) = socket.split();
    let mut events = state.app.desk_subscribe(who.tenant_id);
    let mut dirty = true;
    let mut throttle = tokio::time::interval(SUPERVISOR_THROTTLE);
    let mut refresh = tokio::time::interval(SUPERVISOR_REFRESH);
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(_) | Err(RecvError::Lagged(_)) => dirty = true,
                Err(RecvError::Closed) => break,
            },
            _ = throttle.tick() => {
                if dirty {
                    dirty = false;
                    if let Some(m) = supervisor_snapshot(&state, &who).await
                        && tx.send(m).await.is_err()
                    {
                        break;
                    }
                }
            }
            _ = refresh.tick() => dirty = true,
            incoming = rx.next() => match incoming {
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = recheck.tick() => {
                if !still_signed_in(&state, &who, &cookie).await {
                    break;
                }
            }
        }
    }
    let _ = tx.send(WsMessage::Close(None)).await;
}
