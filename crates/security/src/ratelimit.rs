//! A sliding-window limiter for failed sign-in and second-factor attempts.
//!
//! A key (a username, a source address, or both joined) is refused once it has collected
//! `max_failures` failures within the last `window_ms` milliseconds, and allowed again as soon
//! as the oldest of those leaves the window: nothing locks for good, so an attacker cannot
//! lock a real user out for longer than one window. The caller passes the current time, holds
//! the limiter behind its own `Mutex`, and calls [`Limiter::prune`] now and then.
//!
//! Memory is bounded: keys are stored as their SHA-256 (32 bytes, whatever their length, and
//! no personal data kept in clear), each key keeps at most `max_failures` timestamps, and at
//! most [`DEFAULT_MAX_KEYS`] keys (see [`Limiter::with_max_keys`]) are tracked; past that the
//! key whose latest failure is oldest is forgotten first.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use domain::Timestamp;
use sha2::{Digest, Sha256};

/// How many keys a limiter tracks unless told otherwise.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// Refused: too many recent failures. Try again after `secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed attempts; try again in {secs} seconds")]
pub struct RetryAfter {
    /// Whole seconds until the oldest counted failure leaves the window (at least 1).
    pub secs: u64,
}

type KeyDigest = [u8; 32];

fn digest(key: &str) -> KeyDigest {
    Sha256::digest(key.as_bytes()).into()
}

/// Failure counts per key over a sliding window. Not thread-safe by itself.
pub struct Limiter {
    max_failures: usize,
    window_ms: i64,
    max_keys: usize,
    keys: HashMap<KeyDigest, VecDeque<Timestamp>>,
}

impl Limiter {
    /// A limiter that refuses a key with `max_failures` failures in the last `window_ms`
    /// milliseconds. Values below 1 are raised to 1 (a limit of zero would lock for ever).
    pub fn new(max_failures: u32, window_ms: i64) -> Self {
        Self {
            max_failures: usize::try_from(max_failures.max(1)).unwrap_or(usize::MAX),
            window_ms: window_ms.max(1),
            max_keys: DEFAULT_MAX_KEYS,
            keys: HashMap::new(),
        }
    }

    /// Changes how many keys are tracked at most (at least 1).
    #[must_use]
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    /// Whether a failure at `at` still counts at `now`. A failure stamped after `now` (the
    /// clock stepped back) counts until it is `window_ms` old.
    fn counts(&self, at: Timestamp, now: Timestamp) -> bool {
        now.millis_since(at) < self.window_ms
    }

