//! `/api/v1/api-keys`: keys for integrations, shown once, revocable.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::{ApiKeyId, DisplayName, Role};
use store::ApiKey;

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};
use crate::routes::users::parse_id;

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

/// An API key (without its secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyDto {
    id: String,
    name: String,
    #[schema(value_type = crate::schemas::RoleName)]
    role: Role,
    created_at: String,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
}

impl From<&ApiKey> for ApiKeyDto {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.to_string(),
            role: k.role,
            created_at: k.created_at.to_rfc3339(),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
            last_used_at: k.last_used_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A list of keys.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyList {
    items: Vec<ApiKeyDto>,
}

/// The tenant's API keys.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = ApiKeyList), (status = 403, body = Problem)))]
async fn list_keys(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<ApiKeyList>, ApiError> {
    let keys = state.app.list_api_keys(&who).await?;
    Ok(axum::Json(ApiKeyList {
        items: keys.iter().map(ApiKeyDto::from).collect(),
    }))
}

/// A new key.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKeyRequest {
    #[schema(value_type = String)]
    name: DisplayName,
    #[schema(value_type = crate::schemas::RoleName, example = "integrator")]
    role: Role,
}

/// The new key and its bearer token (shown once).
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedKeyResponse {
    key: ApiKeyDto,
    token: String,
}

/// Creates an API key.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateKeyRequest,
    responses((status = 201, body = CreatedKeyResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_key(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<CreateKeyRequest>,
) -> Result<Response, ApiError> {
    let created = state.app.create_api_key(&who, body.name, body.role).await?;
    let body = CreatedKeyResponse {
        key: ApiKeyDto::from(&created.key),
        token: created.token,
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// One API key.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path)),
    responses((status = 200, body = ApiKeyDto), (status = 404, body = Problem)))]
async fn get_key(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ApiKeyDto>, ApiError> {
    let key = state
        .app
        .get_api_key(&who, parse_id::<ApiKeyId>(&id)?)
        .await?;
    Ok(axum::Json(ApiKeyDto::from(&key)))
}

/// Revokes an API key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn revoke_key(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .revoke_api_key(&who, parse_id::<ApiKeyId>(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
