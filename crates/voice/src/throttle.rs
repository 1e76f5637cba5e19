//! The admission throttle for new calls: a token bucket per source IP, so a flood from one source does not
//! starve other callers.
//!
//! A source may start `burst` calls at once and `per_second` calls a second after that. The arithmetic is pure
//! and exact (tokens are counted in thousandths, time in whole milliseconds): the SIP task passes the current
//! time from the app's [`app::Clock`], so a test with a manual clock admits an exact number of calls and
//! refills the bucket by moving the clock.

use std::collections::HashMap;
use std::net::IpAddr;

/// Thousandths of a token per token.
const MILLI: u64 = 1_000;
/// Sources remembered at most before full buckets are forgotten (a scan of many sources must not grow the
/// map without bound).
const MAX_SOURCES: usize = 10_000;

/// A bucket's tokens (in thousandths) when it was last filled.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    milli_tokens: u64,
    at_ms: i64,
}

/// Token buckets per source IP.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Thousandths of a token added per millisecond: tokens per second.
    per_second: u64,
    burst: u64,
    buckets: HashMap<IpAddr, Bucket>,
}

impl Throttle {
    /// `per_second` new calls a second with bursts of `burst` (each at least 1).
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: u64::from(per_second.max(1)),
            burst: u64::from(burst.max(1)),
            buckets: HashMap::new(),
        }
    }

    /// The bucket's tokens at `now`. A clock that stepped back adds nothing.
    fn filled(&self, b: Bucket, now_ms: i64) -> u64 {
        let elapsed = u64::try_from(now_ms.saturating_sub(b.at_ms)).unwrap_or(0);
        b.milli_tokens
            .saturating_add(elapsed.saturating_mul(self.per_second))
            .min(self.burst * MILLI)
    }

    /// Whether `source` may start a call at `now_ms` (milliseconds of the app's clock); takes a token if so.
    pub(crate) fn admit(&mut self, source: IpAddr, now_ms: i64) -> bool {
        if self.buckets.len() > MAX_SOURCES {
            let full = self.burst * MILLI;
            let buckets = std::mem::take(&mut self.buckets);
            self.buckets = buckets
                .into_iter()
                .filter(|(_, b)| self.filled(*b, now_ms) < full)
                .collect();
        }
        let bucket = self.buckets.get(&source).copied().unwrap_or(Bucket {
            milli_tokens: self.burst * MILLI,
            at_ms: now_ms,
        });
        let tokens = self.filled(bucket, now_ms);
        let admitted = tokens >= MILLI;
        self.buckets.insert(
            source,
            Bucket {
                milli_tokens: if admitted { tokens - MILLI } else { tokens },
                at_ms: now_ms.max(bucket.at_ms),
            },
        );
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(t: &mut Throttle, ip: IpAddr, now_ms: i64, tries: usize) -> usize {
        (0..tries).filter(|_| t.admit(ip, now_ms)).count()
    }

    #[test]
    fn a_source_gets_its_burst_then_its_rate_and_others_are_not_affected() {
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        let mut t = Throttle::new(50, 100);
        assert_eq!(admitted(&mut t, a, 1_000, 400), 100);
        assert_eq!(admitted(&mut t, b, 1_000, 10), 10);
        // 19 ms at 50 a second is not yet one token; 20 ms is.
        assert_eq!(admitted(&mut t, a, 1_019, 5), 0);
        assert_eq!(admitted(&mut t, a, 1_020, 5), 1);
        // A second refills 50; a long pause refills no more than the burst.
        assert_eq!(admitted(&mut t, a, 2_020, 400), 50);
        assert_eq!(admitted(&mut t, a, 600_000, 400), 100);
    }

    #[test]
    fn a_clock_that_steps_back_refills_nothing() {
        let a = IpAddr::from([192, 0, 2, 1]);
        let mut t = Throttle::new(1, 2);
        assert_eq!(admitted(&mut t, a, 10_000, 5), 2);
        assert_eq!(admitted(&mut t, a, 5_000, 5), 0);
        // The refill counts from the latest time seen, not from the step back.
        assert_eq!(admitted(&mut t, a, 10_999, 5), 0);
        assert_eq!(admitted(&mut t, a, 11_000, 5), 1);
    }

    #[test]
    fn full_buckets_of_many_sources_are_forgotten() {
        let mut t = Throttle::new(1, 1);
        for i in 0..=u32::try_from(MAX_SOURCES).unwrap() {
            t.admit(IpAddr::from(i.to_be_bytes()), 0);
        }
        assert_eq!(t.buckets.len(), MAX_SOURCES + 1);
        t.admit(IpAddr::from([198, 51, 100, 1]), 10_000);
        assert_eq!(t.buckets.len(), 1, "only the newest source is kept");
    }
}
