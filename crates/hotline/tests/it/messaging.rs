//! SMS through a Twilio-compatible provider and WhatsApp through the Cloud API, end to end:
//! signed webhooks built here with the providers' published signing rules, the demo flow
//! answering, and the replies reaching a provider API served by the test on loopback (it
//! implements the documented request and answer shapes: `Messages.json` with form fields and
//! basic authentication; `/{phone_number_id}/messages` with JSON and a bearer token).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::routing::post;
use hotline::messaging::{TwilioSettings, WhatsappSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Client, TestApp, spawn_with};

const TOKEN: &str = "test-auth-token";
const APP_SECRET: &str = "test-app-secret";
const VERIFY: &str = "test-verify-token";
const OUR_SMS: &str = "+4930555";
const OUR_WA: &str = "+4930777";
const CALLER: &str = "+4915112345678";
const PROXY_A: &str = "+4930600";
const PROXY_B: &str = "+4930601";
const STRANGER: &str = "+4915199900011";
const OPERATOR: &str = "+4917099988877";

/// What the fake provider API received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    auth: String,
    form: Vec<(String, String)>,
    json: Value,
}

#[derive(Default)]
struct Provider {
    received: Mutex<Vec<Received>>,
    /// Requests still to fail with 503 (an outage).
    fail: AtomicUsize,
    /// Answer with the Cloud API's window error instead.
    outside_window: AtomicUsize,
}

