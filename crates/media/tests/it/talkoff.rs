//! Talk-off: deterministic speech-like signals must never produce a digit. Without a speech corpus we synthesise
//! voiced sound the way a source-filter model does (a glottal harmonic series with gliding pitch, shaped by
//! formant resonances of real vowels and a syllable envelope), plus fricative noise and music-like chords.

use std::f64::consts::TAU;

use crate::util::{LAWS, Rng, detect};

/// Formants (frequency, bandwidth) of vowels, roughly Peterson & Barney's averages for men, women and children.
const VOWELS: [[(f64, f64); 3]; 10] = [
    [(730.0, 90.0), (1090.0, 110.0), (2440.0, 170.0)], // a (man)
    [(270.0, 60.0), (2290.0, 100.0), (3010.0, 120.0)], // i (man)
    [(300.0, 60.0), (870.0, 90.0), (2240.0, 150.0)],   // u (man)
    [(530.0, 70.0), (1840.0, 100.0), (2480.0, 140.0)], // e (man)
    [(570.0, 80.0), (840.0, 90.0), (2410.0, 150.0)],   // o (man)
    [(850.0, 100.0), (1220.0, 110.0), (2810.0, 170.0)], // a (woman)
    [(310.0, 60.0), (2790.0, 120.0), (3310.0, 150.0)], // i (woman)
    [(610.0, 80.0), (2330.0, 120.0), (2990.0, 160.0)], // ae (woman)
    [(690.0, 90.0), (1660.0, 120.0), (2540.0, 160.0)], // uh (woman)
    [(700.0, 80.0), (1210.0, 90.0), (2600.0, 150.0)],  // a tuned near DTMF '1' on purpose
];

/// Resonance amplitude of a formant at `f`.
fn resonance(f: f64, (centre, bandwidth): (f64, f64)) -> f64 {
    let x = (f - centre) / (bandwidth / 2.0);
    1.0 / (1.0 + x * x).sqrt()
}

/// One voiced syllable: pitch glides from `f0_start` to `f0_end`, a raised-cosine envelope, about −12 dBm0.
fn syllable(
    out: &mut Vec<i16>,
    ms: u32,
    f0_start: f64,
    f0_end: f64,
    vowel: &[(f64, f64); 3],
    jitter: &mut Rng,
) {
    let n = (ms * 8) as usize;
    let mut phase = 0.0f64;
    let amplitude = media::tone::dbm0_to_amplitude(-12.0);
    let mut buf = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f64 / n as f64;
        // Natural pitch is never perfectly steady: a glide plus a little random flutter.
        let f0 = f0_start + (f0_end - f0_start) * t + jitter.range(-0.5, 0.5);
        phase += TAU * f0 / 8000.0;
        let mut v = 0.0;
        let mut h = 1.0;
        while h * f0 < 3600.0 {
            let f = h * f0;
            let gain: f64 = vowel
                .iter()
                .map(|&formant| resonance(f, formant))
                .sum::<f64>()
                / h.sqrt();
            v += gain * (h * phase).sin();
            h += 1.0;
        }
        let envelope = 0.5 - 0.5 * (TAU * t).cos();
        buf.push(v * envelope);
    }
    let peak = buf.iter().fold(1e-9f64, |m, v| m.max(v.abs()));
    out.extend(buf.iter().map(|v| (v / peak * amplitude).round() as i16));
}

/// A minute of varied "speech": syllables of random vowels, pitches and glides, pauses, fricatives.
fn speech(seed: u64, seconds: u32) -> Vec<i16> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    while out.len() < (seconds * 8000) as usize {
        let vowel = &VOWELS[(rng.next_u64() % VOWELS.len() as u64) as usize];
        // Men, women and children: 80 to 300 Hz.
        let f0 = rng.range(80.0, 300.0);
        let glide = f0 * rng.range(-0.25, 0.25);
        let ms = rng.range(60.0, 400.0) as u32;
        syllable(&mut out, ms, f0, f0 + glide, vowel, &mut rng);
        if rng.chance(0.3) {
            // A fricative: noise.
            let n = rng.range(300.0, 1200.0) as usize;
            out.extend((0..n).map(|_| (rng.gaussian() * 800.0) as i16));
        }
        if rng.chance(0.4) {
            out.extend(std::iter::repeat_n(0, rng.range(80.0, 2400.0) as usize));
        }
    }
    out
}

#[test]
fn synthetic_speech_produces_no_digits() {
    for law in LAWS {
        for seed in 1..=4 {
            assert_eq!(detect(&speech(seed, 30), law), "", "{law:?} seed {seed}");
        }
    }
}

/// Held vowels at steady pitches chosen so that harmonics land on DTMF pairs (the hardest case for a detector
/// that only looks at two frequencies), for example 100 Hz puts harmonics on 700 and 1200 Hz.
#[test]
fn steady_vowels_with_harmonics_on_dtmf_frequencies_produce_no_digits() {
    let mut rng = Rng::new(7);
    for law in LAWS {
        for f0 in [100.0, 116.5, 139.4, 174.25, 233.0, 241.7, 302.3] {
            for vowel in &VOWELS {
                let mut s = Vec::new();
                syllable(&mut s, 600, f0, f0 * 1.003, vowel, &mut rng);
                assert_eq!(detect(&s, law), "", "{law:?} f0 {f0} vowel {vowel:?}");
            }
        }
    }
}

/// Vowel-like amplitude-modulated signals: a few strong partials under a 4 Hz syllable envelope.
#[test]
fn amplitude_modulated_partials_produce_no_digits() {
    for law in LAWS {
        for (carriers, rate) in [
            (&[500.0, 1000.0, 1500.0][..], 4.0),
            (&[600.0, 900.0, 1200.0, 1500.0][..], 3.0),
            (&[350.0, 700.0, 1050.0, 1400.0][..], 5.0),
            (&[400.0, 800.0, 1200.0, 1600.0, 2000.0][..], 4.0),
        ] {
            let s: Vec<i16> = (0..8000 * 4)
                .map(|i| {
                    let t = f64::from(i) / 8000.0;
                    let env = 0.5 - 0.5 * (TAU * rate * t).cos();
                    let v: f64 = carriers.iter().map(|&f| (TAU * f * t).sin()).sum::<f64>();
                    (v * env * 6000.0) as i16
                })
                .collect();
            assert_eq!(detect(&s, law), "", "{law:?} {carriers:?}");
        }
    }
}
