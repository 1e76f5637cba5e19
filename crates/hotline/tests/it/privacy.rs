//! Privacy end to end, as an operator uses it: a number's caller-ID mode decides what a call
//! keeps of the caller; an admin sets retention periods (bad periods are refused and change
//! nothing), exports everything about a caller by their number (transcript, number,
//! voicemail), and the retention job — on the server's clock, moved forward by the test —
//! forgets the number, then the recording, then the conversation, each after its period;
//! an erasure during a running call ends the call and leaves nothing; the audit log keeps
//! source addresses as the tenant's mode says; the Art. 30 record follows the configuration.

use std::time::Duration;

use app::Clock;
use data_encoding::BASE64;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::calls::{sip_addr, tenant};
use crate::support::{ADMIN_PASSWORD, Client, TestApp, spawn_app};
use crate::voice::{bot_says, pcm_pcap, queued_call, scenario, sipp_with, tone};

const DAY_SECS: i64 = 24 * 60 * 60;

/// Binds demo-en to its flow again with `mode`; returns the number as the API shows it.
async fn set_caller_id(admin: &mut Client, mode: &str) -> Value {
    let numbers = admin.get("/api/v1/phone-numbers").await.body;
    let demo = numbers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["number"] == "demo-en")
        .unwrap()
        .clone();
    let r = admin
        .send(
            Method::PUT,
            "/api/v1/phone-numbers/demo-en",
            Some(json!({"flow_id": demo["flow_id"], "language": demo["language"], "caller_id": mode})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// The tenant's audit entries, newest first.
async fn audit(admin: &mut Client) -> Vec<Value> {
    let r = admin.get("/api/v1/audit?limit=200").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

/// Moves the server's clock and waits for the retention pass that follows (30 s at most):
/// the job sleeps on that clock and runs when it passes the next hour. Then `done` must hold.
async fn advance_until<F, Fut>(t: &TestApp, secs: i64, what: &str, done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    retention_pass(t, secs).await;
    assert!(done().await, "after the retention pass: {what}");
}

/// Moves the clock by `secs` and waits until a retention pass that began afterwards finished.
async fn retention_pass(t: &TestApp, secs: i64) {
    t.clock.advance_secs(secs);
    let moved = t.clock.now().millis();
    let mut passes = t.app().retention_passes();
    tokio::time::timeout(
        Duration::from_secs(30),
        passes.wait_for(|began| *began >= moved),
    )
    .await
    .expect("a retention pass after the clock moved")
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_data_is_exported_and_then_expires_class_by_class() {
    let t = spawn_app().await;
    let (mut admin, secret) = t.admin().await;
    let number = set_caller_id(&mut admin, "identified").await;
    assert_eq!(number["caller_id"], "identified");

    // Retention: bad periods and unknown fields are refused and change nothing.
    let before = admin.get("/api/v1/privacy/settings").await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["retention"]["transcripts_days"], 90);
    for bad in [
        json!({"retention": {"transcripts_days": 0, "recordings_days": 7, "addresses_days": 2, "audit_metadata_days": 60}, "audit_source_ip": "identified"}),
        json!({"retention": {"transcripts_days": 30, "recordings_days": 7, "addresses_days": 2, "audit_metadata_days": 4000}, "audit_source_ip": "identified"}),
        json!({"retention": {"transcripts_days": 30, "recordings_days": 7, "addresses_days": 2, "audit_metadata_days": 60}, "audit_source_ip": "hidden"}),
        json!({"retention": {"transcripts_days": 30, "recordings_days": 7, "addresses_days": 2, "audit_metadata_days": 60, "forever": 1}, "audit_source_ip": "identified"}),
    ] {
        let r = admin
            .send(Method::PUT, "/api/v1/privacy/settings", Some(bad.clone()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    assert_eq!(
        admin.get("/api/v1/privacy/settings").await.body,
        before.body
    );
    let settings = json!({"retention": {"transcripts_days": 30, "recordings_days": 7, "addresses_days": 2, "audit_metadata_days": 60}, "audit_source_ip": "identified"});
    let r = admin
        .send(
            Method::PUT,
            "/api/v1/privacy/settings",
            Some(settings.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, settings);

    // A caller (From: sipp) waits in the queue, nobody answers, they leave a voicemail.
    let work = tempfile::tempdir().unwrap();
    let pcap = work.path().join("voice.pcap");
    std::fs::write(&pcap, pcm_pcap(&tone(3))).unwrap();
    let scenario_path = work.path().join("queue_voicemail.xml");
    let text = std::fs::read_to_string(scenario("queue_voicemail.xml"))
        .unwrap()
        .replace("@PCAP@", pcap.to_str().unwrap());
    std::fs::write(&scenario_path, text).unwrap();
    let target = sip_addr(&t);
    let call = tokio::task::spawn_blocking(move || sipp_with(target, &scenario_path, "demo-en"));
    let queued = queued_call(&t).await;
    let mut events = t.app().chat_subscribe(queued.id);
    t.clock.advance_secs(901);
    bot_says(&mut events, "Leave us a message").await;
    let (ok, log) = call.await.unwrap();
    assert!(ok, "sipp call failed: {log}");
    let conversation = queued.id.to_string();

    // The caller asks for their data: found by their number. The voicemail is written
    // before the call's driver ends (and the call counts as ended).
    crate::calls::ended_call(&t).await;
    let r = admin
        .post("/api/v1/privacy/export", json!({"address": "sipp"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let export = r.body;
    assert_eq!(
        export["conversations"][0]["recordings"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the voicemail: {export}"
    );
    let contact = export["contact"].as_str().unwrap().to_owned();
    assert!(contact.starts_with("p_"), "{contact}");
    let conversations = export["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 1);
    let c = &conversations[0];
    assert_eq!(c["id"], conversation);
    assert_eq!(c["channel"], "voice");
    assert_eq!(c["address"], "sipp");
    assert!(
        c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["from"] == "bot"
                && m["text"].as_str().unwrap().contains("Leave us a message")),
        "{c}"
    );
    let wav = BASE64
        .decode(
            c["recordings"][0]["data_base64"]
                .as_str()
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    assert!(wav.starts_with(b"RIFF"), "the recording, opened");
    let reference = c["recordings"][0]["reference"].as_str().unwrap().to_owned();
    let file = t.data_dir().join("recordings").join(&reference);
    assert!(file.exists());

    // By the pseudonym, the same; bad requests are refused; nobody else is found.
    let r = admin
        .post("/api/v1/privacy/export", json!({"contact": contact}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["conversations"][0]["id"], conversation);
    for (body, status) in [
        (json!({"address": "somebody-else"}), StatusCode::NOT_FOUND),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"address": "sipp", "contact": contact}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"conversation_id": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"contact": "+4930"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = admin.post("/api/v1/privacy/export", body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }
    // The export is audited under the pseudonym: the number appears nowhere in the log.
    let log = audit(&mut admin).await;
    assert!(
        log.iter()
            .any(|e| e["action"] == "contact.export" && e["object_id"] == contact.as_str())
    );
    assert!(!serde_json::to_string(&log).unwrap().contains("sipp"));

    // Day 3: the number is forgotten; the conversation and the recording stay.
    let store = t.app().store().clone();
    let (tn, id) = (tenant(&t), queued.id);
    advance_until(&t, 3 * DAY_SECS, "the number to expire", || {
        let store = store.clone();
        async move {
            store
                .conversation_contact(tn, id)
                .await
                .unwrap()
                .is_some_and(|(_, address)| address.is_none())
        }
    })
    .await;
    // Days later the admin signs in again (sessions end after 12 hours).
    let mut admin = t.login("admin", ADMIN_PASSWORD, &secret).await;
    let r = admin
        .post("/api/v1/privacy/export", json!({"contact": contact}))
        .await;
    assert_eq!(r.body["conversations"][0]["address"], Value::Null);
    assert_eq!(
        r.body["conversations"][0]["recordings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Day 8: the recording's key and file are gone; the transcript stays.
    advance_until(&t, 5 * DAY_SECS, "the recording to expire", || {
        let file = file.clone();
        async move { !file.exists() }
    })
    .await;
    let mut admin = t.login("admin", ADMIN_PASSWORD, &secret).await;
    let r = admin
        .post("/api/v1/privacy/export", json!({"contact": contact}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["conversations"][0]["recordings"], json!([]));
    assert!(
        !r.body["conversations"][0]["messages"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Day 31: the conversation, its key and everything of it are gone.
    advance_until(&t, 23 * DAY_SECS, "the conversation to expire", || {
        let store = store.clone();
        async move { store.get_conversation(tn, id).await.unwrap().is_none() }
    })
    .await;
    let mut admin = t.login("admin", ADMIN_PASSWORD, &secret).await;
    let r = admin
        .post("/api/v1/privacy/export", json!({"contact": contact}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(
        store
            .messages_after(tn, id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .cc_tasks_of_conversation(tn, id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        log_actions(&mut admin)
            .await
            .contains(&"tenant.data_expire".to_owned()),
        "the retention job is audited"
    );
    t.stop().await;
}

async fn log_actions(admin: &mut Client) -> Vec<String> {
    audit(admin)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_caller_during_their_call_ends_it_and_leaves_nothing() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    // The default mode: a pseudonym only, which still finds the caller by their number.
    assert_eq!(
        set_caller_id(&mut admin, "pseudonymised").await["caller_id"],
        "pseudonymised"
    );
    let (caller, peer) =
        crate::agent_phone::demo_caller(&t, "caller_waits_for_an_agent.xml", 0).await;
    peer.press('0');
    let queued = queued_call(&t).await;
    let (tn, id) = (tenant(&t), queued.id);
    // A pseudonym; the number is kept sealed only while the conversation may still need it
    // (a follow-up SMS through the number proxy), and no one can read it.
    assert!(
        t.app()
            .store()
            .contact_address_transient(tn, id)
            .await
            .unwrap(),
        "the number is transient"
    );
    let r = admin
        .get(&format!("/api/v1/conversations/{id}/address"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let r = admin
        .post("/api/v1/privacy/erase", json!({"address": "sipp"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["conversations"], 1);
    assert_eq!(r.body["ended_running"], 1);
    let contact = r.body["contact"].as_str().unwrap().to_owned();
    // The caller is hung up on.
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller did not get Hotline's BYE: {log}");
    let store = t.app().store();
    assert!(store.get_conversation(tn, id).await.unwrap().is_none());
    assert!(
        store
            .messages_after(tn, id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .conversations_of_contact(tn, &contact)
            .await
            .unwrap()
            .is_empty()
    );
    let queues = admin.get("/api/v1/queues").await.body;
    assert!(
        queues["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["live"]["waiting"] == 0 && q["live"]["offered"] == 0),
        "nobody waits any more: {queues}"
    );
    // A second erasure finds nothing; the first is audited under the pseudonym.
    let r = admin
        .post("/api/v1/privacy/erase", json!({"address": "sipp"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let log = audit(&mut admin).await;
    assert!(
        log.iter()
            .any(|e| e["action"] == "contact.erase" && e["object_id"] == contact.as_str())
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_source_addresses_follow_the_tenants_mode_and_the_record_follows_the_setup() {
    let t = spawn_app().await;
    let (mut admin, secret) = t.admin().await;
    let put = |mode: &str| json!({"retention": {"transcripts_days": 90, "recordings_days": 30, "addresses_days": 30, "audit_metadata_days": 60}, "audit_source_ip": mode});
    for mode in ["pseudonymised", "anonymous", "identified"] {
        let r = admin
            .send(Method::PUT, "/api/v1/privacy/settings", Some(put(mode)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // This change itself is the newest entry, written under the new mode.
        let newest = audit(&mut admin).await[0].clone();
        assert_eq!(newest["action"], "tenant.privacy_settings");
        match mode {
            "identified" => assert_eq!(newest["source_ip"], "127.0.0.1"),
            "pseudonymised" => {
                let ip = newest["source_ip"].as_str().unwrap();
                assert!(ip.starts_with("p_") && !ip.contains("127"), "{ip}");
            }
            _ => assert_eq!(newest["source_ip"], Value::Null),
        }
    }
    // The chain still verifies with sealed addresses.
    let r = admin.get("/api/v1/audit/verify").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["ok"], true, "{}", r.body);

    // 61 days on (the next month's key expired too): the entries stay, their addresses are gone.
    retention_pass(&t, 95 * DAY_SECS).await;
    let mut admin = t.login("admin", ADMIN_PASSWORD, &secret).await;
    let log = audit(&mut admin).await;
    let old: Vec<&Value> = log
        .iter()
        .filter(|e| e["action"] == "tenant.privacy_settings")
        .collect();
    assert_eq!(old.len(), 3, "the entries stay");
    assert!(
        old.iter().all(|e| e["source_ip"].is_null()),
        "the addresses expired: {old:?}"
    );
    let r = admin.get("/api/v1/audit/verify").await;
    assert_eq!(
        r.body["ok"], true,
        "the chain verifies after shredding: {}",
        r.body
    );

    // The Art. 30 record names the numbers' modes and the periods.
    set_caller_id(&mut admin, "anonymous").await;
    let r = admin.get("/api/v1/privacy/record").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let text = serde_json::to_string(&r.body).unwrap();
    assert!(text.contains("demo-en: caller ID anonymous"), "{text}");
    assert!(text.contains("Transcripts 90 days"), "{text}");
    assert!(text.contains("AES-256-GCM"), "{text}");
    t.stop().await;
}
