//! The voice activity detector against a table of signals: silence, noise at several levels, tones, clicks,
//! synthetic speech in quiet and in noise, pauses inside an utterance, and speech that never stops. Each signal
//! goes through a µ-law round trip, as a caller's audio does, and is pushed in 20 ms frames.

use media::g711::Law;
use media::vad::{FRAME_SAMPLES, Vad, VadConfig, VadEvent, level_dbfs};

use crate::util::Rng;

const RATE: f64 = 8_000.0;

/// One stretch of a test signal.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// Nothing but the background.
    Gap { ms: u32 },
    /// A sine tone at `dbfs` (RMS).
    Tone { ms: u32, hz: f64, dbfs: f64 },
    /// Syllables of a voiced, speech-like sound at `dbfs` (RMS over the part).
    Speech { ms: u32, dbfs: f64 },
    /// A single full-scale impulse decaying over 2 ms: a click on the line.
    Click,
}

/// Builds a signal from `parts` over white noise at `noise_dbfs` (RMS; `None` for digital silence).
fn signal(parts: &[Part], noise_dbfs: Option<f64>, seed: u64) -> Vec<i16> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<f64> = Vec::new();
    for part in parts {
        match *part {
            Part::Gap { ms } => out.extend(std::iter::repeat_n(0.0, samples(ms))),
            Part::Tone { ms, hz, dbfs } => {
                let amplitude = rms_amplitude(dbfs) * std::f64::consts::SQRT_2;
                out.extend(
                    (0..samples(ms))
                        .map(|i| amplitude * (std::f64::consts::TAU * hz * i as f64 / RATE).sin()),
                );
            }
            Part::Speech { ms, dbfs } => out.extend(speech(samples(ms), dbfs, &mut rng)),
            Part::Click => {
                out.extend((0..16).map(|i| 30_000.0 * (-(i as f64) / 4.0).exp()));
            }
        }
    }
    if let Some(dbfs) = noise_dbfs {
        let sigma = rms_amplitude(dbfs);
        for sample in &mut out {
            *sample += sigma * rng.gaussian();
        }
    }
    let linear: Vec<i16> = out
        .iter()
        .map(|&s| s.round().clamp(-32_768.0, 32_767.0) as i16)
        .collect();
    Law::Ulaw.round_trip(&linear)
}

fn samples(ms: u32) -> usize {
    ms as usize * 8
}

fn rms_amplitude(dbfs: f64) -> f64 {
    32_768.0 * 10f64.powf(dbfs / 20.0)
}

/// A speech-like sound: syllables of about 200 ms, each a harmonic-rich voiced tone whose pitch glides, under a
/// raised-cosine envelope, separated by short dips 30 dB down (the gaps between syllables).
fn speech(n: usize, dbfs: f64, rng: &mut Rng) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut phase = 0.0_f64;
    let mut i = 0;
    while i < n {
        let syllable = (rng.range(150.0, 260.0) * 8.0) as usize;
        let dip = (rng.range(20.0, 60.0) * 8.0) as usize;
        let f0_start = rng.range(100.0, 160.0);
        let f0_end = f0_start * rng.range(0.8, 1.2);
        for j in 0..syllable + dip {
            if i >= n {
                break;
            }
            let envelope = if j < syllable {
                let x = j as f64 / syllable as f64;
                0.03 + 0.97 * (std::f64::consts::PI * x).sin().powi(2)
            } else {
                0.03
            };
            let f0 = f0_start + (f0_end - f0_start) * (j.min(syllable) as f64 / syllable as f64);
            phase += std::f64::consts::TAU * f0 / RATE;
            let harmonics = (3_400.0 / f0) as usize;
            let voiced: f64 = (1..=harmonics)
                .map(|k| (k as f64 * phase).sin() / k as f64)
                .sum();
            out.push(envelope * voiced);
            i += 1;
        }
    }
    let rms = (out.iter().map(|s| s * s).sum::<f64>() / out.len().max(1) as f64).sqrt();
    let gain = rms_amplitude(dbfs) / rms.max(1e-9);
    out.iter().map(|s| s * gain).collect()
}

