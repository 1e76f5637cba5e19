//! `/api/v1/flows` and `/api/v1/widgets`: flow drafts, validation, publishing, versions,
//! rollback, and the web chat widgets bound to flows.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::FlowId;
use store::{FlowRecord, FlowVersion, Widget};

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};
use crate::routes::users::parse_id;

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(schema))
        .routes(routes!(check))
        .routes(routes!(list_flows, create_flow))
        .routes(routes!(get_flow, update_flow))
        .routes(routes!(put_layout))
        .routes(routes!(publish))
        .routes(routes!(versions))
        .routes(routes!(rollback))
        .routes(routes!(activate))
        .routes(routes!(list_widgets, create_widget))
        .routes(routes!(get_widget, update_widget))
}

/// The JSON Schema of the flow format.
#[utoipa::path(get, path = "/api/v1/flows/schema", tag = "flows",
    responses((status = 200, description = "JSON Schema (draft 2020-12)", body = Object)))]
async fn schema() -> axum::Json<serde_json::Value> {
    axum::Json(flow::schema::json_schema())
}

/// A flow's source text (YAML or JSON).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceRequest {
    source: String,
}

/// Diagnostics of a flow source.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckResponse {
    /// True when there is no error (warnings allowed).
    valid: bool,
    /// Errors and lint warnings.
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    diagnostics: Vec<flow::Diagnostic>,
}

fn check_response(diagnostics: Vec<flow::Diagnostic>) -> CheckResponse {
    CheckResponse {
        valid: !diagnostics
            .iter()
            .any(|d| d.severity == flow::Severity::Error),
        diagnostics,
    }
}

/// Validates and lints a flow source without storing it.
#[utoipa::path(post, path = "/api/v1/flows/check", tag = "flows", request_body = SourceRequest,
    responses((status = 200, body = CheckResponse), (status = 422, body = Problem)))]
async fn check(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<SourceRequest>,
) -> Result<axum::Json<CheckResponse>, ApiError> {
    who.require(security::rbac::Permission::FlowsRead)?;
    Ok(axum::Json(check_response(
        state.app.check_flow_source_for(&who, &body.source).await?,
    )))
}

/// A new draft, and the revision it was edited from.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftRequest {
    source: String,
    /// The revision the edit started from; when the draft was saved since, the edit is
    /// refused (409 `stale-draft`) and nothing changes. Absent: saved whatever the revision.
    revision: Option<i64>,
}

/// Where the editor shows one node.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(crate) struct PositionDto {
    x: f64,
    y: f64,
}

/// Where the editor shows the flow's nodes, by node id.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LayoutDto {
    positions: BTreeMap<String, PositionDto>,
}

/// A flow.
#[derive(Serialize, ToSchema)]
pub(crate) struct FlowDto {
    id: String,
    name: String,
    /// The draft's source.
    draft: String,
    /// The draft's revision: 1 at creation, one more with each save.
    revision: i64,
    /// Where the editor shows the nodes; kept apart from the draft, so moving a node never
    /// changes the flow.
    layout: LayoutDto,
    /// The live version, if published.
    active_version: Option<i64>,
    created_at: String,
    updated_at: String,
    /// Diagnostics of the draft (only on single-flow responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    diagnostics: Option<Vec<flow::Diagnostic>>,
}

fn flow_dto(f: FlowRecord, diagnostics: Option<Vec<flow::Diagnostic>>) -> FlowDto {
    FlowDto {
        id: f.id.to_string(),
        name: f.name,
        layout: LayoutDto {
            positions: app::parse_layout(&f.layout)
                .into_iter()
                .map(|(id, p)| (id, PositionDto { x: p.x, y: p.y }))
                .collect(),
        },
        revision: f.revision,
        draft: f.draft,
        active_version: f.active_version,
        created_at: f.created_at.to_rfc3339(),
        updated_at: f.updated_at.to_rfc3339(),
        diagnostics,
    }
}

/// Flows.
#[derive(Serialize, ToSchema)]
pub(crate) struct FlowList {
    items: Vec<FlowDto>,
}

/// The tenant's flows.
#[utoipa::path(get, path = "/api/v1/flows", tag = "flows", responses((status = 200, body = FlowList)))]
async fn list_flows(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<FlowList>, ApiError> {
    let flows = state.app.list_flows(&who).await?;
    Ok(axum::Json(FlowList {
        items: flows.into_iter().map(|f| flow_dto(f, None)).collect(),
    }))
}

/// Creates a flow from a source; the draft may have errors (they are returned).
#[utoipa::path(post, path = "/api/v1/flows", tag = "flows", request_body = SourceRequest,
    responses((status = 201, body = FlowDto), (status = 422, body = Problem)))]
