//! The speech engines that run as servers, against servers started here that implement the
//! documented protocols faithfully (no German speech model can be installed on these
//! machines): the Vosk server's WebSocket protocol (`alphacep/vosk-server`, `asr_server.py`: a
//! JSON `config` message, binary 16-bit PCM, `{"eof" : 1}`, partial and final JSON results, one
//! answer per message) and the OpenAI-compatible `POST /v1/audio/transcriptions` (a multipart
//! form with `file`, `model`, `language`, `prompt`; `{"text": …}` back). Bad servers — down,
//! slow, answering garbage — give an error within the time limit, and a breaker stops asking.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};
use voice::asr::{
    AsrError, Breaker, Grammar, Recognizer, RemoteConfig, VoskRecognizer, WhisperRecognizer,
};

/// What a fake server saw.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<Value>>,
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr.to_string()
}

/// Half a second of faint noise, a second of a loud tone (the caller speaking), then a second
/// of faint noise: what the end-of-speech detector needs to see an utterance.
fn utterance() -> Vec<i16> {
    let mut seed = 12345u32;
    let mut noise = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        i16::try_from((seed >> 16) % 60).unwrap() - 30
    };
    let mut out = Vec::new();
    out.extend((0..4_000).map(|_| noise()));
    out.extend((0..8_000).map(|i| {
        let t = f64::from(i) / 8_000.0;
        (6_000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
    }));
    out.extend((0..8_000).map(|_| noise()));
    out
}

async fn recognise(engine: &dyn Recognizer, language: &str) -> Result<Option<String>, AsrError> {
    let grammar = Grammar::new(["Termin", "Befund", "ja"]);
    let mut stream = engine.start(&grammar, language).await?;
    for frame in utterance().chunks(160) {
        if stream.push(frame).is_final() {
            break;
        }
    }
    Ok(stream.finish().await?.map(|r| r.text))
}

/// Finds a form field's value in a multipart body.
fn field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"\r\n\r\n");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find("\r\n--")? + start;
    Some(body[start..end].to_owned())
}

async fn transcriptions(
    State(seen): State<Arc<Seen>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = String::from_utf8_lossy(&body).into_owned();
    let wav_at = text.find("RIFF");
    seen.requests.lock().unwrap().push(json!({
        "content_type": content_type,
        "language": field(&text, "language"),
        "prompt": field(&text, "prompt"),
        "model": field(&text, "model"),
        "wav": wav_at.is_some() && text.contains("filename=\"utterance.wav\""),
    }));
    (
        StatusCode::OK,
        json!({"text": " Ich brauche einen Termin. "}).to_string(),
    )
}

#[tokio::test]
async fn an_openai_compatible_transcription_server_hears_the_caller() {
    let seen = Arc::new(Seen::default());
    let addr = serve(
        axum::Router::new()
            .route("/v1/audio/transcriptions", post(transcriptions))
            .with_state(seen.clone()),
    )
    .await;
    let engine = WhisperRecognizer::new(
        RemoteConfig::new(format!("http://{addr}/v1/audio/transcriptions")),
        "whisper-1",
    );
    let heard = recognise(&engine, "de-DE").await.unwrap();
    assert_eq!(heard.as_deref(), Some("Ich brauche einen Termin."));
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert!(
        r["content_type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary="),
        "{r}"
    );
    assert_eq!(r["language"], "de");
    assert_eq!(r["model"], "whisper-1");
    assert_eq!(
        r["prompt"], "Termin, Befund, ja",
        "the expected phrases steer it"
    );
    assert_eq!(r["wav"], true, "{r}");
}

async fn vosk_session(mut socket: WebSocket, seen: Arc<Seen>, garbage: bool) {
    let mut audio = 0usize;
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                if v.get("config").is_some() {
                    seen.requests.lock().unwrap().push(v);
                } else if v.get("eof").is_some() {
                    let last = if garbage {
                        "this is not json".to_owned()
                    } else {
                        json!({"result": [{"conf": 0.9, "word": "ja"}, {"conf": 0.7, "word": "bitte"}],
                               "text": "ja bitte"})
                        .to_string()
                    };
                    let _ = socket.send(Message::text(last)).await;
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
            Message::Binary(b) => {
                audio += b.len();
                seen.requests
                    .lock()
                    .unwrap()
                    .push(json!({"audio_bytes": audio}));
                let _ = socket
                    .send(Message::text(json!({"partial": "ja"}).to_string()))
                    .await;
            }
            _ => {}
        }
    }
}

