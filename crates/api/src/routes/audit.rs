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

/// Paging through the log, newest first, and which entries to show.
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
    /// Only this action.
    #[param(value_type = Option<crate::schemas::AuditActionName>, example = "flow.publish")]
    action: Option<String>,
    /// Only this outcome.
    #[param(value_type = Option<crate::schemas::OutcomeName>, example = "denied")]
    outcome: Option<String>,
    /// Only what this user or API key did.
    #[param(example = "0193b1c2-7a4e-7f00-8000-000000000001")]
    actor_id: Option<String>,
    /// Only what concerned this object (its id).
    #[param(example = "0193b1c2-7a4e-7f00-8000-000000000002")]
    object_id: Option<String>,
    /// At or after this time (RFC 3339).
    #[param(example = "2026-01-05T00:00:00Z")]
    from: Option<String>,
    /// Before this time (RFC 3339).
    #[param(example = "2026-01-06T00:00:00Z")]
    to: Option<String>,
}

/// A page of entries.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditPageDto {
    items: Vec<AuditEntryDto>,
    /// Pass as `before_seq` for the next page; null at the start of the chain.
    next_before_seq: Option<i64>,
    /// What the ids in these entries name today: users, API keys, flows.
    names: std::collections::BTreeMap<String, String>,
}

/// The tenant's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPageDto), (status = 403, body = Problem)))]
async fn list(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<axum::Json<AuditPageDto>, ApiError> {
    // A name the log never records is a mistake to say, not an empty page.
    fn recorded<T: std::str::FromStr>(
        value: Option<String>,
        field: &'static str,
    ) -> Result<Option<String>, ApiError> {
        match value {
            Some(v) if v.parse::<T>().is_err() => Err(ApiError::from(app::AppError::field(
                field,
                "not one of the values the log records",
            ))),
            other => Ok(other),
        }
    }
    let filter = store::AuditFilter {
        action: recorded::<domain::AuditAction>(query.action, "action")?,
        outcome: recorded::<domain::Outcome>(query.outcome, "outcome")?,
        actor_id: query.actor_id.filter(|s| !s.is_empty()),
        object_id: query.object_id.filter(|s| !s.is_empty()),
        from: crate::routes::contact::time_param(query.from.as_deref(), "from")?,
        to: crate::routes::contact::time_param(query.to.as_deref(), "to")?,
    };
    let page = state
        .app
        .audit_page(&who, query.before_seq, query.limit.unwrap_or(50), &filter)
        .await?;
    Ok(axum::Json(AuditPageDto {
        items: page.items.into_iter().map(AuditEntryDto::from).collect(),
        next_before_seq: page.next_before_seq,
        names: page.names,
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
