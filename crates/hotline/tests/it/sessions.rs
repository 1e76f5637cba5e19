//! Sessions: idle and absolute timeouts (with the manual clock), logout, logout
//! everywhere, an admin ending a user's sessions, CSRF protection.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn an_idle_session_expires_after_30_minutes() {
    let t = spawn_app().await;
    let (mut c, _) = t.admin().await;
    t.clock.advance_secs(29 * 60);
    assert_eq!(
        c.get("/api/v1/users").await.status,
        StatusCode::OK,
        "activity keeps it alive"
    );
    t.clock.advance_secs(29 * 60);
    assert_eq!(c.get("/api/v1/users").await.status, StatusCode::OK);
    t.clock.advance_secs(30 * 60);
    assert_eq!(
        c.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    t.stop().await;
}

#[tokio::test]
async fn a_busy_session_still_ends_after_12_hours() {
    let t = spawn_app().await;
    let (mut c, _) = t.admin().await;
    for _ in 0..(12 * 3 - 1) {
        t.clock.advance_secs(20 * 60);
        assert_eq!(c.get("/api/v1/users").await.status, StatusCode::OK);
    }
    t.clock.advance_secs(20 * 60);
    assert_eq!(
        c.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    t.stop().await;
}

#[tokio::test]
async fn logout_ends_this_session_and_logout_all_ends_every_session() {
    let t = spawn_app().await;
    let (mut first, secret) = t.admin().await;
    let mut second = t.login("admin", ADMIN_PASSWORD, &secret).await;
    let mut third = t.login("admin", ADMIN_PASSWORD, &secret).await;

    let r = third.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(
        r.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(first.get("/api/v1/users").await.status, StatusCode::OK);

    assert_eq!(
        first
            .post("/api/v1/auth/logout-all", json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        first.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        second.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    t.stop().await;
}

#[tokio::test]
async fn an_admin_ends_another_users_sessions_and_disabling_locks_them_out() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (id, otp) = t.create_user(&mut admin, "sup.one", "supervisor").await;
    let (mut sup, secret) = t
        .first_login("sup.one", &otp, "supervisor passphrase one")
        .await;
    assert_eq!(sup.get("/api/v1/users").await.status, StatusCode::OK);

    let r = admin
        .post(&format!("/api/v1/users/{id}/end-sessions"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sup.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );

    let mut sup = t
        .login("sup.one", "supervisor passphrase one", &secret)
        .await;
    let r = admin
        .patch(&format!("/api/v1/users/{id}"), json!({"disabled": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["disabled"], true);
    assert_eq!(
        sup.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    t.clock.advance_secs(30);
    let r = t
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"username": "sup.one", "password": "supervisor passphrase one"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a disabled user cannot log in"
    );
    t.stop().await;
}

#[tokio::test]
async fn cookie_authenticated_changes_need_the_csrf_token_and_our_origin() {
    let t = spawn_app().await;
    let (mut c, _) = t.admin().await;
    let body = json!({"username": "csrf.victim", "display_name": "x", "role": "agent"});

    let mut no_token = c.clone();
    no_token.csrf = None;
    let r = no_token.post("/api/v1/users", body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["type"], "urn:hotline:problem:csrf");

    let mut wrong = c.clone();
    wrong.csrf = Some("A".repeat(43));
    assert_eq!(
        wrong.post("/api/v1/users", body.clone()).await.status,
        StatusCode::FORBIDDEN
    );

    let req = c
        .request(Method::POST, "/api/v1/users")
        .header("origin", "https://evil.example")
        .json(&body);
    assert_eq!(c.finish(req).await.status, StatusCode::FORBIDDEN);
    // Our host and port under another scheme is another origin (the probe's finding).
    let host = t.base.trim_start_matches("http://").to_owned();
    for origin in [
        format!("https://{host}"),
        format!("ftp://{host}"),
        host.clone(),
    ] {
        let req = c
            .request(Method::POST, "/api/v1/users")
            .header("origin", origin.as_str())
            .json(&body);
        assert_eq!(
            c.finish(req).await.status,
            StatusCode::FORBIDDEN,
            "{origin}"
        );
    }
    // Reads need no token; nothing was created.
    let r = no_token.get("/api/v1/users").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);

    // Our own origin, as a browser sends it, with the token: created.
    let req = c
        .request(Method::POST, "/api/v1/users")
        .header("origin", format!("http://{host}"))
        .json(&body);
    assert_eq!(c.finish(req).await.status, StatusCode::CREATED);
    t.stop().await;
}

#[tokio::test]
async fn roles_limit_what_a_user_sees() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (_, otp) = t.create_user(&mut admin, "agent.one", "agent").await;
    let (mut agent, _) = t
        .first_login("agent.one", &otp, "agent passphrase one")
        .await;
    assert_eq!(
        agent.get("/api/v1/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        agent.get("/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(agent.get("/api/v1/tenant").await.status, StatusCode::OK);
    let (_, otp) = t.create_user(&mut admin, "auditor.one", "auditor").await;
    let (mut auditor, _) = t
        .first_login("auditor.one", &otp, "auditor passphrase one")
        .await;
    assert_eq!(auditor.get("/api/v1/audit").await.status, StatusCode::OK);
    assert_eq!(auditor.get("/api/v1/audit/verify").await.body["ok"], true);
    let r = auditor
        .post(
            "/api/v1/users",
            json!({"username": "sneaky", "display_name": "s", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nobody changes their own role.
    let me = admin.get("/api/v1/auth/session").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = admin
        .patch(&format!("/api/v1/users/{me}"), json!({"role": "agent"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}