async fn vosk_server(garbage: bool) -> (Arc<Seen>, String) {
    let seen = Arc::new(Seen::default());
    let state = (seen.clone(), garbage);
    let addr = serve(
        axum::Router::new()
            .route(
                "/",
                get(
                    |State((seen, garbage)): State<(Arc<Seen>, bool)>,
                     ws: WebSocketUpgrade| async move {
                        ws.on_upgrade(move |socket| vosk_session(socket, seen, garbage))
                    },
                ),
            )
            .with_state(state),
    )
    .await;
    (seen, format!("ws://{addr}/"))
}

#[tokio::test]
async fn a_vosk_server_hears_the_caller_with_the_flows_phrases() {
    let (seen, url) = vosk_server(false).await;
    let engine = VoskRecognizer::new(RemoteConfig::new(url));
    let heard = recognise(&engine, "de").await.unwrap();
    assert_eq!(heard.as_deref(), Some("ja bitte"));
    let requests = seen.requests.lock().unwrap().clone();
    let config = &requests[0]["config"];
    assert_eq!(config["sample_rate"], 8000);
    assert_eq!(
        config["phrase_list"],
        json!(["termin", "befund", "ja", "[unk]"])
    );
    let bytes = requests
        .iter()
        .filter_map(|r| r["audio_bytes"].as_u64())
        .max()
        .unwrap();
    // The utterance with its pre-roll and tail, as 16-bit samples.
    assert!(bytes > 16_000 && bytes % 2 == 0, "{bytes} bytes of audio");
}

#[tokio::test]
async fn bad_servers_fail_within_the_time_limit_and_the_breaker_stops_asking() {
    // A Vosk server answering garbage.
    let (_, url) = vosk_server(true).await;
    let engine = VoskRecognizer::new(RemoteConfig::new(url));
    assert!(matches!(
        recognise(&engine, "de").await,
        Err(AsrError::BadOutput { .. })
    ));
    // Nobody listening.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    let engine = VoskRecognizer::new(RemoteConfig::new(format!("ws://{dead}/")));
    assert!(matches!(
        recognise(&engine, "de").await,
        Err(AsrError::EngineFailed { .. })
    ));
    // A transcription server that takes too long, then one that fails: after two failures
    // in a row the breaker refuses at once.
    let slow = serve(axum::Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "{}"
        }),
    ))
    .await;
    let mut config = RemoteConfig::new(format!("http://{slow}/v1/audio/transcriptions"));
    config.timeout = Duration::from_millis(300);
    let engine = WhisperRecognizer::new(config, "whisper-1")
        .with_breaker(Arc::new(Breaker::new(2, Duration::from_secs(60))));
    // Past its limit the answer is a time-out; without one it would be the server's "{}"
    // after 5 s, an answer without text.
    assert!(matches!(
        recognise(&engine, "de").await,
        Err(AsrError::Timeout { .. })
    ));
    assert!(matches!(
        recognise(&engine, "de").await,
        Err(AsrError::Timeout { .. })
    ));
    let refused = engine.start(&Grammar::new(["ja"]), "de").await;
    assert!(
        matches!(refused, Err(AsrError::EngineFailed { ref status, .. }) if status == "unavailable"),
        "{refused:?}"
    );
    let broken = serve(axum::Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
    ))
    .await;
    let engine = WhisperRecognizer::new(
        RemoteConfig::new(format!("http://{broken}/v1/audio/transcriptions")),
        "whisper-1",
    );
    assert!(matches!(
        recognise(&engine, "de").await,
        Err(AsrError::EngineFailed { .. })
    ));
}

// ---- text-to-speech engines by configuration ---------------------------------------------------

use voice::tts::{ByLanguage, ExternalEngine, ExternalSynthesizer, Synthesizer, TtsError, Voice};

fn german() -> Voice {
    Voice {
        language: "de".to_owned(),
        name: None,
    }
}

