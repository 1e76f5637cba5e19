//! The default synthesizer: Debian's `espeak-ng`, run as a child process per prompt.
//!
//! espeak-ng is GPL-licensed; running its binary and reading the WAV it writes keeps it at arm's length from our
//! AGPL code, with no linking. The text goes in through stdin, never through a shell or the argument list (a text
//! starting with `-` would otherwise read as an option). The engine gets a time limit and is killed when it
//! exceeds it, or when the caller stops waiting.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{Prompt, SAMPLE_RATE_HZ, Synthesizer, TtsError, Voice, cache};
use media::resample::Resampler;
use media::wav;

/// The rate espeak-ng speaks at.
const ESPEAK_RATE_HZ: u32 = 22_050;
/// Words per minute: espeak-ng's default (175) is hurried on a phone line.
const WORDS_PER_MINUTE: &str = "160";
/// The limit on the engine's WAV output: several minutes of audio, far beyond what [`MAX_TEXT_CHARS`] yields, so
/// reaching it means the engine misbehaves.
const MAX_WAV_BYTES: u64 = 32 << 20;
/// How much of the engine's stderr an error keeps.
const MAX_STDERR_BYTES: u64 = 1 << 10;
/// Sample rates we are prepared to convert; anything else is not espeak-ng's output.
const INPUT_RATES_HZ: std::ops::RangeInclusive<u32> = 8_000..=48_000;

/// Speaks prompts with espeak-ng and caches them on disk under a cache directory.
#[derive(Debug)]
pub struct EspeakSynthesizer {
    cache_dir: PathBuf,
    binary: PathBuf,
    timeout: Duration,
    memory: Mutex<cache::Memory>,
    resampler: OnceLock<Arc<Resampler>>,
}

impl EspeakSynthesizer {
    /// How long one synthesis may take before the engine is killed.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How many prompts stay in memory.
    pub const DEFAULT_MEMORY_PROMPTS: usize = 256;

    /// A synthesizer that runs `espeak-ng` from `PATH` and caches prompts under `cache_dir` (created on first
    /// write).
    #[must_use]
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            binary: PathBuf::from("espeak-ng"),
            timeout: Self::DEFAULT_TIMEOUT,
            memory: Mutex::new(cache::Memory::new(Self::DEFAULT_MEMORY_PROMPTS)),
            resampler: OnceLock::new(),
        }
    }

    /// Runs the engine from `binary` instead of `espeak-ng` from `PATH`.
    #[must_use]
    pub fn with_binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = binary.into();
        self
    }

    /// Kills the engine after `timeout` instead of [`Self::DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Keeps at most `prompts` prompts in memory instead of [`Self::DEFAULT_MEMORY_PROMPTS`]; 0 keeps none.
    #[must_use]
    pub fn with_memory_capacity(mut self, prompts: usize) -> Self {
        self.memory = Mutex::new(cache::Memory::new(prompts));
        self
    }

    /// The directory prompts are cached in.
    #[must_use]
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// The file in which the prompt for `text` in `voice` is (or will be) cached.
    ///
    /// # Errors
    /// When the voice is not one this engine speaks.
    pub fn cache_path(&self, text: &str, voice: &Voice) -> Result<PathBuf, TtsError> {
        let engine = engine_settings(voice)?;
        Ok(cache::path(
            &self.cache_dir,
            &cache::key(&engine.key, voice, text),
        ))
    }

    /// Runs the engine on `text` and returns its WAV output.
    async fn run(&self, voice: &str, text: &str) -> Result<Vec<u8>, TtsError> {
        let mut child = Command::new(&self.binary)
            .args(["-v", voice, "-s", WORDS_PER_MINUTE, "--stdout", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => TtsError::EngineMissing {
                    binary: self.binary.clone(),
                },
                _ => TtsError::Io(e),
            })?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(TtsError::Io(io::Error::other(
                "the engine's pipes were not opened",
            )));
        };

        // Write and both reads run together: an engine that fills a pipe while we wait on another would
        // otherwise wait on us forever.
        let work = async {
            let write = async {
                let written = match stdin.write_all(text.as_bytes()).await {
                    Ok(()) => stdin.shutdown().await,
                    Err(e) => Err(e),
                };
                drop(stdin);
                match written {
                    // The engine may exit without reading everything (a bad voice, for one); its exit status
                    // then says what went wrong, not the broken pipe.
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
                    _ => Ok(()),
                }
            };
            let (_, wav, stderr) = tokio::try_join!(
                write,
                read_bounded(stdout, MAX_WAV_BYTES),
                read_bounded(stderr, MAX_STDERR_BYTES)
            )?;
            let status = child.wait().await?;
            Ok::<_, io::Error>((status, wav, stderr))
        };
        let (status, (wav, wav_overflow), (stderr, _)) =
            match tokio::time::timeout(self.timeout, work).await {
                Ok(result) => result?,
                Err(_) => {
                    // start_kill fails only when the child has already been reaped, which is fine.
                    let _ = child.start_kill();
                    child.wait().await?;
                    return Err(TtsError::Timeout {
                        after: self.timeout,
                    });
                }
            };
        if !status.success() {
            return Err(TtsError::EngineFailed {
                status: status.to_string(),
                stderr: String::from_utf8_lossy(&stderr).trim().to_owned(),
            });
        }
        if wav_overflow {
            return Err(TtsError::BadOutput {
                reason: "the audio is longer than any prompt can be",
            });
        }
        Ok(wav)
    }

    /// Converts the engine's audio to 8 kHz, off the async threads: a long prompt takes a while to filter.
    async fn to_prompt(&self, audio: wav::Wav) -> Result<Prompt, TtsError> {
        let resampler = match audio.sample_rate {
            SAMPLE_RATE_HZ => {
                return Ok(Prompt {
                    samples: audio.samples.into(),
                });
            }
            ESPEAK_RATE_HZ => Arc::clone(
                self.resampler
                    .get_or_init(|| Arc::new(Resampler::new(ESPEAK_RATE_HZ, SAMPLE_RATE_HZ))),
            ),
            rate if INPUT_RATES_HZ.contains(&rate) => {
                Arc::new(Resampler::new(rate, SAMPLE_RATE_HZ))
            }
            _ => {
                return Err(TtsError::BadOutput {
                    reason: "unexpected sample rate",
                });
            }
        };
        let samples = tokio::task::spawn_blocking(move || resampler.process(&audio.samples))
            .await
            .map_err(io::Error::other)?;
        Ok(Prompt {
            samples: samples.into(),
        })
    }
}

