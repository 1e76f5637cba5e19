//! `/api/v1/auth/…`: login, the second factor, password change, logout.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::{LoginOutcome, NextStep, SessionInfo};

use crate::ApiState;
use crate::extract::{
    AnySession, ApiJson, Meta, clear_session_cookie, session_cookie, set_session_cookie,
};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(session))
        .routes(routes!(change_password))
        .routes(routes!(totp_enrol))
        .routes(routes!(totp_confirm))
        .routes(routes!(totp))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(backup_codes_left, renew_backup_codes))
}

/// Username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

/// The result of a login step.
#[derive(Serialize, ToSchema)]
pub(crate) struct StepResponse {
    /// What to do next: `change_password`, `enrol_totp`, `totp` or `done`.
    #[schema(value_type = crate::schemas::NextStepName)]
    next: &'static str,
    /// The anti-CSRF token to send as `X-CSRF-Token` from now on.
    csrf_token: String,
    /// Ten backup codes, shown once at the end of TOTP enrolment.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<String>)]
    backup_codes: Option<Vec<String>>,
}

fn step_response(state: &ApiState, outcome: LoginOutcome) -> Response {
    // The cookie lives as long as the server keeps its session: a half-finished login ends
    // after the partial timeout (10 minutes), a full session at the absolute timeout.
    let policy = state.app.policy();
    let max_age = if matches!(outcome.next, NextStep::Done) {
        policy.absolute_timeout_ms / 1000
    } else {
        policy.partial_timeout_ms / 1000
    };
    let body = StepResponse {
        next: outcome.next.as_str(),
        csrf_token: outcome.csrf_token,
        backup_codes: outcome.backup_codes,
    };
    (
        [(
            header::SET_COOKIE,
            set_session_cookie(&outcome.token, max_age),
        )],
        axum::Json(body),
    )
        .into_response()
}

/// Checks username and password and opens a (partial) session.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = StepResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(state): State<ApiState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let presented = session_cookie(&headers);
    let outcome = state
        .app
        .login(&meta, presented.as_deref(), &body.username, &body.password)
        .await?;
    Ok(step_response(&state, outcome))
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionUser {
    id: String,
    username: String,
    display_name: String,
    #[schema(value_type = crate::schemas::RoleName)]
    role: String,
}

/// The tenant of the session.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionTenant {
    id: String,
    name: String,
}

/// The current session.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionResponse {
    user: SessionUser,
    tenant: SessionTenant,
    csrf_token: String,
    /// What is still due: `change_password`, `enrol_totp`, `totp` or `done`.
    #[schema(value_type = crate::schemas::NextStepName)]
    next: &'static str,
    /// What the user may do (empty until login is finished).
    #[schema(value_type = Vec<crate::schemas::PermissionName>)]
    permissions: Vec<&'static str>,
}

fn session_response(info: &SessionInfo) -> SessionResponse {
    let permissions = if info.next == NextStep::Done {
        security::rbac::permissions(info.user.role)
            .into_iter()
            .map(|p| p.as_str())
            .collect()
    } else {
        Vec::new()
    };
    SessionResponse {
        user: SessionUser {
            id: info.user.id.to_string(),
            username: info.user.username.to_string(),
            display_name: info.user.display_name.to_string(),
            role: info.user.role.to_string(),
        },
        tenant: SessionTenant {
            id: info.tenant.id.to_string(),
            name: info.tenant.name.to_string(),
        },
        csrf_token: info.session.csrf_token.clone(),
        next: info.next.as_str(),
        permissions,
    }
}

/// The current session, its user and what is still due.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 200, body = SessionResponse), (status = 401, body = Problem)))]
async fn session(AnySession(info): AnySession) -> axum::Json<SessionResponse> {
    axum::Json(session_response(&info))
}

/// A new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordRequest {
    /// Required when already signed in; not during the forced change at first login.
    current_password: Option<String>,
    new_password: String,
}

/// What follows a password change.
#[derive(Serialize, ToSchema)]
pub(crate) struct NextResponse {
    #[schema(value_type = crate::schemas::NextStepName)]
    next: &'static str,
    csrf_token: String,
}

