//! Throughput of the in-band DTMF detector, reported as channels of real-time 8 kHz audio one core can watch.
//!
//! Run with `cargo bench -p media --bench dtmf`. The signal is a minute of digits, pauses and noise after a
//! µ-law round trip, fed in 20 ms frames as the call shell does.

use std::hint::black_box;
use std::time::Instant;

use media::dtmf::DtmfDetector;
use media::g711::Law;
use media::tone::{DigitTone, ToneGenerator};

fn main() {
    let mut g = ToneGenerator::new();
    while g.samples().len() < 8000 * 60 {
        g.digits("0123456789*#ABCD", &DigitTone::new(80).level(-12.0), 120)
            .ok();
        g.silence(500);
    }
    let mut samples = Law::Ulaw.round_trip(g.samples());
    // Cheap deterministic noise so the detector sees no exact silence.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for s in &mut samples {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *s = s.saturating_add((state % 64) as i16 - 32);
    }
    let seconds_of_audio = samples.len() as f64 / 8000.0;
    let mut best = f64::MAX;
    let mut digits = 0;
    for _ in 0..5 {
        let mut detector = DtmfDetector::new();
        let start = Instant::now();
        digits = 0;
        for frame in samples.chunks(160) {
            digits += black_box(detector.push(black_box(frame))).len();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let channels = seconds_of_audio / best;
    #[allow(clippy::print_stdout)] // A benchmark binary reports on stdout.
    {
        println!(
            "dtmf detector: {seconds_of_audio:.0} s of audio in {:.1} ms (best of 5), {} events; \
             {:.0} samples/s = {channels:.0} real-time channels per core",
            best * 1000.0,
            digits,
            seconds_of_audio * 8000.0 / best,
        );
    }
}