impl Provider {
    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn provider_endpoint(
    State(p): State<Arc<Provider>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (AxStatus, String) {
    let n = {
        let mut r = p.received.lock().unwrap();
        r.push(Received {
            path: uri.path().to_owned(),
            auth: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            form: form_urlencoded::parse(&body).into_owned().collect(),
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        r.len()
    };
    if p.fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| f.checked_sub(1))
        .is_ok()
    {
        return (AxStatus::SERVICE_UNAVAILABLE, "{}".to_owned());
    }
    if p.outside_window
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| f.checked_sub(1))
        .is_ok()
    {
        return (
            AxStatus::BAD_REQUEST,
            json!({"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}}).to_string(),
        );
    }
    if uri.path().ends_with("Messages.json") {
        (
            AxStatus::CREATED,
            json!({"sid": format!("SM{n:032}"), "status": "queued"}).to_string(),
        )
    } else {
        (
            AxStatus::OK,
            json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.{n}")}]})
                .to_string(),
        )
    }
}

async fn start_provider() -> (Arc<Provider>, String) {
    let provider = Arc::new(Provider::default());
    let router = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/{sid}/Messages.json",
            post(provider_endpoint),
        )
        .route("/v21.0/{id}/messages", post(provider_endpoint))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (provider, format!("http://{addr}"))
}

/// A server with one Twilio account and one WhatsApp number, both pointing at `api`.
async fn spawn_messaging(api: &str) -> (TestApp, tempfile::TempDir) {
    let secrets = tempfile::tempdir().unwrap();
    let write = |name: &str, value: &str| {
        let p = secrets.path().join(name);
        std::fs::write(&p, format!("{value}\n")).unwrap();
        p
    };
    let token = write("twilio", TOKEN);
    let access = write("wa-access", "wa-access-token");
    let app_secret = write("wa-secret", APP_SECRET);
    let verify = write("wa-verify", VERIFY);
    let api = api.to_owned();
    let t = spawn_with(move |s| {
        s.twilio = vec![TwilioSettings {
            name: "tw".to_owned(),
            account_sid: "AC0123".to_owned(),
            auth_token_file: token,
            api_url: api.clone(),
            numbers: vec![OUR_SMS.to_owned(), PROXY_A.to_owned(), PROXY_B.to_owned()],
        }];
        s.whatsapp = vec![WhatsappSettings {
            name: "wa".to_owned(),
            phone_number_id: "1001".to_owned(),
            number: OUR_WA.to_owned(),
            access_token_file: access,
            app_secret_file: app_secret,
            verify_token_file: verify,
            graph_url: format!("{api}/v21.0"),
            reengage_template: None,
        }];
    })
    .await;
    (t, secrets)
}

/// Binds `number` to the German demo flow for `channels` (callers pseudonymised).
pub(crate) async fn bind(admin: &mut Client, number: &str, channels: Value) {
    bind_as(admin, number, channels, "pseudonymised").await;
}

/// Binds `number` to the German demo flow for `channels`, keeping `caller_id` of callers.
async fn bind_as(admin: &mut Client, number: &str, channels: Value, caller_id: &str) {
    let flows = admin.get("/api/v1/flows").await.body;
    let demo = flows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["name"]
                .as_str()
                .unwrap_or_default()
                .contains("Gesundheitsamt")
        })
        .expect("the German demo flow")["id"]
        .clone();
    let path = format!("/api/v1/phone-numbers/{}", number.replace('+', "%2B"));
    let r = admin
        .send(
            Method::PUT,
            &path,
            Some(json!({"flow_id": demo, "channels": channels, "caller_id": caller_id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["channels"], channels);
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Posts a Twilio webhook signed with `token` (as Twilio signs: the full URL and the sorted
/// form fields).
async fn twilio_post(
    t: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    token: &str,
) -> reqwest::Response {
    let url = t.url(path);
    let params = pairs(fields);
    let signature = security::webhook::twilio_signature(token.as_bytes(), &url, &params);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    t.http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn sms(t: &TestApp, sid: &str, body: &str) -> reqwest::Response {
    sms_between(t, sid, CALLER, OUR_SMS, body).await
}

async fn sms_between(
    t: &TestApp,
    sid: &str,
    from: &str,
    to: &str,
    body: &str,
) -> reqwest::Response {
    twilio_post(
        t,
        "/hooks/twilio/tw/messages",
        &[
            ("MessageSid", sid),
            ("AccountSid", "AC0123"),
            ("From", from),
            ("To", to),
            ("Body", body),
            ("NumMedia", "0"),
        ],
        TOKEN,
    )
    .await
}

/// Waits until the provider received `n` requests (at most 10 s).
async fn wait_for(provider: &Provider, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let r = provider.received();
        if r.len() >= n {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the provider received {} requests, expected {n}: {:?}",
        provider.received().len(),
        provider.received()
    );
}

fn form<'a>(r: &'a Received, name: &str) -> &'a str {
    r.form
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The tenant's conversations on `channel`.
pub(crate) async fn conversations(admin: &mut Client, channel: &str) -> Vec<Value> {
    let r = admin
        .get(&format!("/api/v1/conversations?channel={channel}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_sms_conversation_runs_the_flow_and_tracks_delivery() {
    let (provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, _) = t.admin().await;
    bind_as(&mut admin, OUR_SMS, json!(["voice", "sms"]), "identified").await;

    // A greeting starts the conversation: the flow introduces itself as a bot and lists its
    // menu with what to send for each option.
    let r = sms(&t, "SM1", "Hallo").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<Response>"));
    let sent = wait_for(&provider, 2).await;
    let greeting = &sent[0];
    assert_eq!(greeting.path, "/2010-04-01/Accounts/AC0123/Messages.json");
    let expected_auth = format!(
        "Basic {}",
        data_encoding::BASE64.encode(format!("AC0123:{TOKEN}").as_bytes())
    );
    assert_eq!(greeting.auth, expected_auth);
    assert_eq!(form(greeting, "From"), OUR_SMS);
    assert_eq!(form(greeting, "To"), CALLER);
    assert!(form(greeting, "Body").contains("ein Bot"), "{greeting:?}");
    assert!(
        form(greeting, "StatusCallback").ends_with("/hooks/twilio/tw/status"),
        "{greeting:?}"
    );
    let before = all_sent(&mut admin, "sms", &provider).await;
    let sent = provider.received();
    let menu = sent
        .iter()
        .map(|r| form(r, "Body"))
        .find(|b| b.contains("Wobei kann ich helfen"))
        .expect("the menu");
    assert!(menu.contains("1: Impftermin"), "{menu}");
    assert!(menu.contains("3: Quarantäne-Regeln"), "{menu}");
    assert!(!menu.contains("drücken"), "no phone wording on SMS: {menu}");

    let list = conversations(&mut admin, "sms").await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert!(
        !list[0]["contact"].as_str().unwrap().contains("151"),
        "the history names a pseudonym"
    );
    let messages = list[0]["messages"].as_i64().unwrap();

    // The provider retries the same message: nothing new is stored, so nothing new is sent.
    assert_eq!(sms(&t, "SM1", "Hallo").await.status(), StatusCode::OK);
    let list = conversations(&mut admin, "sms").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["messages"].as_i64().unwrap(), messages);
    assert_eq!(all_sent(&mut admin, "sms", &provider).await, before);

    // A forged request: 403, nothing stored.
    let forged = twilio_post(
        &t,
        "/hooks/twilio/tw/messages",
        &[
            ("MessageSid", "SM9"),
            ("From", CALLER),
            ("To", OUR_SMS),
            ("Body", "3"),
        ],
        "wrong-token",
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let unsigned = t
        .http
        .post(t.url("/hooks/twilio/tw/messages"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("MessageSid=SM9&From=%2B4915112345678&To=%2B4930555")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        conversations(&mut admin, "sms").await[0]["messages"].as_i64(),
        Some(messages)
    );

    // The caller answers the menu by its number: the flow goes on in the same conversation.
    assert_eq!(sms(&t, "SM2", "3").await.status(), StatusCode::OK);
    let sent = wait_for(&provider, before + 1).await;
    let answer = form(&sent[before], "Body");
    assert!(answer.contains("fünf Tage zu Hause"), "{answer}");
    assert_eq!(conversations(&mut admin, "sms").await.len(), 1);

    // Delivery reports move each message forward, never back.
    let sid = "SM00000000000000000000000000000001";
    let status = |state: &'static str| {
        let t = &t;
        async move {
            twilio_post(
                t,
                "/hooks/twilio/tw/status",
                &[
                    ("MessageSid", sid),
                    ("MessageStatus", state),
                    ("From", OUR_SMS),
                    ("To", CALLER),
                ],
                TOKEN,
            )
            .await
            .status()
        }
    };
    assert_eq!(status("delivered").await, StatusCode::NO_CONTENT);
    assert_eq!(status("sent").await, StatusCode::NO_CONTENT);
    let deliveries = admin
        .get(&format!("/api/v1/conversations/{id}/deliveries"))
        .await;
    assert_eq!(deliveries.status, StatusCode::OK, "{}", deliveries.body);
    let items = deliveries.body["items"].as_array().unwrap();
    assert_eq!(items[0]["state"], "delivered", "{items:?}");
    assert!(
        items.iter().skip(1).all(|d| d["state"] == "sent"),
        "{items:?}"
    );

    // The number behind the conversation is read only through the audited call.
    let r = admin
        .get(&format!("/api/v1/conversations/{id}/address"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["address"], CALLER);
    let audit = admin.get("/api/v1/audit?limit=20").await.body;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "contact.address_read" && e["object_id"] == id.as_str()),
        "{audit}"
    );
}

/// A conversation's deliveries once `done` holds for them (at most 10 s).
pub(crate) async fn deliveries_until(
    admin: &mut Client,
    id: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..200 {
        let r = admin
            .get(&format!("/api/v1/conversations/{id}/deliveries"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let items = r.body["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries of {id}: never {what}");
}

/// Waits until no message of any conversation on `channel` waits to be sent; returns how many
/// requests the provider has received by then (every one the outbox made).
async fn all_sent(admin: &mut Client, channel: &str, provider: &Provider) -> usize {
    for c in conversations(admin, channel).await {
        let id = c["id"].as_str().unwrap().to_owned();
        deliveries_until(admin, &id, "all handed to the provider", |items| {
            items.iter().all(|d| d["state"] != "queued")
        })
        .await;
    }
    provider.received().len()
}

#[tokio::test]
async fn a_provider_outage_loses_nothing_and_keeps_the_order() {
    let (provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, _) = t.admin().await;
    bind(&mut admin, OUR_SMS, json!(["sms"])).await;
    provider.fail.store(1, Ordering::SeqCst);
    assert_eq!(sms(&t, "SM1", "Hallo").await.status(), StatusCode::OK);
    // The first attempt failed; later messages wait behind it.
    let id = conversations(&mut admin, "sms").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = deliveries_until(&mut admin, &id, "the first attempt recorded", |items| {
        items[0]["attempts"] == 1
    })
    .await;
    assert_eq!(d[0]["state"], "queued", "{d:?}");
    assert!(d[0]["error"].as_str().unwrap().contains("503"), "{d:?}");
    assert!(d[1..].iter().all(|i| i["attempts"] == 0), "{d:?}");
    assert_eq!(provider.received().len(), 1);
    // Later, the retry sends everything, in order.
    t.clock.advance_secs(3);
    t.app().deliver_due().await.unwrap();
    all_sent(&mut admin, "sms", &provider).await;
    let sent = provider.received();
    assert!(form(&sent[0], "Body").contains("ein Bot"), "{sent:?}");
    assert!(form(&sent[1], "Body").contains("ein Bot"), "{sent:?}");
    assert!(
        form(sent.last().unwrap(), "Body").contains("Wobei"),
        "{sent:?}"
    );
    let d = admin
        .get(&format!("/api/v1/conversations/{id}/deliveries"))
        .await
        .body;
    assert!(
        d["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "sent"),
        "{d}"
    );
}

#[tokio::test]
async fn unknown_numbers_and_bad_requests_get_clear_errors() {
    let (_provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, _) = t.admin().await;
    // A number nobody has, and a voice-only number.
    bind(&mut admin, "+4930999", json!(["voice"])).await;
    for to in ["+4999999", "+4930999"] {
        let r = twilio_post(
            &t,
            "/hooks/twilio/tw/messages",
            &[
                ("MessageSid", "SM1"),
                ("From", CALLER),
                ("To", to),
                ("Body", "Hallo"),
            ],
            TOKEN,
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{to}");
    }
    // A provider nobody configured.
    let r = twilio_post(
        &t,
        "/hooks/twilio/other/messages",
        &[("MessageSid", "SM1"), ("From", CALLER), ("To", OUR_SMS)],
        TOKEN,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A signed request without a sender.
    bind(&mut admin, OUR_SMS, json!(["sms"])).await;
    let r = twilio_post(
        &t,
        "/hooks/twilio/tw/messages",
        &[("MessageSid", "SM1"), ("To", OUR_SMS), ("Body", "Hallo")],
        TOKEN,
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // An oversized body.
    let big = "x".repeat(2 * 1024 * 1024);
    let r = sms(&t, "SM2", &big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(conversations(&mut admin, "sms").await.is_empty());
    // A number that would serve web chat is refused.
    let path = format!("/api/v1/phone-numbers/{}", OUR_SMS.replace('+', "%2B"));
    let r = admin
        .send(Method::PUT, &path, Some(json!({"channels": ["chat"]})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin
        .send(Method::PUT, &path, Some(json!({"channels": []})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

/// Posts a WhatsApp webhook event signed with `secret`.
async fn whatsapp_post(t: &TestApp, event: &Value, secret: &str) -> reqwest::Response {
    let body = serde_json::to_vec(event).unwrap();
    let signature = security::webhook::hub_signature(secret.as_bytes(), &body);
    t.http
        .post(t.url("/hooks/whatsapp/wa"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn wa_event(value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "4930777", "phone_number_id": "1001"},
                  "contacts": value["contacts"], "messages": value["messages"], "statuses": value["statuses"]}
    }]}]})
}

#[tokio::test]
async fn whatsapp_menus_are_buttons_and_the_window_is_respected() {
    let (provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, _) = t.admin().await;
    bind(&mut admin, OUR_WA, json!(["whatsapp"])).await;

    // Meta's verification handshake.
    let ok = t
        .http
        .get(t.url(&format!(
            "/hooks/whatsapp/wa?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = t
        .http
        .get(t.url("/hooks/whatsapp/wa?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);

    // A contact known only by a business-scoped id writes "Hallo".
    let bsuid = "DE.1502576394655843";
    let hello = wa_event(json!({
        "contacts": [{"profile": {"name": "K"}, "user_id": bsuid}],
        "messages": [{"from_user_id": bsuid, "id": "wamid.in1", "timestamp": "1", "type": "text", "text": {"body": "Hallo"}}],
        "statuses": []
    }));
    assert_eq!(
        whatsapp_post(&t, &hello, "wrong").await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(conversations(&mut admin, "whatsapp").await.is_empty());
    assert_eq!(
        whatsapp_post(&t, &hello, APP_SECRET).await.status(),
        StatusCode::OK
    );
    let count = all_sent(&mut admin, "whatsapp", &provider).await;
    let sent = provider.received();
    assert_eq!(sent[0].path, "/v21.0/1001/messages");
    assert_eq!(sent[0].auth, "Bearer wa-access-token");
    assert_eq!(sent[0].json["recipient"], bsuid, "{:?}", sent[0].json);
    assert_eq!(sent[0].json["messaging_product"], "whatsapp");
    // Five options: a list whose rows answer with the option's digit.
    let menu = sent
        .iter()
        .find(|r| r.json["type"] == "interactive")
        .expect("the menu as an interactive message");
    assert_eq!(menu.json["interactive"]["type"], "list", "{:?}", menu.json);
    let rows = &menu.json["interactive"]["action"]["sections"][0]["rows"];
    assert_eq!(rows[2]["id"], "3");
    assert_eq!(rows[2]["title"], "Quarantäne-Regeln");
    // Retried by Meta: nothing new.
    assert_eq!(
        whatsapp_post(&t, &hello, APP_SECRET).await.status(),
        StatusCode::OK
    );

    // The contact taps a row.
    let tap = wa_event(json!({
        "contacts": [{"user_id": bsuid}],
        "messages": [{"from_user_id": bsuid, "id": "wamid.in2", "type": "interactive",
                      "interactive": {"type": "list_reply", "list_reply": {"id": "3", "title": "Quarantäne-Regeln"}}}],
        "statuses": []
    }));
    assert_eq!(
        whatsapp_post(&t, &tap, APP_SECRET).await.status(),
        StatusCode::OK
    );
    let sent = wait_for(&provider, count + 1).await;
    let body = sent[count].json["text"]["body"]
        .as_str()
        .unwrap_or_default();
    assert!(
        body.contains("fünf Tage zu Hause"),
        "{:?}",
        sent[count].json
    );
    let list = conversations(&mut admin, "whatsapp").await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_str().unwrap().to_owned();

    // Meta reports the first message read and another failed outside the window.
    let statuses = wa_event(json!({
        "contacts": [], "messages": [],
        "statuses": [{"id": "wamid.1", "status": "read", "recipient_id": "x"},
                     {"id": "wamid.2", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]}]
    }));
    assert_eq!(
        whatsapp_post(&t, &statuses, APP_SECRET).await.status(),
        StatusCode::OK
    );
    let d = admin
        .get(&format!("/api/v1/conversations/{id}/deliveries"))
        .await
        .body;
    assert_eq!(d["items"][0]["state"], "read", "{d}");
    assert_eq!(d["items"][1]["state"], "failed", "{d}");
    assert!(
        d["items"][1]["error"].as_str().unwrap().contains("131047"),
        "{d}"
    );

    // Outside the 24-hour window an agent's or the flow's text is refused by the API; the
    // message fails with the reason and nothing is retried.
    provider.outside_window.store(1, Ordering::SeqCst);
    let again = wa_event(json!({
        "contacts": [{"user_id": bsuid}],
        "messages": [{"from_user_id": bsuid, "id": "wamid.in3", "type": "text", "text": {"body": "9"}}],
        "statuses": []
    }));
    assert_eq!(
        whatsapp_post(&t, &again, APP_SECRET).await.status(),
        StatusCode::OK
    );
    let settled = all_sent(&mut admin, "whatsapp", &provider).await;
    let d = deliveries_until(&mut admin, &id, "settled", |_| true).await;
    let failed: Vec<&Value> = d
        .iter()
        .filter(|i| {
            i["error"]
                .as_str()
                .is_some_and(|e| e.contains("only a template may be sent"))
        })
        .collect();
    assert!(!failed.is_empty(), "{d:?}");
    assert!(failed.iter().all(|i| i["state"] == "failed"), "{d:?}");
    // A failed message is not tried again, however much later the outbox looks.
    t.clock.advance_secs(3600);
    t.app().deliver_due().await.unwrap();
    assert_eq!(provider.received().len(), settled, "nothing is retried");
}

#[tokio::test]
async fn a_texter_who_asks_for_a_person_gets_an_agent_who_answers_by_sms() {
    use crate::contact_centre::{Live, agent};
    let (provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, _) = t.admin().await;
    bind(&mut admin, OUR_SMS, json!(["sms"])).await;
    let (mut maria, _) = agent(&t, &mut admin, "maria").await;
    let mut desk = Live::open(&t, &maria, "/api/v1/desk/ws").await.unwrap();
    desk.until("snapshot", |f| f["type"] == "snapshot").await;

    assert_eq!(sms(&t, "SM1", "Hallo").await.status(), StatusCode::OK);
    wait_for(&provider, 2).await;
    assert_eq!(
        sms(&t, "SM2", "Ich möchte mit einem Menschen sprechen")
            .await
            .status(),
        StatusCode::OK
    );
    // The agent is offered the SMS conversation, by pseudonym.
    let offer = desk.until("offer", |f| f["type"] == "offer").await;
    let task = &offer["task"];
    assert_eq!(task["channel"], "sms", "{task}");
    assert!(!task.to_string().contains("4915112345678"), "{task}");
    let task_id = task["id"].as_str().unwrap().to_owned();
    let conversation = task["conversation_id"].as_str().unwrap().to_owned();
    let r = maria
        .post(&format!("/api/v1/tasks/{task_id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let before = all_sent(&mut admin, "sms", &provider).await;
    // The agent writes; it goes out as an SMS from the hotline's number.
    let r = maria
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({"text": "Guten Tag, hier ist Maria von der Beratung."}),
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let sent = wait_for(&provider, before + 1).await;
    let reply = sent
        .iter()
        .skip(before)
        .find(|r| form(r, "Body").contains("hier ist Maria"))
        .expect("the agent's reply as an SMS");
    assert_eq!(form(reply, "From"), OUR_SMS);
    assert_eq!(form(reply, "To"), CALLER);
    // The texter's answer reaches the agent's desk; the bot stays silent: the step that took
    // it queued nothing to send.
    let quiet = all_sent(&mut admin, "sms", &provider).await;
    let queued = deliveries_until(&mut admin, &conversation, "listed", |_| true)
        .await
        .len();
    assert_eq!(
        sms(&t, "SM3", "Danke, ich habe eine Frage zum Bescheid")
            .await
            .status(),
        StatusCode::OK
    );
    desk.until("the texter's message", |f| {
        f.to_string().contains("Frage zum Bescheid")
    })
    .await;
    let after = deliveries_until(&mut admin, &conversation, "listed", |_| true).await;
    assert_eq!(after.len(), queued, "the bot says nothing: {after:?}");
    assert_eq!(provider.received().len(), quiet);
}

/// The conversation's transcript lines as `from: text`.
async fn transcript(client: &mut Client, conversation: &str) -> Vec<String> {
    let r = client
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m["from"].as_str().unwrap(),
                m["text"].as_str().unwrap()
            )
        })
        .collect()
}

/// The SMS the provider received after the first `skip`, as (from, to, body).
fn sms_sent(provider: &Provider, skip: usize) -> Vec<(String, String, String)> {
    provider
        .received()
        .iter()
        .skip(skip)
        .map(|r| {
            (
                form(r, "From").to_owned(),
                form(r, "To").to_owned(),
                form(r, "Body").to_owned(),
            )
        })
        .collect()
}

/// Waits until the provider sent an SMS matching `pred` after the first `skip`.
async fn until_sent(
    provider: &Provider,
    skip: usize,
    what: &str,
    pred: impl Fn(&(String, String, String)) -> bool,
) -> (String, String, String) {
    for _ in 0..200 {
        if let Some(m) = sms_sent(provider, skip).into_iter().find(|m| pred(m)) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} was not sent: {:?}", sms_sent(provider, skip));
}

#[tokio::test]
async fn a_follow_up_goes_out_from_a_proxy_number_and_the_answer_comes_back() {
    use crate::contact_centre::{Live, agent};
    let (provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, secret) = t.admin().await;
    bind(&mut admin, OUR_SMS, json!(["sms"])).await;
    let (mut maria, _) = agent(&t, &mut admin, "maria").await;
    let mut desk = Live::open(&t, &maria, "/api/v1/desk/ws").await.unwrap();
    desk.until("snapshot", |f| f["type"] == "snapshot").await;

    // A texter asks for a person; Maria takes the conversation and closes it.
    assert_eq!(sms(&t, "SM1", "Hallo").await.status(), StatusCode::OK);
    wait_for(&provider, 2).await;
    sms(&t, "SM2", "Ich möchte mit einem Menschen sprechen").await;
    let offer = desk.until("offer", |f| f["type"] == "offer").await;
    let task_id = offer["task"]["id"].as_str().unwrap().to_owned();
    let conversation = offer["task"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = maria
        .post(&format!("/api/v1/tasks/{task_id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = maria
        .post(&format!("/api/v1/tasks/{task_id}/end"), json!({}))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let follow_up = format!("/api/v1/conversations/{conversation}/follow-ups");
    // Another agent, who did not handle it.
    let (mut jonas, _) = agent(&t, &mut admin, "jonas").await;

    // Without a proxy number the follow-up is refused with the reason.
    let r = maria
        .post(&follow_up, json!({"text": "Wie geht es Ihnen heute?"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        r.body["type"]
            .as_str()
            .map(|t| t.ends_with("no-proxy-number")),
        Some(true),
        "{}",
        r.body
    );

    // The pool: a proxy number serves SMS only and runs no flow.
    let put = |n: &str| format!("/api/v1/phone-numbers/{}", n.replace('+', "%2B"));
    let r = admin
        .send(Method::PUT, &put(PROXY_A), Some(json!({"proxy": true})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["proxy"].clone(), r.body["channels"].clone()),
        (json!(true), json!(["sms"]))
    );
    let r = admin
        .send(
            Method::PUT,
            &put(PROXY_B),
            Some(json!({"proxy": true, "channels": ["voice"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let reply_text = "Diese Nummer ist nicht mehr aktiv. Bitte schreiben Sie an +4930555.";
    let mut settings = admin.get("/api/v1/contact-centre/settings").await.body;
    settings
        .as_object_mut()
        .unwrap()
        .remove("builtin_crisis_text");
    settings["proxy"]["reply"] = json!(reply_text);
    let r = admin
        .send(
            Method::PUT,
            "/api/v1/contact-centre/settings",
            Some(settings),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Only the agent who handled it (or a supervisor) follows up.
    let r = jonas.post(&follow_up, json!({"text": "Hallo?"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let skip = provider.received().len();
    let r = maria
        .post(&follow_up, json!({"text": "Wie geht es Ihnen heute?"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["from"], "agent");
    let sent = until_sent(&provider, skip, "the follow-up", |m| {
        m.2.contains("Wie geht es")
    })
    .await;
    assert_eq!(
        (sent.0.as_str(), sent.1.as_str()),
        (PROXY_A, CALLER),
        "from the proxy number"
    );

    // The texter's answer to the proxy number lands in the same conversation; a provider's
    // retry of it changes nothing.
    let skip = provider.received().len();
    assert_eq!(
        sms_between(&t, "SM10", CALLER, PROXY_A, "Besser, danke der Nachfrage")
            .await
            .status(),
        StatusCode::OK
    );
    sms_between(&t, "SM10", CALLER, PROXY_A, "Besser, danke der Nachfrage").await;
    let lines = transcript(&mut maria, &conversation).await;
    assert_eq!(
        lines
            .iter()
            .filter(|l| *l == "user: Besser, danke der Nachfrage")
            .count(),
        1,
        "{lines:?}"
    );
    assert!(
        lines.contains(&"agent: Wie geht es Ihnen heute?".to_owned()),
        "{lines:?}"
    );
    // A crisis in the answer gets the crisis text back at once.
    sms_between(&t, "SM11", CALLER, PROXY_A, "Ich will nicht mehr leben").await;
    let crisis = until_sent(&provider, skip, "the crisis text", |m| m.1 == CALLER).await;
    assert_eq!(crisis.0, PROXY_A);
    assert!(
        transcript(&mut maria, &conversation)
            .await
            .iter()
            .any(|l| l.starts_with("system: "))
    );

    // Sessions show proxy numbers, never the texter's number.
    let r = maria
        .get(&format!(
            "/api/v1/conversations/{conversation}/proxy-sessions"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sessions = r.body["items"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["contact_number"], PROXY_A);
    assert_eq!(sessions[0]["open"], true);
    assert!(!r.body.to_string().contains("4915112345678"), "{}", r.body);
    // Pseudonymised number: even an admin cannot read the texter's number.
    let r = admin
        .get(&format!("/api/v1/conversations/{conversation}/address"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Someone who is in no session gets the configured reply, once.
    let skip = provider.received().len();
    sms_between(&t, "SM20", STRANGER, PROXY_A, "Wer ist da?").await;
    sms_between(&t, "SM21", STRANGER, PROXY_A, "Hallo?").await;
    let reply = until_sent(&provider, skip, "the reply to a stranger", |m| {
        m.1 == STRANGER
    })
    .await;
    assert_eq!((reply.0.as_str(), reply.2.as_str()), (PROXY_A, reply_text));
    // The reply is sent while the webhook is answered: both requests are done, so a second
    // reply would be there by now.
    assert_eq!(
        sms_sent(&provider, skip)
            .iter()
            .filter(|m| m.1 == STRANGER)
            .count(),
        1
    );

    // An operator's phone can be paired with the texter (admins; audited): each writes to a
    // proxy number and reads the other's messages from one.
    let r = admin
        .send(Method::PUT, &put(PROXY_B), Some(json!({"proxy": true})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .post(
            "/api/v1/proxy-sessions",
            json!({"conversation_id": conversation, "operator_phone": "0900123456"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "premium numbers are refused: {}",
        r.body
    );
    // The texter already holds PROXY_A with the desk: the phone session pairs it on PROXY_B.
    let r = admin
        .post(
            "/api/v1/proxy-sessions",
            json!({"conversation_id": conversation, "operator_phone": OPERATOR}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let phone_session = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["contact_number"], PROXY_B);
    assert_eq!(r.body["partner_number"], PROXY_A);
    let skip = provider.received().len();
    sms_between(
        &t,
        "SM30",
        OPERATOR,
        PROXY_A,
        "Hier ist Frau Weber vom Gesundheitsamt",
    )
    .await;
    let to_texter = until_sent(&provider, skip, "the operator's message", |m| {
        m.2.contains("Frau Weber")
    })
    .await;
    assert_eq!(
        (to_texter.0.as_str(), to_texter.1.as_str()),
        (PROXY_B, CALLER)
    );
    sms_between(&t, "SM31", CALLER, PROXY_B, "Danke, Frau Weber").await;
    let to_operator = until_sent(&provider, skip, "the texter's answer", |m| {
        m.2.contains("Danke, Frau")
    })
    .await;
    assert_eq!(
        (to_operator.0.as_str(), to_operator.1.as_str()),
        (PROXY_A, OPERATOR)
    );

    // A supervisor closes the desk session: the texter's next message gets the reply.
    let desk_session = sessions[0]["id"].as_str().unwrap();
    let r = admin
        .delete(&format!("/api/v1/proxy-sessions/{desk_session}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = admin
        .delete(&format!("/api/v1/proxy-sessions/{desk_session}"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let skip = provider.received().len();
    sms_between(&t, "SM40", CALLER, PROXY_A, "Sind Sie noch da?").await;
    let reply = until_sent(&provider, skip, "the reply after closing", |m| {
        m.1 == CALLER
    })
    .await;
    assert_eq!(reply.2, reply_text);

    // After its time to live the phone session relays nothing.
    t.clock.advance_secs(73 * 3600);
    let skip = provider.received().len();
    sms_between(&t, "SM50", OPERATOR, PROXY_A, "Noch eine Frage").await;
    let reply = until_sent(&provider, skip, "the reply after expiry", |m| {
        m.1 == OPERATOR
    })
    .await;
    assert_eq!(reply.2, reply_text);
    assert!(sms_sent(&provider, skip).iter().all(|m| m.1 != CALLER));
    // Days later the admin signs in again (sessions end after 12 hours).
    let mut admin = t
        .login("admin", crate::support::ADMIN_PASSWORD, &secret)
        .await;
    let r = admin
        .get(&format!(
            "/api/v1/conversations/{conversation}/proxy-sessions"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.body["items"].as_array().unwrap();
    assert!(items.iter().all(|s| s["open"] == false), "{items:?}");
    assert!(items.iter().any(|s| s["id"] == phone_session.as_str()));
    // Opening and closing sessions is in the audit log.
    let audit = admin.get("/api/v1/audit?limit=50").await.body.to_string();
    assert!(
        audit.contains("proxy_session.open") && audit.contains("proxy_session.close"),
        "{audit}"
    );
}

/// A flow that confirms by SMS whatever channel the contact is on.
const CONFIRM_BY_SMS: &str = r#"
flow: 1
id: confirm
name: Confirm by SMS
language: de
languages: [de]
start: hello
nodes:
  - id: hello
    type: say
    text: "Hallo, ich bin der digitale Assistent, ein Bot."
    next: ask
  - id: ask
    type: ask
    prompt: "Worum geht es?"
    next: confirm
    no_input: confirm
    no_match: confirm
  - id: confirm
    type: send_message
    channel: sms
    text: "Ihre Terminbestätigung: Montag, 10 Uhr."
    next: done
  - id: done
    type: say
    text: "Sie bekommen eine SMS."
    next: bye
  - id: bye
    type: end
"#;

#[tokio::test]
async fn a_flow_on_whatsapp_sends_its_sms_through_the_proxy_and_the_answer_comes_back() {
    let (provider, api) = start_provider().await;
    let (t, _secrets) = spawn_messaging(&api).await;
    let (mut admin, _) = t.admin().await;
    let r = admin
        .post("/api/v1/flows", json!({"source": CONFIRM_BY_SMS}))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let flow = r.body["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(&format!("/api/v1/flows/{flow}/publish"), json!({}))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let put = |n: &str| format!("/api/v1/phone-numbers/{}", n.replace('+', "%2B"));
    let r = admin
        .send(
            Method::PUT,
            &put(OUR_WA),
            Some(json!({"flow_id": flow, "channels": ["whatsapp"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .send(Method::PUT, &put(PROXY_A), Some(json!({"proxy": true})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A contact writes on WhatsApp; the flow's SMS goes out from the proxy number.
    let wa_id = CALLER.trim_start_matches('+');
    let message = |id: &str, text: &str| {
        wa_event(json!({
            "contacts": [{"profile": {"name": "K"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": id, "timestamp": "1", "type": "text", "text": {"body": text}}],
            "statuses": []
        }))
    };
    let r = whatsapp_post(&t, &message("wamid.f1", "Hallo"), APP_SECRET).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = whatsapp_post(
        &t,
        &message("wamid.f2", "Ich brauche einen Termin"),
        APP_SECRET,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let sms = until_sent(&provider, 0, "the flow's SMS", |m| {
        m.2.contains("Terminbestätigung")
    })
    .await;
    assert_eq!((sms.0.as_str(), sms.1.as_str()), (PROXY_A, CALLER));
    let received = provider.received();
    let on_sms = received
        .iter()
        .filter(|r| r.path.ends_with("Messages.json"))
        .count();
    assert_eq!(on_sms, 1, "only the confirmation goes by SMS: {received:?}");

    // The contact answers the SMS: it lands in the WhatsApp conversation's transcript.
    let conversation = conversations(&mut admin, "whatsapp").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        sms_between(&t, "SM60", CALLER, PROXY_A, "Passt, danke")
            .await
            .status(),
        StatusCode::OK
    );
    let lines = transcript(&mut admin, &conversation).await;
    assert!(
        lines.contains(&"bot: Ihre Terminbestätigung: Montag, 10 Uhr.".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"user: Passt, danke".to_owned()),
        "{lines:?}"
    );
    // Where the SMS stands is tracked like any message.
    let r = admin
        .get(&format!("/api/v1/conversations/{conversation}/deliveries"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "sent" || d["state"] == "queued"),
        "{}",
        r.body
    );
}
