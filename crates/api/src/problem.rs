//! The one mapping from errors to HTTP responses: RFC 9457 `application/problem+json`.
//!
//! Handlers return [`ApiError`]; it becomes a response carrying a [`Problem`] extension and
//! no body. The `render_problems` middleware then writes the JSON with the request's id, and
//! also turns bare error responses that axum produces itself (404 on an unknown route, 405)
//! into problems, so every error a client sees has the same shape.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use app::{AppError, FieldError};

/// A problem detail as sent to clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human-readable summary.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// An explanation specific to this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub detail: Option<String>,
    /// Problems with individual input fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Flow diagnostics (for an invalid flow): severity, code, message, node and path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    pub diagnostics: Vec<serde_json::Value>,
    /// The request's id, to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub request_id: Option<String>,
    /// Seconds to wait before retrying (also in the `Retry-After` header).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// One field's problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The JSON field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field.to_owned(),
            message: e.message,
        }
    }
}

impl Problem {
    /// A problem of kind `slug` with the given status and title.
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("urn:hotline:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            diagnostics: Vec::new(),
            request_id: None,
            retry_after: None,
        }
    }

    /// Adds a detail sentence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// An error a handler returns; rendered as problem+json.
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError(Box::new(problem))
    }
}

impl ApiError {
    /// 400 for a path parameter that is not a valid id.
    pub fn bad_id() -> Self {
        ApiError::from(
            Problem::new(StatusCode::BAD_REQUEST, "invalid-id", "Invalid id")
                .with_detail("the id in the path is not a valid UUID"),
        )
    }

    /// 401: not signed in.
    pub fn unauthenticated() -> Self {
        ApiError::from(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
        ))
    }

    /// 403 for a missing or wrong anti-CSRF token or a foreign origin.
    pub fn csrf() -> Self {
        ApiError::from(
            Problem::new(StatusCode::FORBIDDEN, "csrf", "Cross-site request refused")
                .with_detail("state-changing requests must send the session's X-CSRF-Token header from the same origin"),
        )
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let problem = match err {
            AppError::Unauthenticated => return ApiError::unauthenticated(),
            AppError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid username or password",
            ),
            AppError::InvalidCode => {
                Problem::new(StatusCode::UNAUTHORIZED, "invalid-code", "Invalid code")
                    .with_detail("the code is wrong, expired or was already used")
            }
            AppError::RateLimited { retry_after_secs } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many attempts",
                )
                .with_detail(format!("try again in {retry_after_secs} seconds"));
                p.retry_after = Some(retry_after_secs.max(1));
                p
            }
            AppError::Forbidden => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not permitted")
                    .with_detail("your role does not allow this")
            }
            AppError::WrongStep => Problem::new(
                StatusCode::CONFLICT,
                "wrong-step",
                "Not available at this step",
            )
            .with_detail("finish the current login step first"),
            AppError::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found"),
            AppError::Conflict(what) => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict")
                .with_detail(format!("{what} conflicts with the current state")),
            AppError::Refused { code, detail } => {
                Problem::new(StatusCode::CONFLICT, code, "Not possible now").with_detail(detail)
            }
            AppError::Validation(errors) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                );
                p.errors = errors.into_iter().map(FieldProblem::from).collect();
                p
            }
            AppError::InvalidFlow(diagnostics) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-flow",
                    "The flow has errors",
                )
                .with_detail(format!("{} problem(s); see diagnostics", diagnostics.len()));
                p.diagnostics = diagnostics
                    .iter()
                    .filter_map(|d| serde_json::to_value(d).ok())
                    .collect();
                p
            }
            AppError::Unreadable { what } => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "data-unreadable",
                "Stored data cannot be decrypted",
            )
            .with_detail(format!(
                "the stored data of this {what} cannot be decrypted: its key was erased or the \
                 stored value was altered; nothing else is affected"
            )),
            AppError::Internal(cause) => {
                // The cause chain goes to the log (ids only, never personal data); the client
                // gets nothing but the request id to quote.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                )
            }
        };
        ApiError(Box::new(problem))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.0.status_code().into_response();
        response.extensions_mut().insert(*self.0);
        response
    }
}

fn default_problem(status: StatusCode) -> Problem {
    match status {
        StatusCode::NOT_FOUND => Problem::new(status, "not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => {
            Problem::new(status, "method-not-allowed", "Method not allowed")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(status, "too-large", "Request body too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            Problem::new(status, "unsupported-media-type", "Unsupported media type")
        }
        s => Problem::new(s, "error", s.canonical_reason().unwrap_or("Error")),
    }
}

/// Middleware: writes every error response as problem+json with the request id.
pub(crate) async fn render_problems(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    let status = response.status();
    let problem = match response.extensions_mut().remove::<Problem>() {
        Some(p) => p,
        None if (status.is_client_error() || status.is_server_error())
            && !response.headers().contains_key(header::CONTENT_TYPE) =>
        {
            default_problem(status)
        }
        None => return response,
    };
    let mut problem = problem;
    problem.request_id = request_id;
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut out = (problem.status_code(), body).into_response();
    let headers = out.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(secs) = problem.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        headers.insert(header::RETRY_AFTER, v);
    }
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            headers.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    out
}
