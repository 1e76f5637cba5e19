//! Text-to-speech: the default engine behind `app`'s [`Synthesizer`] port, [`EspeakSynthesizer`], engines chosen by
//! configuration ([`ExternalSynthesizer`]: any command writing a WAV file, or an HTTP endpoint; [`ByLanguage`]), and the
//! µ-law framing of its prompts. The port itself ([`Synthesizer`], [`Voice`], [`Prompt`], [`TtsError`]) is
//! defined in `app` and re-exported here.
//!
//! A prompt is 8 kHz mono linear PCM, the rate of a G.711 call, so a call only has to slice it into 20 ms frames
//! and compand them. Prompts are synthesised when a flow is published, not when a caller reaches them, which is
//! why the engine caches on disk: a restart or a second node finds the audio ready.
//!
//! Prompt texts can contain caller data through templates, so nothing here logs or returns a text; logs name a
//! prompt by the hash of its voice and text.

mod cache;
mod espeak;
mod external;

use std::sync::Arc;

pub use app::{Prompt, Synthesizer, TtsError, Voice};

pub use espeak::EspeakSynthesizer;
pub use external::{ByLanguage, ExternalEngine, ExternalSynthesizer};

/// The sample rate of every [`Prompt`]: narrowband telephony ([`Prompt::SAMPLE_RATE_HZ`]).
pub const SAMPLE_RATE_HZ: u32 = Prompt::SAMPLE_RATE_HZ;
/// Samples in one 20 ms frame at [`SAMPLE_RATE_HZ`], which is also the size of one µ-law payload.
pub const FRAME_SAMPLES: usize = 160;
/// The longest text, in characters, that a synthesizer accepts ([`Prompt::MAX_TEXT_CHARS`]).
pub const MAX_TEXT_CHARS: usize = Prompt::MAX_TEXT_CHARS;

/// Refuses what no engine is asked to speak: a text longer than [`MAX_TEXT_CHARS`], or one of
/// blanks only.
pub(crate) fn check_text(text: &str) -> Result<(), TtsError> {
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(TtsError::TextTooLong {
            chars,
            max: MAX_TEXT_CHARS,
        });
    }
    if text.trim().is_empty() {
        return Err(TtsError::EmptyText);
    }
    Ok(())
}

/// `prompt` as 20 ms µ-law frames, ready to be RTP payloads; the last frame is padded with silence. The
/// iterator owns a reference to the samples, so a call's driver task can keep it across awaits. (A function
/// here rather than a method of [`Prompt`] because the port in `app` knows no codec.)
pub fn ulaw_frames(prompt: &Prompt) -> impl Iterator<Item = [u8; FRAME_SAMPLES]> + use<> {
    let samples = Arc::clone(&prompt.samples);
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
