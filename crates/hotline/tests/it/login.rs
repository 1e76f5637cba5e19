//! Login: the first-start admin flow, TOTP single use, backup codes, indistinguishable
//! failures and rate limits.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn first_start_admin_changes_password_and_enrols_totp() {
    let t = spawn_app().await;
    let mut c = t.client();

    let r = c
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": t.admin_otp}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["next"], "change_password");
    let set_cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in [
        "__Host-hotline_session=",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        // A half-finished login's cookie lives as long as the server keeps it: 10 minutes.
        "Max-Age=600",
    ] {
        assert!(
            set_cookie.contains(attribute),
            "cookie lacks {attribute}: {set_cookie}"
        );
    }
    let partial_cookie = c.cookie.clone().unwrap();

    // A partial session reaches nothing but the next login step.
    assert_eq!(
        c.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = c.get("/api/v1/auth/session").await;
    assert_eq!(r.body["next"], "change_password");
    assert_eq!(r.body["permissions"], json!([]));
    assert_eq!(
        c.post("/api/v1/auth/totp/enrol", json!({})).await.status,
        StatusCode::CONFLICT
    );

    // Password rules: too short, common, same as the username.
    for (bad, needle) in [
        ("short pw", "at least 12"),
        ("passwordpassword", "common"),
        ("qwertyuiopasdfgh", "common"),
    ] {
        let r = c
            .post("/api/v1/auth/password", json!({"new_password": bad}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert_eq!(r.body["errors"][0]["field"], "new_password");
        let msg = r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert!(msg.contains(needle), "{bad}: {msg}");
    }
    let r = c
        .post(
            "/api/v1/auth/password",
            json!({"new_password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["next"], "enrol_totp");

    let r = c.post("/api/v1/auth/totp/enrol", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let uri = r.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")),
        "{uri}"
    );
    assert!(r.body["qr_svg"].as_str().unwrap().contains("<svg"));

    let wrong = if t.code(&secret) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = c
        .post("/api/v1/auth/totp/confirm", json!({"code": wrong}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = c
        .post(
            "/api/v1/auth/totp/confirm",
            json!({"code": t.code(&secret)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["next"], "done");
    let full_cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(full_cookie.contains("Max-Age=43200"), "{full_cookie}");
    let codes = r.body["backup_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert_ne!(
        c.cookie.as_deref(),
        Some(partial_cookie.as_str()),
        "a new session id after login"
    );

    let r = c.get("/api/v1/auth/session").await;
    assert_eq!(r.body["next"], "done");
    assert_eq!(r.body["user"]["role"], "admin");
    assert_eq!(r.body["tenant"]["name"], "Demo");
    assert!(
        r.body["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("users_manage"))
    );
    let r = c.get("/api/v1/users").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"][0]["username"], "admin");
    assert_eq!(r.body["items"][0]["totp_enrolled"], true);
    assert_eq!(r.body["items"][0]["must_change_password"], false);

    // The old partial session is gone.
    let mut old = t.client();
    old.cookie = Some(partial_cookie);
    assert_eq!(
        old.get("/api/v1/auth/session").await.status,
        StatusCode::UNAUTHORIZED
    );

    // The one-time password no longer works.
    let r = t
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": t.admin_otp}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn a_totp_code_is_accepted_once_only() {
    let t = spawn_app().await;
    let (_, secret) = t.admin().await;

    // The code that confirmed enrolment cannot log in within its own time step.
    let code = t.code(&secret);
    let mut c = t.client();
    c.post(
        "/api/v1/auth/login",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await;
    let r = c.post("/api/v1/auth/totp", json!({"code": code})).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "replayed enrolment code accepted"
    );

    // A fresh code works once; the same code in a second login is refused.
    t.clock.advance_secs(30);
    let code = t.code(&secret);
    let mut first = t.client();
    first
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(
        first
            .post("/api/v1/auth/totp", json!({"code": code}))
            .await
            .status,
        StatusCode::OK
    );
    let mut second = t.client();
    second
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    let r = second
        .post("/api/v1/auth/totp", json!({"code": code}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["type"], "urn:hotline:problem:invalid-code");
    // Even a code of an older step is refused once a newer one was used.
    t.clock.advance_secs(30);
    let r = second
        .post("/api/v1/auth/totp", json!({"code": code}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn backup_codes_work_once_each() {
    let t = spawn_app().await;
    let mut c = t.client();
    c.post(
        "/api/v1/auth/login",
        json!({"username": "admin", "password": t.admin_otp}),
    )
    .await;
    c.post(
        "/api/v1/auth/password",
        json!({"new_password": ADMIN_PASSWORD}),
    )
    .await;
    let secret = c.post("/api/v1/auth/totp/enrol", json!({})).await.body["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c
        .post(
            "/api/v1/auth/totp/confirm",
            json!({"code": t.code(&secret)}),
        )
        .await;
    let backup = r.body["backup_codes"][3].as_str().unwrap().to_owned();

    let mut a = t.client();
    a.post(
        "/api/v1/auth/login",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await;
    let r = a
        .post(
            "/api/v1/auth/totp",
            json!({"backup_code": backup.to_uppercase()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(a.get("/api/v1/users").await.status, StatusCode::OK);

    let mut b = t.client();
    b.post(
        "/api/v1/auth/login",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await;
    let r = b
        .post("/api/v1/auth/totp", json!({"backup_code": backup}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = b
        .post(
            "/api/v1/auth/totp",
            json!({"code": "123456", "backup_code": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

fn median(mut samples: Vec<u128>) -> u128 {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let t = spawn_app().await;
    let (_, _) = t.admin().await;
    let mut wrong_pw = Vec::new();
    let mut unknown = Vec::new();
    let mut bodies = Vec::new();
    for round in 0..7 {
        // Rate limits are per account and per IP: keep below them by moving the clock on.
        t.clock.advance_secs(16 * 60);
        for (user, samples) in [("admin", &mut wrong_pw), ("nobody-here", &mut unknown)] {
            let started = Instant::now();
            let r = t
                .client()
                .post(
                    "/api/v1/auth/login",
                    json!({"username": user, "password": format!("wrong password {round}")}),
                )
                .await;
            samples.push(started.elapsed().as_micros());
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            let mut body = r.body.clone();
            body.as_object_mut().unwrap().remove("request_id");
            bodies.push(body);
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "responses differ: {bodies:?}"
    );
    // Both paths run one Argon2id verification; without the dummy hash an unknown user
    // would answer over ten times faster. The bound is loose because the machine is shared.
    let (known, unknown) = (median(wrong_pw), median(unknown));
    let ratio = known.max(unknown) as f64 / known.min(unknown).max(1) as f64;
    assert!(
        ratio < 4.0,
        "timing differs: wrong password {known} µs, unknown user {unknown} µs"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_throttled_login_writes_no_audit_entry_and_looks_up_nothing() {
    // The probe's attack: each 429 for an existing name wrote an audit row (1,000 requests,
    // 1,000 rows) and answered slower than for an unknown name.
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    t.create_user(&mut admin, "victim", "agent").await;
    let login_entries = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "auth.login")
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before = login_entries(&admin.get("/api/v1/audit?limit=500").await.body);
    for user in ["victim", "nobody-here"] {
        for _ in 0..5 {
            let r = t
                .client()
                .post(
                    "/api/v1/auth/login",
                    json!({"username": user, "password": "not the password"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        for _ in 0..100 {
            let r = t
                .client()
                .post(
                    "/api/v1/auth/login",
                    json!({"username": user, "password": "not the password"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        }
    }
    let after = login_entries(&admin.get("/api/v1/audit?limit=500").await.body);
    // Five failures and the one entry saying the throttle started; the 100 refusals wrote
    // nothing (and the unknown name nothing at all).
    let new: Vec<&str> = after[..after.len() - before.len()]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        new,
        [
            "denied", "failure", "failure", "failure", "failure", "failure"
        ],
        "newest first"
    );
    t.stop().await;
}

#[tokio::test]
async fn repeated_failures_get_429_with_retry_after_and_never_a_permanent_lock() {
    let t = spawn_app().await;
    t.admin().await;
    for user in ["admin", "ghost-user"] {
        let mut c = t.client();
        for _ in 0..5 {
            let r = c
                .post(
                    "/api/v1/auth/login",
                    json!({"username": user, "password": "not the password"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({"username": user, "password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{user}");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
        assert_eq!(r.body["type"], "urn:hotline:problem:rate-limited");
    }
    // After the window the right password works again.
    t.clock.advance_secs(15 * 60 + 1);
    let r = t
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Per source IP: many different accounts from one address.
    for i in 0..30 {
        let r = t
            .client()
            .post(
                "/api/v1/auth/login",
                json!({"username": format!("spray-{i}"), "password": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = t
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    t.stop().await;
}

#[tokio::test]
async fn wrong_totp_codes_are_rate_limited() {
    let t = spawn_app().await;
    let (_, secret) = t.admin().await;
    t.clock.advance_secs(30);
    let mut c = t.client();
    c.post(
        "/api/v1/auth/login",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await;
    let right = t.code(&secret);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        assert_eq!(
            c.post("/api/v1/auth/totp", json!({"code": wrong}))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = c.post("/api/v1/auth/totp", json!({"code": right})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    t.stop().await;
}

#[tokio::test]
async fn guessing_the_current_password_through_a_session_is_throttled() {
    // The probe's attack: a stolen session guessed the current password at ~30 per second.
    let t = spawn_app().await;
    let (mut c, _) = t.admin().await;
    let guess = |n: usize| json!({"current_password": format!("wrong guess number {n}"), "new_password": "another long passphrase"});
    for n in 0..5 {
        let r = c.post("/api/v1/auth/password", guess(n)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    // From now on even the right password is refused until the window has passed.
    let right =
        json!({"current_password": ADMIN_PASSWORD, "new_password": "another long passphrase"});
    let r = c.post("/api/v1/auth/password", guess(5)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let r = c.post("/api/v1/auth/password", right.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // After the 15-minute window (the session's 30-minute idle time has not passed).
    t.clock.advance_secs(16 * 60);
    let r = c.post("/api/v1/auth/password", right).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    t.stop().await;
}

#[tokio::test]
async fn a_signed_in_user_changes_the_password_with_the_current_one() {
    let t = spawn_app().await;
    let (mut c, secret) = t.admin().await;
    let r = c
        .post(
            "/api/v1/auth/password",
            json!({"new_password": "another long passphrase"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "current_password");
    let r = c
        .post(
            "/api/v1/auth/password",
            json!({"current_password": "wrong one entirely", "new_password": "another long passphrase"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut other = t.login("admin", ADMIN_PASSWORD, &secret).await;
    let r = c
        .post(
            "/api/v1/auth/password",
            json!({"current_password": ADMIN_PASSWORD, "new_password": "another long passphrase"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["next"], "done");
    // This session stays; the other one ended with the old password.
    assert_eq!(c.get("/api/v1/users").await.status, StatusCode::OK);
    assert_eq!(
        other.get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    t.login("admin", "another long passphrase", &secret).await;
    t.stop().await;
}

#[tokio::test]
async fn every_role_is_listed_with_what_it_may_do() {
    let t = crate::support::spawn_app().await;
    let r = t.client().get("/api/v1/roles").await;
    assert_eq!(
        r.status,
        reqwest::StatusCode::UNAUTHORIZED,
        "only for signed-in people"
    );
    let (mut admin, _) = t.admin().await;
    let r = admin.get("/api/v1/roles").await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    let items = r.body["items"].as_array().unwrap();
    let roles: Vec<&str> = items.iter().map(|i| i["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        ["admin", "supervisor", "agent", "auditor", "integrator"]
    );
    let of = |role: &str| -> Vec<String> {
        items.iter().find(|i| i["role"] == role).unwrap()["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(of("admin").contains(&"users_manage".to_owned()));
    assert!(of("agent").contains(&"conversations_handle".to_owned()));
    assert!(!of("agent").contains(&"users_manage".to_owned()));
    assert!(of("auditor").contains(&"audit_read".to_owned()));
    // The signed-in admin's own permissions are the admin role's.
    let session = admin.get("/api/v1/auth/session").await;
    let mine: Vec<String> = session.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mine, of("admin"));
    t.stop().await;
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_and_the_user_enrols_again() {
    let t = crate::support::spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (maria_id, otp) = t.create_user(&mut admin, "maria", "agent").await;
    let (mut maria, _) = t.first_login("maria", &otp, ADMIN_PASSWORD).await;
    assert_eq!(
        maria.get("/api/v1/auth/session").await.status,
        StatusCode::OK
    );

    // Not one's own: the admin's own second factor stays.
    let me = admin.get("/api/v1/auth/session").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = admin
        .post(
            &format!("/api/v1/users/{me}/reset-second-factor"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = admin
        .post(
            &format!("/api/v1/users/{maria_id}/reset-second-factor"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Her sessions ended; her password still works, and the next step is a new authenticator.
    assert_eq!(
        maria.get("/api/v1/auth/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut again = t.client();
    let r = again
        .post(
            "/api/v1/auth/login",
            json!({"username": "maria", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["next"], "enrol_totp");
    let users = admin.get("/api/v1/users").await;
    let row = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == maria_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["totp_enrolled"], false);
    // An agent cannot do it.
    let (mut agent, _) = {
        let (_, otp) = t.create_user(&mut admin, "lena", "agent").await;
        t.first_login("lena", &otp, ADMIN_PASSWORD).await
    };
    let r = agent
        .post(
            &format!("/api/v1/users/{maria_id}/reset-second-factor"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.stop().await;
}

#[tokio::test]
async fn backup_codes_are_counted_and_renewed_with_the_password() {
    let t = crate::support::spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let r = admin.get("/api/v1/auth/backup-codes").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["remaining"], 10);

    let r = admin
        .post(
            "/api/v1/auth/backup-codes",
            json!({"current_password": "not my password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin
        .post(
            "/api/v1/auth/backup-codes",
            json!({"current_password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes: Vec<&str> = r.body["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        admin.get("/api/v1/auth/backup-codes").await.body["remaining"],
        10
    );
    let audit = admin
        .get("/api/v1/audit?action=auth.backup_codes_renew")
        .await;
    let outcomes: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["success", "failure"]);
    t.stop().await;
}

#[tokio::test]
async fn a_disabled_user_is_deleted_with_what_hangs_on_the_account_and_the_name_is_free_again() {
    let t = crate::support::spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (maria_id, otp) = t.create_user(&mut admin, "maria", "admin").await;
    let (mut maria, _) = t.first_login("maria", &otp, ADMIN_PASSWORD).await;
    let r = maria
        .post(
            "/api/v1/api-keys",
            json!({"name": "ci", "role": "integrator"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let mut by_key = t.client().with_bearer(&token);
    assert_eq!(by_key.get("/api/v1/flows").await.status, StatusCode::OK);

    // Not while enabled, and never one's own account.
    let r = admin.delete(&format!("/api/v1/users/{maria_id}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "urn:hotline:problem:disable-first");
    let me = admin.get("/api/v1/auth/session").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = admin.delete(&format!("/api/v1/users/{me}")).await;
    assert_eq!(
        r.body["type"], "urn:hotline:problem:own-account",
        "{}",
        r.body
    );

    let r = admin
        .patch(
            &format!("/api/v1/users/{maria_id}"),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin.delete(&format!("/api/v1/users/{maria_id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // Gone: not listed, not found, her key dead, her session gone, her name free.
    assert_eq!(
        admin.get(&format!("/api/v1/users/{maria_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !admin
            .get("/api/v1/users")
            .await
            .body
            .to_string()
            .contains("maria")
    );
    assert_eq!(
        by_key.get("/api/v1/flows").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        maria.get("/api/v1/auth/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    t.create_user(&mut admin, "maria", "agent").await;
    // The audit log keeps the deletion, by id.
    let r = admin.get("/api/v1/audit?action=user.delete").await;
    assert_eq!(
        r.body["items"][0]["object_id"],
        maria_id.as_str(),
        "{}",
        r.body
    );
    t.stop().await;
}
