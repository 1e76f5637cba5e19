//! Text-to-speech engines chosen by configuration, beside espeak-ng: any command that writes a
//! WAV file (Piper, Pico's `pico2wave`, a MaryTTS or cloud client script) and any HTTP endpoint
//! that answers a text with audio; and [`ByLanguage`], which gives each language and voice its
//! engine.
//!
//! A command gets the text on stdin, never in its arguments or through a shell; `{wav}` in its
//! arguments is replaced by the file it must write and `{voice}` by the flow's voice name (or
//! the language). An HTTP endpoint gets `POST {"text", "language", "voice"}` as JSON and answers
//! with the audio (WAV, or anything `media::prompt` reads) as the body. The audio is converted to
//! 8 kHz mono and cached on disk like espeak-ng's, under a key that names the engine.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::{Prompt, Synthesizer, TtsError, Voice, cache};
use crate::asr::primary_language as primary;

/// The largest audio an engine may return: minutes of audio, beyond any prompt.
const MAX_AUDIO_BYTES: usize = 32 << 20;

/// How an external engine is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalEngine {
    /// A program and its arguments (`{wav}`: the file to write; `{voice}`: the voice).
    Command(Vec<String>),
    /// An endpoint that answers `POST {"text", "language", "voice"}` with audio.
    Http(String),
}

/// Speaks prompts with an [`ExternalEngine`] and caches them under a cache directory.
#[derive(Debug)]
pub struct ExternalSynthesizer {
    engine: ExternalEngine,
    cache_dir: PathBuf,
    timeout: Duration,
    memory: Mutex<cache::Memory>,
    client: reqwest::Client,
}

impl ExternalSynthesizer {
    /// How long one synthesis may take.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A synthesizer running `engine`, caching under `cache_dir`.
    #[must_use]
    pub fn new(engine: ExternalEngine, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            engine,
            cache_dir: cache_dir.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            memory: Mutex::new(cache::Memory::new(256)),
            client: reqwest::Client::new(),
        }
    }

    /// A time limit other than [`Self::DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What names the engine in cache keys: its whole configuration, so another command or
    /// endpoint never gets another's audio.
    fn engine_key(&self) -> String {
        match &self.engine {
            ExternalEngine::Command(args) => format!("command:{}", args.join("\u{1f}")),
            ExternalEngine::Http(url) => format!("http:{url}"),
        }
    }

    async fn run_command(
        &self,
        args: &[String],
        voice: &Voice,
        text: &str,
    ) -> Result<Vec<u8>, TtsError> {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let Some((program, rest)) = args.split_first() else {
            return Err(TtsError::BadOutput {
                reason: "the configured command is empty",
            });
        };
        tokio::fs::create_dir_all(&self.cache_dir).await?;
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let wav = self
            .cache_dir
            .join(format!(".external.{}.{n}.wav", std::process::id()));
        let voice_name = voice.name.clone().unwrap_or_else(|| voice.language.clone());
        let args: Vec<String> = rest
            .iter()
            .map(|a| {
                a.replace("{wav}", &wav.to_string_lossy())
                    .replace("{voice}", &voice_name)
            })
            .collect();
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => TtsError::EngineMissing {
                    binary: PathBuf::from(program),
                },
                _ => TtsError::Io(e),
            })?;
        let mut stdin = child.stdin.take();
        let work = async {
            if let Some(stdin) = &mut stdin {
                // An engine that exits without reading all of it says why in its status.
                let _ = stdin.write_all(text.as_bytes()).await;
                let _ = stdin.shutdown().await;
            }
            drop(stdin);
            child.wait_with_output().await
        };
        let output = match tokio::time::timeout(self.timeout, work).await {
            Ok(output) => output?,
            Err(_) => {
                let _ = tokio::fs::remove_file(&wav).await;
                return Err(TtsError::Timeout {
                    after: self.timeout,
                });
            }
        };
        let audio = tokio::fs::read(&wav).await;
        let _ = tokio::fs::remove_file(&wav).await;
        if !output.status.success() {
            let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            stderr.truncate(1024);
            return Err(TtsError::EngineFailed {
                status: output.status.to_string(),
                stderr: stderr.trim().to_owned(),
            });
        }
        audio.map_err(|_| TtsError::BadOutput {
            reason: "the command wrote no audio file",
        })
    }

    async fn run_http(&self, url: &str, voice: &Voice, text: &str) -> Result<Vec<u8>, TtsError> {
        let response = tokio::time::timeout(
            self.timeout,
            self.client
                .post(url)
                .json(&serde_json::json!({
                    "text": text,
                    "language": voice.language,
                    "voice": voice.name,
                }))
                .send(),
        )
        .await
        .map_err(|_| TtsError::Timeout {
            after: self.timeout,
        })?
        .map_err(|e| TtsError::EngineFailed {
            status: "unreachable".to_owned(),
            stderr: e.without_url().to_string(),
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(TtsError::EngineFailed {
                status: status.to_string(),
                stderr: String::new(),
            });
        }
        let bytes = tokio::time::timeout(self.timeout, response.bytes())
            .await
            .map_err(|_| TtsError::Timeout {
                after: self.timeout,
            })?
            .map_err(|e| TtsError::EngineFailed {
                status: "reading".to_owned(),
                stderr: e.without_url().to_string(),
            })?;
        if bytes.len() > MAX_AUDIO_BYTES {
            return Err(TtsError::BadOutput {
                reason: "the audio is longer than any prompt can be",
            });
        }
        Ok(bytes.to_vec())
    }
}

