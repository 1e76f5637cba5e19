//! `/api/v1/tenant`: the caller's own tenant, and the destinations its flows may reach on
//! private networks (`/api/v1/tenant/http-destinations`: none until an admin opens one).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant))
        .routes(routes!(list_destinations, allow_destination))
        .routes(routes!(revoke_destination))
}

/// A tenant.
#[derive(Serialize, ToSchema)]
pub(crate) struct TenantDto {
    id: String,
    name: String,
    created_at: String,
}

/// The caller's tenant.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant",
    responses((status = 200, body = TenantDto), (status = 401, body = Problem)))]
async fn get_tenant(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<TenantDto>, ApiError> {
    let tenant = state.app.tenant(&who).await?;
    Ok(axum::Json(TenantDto {
        id: tenant.id.to_string(),
        name: tenant.name.to_string(),
        created_at: tenant.created_at.to_rfc3339(),
    }))
}

/// Destinations (`host:port`) where the tenant's flows may reach loopback and private
/// addresses.
#[derive(Serialize, ToSchema)]
pub(crate) struct DestinationList {
    items: Vec<String>,
}

/// A destination to open.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DestinationRequest {
    /// `host:port`, such as `crm.internal:8443`, `10.0.0.5:80` or `[fd00::5]:443`.
    destination: String,
}

/// The opened destination, in the form the guard compares.
#[derive(Serialize, ToSchema)]
pub(crate) struct DestinationDto {
    destination: String,
}

/// The destinations open to the tenant's flows (admins).
#[utoipa::path(get, path = "/api/v1/tenant/http-destinations", tag = "tenant",
    responses((status = 200, body = DestinationList), (status = 403, body = Problem)))]
async fn list_destinations(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<DestinationList>, ApiError> {
    Ok(axum::Json(DestinationList {
        items: state.app.private_http_destinations(&who).await?,
    }))
}

/// Opens a destination on a private network to the tenant's flows (admins; audited).
#[utoipa::path(post, path = "/api/v1/tenant/http-destinations", tag = "tenant",
    request_body = DestinationRequest,
    responses((status = 201, body = DestinationDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn allow_destination(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<DestinationRequest>,
) -> Result<(StatusCode, axum::Json<DestinationDto>), ApiError> {
    let destination = state
        .app
        .allow_private_http_destination(&who, &body.destination)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DestinationDto { destination }),
    ))
}

/// Closes a destination again (admins; audited).
#[utoipa::path(delete, path = "/api/v1/tenant/http-destinations/{destination}", tag = "tenant",
    params(("destination" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_destination(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(destination): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .revoke_private_http_destination(&who, &destination)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
