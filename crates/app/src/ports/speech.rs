//! The speech ports: how a call speaks prompts and hears callers, without the app knowing
//! which engine does it. The call shell (`voice`) implements both: [`Synthesizer`] with
//! espeak-ng (`voice::tts::EspeakSynthesizer`), [`Recognizer`] with pocketsphinx
//! (`voice::asr::PocketsphinxRecognizer`); an operator who wants another engine (a German
//! recogniser, say) implements the trait there.
//!
//! Audio crosses these ports as plain 8 kHz mono linear PCM (`i16` samples), the rate of a
//! G.711 call, so neither side needs the other's codecs: framing, companding, resampling and
//! voice activity detection stay in the shell and in `media`.
//!
//! Prompt texts can carry caller data through templates and recognised text is what a caller
//! said, so none of the errors here carries either, and [`Recognition`]'s `Debug` leaves the
//! text out.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

// --- speaking ------------------------------------------------------------------------------

/// Turns text into a spoken prompt.
#[async_trait]
pub trait Synthesizer: Send + Sync + fmt::Debug {
    /// Speaks `text` in `voice`. Implementations refuse texts longer than
    /// [`Prompt::MAX_TEXT_CHARS`].
    async fn synthesize(&self, text: &str, voice: &Voice) -> Result<Prompt, TtsError>;
}

/// Which voice speaks a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Voice {
    /// The language: `"de"` or `"en"`.
    pub language: String,
    /// An engine-specific variant of the language's default voice (for espeak-ng, a variant
    /// such as `"f3"`), or `None` for the default.
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
    /// The samples at [`Self::SAMPLE_RATE_HZ`].
    pub samples: Arc<[i16]>,
}

impl Prompt {
    /// The sample rate of every prompt: narrowband telephony.
    pub const SAMPLE_RATE_HZ: u32 = 8_000;
    /// The longest text, in characters, that a synthesizer accepts. A prompt is a sentence or
    /// a short paragraph; a longer text is a mistake in the flow and would hold a caller for
    /// minutes.
    pub const MAX_TEXT_CHARS: usize = 2_000;

    /// How long the prompt plays, in milliseconds.
    #[must_use]
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1_000 / u64::from(Self::SAMPLE_RATE_HZ)
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
    /// The text is longer than [`Prompt::MAX_TEXT_CHARS`].
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

// --- hearing -------------------------------------------------------------------------------

/// A speech recogniser: makes one [`RecognitionStream`] per question a flow asks.
#[async_trait]
pub trait Recognizer: Send + Sync + fmt::Debug {
    /// Starts listening for one utterance, for `grammar` in `language` (`"en"`, `"de"`, or a
    /// tag like `"en-US"`).
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
    /// Feeds one 20 ms frame of 8 kHz linear PCM and says where the caller is. Cheap and
    /// non-blocking: the call shell calls it from its RTP loop. After a final event
    /// ([`VadEvent::is_final`]) further frames are ignored and the final event is returned
    /// again.
    fn push(&mut self, frame: &[i16]) -> VadEvent;

    /// Decodes the utterance: `Ok(None)` if no one spoke (or nothing matched the grammar), else
    /// what was said. Called after a final event, or earlier when the call ends, in which case
    /// the speech so far is decoded.
    ///
    /// # Errors
    /// When the engine fails or runs past its time limit.
    async fn finish(self: Box<Self>) -> Result<Option<Recognition>, AsrError>;
}

/// Where a caller is, as a [`RecognitionStream`]'s voice activity detection sees it after a
/// frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// No speech yet.
    Silence,
    /// Speech has just started (reported once): the moment to stop a prompt for barge-in.
    SpeechStarted,
    /// The utterance goes on (a short pause included).
    Speech,
    /// The utterance has ended after enough silence. Final.
    SpeechEnded,
    /// No speech started in time. Final.
    NoInput,
    /// The utterance reached the longest an utterance may be. Final.
    MaxLength,
}

impl VadEvent {
    /// Whether the detector has decided and will report this event for every further frame.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::SpeechEnded | Self::NoInput | Self::MaxLength)
    }
}

/// The phrases a recogniser listens for: a menu's labels and keywords, an intent's examples.
/// Engines that decode with a grammar accept exactly one of them; open-vocabulary engines may
/// use them as hints.
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

    /// Each phrase as a list of lower-case words, paired with the phrase as given: letters and
    /// digits, with apostrophes kept inside a word ("don't"); everything else separates words.
    /// Phrases without words and repeats are left out, and at most [`Self::MAX_PHRASES`] are
    /// kept. Every engine needs this, so it lives beside the phrases rather than in one of them.
    #[must_use]
    pub fn normalized(&self) -> Vec<(&str, Vec<String>)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for phrase in &self.phrases {
            if out.len() == Self::MAX_PHRASES {
                break;
            }
            let words: Vec<String> = phrase
                .to_lowercase()
                .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
                .map(|w| w.replace('’', "'").trim_matches('\'').to_owned())
                .filter(|w| !w.is_empty())
                .take(Self::MAX_WORDS)
                .collect();
            if !words.is_empty() && seen.insert(words.clone()) {
                out.push((phrase.as_str(), words));
            }
        }
        out
    }
}

/// What a recogniser heard.
#[derive(Clone, PartialEq)]
pub struct Recognition {
    /// The phrase of the [`Grammar`] that was recognised, spelled as the grammar spells it (for
    /// open-vocabulary engines, the transcript).
    pub text: String,
    /// How sure the engine is, from 0 to 1. What it measures is engine-specific; see the
    /// engine's documentation.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_become_word_lists() {
        let grammar = Grammar::new([
            "Speak to an Agent!",
            "speak to an agent",
            "  ",
            "Don’t know",
            "yes, please",
        ]);
        let words: Vec<Vec<String>> = grammar.normalized().into_iter().map(|(_, w)| w).collect();
        assert_eq!(
            words,
            vec![
                vec!["speak", "to", "an", "agent"],
                vec!["don't", "know"],
                vec!["yes", "please"]
            ]
        );
    }

    #[test]
    fn long_grammars_and_phrases_are_cut() {
        let many = Grammar::new((0..Grammar::MAX_PHRASES + 5).map(|i| format!("phrase {i}")));
        assert_eq!(many.normalized().len(), Grammar::MAX_PHRASES);
        let long = Grammar::new(["word ".repeat(Grammar::MAX_WORDS + 3)]);
        assert_eq!(long.normalized()[0].1.len(), Grammar::MAX_WORDS);
    }

    #[test]
    fn debug_output_leaves_out_what_the_caller_said_and_the_samples() {
        let heard = Recognition {
            text: "my account number is 1234".to_owned(),
            confidence: 0.5,
        };
        let debug = format!("{heard:?}");
        assert!(!debug.contains("1234"), "{debug}");
        assert!(debug.contains("0.5"), "{debug}");

        let prompt = Prompt {
            samples: vec![1234; 1_600].into(),
        };
        assert_eq!(
            format!("{prompt:?}"),
            "Prompt { samples: 1600, duration_ms: 200 }"
        );
    }
}