/// What the detector did with a signal: each change of event with the time (ms, at the end of the frame) it
/// first appeared, up to and including the final event.
fn trace(samples: &[i16], config: VadConfig) -> Vec<(VadEvent, u32)> {
    let mut vad = Vad::new(config);
    let mut changes: Vec<(VadEvent, u32)> = Vec::new();
    for (i, frame) in samples.chunks(FRAME_SAMPLES).enumerate() {
        let event = vad.push(frame);
        if changes.last().map(|&(e, _)| e) != Some(event) {
            changes.push((event, (i as u32 + 1) * 20));
        }
        if event.is_final() {
            break;
        }
    }
    changes
}

/// What a case expects: the final event, and windows (ms) for when speech started and when the final event came.
#[derive(Debug)]
struct Expect {
    last: Option<VadEvent>,
    started: Option<(u32, u32)>,
    finished: Option<(u32, u32)>,
}

fn expect(last: VadEvent, started: Option<(u32, u32)>, finished: (u32, u32)) -> Expect {
    Expect {
        last: Some(last),
        started,
        finished: Some(finished),
    }
}

fn check(name: &str, parts: &[Part], noise: Option<f64>, want: &Expect) {
    let trace = trace(&signal(parts, noise, 7), VadConfig::default());
    let started = trace
        .iter()
        .find(|&&(e, _)| e == VadEvent::SpeechStarted)
        .map(|&(_, t)| t);
    let last = trace.last().copied();
    match (want.started, started) {
        (None, None) => {}
        (Some((lo, hi)), Some(t)) if (lo..=hi).contains(&t) => {}
        _ => panic!(
            "{name}: speech start {started:?}, want {:?}; trace {trace:?}",
            want.started
        ),
    }
    assert_eq!(last.map(|(e, _)| e), want.last, "{name}: trace {trace:?}");
    if let (Some((lo, hi)), Some((_, t))) = (want.finished, last) {
        assert!(
            (lo..=hi).contains(&t),
            "{name}: final at {t} ms, want {lo}..={hi}; trace {trace:?}"
        );
    }
}

use Part::{Click, Gap, Speech, Tone};

#[test]
fn table() {
    let no_input = || expect(VadEvent::NoInput, None, (5_000, 5_000));
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Part>, Option<f64>, Expect)> = vec![
        ("digital silence", vec![Gap { ms: 6_000 }], None, no_input()),
        ("noise -65 dBFS", vec![Gap { ms: 6_000 }], Some(-65.0), no_input()),
        ("noise -45 dBFS", vec![Gap { ms: 6_000 }], Some(-45.0), no_input()),
        ("noise -30 dBFS", vec![Gap { ms: 6_000 }], Some(-30.0), no_input()),
        ("noise -15 dBFS", vec![Gap { ms: 6_000 }], Some(-15.0), no_input()),
        ("steady tone from the start", vec![Tone { ms: 6_000, hz: 1_000.0, dbfs: -20.0 }], None, no_input()),
        ("a click", vec![Gap { ms: 1_000 }, Click, Gap { ms: 5_000 }], Some(-60.0), no_input()),
        ("clicks in a row", vec![Gap { ms: 1_000 }, Click, Gap { ms: 40 }, Click, Gap { ms: 40 }, Click, Gap { ms: 5_000 }],
            Some(-60.0), no_input()),
        ("a 60 ms burst", vec![Gap { ms: 1_000 }, Tone { ms: 60, hz: 440.0, dbfs: -20.0 }, Gap { ms: 5_000 }],
            Some(-60.0), no_input()),
        ("tone after silence", vec![Gap { ms: 500 }, Tone { ms: 1_000, hz: 425.0, dbfs: -20.0 }, Gap { ms: 2_000 }],
            Some(-60.0), expect(VadEvent::SpeechEnded, Some((600, 640)), (2_200, 2_240))),
        ("speech in quiet", vec![Gap { ms: 1_000 }, Speech { ms: 1_200, dbfs: -20.0 }, Gap { ms: 2_000 }],
            Some(-60.0), expect(VadEvent::SpeechEnded, Some((1_060, 1_300)), (2_700, 2_960))),
        ("quiet speech on a silent line", vec![Gap { ms: 1_000 }, Speech { ms: 1_200, dbfs: -40.0 }, Gap { ms: 2_000 }],
            None, expect(VadEvent::SpeechEnded, Some((1_060, 1_300)), (2_700, 2_960))),
        ("speech in noise, 25 dB SNR", vec![Gap { ms: 1_000 }, Speech { ms: 1_200, dbfs: -20.0 }, Gap { ms: 2_000 }],
            Some(-45.0), expect(VadEvent::SpeechEnded, Some((1_060, 1_300)), (2_700, 2_960))),
        ("speech in noise, 18 dB SNR", vec![Gap { ms: 1_000 }, Speech { ms: 1_200, dbfs: -20.0 }, Gap { ms: 2_000 }],
            Some(-38.0), expect(VadEvent::SpeechEnded, Some((1_060, 1_400)), (2_600, 2_960))),
        ("speech from the first frame", vec![Speech { ms: 1_500, dbfs: -20.0 }, Gap { ms: 2_000 }],
            Some(-60.0), expect(VadEvent::SpeechEnded, Some((100, 700)), (2_000, 2_260))),
        ("two words, a 400 ms pause", vec![Gap { ms: 800 }, Speech { ms: 600, dbfs: -20.0 }, Gap { ms: 400 },
            Speech { ms: 600, dbfs: -20.0 }, Gap { ms: 2_000 }],
            Some(-60.0), expect(VadEvent::SpeechEnded, Some((860, 1_100)), (3_000, 3_160))),
        ("speech after the no-input timeout", vec![Gap { ms: 5_500 }, Speech { ms: 1_000, dbfs: -20.0 }],
            Some(-60.0), no_input()),
        ("very long speech", vec![Gap { ms: 500 }, Speech { ms: 20_000, dbfs: -20.0 }],
            Some(-50.0), expect(VadEvent::MaxLength, Some((560, 800)), (15_500, 15_800))),
        ("a tone that does not stop", vec![Gap { ms: 500 }, Tone { ms: 20_000, hz: 425.0, dbfs: -20.0 }],
            Some(-60.0), expect(VadEvent::MaxLength, Some((600, 640)), (15_500, 15_540))),
    ];
    for (name, parts, noise, want) in &cases {
        check(name, parts, *noise, want);
    }
}

