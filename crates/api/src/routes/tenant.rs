//! `/api/v1/tenant`: the caller's own tenant.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::extract::Caller;
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_tenant))
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
