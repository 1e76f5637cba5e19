//! WhatsApp through the Cloud API: `POST {graph_url}/{phone_number_id}/messages` with a
//! bearer token. A menu's options become reply buttons (up to three, titles up to 20
//! characters) or a list (up to ten, titles up to 24 characters), otherwise numbered lines.
//! Outside the 24-hour customer-service window only an approved template may be sent: the
//! configured re-engagement template if there is one, else the message is refused with the
//! reason. A contact known by a business-scoped user id (`CC.…`) is addressed by
//! `recipient`, one known by a phone number by `to`.

use app::{MessageSender, OutboundMessage, SendOutcome};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{exchange, outcome_of_status, provider_client, split_text};

/// The most characters of a text message.
const MAX_TEXT_CHARS: usize = 4096;
/// The most characters of an interactive message's body.
const MAX_INTERACTIVE_BODY: usize = 1024;
/// Reply buttons: how many, and how long a title.
const MAX_BUTTONS: usize = 3;
const MAX_BUTTON_TITLE: usize = 20;
/// List rows: how many, and how long a title.
const MAX_ROWS: usize = 10;
const MAX_ROW_TITLE: usize = 24;
/// How long a list row's description may be.
const MAX_ROW_DESCRIPTION: usize = 72;

/// The Cloud API's code for a message outside the 24-hour window.
pub(crate) const OUTSIDE_WINDOW: i64 = 131_047;

/// One WhatsApp Business phone number.
#[derive(Clone)]
pub struct WhatsappConfig {
    /// Its name in the configuration.
    pub name: String,
    /// The Cloud API's id of the phone number.
    pub phone_number_id: String,
    /// The access token (secret).
    pub access_token: String,
    /// The Graph API's base URL with its version (`https://graph.facebook.com/v21.0`).
    pub graph_url: String,
    /// An approved template to re-open the conversation outside the 24-hour window (its name;
    /// sent in the conversation's language).
    pub reengage_template: Option<String>,
}

impl std::fmt::Debug for WhatsappConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappConfig")
            .field("name", &self.name)
            .field("phone_number_id", &self.phone_number_id)
            .field("graph_url", &self.graph_url)
            .finish_non_exhaustive()
    }
}

/// Sends WhatsApp messages from one number.
#[derive(Debug)]
pub struct WhatsappSender {
    config: WhatsappConfig,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Sent {
    #[serde(default)]
    messages: Vec<SentId>,
}

#[derive(Deserialize)]
struct SentId {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<i64>,
}

/// The addressing part of a request.
fn recipient(to: &str) -> (&'static str, Value) {
    if to.contains('.') {
        ("recipient", json!(to))
    } else {
        ("to", json!(to))
    }
}

/// The message bodies (after the addressing) for a text with options: buttons, a list, or
/// text with numbered lines, split where too long.
pub(crate) fn bodies(text: &str, choices: &[flow::Choice], language: &str) -> Vec<Value> {
    let chars = text.chars().count();
    if !choices.is_empty() && chars <= MAX_INTERACTIVE_BODY && !text.trim().is_empty() {
        let fits = |max: usize| choices.iter().all(|c| c.label.chars().count() <= max);
        if choices.len() <= MAX_BUTTONS && fits(MAX_BUTTON_TITLE) {
            let buttons: Vec<Value> = choices
                .iter()
                .map(|c| json!({"type": "reply", "reply": {"id": c.value, "title": c.label}}))
                .collect();
            return vec![json!({
                "type": "interactive",
                "interactive": {"type": "button", "body": {"text": text}, "action": {"buttons": buttons}}
            })];
        }
        if choices.len() <= MAX_ROWS && fits(MAX_ROW_DESCRIPTION) {
            // A title too long for a row is shortened, and the whole label is the row's
            // description.
            let rows: Vec<Value> = choices
                .iter()
                .map(|c| {
                    if c.label.chars().count() <= MAX_ROW_TITLE {
                        json!({"id": c.value, "title": c.label})
                    } else {
                        let short: String = c.label.chars().take(MAX_ROW_TITLE - 1).collect();
                        json!({"id": c.value, "title": format!("{}…", short.trim_end()), "description": c.label})
                    }
                })
                .collect();
            let button = if language == "de" {
                "Auswahl"
            } else {
                "Options"
            };
            return vec![json!({
                "type": "interactive",
                "interactive": {"type": "list", "body": {"text": text},
                    "action": {"button": button, "sections": [{"rows": rows}]}}
            })];
        }
    }
    split_text(&app::options_as_lines(text, choices), MAX_TEXT_CHARS)
        .into_iter()
        .map(|part| json!({"type": "text", "text": {"body": part, "preview_url": false}}))
        .collect()
}

impl WhatsappSender {
    /// A sender for `config`.
    pub fn new(config: WhatsappConfig) -> Self {
        Self {
            config,
            client: provider_client(),
        }
    }

