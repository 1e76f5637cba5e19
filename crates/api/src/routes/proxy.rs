//! The number proxy: follow-up SMS from the agent desk, a conversation's proxy sessions, and
//! sessions that pair a caller with an operator's phone. Nothing here shows an address: a
//! session names its proxy numbers and the conversation, never who is behind them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::ProxySessionId;

use super::contact::{TextRequest, TranscriptMessage, conversation_id, message_dto};
use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(post_follow_up))
        .routes(routes!(list_sessions))
        .routes(routes!(open_session))
        .routes(routes!(close_session))
}

/// A proxy session: who the contact is paired with, through which proxy numbers, until when.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProxySessionDto {
    id: String,
    conversation_id: String,
    /// `desk` (agents answer in the conversation) or `phone` (an operator's phone).
    partner: String,
    /// Open (relaying), or closed (ran out, or closed by a supervisor).
    open: bool,
    /// The proxy number the contact writes to and receives from.
    contact_number: Option<String>,
    /// The proxy number the operator's phone writes to (phone sessions).
    partner_number: Option<String>,
    /// When it closes unless a message keeps it open.
    expires_at: String,
    created_at: String,
}

fn dto(v: app::ProxySessionView) -> ProxySessionDto {
    ProxySessionDto {
        id: v.session.id.to_string(),
        conversation_id: v.session.conversation_id.to_string(),
        partner: v.session.partner.as_str().to_owned(),
        open: v.session.open,
        contact_number: v.contact_number,
        partner_number: v.partner_number,
        expires_at: v.session.expires_at.to_rfc3339(),
        created_at: v.session.created_at.to_rfc3339(),
    }
}

/// A conversation's proxy sessions.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProxySessionList {
    items: Vec<ProxySessionDto>,
}

/// Pairs a conversation's contact with an operator's phone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenSessionRequest {
    conversation_id: String,
    /// The operator's phone number (`+49…`); it never reaches the contact.
    operator_phone: String,
}

/// A follow-up SMS to the conversation's contact from one of the tenant's proxy numbers;
/// the contact's answers land in this conversation. For the agent who handled it, or a
/// supervisor. 409 with a reason when no phone number is kept for the contact or no proxy
/// number is free.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/follow-ups", tag = "messaging",
    params(("id" = String, Path)), request_body = TextRequest,
    responses((status = 201, body = TranscriptMessage), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_follow_up(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TextRequest>,
) -> Result<(StatusCode, axum::Json<TranscriptMessage>), ApiError> {
    let id = conversation_id(&id)?;
    let m = state.app.send_follow_up(&who, id, &body.text).await?;
    Ok((StatusCode::CREATED, axum::Json(message_dto(&m))))
}

/// A conversation's proxy sessions, newest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/proxy-sessions", tag = "messaging",
    params(("id" = String, Path)),
    responses((status = 200, body = ProxySessionList), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_sessions(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ProxySessionList>, ApiError> {
    let id = conversation_id(&id)?;
    let items = state.app.conversation_proxy_sessions(&who, id).await?;
    Ok(axum::Json(ProxySessionList {
        items: items.into_iter().map(dto).collect(),
    }))
}

/// Pairs a conversation's contact with an operator's phone through two proxy numbers
/// (admins and supervisors; audited).
#[utoipa::path(post, path = "/api/v1/proxy-sessions", tag = "messaging",
    request_body = OpenSessionRequest,
    responses((status = 201, body = ProxySessionDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn open_session(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<OpenSessionRequest>,
) -> Result<(StatusCode, axum::Json<ProxySessionDto>), ApiError> {
    let id = conversation_id(&body.conversation_id)?;
    let view = state
        .app
        .open_phone_proxy_session(&who, id, &body.operator_phone)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(dto(view))))
}

/// Closes a proxy session now: its numbers are free, its addresses dropped (supervisors;
/// audited).
#[utoipa::path(delete, path = "/api/v1/proxy-sessions/{id}", tag = "messaging",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn close_session(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ProxySessionId = id
        .parse()
        .map_err(|_| ApiError::from(app::AppError::NotFound))?;
    state.app.close_proxy_session(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
