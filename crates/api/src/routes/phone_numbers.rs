//! `/api/v1/phone-numbers`: the numbers (or SIP users) that calls arrive on, each bound to a
//! flow, with the channels it serves (voice, SMS, WhatsApp) and what its conversations keep
//! of the caller's number. `PUT` creates or rebinds a number, so
//! a script can apply the same binding twice.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::FlowId;
use store::PhoneNumber;

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_numbers))
        .routes(routes!(put_number, delete_number))
}

/// A number and the flow that answers it.
#[derive(Serialize, ToSchema)]
pub(crate) struct PhoneNumberDto {
    /// The dialled number or SIP request-URI user, e.g. `+4930123456` or `demo-de`.
    number: String,
    /// The flow that answers; none rejects calls.
    flow_id: Option<String>,
    /// The conversation language (`de`, `en`); none uses the flow's default.
    language: Option<String>,
    /// What calls keep of the caller's number: `identified` (the number, sealed, and a
    /// pseudonym), `pseudonymised` (a stable keyed pseudonym; the number is kept sealed, read
    /// by no one, only while a follow-up SMS may still need it) or `anonymous` (nothing).
    caller_id: String,
    /// The channels it serves: `voice`, `sms`, `whatsapp`.
    #[schema(value_type = Vec<crate::schemas::ChannelName>)]
    channels: Vec<domain::Channel>,
    /// In the tenant's pool of proxy numbers (relays follow-up SMS; no flow).
    proxy: bool,
    created_at: String,
    updated_at: String,
}

fn dto(n: PhoneNumber) -> PhoneNumberDto {
    PhoneNumberDto {
        number: n.number,
        flow_id: n.flow_id.map(|f| f.to_string()),
        language: n.language,
        caller_id: n.caller_id.as_str().to_owned(),
        channels: n.channels,
        proxy: n.proxy,
        created_at: n.created_at.to_rfc3339(),
        updated_at: n.updated_at.to_rfc3339(),
    }
}

/// Numbers.
#[derive(Serialize, ToSchema)]
pub(crate) struct PhoneNumberList {
    items: Vec<PhoneNumberDto>,
}

/// What a number is bound to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhoneNumberRequest {
    /// The flow that answers (none: calls are rejected).
    flow_id: Option<String>,
    /// `de` or `en`; none uses the flow's default.
    language: Option<String>,
    /// `identified`, `pseudonymised` or `anonymous`; none keeps the number's mode
    /// (`pseudonymised` for a new number).
    #[schema(value_type = Option<String>)]
    caller_id: Option<domain::CallerIdMode>,
    /// The channels it serves (`voice`, `sms`, `whatsapp`); none keeps the number's channels
    /// (`voice` for a new number).
    #[schema(value_type = Option<Vec<crate::schemas::ChannelName>>)]
    channels: Option<Vec<domain::Channel>>,
    /// In the tenant's pool of proxy numbers: relays follow-up SMS and their replies within
    /// proxy sessions, serves `sms` only and runs no flow. None keeps the number's setting
    /// (not a proxy number for a new one).
    proxy: Option<bool>,
}

/// The tenant's numbers.
#[utoipa::path(get, path = "/api/v1/phone-numbers", tag = "voice",
    responses((status = 200, body = PhoneNumberList)))]
async fn list_numbers(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<PhoneNumberList>, ApiError> {
    let numbers = state.app.list_phone_numbers(&who).await?;
    Ok(axum::Json(PhoneNumberList {
        items: numbers.into_iter().map(dto).collect(),
    }))
}

/// Binds a number to a flow (creates it, or changes the tenant's own binding). A number
/// another tenant has gives 409.
#[utoipa::path(put, path = "/api/v1/phone-numbers/{number}", tag = "voice",
    params(("number" = String, Path)), request_body = PhoneNumberRequest,
    responses((status = 200, body = PhoneNumberDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn put_number(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(number): Path<String>,
    ApiJson(body): ApiJson<PhoneNumberRequest>,
) -> Result<axum::Json<PhoneNumberDto>, ApiError> {
    let flow_id =
        match body.flow_id.as_deref() {
            Some(f) => Some(f.parse::<FlowId>().map_err(|_| {
                ApiError::from(app::AppError::field("flow_id", "not a valid flow id"))
            })?),
            None => None,
        };
    let n = state
        .app
        .put_phone_number(
            &who,
            app::PhoneNumberSpec {
                number,
                flow_id,
                language: body.language,
                caller_id: body.caller_id,
                channels: body.channels,
                proxy: body.proxy,
            },
        )
        .await?;
    Ok(axum::Json(dto(n)))
}

/// Removes a number; its calls are no longer answered.
#[utoipa::path(delete, path = "/api/v1/phone-numbers/{number}", tag = "voice",
    params(("number" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_number(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(number): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_phone_number(&who, &number).await?;
    Ok(StatusCode::NO_CONTENT)
}
