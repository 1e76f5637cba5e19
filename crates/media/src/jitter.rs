//! A jitter buffer for fixed-length audio frames (20 ms of G.711 by default).
//!
//! Packets go in with their arrival time; the playout side asks once per frame period with the current time and
//! gets the next frame, a concealment when that frame is missing, or "wait" while the buffer fills. Frames are
//! keyed by their extended RTP timestamp, so reordering, duplicates, losses and silence suppression all land in
//! the right slot.
//!
//! The playout time of a frame is its timestamp plus an offset: the smallest network transit seen over the last
//! two seconds plus a target delay of four times the RFC 3550 interarrival jitter, kept between 20 and 200 ms.
//! The offset grows by one frame when a frame is late and the jitter asks for more delay (that slot is concealed
//! and the late frame gets another period), and shrinks by at most 1 ms per frame, so a shrinking delay drops a
//! frame only now and then instead of cutting a burst out of speech.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::seq::{SeqUnwrapper, TimestampUnwrapper};

/// How the buffer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Samples per frame (160 = 20 ms at 8 kHz).
    pub frame_samples: u32,
    /// The smallest target delay.
    pub min_delay: Duration,
    /// The largest target delay.
    pub max_delay: Duration,
    /// How many missing frames in a row are concealed by repeating the last one before switching to silence.
    pub repeat_limit: u32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            clock_rate: 8000,
            frame_samples: 160,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            repeat_limit: 2,
        }
    }
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored for playout.
    Accepted,
    /// A frame with this timestamp is already stored.
    Duplicate,
    /// Its playout slot has passed.
    TooLate,
    /// So far from the current position that the stream must have restarted; the buffer was reset around it.
    Resynchronised,
}

/// How to fill the slot of a missing frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concealment {
    /// Play this earlier frame again.
    Repeat(Vec<u8>),
    /// Play silence.
    Silence,
}

/// What the playout side gets from [`JitterBuffer::pop`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// The frame due now.
    Frame {
        /// Its extended sequence number.
        seq: u64,
        /// Its extended timestamp.
        timestamp: u64,
        /// Its payload.
        payload: Vec<u8>,
    },
    /// The frame due now is missing.
    Conceal {
        /// The extended timestamp of the missing frame.
        timestamp: u64,
        /// What to play instead.
        concealment: Concealment,
    },
    /// Nothing is due yet (the buffer is filling or the delay just grew); play silence.
    Waiting,
}

/// Counters for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Frames played.
    pub played: u64,
    /// Slots concealed.
    pub concealed: u64,
    /// Packets that arrived after their slot.
    pub late: u64,
    /// Duplicate packets.
    pub duplicates: u64,
    /// Frames skipped to shrink the delay.
    pub skipped: u64,
}

const WINDOW: usize = 100;
const RESYNC: Duration = Duration::from_secs(3);
const SHRINK_PER_FRAME_NS: i128 = 1_000_000;

