//! `/api/v1/privacy`: the tenant's retention periods and audit-address mode (`settings`),
//! data-subject requests (`export`, `erase`: by the caller's number, a contact pseudonym or a
//! conversation id, in the body so that a number never appears in a URL or an access log),
//! and the record of processing activities (`record`, GDPR Art. 30).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::Subject;
use domain::{ConversationId, PrivacySettings, Redacted};

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(export))
        .routes(routes!(erase))
        .routes(routes!(record))
}

/// Retention periods in days (1 to 3650) per data class.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionDto {
    /// Ended conversations: transcripts, state, tasks and notes.
    transcripts_days: u32,
    /// Recordings (voicemail).
    recordings_days: u32,
    /// Callers' numbers kept under the identified mode.
    addresses_days: u32,
    /// Source addresses in the audit log (the entries stay).
    audit_metadata_days: u32,
}

/// The tenant's privacy settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrivacySettingsDto {
    retention: RetentionDto,
    /// What the audit log keeps of a request's source address: `identified`,
    /// `pseudonymised` or `anonymous`.
    #[schema(value_type = String)]
    audit_source_ip: domain::CallerIdMode,
}

fn dto(s: PrivacySettings) -> PrivacySettingsDto {
    let r = s.retention;
    PrivacySettingsDto {
        retention: RetentionDto {
            transcripts_days: r.transcripts_days,
            recordings_days: r.recordings_days,
            addresses_days: r.addresses_days,
            audit_metadata_days: r.audit_metadata_days,
        },
        audit_source_ip: s.audit_source_ip,
    }
}

/// The tenant's retention periods and audit-address mode.
#[utoipa::path(get, path = "/api/v1/privacy/settings", tag = "privacy",
    responses((status = 200, body = PrivacySettingsDto), (status = 403, body = Problem)))]
async fn get_settings(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<PrivacySettingsDto>, ApiError> {
    Ok(axum::Json(dto(state.app.privacy_settings(&who).await?)))
}

/// Replaces the retention periods and audit-address mode (admins). Audited.
#[utoipa::path(put, path = "/api/v1/privacy/settings", tag = "privacy",
    request_body = PrivacySettingsDto,
    responses((status = 200, body = PrivacySettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<PrivacySettingsDto>,
) -> Result<axum::Json<PrivacySettingsDto>, ApiError> {
    let r = body.retention;
    let settings = PrivacySettings {
        retention: domain::Retention {
            transcripts_days: r.transcripts_days,
            recordings_days: r.recordings_days,
            addresses_days: r.addresses_days,
            audit_metadata_days: r.audit_metadata_days,
        },
        audit_source_ip: body.audit_source_ip,
    };
    Ok(axum::Json(dto(state
        .app
        .put_privacy_settings(&who, settings)
        .await?)))
}

/// Whose data: exactly one of the three.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubjectRequest {
    /// The caller's number or SIP user, as they give it.
    address: Option<String>,
    /// A contact pseudonym (`p_…`), as an export shows it.
    contact: Option<String>,
    /// A conversation id (a chat visitor's).
    conversation_id: Option<String>,
}

fn subject(body: SubjectRequest) -> Result<Subject, ApiError> {
    let one = |field: &'static str| {
        ApiError::from(app::AppError::field(
            field,
            "exactly one of address, contact and conversation_id",
        ))
    };
    match (body.address, body.contact, body.conversation_id) {
        (Some(a), None, None) => Ok(Subject::Address(Redacted::new(a))),
        (None, Some(c), None) => Ok(Subject::Contact(c)),
        (None, None, Some(id)) => Ok(Subject::Conversation(
            id.parse::<ConversationId>().map_err(|_| {
                ApiError::from(app::AppError::field(
                    "conversation_id",
                    "not a conversation id",
                ))
            })?,
        )),
        (None, None, None) => Err(one("address")),
        _ => Err(one("address")),
    }
}

/// Everything kept about one contact (a data-subject access request): conversations with
/// transcripts, notes, tasks, the number while kept, and recordings (base64 WAV). Admins;
/// audited with the contact's pseudonym.
#[utoipa::path(post, path = "/api/v1/privacy/export", tag = "privacy",
    request_body = SubjectRequest,
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn export(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<SubjectRequest>,
) -> Result<axum::Json<app::ContactExport>, ApiError> {
    let subject = subject(body)?;
    Ok(axum::Json(state.app.export_contact(&who, &subject).await?))
}

/// Erases everything about one contact: a running conversation is ended first, then the
/// keys, rows and recordings go. Admins; audited with the contact's pseudonym.
#[utoipa::path(post, path = "/api/v1/privacy/erase", tag = "privacy",
    request_body = SubjectRequest,
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn erase(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<SubjectRequest>,
) -> Result<axum::Json<app::ErasureReport>, ApiError> {
    let subject = subject(body)?;
    Ok(axum::Json(state.app.erase_contact(&who, &subject).await?))
}

/// The record of processing activities (GDPR Art. 30), generated from the configuration.
#[utoipa::path(get, path = "/api/v1/privacy/record", tag = "privacy",
    responses((status = 200, body = Object), (status = 403, body = Problem)))]
async fn record(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<app::ProcessingRecord>, ApiError> {
    Ok(axum::Json(state.app.processing_record(&who).await?))
}
