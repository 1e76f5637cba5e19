//! Speech engines that run as servers, chosen by configuration: the Vosk server's WebSocket
//! protocol ([`VoskRecognizer`]) and the OpenAI-compatible `POST /v1/audio/transcriptions`
//! that local whisper servers offer ([`WhisperRecognizer`]); and [`ByLanguage`], which gives
//! each language its engine.
//!
//! Both keep the utterance in an [`UtteranceBuffer`] while the caller speaks (pushing stays
//! cheap and never blocks) and send it when the caller has finished, with the phrases the flow
//! expects as hints. Every request has a time limit, and a [`Breaker`] per engine stops asking
//! a server that failed several times in a row for a while: the call is told to use the keys
//! at once instead of waiting for a time-out on every question. What a caller said is personal
//! data: nothing here logs it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::{
    AsrError, Grammar, Recognition, RecognitionStream, Recognizer, UtteranceBuffer, VadConfig,
    VadEvent,
};

/// The sample rate callers' audio arrives at, and is sent at.
const RATE: u32 = 8_000;

/// Phrases sent as hints, at most (a prompt or phrase list has a size limit).
const MAX_HINT_PHRASES: usize = 100;

/// Stops asking an engine that failed `threshold` times in a row, for `cool_down`; the first
/// request after that is a trial whose outcome closes or reopens it.
#[derive(Debug)]
pub struct Breaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
    threshold: u32,
    cool_down: Duration,
}

impl Breaker {
    /// Opens after `threshold` failures in a row, for `cool_down`.
    #[must_use]
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            failures: AtomicU32::new(0),
            open_until: Mutex::new(None),
            threshold: threshold.max(1),
            cool_down,
        }
    }

    /// Whether requests go to the engine now.
    pub fn allows(&self) -> bool {
        let guard = self
            .open_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.is_none_or(|until| Instant::now() >= until)
    }

    fn success(&self) {
        self.failures.store(0, Ordering::Relaxed);
        *self
            .open_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    fn failure(&self) {
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.threshold {
            *self
                .open_until
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some(Instant::now() + self.cool_down);
        }
    }

    fn refusal(&self, engine: &str) -> AsrError {
        AsrError::EngineFailed {
            status: "unavailable".to_owned(),
            detail: format!(
                "the {engine} server failed {} times in a row; not asked again for {} s",
                self.threshold,
                self.cool_down.as_secs()
            ),
        }
    }
}

impl Default for Breaker {
    /// Three failures in a row open it for a minute.
    fn default() -> Self {
        Self::new(3, Duration::from_secs(60))
    }
}

/// The phrases as hints, plain and deduplicated.
fn hints(grammar: &Grammar) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &grammar.phrases {
        let p = p.trim();
        if !p.is_empty() && !out.iter().any(|o| o == p) && out.len() < MAX_HINT_PHRASES {
            out.push(p.to_owned());
        }
    }
    out
}

/// The primary language subtag, lower case (`de-AT` → `de`).
pub(crate) fn primary(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// How an engine turns one utterance into text.
#[async_trait]
trait Transcribe: Send + Sync + std::fmt::Debug {
    async fn transcribe(
        &self,
        samples: &[i16],
        hints: &[String],
        language: &str,
    ) -> Result<Option<Recognition>, AsrError>;
}

/// One utterance of a remote engine: buffered while spoken, sent when finished.
#[derive(Debug)]
struct RemoteStream<T: Transcribe + Clone + 'static> {
    engine: T,
    breaker: std::sync::Arc<Breaker>,
    buffer: UtteranceBuffer,
    hints: Vec<String>,
    language: String,
    timeout: Duration,
}

#[async_trait]
impl<T: Transcribe + Clone + 'static> RecognitionStream for RemoteStream<T> {
    fn push(&mut self, frame: &[i16]) -> VadEvent {
        self.buffer.push(frame)
    }

    async fn finish(self: Box<Self>) -> Result<Option<Recognition>, AsrError> {
        let Some(utterance) = self.buffer.utterance() else {
            return Ok(None);
        };
        let result = tokio::time::timeout(
            self.timeout,
            self.engine
                .transcribe(utterance, &self.hints, &self.language),
        )
        .await
        .unwrap_or(Err(AsrError::Timeout {
            after: self.timeout,
        }));
        match &result {
            Ok(_) => self.breaker.success(),
            Err(_) => self.breaker.failure(),
        }
        result
    }
}

