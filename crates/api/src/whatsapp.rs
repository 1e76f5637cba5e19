//! The WhatsApp Cloud API's webhook events, read into the app's inbound messages and
//! delivery reports (pure: no IO). Only what Hotline uses is read; unknown fields and kinds
//! of change are skipped, so a new field from Meta breaks nothing.
//!
//! A contact is identified by the business-scoped user id (`from_user_id`, or the contact's
//! `user_id`) when the event carries one — a user with a username may not show a phone number
//! at all — and by the phone number (`from`, `wa_id`) otherwise.

use std::collections::HashMap;

use domain::{Channel, DeliveryState, Redacted};
use serde::Deserialize;

/// The webhook's body.
#[derive(Debug, Deserialize)]
pub(crate) struct Event {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    value: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Value {
    metadata: Option<Metadata>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    display_phone_number: String,
    #[serde(default)]
    phone_number_id: String,
}

#[derive(Debug, Deserialize)]
struct Contact {
    wa_id: Option<String>,
    user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    id: String,
    from: Option<String>,
    from_user_id: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
    text: Option<TextBody>,
    interactive: Option<Interactive>,
    button: Option<Button>,
}

#[derive(Debug, Deserialize)]
struct TextBody {
    #[serde(default)]
    body: String,
}

#[derive(Debug, Deserialize)]
struct Interactive {
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Debug, Deserialize)]
struct Reply {
    id: String,
    #[serde(default)]
    title: String,
}

#[derive(Debug, Deserialize)]
struct Button {
    #[serde(default)]
    payload: String,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Debug, Deserialize)]
struct StatusError {
    code: Option<i64>,
    #[serde(default)]
    title: String,
}

/// One thing a webhook event tells.
#[derive(Debug)]
pub(crate) enum Item {
    /// A contact's message.
    Message(app::InboundMessage),
    /// A report on a message Hotline sent.
    Status(app::DeliveryReport),
}

/// The hotline number a change is for: as configured for its phone number id, else the
/// display number in international form.
fn our_number(metadata: Option<&Metadata>, numbers: &HashMap<String, String>) -> Option<String> {
    let m = metadata?;
    if let Some(n) = numbers.get(&m.phone_number_id) {
        return Some(n.clone());
    }
    let digits: String = m
        .display_phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("+{digits}"))
}

/// Who wrote: the business-scoped user id when there is one, else the phone number.
fn sender(message: &Message, contacts: &[Contact]) -> Option<String> {
    let contact = contacts.iter().find(|c| {
        c.wa_id.is_some() && c.wa_id == message.from
            || c.user_id.is_some() && c.user_id == message.from_user_id
    });
    message
        .from_user_id
        .clone()
        .or_else(|| contact.and_then(|c| c.user_id.clone()))
        .or_else(|| message.from.clone())
        .or_else(|| contact.and_then(|c| c.wa_id.clone()))
}

/// What a message says (its text, or the title of the option tapped) and, for a tapped
/// option, what it means (the option's id).
fn content(message: &Message) -> (String, Option<String>) {
    match message.kind.as_str() {
        "text" => (
            message
                .text
                .as_ref()
                .map(|t| t.body.clone())
                .unwrap_or_default(),
            None,
        ),
        "interactive" => {
            let reply = message
                .interactive
                .as_ref()
                .and_then(|i| i.button_reply.as_ref().or(i.list_reply.as_ref()));
            match reply {
                Some(r) => (r.title.clone(), Some(r.id.clone())),
                None => ("[interactive]".to_owned(), None),
            }
        }
        "button" => match &message.button {
            Some(b) => (
                b.text.clone(),
                Some(b.payload.clone()).filter(|p| !p.is_empty()),
            ),
            None => ("[button]".to_owned(), None),
        },
        // Pictures, voice notes, locations, …: the flow learns something came that it cannot
        // read, and answers as it does to anything it does not understand.
        other => (format!("[{other}]"), None),
    }
}

fn state_of(status: &str) -> Option<DeliveryState> {
    match status {
        "sent" => Some(DeliveryState::Sent),
        "delivered" => Some(DeliveryState::Delivered),
        "read" => Some(DeliveryState::Read),
        "failed" => Some(DeliveryState::Failed),
        _ => None,
    }
}