#[async_trait]
impl Synthesizer for EspeakSynthesizer {
    async fn synthesize(&self, text: &str, voice: &Voice) -> Result<Prompt, TtsError> {
        super::check_text(text)?;
        let engine = engine_settings(voice)?;
        let key = cache::key(&engine.key, voice, text);
        let started = Instant::now();

        if let Some(prompt) = cache::lookup(&self.cache_dir, &self.memory, &key).await {
            return Ok(prompt);
        }

        let wav = self.run(&engine.voice, text).await?;
        let audio = wav::parse(&wav).map_err(|e| TtsError::BadOutput { reason: e.as_str() })?;
        let prompt = self.to_prompt(audio).await?;
        if prompt.samples.is_empty() {
            return Err(TtsError::BadOutput { reason: "no audio" });
        }
        cache::keep(&self.cache_dir, &self.memory, &key, &prompt).await;
        tracing::info!(
            prompt = %key,
            duration_ms = prompt.duration_ms(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tts prompt synthesised"
        );
        Ok(prompt)
    }
}

/// The engine arguments for a voice, and the part of them that decides the audio (the cache key).
struct EngineSettings {
    voice: String,
    key: String,
}

fn engine_settings(voice: &Voice) -> Result<EngineSettings, TtsError> {
    let base = match voice.language.as_str() {
        "de" => "de",
        "en" => "en-gb",
        _ => {
            return Err(TtsError::UnsupportedLanguage {
                language: voice.language.clone(),
            });
        }
    };
    let voice = match &voice.name {
        None => base.to_owned(),
        Some(name) => {
            let plain = !name.is_empty()
                && name.len() <= 32
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !plain {
                return Err(TtsError::InvalidVoiceName { name: name.clone() });
            }
            // espeak-ng's syntax for a variant of a language's voice.
            format!("{base}+{name}")
        }
    };
    let key = format!("espeak-ng -v {voice} -s {WORDS_PER_MINUTE}");
    Ok(EngineSettings { voice, key })
}

/// Reads `reader` to its end, keeping at most `limit` bytes; the flag says whether more came.
async fn read_bounded(reader: impl AsyncRead + Unpin, limit: u64) -> io::Result<(Vec<u8>, bool)> {
    let mut kept = Vec::new();
    let mut reader = reader.take(limit);
    reader.read_to_end(&mut kept).await?;
    // Drain the rest so the writer is never blocked on a full pipe.
    let mut rest = reader.into_inner();
    let dropped = tokio::io::copy(&mut rest, &mut tokio::io::sink()).await?;
    Ok((kept, dropped > 0))
}