/// A stream of a remote engine, unless its breaker is open.
fn open_stream<T: Transcribe + Clone + 'static>(
    engine: T,
    breaker: &std::sync::Arc<Breaker>,
    config: &RemoteConfig,
    name: &str,
    grammar: &Grammar,
    language: &str,
) -> Result<Box<dyn RecognitionStream>, AsrError> {
    if !breaker.allows() {
        return Err(breaker.refusal(name));
    }
    Ok(Box::new(RemoteStream {
        engine,
        breaker: breaker.clone(),
        buffer: UtteranceBuffer::new(config.vad),
        hints: hints(grammar),
        language: primary(language),
        timeout: config.timeout,
    }))
}

/// Settings shared by the remote engines.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The server's URL (`ws://…` for Vosk, `http://…/v1/audio/transcriptions` for whisper).
    pub url: String,
    /// How long one utterance may take to transcribe.
    pub timeout: Duration,
    /// The end-of-speech detector's settings.
    pub vad: VadConfig,
}

impl RemoteConfig {
    /// The defaults for `url`: five seconds per utterance.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: Duration::from_secs(5),
            vad: VadConfig::default(),
        }
    }
}

// ---- Vosk ------------------------------------------------------------------------------------

/// A client of the Vosk server (`alphacep/vosk-server`, `asr_server.py`): one WebSocket per
/// utterance; first a JSON text message `{"config": {"sample_rate": 8000, "phrase_list": […],
/// "words": 1}}`, then the audio as binary messages of 16-bit little-endian PCM, then
/// `{"eof": 1}`; the server answers each audio message with `{"partial": …}` or a result
/// `{"text": …, "result": [{"word", "conf", …}]}`, and the end with the final result.
#[derive(Debug, Clone)]
pub struct VoskRecognizer {
    config: RemoteConfig,
    breaker: std::sync::Arc<Breaker>,
}

impl VoskRecognizer {
    /// A client of the server at `config.url` (`ws://host:2700`).
    #[must_use]
    pub fn new(config: RemoteConfig) -> Self {
        Self {
            config,
            breaker: std::sync::Arc::new(Breaker::default()),
        }
    }

    /// Uses `breaker` (to share one, or to set its limits).
    #[must_use]
    pub fn with_breaker(mut self, breaker: std::sync::Arc<Breaker>) -> Self {
        self.breaker = breaker;
        self
    }
}

fn failed(engine: &str, detail: impl std::fmt::Display) -> AsrError {
    AsrError::EngineFailed {
        status: engine.to_owned(),
        detail: detail.to_string(),
    }
}

/// The text and mean word confidence of a Vosk result, if it is a final one.
fn vosk_result(json: &serde_json::Value) -> Option<(String, f32)> {
    let text = json.get("text")?.as_str()?.trim().to_owned();
    let confs: Vec<f64> = json
        .get("result")
        .and_then(serde_json::Value::as_array)
        .map(|words| {
            words
                .iter()
                .filter_map(|w| w.get("conf").and_then(serde_json::Value::as_f64))
                .collect()
        })
        .unwrap_or_default();
    let confidence = if confs.is_empty() {
        // The server reports no word confidences without `words: 1`: trust the text.
        1.0
    } else {
        confs.iter().sum::<f64>() / confs.len() as f64
    };
    Some((text, confidence.clamp(0.0, 1.0) as f32))
}

