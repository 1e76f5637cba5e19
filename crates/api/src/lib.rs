//! Hotline's HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, health and
//! metrics endpoints, and the embedded web UI.
//!
//! This crate is the only one that defines JSON shapes for clients and the only place where
//! errors become HTTP responses (`problem`). Handlers are thin: they extract, call one use
//! case of `app`, and shape the answer.

mod chat_ws;
mod demo;
mod desk_ws;
mod extract;
mod hooks;
mod metrics;
mod problem;
mod routes;
mod schemas;
mod unread_body;
mod web;
mod whatsapp;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use demo::{DEMO_WIDGET_DE, DEMO_WIDGET_EN};
pub use extract::{CSRF_HEADER, SESSION_COOKIE};
pub use hooks::{HookSecret, TwilioHook, Webhooks, WhatsappHook};
pub use metrics::Metrics;
pub use problem::{ApiError, FieldProblem, Problem};
pub use web::ui_embedded;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The use cases.
    pub app: app::App,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// Providers' webhooks and their secrets.
    pub hooks: Arc<Webhooks>,
    /// Whether the listener speaks HTTPS (the URL a provider signed, when no public URL is
    /// configured).
    pub https: bool,
}

/// Options of the HTTP surface.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The listener speaks HTTPS: responses carry HSTS, and the CSRF origin check expects
    /// `https://`.
    pub https: bool,
    /// Providers whose webhooks are taken under `/hooks/`.
    pub hooks: Webhooks,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            https: false,
            hooks: Webhooks::default(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hotline API",
        description = "Tenants, staff accounts, login with TOTP, API keys and the audit log. \
            Authenticate with the session cookie (plus the X-CSRF-Token header on state changes) \
            or with `Authorization: Bearer hlk_…` API keys. Errors are RFC 9457 problem+json."
    ),
    tags(
        (name = "auth", description = "Login, second factor, sessions"),
        (name = "users", description = "Staff accounts"),
        (name = "api-keys", description = "Keys for integrations"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "tenant", description = "The caller's tenant"),
        (name = "flows", description = "Flows, versions and web chat widgets"),
        (name = "voice", description = "Phone numbers that calls arrive on"),
        (name = "contact-centre", description = "Agents, queues, the desk, tasks, transcripts and KPIs"),
        (name = "privacy", description = "Retention, data-subject export and erasure, the Art. 30 record"),
        (name = "messaging", description = "Follow-up SMS and the number proxy"),
    ),
    // Named only by query parameters, which do not register what they refer to.
    components(schemas(schemas::AuditActionName, schemas::OutcomeName))
)]
struct ApiDoc;

fn api_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::auth::router())
        .merge(routes::users::router())
        .merge(routes::api_keys::router())
        .merge(routes::audit::router())
        .merge(routes::tenant::router())
        .merge(routes::flows::router())
        .merge(routes::drafts::router())
        .merge(routes::prompts::router())
        .merge(routes::history::router())
        .merge(routes::phone_numbers::router())
        .merge(routes::contact::router())
        .merge(routes::phones::router())
        .merge(routes::privacy::router())
        .merge(routes::proxy::router())
}

/// The OpenAPI 3.1 document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<ApiState>) -> Response {
    if state.app.ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            "database unreachable",
        )
            .into_response()
    }
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; \
    script-src 'self'; \
    connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'self'";

async fn security_headers(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // The browsers' XSS auditor is gone or harmful; `0` turns off what is left of it
        // (OWASP's advice). The CSP is the protection.
        (header::X_XSS_PROTECTION, "0"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, CSP),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// On HTTPS: marks each request as having arrived over TLS (the CSRF origin check reads it)
/// and tells browsers to use HTTPS only (HSTS, a year).
async fn https_marks(
    axum::extract::State(https): axum::extract::State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    if !https {
        return next.run(request).await;
    }
    request.extensions_mut().insert(extract::OverTls);
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    response
}

/// Builds the whole HTTP application.
pub fn router(app: app::App, metrics: Arc<Metrics>, options: &ApiOptions) -> Router {
    let state = ApiState {
        app,
        metrics: metrics.clone(),
        hooks: Arc::new(options.hooks.clone()),
        https: options.https,
    };
    let (api, doc) = api_routes().split_for_parts();
    let doc_json: Arc<str> = Arc::from(doc.to_json().unwrap_or_else(|_| "{}".to_owned()));
    let x_request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc_json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        doc.to_string(),
                    )
                }
            }),
        )
        .route("/chat/ws", get(chat_ws::upgrade))
        .route("/api/v1/desk/ws", get(desk_ws::desk))
        .route("/api/v1/supervisor/ws", get(desk_ws::supervisor))
        .route("/hooks/twilio/{name}/messages", post(hooks::twilio_message))
        .route("/hooks/twilio/{name}/status", post(hooks::twilio_status))
        .route(
            "/hooks/whatsapp/{name}",
            get(hooks::whatsapp_verify).post(hooks::whatsapp_event),
        )
        .route("/demo", get(demo::page))
        .route("/demo/api/appointment", get(demo::appointment))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::serve).with_state(metrics.clone()))
        .fallback(web::serve)
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            audit_refusals,
        ))
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(middleware::from_fn_with_state(metrics, metrics::track))
        .layer(middleware::from_fn(problem::render_problems))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(unread_body::close_after_unread_body))
        .layer(middleware::from_fn_with_state(options.https, https_marks))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}

/// Audits a refusal (403) of an authenticated caller — a route their role does not allow, or a
/// state change the CSRF check refused — aggregated by the app (one entry per caller and
/// minute), with the route template as the object.
async fn audit_refusals(
    axum::extract::State(app): axum::extract::State<app::App>,
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let slot = extract::RefusalSlot::default();
    request.extensions_mut().insert(slot.clone());
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    if response.status() == StatusCode::FORBIDDEN
        && let Some((who, refusal)) = slot.take()
        && let Err(e) = app.audit_refusal(&who, refusal, &route).await
    {
        tracing::warn!(error = %e, "a refusal was not audited");
    }
    response
}
