//! WAV files, such as prompts an operator uploads: `media::wav::parse` on any bytes, and for a
//! file it accepts, the write-back round trip through `encode_pcm16` (which must give the same
//! rate and samples). A refusal's static text must be its message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use media::wav;

fuzz_target!(|data: &[u8]| {
    let parsed = match wav::parse(data) {
        Ok(parsed) => parsed,
        Err(e) => {
            assert_eq!(e.as_str(), e.to_string(), "the error's two texts agree");
            return;
        }
    };
    assert_ne!(parsed.sample_rate, 0, "a zero rate is refused");
    // Samples come from the bytes received, never from a declared size; the RIFF header and
    // two chunk headers come before them.
    assert!(
        parsed.samples.len() * 2 + 12 + 8 + 16 + 8 <= data.len(),
        "{} samples from {} bytes",
        parsed.samples.len(),
        data.len()
    );
    let bytes = wav::encode_pcm16(&parsed.samples, parsed.sample_rate);
    let again = wav::parse(&bytes)
        .unwrap_or_else(|e| panic!("a written WAV file does not parse again: {e}"));
    assert_eq!(again, parsed, "WAV round trip");
});
