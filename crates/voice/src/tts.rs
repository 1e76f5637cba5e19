//! Text-to-speech: the [`Synthesizer`] interface through which flows get their spoken prompts, and the default
//! engine, [`EspeakSynthesizer`].
//!
//! A prompt is 8 kHz mono linear PCM, the rate of a G.711 call, so a call only has to slice it into 20 ms frames
//! and compand them. Prompts are synthesised when a flow is published, not when a caller reaches them, which is
//! why the engine caches on disk: a restart or a second node finds the audio ready.
//!
//! Prompt texts can contain caller data through templates, so nothing here logs or returns a text; logs name a
//! prompt by the hash of its voice and text.

mod cache;
mod espeak;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use espeak::EspeakSynthesizer;

/// The sample rate of every [`Prompt`]: narrowband telephony.
pub const SAMPLE_RATE_HZ: u32 = 8_000;
/// Samples in one 20 ms frame at [`SAMPLE_RATE_HZ`], which is also the size of one µ-law payload.
pub const FRAME_SAMPLES: usize = 160;
/// The longest text, in characters, that a synthesizer accepts. A prompt is a sentence or a short paragraph; a
/// longer text is a mistake in the flow and would hold a caller for minutes.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Turns text into a spoken prompt.
#[async_trait]
pub trait Synthesizer: Send + Sync + fmt::Debug {
    /// Speaks `text` in `voice`. Implementations refuse texts longer than [`MAX_TEXT_CHARS`].
    async fn synthesize(&self, text: &str, voice: &Voice) -> Result<Prompt, TtsError>;
}

/// Which voice speaks a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Voice {
    /// The language: `"de"` or `"en"`.
    pub language: String,
    /// An engine-specific variant of the language's default voice (for espeak-ng, a variant such as `"f3"`), or
    /// `None` for the default.
    pub name: Option<String>,
}

impl Voice {
    /// The default German voice.
    #[must_use]
    pub fn german() -> Self {
        Self {
            language: "de".to_owned(),
            name: None,
        }
    }

    /// The default English voice.
    #[must_use]
    pub fn english() -> Self {
        Self {
            language: "en".to_owned(),
            name: None,
        }
    }
}

/// A spoken prompt: 8 kHz mono linear PCM, shared cheaply between the calls that play it.
#[derive(Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The samples at [`SAMPLE_RATE_HZ`].
    pub samples: Arc<[i16]>,
}

impl Prompt {
    /// How long the prompt plays, in milliseconds.
    #[must_use]
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1_000 / u64::from(SAMPLE_RATE_HZ)
    }

    /// The prompt as 20 ms µ-law frames, ready to be RTP payloads; the last frame is padded with silence. The
    /// iterator owns a reference to the samples, so a call's driver task can keep it across awaits.
    pub fn ulaw_frames(&self) -> impl Iterator<Item = [u8; FRAME_SAMPLES]> + use<> {
        let samples = Arc::clone(&self.samples);
        let frames = samples.len().div_ceil(FRAME_SAMPLES);
        (0..frames).map(move |i| {
            let mut frame = [media::g711::ULAW_SILENCE; FRAME_SAMPLES];
            let chunk = &samples[i * FRAME_SAMPLES..samples.len().min((i + 1) * FRAME_SAMPLES)];
            for (out, &sample) in frame.iter_mut().zip(chunk) {
                *out = media::g711::ulaw_encode(sample);
            }
            frame
        })
    }
}

impl fmt::Debug for Prompt {
    // Thousands of samples help nobody reading a log or a test failure; the length does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prompt")
            .field("samples", &self.samples.len())
            .field("duration_ms", &self.duration_ms())
            .finish()
    }
}

/// Why a prompt could not be synthesised. None of the cases carries the text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TtsError {
    /// The engine's binary is not installed (or not where it was configured).
    #[error(
        "the text-to-speech engine {binary:?} was not found: install the Debian package espeak-ng"
    )]
    EngineMissing { binary: PathBuf },
    /// The text is longer than [`MAX_TEXT_CHARS`].
    #[error("the prompt text has {chars} characters; at most {max} can be spoken")]
    TextTooLong { chars: usize, max: usize },
    /// The text has nothing to speak.
    #[error("the prompt text is empty")]
    EmptyText,
    /// The voice's language is not one the engine speaks.
    #[error("no voice for language {language:?}; supported are \"de\" and \"en\"")]
    UnsupportedLanguage { language: String },
    /// The voice name is not a plain variant name.
    #[error("invalid voice name {name:?}: use letters, digits, '-' and '_' only")]
    InvalidVoiceName { name: String },
    /// The engine ran longer than its time limit and was killed.
    #[error("the text-to-speech engine did not finish within {after:?} and was killed")]
    Timeout { after: Duration },
    /// The engine exited unsuccessfully.
    #[error("the text-to-speech engine failed ({status}): {stderr}")]
    EngineFailed { status: String, stderr: String },
    /// The engine's output was not the audio it should be.
    #[error("the text-to-speech engine wrote unusable audio: {reason}")]
    BadOutput { reason: &'static str },
    /// Starting or talking to the engine failed.
    #[error("could not run the text-to-speech engine")]
    Io(#[from] std::io::Error),
}
