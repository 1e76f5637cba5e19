//! Prometheus metrics at `/metrics`: request counts and latencies per route and status.
//! Labels carry route templates (`/api/v1/users/{id}`), never ids or personal data.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// More exposition text from other parts of the process (the voice shell's counters).
type Extra = Box<dyn Fn(&mut String) + Send + Sync>;

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    extra: std::sync::Mutex<Vec<Extra>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers the metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("hotline");
        let requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        let up = Gauge::<i64>::default();
        up.set(1);
        registry.register("up", "1 while the process serves", up);
        Self {
            registry,
            requests,
            latency,
            extra: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Adds exposition text rendered by `render` to every scrape (the voice shell's and the
    /// SMPP links' counters). What it writes must follow the text format and carry no
    /// personal data.
    pub fn add_extra(&self, render: impl Fn(&mut String) + Send + Sync + 'static) {
        self.extra
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Box::new(render));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        let extras = self
            .extra
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !extras.is_empty() {
            // The registry's text ends with `# EOF`, which must stay last.
            let eof = out.rfind("# EOF").unwrap_or(out.len());
            let tail = out.split_off(eof);
            for extra in extras.iter() {
                extra(&mut out);
            }
            out.push_str(&tail);
        }
        out
    }
}

/// The method as a label: the standard methods by name, anything else as `OTHER`, so a client
/// sending made-up methods cannot grow the label set (and `/metrics`) without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Middleware recording each request.
pub(crate) async fn track(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics
        .requests
        .get_or_create(&HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub(crate) async fn serve(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}
