//! The audit log over HTTP: what logins and changes write, and that entries hold ids only.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn logins_and_changes_are_audited_with_ids_only() {
    let t = spawn_app().await;
    let (mut admin, secret) = t.admin().await;
    let r = t
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": "definitely wrong"}),
        )
        .await;
    let failed_request_id = r.headers["x-request-id"].to_str().unwrap().to_owned();
    t.create_user(&mut admin, "new.agent", "agent").await;
    admin
        .post(
            "/api/v1/api-keys",
            json!({"name": "k", "role": "integrator"}),
        )
        .await;
    t.login("admin", ADMIN_PASSWORD, &secret).await;

    let page = admin.get("/api/v1/audit?limit=200").await;
    assert_eq!(page.status, StatusCode::OK);
    let items = page.body["items"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = items
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("tenant.create", "success"),
        ("user.create", "success"),
        ("auth.login", "success"),
        ("user.password_change", "success"),
        ("auth.totp_enrol_start", "success"),
        ("auth.totp_enrol", "success"),
        ("auth.login", "failure"),
        ("api_key.create", "success"),
        ("auth.second_factor", "success"),
    ] {
        assert!(
            actions.contains(&expected),
            "missing {expected:?} in {actions:?}"
        );
    }
    let failure = items
        .iter()
        .find(|e| e["action"] == "auth.login" && e["outcome"] == "failure")
        .unwrap();
    assert_eq!(failure["request_id"], failed_request_id);
    assert_eq!(failure["source_ip"], "127.0.0.1");
    assert_eq!(failure["actor_kind"], "user");

    // Sequence numbers count down without gaps, each entry links to the one before.
    let seqs: Vec<i64> = items.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] == w[1] + 1), "{seqs:?}");
    assert!(items.windows(2).all(|w| w[0]["prev_hash"] == w[1]["hash"]));

    // No personal data: no usernames, passwords or display names anywhere in the log.
    let text = Value::Array(items.clone()).to_string();
    for secret_text in [
        "admin\"",
        "new.agent",
        ADMIN_PASSWORD,
        "definitely wrong",
        &t.admin_otp,
    ] {
        assert!(
            !text.contains(secret_text),
            "audit log contains {secret_text}"
        );
    }

    // Paging.
    let first = admin.get("/api/v1/audit?limit=3").await.body;
    let next = first["next_before_seq"].as_i64().unwrap();
    let second = admin
        .get(&format!("/api/v1/audit?limit=3&before_seq={next}"))
        .await
        .body;
    assert_eq!(second["items"][0]["seq"].as_i64().unwrap(), next - 1);

    let verify = admin.get("/api/v1/audit/verify").await.body;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_eq!(verify["count"].as_u64().unwrap() as usize, seqs.len());
    t.stop().await;
}

#[tokio::test]
async fn refusals_are_audited_once_a_minute_per_caller_with_the_route() {
    // The probe: authorization failures and CSRF refusals were not audited. Audited one by
    // one they would let an attacker flood the log, so they are aggregated.
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (agent_id, otp) = t.create_user(&mut admin, "curious.agent", "agent").await;
    let (mut agent, _) = t
        .first_login("curious.agent", &otp, "curious agent passphrase")
        .await;
    for _ in 0..50 {
        assert_eq!(
            agent.get("/api/v1/users").await.status,
            StatusCode::FORBIDDEN
        );
    }
    let mut no_token = agent.clone();
    no_token.csrf = None;
    for _ in 0..20 {
        let r = no_token.post("/api/v1/auth/logout", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let refusals = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["object_type"] == "route")
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["object_id"].as_str().unwrap().to_owned(),
                    e["actor_id"].as_str().unwrap().to_owned(),
                    e["outcome"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let audit = admin.get("/api/v1/audit?limit=200").await.body;
    assert_eq!(
        refusals(&audit),
        [
            (
                "route.csrf_refused".to_owned(),
                "/api/v1/auth/logout".to_owned(),
                agent_id.clone(),
                "denied".to_owned()
            ),
            (
                "route.denied".to_owned(),
                "/api/v1/users".to_owned(),
                agent_id.clone(),
                "denied".to_owned()
            ),
        ],
        "newest first, one of each"
    );
    // A minute later the next refusal is audited again.
    t.clock.advance_secs(61);
    assert_eq!(
        agent.get("/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let audit = admin.get("/api/v1/audit?limit=200").await.body;
    let again = refusals(&audit);
    assert_eq!(again.len(), 3, "{again:?}");
    assert_eq!(again[0].1, "/api/v1/audit");
    t.stop().await;
}

#[tokio::test]
async fn the_log_is_filtered_by_action_outcome_actor_and_time_and_names_who_and_what() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (maria, _) = t.create_user(&mut admin, "maria", "agent").await;

    let page = admin.get("/api/v1/audit?action=user.create").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let items = page.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|e| e["action"] == "user.create"),
        "{items:?}"
    );
    // Who and what by name: the admin who acted, and maria, who was created.
    let created = items
        .iter()
        .find(|e| e["object_id"] == maria.as_str())
        .expect("maria's entry");
    let names = &page.body["names"];
    assert_eq!(names[maria.as_str()], "maria");
    assert_eq!(names[created["actor_id"].as_str().unwrap()], "admin");

    let actor = created["actor_id"].as_str().unwrap();
    let page = admin
        .get(&format!(
            "/api/v1/audit?actor_id={actor}&outcome=success&limit=200"
        ))
        .await;
    let items = page.body["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|e| e["actor_id"] == actor && e["outcome"] == "success")
    );
    let page = admin
        .get("/api/v1/audit?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")
        .await;
    assert_eq!(page.body["items"], json!([]));

    for bad in ["action=user.cr3ate", "outcome=maybe", "from=yesterday"] {
        let r = admin.get(&format!("/api/v1/audit?{bad}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    t.stop().await;
}
