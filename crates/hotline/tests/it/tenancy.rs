//! Tenants are strictly apart: a user and an API key of tenant A get 404 on every object
//! route of tenant B, and B's objects stay unchanged.
//!
//! EVERY NEW OBJECT ROUTE MUST BE ADDED TO `routes_on_b` BELOW.

use app::{Principal, PrincipalKind, RequestMeta};
use domain::{AuthMethod, DisplayName, Role, TenantName, Username};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::spawn_app;

/// Every route that addresses one object, instantiated with tenant B's ids.
fn routes_on_b(b_user: &str, b_key: &str, b_flow: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/v1/flows/{b_flow}"), None),
        (
            Method::PUT,
            format!("/api/v1/flows/{b_flow}"),
            Some(json!({"source": app::DEMO_FLOW_EN})),
        ),
        (
            Method::POST,
            format!("/api/v1/flows/{b_flow}/publish"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/flows/{b_flow}/versions"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/flows/{b_flow}/rollback"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/flows/{b_flow}/activate"),
            Some(json!({"version": 1})),
        ),
        (Method::GET, "/api/v1/widgets/b-widget".to_owned(), None),
        (
            Method::PUT,
            "/api/v1/widgets/b-widget".to_owned(),
            Some(json!({"name": "x", "title": "x",
            "primary_color": "#000000", "greeting": "x", "allowed_origins": ["*"]})),
        ),
        (Method::GET, format!("/api/v1/users/{b_user}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{b_user}"),
            Some(json!({"disabled": true})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{b_user}"),
            Some(json!({"role": "agent"})),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{b_user}/end-sessions"),
            Some(json!({})),
        ),
        (Method::GET, format!("/api/v1/api-keys/{b_key}"), None),
        (Method::DELETE, format!("/api/v1/api-keys/{b_key}"), None),
        (
            Method::DELETE,
            "/api/v1/phone-numbers/b-number".to_owned(),
            None,
        ),
    ]
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
    app.publish_flow(&b_principal, b_flow.id).await.unwrap();
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
    app.put_phone_number(
        &b_principal,
        app::PhoneNumberSpec {
            number: "b-number".to_owned(),
            flow_id: Some(b_flow.id),
            language: None,
        },
    )
    .await
    .unwrap();
    let b_numbers_before = app.list_phone_numbers(&b_principal).await.unwrap();
    let b_widget_before = app.get_widget(&b_principal, "b-widget").await.unwrap();
    let b_flow_before = app.get_flow(&b_principal, b_flow.id).await.unwrap().flow;
    let b_user_before = app.get_user(&b_principal, b_user.id).await.unwrap();
    let b_audit_before = app.store().audit_head(b.tenant.id).await.unwrap();

    let routes = routes_on_b(
        &b_user.id.to_string(),
        &b_key.key.id.to_string(),
        &b_flow.id.to_string(),
    );
    for (who, client) in [
        ("A's admin session", &mut a_admin),
        ("A's admin API key", &mut a_key_client),
    ] {
        for (method, path, body) in &routes {
            let r = client.send(method.clone(), path, body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{who}: {method} {path} gave {} {}",
                r.status,
                r.body
            );
        }
        // A number belongs to one tenant of the installation: claiming B's is a conflict
        // (which says no more than that the number is taken) and changes nothing.
        let r = client
            .send(
                Method::PUT,
                "/api/v1/phone-numbers/b-number",
                Some(json!({"flow_id": null})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{who}: {}", r.body);
        let numbers = client.get("/api/v1/phone-numbers").await.body.to_string();
        assert!(!numbers.contains("b-number"), "{who} sees B's numbers");
        // Lists show only A's objects.
        let users = client.get("/api/v1/users").await.body.to_string();
        assert!(
            !users.contains("b-agent") && !users.contains("b-admin"),
            "{who} sees B's users"
        );
        let keys = client.get("/api/v1/api-keys").await.body.to_string();
        assert!(
            !keys.contains(&b_key.key.id.to_string()),
            "{who} sees B's keys"
        );
        let flows = client.get("/api/v1/flows").await.body.to_string();
        assert!(
            !flows.contains(&b_flow.id.to_string()),
            "{who} sees B's flows"
        );
        let widgets = client.get("/api/v1/widgets").await.body.to_string();
        assert!(!widgets.contains("b-widget"), "{who} sees B's widgets");
        let flows = client.get("/api/v1/flows").await.body.to_string();
        assert!(
            !flows.contains(&b_flow.id.to_string()),
            "{who} sees B's flows"
        );
        let widgets = client.get("/api/v1/widgets").await.body.to_string();
        assert!(!widgets.contains("b-widget"), "{who} sees B's widgets");
        let audit = client.get("/api/v1/audit").await.body.to_string();
        assert!(
            !audit.contains(&b_user.id.to_string()),
            "{who} sees B's audit log"
        );
    }

    // B is untouched: same user, key not revoked, no audit entries added by A's attempts.
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
        app.get_flow(&b_principal, b_flow.id).await.unwrap().flow,
        b_flow_before
    );
    assert_eq!(
        app.list_phone_numbers(&b_principal).await.unwrap(),
        b_numbers_before
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
