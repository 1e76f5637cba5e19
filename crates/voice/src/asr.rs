//! Speech input: the [`Recognizer`] interface through which a call hears what a caller says, and the default
//! engine, [`PocketsphinxRecognizer`].
//!
//! A call's driver starts a [`RecognitionStream`] when a flow asks a question, with a [`Grammar`] of the phrases
//! the flow expects (menu labels and keywords, intent examples). It pushes every 20 ms frame of the caller's
//! audio (8 kHz linear PCM) from its RTP loop; [`RecognitionStream::push`] is cheap and never blocks, because it
//! only runs the voice activity detector ([`media::vad`]) and buffers the frame. Its answer drives the call:
//! [`VadEvent::SpeechStarted`] is the moment to stop a prompt (barge-in), and a final event
//! ([`VadEvent::SpeechEnded`], [`VadEvent::MaxLength`] or [`VadEvent::NoInput`]) is the moment to call
//! [`RecognitionStream::finish`], which decodes the utterance in a child process and yields the
//! [`Recognition`]: the text and a confidence, which then go through the NLU like a chat message.
//!
//! # Languages and other engines
//!
//! The engine that ships, pocketsphinx with Debian's model, understands US English only. For German, an operator
//! implements [`Recognizer`] for an engine and model of their choice, for example Vosk (`vosk-model-de-*`, with
//! its grammar-restricted recogniser: `KaldiRecognizer(model, 16000, '["ja", "nein", …]')`) or whisper.cpp (a
//! `ggml` model, whose `--prompt` can carry the expected phrases). The building blocks here are engine-neutral:
//! [`UtteranceBuffer`] does the end-of-speech detection and keeps the utterance with some audio before and after
//! it, [`Grammar::normalized`] gives the phrases as word lists, and the implementation only has to turn the
//! utterance into text (resampling it with [`media::resample::Resampler`] if the model wants 16 kHz) and
//! run the engine off the async threads, in a child process or `spawn_blocking`.
//!
//! Recognised text is what a caller said, so it is personal data: nothing here logs it, and
//! [`Recognition`]'s `Debug` leaves it out.

mod grammar;
mod pocketsphinx;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use media::vad::{FRAME_SAMPLES, SAMPLE_RATE_HZ, Vad};
pub use media::vad::{VadConfig, VadEvent};

pub use pocketsphinx::PocketsphinxRecognizer;

/// The phrases a recogniser listens for: a menu's labels and keywords, an intent's examples. Engines that
/// decode with a grammar accept exactly one of them; open-vocabulary engines may use them as hints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grammar {
    /// The phrases, as the flow spells them.
    pub phrases: Vec<String>,
}

impl Grammar {
    /// The most phrases a grammar may have; more is not a menu any caller could face.
    pub const MAX_PHRASES: usize = 1_000;
    /// The most words a phrase may have; longer ones are cut.
    pub const MAX_WORDS: usize = 16;

    /// A grammar of `phrases`.
    #[must_use]
    pub fn new(phrases: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            phrases: phrases.into_iter().map(Into::into).collect(),
        }
    }

    /// Each phrase as a list of lower-case words (letters, digits and inner apostrophes), paired with the phrase
    /// as given; phrases without words and repeats are left out, and at most [`Self::MAX_PHRASES`] are kept.
    #[must_use]
    pub fn normalized(&self) -> Vec<(&str, Vec<String>)> {
        grammar::normalize(&self.phrases)
    }
}

/// What a recogniser heard.
#[derive(Clone, PartialEq)]
pub struct Recognition {
    /// The phrase of the [`Grammar`] that was recognised, spelled as the grammar spells it (for open-vocabulary
    /// engines, the transcript).
    pub text: String,
    /// How sure the engine is, from 0 to 1. What it measures is engine-specific; see the engine's documentation.
    pub confidence: f32,
}

impl fmt::Debug for Recognition {
    // The text is what a caller said.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recognition")
            .field("text", &"<redacted>")
            .field("confidence", &self.confidence)
            .finish()
    }
}

/// A speech recogniser: makes one [`RecognitionStream`] per question a flow asks.
#[async_trait]
pub trait Recognizer: Send + Sync + fmt::Debug {
    /// Starts listening for one utterance, for `grammar` in `language` (`"en"`, `"de"`, or a tag like
    /// `"en-US"`).
    ///
    /// # Errors
    /// When the engine cannot do the language, or the grammar has no phrase it can listen for.
    async fn start(
        &self,
        grammar: &Grammar,
        language: &str,
    ) -> Result<Box<dyn RecognitionStream>, AsrError>;
}

/// One utterance being heard.
#[async_trait]
pub trait RecognitionStream: Send + fmt::Debug {
    /// Feeds one 20 ms frame of 8 kHz linear PCM and says where the caller is. Cheap and non-blocking: call it
    /// from the RTP loop. After a final event ([`VadEvent::is_final`]) further frames are ignored and the final
    /// event is returned again.
    fn push(&mut self, frame: &[i16]) -> VadEvent;

