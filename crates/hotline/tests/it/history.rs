//! The conversation history: supervisors and admins search conversations by time, channel,
//! flow and outcome, page by page; rows name the contact by pseudonym only; opening a
//! transcript is audited; bad filters get a clear error.

use reqwest::StatusCode;
use serde_json::Value;

use crate::chat::Chat;
use crate::support::spawn_app;

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn conversations_are_found_by_outcome_channel_and_page_and_a_transcript_read_is_audited() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;

    // One the bot answered to the end, one waiting for a person.
    let mut answered = Chat::open(&t, "demo-de", None, 0).await;
    answered.bot_says("Wobei kann ich helfen?").await;
    answered.say("a-1", "2").await;
    answered.bot_says("Kann ich sonst noch helfen?").await;
    answered.say("a-2", "beenden").await;
    answered.bot_says("Alles Gute").await;
    answered.close().await;
    // The test's clock stands still unless moved: the second conversation starts a minute later.
    t.clock.advance_secs(60);
    let mut waiting = Chat::open(&t, "demo-de", None, 0).await;
    waiting.bot_says("Wobei kann ich helfen?").await;
    waiting
        .say("w-1", "Ich möchte mit einem Menschen sprechen")
        .await;
    waiting.bot_says("verbinde Sie").await;

    let r = admin.get("/api/v1/conversations").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", r.body);
    let (newest, oldest) = (&items[0], &items[1]);
    assert_eq!(newest["outcome"], "open");
    assert_eq!(newest["status"], "queued");
    assert_eq!(newest["queues"], serde_json::json!(["beratung"]));
    assert_eq!(oldest["outcome"], "bot");
    assert_eq!(oldest["status"], "ended");
    assert_eq!(oldest["flow_name"], "Demo-Hotline Gesundheitsamt");
    assert_eq!(oldest["channel"], "chat");
    assert!(oldest["messages"].as_i64().unwrap() >= 4, "{oldest}");
    // The contact is a pseudonym, not anything the caller typed or an address.
    let contact = oldest["contact"].as_str().unwrap();
    assert!(!contact.is_empty() && !contact.contains('@') && !contact.contains('+'));
    assert!(
        !r.body.to_string().contains("beenden"),
        "no message text in the list"
    );

    // By outcome, by channel.
    let r = admin.get("/api/v1/conversations?outcome=bot").await;
    assert_eq!(ids(&r.body), [oldest["id"].as_str().unwrap()]);
    let r = admin.get("/api/v1/conversations?outcome=open").await;
    assert_eq!(ids(&r.body), [newest["id"].as_str().unwrap()]);
    let r = admin.get("/api/v1/conversations?channel=voice").await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = admin
        .get("/api/v1/conversations?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z")
        .await;
    assert_eq!(ids(&r.body), Vec::<String>::new());

    // Page by page.
    let r = admin.get("/api/v1/conversations?limit=1").await;
    assert_eq!(ids(&r.body), [newest["id"].as_str().unwrap()]);
    let next = r.body["next"].as_str().unwrap().to_owned();
    let r = admin
        .get(&format!("/api/v1/conversations?limit=1&after={next}"))
        .await;
    assert_eq!(ids(&r.body), [oldest["id"].as_str().unwrap()]);
    assert_eq!(r.body["next"], Value::Null);

    // Bad filters: a clear 422 naming the field.
    for (query, field) in [
        ("outcome=happy", "outcome"),
        ("channel=fax", "channel"),
        ("from=yesterday", "from"),
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("after=somewhere", "after"),
        ("flow_id=nope", "flow_id"),
    ] {
        let r = admin.get(&format!("/api/v1/conversations?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{query}: {}", r.body);
    }

    // Opening the transcript shows it and writes an audit entry.
    let id = oldest["id"].as_str().unwrap();
    let r = admin.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.to_string().contains("beenden"));
    let r = admin
        .get("/api/v1/audit?action=conversation.transcript_read")
        .await;
    assert_eq!(r.body["items"][0]["object_id"], id, "{}", r.body);
    waiting.close().await;
}