async fn create_flow(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<SourceRequest>,
) -> Result<Response, ApiError> {
    let created = state.app.create_flow(&who, &body.source).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(flow_dto(created.flow, Some(created.diagnostics))),
    )
        .into_response())
}

/// One flow with its draft's diagnostics.
#[utoipa::path(get, path = "/api/v1/flows/{id}", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = FlowDto), (status = 404, body = Problem)))]
async fn get_flow(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<FlowDto>, ApiError> {
    let f = state.app.get_flow(&who, parse_id::<FlowId>(&id)?).await?;
    Ok(axum::Json(flow_dto(f.flow, Some(f.diagnostics))))
}

/// Replaces a flow's draft.
#[utoipa::path(put, path = "/api/v1/flows/{id}", tag = "flows", params(("id" = String, Path)),
    request_body = DraftRequest, responses((status = 200, body = FlowDto), (status = 404, body = Problem),
    (status = 409, description = "`stale-draft`: saved by someone else since `revision`", body = Problem)))]
async fn update_flow(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DraftRequest>,
) -> Result<axum::Json<FlowDto>, ApiError> {
    let f = state
        .app
        .update_flow(&who, parse_id::<FlowId>(&id)?, &body.source, body.revision)
        .await?;
    Ok(axum::Json(flow_dto(f.flow, Some(f.diagnostics))))
}

/// Stores where the editor shows the flow's nodes; the draft and its revision stay.
#[utoipa::path(put, path = "/api/v1/flows/{id}/layout", tag = "flows", params(("id" = String, Path)),
    request_body = LayoutDto, responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_layout(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LayoutDto>,
) -> Result<StatusCode, ApiError> {
    let layout = body
        .positions
        .into_iter()
        .map(|(id, p)| (id, app::NodePosition { x: p.x, y: p.y }))
        .collect();
    state
        .app
        .update_flow_layout(&who, parse_id::<FlowId>(&id)?, &layout)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a publisher says about the version.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishRequest {
    /// What changed, for the version list (at most 500 characters, one line).
    #[serde(default)]
    note: String,
}

/// A version number.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VersionDto {
    version: i64,
}

/// Publishes the draft as a new immutable version and makes it live.
#[utoipa::path(post, path = "/api/v1/flows/{id}/publish", tag = "flows", params(("id" = String, Path)),
    request_body(content = PublishRequest, description = "Optional"), responses((status = 200, body = VersionDto), (status = 422, body = Problem), (status = 404, body = Problem)))]
async fn publish(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Option<ApiJson<PublishRequest>>,
) -> Result<axum::Json<VersionDto>, ApiError> {
    let note = body.map(|ApiJson(b)| b.note).unwrap_or_default();
    let version = state
        .app
        .publish_flow(&who, parse_id::<FlowId>(&id)?, &note)
        .await?;
    Ok(axum::Json(VersionDto { version }))
}

/// A published version.
#[derive(Serialize, ToSchema)]
pub(crate) struct FlowVersionDto {
    version: i64,
    source: String,
    /// What the publisher said about it (may be empty).
    note: String,
    created_by: Option<String>,
    created_at: String,
}

/// Versions, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct VersionList {
    /// The live version.
    active_version: Option<i64>,
    items: Vec<FlowVersionDto>,
}

fn version_dto(v: FlowVersion) -> FlowVersionDto {
    FlowVersionDto {
        version: v.version,
        source: v.source,
        note: v.note,
        created_by: v.created_by.map(|u| u.to_string()),
        created_at: v.created_at.to_rfc3339(),
    }
}

/// The flow's published versions.
#[utoipa::path(get, path = "/api/v1/flows/{id}/versions", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = VersionList), (status = 404, body = Problem)))]
async fn versions(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<VersionList>, ApiError> {
    let id = parse_id::<FlowId>(&id)?;
    let items = state.app.list_flow_versions(&who, id).await?;
    let active = state.app.get_flow(&who, id).await?.flow.active_version;
    Ok(axum::Json(VersionList {
        active_version: active,
        items: items.into_iter().map(version_dto).collect(),
    }))
}

/// Makes the version before the live one live again.
#[utoipa::path(post, path = "/api/v1/flows/{id}/rollback", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = VersionDto), (status = 409, body = Problem), (status = 404, body = Problem)))]
async fn rollback(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<VersionDto>, ApiError> {
    let version = state
        .app
        .rollback_flow(&who, parse_id::<FlowId>(&id)?)
        .await?;
    Ok(axum::Json(VersionDto { version }))
}

/// Makes a given published version live.
#[utoipa::path(post, path = "/api/v1/flows/{id}/activate", tag = "flows", params(("id" = String, Path)),
    request_body = VersionDto, responses((status = 200, body = VersionDto), (status = 404, body = Problem)))]