#[async_trait]
impl Transcribe for VoskRecognizer {
    async fn transcribe(
        &self,
        samples: &[i16],
        hints: &[String],
        _language: &str,
    ) -> Result<Option<Recognition>, AsrError> {
        let (mut ws, _) = tokio_tungstenite::connect_async(self.config.url.as_str())
            .await
            .map_err(|e| failed("vosk", format!("connecting: {e}")))?;
        let mut config = serde_json::json!({"sample_rate": RATE, "words": 1});
        if !hints.is_empty() {
            // The grammar restricts what the recogniser may hear; "[unk]" lets it say it heard
            // something else instead of forcing a phrase.
            let mut list: Vec<String> = hints.iter().map(|h| h.to_lowercase()).collect();
            list.push("[unk]".to_owned());
            config["phrase_list"] = serde_json::json!(list);
        }
        ws.send(Message::text(
            serde_json::json!({"config": config}).to_string(),
        ))
        .await
        .map_err(|e| failed("vosk", format!("sending the configuration: {e}")))?;
        // 0.2 s per message, as the server's own clients send it.
        let mut sent = 0usize;
        for chunk in samples.chunks(RATE as usize / 5) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            ws.send(Message::binary(bytes))
                .await
                .map_err(|e| failed("vosk", format!("sending audio: {e}")))?;
            sent += 1;
        }
        ws.send(Message::text(r#"{"eof" : 1}"#))
            .await
            .map_err(|e| failed("vosk", format!("sending the end: {e}")))?;
        // One answer per audio message (a partial or, at a pause, a result) and the final
        // result for the end; the results together are the transcript.
        let (mut answers, mut texts, mut confidences) = (0usize, Vec::new(), Vec::new());
        while answers <= sent {
            let Some(message) = ws.next().await else {
                break;
            };
            let message = message.map_err(|e| failed("vosk", format!("reading: {e}")))?;
            let text = match message {
                Message::Text(t) => t,
                Message::Close(_) => break,
                _ => continue,
            };
            answers += 1;
            let json: serde_json::Value =
                serde_json::from_str(text.as_str()).map_err(|_| AsrError::BadOutput {
                    reason: "the Vosk server sent a message that is not JSON",
                })?;
            if json.get("partial").is_some() {
                continue;
            }
            let (said, confidence) = vosk_result(&json).ok_or(AsrError::BadOutput {
                reason: "the Vosk server sent a result without text",
            })?;
            let said = said.replace("[unk]", " ");
            if !said.trim().is_empty() {
                texts.push(said);
                confidences.push(confidence);
            }
        }
        if answers <= sent {
            let _ = ws.close(None).await;
            return Err(AsrError::BadOutput {
                reason: "the Vosk server closed before its final result",
            });
        }
        let _ = ws.close(None).await;
        let text = texts
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let confidence = if confidences.is_empty() {
            0.0
        } else {
            confidences.iter().sum::<f32>() / confidences.len() as f32
        };
        Ok((!text.is_empty()).then_some(Recognition { text, confidence }))
    }
}

#[async_trait]
impl Recognizer for VoskRecognizer {
    async fn start(
        &self,
        grammar: &Grammar,
        language: &str,
    ) -> Result<Box<dyn RecognitionStream>, AsrError> {
        open_stream(
            self.clone(),
            &self.breaker,
            &self.config,
            "Vosk",
            grammar,
            language,
        )
    }
}

// ---- OpenAI-compatible transcriptions ----------------------------------------------------------

/// A client of `POST /v1/audio/transcriptions` as OpenAI specifies it and local whisper
/// servers (whisper.cpp's server, faster-whisper-server, LocalAI) implement it: a multipart
/// form with `file` (a WAV file), `model`, `language` and `prompt` (the expected phrases,
/// which steer the transcript towards them), `response_format=json`; the answer is
/// `{"text": …}`.
#[derive(Debug, Clone)]
pub struct WhisperRecognizer {
    config: RemoteConfig,
    model: String,
    client: reqwest::Client,
    breaker: std::sync::Arc<Breaker>,
}

impl WhisperRecognizer {
    /// A client of the endpoint at `config.url`, asking for `model` (servers that serve one
    /// model ignore it).
    #[must_use]
    pub fn new(config: RemoteConfig, model: impl Into<String>) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(config.timeout)
                .build()
                .unwrap_or_default(),
            config,
            model: model.into(),
            breaker: std::sync::Arc::new(Breaker::default()),
        }
    }

    /// Uses `breaker` (to share one, or to set its limits).
    #[must_use]
    pub fn with_breaker(mut self, breaker: std::sync::Arc<Breaker>) -> Self {
        self.breaker = breaker;
        self
    }
}