#[async_trait]
impl Synthesizer for ExternalSynthesizer {
    async fn synthesize(&self, text: &str, voice: &Voice) -> Result<Prompt, TtsError> {
        super::check_text(text)?;
        let key = cache::key(&self.engine_key(), voice, text);
        if let Some(prompt) = cache::lookup(&self.cache_dir, &self.memory, &key).await {
            return Ok(prompt);
        }
        let audio = match &self.engine {
            ExternalEngine::Command(args) => self.run_command(args, voice, text).await?,
            ExternalEngine::Http(url) => self.run_http(url, voice, text).await?,
        };
        let decoded =
            tokio::task::spawn_blocking(move || media::prompt::decode_to_telephone(&audio))
                .await
                .map_err(std::io::Error::other)?
                .map_err(|_| TtsError::BadOutput {
                    reason: "the engine's answer is not audio Hotline can play",
                })?;
        let prompt = Prompt {
            samples: decoded.samples.into(),
        };
        cache::keep(&self.cache_dir, &self.memory, &key, &prompt).await;
        tracing::info!(prompt = %key, duration_ms = prompt.duration_ms(), "tts prompt synthesised by an external engine");
        Ok(prompt)
    }
}

/// An engine per language (`de`, `en`; a tag like `de-AT` uses `de`'s) and per voice of a
/// language, and one for the rest: a prompt goes to the engine of its language and voice name,
/// else of its language, else to the one for the rest.
#[derive(Debug)]
pub struct ByLanguage {
    engines: Vec<(String, Option<String>, Arc<dyn Synthesizer>)>,
    otherwise: Arc<dyn Synthesizer>,
}

impl ByLanguage {
    /// `otherwise` speaks every language no engine is given for.
    #[must_use]
    pub fn new(otherwise: Arc<dyn Synthesizer>) -> Self {
        Self {
            engines: Vec::new(),
            otherwise,
        }
    }

    /// `engine` speaks `language`.
    #[must_use]
    pub fn with(mut self, language: &str, engine: Arc<dyn Synthesizer>) -> Self {
        self.engines.push((primary(language), None, engine));
        self
    }

    /// `engine` speaks the voice `name` of `language`.
    #[must_use]
    pub fn with_voice(mut self, language: &str, name: &str, engine: Arc<dyn Synthesizer>) -> Self {
        self.engines
            .push((primary(language), Some(name.to_owned()), engine));
        self
    }

    /// The engine for `voice`.
    fn engine(&self, voice: &Voice) -> &Arc<dyn Synthesizer> {
        let wanted = primary(&voice.language);
        let of_language =
            |(l, _, _): &&(String, Option<String>, Arc<dyn Synthesizer>)| *l == wanted;
        self.engines
            .iter()
            .filter(of_language)
            .find(|(_, name, _)| name.is_some() && *name == voice.name)
            .or_else(|| {
                self.engines
                    .iter()
                    .filter(of_language)
                    .find(|(_, name, _)| name.is_none())
            })
            .map_or(&self.otherwise, |(_, _, e)| e)
    }
}

#[async_trait]
impl Synthesizer for ByLanguage {
    async fn synthesize(&self, text: &str, voice: &Voice) -> Result<Prompt, TtsError> {
        self.engine(voice).synthesize(text, voice).await
    }
}
