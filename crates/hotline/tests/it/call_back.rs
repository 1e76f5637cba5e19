//! Call-backs end to end, on loopback: a sipp caller with a caller id presses 0 for a person,
//! then 1 while waiting, hears that Hotline will call back and is hung up on; the task keeps
//! its place as a call-back and shows no number. When the agent accepts, Hotline calls the
//! caller's number through the trunk (a sipp acting as the trunk checks the number and the
//! caller id it shows), and once the caller answers rings the agent's registered phone and
//! bridges the two, media checked both ways. A call-back nobody answers goes back to the queue
//! and, after the last attempt, ends; the stored task keeps no number once it is not needed.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agent_phone::{
    AGENT_VOICE, CALLER_VOICE, RtpPeer, Sipp, accept, agent_and_phone_by, bridged, task_state,
};
use crate::calls::{sip_addr, stats, tenant};
use crate::contact_centre::Live;
use crate::support::{Client, TestApp, spawn_with};
use crate::voice::free_port;

/// The caller's number (as the trunk presents it) and the number they called.
pub(crate) const CALLER: &str = "+4915112345678";

/// A server whose call-backs go to a trunk at `trunk_port` on loopback.
async fn with_trunk(trunk_port: u16) -> TestApp {
    spawn_with(|s| s.sip.call_back_trunk = Some(format!("127.0.0.1:{trunk_port}"))).await
}