/// Every message and status of an event, in order.
pub(crate) fn items(event: &Event, numbers: &HashMap<String, String>) -> Vec<Item> {
    let mut out = Vec::new();
    for change in event.entry.iter().flat_map(|e| &e.changes) {
        let Some(value) = change.value.as_ref().filter(|_| change.field == "messages") else {
            continue;
        };
        let Some(number) = our_number(value.metadata.as_ref(), numbers) else {
            continue;
        };
        for m in &value.messages {
            let Some(from) = sender(m, &value.contacts) else {
                continue;
            };
            let (text, choice) = content(m);
            out.push(Item::Message(app::InboundMessage {
                channel: Channel::Whatsapp,
                to: number.clone(),
                from: Redacted::new(from),
                provider_id: m.id.clone(),
                text: Redacted::new(text),
                choice,
            }));
        }
        for s in &value.statuses {
            let Some(state) = state_of(&s.status) else {
                continue;
            };
            let error = s.errors.first().map(|e| match e.code {
                Some(131_047) => {
                    "whatsapp error 131047: more than 24 hours since the contact wrote; only a template may be sent".to_owned()
                }
                Some(code) => format!("whatsapp error {code}: {}", e.title),
                None => format!("whatsapp error: {}", e.title),
            });
            out.push(Item::Status(app::DeliveryReport {
                channel: Channel::Whatsapp,
                number: number.clone(),
                provider_id: s.id.clone(),
                state,
                error,
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Vec<Item> {
        let event: Event = serde_json::from_str(json).unwrap();
        let numbers = HashMap::from([("123".to_owned(), "+4930111".to_owned())]);
        items(&event, &numbers)
    }

    #[test]
    fn a_text_message_from_a_phone_number() {
        let items = parse(
            r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "messaging_product":"whatsapp","metadata":{"display_phone_number":"4930111","phone_number_id":"123"},
            "contacts":[{"profile":{"name":"A"},"wa_id":"4915112345"}],
            "messages":[{"from":"4915112345","id":"wamid.1","timestamp":"1","type":"text","text":{"body":"Hallo"}}]}}]}]}"#,
        );
        let [Item::Message(m)] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(m.to, "+4930111");
        assert_eq!(m.from.expose(), "4915112345");
        assert_eq!(m.provider_id, "wamid.1");
        assert_eq!(m.text.expose(), "Hallo");
        assert_eq!(m.choice, None);
    }

    #[test]
    fn a_business_scoped_id_identifies_a_contact_without_a_number() {
        let items = parse(
            r#"{"entry":[{"changes":[{"field":"messages","value":{
            "metadata":{"display_phone_number":"49 30 222","phone_number_id":"999"},
            "contacts":[{"profile":{"name":"B"},"user_id":"DE.1502576394655843"}],
            "messages":[{"from_user_id":"DE.1502576394655843","id":"wamid.2","type":"interactive",
              "interactive":{"type":"button_reply","button_reply":{"id":"2","title":"Termine"}}}]}}]}]}"#,
        );
        let [Item::Message(m)] = items.as_slice() else {
            panic!("{items:?}")
        };
        // An unconfigured phone number id: the display number in international form.
        assert_eq!(m.to, "+4930222");
        assert_eq!(m.from.expose(), "DE.1502576394655843");
        assert_eq!(m.text.expose(), "Termine");
        assert_eq!(m.choice.as_deref(), Some("2"));
    }

    #[test]
    fn statuses_with_the_window_error_named() {
        let items = parse(
            r#"{"entry":[{"changes":[{"field":"messages","value":{
            "metadata":{"display_phone_number":"4930111","phone_number_id":"123"},
            "statuses":[{"id":"wamid.3","status":"delivered","recipient_id":"1"},
                        {"id":"wamid.4","status":"failed","errors":[{"code":131047,"title":"Re-engagement message"}]},
                        {"id":"wamid.5","status":"deleted"}]}}]}]}"#,
        );
        assert_eq!(items.len(), 2, "{items:?}");
        let Item::Status(d) = &items[0] else { panic!() };
        assert_eq!(d.state, DeliveryState::Delivered);
        let Item::Status(f) = &items[1] else { panic!() };
        assert_eq!(f.state, DeliveryState::Failed);
        assert!(f.error.as_deref().unwrap().contains("131047"));
    }

    #[test]
    fn pictures_and_other_changes_are_read_safely() {
        let items = parse(
            r#"{"entry":[{"changes":[{"field":"account_update","value":{}},{"field":"messages","value":{
            "metadata":{"display_phone_number":"4930111","phone_number_id":"123"},
            "messages":[{"from":"49151","id":"wamid.6","type":"image","image":{"id":"x"}}]}}]}]}"#,
        );
        let [Item::Message(m)] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(m.text.expose(), "[image]");
    }
}
