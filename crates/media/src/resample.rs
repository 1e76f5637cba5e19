//! Sample-rate conversion by band-limited interpolation, to bring an engine's audio (espeak-ng speaks at
//! 22,050 Hz) down to the 8 kHz of a telephone call.
//!
//! Dropping samples would fold everything above 4 kHz back into the band a caller hears, as hiss and ghost
//! tones. Instead each output sample is the input convolved with a Kaiser-windowed sinc low-pass centred on the
//! output sample's exact position in the input. With a rational ratio `up/down` there are only `up` distinct
//! positions between two input samples, so the filter is tabulated once per position (a polyphase filter bank)
//! and each output sample costs one short dot product.
//!
//! The filter passes up to 85 % of the lower Nyquist frequency (3.4 kHz at 8 kHz, the classic telephone band)
//! and stops from 100 % of it (4 kHz) with at least 65 dB of attenuation.

use std::fmt;

/// Stopband attenuation in dB; this sets the Kaiser window's shape and, with the transition width, its length.
const ATTENUATION_DB: f64 = 65.0;
/// The passband edge as a fraction of the lower Nyquist frequency.
const PASS_EDGE: f64 = 0.85;
/// The stopband edge as a fraction of the lower Nyquist frequency.
const STOP_EDGE: f64 = 1.0;

/// Converts 16-bit mono audio from one sample rate to another.
pub struct Resampler {
    from_hz: u32,
    to_hz: u32,
    up: u64,
    down: u64,
    /// Taps per phase: the filter reaches `taps / 2` input samples to either side.
    taps: usize,
    /// `up` phases of `taps` coefficients; phase `p` serves output positions `p / up` of a sample past an input
    /// sample.
    bank: Vec<f32>,
}

impl Resampler {
    /// Builds the filter bank for converting `from_hz` to `to_hz`.
    ///
    /// # Panics
    /// If either rate is zero.
    #[must_use]
    pub fn new(from_hz: u32, to_hz: u32) -> Self {
        assert!(from_hz > 0 && to_hz > 0, "sample rates must be positive");
        let g = gcd(u64::from(from_hz), u64::from(to_hz));
        let up = u64::from(to_hz) / g;
        let down = u64::from(from_hz) / g;

        let from = f64::from(from_hz);
        let nyquist = f64::from(from_hz.min(to_hz)) / 2.0;
        let cutoff = nyquist * (PASS_EDGE + STOP_EDGE) / 2.0 / from; // in cycles per input sample
        let transition = nyquist * (STOP_EDGE - PASS_EDGE) / from;
        // Kaiser's formulas for the window's shape parameter and the filter length.
        let beta = 0.1102 * (ATTENUATION_DB - 8.7);
        let length = (ATTENUATION_DB - 7.95) / (14.36 * transition);
        let half = (length / 2.0).ceil() as usize;
        let taps = 2 * half;

        let i0_beta = bessel_i0(beta);
        let mut bank = Vec::with_capacity(up as usize * taps);
        for phase in 0..up {
            let frac = phase as f64 / up as f64;
            let start = bank.len();
            for j in 0..taps {
                // Distance in input samples from tap j to the output position, which lies `frac` past the
                // input sample at index half - 1.
                let d = j as f64 - (half as f64 - 1.0) - frac;
                let r = d / half as f64;
                let window = if r.abs() >= 1.0 {
                    0.0
                } else {
                    bessel_i0(beta * (1.0 - r * r).sqrt()) / i0_beta
                };
                bank.push((2.0 * cutoff * sinc(2.0 * cutoff * d) * window) as f32);
            }
            // Each phase passes DC at exactly unity gain, so no phase adds a ripple at the output rate.
            let sum: f32 = bank[start..].iter().sum();
            bank[start..].iter_mut().for_each(|c| *c /= sum);
        }
        Self {
            from_hz,
            to_hz,
            up,
            down,
            taps,
            bank,
        }
    }

    /// The input sample rate.
    #[must_use]
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// The output sample rate.
    #[must_use]
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Resamples `input`, treating the audio before and after it as silence. The output has
    /// `ceil(len * to / from)` samples.
    #[must_use]
    pub fn process(&self, input: &[i16]) -> Vec<i16> {
        let len = input.len() as u64;
        let out_len = (len * self.up).div_ceil(self.down);
        let half = self.taps / 2;
        let mut out = Vec::with_capacity(out_len as usize);
        for n in 0..out_len {
            let position = n * self.down;
            let base = (position / self.up) as usize;
            let phase = (position % self.up) as usize;
            let coefficients = &self.bank[phase * self.taps..(phase + 1) * self.taps];
            // Tap j reads input[base + 1 + j - half]; clip the taps that fall outside the input.
            let first = (base + 1).saturating_sub(half);
            let skip = first + half - (base + 1);
            let last = (base + 1 + half).min(input.len());
            let acc: f32 = input[first..last]
                .iter()
                .zip(&coefficients[skip..])
                .map(|(&x, &c)| f32::from(x) * c)
                .sum();
            out.push(acc.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16);
        }
        out
    }
}

impl fmt::Debug for Resampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("phases", &self.up)
            .field("taps", &self.taps)
            .finish_non_exhaustive()
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// The modified Bessel function of the first kind, order zero, by its power series, which converges quickly for
/// the arguments a Kaiser window uses (below 10).
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > sum * 1e-12 {
        term *= (half / k) * (half / k);
        sum += term;
        k += 1.0;
    }
    sum
}
