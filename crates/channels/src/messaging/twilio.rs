//! SMS through a Twilio-compatible REST API: `POST {api_url}/2010-04-01/Accounts/{sid}/
//! Messages.json` with the form fields `From`, `To`, `Body` and `StatusCallback`, HTTP basic
//! authentication with the account id and auth token. Texts longer than the API takes
//! (1,600 characters) go as several messages; the provider splits each into SMS segments.

use app::{MessageSender, OutboundMessage, SendOutcome};
use serde::Deserialize;

use super::{exchange, outcome_of_status, provider_client, split_text};

/// The most characters one API request may carry.
const MAX_BODY_CHARS: usize = 1600;

/// One Twilio-compatible account.
#[derive(Clone)]
pub struct TwilioConfig {
    /// The provider's name in the configuration.
    pub name: String,
    /// The account id (`AC…`).
    pub account_sid: String,
    /// The account's auth token (secret).
    pub auth_token: String,
    /// The API's base URL (`https://api.twilio.com`, or a compatible provider's).
    pub api_url: String,
    /// Where the provider reports delivery (`…/hooks/twilio/{name}/status`); none: no reports.
    pub status_callback: Option<String>,
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("name", &self.name)
            .field("account_sid", &self.account_sid)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// Sends SMS through one account.
#[derive(Debug)]
pub struct TwilioSender {
    config: TwilioConfig,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<i64>,
}

impl TwilioSender {
    /// A sender for `config`.
    pub fn new(config: TwilioConfig) -> Self {
        Self {
            config,
            client: provider_client(),
        }
    }

    async fn send_one(&self, from: &str, to: &str, body: &str) -> SendOutcome {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.config.api_url.trim_end_matches('/'),
            self.config.account_sid
        );
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("From", from)
                .append_pair("To", to)
                .append_pair("Body", body);
            if let Some(callback) = &self.config.status_callback {
                form.append_pair("StatusCallback", callback);
            }
            form.finish()
        };
        let request = self
            .client
            .post(url)
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        let (status, bytes) = match exchange(&self.config.name, request).await {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<Created>(&bytes) {
                Ok(c) if !c.sid.is_empty() => SendOutcome::Accepted { provider_id: c.sid },
                _ => SendOutcome::Unavailable {
                    reason: format!("{}: an answer without a message id", self.config.name),
                },
            };
        }
        let code = serde_json::from_slice::<ApiError>(&bytes)
            .ok()
            .and_then(|e| e.code)
            .map_or_else(
                || format!("{}: HTTP {status}", self.config.name),
                |c| format!("{}: HTTP {status}, error {c}", self.config.name),
            );
        outcome_of_status(status, code)
    }
}

#[async_trait::async_trait]
impl MessageSender for TwilioSender {
    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        let mut last = SendOutcome::Rejected {
            code: "empty message".to_owned(),
        };
        for part in split_text(message.text.expose(), MAX_BODY_CHARS) {
            last = self
                .send_one(&message.from, message.to.expose(), &part)
                .await;
            if !matches!(last, SendOutcome::Accepted { .. }) {
                break;
            }
        }
        last
    }
}
