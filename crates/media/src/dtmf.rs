//! An in-band DTMF detector for 8 kHz linear PCM that meets ITU-T Q.24.
//!
//! The signal is cut into blocks of 102 samples (12.75 ms) on a fixed grid, as spandsp's `dtmf_rx` does. Each
//! block runs Goertzel filters on the eight DTMF frequencies and on their second harmonics, separately over its
//! two halves. From the two half-block outputs of a tone come its energy in the whole block, its energy in each
//! half (after separating it from the leakage of the other tone of the pair, since a 51-sample filter is wide)
//! and its frequency, from the phase it gains between the halves. A block is a *hit* for a digit when:
//!
//! - the strongest row and column tone are above the level floor ([`MIN_LEVEL_DBM0`]);
//! - each tone's measured frequency is within [`MAX_DEVIATION`] of nominal, which sits between Q.24's "accept
//!   ±1.5 %" and "reject ±3.5 %" (a tone 3.5 % off still passes a 13 ms filter with most of its energy, so the
//!   phase estimate, not the filter's bandwidth, does the rejecting);
//! - the twist, measured on amplitudes corrected for the frequency offset, is within the normal and reverse
//!   limits;
//! - the two tones carry most of the block's energy, no other DTMF filter and neither second harmonic holds more
//!   than the two tones' own leakage explains (talk-off rejection: voiced speech is a whole series of
//!   harmonics, a DTMF digit two clean sines);
//! - both tones are about as strong in the first half of the block as in the second.
//!
//! A digit begins after two consecutive hits for it *and* a third half block, just before or just after them,
//! in which both tones are present; it ends after three consecutive blocks without it, so that one lost and
//! concealed 20 ms frame inside a tone does not split it, while a 40 ms pause (three blocks, counting the
//! partial ones, which fail the half-balance test) still separates two digits. A tone of 40 ms always
//! contains five whole half blocks aligned that way and is accepted; one of 23 ms contains at most three whole
//! half blocks, and its partial ones are too empty to pass, so it is rejected (the shortest tone that can pass
//! is about 27 ms).

use std::f32::consts::{PI, TAU};

use crate::tone::{COLUMN_FREQUENCIES, DIGITS, ROW_FREQUENCIES, SAMPLE_RATE};

/// Samples per analysis block.
pub const BLOCK: usize = 102;
const HALF: usize = BLOCK / 2;
/// The largest relative frequency deviation a tone may have (Q.24: accept 1.5 %, reject 3.5 %).
pub const MAX_DEVIATION: f32 = 0.025;
/// The largest normal twist (low group louder), in dB.
pub const MAX_NORMAL_TWIST_DB: f32 = 9.0;
/// The largest reverse twist (high group louder), in dB.
pub const MAX_REVERSE_TWIST_DB: f32 = 5.0;
/// The weakest tone accepted, in dBm0.
pub const MIN_LEVEL_DBM0: f32 = -38.0;
/// How far any other DTMF filter's unexplained energy must stay below the tone of its group, in dB.
const RELATIVE_PEAK_DB: f32 = 8.0;
/// The share of the block's energy the two tones must carry.
const TONE_TO_TOTAL: f32 = 0.7;
/// How far a second harmonic must be below its fundamental, in dB.
const HARMONIC_DB: f32 = 10.0;
/// How far apart the halves of a hit block may be in power, in dB.
const HALF_BALANCE_DB: f32 = 3.0;
/// How far below the hit blocks a neighbouring half block may be and still count as holding the tone, in dB.
const PRESENT_DB: f32 = 4.0;

/// A digit seen in the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    /// The digit: `0-9`, `*`, `#` or `A-D`.
    pub digit: char,
    /// The index of the first sample of the first half block in which the digit was seen.
    pub start_sample: u64,
    /// `None` in the event reported at the onset; the index of the first sample after the digit in the event
    /// reported when it ends.
    pub end_sample: Option<u64>,
}

type Complex = (f32, f32);

/// The per-frequency constants of one Goertzel filter.
#[derive(Debug, Clone, Copy, Default)]
struct Filter {
    /// 2 cos ω, the Goertzel feedback coefficient.
    coef: f32,
    cos: f32,
    sin: f32,
    /// e^{-jωH}, which moves the second half's DFT to the block's time origin.
    rot: Complex,
    /// e^{-jω(H-1)}, which turns a Goertzel output into the half block's DFT value.
    phase: Complex,
    freq: f32,
}

