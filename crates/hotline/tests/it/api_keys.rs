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

#[tokio::test]
async fn a_key_acts_with_at_most_its_creators_current_role_and_dies_with_the_account() {
    // The probe's attack: a disabled admin's key still created a new admin user.
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (id, otp) = t.create_user(&mut admin, "second.admin", "admin").await;
    let (mut second, _) = t
        .first_login("second.admin", &otp, "second admin passphrase")
        .await;
    let r = second
        .post("/api/v1/api-keys", json!({"name": "ops", "role": "admin"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut key = t.client().with_bearer(r.body["token"].as_str().unwrap());
    let new_user = |name: &str| json!({"username": name, "display_name": "k", "role": "admin"});
    assert_eq!(
        key.post("/api/v1/users", new_user("made-by-key"))
            .await
            .status,
        StatusCode::CREATED
    );

    // Demoted to agent: the admin key can do no more than an agent.
    let r = admin
        .patch(&format!("/api/v1/users/{id}"), json!({"role": "agent"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        key.post("/api/v1/users", new_user("after-demotion"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(key.get("/api/v1/users").await.status, StatusCode::FORBIDDEN);

    // Disabled: the key authenticates nothing, even restored to admin.
    let r = admin
        .patch(
            &format!("/api/v1/users/{id}"),
            json!({"role": "admin", "disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        key.get("/api/v1/tenant").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        key.post("/api/v1/users", new_user("after-disabling"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let users = admin.get("/api/v1/users").await.body.to_string();
    assert!(users.contains("made-by-key"));
    assert!(!users.contains("after-demotion") && !users.contains("after-disabling"));
    t.stop().await;
}
