//! A generator of DTMF digits, tones and silence as 8 kHz linear PCM.
//!
//! Tests use it to build the Q.24 battery for [`crate::dtmf`]; the voice shell uses it for prompts such as a
//! dial tone and to send in-band DTMF when a peer has no RFC 4733, and for the cues of a call: the beep before a
//! recording ([`beep`]) and hold music ([`HoldChime`]). Levels are in dBm0 per tone, with the
//! convention spandsp and G.168 use: a full-scale sine (peak 32,767) is +3.14 dBm0.

use std::f64::consts::TAU;

use thiserror::Error;

/// The sampling rate of every signal in this crate.
pub const SAMPLE_RATE: u32 = 8000;
/// The level of a sine whose peak is 32,767 (G.711's digital milliwatt sits 3.14 dB below full scale).
// Not π: the value is a level in dB that happens to share its digits.
#[allow(clippy::approx_constant)]
pub const MAX_SINE_DBM0: f64 = 3.14;
/// The low-group (row) frequencies of DTMF.
pub const ROW_FREQUENCIES: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high-group (column) frequencies of DTMF.
pub const COLUMN_FREQUENCIES: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The sixteen digits in keypad order: row by row, column by column.
pub const DIGITS: [char; 16] = [
    '1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D',
];

/// Why a tone cannot be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ToneError {
    /// Not one of `0-9`, `*`, `#`, `A-D`.
    #[error("{0:?} is not a DTMF digit")]
    UnknownDigit(char),
}

/// The row and column index of a DTMF digit (lower-case `a`–`d` accepted).
#[must_use]
pub fn digit_position(digit: char) -> Option<(usize, usize)> {
    let digit = digit.to_ascii_uppercase();
    DIGITS
        .iter()
        .position(|&d| d == digit)
        .map(|i| (i / 4, i % 4))
}

/// The low and high frequency of a DTMF digit.
#[must_use]
pub fn digit_frequencies(digit: char) -> Option<(f64, f64)> {
    digit_position(digit).map(|(r, c)| (ROW_FREQUENCIES[r], COLUMN_FREQUENCIES[c]))
}

/// The peak amplitude of a sine at `dbm0`.
#[must_use]
pub fn dbm0_to_amplitude(dbm0: f64) -> f64 {
    32767.0 * 10f64.powf((dbm0 - MAX_SINE_DBM0) / 20.0)
}

/// How to play one DTMF digit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitTone {
    /// Level of the low-group tone in dBm0.
    pub low_dbm0: f64,
    /// Level of the high-group tone in dBm0.
    pub high_dbm0: f64,
    /// Relative frequency deviation of the low tone (0.015 is +1.5 %).
    pub low_deviation: f64,
    /// Relative frequency deviation of the high tone.
    pub high_deviation: f64,
    /// Duration in milliseconds.
    pub duration_ms: u32,
}

impl DigitTone {
    /// Both tones at −10 dBm0, nominal frequencies, for `duration_ms`.
    #[must_use]
    pub fn new(duration_ms: u32) -> Self {
        Self {
            low_dbm0: -10.0,
            high_dbm0: -10.0,
            low_deviation: 0.0,
            high_deviation: 0.0,
            duration_ms,
        }
    }

    /// Both tones at `dbm0`.
    #[must_use]
    pub fn level(self, dbm0: f64) -> Self {
        Self {
            low_dbm0: dbm0,
            high_dbm0: dbm0,
            ..self
        }
    }

    /// The high tone `db` below the low tone (normal twist); negative `db` puts it above (reverse twist).
    #[must_use]
    pub fn twist(self, db: f64) -> Self {
        Self {
            high_dbm0: self.low_dbm0 - db,
            ..self
        }
    }

    /// Both tones shifted by the relative `deviation`.
    #[must_use]
    pub fn deviation(self, deviation: f64) -> Self {
        Self {
            low_deviation: deviation,
            high_deviation: deviation,
            ..self
        }
    }
}

/// Appends tones and silence to a buffer of 8 kHz samples.
#[derive(Debug, Clone, Default)]
pub struct ToneGenerator {
    samples: Vec<i16>,
}

