//! Shared helpers: a seeded PRNG, the G.711 round trip every DTMF test signal goes through, detection, and
//! sine tones with their level for the resampler.

use media::dtmf::{DtmfDetector, DtmfEvent};
use media::g711::Law;

/// SplitMix64: small, seedable and good enough for noise and network simulation.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn gaussian(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

pub(crate) const LAWS: [Law; 2] = [Law::Ulaw, Law::Alaw];

/// Runs `samples` through a G.711 round trip in `law`, then through a fresh detector in chunks of 160 samples
/// (one 20 ms RTP frame), and returns every event.
pub(crate) fn detect_events(samples: &[i16], law: Law) -> Vec<DtmfEvent> {
    let coded = law.round_trip(samples);
    let mut detector = DtmfDetector::new();
    coded
        .chunks(160)
        .flat_map(|chunk| detector.push(chunk))
        .collect()
}

/// The digits whose onset was reported.
pub(crate) fn detect(samples: &[i16], law: Law) -> String {
    detect_events(samples, law)
        .iter()
        .filter(|e| e.end_sample.is_none())
        .map(|e| e.digit)
        .collect()
}

/// Adds white Gaussian noise at `dbm0` (the power of the noise in dBm0, with the sine convention of the tone
/// generator: a sine of level L has RMS amplitude/√2).
pub(crate) fn add_noise(samples: &mut [i16], dbm0: f64, rng: &mut Rng) {
    let rms = media::tone::dbm0_to_amplitude(dbm0) / std::f64::consts::SQRT_2;
    for s in samples {
        let v = f64::from(*s) + rms * rng.gaussian();
        *s = v.round().clamp(-32768.0, 32767.0) as i16;
    }
}

/// A sine tone of `hz` at `rate`, `seconds` long, with peak `amplitude`.
pub(crate) fn tone(hz: f64, rate: u32, seconds: f64, amplitude: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .map(|i| {
            (amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin())
                .round() as i16
        })
        .collect()
}

/// Root mean square level.
pub(crate) fn rms(samples: &[i16]) -> f64 {
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (energy / samples.len().max(1) as f64).sqrt()
}

/// The level of `output` relative to `input` in dB.
pub(crate) fn gain_db(input: &[i16], output: &[i16]) -> f64 {
    20.0 * (rms(output) / rms(input)).log10()
}