/// Eight fundamentals (rows then columns), then their second harmonics.
const FILTERS: usize = 16;

/// The DFT values of the eight fundamentals in the two halves of a block.
type Halves = [[Complex; 2]; 8];

/// A block that passed every test for `digit`, with the mean per-half power of its two tones.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Hit {
    digit: u8,
    powers: (f32, f32),
}

/// The detector for one audio stream.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    filters: [Filter; FILTERS],
    /// `cross[r][c]`: the sum over a half block of e^{jΔn} with Δ = ω_col − ω_row, how much of a column tone a
    /// row filter sees (and, conjugated, the reverse).
    cross: [[Complex; 4]; 4],
    min_power: f32,
    s1: [f32; FILTERS],
    s2: [f32; FILTERS],
    /// The Goertzel outputs of the first half of the current block.
    first: [Complex; FILTERS],
    energy: f32,
    /// Position in the current block.
    pos: usize,
    /// The index of the first sample of the current block.
    block_start: u64,
    /// Hits and half-block DFTs of the previous two blocks, newest first.
    hits: [Option<Hit>; 2],
    halves: [Halves; 2],
    in_digit: Option<(u8, u64)>,
    /// The end of the last block that was a hit for the current digit.
    digit_end: u64,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    /// A detector with Q.24 settings.
    #[must_use]
    pub fn new() -> Self {
        let mut filters = [Filter::default(); FILTERS];
        for (k, &f) in ROW_FREQUENCIES
            .iter()
            .chain(COLUMN_FREQUENCIES.iter())
            .enumerate()
        {
            filters[k] = filter(f as f32);
            filters[k + 8] = filter(2.0 * f as f32);
        }
        let amplitude = crate::tone::dbm0_to_amplitude(f64::from(MIN_LEVEL_DBM0)) as f32;
        let h = HALF as f32;
        Self {
            filters,
            cross: std::array::from_fn(|r| {
                std::array::from_fn(|c| {
                    let delta = TAU * (COLUMN_FREQUENCIES[c] - ROW_FREQUENCIES[r]) as f32
                        / SAMPLE_RATE as f32;
                    let magnitude = (delta * h / 2.0).sin() / (delta / 2.0).sin();
                    let angle = delta * (h - 1.0) / 2.0;
                    (magnitude * angle.cos(), magnitude * angle.sin())
                })
            }),
            min_power: amplitude * amplitude * BLOCK as f32 / 2.0,
            s1: [0.0; FILTERS],
            s2: [0.0; FILTERS],
            first: [(0.0, 0.0); FILTERS],
            energy: 0.0,
            pos: 0,
            block_start: 0,
            hits: [None; 2],
            halves: [[[(0.0, 0.0); 2]; 8]; 2],
            in_digit: None,
            digit_end: 0,
        }
    }

    /// The digit currently sounding, if one has begun and not yet ended.
    #[must_use]
    pub fn current_digit(&self) -> Option<char> {
        self.in_digit.map(|(d, _)| DIGITS[usize::from(d)])
    }

    /// Feeds samples; returns the digits that began or ended within them, in order.
    pub fn push(&mut self, mut samples: &[i16]) -> Vec<DtmfEvent> {
        let mut events = Vec::new();
        while !samples.is_empty() {
            let half_end = if self.pos < HALF { HALF } else { BLOCK };
            let take = (half_end - self.pos).min(samples.len());
            self.run_filters(&samples[..take]);
            samples = &samples[take..];
            self.pos += take;
            if self.pos == HALF {
                for k in 0..FILTERS {
                    self.first[k] = self.output(k);
                }
                self.s1 = [0.0; FILTERS];
                self.s2 = [0.0; FILTERS];
            } else if self.pos == BLOCK {
                let (hit, halves) = self.classify();
                self.step(hit, &halves, &mut events);
                self.hits = [hit, self.hits[0]];
                self.halves = [halves, self.halves[0]];
                self.s1 = [0.0; FILTERS];
                self.s2 = [0.0; FILTERS];
                self.energy = 0.0;
                self.pos = 0;
                self.block_start += BLOCK as u64;
            }
        }
        events
    }

    /// The Goertzel recursion over a run of samples, all filters in lock step so the compiler can vectorise it.
    fn run_filters(&mut self, samples: &[i16]) {
        let mut s1 = self.s1;
        let mut s2 = self.s2;
        let coef: [f32; FILTERS] = std::array::from_fn(|k| self.filters[k].coef);
        let mut energy = 0.0f32;
        for &x in samples {
            let x = f32::from(x);
            energy += x * x;
            for k in 0..FILTERS {
                let s0 = x + coef[k] * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s0;
            }
        }
        self.s1 = s1;
        self.s2 = s2;
        self.energy += energy;
    }

    /// The Goertzel output of filter `k` for the half just finished.
    fn output(&self, k: usize) -> Complex {
        let f = &self.filters[k];
        (self.s1[k] - f.cos * self.s2[k], f.sin * self.s2[k])
    }

    /// The powers of the row and column tone of a pair in one half block, each freed of the other's leakage.
    fn separate(&self, halves: &Halves, half: usize, row: usize, col: usize) -> (Complex, Complex) {
        let k = self.cross[row][col - 4];
        let h = HALF as f32;
        let det = h * h - norm(k);
        let (xr, xc) = (halves[row][half], halves[col][half]);
        let u = sub(scale(xr, h), mul(k, xc));
        let v = sub(scale(xc, h), mul((k.0, -k.1), xr));
        (scale(u, 1.0 / det), scale(v, 1.0 / det))
    }

    /// Whether the block just finished is a hit, and the DFTs of its halves.
    fn classify(&self) -> (Option<Hit>, Halves) {
        let mut power = [0.0f32; FILTERS];
        let mut halves: Halves = [[(0.0, 0.0); 2]; 8];
        for k in 0..FILTERS {
            let f = &self.filters[k];
            let a = self.first[k];
            let b = self.output(k);
            // The whole block's DFT is the first half plus the second half moved to the block's origin.
            power[k] = norm(add(a, mul(b, f.rot))) * 2.0 / BLOCK as f32;
            if k < 8 {
                halves[k] = [mul(a, f.phase), mul(b, f.phase)];
            }
        }
        (self.judge(&power, &halves), halves)
    }

    fn judge(&self, power: &[f32; FILTERS], halves: &Halves) -> Option<Hit> {
        let row = argmax(&power[0..4]);
        let col = 4 + argmax(&power[4..8]);
        if power[row] < self.min_power || power[col] < self.min_power {
            return None;
        }
        let (row_a, col_a) = self.separate(halves, 0, row, col);
        let (row_b, col_b) = self.separate(halves, 1, row, col);
        let balance = 10f32.powf(HALF_BALANCE_DB / 10.0);
        let mut corrected = [0.0f32; 2];
        let mut actual = [0.0f32; 2];
        for (i, (k, a, b)) in [(row, row_a, row_b), (col, col_a, col_b)]
            .into_iter()
            .enumerate()
        {
            let (pa, pb) = (norm(a), norm(b));
            if pa > pb * balance || pb > pa * balance {
                return None;
            }
            let f = &self.filters[k];
            // arg(B · conj(A) · e^{-jωH}) is the phase the tone gained beyond nominal over H samples.
            let q = mul(mul(b, (a.0, -a.1)), f.rot);
            let offset = q.1.atan2(q.0) * SAMPLE_RATE as f32 / (TAU * HALF as f32);
            if offset.abs() > MAX_DEVIATION * f.freq {
                return None;
            }
            // The tone's energy in the block, from the separated halves (free of the other tone's leakage, which
            // the whole-block filter is not) and corrected for the half window's loss at this offset.
            corrected[i] = (pa + pb) * BLOCK as f32 / window_gain(offset, HALF).max(0.1).powi(2);
            actual[i] = f.freq + offset;
        }
        let [p_row, p_col] = corrected;
        if p_row > p_col * 10f32.powf(MAX_NORMAL_TWIST_DB / 10.0)
            || p_col > p_row * 10f32.powf(MAX_REVERSE_TWIST_DB / 10.0)
        {
            return None;
        }
        if p_row + p_col < TONE_TO_TOTAL * self.energy {
            return None;
        }
        // Energy in the other filters beyond what the two tones leak into them.
        let leak = |freq: f32| {
            p_row.sqrt() * window_gain(freq - actual[0], BLOCK)
                + p_col.sqrt() * window_gain(freq - actual[1], BLOCK)
        };
        let excess = |k: usize| {
            (power[k].sqrt() - leak(self.filters[k].freq))
                .max(0.0)
                .powi(2)
        };
        let peak = 10f32.powf(RELATIVE_PEAK_DB / 10.0);
        for k in (0..8).filter(|&k| k != row && k != col) {
            let own = if k < 4 { p_row } else { p_col };
            if excess(k) * peak > own {
                return None;
            }
        }
        let harmonic = 10f32.powf(HARMONIC_DB / 10.0);
        if excess(row + 8) * harmonic > p_row || excess(col + 8) * harmonic > p_col {
            return None;
        }
        let powers = (
            (norm(row_a) + norm(row_b)) / 2.0,
            (norm(col_a) + norm(col_b)) / 2.0,
        );
        // row < 4 and col - 4 < 4, so the index fits a u8.
        Some(Hit {
            digit: (row * 4 + (col - 4)) as u8,
            powers,
        })
    }

    /// Whether both tones of `hit`'s digit are present in a half block at nearly the hit's power.
    fn present(&self, halves: &Halves, half: usize, hit: &Hit) -> bool {
        let (row, col) = (usize::from(hit.digit / 4), 4 + usize::from(hit.digit % 4));
        let (r, c) = self.separate(halves, half, row, col);
        let limit = 10f32.powf(-PRESENT_DB / 10.0);
        norm(r) >= hit.powers.0 * limit && norm(c) >= hit.powers.1 * limit
    }

    /// The digit state machine, run at the end of each block with that block's result.
    fn step(&mut self, hit: Option<Hit>, halves: &Halves, events: &mut Vec<DtmfEvent>) {
        let digit = |h: Option<Hit>| h.map(|h| h.digit);
        let block_end = self.block_start + BLOCK as u64;
        let block = BLOCK as u64;
        if let Some((d, start)) = self.in_digit {
            if digit(hit) == Some(d) {
                self.digit_end = block_end;
            } else if digit(self.hits[0]) != Some(d) && digit(self.hits[1]) != Some(d) {
                self.in_digit = None;
                let end = DtmfEvent {
                    digit: DIGITS[usize::from(d)],
                    start_sample: start,
                    end_sample: Some(self.digit_end),
                };
                events.push(end);
            }
        }
        if self.in_digit.is_some() {
            return;
        }
        // Two hits in this and the previous block, and the tone in the second half of the block before them.
        let before = match (hit, self.hits[0]) {
            (Some(h), Some(p)) if h.digit == p.digit && self.present(&self.halves[1], 1, &h) => {
                Some((h.digit, self.block_start - block - HALF as u64))
            }
            _ => None,
        };
        // Two hits in the previous two blocks, and the tone in the first half of this one.
        let after = match (self.hits[0], self.hits[1]) {
            (Some(p), Some(q)) if p.digit == q.digit && self.present(halves, 0, &p) => {
                Some((p.digit, self.block_start - 2 * block))
            }
            _ => None,
        };
        if let Some((d, start)) = before.or(after) {
            self.in_digit = Some((d, start));
            self.digit_end = if digit(hit) == Some(d) {
                block_end
            } else {
                self.block_start
            };
            events.push(DtmfEvent {
                digit: DIGITS[usize::from(d)],
                start_sample: start,
                end_sample: None,
            });
        }
    }
}

