//! In-band DTMF detection on audio from the network: bytes become samples (16-bit little-endian
//! linear PCM, or G.711 µ-law or A-law as RTP carries them, chosen by the low two bits of the first
//! byte) and go through `DtmfDetector`, once whole and once in chunks of as many samples as the
//! first byte's upper six bits say. Nothing may panic, events must be well formed, and the
//! chunking must not change what is detected.

#![no_main]

use libfuzzer_sys::fuzz_target;
use media::dtmf::{DtmfDetector, DtmfEvent};
use media::g711;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut samples = Vec::with_capacity(rest.len());
    match mode & 3 {
        0 => samples.extend(
            rest.chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        ),
        1 => g711::ulaw_decode_into(rest, &mut samples),
        _ => g711::alaw_decode_into(rest, &mut samples),
    }

    let whole = DtmfDetector::new().push(&samples);

    let mut detector = DtmfDetector::new();
    let mut chunked: Vec<DtmfEvent> = Vec::new();
    let step = usize::from(mode >> 2).max(1);
    for chunk in samples.chunks(step) {
        chunked.extend(detector.push(chunk));
        let _ = detector.current_digit();
    }
    assert_eq!(
        whole, chunked,
        "chunk size {step} changed the detected events"
    );

    let total = samples.len() as u64;
    for e in &whole {
        assert!("0123456789*#ABCD".contains(e.digit), "digit {:?}", e.digit);
        assert!(
            e.start_sample <= total,
            "event starts after the input: {e:?}"
        );
        if let Some(end) = e.end_sample {
            assert!(
                e.start_sample < end && end <= total,
                "event ends before it starts or after the input: {e:?}"
            );
        }
    }
});