    /// Allowed, or refused with the time until the next attempt is allowed.
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), RetryAfter> {
        let Some(failures) = self.keys.get(&digest(key)) else {
            return Ok(());
        };
        let mut counted = 0usize;
        let mut oldest: Option<Timestamp> = None;
        for &at in failures.iter().filter(|at| self.counts(**at, now)) {
            counted += 1;
            oldest = Some(oldest.map_or(at, |o| o.min(at)));
        }
        match oldest {
            Some(oldest) if counted >= self.max_failures => {
                let wait_ms = self.window_ms.saturating_sub(now.millis_since(oldest));
                let secs = u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1);
                Err(RetryAfter { secs })
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt for `key` at `now`.
    pub fn record_failure(&mut self, key: &str, now: Timestamp) {
        let key = digest(key);
        if !self.keys.contains_key(&key) && self.keys.len() >= self.max_keys {
            self.prune(now);
            if self.keys.len() >= self.max_keys {
                self.evict_stalest();
            }
        }
        let window_ms = self.window_ms;
        let failures = self.keys.entry(key).or_default();
        failures.retain(|at| now.millis_since(*at) < window_ms);
        failures.push_back(now);
        while failures.len() > self.max_failures {
            failures.pop_front();
        }
    }

    /// Forgets every failure of `key` (after a successful sign-in).
    pub fn clear(&mut self, key: &str) {
        self.keys.remove(&digest(key));
    }

    /// Drops failures that have left the window, and keys left with none.
    pub fn prune(&mut self, now: Timestamp) {
        let window_ms = self.window_ms;
        self.keys.retain(|_, failures| {
            failures.retain(|at| now.millis_since(*at) < window_ms);
            !failures.is_empty()
        });
    }

    /// How many keys are tracked now.
    pub fn tracked_keys(&self) -> usize {
        self.keys.len()
    }

    fn evict_stalest(&mut self) {
        let stalest = self
            .keys
            .iter()
            .min_by_key(|(_, failures)| failures.iter().max().copied())
            .map(|(key, _)| *key);
        if let Some(key) = stalest {
            self.keys.remove(&key);
        }
    }
}

impl fmt::Debug for Limiter {
    // Keys are hashes of usernames and addresses: their count is all a log needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("max_failures", &self.max_failures)
            .field("window_ms", &self.window_ms)
            .field("max_keys", &self.max_keys)
            .field("tracked_keys", &self.keys.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: f64) -> Timestamp {
        Timestamp::from_millis((secs * 1000.0) as i64)
    }

    #[test]
    fn refuses_after_max_failures_until_the_oldest_leaves_the_window() {
        let mut limiter = Limiter::new(3, 60_000);
        assert_eq!(limiter.check("alice", at(0.0)), Ok(()));
        limiter.record_failure("alice", at(0.0));
        limiter.record_failure("alice", at(10.0));
        assert_eq!(limiter.check("alice", at(10.0)), Ok(()));
        limiter.record_failure("alice", at(20.0));
        assert_eq!(
            limiter.check("alice", at(20.0)),
            Err(RetryAfter { secs: 40 })
        );
        assert_eq!(
            limiter.check("alice", at(59.5)),
            Err(RetryAfter { secs: 1 })
        );
        assert_eq!(
            limiter.check("alice", at(59.999)),
            Err(RetryAfter { secs: 1 })
        );
        assert_eq!(limiter.check("alice", at(60.0)), Ok(()));
        // The window slides: one more failure now makes three within the last minute again.
        limiter.record_failure("alice", at(60.0));
        assert_eq!(
            limiter.check("alice", at(60.0)),
            Err(RetryAfter { secs: 10 })
        );
        assert_eq!(limiter.check("alice", at(70.0)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let mut limiter = Limiter::new(1, 10_000);
        limiter.record_failure("k", at(0.0));
        assert_eq!(limiter.check("k", at(0.0)), Err(RetryAfter { secs: 10 }));
        assert_eq!(limiter.check("k", at(0.001)), Err(RetryAfter { secs: 10 }));
        assert_eq!(limiter.check("k", at(1.0)), Err(RetryAfter { secs: 9 }));
        assert_eq!(limiter.check("k", at(10.0)), Ok(()));
        assert_eq!(
            RetryAfter { secs: 9 }.to_string(),
            "too many failed attempts; try again in 9 seconds"
        );
    }

    #[test]
    fn keys_are_independent_and_clear_resets_one() {
        let mut limiter = Limiter::new(2, 60_000);
        for key in ["alice", "bob"] {
            limiter.record_failure(key, at(1.0));
            limiter.record_failure(key, at(2.0));
        }
        assert!(limiter.check("alice", at(3.0)).is_err());
        assert_eq!(limiter.check("carol", at(3.0)), Ok(()));
        limiter.clear("alice");
        assert_eq!(limiter.check("alice", at(3.0)), Ok(()));
        assert!(limiter.check("bob", at(3.0)).is_err());
    }

    #[test]
    fn a_flood_of_failures_never_locks_longer_than_one_window() {
        let mut limiter = Limiter::new(5, 60_000);
        for i in 0..10_000 {
            limiter.record_failure("alice", Timestamp::from_millis(i * 6));
        }
        let last = Timestamp::from_millis(9_999 * 6);
        assert_eq!(limiter.check("alice", last), Err(RetryAfter { secs: 60 }));
        assert_eq!(limiter.check("alice", last.plus_millis(60_000)), Ok(()));
    }

    #[test]
    fn zero_limits_are_raised_to_one() {
        let mut limiter = Limiter::new(0, 0);
        assert_eq!(limiter.check("k", at(0.0)), Ok(()));
        limiter.record_failure("k", at(0.0));
        assert_eq!(limiter.check("k", at(0.0)), Err(RetryAfter { secs: 1 }));
        assert_eq!(limiter.check("k", at(0.001)), Ok(()));
    }

    #[test]
    fn a_clock_stepping_back_delays_but_does_not_lock() {
        let mut limiter = Limiter::new(1, 60_000);
        limiter.record_failure("k", at(100.0));
        assert_eq!(limiter.check("k", at(50.0)), Err(RetryAfter { secs: 110 }));
        assert_eq!(limiter.check("k", at(160.0)), Ok(()));
    }

    #[test]
    fn prune_forgets_expired_keys() {
        let mut limiter = Limiter::new(3, 60_000);
        limiter.record_failure("old", at(0.0));
        limiter.record_failure("new", at(50.0));
        assert_eq!(limiter.tracked_keys(), 2);
        limiter.prune(at(59.0));
        assert_eq!(limiter.tracked_keys(), 2);
        limiter.prune(at(60.0));
        assert_eq!(limiter.tracked_keys(), 1);
        limiter.prune(at(110.0));
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[test]
    fn the_number_of_keys_is_capped_evicting_the_stalest() {
        let mut limiter = Limiter::new(1, 60_000).with_max_keys(3);
        limiter.record_failure("a", at(0.0));
        limiter.record_failure("b", at(1.0));
        limiter.record_failure("c", at(2.0));
        limiter.record_failure("a", at(3.0));
        // "b" is now the stalest.
        limiter.record_failure("d", at(4.0));
        assert_eq!(limiter.tracked_keys(), 3);
        assert_eq!(limiter.check("b", at(5.0)), Ok(()));
        for key in ["a", "c", "d"] {
            assert!(limiter.check(key, at(5.0)).is_err(), "{key}");
        }
        // Expired keys go first, before any live one is evicted.
        limiter.record_failure("e", at(62.5));
        assert_eq!(limiter.tracked_keys(), 3);
        for key in ["a", "d", "e"] {
            assert!(limiter.check(key, at(62.5)).is_err(), "{key}");
        }
    }

    #[test]
    fn debug_shows_no_keys() {
        let mut limiter = Limiter::new(3, 60_000);
        limiter.record_failure("alice@example.org", at(0.0));
        let shown = format!("{limiter:?}");
        assert!(!shown.contains("alice"), "{shown}");
        assert!(shown.contains("tracked_keys: 1"), "{shown}");
    }
}
