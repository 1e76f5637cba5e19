//! Providers' webhooks: inbound messages and delivery reports from Twilio-compatible SMS
//! providers (`/hooks/twilio/{name}/…`) and from the WhatsApp Cloud API
//! (`/hooks/whatsapp/{name}`). Nothing in a request is believed before its signature is
//! checked against the provider's secret: a wrong or missing signature gets 403 and changes
//! nothing. The routes take no session and no CSRF token — the signature is the
//! authentication — and are not part of the OpenAPI document of `/api/v1`.
//!
//! Inbound messages are handed to the app, which takes each provider message id once; a
//! provider's retry is answered like the original. Nothing personal (numbers, texts) is
//! logged here.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use domain::{Channel, DeliveryState, Redacted};
use serde::Deserialize;

use crate::ApiState;
use crate::problem::{ApiError, Problem};

/// A provider's secret (an auth token, an app secret): never printed.
#[derive(Clone)]
pub struct HookSecret(Arc<[u8]>);

impl HookSecret {
    /// Wraps the secret's bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Arc::from(bytes.into()))
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for HookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HookSecret([redacted])")
    }
}

/// A Twilio-compatible SMS provider whose webhooks Hotline takes.
#[derive(Debug, Clone)]
pub struct TwilioHook {
    /// The provider's name in the configuration (the URL's `{name}`).
    pub name: String,
    /// The account's auth token, which signs the webhooks.
    pub auth_token: HookSecret,
}

/// A WhatsApp Business phone number whose webhooks Hotline takes.
#[derive(Debug, Clone)]
pub struct WhatsappHook {
    /// Its name in the configuration (the URL's `{name}`).
    pub name: String,
    /// The app secret, which signs the webhooks.
    pub app_secret: HookSecret,
    /// The token Meta echoes when the webhook is set up.
    pub verify_token: HookSecret,
    /// The Cloud API's phone number id → the hotline number it is (as bound to a flow).
    pub numbers: HashMap<String, String>,
}

/// Every provider whose webhooks are taken, and the address they call.
#[derive(Debug, Clone, Default)]
pub struct Webhooks {
    /// The public base URL providers call (`https://hotline.example.org`), which Twilio's
    /// signature covers; unset: the request's `Host` and this listener's scheme.
    pub public_url: Option<String>,
    /// Twilio-compatible providers.
    pub twilio: Vec<TwilioHook>,
    /// WhatsApp numbers.
    pub whatsapp: Vec<WhatsappHook>,
}

fn forbidden() -> ApiError {
    ApiError::from(Problem::new(
        StatusCode::FORBIDDEN,
        "bad-signature",
        "The request's signature is missing or wrong",
    ))
}

fn unknown_provider() -> ApiError {
    ApiError::from(Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "No provider of this name is configured",
    ))
}

fn bad_request(detail: &str) -> ApiError {
    ApiError::from(
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Malformed request")
            .with_detail(detail.to_owned()),
    )
}

/// The URL the provider called, as it signed it.
fn called_url(hooks: &Webhooks, https: bool, headers: &HeaderMap, uri: &Uri) -> String {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    match &hooks.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let scheme = if https { "https" } else { "http" };
            format!("{scheme}://{host}{path}")
        }
    }
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The provider's id of the message a Twilio webhook is about (`SmsSid` in older ones).
fn message_sid(pairs: &[(String, String)]) -> Result<&str, ApiError> {
    field(pairs, "MessageSid")
        .or_else(|| field(pairs, "SmsSid"))
        .ok_or_else(|| bad_request("MessageSid is missing"))
}

/// Checks a Twilio webhook's signature and returns its form fields.
fn twilio_form(
    state: &ApiState,
    name: &str,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let hook = state
        .hooks
        .twilio
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(unknown_provider)?;
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(forbidden)?;
    let url = called_url(&state.hooks, state.https, headers, uri);
    let pairs = form_pairs(body);
    if !security::webhook::verify_twilio(hook.auth_token.bytes(), &url, &pairs, signature) {
        tracing::warn!(provider = name, "twilio webhook refused: bad signature");
        return Err(forbidden());
    }
    Ok(pairs)
}

/// An empty TwiML answer: replies go out through the REST API, where their delivery is
/// tracked like every other channel's.
fn empty_twiml() -> Response {
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response()
}

