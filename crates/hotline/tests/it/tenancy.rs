//! Tenants are strictly apart: a user and an API key of tenant A get 404 on every object
//! route of tenant B (or the answer a missing object gets), lists show none of B's
//! objects, and B's objects stay unchanged.
//!
//! The table of cases, [`coverage`], is checked against the server's OpenAPI document: an
//! operation the document has and the table lacks fails the test, so a new route cannot
//! ship without its tenancy case (or a stated reason why it has none).

use std::collections::BTreeSet;

use app::{Principal, PrincipalKind, RequestMeta};
use domain::{AuthMethod, DisplayName, Role, TenantName, Username};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::spawn_app;

/// Tenant B's objects, as A might name them.
struct OnB {
    user: String,
    key: String,
    flow: String,
    task: String,
    conversation: String,
    proxy_session: String,
}

/// One request of A's at something of B's, and the status A must get.
struct Attempt {
    path: String,
    body: Option<Value>,
    status: StatusCode,
}

fn attempt(path: impl Into<String>, body: Option<Value>, status: StatusCode) -> Attempt {
    Attempt {
        path: path.into(),
        body,
        status,
    }
}

/// How the test covers one operation of the API.
enum Cover {
    /// Requests at B's objects (in the path or the body).
    Attempts(Vec<Attempt>),
    /// A listing of the caller's tenant: it must show nothing of B.
    Listing,
    /// Names no object of any tenant; the reason says why.
    Exempt(&'static str),
}

/// Every operation of the API, by method and OpenAPI path, with its cover.
fn coverage(b: &OnB) -> Vec<(Method, &'static str, Cover)> {
    use Cover::{Attempts, Exempt, Listing};
    const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
    // A body naming B's flow gets what a body naming no flow at all gets.
    const NO_SUCH_FLOW: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
    let (user, key, flow) = (&b.user, &b.key, &b.flow);
    let (task, conversation) = (&b.task, &b.conversation);
    let proxy_session = &b.proxy_session;
    let to_queue = json!({"queue": "beratung"});
    let widget = json!({"name": "x", "title": "x", "primary_color": "#000000", "greeting": "x",
        "allowed_origins": ["*"]});
    let mut widget_on_b_flow = widget.clone();
    widget_on_b_flow["flow_id"] = json!(flow);
    let mut new_widget_on_b_flow = widget_on_b_flow.clone();
    new_widget_on_b_flow["id"] = json!("a-widget");
    let task_cases = ["accept", "decline", "end", "transfer", "move", "wrap-up"].map(|verb| {
        let body = match verb {
            "transfer" | "move" => Some(to_queue.clone()),
            _ => Some(json!({})),
        };
        attempt(format!("/api/v1/tasks/{task}/{verb}"), body, NOT_FOUND)
    });
    let [accept, decline, end, transfer, move_task, wrap_up] = task_cases;
    vec![
        (
            Method::GET,
            "/api/v1/desk",
            Exempt("the caller's own desk: their own offers and tasks"),
        ),
        (Method::GET, "/api/v1/agents", Listing),
        (
            Method::PUT,
            "/api/v1/agents/{user_id}",
            Attempts(vec![attempt(
                format!("/api/v1/agents/{user}"),
                Some(json!({"capacity": {"voice": 1, "chat": 3}})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::PUT,
            "/api/v1/agents/{user_id}/sip",
            Attempts(vec![attempt(
                format!("/api/v1/agents/{user}/sip"),
                Some(json!({"username": "b-phone", "password": "a long phone password"})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::DELETE,
            "/api/v1/agents/{user_id}/sip",
            Attempts(vec![attempt(
                format!("/api/v1/agents/{user}/sip"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::PUT,
            "/api/v1/agents/{user_id}/presence",
            Attempts(vec![attempt(
                format!("/api/v1/agents/{user}/presence"),
                Some(json!({"presence": "offline"})),
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/tasks", Listing),
        (
            Method::POST,
            "/api/v1/tasks/{id}/accept",
            Attempts(vec![accept]),
        ),
        (
            Method::POST,
            "/api/v1/tasks/{id}/decline",
            Attempts(vec![decline]),
        ),
        (Method::POST, "/api/v1/tasks/{id}/end", Attempts(vec![end])),
        (
            Method::POST,
            "/api/v1/tasks/{id}/transfer",
            Attempts(vec![transfer]),
        ),
        (
            Method::POST,
            "/api/v1/tasks/{id}/move",
            Attempts(vec![move_task]),
        ),
        (
            Method::POST,
            "/api/v1/tasks/{id}/wrap-up",
            Attempts(vec![wrap_up]),
        ),
        (
            Method::GET,
            "/api/v1/conversations/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/follow-ups",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}/follow-ups"),
                Some(json!({"text": "Wie geht es Ihnen?"})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::GET,
            "/api/v1/conversations/{id}/proxy-sessions",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}/proxy-sessions"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/proxy-sessions",
            Attempts(vec![attempt(
                "/api/v1/proxy-sessions",
                Some(json!({"conversation_id": conversation, "operator_phone": "+4917012345678"})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::DELETE,
            "/api/v1/proxy-sessions/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/proxy-sessions/{proxy_session}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::GET,
            "/api/v1/conversations/{id}/deliveries",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}/deliveries"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::GET,
            "/api/v1/conversations/{id}/address",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}/address"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/messages",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}/messages"),
                Some(json!({"text": "hello"})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/notes",
            Attempts(vec![attempt(
                format!("/api/v1/conversations/{conversation}/notes"),
                Some(json!({"text": "note"})),
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/canned-responses", Listing),
        (
            Method::PUT,
            "/api/v1/canned-responses/{id}",
            Exempt("writes the caller's tenant's own answer; ids are per tenant"),
        ),
        (
            Method::DELETE,
            "/api/v1/canned-responses/{id}",
            Attempts(vec![attempt(
                "/api/v1/canned-responses/b-canned",
                None,
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/queues", Listing),
        (
            Method::PUT,
            "/api/v1/queues/{name}",
            Exempt("writes the caller's tenant's own queue; names are per tenant"),
        ),
        (
            Method::DELETE,
            "/api/v1/queues/{name}",
            Attempts(vec![attempt("/api/v1/queues/b-queue", None, NOT_FOUND)]),
        ),
        (
            Method::GET,
            "/api/v1/contact-centre/settings",
            Exempt("the caller's own tenant's settings"),
        ),
        (
            Method::PUT,
            "/api/v1/contact-centre/settings",
            Exempt("the caller's own tenant's settings"),
        ),
        (
            Method::GET,
            "/api/v1/privacy/settings",
            Exempt("the caller's own tenant's settings"),
        ),
        (
            Method::PUT,
            "/api/v1/privacy/settings",
            Exempt("the caller's own tenant's settings"),
        ),
        (Method::GET, "/api/v1/privacy/record", Listing),
        (
            Method::POST,
            "/api/v1/privacy/export",
            Attempts(vec![
                attempt(
                    "/api/v1/privacy/export",
                    Some(json!({"conversation_id": conversation})),
                    NOT_FOUND,
                ),
                attempt(
                    "/api/v1/privacy/export",
                    Some(json!({"address": "b-caller"})),
                    NOT_FOUND,
                ),
            ]),
        ),
        (
            Method::POST,
            "/api/v1/privacy/erase",
            Attempts(vec![
                attempt(
                    "/api/v1/privacy/erase",
                    Some(json!({"conversation_id": conversation})),
                    NOT_FOUND,
                ),
                attempt(
                    "/api/v1/privacy/erase",
                    Some(json!({"address": "b-caller"})),
                    NOT_FOUND,
                ),
            ]),
        ),
        (Method::GET, "/api/v1/kpis", Listing),
        (Method::GET, "/api/v1/api-keys", Listing),
        (
            Method::POST,
            "/api/v1/api-keys",
            Exempt("creates a key in the caller's tenant; names no object"),
        ),
        (
            Method::GET,
            "/api/v1/api-keys/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/api-keys/{key}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::DELETE,
            "/api/v1/api-keys/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/api-keys/{key}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/audit", Listing),
        (
            Method::GET,
            "/api/v1/audit/verify",
            Exempt("verifies the caller's own tenant's chain"),
        ),
        (
            Method::POST,
            "/api/v1/auth/login",
            Exempt("signs in; no tenant object"),
        ),
        (
            Method::POST,
            "/api/v1/auth/logout",
            Exempt("the caller's own session"),
        ),
        (
            Method::POST,
            "/api/v1/auth/logout-all",
            Exempt("the caller's own sessions"),
        ),
        (
            Method::GET,
            "/api/v1/auth/backup-codes",
            Exempt("the caller's own backup codes"),
        ),
        (
            Method::POST,
            "/api/v1/auth/backup-codes",
            Exempt("the caller's own backup codes"),
        ),
        (
            Method::POST,
            "/api/v1/auth/password",
            Exempt("the caller's own password"),
        ),
        (
            Method::GET,
            "/api/v1/auth/session",
            Exempt("the caller's own session"),
        ),
        (
            Method::POST,
            "/api/v1/auth/totp",
            Exempt("the caller's own second factor"),
        ),
        (
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Exempt("the caller's own second factor"),
        ),
        (
            Method::POST,
            "/api/v1/auth/totp/enrol",
            Exempt("the caller's own second factor"),
        ),
        (Method::GET, "/api/v1/flows", Listing),
        (
            Method::POST,
            "/api/v1/flows",
            Exempt("creates a flow in the caller's tenant from source text"),
        ),
        (
            Method::POST,
            "/api/v1/flows/check",
            Exempt("checks source text; reads no stored object"),
        ),
        (
            Method::POST,
            "/api/v1/flows/simulate",
            Exempt(
                "replays source text; reads no stored object (draft models are cached per tenant)",
            ),
        ),
        (
            Method::POST,
            "/api/v1/flows/understand",
            Exempt("classifies with source text; reads no stored object"),
        ),
        (
            Method::POST,
            "/api/v1/flows/intents",
            Exempt("reports on source text; reads no stored object"),
        ),
        (
            Method::POST,
            "/api/v1/flows/test",
            Exempt("runs the tests of source text; reads no stored object"),
        ),
        (
            Method::GET,
            "/api/v1/flows/schema",
            Exempt("the flow format's JSON Schema, the same for everyone"),
        ),
        (Method::GET, "/api/v1/prompts", Listing),
        (Method::GET, "/api/v1/conversations", Listing),
        (
            Method::PUT,
            "/api/v1/prompts/{name}",
            Exempt("uploads into the caller's own tenant: prompt names are per tenant"),
        ),
        (
            Method::DELETE,
            "/api/v1/prompts/{name}",
            Attempts(vec![attempt("/api/v1/prompts/b-prompt", None, NOT_FOUND)]),
        ),
        (
            Method::GET,
            "/api/v1/prompts/{name}/audio",
            Attempts(vec![attempt(
                "/api/v1/prompts/b-prompt/audio",
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/prompts/preview",
            Exempt("speaks the text in the body; reads no stored object"),
        ),
        (
            Method::GET,
            "/api/v1/roles",
            Exempt("the roles and their permissions, the same for every tenant"),
        ),
        (
            Method::GET,
            "/api/v1/flows/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::PUT,
            "/api/v1/flows/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}"),
                Some(json!({"source": app::DEMO_FLOW_EN})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::PUT,
            "/api/v1/flows/{id}/layout",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}/layout"),
                Some(json!({"positions": {"greeting": {"x": 1, "y": 2}}})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/flows/{id}/activate",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}/activate"),
                Some(json!({"version": 1})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/flows/{id}/publish",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}/publish"),
                Some(json!({})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/flows/{id}/rollback",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}/rollback"),
                Some(json!({})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::GET,
            "/api/v1/flows/{id}/versions",
            Attempts(vec![attempt(
                format!("/api/v1/flows/{flow}/versions"),
                None,
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/phone-numbers", Listing),
        (
            Method::PUT,
            "/api/v1/phone-numbers/{number}",
            Attempts(vec![
                // A number belongs to one tenant of the installation: claiming B's is a
                // conflict, which says no more than that the number is taken.
                attempt(
                    "/api/v1/phone-numbers/b-number",
                    Some(json!({"flow_id": null})),
                    StatusCode::CONFLICT,
                ),
                attempt(
                    "/api/v1/phone-numbers/a-number",
                    Some(json!({"flow_id": flow})),
                    NO_SUCH_FLOW,
                ),
            ]),
        ),
        (
            Method::DELETE,
            "/api/v1/phone-numbers/{number}",
            Attempts(vec![attempt(
                "/api/v1/phone-numbers/b-number",
                None,
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/tenant", Listing),
        (Method::GET, "/api/v1/tenant/http-destinations", Listing),
        (
            Method::POST,
            "/api/v1/tenant/http-destinations",
            Exempt("opens a destination for the caller's own tenant; names no object"),
        ),
        (
            Method::DELETE,
            "/api/v1/tenant/http-destinations/{destination}",
            Attempts(vec![attempt(
                "/api/v1/tenant/http-destinations/b.internal:80",
                None,
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/users", Listing),
        (
            Method::POST,
            "/api/v1/users",
            Exempt("creates a user in the caller's tenant; names no object"),
        ),
        (
            Method::GET,
            "/api/v1/users/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/users/{user}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::DELETE,
            "/api/v1/users/{id}",
            Attempts(vec![attempt(
                format!("/api/v1/users/{user}"),
                None,
                NOT_FOUND,
            )]),
        ),
        (
            Method::PATCH,
            "/api/v1/users/{id}",
            Attempts(vec![
                attempt(
                    format!("/api/v1/users/{user}"),
                    Some(json!({"disabled": true})),
                    NOT_FOUND,
                ),
                attempt(
                    format!("/api/v1/users/{user}"),
                    Some(json!({"role": "agent"})),
                    NOT_FOUND,
                ),
            ]),
        ),
        (
            Method::POST,
            "/api/v1/users/{id}/reset-second-factor",
            Attempts(vec![attempt(
                format!("/api/v1/users/{user}/reset-second-factor"),
                Some(json!({})),
                NOT_FOUND,
            )]),
        ),
        (
            Method::POST,
            "/api/v1/users/{id}/end-sessions",
            Attempts(vec![attempt(
                format!("/api/v1/users/{user}/end-sessions"),
                Some(json!({})),
                NOT_FOUND,
            )]),
        ),
        (Method::GET, "/api/v1/widgets", Listing),
        (
            Method::POST,
            "/api/v1/widgets",
            Attempts(vec![attempt(
                "/api/v1/widgets",
                Some(new_widget_on_b_flow),
                NO_SUCH_FLOW,
            )]),
        ),
        (
            Method::GET,
            "/api/v1/widgets/{id}",
            Attempts(vec![attempt("/api/v1/widgets/b-widget", None, NOT_FOUND)]),
        ),
        (
            Method::PUT,
            "/api/v1/widgets/{id}",
            Attempts(vec![
                attempt("/api/v1/widgets/b-widget", Some(widget), NOT_FOUND),
                attempt(
                    "/api/v1/widgets/demo-de",
                    Some(widget_on_b_flow),
                    NO_SUCH_FLOW,
                ),
            ]),
        ),
    ]
}

/// Every (method, path) of the OpenAPI document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in [
            "get", "put", "post", "patch", "delete", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn tenant_a_cannot_reach_tenant_b_objects() {
    let t = spawn_app().await;
    let (mut a_admin, _) = t.admin().await;
    let a_key = a_admin
        .post(
            "/api/v1/api-keys",
            json!({"name": "A admin key", "role": "admin"}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut a_key_client = t.client().with_bearer(&a_key);

    // Tenant B, created behind the API as an operator would with the CLI.
    let app = t.app();
    let b = app
        .create_tenant(
            TenantName::parse("Other office").unwrap(),
            Username::parse("b-admin").unwrap(),
            DisplayName::parse("B admin").unwrap(),
        )
        .await
        .unwrap();
    let b_user = app
        .create_user_as_system(
            b.tenant.id,
            Username::parse("b-agent").unwrap(),
            DisplayName::parse("B agent").unwrap(),
            Role::Agent,
        )
        .await
        .unwrap()
        .user;
    let b_admin_id = app
        .store()
        .find_login(&Username::parse("b-admin").unwrap())
        .await
        .unwrap()
        .unwrap()
        .1;
    let b_principal = Principal {
        tenant_id: b.tenant.id,
        kind: PrincipalKind::User {
            user_id: b_admin_id,
            session_hash: String::new(),
        },
        role: Role::Admin,
        auth_method: AuthMethod::Session,
        meta: RequestMeta::default(),
    };
    let b_key = app
        .create_api_key(
            &b_principal,
            DisplayName::parse("B key").unwrap(),
            Role::Integrator,
        )
        .await
        .unwrap();
    let b_flow = app
        .create_flow(&b_principal, app::DEMO_FLOW_DE)
        .await
        .unwrap()
        .flow;
    app.publish_flow(&b_principal, b_flow.id, "").await.unwrap();
    app.create_widget(
        &b_principal,
        app::WidgetSpec {
            id: Some("b-widget".to_owned()),
            name: "B".to_owned(),
            flow_id: Some(b_flow.id),
            title: "B".to_owned(),
            primary_color: "#000000".to_owned(),
            greeting: "B".to_owned(),
            allowed_origins: vec!["*".to_owned()],
        },
    )
    .await
    .unwrap();
    app.put_prompt(
        &b_principal,
        "b-prompt",
        media::wav::encode_pcm16(&[1000; 8000], 8000),
    )
    .await
    .unwrap();
    app.put_phone_number(
        &b_principal,
        app::PhoneNumberSpec {
            number: "b-number".to_owned(),
            flow_id: Some(b_flow.id),
            language: None,
            caller_id: None,
            channels: None,
            proxy: None,
        },
    )
    .await
    .unwrap();
    // B's agent has a phone.
    app.set_agent_sip_account(
        &b_principal,
        b_user.id,
        "b-phone",
        "b's long phone password",
    )
    .await
    .unwrap();
    // B's contact centre: a queue, a canned answer, and a caller waiting for a person.
    app.put_queue(&b_principal, "b-queue", app::QueueConfig::default())
        .await
        .unwrap();
    // B opened a destination on its private network.
    app.allow_private_http_destination(&b_principal, "b.internal:80")
        .await
        .unwrap();
    app.put_canned_response(
        &b_principal,
        "b-canned",
        app::CannedSpec {
            title: "B canned".to_owned(),
            text: "B text".to_owned(),
            language: None,
        },
    )
    .await
    .unwrap();
    let b_chat_widget = app.chat_widget("b-widget", None).await.unwrap();
    let b_chat = app
        .chat_open(&b_chat_widget, None, None, None)
        .await
        .unwrap();
    app.chat_user_message(
        b.tenant.id,
        b_chat.conversation,
        "b-1",
        "Ich möchte mit einem Menschen sprechen",
        None,
    )
    .await
    .unwrap();
    // B followed up on its caller through a proxy number.
    let b_session = store::ProxySession {
        tenant_id: b.tenant.id,
        id: domain::ProxySessionId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        conversation_id: b_chat.conversation,
        partner: domain::ProxyPartner::Desk,
        open: true,
        ttl_ms: 3_600_000,
        expires_at: app.now().plus_millis(3_600_000),
        created_at: app.now(),
        updated_at: app.now(),
    };
    app.store()
        .open_proxy_session(
            &b_session,
            &[store::ProxyParticipant {
                role: domain::ProxyRole::Contact,
                contact: "b-contact".to_owned(),
                address: Some(domain::Redacted::new("+4915112345678".to_owned())),
                proxy_number: "b-proxy".to_owned(),
            }],
        )
        .await
        .unwrap();
    let b_task = app.store().list_live_cc_tasks(b.tenant.id).await.unwrap();
    assert_eq!(b_task.len(), 1, "B's caller waits for a person");
    let b_tasks_before = b_task.clone();
    let b_numbers_before = app.list_phone_numbers(&b_principal).await.unwrap();
    let b_widget_before = app.get_widget(&b_principal, "b-widget").await.unwrap();
    let b_flow_before = app.get_flow(&b_principal, b_flow.id).await.unwrap().flow;
    let b_user_before = app.get_user(&b_principal, b_user.id).await.unwrap();
    let b_audit_before = app.store().audit_head(b.tenant.id).await.unwrap();
    let b_phone_before = app
        .store()
        .get_sip_account(b.tenant.id, b_user.id)
        .await
        .unwrap();
    assert!(b_phone_before.is_some());

    let on_b = OnB {
        user: b_user.id.to_string(),
        key: b_key.key.id.to_string(),
        flow: b_flow.id.to_string(),
        task: b_task[0].id.clone(),
        conversation: b_chat.conversation.to_string(),
        proxy_session: b_session.id.to_string(),
    };
    let table = coverage(&on_b);

    // The table covers exactly the operations the API documents.
    let doc = t.client().get("/api/openapi.json").await.body;
    let documented = operations(&doc);
    assert!(documented.len() > 30, "the document lists the API: {doc}");
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|(method, path, _)| (method.to_string(), (*path).to_owned()))
        .collect();
    assert_eq!(
        covered.len(),
        table.len(),
        "an operation is in the table twice"
    );
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a tenancy case (add them to `coverage`): {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "cases for operations the API no longer has: {stale:?}"
    );

    // What of B's must never show up in a listing of A's.
    let b_marks = [
        "Other office",
        "b-agent",
        "b-admin",
        "b-widget",
        "b-number",
        on_b.user.as_str(),
        on_b.key.as_str(),
        on_b.flow.as_str(),
        on_b.task.as_str(),
        on_b.conversation.as_str(),
        "b-queue",
        "b-canned",
        "b-prompt",
        "b-phone",
        "b.internal",
    ];
    for (who, client) in [
        ("A's admin session", &mut a_admin),
        ("A's admin API key", &mut a_key_client),
    ] {
        for (method, path, cover) in &table {
            match cover {
                Cover::Attempts(attempts) => {
                    for Attempt { path, body, status } in attempts {
                        let r = client.send(method.clone(), path, body.clone()).await;
                        assert_eq!(
                            r.status, *status,
                            "{who}: {method} {path} gave {} {}",
                            r.status, r.body
                        );
                    }
                }
                Cover::Listing => {
                    let r = client.send(method.clone(), path, None).await;
                    assert_eq!(
                        r.status,
                        StatusCode::OK,
                        "{who}: {method} {path}: {}",
                        r.body
                    );
                    let listed = r.body.to_string();
                    for mark in b_marks {
                        assert!(
                            !listed.contains(mark),
                            "{who}: {path} shows B's {mark:?}: {listed}"
                        );
                    }
                }
                Cover::Exempt(reason) => {
                    assert!(reason.len() > 10, "{method} {path}: say why it is exempt");
                }
            }
        }
    }

    // B is untouched: same user, key not revoked, proxy session open, no audit entries added
    // by A's attempts.
    assert_eq!(
        app.store()
            .get_proxy_session(b.tenant.id, b_session.id)
            .await
            .unwrap(),
        Some(b_session.clone())
    );
    assert_eq!(
        app.get_user(&b_principal, b_user.id).await.unwrap(),
        b_user_before
    );
    assert!(
        app.get_api_key(&b_principal, b_key.key.id)
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    assert_eq!(
        app.store().audit_head(b.tenant.id).await.unwrap(),
        b_audit_before
    );
    assert_eq!(
        app.get_widget(&b_principal, "b-widget").await.unwrap(),
        b_widget_before
    );
    assert_eq!(
        app.store()
            .get_prompt(b.tenant.id, "b-prompt")
            .await
            .unwrap()
            .map(|p| p.ulaw.len()),
        Some(8000),
        "B's prompt is untouched"
    );
    let b_tasks_after = app.store().list_live_cc_tasks(b.tenant.id).await.unwrap();
    assert_eq!(
        b_tasks_after
            .iter()
            .map(|t| (&t.id, &t.state))
            .collect::<Vec<_>>(),
        b_tasks_before
            .iter()
            .map(|t| (&t.id, &t.state))
            .collect::<Vec<_>>(),
        "B's task is untouched"
    );
    assert_eq!(
        app.get_flow(&b_principal, b_flow.id).await.unwrap().flow,
        b_flow_before
    );
    assert_eq!(
        app.list_phone_numbers(&b_principal).await.unwrap(),
        b_numbers_before
    );
    assert_eq!(
        app.store()
            .get_sip_account(b.tenant.id, b_user.id)
            .await
            .unwrap(),
        b_phone_before,
        "B's phone account is untouched"
    );
    assert_eq!(
        app.private_http_destinations(&b_principal).await.unwrap(),
        ["b.internal:80"],
        "B's destination is still open"
    );
    // B's key works on B and sees B.
    let r = t
        .client()
        .with_bearer(&b_key.token)
        .get("/api/v1/tenant")
        .await;
    assert_eq!(r.body["name"], "Other office");
    t.stop().await;
}