#[test]
fn final_events_repeat_and_the_speech_range_covers_the_utterance() {
    let samples = signal(
        &[
            Gap { ms: 1_000 },
            Speech {
                ms: 1_000,
                dbfs: -25.0,
            },
            Gap { ms: 1_000 },
        ],
        Some(-60.0),
        3,
    );
    let mut vad = Vad::new(VadConfig::default());
    assert_eq!(vad.speech(), None);
    let mut events = samples.chunks(FRAME_SAMPLES).map(|f| vad.push(f));
    assert!(events.any(|e| e == VadEvent::SpeechEnded));
    assert_eq!(vad.push(&[0; FRAME_SAMPLES]), VadEvent::SpeechEnded);
    assert_eq!(vad.push(&[20_000; FRAME_SAMPLES]), VadEvent::SpeechEnded);
    let range = vad.speech().expect("the utterance is known");
    // The syllable envelope starts near zero, so the detected start lies a little after the sound does.
    assert!((8_000..8_800).contains(&range.start), "{range:?}");
    assert!((15_200..=16_000).contains(&range.end), "{range:?}");
}

#[test]
fn the_noise_floor_settles_on_steady_noise_and_drops_at_once() {
    let mut vad = Vad::new(VadConfig::default());
    let noise = signal(&[Gap { ms: 2_000 }], Some(-40.0), 11);
    for frame in noise.chunks(FRAME_SAMPLES) {
        vad.push(frame);
    }
    let floor = vad.noise_floor_dbfs().expect("frames were pushed");
    assert!((-43.0..=-39.0).contains(&floor), "floor {floor}");
    vad.push(&[0; FRAME_SAMPLES]);
    assert_eq!(vad.noise_floor_dbfs(), Some(media::vad::SILENCE_DBFS));
}

#[test]
fn frame_levels() {
    assert_eq!(level_dbfs(&[]), media::vad::SILENCE_DBFS);
    assert_eq!(level_dbfs(&[0; 160]), media::vad::SILENCE_DBFS);
    let full: Vec<i16> = (0..160)
        .map(|i| if i % 2 == 0 { 32_767 } else { -32_768 })
        .collect();
    assert!(level_dbfs(&full).abs() < 0.01);
    let half: Vec<i16> = full.iter().map(|s| s / 2).collect();
    assert!((level_dbfs(&half) + 6.02).abs() < 0.05);
}