async fn activate(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VersionDto>,
) -> Result<axum::Json<VersionDto>, ApiError> {
    state
        .app
        .activate_flow_version(&who, parse_id::<FlowId>(&id)?, body.version)
        .await?;
    Ok(axum::Json(VersionDto {
        version: body.version,
    }))
}

/// A web chat widget.
#[derive(Serialize, ToSchema)]
pub(crate) struct WidgetDto {
    /// The public id for `<script data-widget=…>`.
    id: String,
    name: String,
    flow_id: Option<String>,
    title: String,
    primary_color: String,
    greeting: String,
    allowed_origins: Vec<String>,
    created_at: String,
    updated_at: String,
}

fn widget_dto(w: Widget) -> WidgetDto {
    WidgetDto {
        id: w.id,
        name: w.name,
        flow_id: w.flow_id.map(|f| f.to_string()),
        title: w.title,
        primary_color: w.primary_color,
        greeting: w.greeting,
        allowed_origins: w.allowed_origins,
        created_at: w.created_at.to_rfc3339(),
        updated_at: w.updated_at.to_rfc3339(),
    }
}

/// Widget settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WidgetRequest {
    /// Public id (3–64 of a-z 0-9 -); generated when absent. Ignored on update.
    id: Option<String>,
    name: String,
    flow_id: Option<String>,
    title: String,
    primary_color: String,
    greeting: String,
    /// Origins allowed to embed the chat (`https://www.example.org`), or `["*"]`.
    allowed_origins: Vec<String>,
}

fn widget_spec(body: WidgetRequest) -> Result<app::WidgetSpec, ApiError> {
    let flow_id =
        match body.flow_id.as_deref() {
            Some(f) => Some(f.parse::<FlowId>().map_err(|_| {
                ApiError::from(app::AppError::field("flow_id", "not a valid flow id"))
            })?),
            None => None,
        };
    Ok(app::WidgetSpec {
        id: body.id,
        name: body.name,
        flow_id,
        title: body.title,
        primary_color: body.primary_color,
        greeting: body.greeting,
        allowed_origins: body.allowed_origins,
    })
}

/// Widgets.
#[derive(Serialize, ToSchema)]
pub(crate) struct WidgetList {
    items: Vec<WidgetDto>,
}

/// The tenant's widgets.
#[utoipa::path(get, path = "/api/v1/widgets", tag = "flows", responses((status = 200, body = WidgetList)))]
async fn list_widgets(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<WidgetList>, ApiError> {
    let widgets = state.app.list_widgets(&who).await?;
    Ok(axum::Json(WidgetList {
        items: widgets.into_iter().map(widget_dto).collect(),
    }))
}

/// Creates a widget (binds a flow to the web chat).
#[utoipa::path(post, path = "/api/v1/widgets", tag = "flows", request_body = WidgetRequest,
    responses((status = 201, body = WidgetDto), (status = 422, body = Problem)))]
async fn create_widget(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<WidgetRequest>,
) -> Result<Response, ApiError> {
    let widget = state.app.create_widget(&who, widget_spec(body)?).await?;
    Ok((StatusCode::CREATED, axum::Json(widget_dto(widget))).into_response())
}

/// One widget.
#[utoipa::path(get, path = "/api/v1/widgets/{id}", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = WidgetDto), (status = 404, body = Problem)))]
async fn get_widget(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<WidgetDto>, ApiError> {
    Ok(axum::Json(widget_dto(
        state.app.get_widget(&who, &id).await?,
    )))
}

/// Changes a widget's settings or its flow.
#[utoipa::path(put, path = "/api/v1/widgets/{id}", tag = "flows", params(("id" = String, Path)),
    request_body = WidgetRequest, responses((status = 200, body = WidgetDto), (status = 404, body = Problem)))]
async fn update_widget(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WidgetRequest>,
) -> Result<axum::Json<WidgetDto>, ApiError> {
    let widget = state
        .app
        .update_widget(&who, &id, widget_spec(body)?)
        .await?;
    Ok(axum::Json(widget_dto(widget)))
}