    async fn post(&self, to: &str, body: Value) -> SendOutcome {
        let mut request = json!({"messaging_product": "whatsapp", "recipient_type": "individual"});
        let (key, value) = recipient(to);
        if let (Value::Object(map), Value::Object(extra)) = (&mut request, body) {
            map.insert(key.to_owned(), value);
            map.extend(extra);
        }
        let url = format!(
            "{}/{}/messages",
            self.config.graph_url.trim_end_matches('/'),
            self.config.phone_number_id
        );
        let request = self
            .client
            .post(url)
            .bearer_auth(&self.config.access_token)
            .json(&request);
        let (status, bytes) = match exchange(&self.config.name, request).await {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<Sent>(&bytes)
                .ok()
                .and_then(|s| s.messages.into_iter().next())
            {
                Some(m) => SendOutcome::Accepted { provider_id: m.id },
                None => SendOutcome::Unavailable {
                    reason: format!("{}: an answer without a message id", self.config.name),
                },
            };
        }
        let code = serde_json::from_slice::<ErrorBody>(&bytes)
            .ok()
            .and_then(|e| e.error)
            .and_then(|e| e.code);
        match code {
            Some(OUTSIDE_WINDOW) => SendOutcome::Rejected {
                code: format!(
                    "{}: error {OUTSIDE_WINDOW}, more than 24 hours since the contact wrote; only a template may be sent",
                    self.config.name
                ),
            },
            // Throttled (130429, 131056) or Meta's own trouble (131000, 131016): later.
            Some(c @ (130_429 | 131_056 | 131_000 | 131_016)) => SendOutcome::Unavailable {
                reason: format!("{}: error {c}", self.config.name),
            },
            Some(c) => outcome_of_status(
                status,
                format!("{}: HTTP {status}, error {c}", self.config.name),
            ),
            None => outcome_of_status(status, format!("{}: HTTP {status}", self.config.name)),
        }
    }
}

#[async_trait::async_trait]
impl MessageSender for WhatsappSender {
    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        let to = message.to.expose();
        if !message.window_open {
            return match &self.config.reengage_template {
                Some(name) => {
                    self.post(
                        to,
                        json!({"type": "template", "template": {"name": name, "language": {"code": message.language}}}),
                    )
                    .await
                }
                None => SendOutcome::Rejected {
                    code: format!(
                        "{}: more than 24 hours since the contact wrote, and no re-engagement template is configured",
                        self.config.name
                    ),
                },
            };
        }
        let mut last = SendOutcome::Rejected {
            code: "empty message".to_owned(),
        };
        for body in bodies(message.text.expose(), &message.choices, &message.language) {
            last = self.post(to, body).await;
            if !matches!(last, SendOutcome::Accepted { .. }) {
                break;
            }
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(labels: &[&str]) -> Vec<flow::Choice> {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| flow::Choice {
                label: (*l).to_owned(),
                value: (i + 1).to_string(),
            })
            .collect()
    }

    #[test]
    fn up_to_three_short_options_are_buttons() {
        let b = bodies("Worum geht es?", &choices(&["Beratung", "Termine"]), "de");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0]["interactive"]["type"], "button");
        assert_eq!(
            b[0]["interactive"]["action"]["buttons"][1]["reply"]["id"],
            "2"
        );
        assert_eq!(
            b[0]["interactive"]["action"]["buttons"][1]["reply"]["title"],
            "Termine"
        );
    }

    #[test]
    fn more_options_are_a_list_and_too_many_are_lines() {
        let four = choices(&["A", "B", "C", "D"]);
        let b = bodies("Bitte wählen", &four, "de");
        assert_eq!(b[0]["interactive"]["type"], "list");
        assert_eq!(b[0]["interactive"]["action"]["button"], "Auswahl");
        let eleven: Vec<String> = (0..11).map(|i| format!("Option {i}")).collect();
        let refs: Vec<&str> = eleven.iter().map(String::as_str).collect();
        let b = bodies("Bitte wählen", &choices(&refs), "en");
        assert_eq!(b[0]["type"], "text");
        assert!(
            b[0]["text"]["body"]
                .as_str()
                .unwrap()
                .contains("11: Option 10")
        );
    }

    #[test]
    fn long_titles_become_a_list_with_descriptions_or_lines() {
        let medium = choices(&["Mittellange Beschriftung"]);
        assert_eq!(bodies("x", &medium, "de")[0]["interactive"]["type"], "list");
        let long = choices(&["Mit einem Menschen sprechen"]);
        let b = bodies("Bitte wählen", &long, "de");
        let row = &b[0]["interactive"]["action"]["sections"][0]["rows"][0];
        assert_eq!(row["title"], "Mit einem Menschen spre…");
        assert_eq!(row["title"].as_str().unwrap().chars().count(), 24);
        assert_eq!(row["description"], "Mit einem Menschen sprechen");
        let too_long = choices(&[&"x".repeat(80)]);
        assert_eq!(bodies("Bitte wählen", &too_long, "de")[0]["type"], "text");
    }

    #[test]
    fn business_scoped_ids_are_recipients() {
        assert_eq!(recipient("DE.1502576394655843").0, "recipient");
        assert_eq!(recipient("4915112345").0, "to");
    }
}
