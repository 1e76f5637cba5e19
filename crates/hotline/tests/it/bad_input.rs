//! Bad input gets a clear 4xx problem+json and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn malformed_oversized_unknown_and_mistyped_bodies_are_refused_without_changes() {
    let t = spawn_app().await;
    let (mut c, _) = t.admin().await;
    let users_before = c.get("/api/v1/users").await.body;
    let audit_before = c.get("/api/v1/audit?limit=1").await.body["items"][0]["seq"].clone();

    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            c.request(Method::POST, "/api/v1/users").header("content-type", "application/json").body("{\"username\": "),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "unknown field",
            c.request(Method::POST, "/api/v1/users")
                .json(&json!({"username": "x.y.z", "display_name": "x", "role": "agent", "is_root": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "wrong type",
            c.request(Method::POST, "/api/v1/users").json(&json!({"username": 7, "display_name": "x", "role": "agent"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "invalid value",
            c.request(Method::POST, "/api/v1/users").json(&json!({"username": "a b", "display_name": "x", "role": "agent"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "unknown role",
            c.request(Method::POST, "/api/v1/users").json(&json!({"username": "abc", "display_name": "x", "role": "root"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "wrong content type",
            c.request(Method::POST, "/api/v1/users")
                .header("content-type", "text/plain")
                .body("{\"username\":\"abc\",\"display_name\":\"x\",\"role\":\"agent\"}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "oversized body",
            c.request(Method::POST, "/api/v1/users").header("content-type", "application/json").body(format!(
                "{{\"username\":\"abc\",\"display_name\":\"{}\",\"role\":\"agent\"}}",
                "x".repeat(2 * 1024 * 1024)
            )),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        ("invalid id", c.request(Method::GET, "/api/v1/users/not-a-uuid"), StatusCode::BAD_REQUEST, "invalid-id"),
        (
            "invalid id on change",
            c.request(Method::PATCH, "/api/v1/users/123").json(&json!({"disabled": true})),
            StatusCode::BAD_REQUEST,
            "invalid-id",
        ),
        ("unknown query parameter", c.request(Method::GET, "/api/v1/audit?evil=1"), StatusCode::BAD_REQUEST, "invalid-query"),
        ("unknown API route", c.request(Method::GET, "/api/v1/nothing-here"), StatusCode::NOT_FOUND, "not-found"),
        ("wrong method", c.request(Method::PUT, "/api/v1/users"), StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"),
    ];
    for (name, req, status, kind) in cases {
        let r = c.finish(req).await;
        assert_eq!(r.status, status, "{name}: {}", r.body);
        assert_eq!(
            r.headers["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{name}"
        );
        assert_eq!(
            r.body["type"],
            format!("urn:hotline:problem:{kind}"),
            "{name}"
        );
        assert_eq!(r.body["status"], status.as_u16(), "{name}");
        assert!(r.body["request_id"].is_string(), "{name}: no request id");
        let text = r.body.to_string();
        assert!(
            !text.contains("sqlx") && !text.contains("panicked"),
            "{name} leaks internals: {text}"
        );
    }
    // Value errors name the field, so the UI can show them beside it.
    let r = c
        .post(
            "/api/v1/users",
            json!({"username": "ab", "display_name": "x", "role": "agent"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "username", "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["message"],
        "must be at least 3 characters long"
    );
    assert_eq!(
        c.get("/api/v1/users").await.body,
        users_before,
        "users changed"
    );
    assert_eq!(
        c.get("/api/v1/audit?limit=1").await.body["items"][0]["seq"],
        audit_before,
        "audit changed"
    );
    t.stop().await;
}
