//! Uploaded prompt files: `media::prompt::decode_to_telephone` on any bytes (WAV, MP3, Ogg
//! Vorbis and Ogg Opus are tried by their first bytes). It must never panic, and what it accepts
//! is 8 kHz audio of at most five minutes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use media::prompt::{MAX_PROMPT_MS, decode_to_telephone};

fuzz_target!(|data: &[u8]| {
    if let Ok(audio) = decode_to_telephone(data) {
        assert!(!audio.samples.is_empty(), "an accepted prompt has samples");
        assert!(
            audio.duration_ms() <= MAX_PROMPT_MS,
            "an accepted prompt is short enough"
        );
    }
});