/// Changes the password (the forced change after a one-time password, or a voluntary one).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordRequest,
    responses((status = 200, body = NextResponse), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn change_password(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<axum::Json<NextResponse>, ApiError> {
    let next = state
        .app
        .change_password(&info, body.current_password.as_deref(), &body.new_password)
        .await?;
    Ok(axum::Json(NextResponse {
        next: next.as_str(),
        csrf_token: info.session.csrf_token,
    }))
}

/// How many backup codes are left.
#[derive(Serialize, ToSchema)]
pub(crate) struct BackupCodesLeft {
    remaining: usize,
}

/// The password, to confirm a sensitive change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmRequest {
    current_password: String,
}

/// New backup codes, shown once.
#[derive(Serialize, ToSchema)]
pub(crate) struct BackupCodes {
    backup_codes: Vec<String>,
}

/// How many unused backup codes the signed-in user has.
#[utoipa::path(get, path = "/api/v1/auth/backup-codes", tag = "auth",
    responses((status = 200, body = BackupCodesLeft), (status = 401, body = Problem)))]
async fn backup_codes_left(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
) -> Result<axum::Json<BackupCodesLeft>, ApiError> {
    let remaining = state.app.backup_codes_left(&info).await?;
    Ok(axum::Json(BackupCodesLeft { remaining }))
}

/// Replaces the signed-in user's backup codes with ten new ones; the old ones stop working.
#[utoipa::path(post, path = "/api/v1/auth/backup-codes", tag = "auth", request_body = ConfirmRequest,
    responses((status = 200, body = BackupCodes), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn renew_backup_codes(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
    ApiJson(body): ApiJson<ConfirmRequest>,
) -> Result<axum::Json<BackupCodes>, ApiError> {
    let backup_codes = state
        .app
        .renew_backup_codes(&info, Some(&body.current_password))
        .await?;
    Ok(axum::Json(BackupCodes { backup_codes }))
}

/// An empty JSON object.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

/// The TOTP seed to enrol.
#[derive(Serialize, ToSchema)]
pub(crate) struct EnrolResponse {
    /// Base32 seed for manual entry.
    secret: String,
    /// `otpauth://` URI.
    otpauth_uri: String,
    /// The URI as an SVG QR code.
    qr_svg: String,
}

/// Starts TOTP enrolment.
#[utoipa::path(post, path = "/api/v1/auth/totp/enrol", tag = "auth", request_body = Empty,
    responses((status = 200, body = EnrolResponse), (status = 409, body = Problem)))]
async fn totp_enrol(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
    ApiJson(_): ApiJson<Empty>,
) -> Result<Response, ApiError> {
    let start = state.app.start_totp_enrolment(&info).await?;
    let body = EnrolResponse {
        secret: start.secret,
        otpauth_uri: start.otpauth_uri,
        qr_svg: start.qr_svg,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

/// A TOTP code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeRequest {
    code: String,
}

/// Confirms TOTP enrolment with a first code; returns the backup codes once.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "auth", request_body = CodeRequest,
    responses((status = 200, body = StepResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn totp_confirm(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let outcome = state.app.confirm_totp_enrolment(&info, &body.code).await?;
    Ok(step_response(&state, outcome))
}

/// A second factor: a TOTP code or a backup code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondFactorRequest {
    code: Option<String>,
    backup_code: Option<String>,
}

/// Finishes login with a TOTP code (accepted once only) or a backup code.
#[utoipa::path(post, path = "/api/v1/auth/totp", tag = "auth", request_body = SecondFactorRequest,
    responses((status = 200, body = StepResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn totp(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
    ApiJson(body): ApiJson<SecondFactorRequest>,
) -> Result<Response, ApiError> {
    let factor = match (&body.code, &body.backup_code) {
        (Some(code), None) => app::SecondFactor::Totp(code),
        (None, Some(code)) => app::SecondFactor::BackupCode(code),
        _ => return Err(app::AppError::field("code", "send either code or backup_code").into()),
    };
    let outcome = state.app.second_factor(&info, factor).await?;
    Ok(step_response(&state, outcome))
}

/// Ends this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = Empty,
    responses((status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
) -> Result<Response, ApiError> {
    state.app.logout(&info).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_session_cookie())],
    )
        .into_response())
}

/// Ends every session of the signed-in user.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", request_body = Empty,
    responses((status = 204), (status = 401, body = Problem)))]
async fn logout_all(
    State(state): State<ApiState>,
    AnySession(info): AnySession,
) -> Result<Response, ApiError> {
    state.app.logout_everywhere(&info).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_session_cookie())],
    )
        .into_response())
}
