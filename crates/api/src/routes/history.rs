//! `GET /api/v1/conversations`: the conversation history, searched by time, channel, flow and
//! outcome. Rows name the contact by pseudonym only; `GET /api/v1/conversations/{id}` opens a
//! transcript (audited). For SMS and WhatsApp, `…/{id}/deliveries` tells where each message
//! sent stands, and `…/{id}/address` reads the contact's number in clear (audited).

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::extract::{ApiQuery, Caller};
use crate::problem::{ApiError, Problem};
use crate::routes::contact::time_param;

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(history))
        .routes(routes!(deliveries))
        .routes(routes!(address))
}

/// Which conversations to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryParams {
    /// Started at or after this time (RFC 3339).
    #[param(example = "2026-01-05T00:00:00Z")]
    from: Option<String>,
    /// Started before this time (RFC 3339).
    #[param(example = "2026-01-06T00:00:00Z")]
    to: Option<String>,
    /// Only this channel.
    #[param(value_type = Option<crate::schemas::ChannelName>, example = "voice")]
    channel: Option<String>,
    /// Only this flow.
    #[param(example = "0193b1c2-7a4e-7f00-8000-000000000003")]
    flow_id: Option<String>,
    /// Only conversations that ended like this.
    #[param(value_type = Option<crate::schemas::ConversationOutcomeName>, example = "abandoned")]
    outcome: Option<String>,
    /// The `next` of the page before.
    #[param(example = "1767603600000_0193b1c2-7a4e-7f00-8000-000000000004")]
    after: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(example = 50)]
    limit: Option<u32>,
}

/// One conversation.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryEntryDto {
    id: String,
    /// The contact's pseudonym (never a phone number or address).
    contact: String,
    #[schema(value_type = crate::schemas::ChannelName)]
    channel: &'static str,
    flow_id: String,
    /// The flow's name (empty if it was deleted).
    flow_name: String,
    flow_version: i64,
    started_at: String,
    last_activity_at: String,
    #[schema(value_type = crate::schemas::ConversationStatusName)]
    status: &'static str,
    #[schema(value_type = crate::schemas::ConversationOutcomeName)]
    outcome: &'static str,
    /// Messages in the transcript.
    messages: i64,
    /// Queues it waited in.
    queues: Vec<String>,
    /// Agents who took it.
    agents: Vec<String>,
}

/// A page of the history.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryPageDto {
    items: Vec<HistoryEntryDto>,
    /// Pass as `after` for the next page; null at the end.
    next: Option<String>,
}

/// The tenant's conversations, newest first (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/conversations", tag = "contact-centre", params(HistoryParams),
    responses((status = 200, body = HistoryPageDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn history(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> Result<axum::Json<HistoryPageDto>, ApiError> {
    let field = |f: &'static str, m: &'static str| ApiError::from(app::AppError::field(f, m));
    let channel = match params.channel.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.parse::<domain::Channel>()
                .map_err(|_| field("channel", "voice, chat, sms or whatsapp"))?,
        ),
    };
    let flow_id = match params.flow_id.as_deref() {
        None | Some("") => None,
        Some(f) => Some(
            f.parse::<domain::FlowId>()
                .map_err(|_| field("flow_id", "a flow's id"))?,
        ),
    };
    let outcome = match params.outcome.as_deref() {
        None | Some("") => None,
        Some(o) => Some(app::ConversationOutcome::parse(o).ok_or_else(|| {
            field(
                "outcome",
                "open, bot, agent, abandoned, transferred, left or failed",
            )
        })?),
    };
    let page = state
        .app
        .conversation_history(
            &who,
            app::HistoryQuery {
                from: time_param(params.from.as_deref(), "from")?,
                to: time_param(params.to.as_deref(), "to")?,
                channel,
                flow_id,
                outcome,
                after: params.after,
                limit: params.limit.unwrap_or(50) as usize,
            },
        )
        .await?;
    Ok(axum::Json(HistoryPageDto {
        items: page
            .items
            .into_iter()
            .map(|e| HistoryEntryDto {
                id: e.id.to_string(),
                contact: e.contact,
                channel: e.channel.as_str(),
                flow_id: e.flow_id.to_string(),
                flow_name: e.flow_name,
                flow_version: e.flow_version,
                started_at: e.started_at.to_rfc3339(),
                last_activity_at: e.last_activity_at.to_rfc3339(),
                status: e.status.as_str(),
                outcome: e.outcome.as_str(),
                messages: e.messages,
                queues: e.queues,
                agents: e.agents,
            })
            .collect(),
        next: page.next,
    }))
}

fn conversation_id(text: &str) -> Result<domain::ConversationId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::from(app::AppError::NotFound))
}

/// A message sent on SMS or WhatsApp, and where it stands.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryDto {
    /// The message's position in the transcript.
    seq: i64,
    #[schema(value_type = crate::schemas::DeliveryStateName)]
    state: &'static str,
    /// Attempts to hand it to the provider.
    attempts: i64,
    /// Why it failed or waits (the provider's code and words; never the text).
    error: Option<String>,
    updated_at: String,
}

/// Deliveries of a conversation.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryList {
    items: Vec<DeliveryDto>,
}

/// Where each message sent in an SMS or WhatsApp conversation stands (staff who may read
/// transcripts).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/deliveries", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 200, body = DeliveryList), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn deliveries(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let id = conversation_id(&id)?;
    let items = state.app.conversation_deliveries(&who, id).await?;
    Ok(axum::Json(DeliveryList {
        items: items
            .into_iter()
            .map(|d| DeliveryDto {
                seq: d.seq,
                state: d.state.as_str(),
                attempts: d.attempts,
                error: d.error,
                updated_at: d.updated_at.to_rfc3339(),
            })
            .collect(),
    }))
}

/// A contact's address.
#[derive(Serialize, ToSchema)]
pub(crate) struct AddressDto {
    /// The phone number or WhatsApp id.
    address: String,
}

/// The contact's phone number or WhatsApp id behind a conversation, in clear (admins and
/// supervisors; every read is in the audit log). 404 when it is not kept.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/address", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 200, body = AddressDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn address(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<AddressDto>, ApiError> {
    let id = conversation_id(&id)?;
    let address = state.app.contact_address(&who, id).await?;
    Ok(axum::Json(AddressDto { address }))
}
