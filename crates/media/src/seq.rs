//! Unwrapping of RTP's wrapping counters into monotonic 64-bit values.
//!
//! Sequence numbers wrap after 65,536 packets (about 22 minutes at 50 packets per second) and timestamps after
//! 2^32 samples, so every structure that orders packets keys them by an extended value instead. The extension
//! picks, for each new wrapped value, the extended value closest to the last one seen, which is what RFC 3550
//! appendix A.1 does with its cycle counter and what tolerates reordering in both directions.

/// Extends 16-bit RTP sequence numbers.
#[derive(Debug, Clone, Default)]
pub struct SeqUnwrapper {
    last: Option<u64>,
}

impl SeqUnwrapper {
    /// An unwrapper that has seen nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `seq`; the first value seen is extended by one full cycle so that packets reordered
    /// before it do not underflow.
    pub fn extend(&mut self, seq: u16) -> u64 {
        let extended = extend_closest(self.last, u64::from(seq), 1 << 16);
        self.last = Some(self.last.map_or(extended, |last| last.max(extended)));
        extended
    }

    /// The extended value `seq` would get, without remembering it.
    #[must_use]
    pub fn peek(&self, seq: u16) -> u64 {
        extend_closest(self.last, u64::from(seq), 1 << 16)
    }

    /// The highest extended value seen so far.
    #[must_use]
    pub fn highest(&self) -> Option<u64> {
        self.last
    }
}

/// Extends 32-bit RTP timestamps.
#[derive(Debug, Clone, Default)]
pub struct TimestampUnwrapper {
    last: Option<u64>,
}

impl TimestampUnwrapper {
    /// An unwrapper that has seen nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `timestamp` (see [`SeqUnwrapper::extend`]).
    pub fn extend(&mut self, timestamp: u32) -> u64 {
        let extended = extend_closest(self.last, u64::from(timestamp), 1 << 32);
        self.last = Some(self.last.map_or(extended, |last| last.max(extended)));
        extended
    }

    /// The extended value `timestamp` would get, without remembering it.
    #[must_use]
    pub fn peek(&self, timestamp: u32) -> u64 {
        extend_closest(self.last, u64::from(timestamp), 1 << 32)
    }
}

/// The value congruent to `value` modulo `modulus` that lies closest to `last` (and not below one cycle).
fn extend_closest(last: Option<u64>, value: u64, modulus: u64) -> u64 {
    let Some(last) = last else {
        return modulus + value;
    };
    let half = modulus / 2;
    let cycle = last - last % modulus;
    let candidate = cycle + value;
    if candidate > last && candidate - last > half && candidate >= modulus {
        candidate - modulus
    } else if candidate < last && last - candidate > half {
        candidate + modulus
    } else {
        candidate
    }
}