impl ToneGenerator {
    /// An empty generator.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a DTMF digit.
    ///
    /// # Errors
    /// [`ToneError::UnknownDigit`] for a character that is not a DTMF digit.
    pub fn digit(&mut self, digit: char, tone: &DigitTone) -> Result<&mut Self, ToneError> {
        let (low, high) = digit_frequencies(digit).ok_or(ToneError::UnknownDigit(digit))?;
        Ok(self.tone(
            &[
                (low * (1.0 + tone.low_deviation), tone.low_dbm0),
                (high * (1.0 + tone.high_deviation), tone.high_dbm0),
            ],
            tone.duration_ms,
        ))
    }

    /// Appends each digit of `digits` for `tone`, followed by `gap_ms` of silence.
    ///
    /// # Errors
    /// [`ToneError::UnknownDigit`] at the first character that is not a DTMF digit.
    pub fn digits(
        &mut self,
        digits: &str,
        tone: &DigitTone,
        gap_ms: u32,
    ) -> Result<&mut Self, ToneError> {
        for d in digits.chars() {
            self.digit(d, tone)?;
            self.silence(gap_ms);
        }
        Ok(self)
    }

    /// Appends the sum of sines given as `(frequency in Hz, level in dBm0)`, each starting at phase zero.
    pub fn tone(&mut self, components: &[(f64, f64)], duration_ms: u32) -> &mut Self {
        let n = samples_for(duration_ms);
        let parts: Vec<(f64, f64)> = components
            .iter()
            .map(|&(f, dbm0)| (TAU * f / f64::from(SAMPLE_RATE), dbm0_to_amplitude(dbm0)))
            .collect();
        self.samples.extend((0..n).map(|i| {
            let v: f64 = parts.iter().map(|&(w, a)| a * (w * i as f64).sin()).sum();
            v.round().clamp(-32768.0, 32767.0) as i16
        }));
        self
    }

    /// Appends `duration_ms` of digital silence.
    pub fn silence(&mut self, duration_ms: u32) -> &mut Self {
        self.samples
            .extend(std::iter::repeat_n(0, samples_for(duration_ms)));
        self
    }

    /// Appends `count` samples of silence (for offsets finer than a millisecond).
    pub fn silence_samples(&mut self, count: usize) -> &mut Self {
        self.samples.extend(std::iter::repeat_n(0, count));
        self
    }

    /// The samples so far.
    #[must_use]
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// Takes the samples, leaving the generator empty.
    pub fn take(&mut self) -> Vec<i16> {
        std::mem::take(&mut self.samples)
    }
}

/// The number of samples in `duration_ms` at 8 kHz.
#[must_use]
pub fn samples_for(duration_ms: u32) -> usize {
    duration_ms as usize * SAMPLE_RATE as usize / 1000
}

/// Fills `frame` with the start of a 1 kHz beep (peak 8,000), the cue that a recording begins: "speak now".
/// The phase starts at zero for every frame, so each call gives the same samples.
pub fn beep(frame: &mut [i16]) {
    for (i, s) in frame.iter_mut().enumerate() {
        let t = i as f32 / SAMPLE_RATE as f32;
        *s = (f32::sin(2.0 * std::f32::consts::PI * 1000.0 * t) * 8000.0) as i16;
    }
}

/// Hold music: a soft two-tone chime (C5 then E5, each fading over half a second) every two seconds, so a
/// caller waiting in a queue hears that the line is alive without a melody that grates after ten minutes.
#[derive(Debug, Clone, Default)]
pub struct HoldChime {
    /// Samples played so far.
    pos: usize,
}

impl HoldChime {
    /// Samples in one period of the chime (two seconds).
    pub const PERIOD: usize = 16_000;

    /// A chime at the start of its period.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Fills `frame` with the next samples of the chime.
    pub fn fill(&mut self, frame: &mut [i16]) {
        for s in frame.iter_mut() {
            let p = self.pos % Self::PERIOD;
            let t = p as f32 / SAMPLE_RATE as f32;
            let f = if p < 4000 { 523.25 } else { 659.25 };
            let envelope = if p < 8000 {
                (1.0 - (p % 4000) as f32 / 4000.0) * 3000.0
            } else {
                0.0
            };
            *s = (f32::sin(2.0 * std::f32::consts::PI * f * t) * envelope) as i16;
            self.pos += 1;
        }
    }
}
