//! `/api/v1/agents/{user_id}/sip`: the SIP account an agent's phone registers with. `PUT`
//! sets (or replaces) the username and password and answers with the username and the realm
//! to configure in the phone; the password is never sent back, logged or stored (the server
//! keeps only the digest hash). `DELETE` removes the account. The agent may manage their own;
//! someone who supervises queues may manage anyone's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::UserId;

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(put_sip, delete_sip))
}

/// The phone's credentials. No `Debug`: the password must not reach a log line.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SipAccountRequest {
    /// The SIP username (unique in the installation): letters, digits, `.`, `-`, `_`.
    username: String,
    /// At least 12 characters, not a common password, not the username.
    password: String,
}

/// What the phone needs besides its password.
#[derive(Serialize, ToSchema)]
pub(crate) struct SipAccountDto {
    username: String,
    /// The digest realm the phone is challenged with.
    realm: String,
}

fn user_id(text: &str) -> Result<UserId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::from(app::AppError::field("user_id", "not a user id")))
}

/// Sets an agent's SIP username and password (replacing any earlier ones).
#[utoipa::path(put, path = "/api/v1/agents/{user_id}/sip", tag = "contact-centre",
    params(("user_id" = String, Path)), request_body = SipAccountRequest,
    responses((status = 200, body = SipAccountDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn put_sip(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SipAccountRequest>,
) -> Result<axum::Json<SipAccountDto>, ApiError> {
    let agent = user_id(&id)?;
    let account = state
        .app
        .set_agent_sip_account(&who, agent, &body.username, &body.password)
        .await?;
    Ok(axum::Json(SipAccountDto {
        username: account.username,
        realm: account.realm,
    }))
}

/// Removes an agent's SIP account; their phone can no longer register.
#[utoipa::path(delete, path = "/api/v1/agents/{user_id}/sip", tag = "contact-centre",
    params(("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_sip(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let agent = user_id(&id)?;
    state.app.remove_agent_sip_account(&who, agent).await?;
    Ok(StatusCode::NO_CONTENT)
}
