//! The resampler on synthetic tones: what a caller hears must be the telephone band of what the engine spoke,
//! without high frequencies folded into it.

use media::resample::Resampler;

use crate::util::{gain_db, tone};

const ESPEAK_HZ: u32 = 22_050;

/// The level change of a tone through 22,050 Hz → 8 kHz, measured away from the edges where the filter starts
/// up on silence.
fn gain_through(hz: f64) -> f64 {
    let input = tone(hz, ESPEAK_HZ, 1.0, 10_000.0);
    let output = Resampler::new(ESPEAK_HZ, 8_000).process(&input);
    gain_db(
        &input[1_000..input.len() - 1_000],
        &output[400..output.len() - 400],
    )
}

#[test]
fn tones_in_the_telephone_band_keep_their_level() {
    for hz in [300.0, 1_000.0, 3_000.0, 3_300.0] {
        let gain = gain_through(hz);
        assert!(gain.abs() < 1.0, "{hz} Hz changed by {gain:.2} dB");
    }
}

// At 8 kHz a 6 kHz tone can only appear as its 2 kHz alias, so its level at the output is what the low-pass let
// through before decimation. Dropping samples without the filter keeps it at full level (see the next test).
#[test]
fn tones_above_the_output_nyquist_are_filtered_out_before_decimation() {
    for hz in [4_200.0, 6_000.0, 9_000.0] {
        let gain = gain_through(hz);
        assert!(gain <= -30.0, "{hz} Hz leaked through at {gain:.1} dB");
    }
}

#[test]
fn the_alias_measurement_catches_naive_decimation() {
    let input = tone(6_000.0, ESPEAK_HZ, 1.0, 10_000.0);
    let dropped: Vec<i16> = (0..input.len() * 160 / 441)
        .map(|n| input[n * 441 / 160])
        .collect();
    assert!(gain_db(&input, &dropped) > -3.0);
}

#[test]
fn the_output_length_follows_the_ratio_and_silence_stays_silent() {
    let resampler = Resampler::new(ESPEAK_HZ, 8_000);
    assert_eq!((resampler.from_hz(), resampler.to_hz()), (ESPEAK_HZ, 8_000));
    assert_eq!(resampler.process(&[0; 22_050]), vec![0; 8_000]);
    assert_eq!(resampler.process(&[0; 441]).len(), 160);
    assert_eq!(resampler.process(&[0; 442]).len(), 161);
    assert!(resampler.process(&[]).is_empty());
    // A constant level passes unchanged in the middle: every filter phase has unity gain at DC.
    let dc = resampler.process(&[1_000; 4_410]);
    assert!(
        dc[200..1_400].iter().all(|&s| s == 1_000),
        "DC was not preserved"
    );
}

#[test]
fn upsampling_keeps_the_band_too() {
    let input = tone(1_000.0, 8_000, 1.0, 10_000.0);
    let output = Resampler::new(8_000, ESPEAK_HZ).process(&input);
    assert_eq!(output.len(), 22_050);
    let gain = gain_db(&input[400..7_600], &output[1_000..21_050]);
    assert!(gain.abs() < 1.0, "1 kHz changed by {gain:.2} dB");
}
