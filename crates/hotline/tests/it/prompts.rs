//! Recorded prompts over the API and on a call: an upload is decoded once into the telephone's
//! format and a `say` with `audio:` plays it to the caller; a flow naming a prompt that does not
//! exist is refused at publish; a prompt in use cannot be deleted; bad uploads (not audio, too
//! long, too large, a bad name) get a clear error and change nothing; a text can be heard as
//! synthesised speech before any call.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::agent_phone::caller_of;
use crate::support::{Client, realtime_turn, spawn_app};

/// The prompt's one sample value, and the µ-law byte a caller receives for it.
const LEVEL: i16 = 3000;

fn steady_wav(secs: u32, rate: u32) -> Vec<u8> {
    media::wav::encode_pcm16(&vec![LEVEL; (secs * rate) as usize], rate)
}

async fn upload(c: &mut Client, name: &str, bytes: Vec<u8>) -> crate::support::Reply {
    let req = c
        .request(Method::PUT, &format!("/api/v1/prompts/{name}"))
        .header("content-type", "application/octet-stream")
        .body(bytes);
    c.finish(req).await
}

const FLOW: &str = r#"
flow: 1
id: recorded
name: Recorded
language: de
languages: [de]
start: hello
nodes:
  - id: hello
    type: say
    text: "Willkommen, ich bin ein Bot."
    audio: AUDIO
    next: queue
  - id: queue
    type: enqueue
    queue: team
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_recording_is_played_on_calls_and_a_missing_one_stops_publishing() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;

    let r = upload(&mut admin, "willkommen", steady_wav(2, 8000)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["format"], "wav");
    assert_eq!(r.body["duration_ms"], 2000);

    // The player gets what callers hear, as WAV.
    let resp = admin
        .request(Method::GET, "/api/v1/prompts/willkommen/audio")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    let wav = media::wav::parse(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!((wav.sample_rate, wav.samples.len()), (8000, 16_000));

    // A flow naming a prompt that does not exist: an error as the operator types, and no
    // publishing.
    let missing = FLOW.replace("AUDIO", "fehlt");
    let r = admin
        .post("/api/v1/flows/check", json!({"source": missing}))
        .await;
    assert_eq!(r.body["valid"], false, "{}", r.body);
    let finding = r.body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-audio")
        .unwrap_or_else(|| panic!("{}", r.body));
    assert_eq!(finding["node"], "hello");
    let r = admin
        .post("/api/v1/flows", json!({"source": missing}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(&format!("/api/v1/flows/{id}/publish"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("missing-audio"), "{}", r.body);

    // With the uploaded prompt it publishes, answers a number, and the prompt cannot go.
    let r = admin
        .send(
            Method::PUT,
            &format!("/api/v1/flows/{id}"),
            Some(json!({"source": FLOW.replace("AUDIO", "willkommen")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .post(&format!("/api/v1/flows/{id}/publish"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .send(
            Method::PUT,
            "/api/v1/phone-numbers/recorded",
            Some(json!({"flow_id": id})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = admin.delete("/api/v1/prompts/willkommen").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "urn:hotline:problem:prompt-in-use");
    let r = admin.get("/api/v1/prompts").await;
    assert_eq!(
        r.body["items"][0]["used_by"],
        json!(["Recorded"]),
        "{}",
        r.body
    );

    // A call hears the recording, byte for byte (G.711 round-trips exactly), not the text.
    let _turn = realtime_turn().await;
    let (_caller, mut peer) = caller_of(
        &t,
        "recorded",
        "caller_waits_for_an_agent.xml",
        0,
        media::g711::ulaw_encode(LEVEL),
    )
    .await;
    peer.until("the recorded prompt", |h| h.voice >= 25).await;

    // The audit log names the upload.
    let r = admin.get("/api/v1/audit?action=prompt.put").await;
    assert_eq!(r.body["items"][0]["object_id"], "willkommen", "{}", r.body);
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_clear_reason_and_change_nothing() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let field_message = |r: &crate::support::Reply| r.body.to_string();

    let r = upload(
        &mut admin,
        "bild",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        field_message(&r).contains("not an audio file"),
        "{}",
        r.body
    );

    // Six minutes of an 8 kHz recording (5.8 MB) is longer than a prompt may be.
    let r = upload(&mut admin, "lang", steady_wav(6 * 60, 8000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        field_message(&r).contains("longer than 5 minutes"),
        "{}",
        r.body
    );

    // More than 20 MB is refused before it is decoded.
    let r = upload(&mut admin, "gross", vec![0u8; 20 * 1024 * 1024 + 1]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(field_message(&r).contains("20 MB"), "{}", r.body);

    let r = upload(&mut admin, "Mein%20Gruss", steady_wav(1, 8000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        field_message(&r).contains("lower-case letters"),
        "{}",
        r.body
    );

    let r = admin.get("/api/v1/prompts").await;
    assert_eq!(r.body["items"], json!([]), "nothing was stored: {}", r.body);
    let r = admin.delete("/api/v1/prompts/nichts").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Another tenant's staff see none of it; an upload without a session is refused.
    let r = t
        .client()
        .request(Method::PUT, "/api/v1/prompts/x")
        .body(steady_wav(1, 8000))
        .send()
        .await
        .unwrap();
    assert!(r.status() == StatusCode::UNAUTHORIZED || r.status() == StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_text_is_heard_as_a_call_would_speak_it() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let resp = admin
        .request(Method::POST, "/api/v1/prompts/preview")
        .json(&json!({"text": "Guten Tag, hier ist die Hotline.", "language": "de"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let wav = media::wav::parse(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(wav.sample_rate, 8000);
    let seconds = wav.samples.len() as f64 / 8000.0;
    assert!((1.0..6.0).contains(&seconds), "{seconds} s of speech");
    assert!(
        wav.samples.iter().any(|s| s.unsigned_abs() > 1000),
        "audible"
    );

    let r = admin
        .post(
            "/api/v1/prompts/preview",
            json!({"text": "Bonjour", "language": "fr"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