/// The jitter buffer of one stream.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    seq: SeqUnwrapper,
    ts: TimestampUnwrapper,
    frames: BTreeMap<u64, (u64, Vec<u8>)>,
    /// Recent transits (arrival minus media time) in ns, for the windowed minimum.
    transits: VecDeque<i128>,
    last_transit: Option<i128>,
    /// RFC 3550 A.8 jitter in ns, scaled by 16.
    jitter_q4: i128,
    /// The playout offset in ns currently in force.
    offset: Option<i128>,
    next_ts: Option<u64>,
    last_payload: Option<Vec<u8>>,
    missing_run: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer.
    #[must_use]
    pub fn new(config: JitterConfig) -> Self {
        Self {
            config,
            seq: SeqUnwrapper::new(),
            ts: TimestampUnwrapper::new(),
            frames: BTreeMap::new(),
            transits: VecDeque::with_capacity(WINDOW),
            last_transit: None,
            jitter_q4: 0,
            offset: None,
            next_ts: None,
            last_payload: None,
            missing_run: 0,
            stats: JitterStats::default(),
        }
    }

    /// Forgets the stream (for a new SSRC), keeping the configuration and counters.
    pub fn reset(&mut self) {
        let stats = self.stats;
        *self = Self::new(self.config);
        self.stats = stats;
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// The interarrival jitter estimate.
    #[must_use]
    pub fn jitter(&self) -> Duration {
        Duration::from_nanos(u64::try_from(self.jitter_q4 / 16).unwrap_or(0))
    }

    /// The delay the buffer aims for: four times the jitter, between the configured bounds.
    #[must_use]
    pub fn target_delay(&self) -> Duration {
        (self.jitter() * 4).clamp(self.config.min_delay, self.config.max_delay)
    }

    /// Frames stored and not yet played.
    #[must_use]
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether no frame is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    fn media_ns(&self, ext_ts: u64) -> i128 {
        i128::from(ext_ts) * 1_000_000_000 / i128::from(self.config.clock_rate.max(1))
    }

    fn frame_ns(&self) -> i128 {
        self.media_ns(u64::from(self.config.frame_samples))
    }

    /// The offset the current statistics ask for.
    fn desired_offset(&self) -> i128 {
        let base = self.transits.iter().copied().min().unwrap_or(0);
        base + self.target_delay().as_nanos() as i128
    }

    /// Stores one packet that arrived at `arrival`.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        payload: &[u8],
        arrival: Duration,
    ) -> PushOutcome {
        let mut outcome = PushOutcome::Accepted;
        let mut ext_ts = self.ts.peek(timestamp);
        if let Some(next) = self.next_ts {
            let distance = self.media_ns(ext_ts.abs_diff(next));
            if distance > RESYNC.as_nanos() as i128 {
                self.reset();
                outcome = PushOutcome::Resynchronised;
                ext_ts = self.ts.peek(timestamp);
            } else if ext_ts < next {
                self.stats.late += 1;
                return PushOutcome::TooLate;
            }
        }
        if self.frames.contains_key(&ext_ts) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        let ext_ts = self.ts.extend(timestamp);
        let ext_seq = self.seq.extend(seq);

        let transit = arrival.as_nanos() as i128 - self.media_ns(ext_ts);
        if let Some(last) = self.last_transit {
            let d = (transit - last).abs();
            self.jitter_q4 += d - (self.jitter_q4 + 8) / 16;
        }
        self.last_transit = Some(transit);
        if self.transits.len() == WINDOW {
            self.transits.pop_front();
        }
        self.transits.push_back(transit);
        self.frames.insert(ext_ts, (ext_seq, payload.to_vec()));

        if self.offset.is_none() {
            self.offset = Some(self.desired_offset());
        }
        outcome
    }

    /// The playout for the slot due at `now`; call once per frame period.
    pub fn pop(&mut self, now: Duration) -> Playout {
        let Some(offset) = self.offset else {
            return Playout::Waiting;
        };
        let now = now.as_nanos() as i128;
        let next = match self.next_ts {
            Some(next) => next,
            None => match self.frames.keys().next() {
                Some(&first) if self.media_ns(first) + offset <= now => first,
                _ => return Playout::Waiting,
            },
        };
        if self.media_ns(next) + offset > now {
            return Playout::Waiting;
        }
        let frame = u64::from(self.config.frame_samples);
        let mut next = next;
        // More than a frame behind: drop what is overdue so the delay really shrinks.
        while now - (self.media_ns(next) + offset) >= self.frame_ns() {
            if self.frames.remove(&next).is_some() {
                self.stats.skipped += 1;
            }
            next += frame;
        }
        let desired = self.desired_offset();
        if !self.frames.contains_key(&next) && desired >= offset + self.frame_ns() / 2 {
            // The frame is late and the jitter asks for more delay: conceal this slot and give the frame one
            // more period, which grows the delay by a frame exactly where the audio is interrupted anyway.
            self.offset = Some(offset + self.frame_ns());
            self.next_ts = Some(next);
            return self.conceal(next);
        }
        self.next_ts = Some(next + frame);
        // Shrink gently towards the desired offset.
        if desired < offset {
            self.offset = Some((offset - SHRINK_PER_FRAME_NS).max(desired));
        }
        match self.frames.remove(&next) {
            Some((seq, payload)) => {
                self.stats.played += 1;
                self.missing_run = 0;
                self.last_payload = Some(payload.clone());
                Playout::Frame {
                    seq,
                    timestamp: next,
                    payload,
                }
            }
            None => self.conceal(next),
        }
    }

    fn conceal(&mut self, timestamp: u64) -> Playout {
        self.stats.concealed += 1;
        self.missing_run += 1;
        let concealment = match &self.last_payload {
            Some(p) if self.missing_run <= self.config.repeat_limit => {
                Concealment::Repeat(p.clone())
            }
            _ => Concealment::Silence,
        };
        Playout::Conceal {
            timestamp,
            concealment,
        }
    }
}
