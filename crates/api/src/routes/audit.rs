//! `/api/v1/audit`: reading and verifying the tenant's audit chain.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::AuditEntry;

use crate::ApiState;
use crate::extract::{ApiQuery, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(verify))
}

/// One audit entry.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEntryDto {
    seq: i64,
    id: String,
    /// RFC 3339, UTC.
    at: String,
    actor_kind: &'static str,
    actor_id: Option<String>,
    auth_method: &'static str,
    source_ip: Option<String>,
    request_id: Option<String>,
    action: String,
    object_type: Option<String>,
    object_id: Option<String>,
    outcome: &'static str,
    prev_hash: String,
    hash: String,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(e: AuditEntry) -> Self {
        Self {
            seq: e.seq,
            id: e.id.to_string(),
            at: e.at.to_rfc3339(),
            actor_kind: e.event.actor_kind.as_str(),
            actor_id: e.event.actor_id,
            auth_method: e.event.auth_method.as_str(),
            source_ip: e.event.source_ip,
            request_id: e.event.request_id.map(|r| r.to_string()),
            action: e.event.action,
            object_type: e.event.object_type,
            object_id: e.event.object_id,
            outcome: e.event.outcome.as_str(),
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Paging through the log, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// Only entries older than this sequence number.
    #[param(example = 100)]
    before_seq: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[param(example = 50)]
    limit: Option<u32>,
}

/// A page of entries.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditPageDto {
    items: Vec<AuditEntryDto>,
    /// Pass as `before_seq` for the next page; null at the start of the chain.
    next_before_seq: Option<i64>,
}

/// The tenant's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPageDto), (status = 403, body = Problem)))]
async fn list(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<axum::Json<AuditPageDto>, ApiError> {
    let page = state
        .app
        .audit_page(&who, query.before_seq, query.limit.unwrap_or(50))
        .await?;
    Ok(axum::Json(AuditPageDto {
        items: page.items.into_iter().map(AuditEntryDto::from).collect(),
        next_before_seq: page.next_before_seq,
    }))
}

/// The result of verifying the chain.
#[derive(Serialize, ToSchema)]
pub(crate) struct VerifyDto {
    ok: bool,
    count: u64,
    head_seq: Option<i64>,
    /// The first broken entry, when the chain is not intact.
    error: Option<String>,
}

/// Recomputes the tenant's hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyDto), (status = 403, body = Problem)))]
async fn verify(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<VerifyDto>, ApiError> {
    let report = state.app.audit_verify(&who).await?;
    Ok(axum::Json(VerifyDto {
        ok: report.ok(),
        count: report.count,
        head_seq: report.head_seq,
        error: report.error.map(|e| e.to_string()),
    }))
}
