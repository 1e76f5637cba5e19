//! Extractors: JSON bodies with problem+json rejections, request metadata, and the two
//! ways to authenticate (session cookie with CSRF protection, or an API key).

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use serde::de::DeserializeOwned;

use app::{Principal, Refusal, RequestMeta, SessionInfo};
use domain::RequestId;

use crate::ApiState;
use crate::problem::{ApiError, FieldProblem, Problem};

/// The session cookie's name. The `__Host-` prefix makes browsers insist on `Secure`,
/// `Path=/` and no `Domain`, so no sibling host can set or read it.
pub const SESSION_COOKIE: &str = "__Host-hotline_session";

/// The header carrying the anti-CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON request body; unknown fields, wrong types, bad syntax and wrong content types are
/// answered with problem+json.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match <axum::Json<T> as FromRequest<S>>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

/// `Option<ApiJson<T>>`: a request without a body (no content type, no length or length 0)
/// is `None`; any body is read as [`ApiJson`] reads it.
impl<T, S> OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers();
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let chunked = headers.contains_key(header::TRANSFER_ENCODING);
        if !headers.contains_key(header::CONTENT_TYPE) && !chunked && length.unwrap_or(0) == 0 {
            return Ok(None);
        }
        <ApiJson<T> as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    let problem = match rejection {
        JsonRejection::JsonDataError(e) => {
            let detail = data_error_detail(&e.body_text());
            let mut problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Invalid request body",
            );
            problem.errors = field_problem(&detail).into_iter().collect();
            problem.with_detail(detail)
        }
        JsonRejection::JsonSyntaxError(_) => {
            Problem::new(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON")
                .with_detail("the request body is not valid JSON")
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .with_detail("send the body as application/json"),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
            )
        }
        other => Problem::new(other.status(), "invalid-body", "Invalid request body"),
    };
    ApiError(Box::new(problem))
}

/// Keeps serde's explanation (which names the field and the rule) but not axum's prefix nor
/// the parser's position (`at line 1 column 27` means nothing to a person filling a form).
fn data_error_detail(text: &str) -> String {
    let detail = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .or_else(|| text.strip_prefix("Failed to deserialize query string: "))
        .unwrap_or(text);
    let detail = match detail.rsplit_once(" at line ") {
        Some((message, position))
            if position
                .split_once(" column ")
                .is_some_and(|(l, c)| l.parse::<u64>().is_ok() && c.parse::<u64>().is_ok()) =>
        {
            message
        }
        _ => detail,
    };
    detail.chars().take(300).collect()
}

/// Turns serde's `field: message at line L column C` into a field error, so the UI can show
/// the message beside the field.
fn field_problem(detail: &str) -> Option<FieldProblem> {
    let (field, message) = detail.split_once(": ")?;
    if field.is_empty()
        || !field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
    {
        return None;
    }
    let message = message.rsplit_once(" at line ").map_or(message, |(m, _)| m);
    Some(FieldProblem {
        field: field.to_owned(),
        message: message.to_owned(),
    })
}

/// Where the request came from.
pub(crate) fn request_meta(parts: &Parts) -> RequestMeta {
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<RequestId>().ok());
    RequestMeta {
        source_ip,
        request_id,
    }
}

/// Request metadata as an extractor.
#[derive(Debug, Clone)]
pub(crate) struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(request_meta(parts)))
    }
}

/// The session cookie's value, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a cookie-authenticated state change without the session's anti-CSRF token, or
/// from a foreign origin. `SameSite=Strict` already keeps the cookie off cross-site
/// requests; this is the second, independent line.
fn check_csrf(parts: &Parts, expected: &str) -> Result<(), ApiError> {
    if is_safe(&parts.method) {
        return Ok(());
    }
    if let (Some(origin), Some(host)) = (
        parts
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok()),
    ) {
        // Scheme, host and port must all be ours: `https://host` is another origin than
        // `http://host`. Behind a TLS-terminating proxy the proxy says which scheme the browser
        // used (a cross-site page cannot add that header to a form post).
        let scheme = if parts.extensions.get::<OverTls>().is_some() {
            "https"
        } else {
            parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|p| matches!(*p, "http" | "https"))
                .unwrap_or("http")
        };
        let ours = origin
            .strip_prefix(scheme)
            .and_then(|rest| rest.strip_prefix("://"))
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host));
        if !ours {
            return Err(ApiError::csrf());
        }
    }
    let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match presented {
        Some(token) if security::token::ct_eq(token, expected) => Ok(()),
        _ => Err(ApiError::csrf()),
    }
}

/// Marks a request that arrived over the server's own TLS listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OverTls;

/// Who authenticated for this request and how a refusal would be read, filled in by the
/// authenticating extractors so that the `audit_refusals` middleware can audit a 403 after
/// the handler ran (the handler itself only returns `Forbidden`).
#[derive(Clone, Default)]
pub(crate) struct RefusalSlot(std::sync::Arc<std::sync::Mutex<Option<(Principal, Refusal)>>>);

impl RefusalSlot {
    /// The principal and the refusal noted, if any.
    pub(crate) fn take(&self) -> Option<(Principal, Refusal)> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// Notes the request's principal in its refusal slot (when the middleware gave it one).
fn note(parts: &Parts, principal: Option<Principal>, refusal: Refusal) {
    if let (Some(slot), Some(principal)) = (parts.extensions.get::<RefusalSlot>(), principal) {
        *slot
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((principal, refusal));
    }
}

/// A session in any stage (also a half-finished login), with CSRF checked.
#[derive(Debug, Clone)]
pub(crate) struct AnySession(pub SessionInfo);

impl FromRequestParts<ApiState> for AnySession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let cookie = session_cookie(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let meta = request_meta(parts);
        let info = state.app.authenticate_session(&meta, &cookie).await?;
        if let Err(refused) = check_csrf(parts, &info.session.csrf_token) {
            note(parts, info.principal(), Refusal::Csrf);
            return Err(refused);
        }
        Ok(AnySession(info))
    }
}

/// A fully signed-in session.
#[derive(Debug, Clone)]
pub(crate) struct FullSession(pub Principal);

impl FromRequestParts<ApiState> for FullSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let AnySession(info) = AnySession::from_request_parts(parts, state).await?;
        let principal = info.principal().ok_or_else(ApiError::unauthenticated)?;
        Ok(FullSession(principal))
    }
}

/// Whoever calls: a fully signed-in user (cookie) or an API key (`Authorization: Bearer`).
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub Principal);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let principal = if let Some(token) = bearer {
            let meta = request_meta(parts);
            state.app.authenticate_api_key(&meta, token.trim()).await?
        } else {
            FullSession::from_request_parts(parts, state).await?.0
        };
        // Should the handler refuse, the middleware audits who was refused.
        note(parts, Some(principal.clone()), Refusal::Forbidden);
        Ok(Caller(principal))
    }
}

/// The `Set-Cookie` value that stores a session.
pub(crate) fn set_session_cookie(token: &str, max_age_secs: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Query parameters; unknown or malformed parameters are answered with problem+json.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::from(
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-query",
                    "Invalid query parameters",
                )
                .with_detail(data_error_detail(&rejection.body_text())),
            )),
        }
    }
}
