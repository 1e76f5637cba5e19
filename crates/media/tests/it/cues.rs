//! The cues a call plays: the beep before a recording and the hold chime.

use media::tone::{HoldChime, beep};

use crate::util::rms;

#[test]
fn the_beep_is_a_loud_1_khz_tone() {
    let mut frame = [0i16; 160];
    beep(&mut frame);
    // 1 kHz at 8 kHz: eight samples a period, zero crossings every four.
    assert_eq!(frame[0], 0);
    assert_eq!(frame[2], 8000);
    assert!(frame[4].abs() <= 1);
    assert_eq!(frame[6], -8000);
    assert!((rms(&frame) - 8000.0 / std::f64::consts::SQRT_2).abs() < 10.0);
}

#[test]
fn the_hold_chime_sounds_for_one_second_then_rests_and_repeats() {
    let mut chime = HoldChime::new();
    let mut period = vec![0i16; HoldChime::PERIOD];
    for frame in period.chunks_mut(160) {
        chime.fill(frame);
    }
    assert!(rms(&period[..4_000]) > 500.0, "the first tone sounds");
    assert!(rms(&period[4_000..8_000]) > 500.0, "the second tone sounds");
    assert!(period[8_000..].iter().all(|&s| s == 0), "then it rests");
    let mut next = vec![0i16; HoldChime::PERIOD];
    chime.fill(&mut next);
    assert_eq!(next, period, "every period is the same");
}