/// A caller of demo-en with caller id [`CALLER`] asks for a person, is offered to the agent
/// whose desk is `desk`, and (before anyone accepts) presses 1 until Hotline hangs up. Returns
/// the task.
pub(crate) async fn caller_asks_for_a_call_back(t: &TestApp, desk: &mut Live) -> Value {
    let mut peer = RtpPeer::spawn(CALLER_VOICE, AGENT_VOICE);
    let mut caller = Sipp::start(
        "caller_asks_for_call_back.xml",
        Some(sip_addr(t)),
        free_port(),
        &[
            "-s",
            "demo-en",
            "-key",
            "caller_rtp_port",
            &peer.port.to_string(),
            "-key",
            "caller",
            CALLER,
        ],
    );
    crate::agent_phone::first_audio(t, &mut peer, &mut caller).await;
    peer.press('0');
    let offer = desk.until("the offer", |f| f["type"] == "offer").await;
    let task = offer["task"].clone();
    assert_eq!(task["call_back"], Value::Null, "{task}");
    // Key 1 counts once the call waits in the queue; pressed again it asks nothing more.
    let finished = tokio::spawn(caller.finish());
    let pressing = async {
        loop {
            peer.press('1');
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    };
    let (ok, log) = tokio::select! {
        r = finished => r.unwrap(),
        () = pressing => unreachable!(),
    };
    assert!(
        ok,
        "Hotline did not hang up after promising the call-back: {log}"
    );
    task
}

/// The tenant's live task `id` as the supervisor sees it.
async fn live_task(admin: &mut Client, id: &str) -> Value {
    let r = admin.get("/api/v1/tasks").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        !r.body.to_string().contains(&CALLER[1..]),
        "the caller's number is shown: {}",
        r.body
    );
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Polls (5 s at most) until the live task satisfies `done`.
async fn task_until(admin: &mut Client, id: &str, what: &str, done: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let task = live_task(admin, id).await;
        if done(&task) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never saw {what}: {task}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The conversation as the supervisor sees it.
async fn conversation(admin: &mut Client, task: &Value) -> Value {
    let id = task["conversation_id"].as_str().unwrap();
    let r = admin.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// Waits for the conversation's status to become `status`: the desk's offer and the
/// caller's side are published one after the other, so a client may see the offer first.
async fn status_becomes(
    events: &mut tokio::sync::broadcast::Receiver<app::ConversationEvent>,
    status: app::ConversationStatus,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("the conversation never became {status:?}"))
            .expect("the conversation's events");
        if matches!(event, app::ConversationEvent::Status { state, .. } if state == status) {
            return;
        }
    }
}

/// Every task record of the contact centre, opened by the store (the rows are sealed).
async fn task_records(t: &TestApp) -> String {
    t.app()
        .store()
        .list_live_cc_tasks(tenant(t))
        .await
        .unwrap()
        .into_iter()
        .map(|task| task.record.expose().clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every task record of the SQLite store, as stored.
async fn stored_task_records(t: &TestApp) -> String {
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        t.data_dir().join("hotline.db").display()
    ))
    .await
    .unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT record FROM cc_tasks")
        .fetch_all(&db)
        .await
        .unwrap();
    db.close().await;
    rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_asks_to_be_called_back_is_called_through_the_trunk_and_bridged_to_the_agent()
{
    let _turn = crate::support::realtime_turn().await;
    let trunk_port = free_port();
    let t = with_trunk(trunk_port).await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, mut desk, phone, mut agent_peer) =
        agent_and_phone_by(&t, &mut admin, "agent_answers.xml", 0).await;
    let task = caller_asks_for_a_call_back(&t, &mut desk).await;
    let id = task["id"].as_str().unwrap();

    // The task waits as a call-back, keeping its place; the conversation waits for the call.
    task_until(&mut admin, id, "the call-back", |x| {
        x["call_back"] == json!({"pending": true, "attempts": 0})
    })
    .await;
    let c = conversation(&mut admin, &task).await;
    assert_eq!(c["status"], "call_back", "{c}");
    let told = c["messages"].as_array().unwrap().last().unwrap().clone();
    assert!(
        told["text"].as_str().unwrap().contains("call you back"),
        "{told}"
    );
    assert!(!c.to_string().contains(&CALLER[1..]), "{c}");
    assert!(
        task_records(&t).await.contains(CALLER),
        "the number is kept while the call-back is pending"
    );
    assert!(
        !stored_task_records(&t).await.contains(&CALLER[1..]),
        "but never stored in clear"
    );

    // The agent accepts: the trunk gets the call-back, the caller answers, the agent's phone
    // rings and the two are bridged.
    let mut callee = RtpPeer::spawn(CALLER_VOICE, AGENT_VOICE);
    let trunk = Sipp::start(
        "trunk_answers_call_back.xml",
        None,
        trunk_port,
        &["-key", "agent_rtp_port", &callee.port.to_string()],
    );
    let accepted = accept(&mut maria, &task).await;
    assert_eq!(accepted["state"], "assigned");
    bridged(&mut callee, &mut agent_peer).await;
    let s = stats(&t);
    assert_eq!(s.call_backs.load(Ordering::Relaxed), 1);
    assert_eq!(s.call_backs_answered.load(Ordering::Relaxed), 1);
    assert_eq!(s.agent_calls_answered.load(Ordering::Relaxed), 1);
    task_until(&mut admin, id, "the answered call-back", |x| {
        x["call_back"]["pending"] == false
    })
    .await;
    // Answered, the number is no longer kept.
    assert!(!task_records(&t).await.contains(&CALLER[1..]));
    assert_eq!(t.app().call_backs_in_progress(tenant(&t)), 1);

    // With one call at a time allowed, another caller's call-back accepted by another agent
    // meanwhile is not placed: the task goes back to the queue without losing an attempt.
    set_max_concurrent(&mut admin, 1).await;
    let (mut sven, _, _) = crate::agent_phone::agent_with_phone(&t, &mut admin, "sven").await;
    let mut sven_desk = Live::open(&t, &sven, "/api/v1/desk/ws").await.unwrap();
    sven_desk
        .until("snapshot", |f| f["type"] == "snapshot")
        .await;
    let second = caller_asks_for_a_call_back(&t, &mut sven_desk).await;
    accept(&mut sven, &second).await;
    let again = sven_desk
        .until("the second call-back offered again", |f| {
            f["type"] == "offer" && f["task"]["id"] == second["id"]
        })
        .await;
    assert_eq!(
        again["task"]["call_back"],
        json!({"pending": true, "attempts": 0}),
        "{again}"
    );
    assert_eq!(
        s.call_backs.load(Ordering::Relaxed),
        1,
        "nothing was dialled"
    );
    assert_eq!(t.app().call_backs_in_progress(tenant(&t)), 1);

    // The agent ends it on the desk: both legs end, the task goes to wrap-up.
    let r = maria
        .post(&format!("/api/v1/tasks/{id}/end"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (ok, log) = trunk.finish().await;
    assert!(ok, "the call-back did not go as the trunk expects: {log}");
    let (ok, log) = phone.finish().await;
    assert!(ok, "the agent's phone did not get its BYE: {log}");
    assert_eq!(
        task_state(&mut maria, &task).await.as_deref(),
        Some("wrap_up")
    );
    let c = conversation(&mut admin, &task).await;
    assert_eq!(c["status"], "ended", "{c}");
    // The ended call-back frees its place under the cap.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while t.app().call_backs_in_progress(tenant(&t)) != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ended call-back still counts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.stop().await;
}

/// Sets the tenant's concurrency cap on the calls it places (an admin's change).
async fn set_max_concurrent(admin: &mut Client, max: u32) {
    let mut settings = admin.get("/api/v1/contact-centre/settings").await.body;
    settings
        .as_object_mut()
        .unwrap()
        .remove("builtin_crisis_text");
    settings["outbound"]["max_concurrent"] = json!(max);
    let r = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/contact-centre/settings",
            Some(settings),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_call_back_goes_back_to_the_queue_and_ends_after_the_last_attempt() {
    let trunk_port = free_port();
    let t = with_trunk(trunk_port).await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, mut desk, _phone, _agent_peer) =
        agent_and_phone_by(&t, &mut admin, "agent_answers.xml", 0).await;
    let task = caller_asks_for_a_call_back(&t, &mut desk).await;
    let id = task["id"].as_str().unwrap().to_owned();
    // The caller's line is busy at every attempt.
    let trunk = Sipp::start(
        "agent_busy.xml",
        None,
        trunk_port,
        &["-m", &app::MAX_CALL_BACK_ATTEMPTS.to_string()],
    );
    let conversation_id: domain::ConversationId =
        task["conversation_id"].as_str().unwrap().parse().unwrap();
    for attempt in 1..=app::MAX_CALL_BACK_ATTEMPTS {
        let mut events = t.app().chat_subscribe(conversation_id);
        accept(&mut maria, &task).await;
        if attempt < app::MAX_CALL_BACK_ATTEMPTS {
            // Back in the queue, still a call-back, offered again.
            let offer = desk
                .until("the offer again", |f| {
                    f["type"] == "offer" && f["task"]["call_back"]["attempts"] == attempt
                })
                .await;
            assert_eq!(offer["task"]["call_back"]["pending"], true);
            status_becomes(&mut events, app::ConversationStatus::CallBack).await;
            let c = conversation(&mut admin, &task).await;
            assert_eq!(c["status"], "call_back", "{c}");
        } else {
            // The task goes to wrap-up first; the conversation ends after, under its own
            // lock: wait for that, not for the task.
            status_becomes(&mut events, app::ConversationStatus::Ended).await;
        }
    }
    let (ok, log) = trunk.finish().await;
    assert!(ok, "the trunk did not see three call-backs: {log}");
    // After the last attempt the agent wraps up and the conversation has ended.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while task_state(&mut maria, &task).await.as_deref() != Some("wrap_up") {
        assert!(tokio::time::Instant::now() < deadline, "never in wrap-up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = conversation(&mut admin, &task).await;
    assert_eq!(c["status"], "ended", "{c}");
    assert_eq!(
        stats(&t).call_backs_failed.load(Ordering::Relaxed),
        u64::from(app::MAX_CALL_BACK_ATTEMPTS)
    );
    assert!(!stored_task_records(&t).await.contains(&CALLER[1..]));
    assert_eq!(live_task(&mut admin, &id).await["state"], "wrap_up");
    // The caller can ask for their data with their number written any way: it is one
    // contact (found by its pseudonym; the number itself was not kept).
    let mut contacts = Vec::new();
    for written in [CALLER, "004915112345678", "015112345678"] {
        let r = admin
            .post("/api/v1/privacy/export", json!({"address": written}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{written}: {}", r.body);
        assert_eq!(r.body["conversations"][0]["id"], task["conversation_id"]);
        assert_eq!(r.body["conversations"][0]["address"], Value::Null);
        contacts.push(r.body["contact"].clone());
    }
    assert!(contacts.windows(2).all(|w| w[0] == w[1]), "{contacts:?}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_backs_to_premium_short_or_foreign_numbers_are_refused_until_an_admin_allows_them() {
    let trunk_port = free_port();
    let t = with_trunk(trunk_port).await;
    let (mut admin, _) = t.admin().await;
    let (caller, peer) =
        crate::agent_phone::demo_caller(&t, "caller_waits_for_an_agent.xml", 0).await;
    peer.press('0');
    let queued = crate::voice::queued_call(&t).await;
    let ask = |number: &str| {
        let app = t.app().clone();
        let (tenant, id) = (tenant(&t), queued.id);
        let number = domain::Redacted::new(number.to_owned());
        async move {
            app.call_back_requested(tenant, id, &number, "demo-en")
                .await
        }
    };
    for (number, reason) in [
        ("+49900123456", "premium-rate"),
        ("0900123456", "premium-rate"),
        ("+881612345678", "premium-rate"),
        ("+43123456789", "in that country"),
        ("+12125550100", "in that country"),
    ] {
        match ask(number).await {
            Err(app::AppError::Validation(errors)) => {
                assert!(errors[0].message.contains(reason), "{number}: {errors:?}");
            }
            other => panic!("{number}: {other:?}"),
        }
    }
    let c = t
        .app()
        .store()
        .get_conversation(tenant(&t), queued.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.status,
        app::ConversationStatus::Queued,
        "refusals change nothing"
    );

    // A supervisor cannot open other countries; an admin can, and bad policies are refused.
    let mut settings = admin.get("/api/v1/contact-centre/settings").await.body;
    assert_eq!(settings["outbound"]["home_country"], "49");
    // What the GET adds for reading (the built-in texts) is not part of a change.
    settings
        .as_object_mut()
        .unwrap()
        .remove("builtin_crisis_text");
    settings["outbound"]["allowed_countries"] = json!(["4x"]);
    let r = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/contact-centre/settings",
            Some(settings.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["field"], "outbound.allowed_countries",
        "{}",
        r.body
    );
    let (_, otp) = t.create_user(&mut admin, "sven", "supervisor").await;
    let (mut sven, _) = t
        .first_login("sven", &otp, crate::support::ADMIN_PASSWORD)
        .await;
    settings["outbound"]["allowed_countries"] = json!(["43"]);
    let r = sven
        .send(
            reqwest::Method::PUT,
            "/api/v1/contact-centre/settings",
            Some(settings.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/contact-centre/settings",
            Some(settings.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Premium stays closed; Austria is open now: the call-back is arranged, the caller hung up.
    assert!(ask("+49900123456").await.is_err());
    ask("+43123456789").await.unwrap();
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller was not hung up after the promise: {log}");
    t.stop().await;
}