fn filter(freq: f32) -> Filter {
    let w = TAU * freq / SAMPLE_RATE as f32;
    let h = HALF as f32;
    Filter {
        coef: 2.0 * w.cos(),
        cos: w.cos(),
        sin: w.sin(),
        rot: ((w * h).cos(), -(w * h).sin()),
        phase: ((w * (h - 1.0)).cos(), -(w * (h - 1.0)).sin()),
        freq,
    }
}

/// The amplitude response of a rectangular window of `len` samples to a tone `offset` Hz from the filter.
fn window_gain(offset: f32, len: usize) -> f32 {
    let x = PI * offset / SAMPLE_RATE as f32;
    if x.abs() < 1e-6 {
        return 1.0;
    }
    ((x * len as f32).sin() / (len as f32 * x.sin())).abs()
}

fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

fn mul(a: Complex, b: Complex) -> Complex {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

fn add(a: Complex, b: Complex) -> Complex {
    (a.0 + b.0, a.1 + b.1)
}

fn sub(a: Complex, b: Complex) -> Complex {
    (a.0 - b.0, a.1 - b.1)
}

fn scale(a: Complex, s: f32) -> Complex {
    (a.0 * s, a.1 * s)
}

fn norm(a: Complex) -> f32 {
    a.0 * a.0 + a.1 * a.1
}