#[tokio::test]
async fn any_command_that_writes_a_wav_file_speaks_prompts() {
    let dir = tempfile::tempdir().unwrap();
    // espeak-ng itself, run as "any command": text on stdin, the WAV file named by {wav}.
    let command: Vec<String> = ["espeak-ng", "-v", "{voice}", "--stdin", "-w", "{wav}"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let engine = ExternalSynthesizer::new(ExternalEngine::Command(command), dir.path());
    let prompt = engine
        .synthesize("Willkommen bei der Hotline.", &german())
        .await
        .unwrap();
    assert!(prompt.duration_ms() > 500, "{prompt:?}");
    // Kept on disk, named by a hash; the temporary WAV file is gone.
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.iter().any(|f| f.ends_with(".pcm")), "{files:?}");
    assert!(!files.iter().any(|f| f.ends_with(".wav")), "{files:?}");
    let again = engine
        .synthesize("Willkommen bei der Hotline.", &german())
        .await
        .unwrap();
    assert_eq!(again, prompt);

    // A program that is not there, one that fails, one that writes nothing.
    let missing = ExternalSynthesizer::new(
        ExternalEngine::Command(vec!["no-such-tts-engine".to_owned(), "{wav}".to_owned()]),
        dir.path(),
    );
    assert!(matches!(
        missing.synthesize("Hallo", &german()).await,
        Err(TtsError::EngineMissing { .. })
    ));
    let failing = ExternalSynthesizer::new(
        ExternalEngine::Command(vec!["false".to_owned(), "{wav}".to_owned()]),
        dir.path(),
    );
    assert!(matches!(
        failing.synthesize("Hallo", &german()).await,
        Err(TtsError::EngineFailed { .. })
    ));
    let silent = ExternalSynthesizer::new(
        ExternalEngine::Command(vec!["true".to_owned(), "{wav}".to_owned()]),
        dir.path(),
    );
    assert!(matches!(
        silent.synthesize("Hallo", &german()).await,
        Err(TtsError::BadOutput { .. })
    ));
    let slow = ExternalSynthesizer::new(
        ExternalEngine::Command(
            ["sh", "-c", "sleep 5", "{wav}"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        ),
        dir.path(),
    )
    .with_timeout(Duration::from_millis(300));
    // Killed at its limit; without one it would end after 5 s having written nothing.
    assert!(matches!(
        slow.synthesize("Hallo", &german()).await,
        Err(TtsError::Timeout { .. })
    ));
}

async fn tts_endpoint(State(seen): State<Arc<Seen>>, body: axum::body::Bytes) -> Vec<u8> {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    seen.requests.lock().unwrap().push(request);
    // Half a second of a tone at 16 kHz, as an engine might speak.
    let samples: Vec<i16> = (0..8_000)
        .map(|i| (4_000.0 * (f64::from(i) * 0.2).sin()) as i16)
        .collect();
    media::wav::encode_pcm16(&samples, 16_000)
}

#[tokio::test]
async fn an_http_endpoint_speaks_prompts_and_languages_and_voices_choose_their_engine() {
    let seen = Arc::new(Seen::default());
    let addr = serve(
        axum::Router::new()
            .route("/speak", post(tts_endpoint))
            .route(
                "/broken",
                post(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
            )
            .with_state(seen.clone()),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let http: Arc<dyn Synthesizer> = Arc::new(ExternalSynthesizer::new(
        ExternalEngine::Http(format!("http://{addr}/speak")),
        dir.path(),
    ));
    let prompt = http.synthesize("Guten Tag", &german()).await.unwrap();
    // 8,000 samples at 16 kHz are 4,000 at 8 kHz.
    assert!(
        (3_900..=4_100).contains(&prompt.samples.len()),
        "{prompt:?}"
    );
    assert_eq!(
        seen.requests.lock().unwrap()[0],
        json!({"text": "Guten Tag", "language": "de", "voice": null})
    );
    let broken = ExternalSynthesizer::new(
        ExternalEngine::Http(format!("http://{addr}/broken")),
        dir.path(),
    );
    assert!(matches!(
        broken.synthesize("Guten Tag", &german()).await,
        Err(TtsError::EngineFailed { .. })
    ));

    // German goes to the endpoint, English to the other engine.
    let english_engine: Arc<dyn Synthesizer> = Arc::new(ExternalSynthesizer::new(
        ExternalEngine::Http(format!("http://{addr}/broken")),
        dir.path(),
    ));
    let by_language = ByLanguage::new(english_engine).with("de", http);
    let austrian = Voice {
        language: "de-AT".to_owned(),
        name: None,
    };
    assert!(by_language.synthesize("Servus", &austrian).await.is_ok());
    assert!(matches!(
        by_language.synthesize("Hello", &Voice::english()).await,
        Err(TtsError::EngineFailed { .. })
    ));

    // A voice of its own: "kerstin" goes to its engine (here one that is down), other German
    // voices to the language's.
    let kerstin_engine: Arc<dyn Synthesizer> = Arc::new(ExternalSynthesizer::new(
        ExternalEngine::Http(format!("http://{addr}/broken")),
        dir.path(),
    ));
    let http: Arc<dyn Synthesizer> = Arc::new(ExternalSynthesizer::new(
        ExternalEngine::Http(format!("http://{addr}/speak")),
        dir.path(),
    ));
    let by_voice = ByLanguage::new(Arc::new(ExternalSynthesizer::new(
        ExternalEngine::Http(format!("http://{addr}/broken")),
        dir.path(),
    )))
    .with("de", http)
    .with_voice("de", "kerstin", kerstin_engine);
    let voice = |name: &str| Voice {
        language: "de".to_owned(),
        name: Some(name.to_owned()),
    };
    let before = seen.requests.lock().unwrap().len();
    assert!(
        by_voice
            .synthesize("Hallo", &voice("thorsten"))
            .await
            .is_ok()
    );
    assert_eq!(
        seen.requests.lock().unwrap()[before],
        json!({"text": "Hallo", "language": "de", "voice": "thorsten"})
    );
    assert!(matches!(
        by_voice.synthesize("Hallo", &voice("kerstin")).await,
        Err(TtsError::EngineFailed { .. })
    ));
    assert_eq!(seen.requests.lock().unwrap().len(), before + 1);
}

// ---- a server that answers in another language, on a real call -----------------------------

/// A transcription server with a model of another language than the call's: whatever it
/// hears, it answers `said`.
async fn answering(said: &'static str) -> String {
    let addr = serve(axum::Router::new().route(
        "/v1/audio/transcriptions",
        post(move || async move { axum::Json(json!({ "text": said })) }),
    ))
    .await;
    format!("http://{addr}/v1/audio/transcriptions")
}

/// A server whose English callers are heard by `url`.
async fn english_heard_by(url: String) -> crate::support::TestApp {
    crate::support::spawn_with(|s| {
        s.asr.insert(
            "en".to_owned(),
            hotline::settings::AsrEngineSettings {
                engine: "whisper".to_owned(),
                url: Some(url),
                timeout_ms: 5_000,
                model: None,
            },
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_in_another_language_is_a_failure_and_the_call_goes_on_by_keys() {
    // German from the server of an English line: a model of the wrong language.
    let app = english_heard_by(answering("Ich warte auf mein Ergebnis vom Test").await).await;
    let (ok, log) = crate::voice::sipp_saying(
        &app,
        "I am waiting for my results",
        "speech_other_language.xml",
        "demo-en",
    )
    .await;
    assert!(ok, "sipp call failed: {log}");
    let c = crate::calls::ended_call(&app).await;
    let t = crate::calls::transcript(&app, &c).await;
    let users: Vec<&str> = crate::calls::said_by(&t, "user");
    assert_eq!(users, ["2", "3"], "the flow saw the keys only: {t:?}");
    let bot = crate::calls::said_by(&t, "bot").join("\n");
    assert!(bot.contains("Corona-Warn-App"), "key 2 answered: {bot}");
    assert!(bot.contains("stay healthy"), "key 3 ended it: {bot}");
    let stats = crate::calls::stats(&app);
    assert_eq!(
        stats
            .asr_other_language
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let metrics = app.metrics().await;
    for line in [
        "hotline_sip_asr_other_language_total 1",
        "hotline_sip_asr_failures_total 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line}: {metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_in_another_language_still_hands_the_caller_over() {
    let app = english_heard_by(answering("Ich will nicht mehr leben").await).await;
    let (ok, log) = crate::voice::sipp_saying(
        &app,
        "I am waiting for my results",
        "speech_then_hang_up.xml",
        "demo-en",
    )
    .await;
    assert!(ok, "sipp call failed: {log}");
    let c = crate::calls::ended_call(&app).await;
    let t = crate::calls::transcript(&app, &c).await;
    assert!(
        t.iter()
            .any(|(s, b)| s == "user" && b == "Ich will nicht mehr leben"),
        "the words are kept for the counsellor: {t:?}"
    );
    let crisis = app::builtin_crisis_text("en");
    assert!(
        t.iter().any(|(s, b)| s == "bot" && b == crisis),
        "the caller was told where help is: {t:?}"
    );
    assert_eq!(
        crate::calls::stats(&app)
            .asr_other_language
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}