/// `POST /hooks/twilio/{name}/messages`: a contact's SMS.
pub(crate) async fn twilio_message(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let pairs = twilio_form(&state, &name, &headers, &uri, &body)?;
    let sid = message_sid(&pairs)?;
    let from = field(&pairs, "From").ok_or_else(|| bad_request("From is missing"))?;
    let to = field(&pairs, "To").ok_or_else(|| bad_request("To is missing"))?;
    let mut text = field(&pairs, "Body").unwrap_or_default().to_owned();
    let media: u32 = field(&pairs, "NumMedia")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if text.trim().is_empty() && media > 0 {
        // Pictures and files are not shown to flows or agents; the flow hears that
        // something came that it cannot read, and answers as it does to anything it does
        // not understand.
        text = "[media]".to_owned();
    }
    state
        .app
        .message_received(app::InboundMessage {
            channel: Channel::Sms,
            to: to.to_owned(),
            from: Redacted::new(from.to_owned()),
            provider_id: sid.to_owned(),
            text: Redacted::new(text),
            choice: None,
        })
        .await?;
    Ok(empty_twiml())
}

/// Twilio's message states as ours; `None` for the steps before a handset is reached
/// (`queued`, `sending`, …), which change nothing here.
fn twilio_state(status: &str) -> Option<DeliveryState> {
    match status {
        "sent" => Some(DeliveryState::Sent),
        "delivered" => Some(DeliveryState::Delivered),
        "read" => Some(DeliveryState::Read),
        "undelivered" | "failed" => Some(DeliveryState::Failed),
        _ => None,
    }
}

/// `POST /hooks/twilio/{name}/status`: a delivery report for a message Hotline sent.
pub(crate) async fn twilio_status(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let pairs = twilio_form(&state, &name, &headers, &uri, &body)?;
    let sid = message_sid(&pairs)?;
    let status = field(&pairs, "MessageStatus")
        .or_else(|| field(&pairs, "SmsStatus"))
        .ok_or_else(|| bad_request("MessageStatus is missing"))?;
    let from = field(&pairs, "From").ok_or_else(|| bad_request("From is missing"))?;
    let Some(delivery) = twilio_state(status) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let error = field(&pairs, "ErrorCode")
        .filter(|c| !c.is_empty())
        .map(|c| format!("twilio error {c}"));
    state
        .app
        .message_status(app::DeliveryReport {
            channel: Channel::Sms,
            number: from.to_owned(),
            provider_id: sid.to_owned(),
            state: delivery,
            error,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of Meta's verification request.
#[derive(Deserialize)]
pub(crate) struct Verification {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// `GET /hooks/whatsapp/{name}`: Meta checks the webhook when it is set up; the challenge is
/// echoed when the verify token matches.
pub(crate) async fn whatsapp_verify(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    Query(q): Query<Verification>,
) -> Result<Response, ApiError> {
    let hook = state
        .hooks
        .whatsapp
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(unknown_provider)?;
    let token_ok = q.verify_token.as_deref().is_some_and(|t| {
        std::str::from_utf8(hook.verify_token.bytes())
            .is_ok_and(|expected| security::token::ct_eq(t, expected))
    });
    match (q.mode.as_deref(), token_ok, q.challenge) {
        (Some("subscribe"), true, Some(challenge))
            if challenge.len() <= 256 && challenge.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Ok(([(header::CONTENT_TYPE, "text/plain")], challenge).into_response())
        }
        (Some("subscribe"), true, _) => Err(bad_request("hub.challenge is missing or malformed")),
        _ => Err(forbidden()),
    }
}

/// `POST /hooks/whatsapp/{name}`: messages and statuses.
pub(crate) async fn whatsapp_event(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let hook = state
        .hooks
        .whatsapp
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(unknown_provider)?;
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(forbidden)?;
    if !security::webhook::verify_hub_signature(hook.app_secret.bytes(), &body, signature) {
        tracing::warn!(provider = %name, "whatsapp webhook refused: bad signature");
        return Err(forbidden());
    }
    let event: crate::whatsapp::Event = serde_json::from_slice(&body)
        .map_err(|_| bad_request("the body is not a WhatsApp webhook event"))?;
    for item in crate::whatsapp::items(&event, &hook.numbers) {
        let result = match item {
            crate::whatsapp::Item::Message(m) => state.app.message_received(m).await.map(|_| ()),
            crate::whatsapp::Item::Status(s) => state.app.message_status(s).await.map(|_| ()),
        };
        match result {
            Ok(()) => {}
            // A number nobody has, a report of a message nobody sent, a bad field: Meta
            // sending it again would not help.
            Err(app::AppError::NotFound | app::AppError::Validation(_)) => {
                tracing::info!(provider = %name, "whatsapp webhook item ignored: unknown number, message or malformed field");
            }
            // Anything else (the database) is worth Meta's retry: taking a message is
            // idempotent.
            Err(e) => return Err(e.into()),
        }
    }
    Ok(StatusCode::OK)
}