    /// Decodes the utterance: `Ok(None)` if no one spoke (or nothing matched the grammar), else what was said.
    /// Called after a final event, or earlier when the call ends, in which case the speech so far is decoded.
    ///
    /// # Errors
    /// When the engine fails or runs past its time limit.
    async fn finish(self: Box<Self>) -> Result<Option<Recognition>, AsrError>;
}

/// End-of-speech detection and the buffer of one utterance, for any engine: frames go in, the utterance comes
/// out with [`Self::PRE_ROLL_MS`] of audio before the detected start and up to [`Self::TAIL_MS`] after the end,
/// because an energy detector hears a word's soft beginning and end late.
///
/// Before speech starts only the last second or so is kept, so a caller who stays silent costs no memory.
#[derive(Debug)]
pub struct UtteranceBuffer {
    vad: Vad,
    /// Audio from sample `first` of the stream on.
    audio: Vec<i16>,
    first: u64,
    last: VadEvent,
}

impl UtteranceBuffer {
    /// Audio kept before the detected start of speech.
    pub const PRE_ROLL_MS: u32 = 300;
    /// Audio kept after the detected end of speech.
    pub const TAIL_MS: u32 = 300;

    /// A buffer whose detector uses `config`.
    #[must_use]
    pub fn new(config: VadConfig) -> Self {
        Self {
            vad: Vad::new(config),
            audio: Vec::new(),
            first: 0,
            last: VadEvent::Silence,
        }
    }

    /// Feeds one frame; see [`RecognitionStream::push`].
    pub fn push(&mut self, frame: &[i16]) -> VadEvent {
        if self.last.is_final() {
            return self.last;
        }
        let event = self.vad.push(frame);
        self.audio.extend_from_slice(frame);
        if event == VadEvent::Silence {
            // Keep what the start of speech could reach back to: the pre-roll and the run that starts it.
            let keep = samples(Self::PRE_ROLL_MS + self.vad.config().start_ms) + FRAME_SAMPLES;
            if self.audio.len() > 2 * keep {
                let drop = self.audio.len() - keep;
                self.audio.drain(..drop);
                self.first += drop as u64;
            }
        }
        self.last = event;
        event
    }

    /// The latest event.
    #[must_use]
    pub fn state(&self) -> VadEvent {
        self.last
    }

    /// The utterance with its pre-roll and tail, or `None` if speech never started.
    #[must_use]
    pub fn utterance(&self) -> Option<&[i16]> {
        let speech = self.vad.speech()?;
        let start = speech
            .start
            .saturating_sub(samples(Self::PRE_ROLL_MS) as u64);
        let end = speech.end + samples(Self::TAIL_MS) as u64;
        let from = usize::try_from(start.saturating_sub(self.first)).unwrap_or(usize::MAX);
        let to = usize::try_from(end.saturating_sub(self.first)).unwrap_or(usize::MAX);
        let to = to.min(self.audio.len());
        Some(&self.audio[from.min(to)..to])
    }
}

fn samples(ms: u32) -> usize {
    ms as usize * SAMPLE_RATE_HZ as usize / 1_000
}

/// Why speech could not be recognised. None of the cases carries what the caller said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AsrError {
    /// The engine's binary is not installed (or not where it was configured).
    #[error(
        "the speech recogniser {binary:?} was not found: install the Debian packages pocketsphinx and pocketsphinx-en-us"
    )]
    EngineMissing { binary: PathBuf },
    /// The engine's model (or its pronunciation dictionary) is not installed.
    #[error(
        "the speech model {path:?} was not found: install the Debian package pocketsphinx-en-us"
    )]
    ModelMissing { path: PathBuf },
    /// The engine does not understand this language.
    #[error(
        "no speech recogniser for language {language:?}; the pocketsphinx engine understands \"en\" only"
    )]
    UnsupportedLanguage { language: String },
    /// No phrase of the grammar has a word the engine knows.
    #[error("the grammar has no phrase the recogniser can listen for ({phrases} phrases given)")]
    EmptyGrammar { phrases: usize },
    /// The engine ran longer than its time limit and was killed.
    #[error("the speech recogniser did not finish within {after:?} and was killed")]
    Timeout { after: Duration },
    /// The engine exited unsuccessfully.
    #[error("the speech recogniser failed ({status}): {detail}")]
    EngineFailed { status: String, detail: String },
    /// The engine's output was not what it should be.
    #[error("the speech recogniser wrote unusable output: {reason}")]
    BadOutput { reason: &'static str },
    /// Starting or talking to the engine failed.
    #[error("could not run the speech recogniser")]
    Io(#[from] std::io::Error),
}
