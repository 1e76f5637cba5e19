//! Speech input: the default engine behind `app`'s [`Recognizer`] port, [`PocketsphinxRecognizer`], and the
//! engine-neutral parts every implementation needs. The port itself ([`Recognizer`], [`RecognitionStream`],
//! [`Grammar`], [`Recognition`], [`VadEvent`], [`AsrError`]) is defined in `app` and re-exported here.
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
//! The engine that ships, pocketsphinx with Debian's model, understands US English only. For German, the
//! configuration names a server per language (`remote`): a Vosk server ([`VoskRecognizer`]) or an
//! OpenAI-compatible transcription endpoint ([`WhisperRecognizer`]), chosen by [`ByLanguage`]. Other engines
//! implement [`Recognizer`] for an engine and model of their choice, for example Vosk (`vosk-model-de-*`, with
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
mod remote;

pub use app::{AsrError, Grammar, Recognition, RecognitionStream, Recognizer, VadEvent};
pub use media::vad::VadConfig;
use media::vad::{self, FRAME_SAMPLES, SAMPLE_RATE_HZ, Vad};

pub use pocketsphinx::PocketsphinxRecognizer;
pub(crate) use remote::primary as primary_language;
pub use remote::{Breaker, ByLanguage, RemoteConfig, VoskRecognizer, WhisperRecognizer};

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
        let event = port_event(self.vad.push(frame));
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

/// The detector's verdict in the port's terms. `app` cannot name `media`'s type (it has no
/// dependency on `media`), so the port has its own; the match has no catch-all so that a new
/// verdict in `media` must be placed here.
fn port_event(event: vad::VadEvent) -> VadEvent {
    match event {
        vad::VadEvent::Silence => VadEvent::Silence,
        vad::VadEvent::SpeechStarted => VadEvent::SpeechStarted,
        vad::VadEvent::Speech => VadEvent::Speech,
        vad::VadEvent::SpeechEnded => VadEvent::SpeechEnded,
        vad::VadEvent::NoInput => VadEvent::NoInput,
        vad::VadEvent::MaxLength => VadEvent::MaxLength,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_agrees_with_the_detector_on_what_is_final() {
        use vad::VadEvent as V;
        for event in [
            V::Silence,
            V::SpeechStarted,
            V::Speech,
            V::SpeechEnded,
            V::NoInput,
            V::MaxLength,
        ] {
            assert_eq!(port_event(event).is_final(), event.is_final(), "{event:?}");
        }
    }

    #[test]
    fn a_silent_caller_ends_in_no_input_and_leaves_no_utterance() {
        let config = VadConfig::default();
        let mut buffer = UtteranceBuffer::new(config);
        let frames = config.no_input_ms as usize / 20 + 1;
        let last = (0..frames)
            .map(|_| buffer.push(&[0; FRAME_SAMPLES]))
            .last()
            .unwrap();
        assert_eq!(last, VadEvent::NoInput);
        assert_eq!(
            buffer.push(&[0; FRAME_SAMPLES]),
            VadEvent::NoInput,
            "final events repeat"
        );
        assert_eq!(buffer.state(), VadEvent::NoInput);
        assert!(buffer.utterance().is_none());
        assert!(
            buffer.audio.len()
                <= 2 * (samples(UtteranceBuffer::PRE_ROLL_MS + config.start_ms) + FRAME_SAMPLES)
        );
    }
}
