//! `/api/v1/prompts`: recorded prompts for `say` nodes. `PUT /prompts/{name}` takes the audio
//! file itself as the body (WAV, MP3, Ogg Vorbis or Ogg Opus, at most 20 MB and 5 minutes)
//! and keeps it in the telephone's format; `GET /prompts/{name}/audio` plays it back as WAV;
//! `POST /prompts/preview` speaks a text as a call would.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(put_prompt, delete_prompt))
        // An upload may be larger than the API's usual limit; one byte more tells "too large"
        // apart from "exactly the limit".
        .layer(DefaultBodyLimit::max(app::MAX_PROMPT_UPLOAD_BYTES + 1));
    OpenApiRouter::new()
        .routes(routes!(list_prompts))
        .routes(routes!(prompt_audio))
        .routes(routes!(preview))
        .merge(uploads)
}

/// A recorded prompt.
#[derive(Serialize, ToSchema)]
pub(crate) struct PromptDto {
    /// What `say` nodes name it by (`audio: welcome`).
    name: String,
    /// What was uploaded: `wav`, `mp3`, `ogg-vorbis` or `ogg-opus`.
    format: String,
    /// The uploaded file's size in bytes.
    source_bytes: i64,
    /// How long it plays, in milliseconds.
    duration_ms: i64,
    created_at: String,
    updated_at: String,
    /// The flows whose draft or live version plays it (it cannot be deleted while any does).
    used_by: Vec<String>,
}

fn dto(info: store::PromptInfo, used_by: Vec<String>) -> PromptDto {
    PromptDto {
        name: info.name,
        format: info.format,
        source_bytes: info.source_bytes,
        duration_ms: info.duration_ms,
        created_at: info.created_at.to_rfc3339(),
        updated_at: info.updated_at.to_rfc3339(),
        used_by,
    }
}

/// Prompts.
#[derive(Serialize, ToSchema)]
pub(crate) struct PromptList {
    items: Vec<PromptDto>,
}

/// The tenant's recorded prompts, by name.
#[utoipa::path(get, path = "/api/v1/prompts", tag = "flows",
    responses((status = 200, body = PromptList), (status = 403, body = Problem)))]
async fn list_prompts(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<PromptList>, ApiError> {
    let items = state
        .app
        .list_prompts(&who)
        .await?
        .into_iter()
        .map(|p| dto(p.info, p.used_by))
        .collect();
    Ok(axum::Json(PromptList { items }))
}

/// Uploads a prompt (the body is the audio file: WAV, MP3, Ogg Vorbis or Ogg Opus, at most
/// 20 MB and 5 minutes), replacing one of the same name. It is kept as 8 kHz µ-law, what a
/// call plays. Anything else is refused and nothing changes.
#[utoipa::path(put, path = "/api/v1/prompts/{name}", tag = "flows",
    params(("name" = String, Path, description = "1–64 of a-z 0-9 - _ . (starting with a letter or digit)", example = "welcome-de")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The audio file"),
    responses((status = 200, body = PromptDto), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn put_prompt(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<PromptDto>, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "File too large").with_detail(
                format!(
                    "a prompt file has at most {} MB",
                    app::MAX_PROMPT_UPLOAD_BYTES / (1024 * 1024)
                ),
            )
        } else {
            Problem::new(e.status(), "invalid-body", "Invalid request body")
        }
    })?;
    if bytes.len() > app::MAX_PROMPT_UPLOAD_BYTES {
        return Err(
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "File too large")
                .with_detail(format!(
                    "a prompt file has at most {} MB",
                    app::MAX_PROMPT_UPLOAD_BYTES / (1024 * 1024)
                ))
                .into(),
        );
    }
    let info = state.app.put_prompt(&who, &name, bytes.to_vec()).await?;
    Ok(axum::Json(dto(info, Vec::new())))
}

/// Deletes a prompt; refused (409 `prompt-in-use`) while a flow plays it.
#[utoipa::path(delete, path = "/api/v1/prompts/{name}", tag = "flows",
    params(("name" = String, Path, example = "welcome-de")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_prompt(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_prompt(&who, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn wav(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response()
}

/// A prompt as callers hear it: WAV, 16-bit PCM at 8 kHz.
#[utoipa::path(get, path = "/api/v1/prompts/{name}/audio", tag = "flows",
    params(("name" = String, Path, example = "welcome-de")),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>), (status = 404, body = Problem)))]
async fn prompt_audio(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(wav(state.app.prompt_wav(&who, &name).await?))
}

/// A text to hear.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewRequest {
    /// The text (at most 2,000 characters).
    text: String,
    /// `de` or `en`.
    language: String,
    /// The flow's voice, if it names one.
    voice: Option<String>,
}

/// A text spoken as a call would speak it: WAV at 8 kHz (409 `no-speech-engine` when the
/// server runs without the phone channel).
#[utoipa::path(post, path = "/api/v1/prompts/preview", tag = "flows", request_body = PreviewRequest,
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn preview(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Response, ApiError> {
    Ok(wav(state
        .app
        .preview_speech(&who, &body.text, &body.language, body.voice)
        .await?))
}
