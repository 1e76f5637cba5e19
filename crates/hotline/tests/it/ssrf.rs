//! The flows' HTTP guard end to end, as the outside probe tried it: a flow published on the
//! default tenant (the one every single-tenant installation uses) asks a server on loopback
//! and would show its answer to an anonymous chat visitor. Nothing private is reachable until
//! an admin opens that one destination (audited), and closing it shuts it again; the demo
//! flows still reach Hotline's own demo endpoint.

use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::json;

use crate::chat::Chat;
use crate::support::{Client, TestApp, spawn_app};

/// A "secret" service on loopback, as an internal system would be.
async fn secret_service() -> String {
    let app = Router::new().route(
        "/secret",
        get(|| async { axum::Json(json!({"secret": "INTERN-42"})) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

/// Publishes a flow that fetches `http://{destination}/secret` and says what it got, behind
/// the widget `probe`.
async fn publish_probe_flow(admin: &mut Client, destination: &str) {
    let source = format!(
        r#"
flow: 1
id: probe
name: Probe
language: de
languages: [de]
start: hello
nodes:
  - id: hello
    type: say
    text: "Hallo, ich bin ein Bot."
    next: fetch
  - id: fetch
    type: http_request
    method: GET
    url: "http://{destination}/secret"
    timeout_secs: 5
    save:
      secret: /secret
    next: show
    on_error: refused
  - id: show
    type: say
    text: "ANTWORT {{{{secret}}}}"
    next: queue
  - id: refused
    type: say
    text: "KEINE ANTWORT"
    next: queue
  - id: queue
    type: enqueue
    queue: team
"#
    );
    let r = admin.post("/api/v1/flows", json!({"source": source})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(&format!("/api/v1/flows/{id}/publish"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .post(
            "/api/v1/widgets",
            json!({"id": "probe", "name": "Probe", "flow_id": id, "title": "Chat",
                   "primary_color": "#112233", "greeting": "Hi", "allowed_origins": ["*"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// What an anonymous visitor of the probe widget is shown.
async fn visitor_sees(t: &TestApp, expected: &str) {
    let mut chat = Chat::open(t, "probe", None, 0).await;
    chat.bot_says(expected).await;
    assert!(
        !chat.messages.iter().any(|m| m["text"]
            .as_str()
            .is_some_and(|s| s.contains("INTERN-42") && expected == "KEINE ANTWORT")),
        "the secret reached the visitor"
    );
    chat.close().await;
}

#[tokio::test]
async fn private_addresses_are_closed_on_the_default_tenant_until_an_admin_opens_one() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let secret = secret_service().await;
    publish_probe_flow(&mut admin, &secret).await;

    // Closed by default, on the tenant the first start made.
    let r = admin.get("/api/v1/tenant/http-destinations").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"], json!([]));
    visitor_sees(&t, "KEINE ANTWORT").await;
    // The demo flows still reach Hotline's own demo endpoint (German demo: an appointment).
    let mut demo = Chat::open(&t, "demo-de", None, 0).await;
    demo.bot_says("Wobei kann ich helfen?").await;
    demo.say("d-1", "Ich möchte einen Impftermin").await;
    demo.bot_says("Postleitzahl").await;
    demo.say("d-2", "10115").await;
    demo.bot_says("Der nächste freie Termin ist am").await;
    demo.close().await;

    // Bad input changes nothing; only admins may open.
    for bad in ["127.0.0.1", "http://127.0.0.1:80", "*:80", ""] {
        let r = admin
            .post(
                "/api/v1/tenant/http-destinations",
                json!({"destination": bad}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    let (_, otp) = t.create_user(&mut admin, "super.visor", "supervisor").await;
    let (mut supervisor, _) = t
        .first_login("super.visor", &otp, "supervisor passphrase")
        .await;
    let r = supervisor
        .post(
            "/api/v1/tenant/http-destinations",
            json!({"destination": secret}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Opened: exactly that destination.
    let r = admin
        .post(
            "/api/v1/tenant/http-destinations",
            json!({"destination": secret}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["destination"], secret.as_str());
    visitor_sees(&t, "ANTWORT INTERN-42").await;

    // Closed again.
    let r = admin
        .delete(&format!("/api/v1/tenant/http-destinations/{secret}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = admin
        .delete(&format!("/api/v1/tenant/http-destinations/{secret}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    visitor_sees(&t, "KEINE ANTWORT").await;

    // Both changes are in the audit log, naming the destination.
    let audit = admin.get("/api/v1/audit?limit=50").await.body;
    let changes: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_type"] == "http_destination")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["object_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("http_destination.revoke".to_owned(), secret.clone()),
            ("http_destination.allow".to_owned(), secret.clone()),
        ]
    );
    t.stop().await;
}
