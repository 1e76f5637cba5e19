//! The clock is a port: the server passes the system clock, tests pass a manual one and move
//! it forward, so session timeouts are tested without sleeping.
//!
//! Work that waits for time to pass (the loop that fires conversation timers) waits on the
//! clock too, through [`Clock::sleep_until`]: on the system clock that is a real sleep, on
//! a [`ManualClock`] it ends the moment a test moves the clock past the deadline, so a test
//! advances time and then waits for what it causes, never for the wall clock.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use domain::Timestamp;
use tokio::sync::watch;

/// What [`Clock::sleep_until`] returns: a future owning all it needs, so the caller may
/// keep it across loop iterations.
type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the application reads the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;

    /// Resolves once this clock has reached `deadline` (at once if it has already).
    fn sleep_until(&self, deadline: Timestamp) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp::from_millis(ms)
    }

    fn sleep_until(&self, deadline: Timestamp) -> Sleep {
        let wait = u64::try_from(deadline.millis_since(self.now())).unwrap_or(0);
        Box::pin(tokio::time::sleep(Duration::from_millis(wait)))
    }
}

/// A clock that only moves when told to. Moving it wakes whoever sleeps on it.
#[derive(Debug)]
pub struct ManualClock(watch::Sender<i64>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(watch::Sender::new(start.millis()))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_millis(&self, ms: i64) {
        // `send_modify` updates the time even when nobody sleeps on the clock.
        self.0.send_modify(|now| *now = now.saturating_add(ms));
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.advance_millis(secs.saturating_mul(1000));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(*self.0.borrow())
    }

    fn sleep_until(&self, deadline: Timestamp) -> Sleep {
        let mut moved = self.0.subscribe();
        let deadline = deadline.millis();
        Box::pin(async move {
            // The sender lives as long as the clock; if the clock is gone, so is its time,
            // and the sleeper never wakes (like a deadline that never comes).
            if moved.wait_for(|now| *now >= deadline).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_its_sleepers_when_moved_past_their_deadline() {
        let clock = ManualClock::new(Timestamp::from_millis(1_000));
        let mut sleep = clock.sleep_until(Timestamp::from_millis(1_250));
        assert!(poll_once(&mut sleep).await.is_none());
        clock.advance_millis(249);
        assert!(poll_once(&mut sleep).await.is_none(), "1 ms early");
        clock.advance_millis(1);
        assert_eq!(poll_once(&mut sleep).await, Some(()));
        // A deadline already passed is no wait at all.
        let mut past = clock.sleep_until(Timestamp::from_millis(0));
        assert_eq!(poll_once(&mut past).await, Some(()));
        assert_eq!(clock.now(), Timestamp::from_millis(1_250));
    }

    /// Polls a future once: `Some` if it is ready, `None` if it would wait.
    async fn poll_once(sleep: &mut Sleep) -> Option<()> {
        std::future::poll_fn(|cx| match sleep.as_mut().poll(cx) {
            std::task::Poll::Ready(()) => std::task::Poll::Ready(Some(())),
            std::task::Poll::Pending => std::task::Poll::Ready(None),
        })
        .await
    }
}