/// A `multipart/form-data` body of text fields and one file.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: audio/wav\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[async_trait]
impl Transcribe for WhisperRecognizer {
    async fn transcribe(
        &self,
        samples: &[i16],
        hints: &[String],
        language: &str,
    ) -> Result<Option<Recognition>, AsrError> {
        let wav = media::wav::encode_pcm16(samples, RATE);
        let prompt = hints.join(", ");
        let boundary = "hotline-utterance-boundary-7d1c";
        let body = multipart(
            boundary,
            &[
                ("model", &self.model),
                ("language", language),
                ("prompt", &prompt),
                ("response_format", "json"),
            ],
            ("file", "utterance.wav", &wav),
        );
        let response = self
            .client
            .post(&self.config.url)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    AsrError::Timeout {
                        after: self.config.timeout,
                    }
                } else {
                    failed("whisper", format!("sending: {e}"))
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed("whisper", format!("HTTP {status}")));
        }
        let json: serde_json::Value = response.json().await.map_err(|_| AsrError::BadOutput {
            reason: "the transcription server's answer is not JSON",
        })?;
        let text = json
            .get("text")
            .and_then(serde_json::Value::as_str)
            .ok_or(AsrError::BadOutput {
                reason: "the transcription server's answer has no text",
            })?
            .trim()
            .to_owned();
        // The endpoint reports no confidence: a transcript is taken as heard, and the NLU's
        // own confidence decides what it means.
        Ok((!text.is_empty()).then_some(Recognition {
            text,
            confidence: 1.0,
        }))
    }
}

#[async_trait]
impl Recognizer for WhisperRecognizer {
    async fn start(
        &self,
        grammar: &Grammar,
        language: &str,
    ) -> Result<Box<dyn RecognitionStream>, AsrError> {
        open_stream(
            self.clone(),
            &self.breaker,
            &self.config,
            "transcription",
            grammar,
            language,
        )
    }
}

// ---- per language ------------------------------------------------------------------------------

/// A recogniser per language (`de`, `en`; a tag like `de-AT` uses `de`'s), and one for the
/// rest, if any.
#[derive(Debug, Default)]
pub struct ByLanguage {
    engines: Vec<(String, std::sync::Arc<dyn Recognizer>)>,
    fallback: Option<std::sync::Arc<dyn Recognizer>>,
}

impl ByLanguage {
    /// No engine yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `engine` recognises `language`.
    #[must_use]
    pub fn with(mut self, language: &str, engine: std::sync::Arc<dyn Recognizer>) -> Self {
        self.engines.push((primary(language), engine));
        self
    }

    /// `engine` recognises the languages no other engine was given.
    #[must_use]
    pub fn otherwise(mut self, engine: std::sync::Arc<dyn Recognizer>) -> Self {
        self.fallback = Some(engine);
        self
    }
}

#[async_trait]
impl Recognizer for ByLanguage {
    async fn start(
        &self,
        grammar: &Grammar,
        language: &str,
    ) -> Result<Box<dyn RecognitionStream>, AsrError> {
        let wanted = primary(language);
        let engine = self
            .engines
            .iter()
            .find(|(l, _)| *l == wanted)
            .map(|(_, e)| e)
            .or(self.fallback.as_ref())
            .ok_or_else(|| AsrError::UnsupportedLanguage {
                language: language.to_owned(),
            })?;
        engine.start(grammar, language).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_failures_in_a_row_and_a_success_closes_it() {
        let b = Breaker::new(2, Duration::from_secs(60));
        assert!(b.allows());
        b.failure();
        assert!(b.allows());
        b.success();
        b.failure();
        assert!(b.allows(), "failures must be in a row");
        b.failure();
        assert!(!b.allows());
        b.success();
        assert!(b.allows());
        let quick = Breaker::new(1, Duration::ZERO);
        quick.failure();
        assert!(quick.allows(), "after its cool-down a trial goes through");
    }

    #[test]
    fn a_multipart_body_has_each_field_and_the_file() {
        let body = multipart("b", &[("language", "de")], ("file", "u.wav", b"RIFF"));
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("--b\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nde\r\n")
        );
        assert!(
            text.contains("filename=\"u.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--b--\r\n")
        );
    }

    #[test]
    fn vosk_results_give_text_and_mean_word_confidence() {
        let r = vosk_result(&serde_json::json!({
            "result": [{"conf": 1.0, "word": "ja"}, {"conf": 0.5, "word": "bitte"}],
            "text": "ja bitte"
        }));
        assert_eq!(r, Some(("ja bitte".to_owned(), 0.75)));
        assert_eq!(vosk_result(&serde_json::json!({"partial": "ja"})), None);
    }
}
