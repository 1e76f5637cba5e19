//! API keys: shown once, scoped by role, revocable, last use recorded.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn api_keys_are_scoped_by_role_and_stop_working_when_revoked() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;

    let r = admin
        .post(
            "/api/v1/api-keys",
            json!({"name": "CRM sync", "role": "integrator"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let key_id = r.body["key"]["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with("hlk_"));
    assert_eq!(r.body["key"]["last_used_at"], serde_json::Value::Null);

    // The token is never shown again.
    let listed = admin.get("/api/v1/api-keys").await;
    assert!(!listed.body.to_string().contains(&token));

    let mut integrator = t.client().with_bearer(&token);
    assert_eq!(
        integrator.get("/api/v1/tenant").await.status,
        StatusCode::OK
    );
    assert_eq!(
        integrator.get("/api/v1/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        integrator.get("/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let r = integrator
        .post(
            "/api/v1/users",
            json!({"username": "via-key", "display_name": "k", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = admin.get(&format!("/api/v1/api-keys/{key_id}")).await;
    assert_ne!(
        r.body["last_used_at"],
        serde_json::Value::Null,
        "last use recorded"
    );

    let r = admin
        .post(
            "/api/v1/api-keys",
            json!({"name": "Auditor export", "role": "auditor"}),
        )
        .await;
    let mut auditor = t.client().with_bearer(r.body["token"].as_str().unwrap());
    assert_eq!(auditor.get("/api/v1/audit").await.status, StatusCode::OK);
    assert_eq!(auditor.get("/api/v1/users").await.status, StatusCode::OK);
    assert_eq!(
        auditor
            .post("/api/v1/api-keys", json!({"name": "x", "role": "admin"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    assert_eq!(
        admin
            .delete(&format!("/api/v1/api-keys/{key_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        integrator.get("/api/v1/tenant").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        admin
            .delete(&format!("/api/v1/api-keys/{key_id}"))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let r = admin.get(&format!("/api/v1/api-keys/{key_id}")).await;
    assert_ne!(r.body["revoked_at"], serde_json::Value::Null);

    // A tampered token (right ids, wrong secret) is refused.
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        t.client()
            .with_bearer(&forged)
            .get("/api/v1/tenant")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.client()
            .with_bearer("hlk_garbage")
            .get("/api/v1/tenant")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    t.stop().await;
}
