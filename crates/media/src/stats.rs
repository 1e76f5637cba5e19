//! Receiver statistics for one RTP source, as RFC 3550 appendices A.1, A.3 and A.8 define them, and the
//! report block they produce for RTCP.
//!
//! The caller passes each packet's sequence number, RTP timestamp and arrival time (a `Duration` since any
//! fixed origin of the caller's choosing); nothing here reads a clock.

use std::time::Duration;

use crate::rtcp::ReportBlock;

const SEQ_MOD: u32 = 1 << 16;
const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const MIN_SEQUENTIAL: u32 = 2;
/// Seconds between 1900 (the NTP epoch) and 1970 (the Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// What [`ReceiverStats::on_packet`] made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketVerdict {
    /// The packet belongs to the stream and was counted.
    Valid,
    /// The source is still on probation (RFC 3550 A.1) and the packet was not counted.
    Probation,
    /// The sequence number jumped so far that the packet is ignored until the jump repeats.
    BadSequence,
}

/// Reception statistics of one source.
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    ssrc: u32,
    clock_rate: u32,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    last_transit: Option<u32>,
    /// The jitter scaled by 16, as A.8's integer form keeps it.
    jitter_q4: u32,
    last_sr: Option<(u32, Duration)>,
    started: bool,
}

impl ReceiverStats {
    /// Statistics for the source `ssrc` whose RTP clock runs at `clock_rate` Hz (8,000 for G.711).
    #[must_use]
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            last_transit: None,
            jitter_q4: 0,
            last_sr: None,
            started: false,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Accounts for one packet from this source.
    pub fn on_packet(&mut self, seq: u16, rtp_timestamp: u32, arrival: Duration) -> PacketVerdict {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
        }
        let verdict = self.update_seq(seq);
        if verdict == PacketVerdict::Valid {
            self.update_jitter(rtp_timestamp, arrival);
        }
        verdict
    }

    /// RFC 3550 A.1 `update_seq`.
    fn update_seq(&mut self, seq: u16) -> PacketVerdict {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return PacketVerdict::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return PacketVerdict::Probation;
        }
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets after a jump: the sender restarted, so resynchronise.
                self.init_seq(seq);
                self.last_transit = None;
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return PacketVerdict::BadSequence;
            }
        }
        // Otherwise a duplicate or reordered packet, which counts as received.
        self.received = self.received.wrapping_add(1);
        PacketVerdict::Valid
    }

    /// RFC 3550 A.8.
    fn update_jitter(&mut self, rtp_timestamp: u32, arrival: Duration) {
        let arrival_ts = (arrival.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival_ts.wrapping_sub(rtp_timestamp);
        if let Some(last) = self.last_transit {
            let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
            self.jitter_q4 = self
                .jitter_q4
                .wrapping_add(d)
                .wrapping_sub((self.jitter_q4 + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }

    /// Remembers a sender report from this source so that the next report block carries LSR and DLSR.
    pub fn on_sender_report(&mut self, ntp_timestamp: u64, arrival: Duration) {
        self.last_sr = Some(((ntp_timestamp >> 16) as u32, arrival));
    }

    /// The interarrival jitter in timestamp units.
    #[must_use]
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// The interarrival jitter as a duration.
    #[must_use]
    pub fn jitter_duration(&self) -> Duration {
        Duration::from_nanos(
            u64::from(self.jitter()) * 1_000_000_000 / u64::from(self.clock_rate.max(1)),
        )
    }

    /// The highest sequence number seen, extended by the wrap count.
    #[must_use]
    pub fn extended_highest_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets counted as received.
    #[must_use]
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Packets expected from the first to the highest sequence number.
    #[must_use]
    pub fn expected(&self) -> u32 {
        if self.probation > 0 {
            return 0;
        }
        self.extended_highest_seq()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets lost since the start (negative when duplicates outnumber losses).
    #[must_use]
    pub fn cumulative_lost(&self) -> i32 {
        (i64::from(self.expected()) - i64::from(self.received)).clamp(-0x80_0000, 0x7F_FFFF) as i32
    }

    /// The report block for this source at `now`, which also starts the next interval for the fraction lost.
    pub fn report_block(&mut self, now: Duration) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let delay = now.saturating_sub(at);
                (
                    lsr,
                    (delay.as_nanos() * 65_536 / 1_000_000_000).min(u128::from(u32::MAX)) as u32,
                )
            }
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost(),
            extended_highest_seq: self.extended_highest_seq(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// The 64-bit NTP timestamp of a wall-clock time given as a duration since the Unix epoch.
#[must_use]
pub fn ntp_from_unix(since_unix_epoch: Duration) -> u64 {
    let seconds = since_unix_epoch.as_secs().wrapping_add(NTP_UNIX_OFFSET);
    let fraction = (u64::from(since_unix_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    seconds << 32 | fraction
}

/// The round-trip time a sender computes from a report block's LSR and DLSR (RFC 3550 §6.4.1), given the
/// middle 32 bits of the NTP time at which the report arrived; `None` when the block carries no LSR.
#[must_use]
pub fn round_trip_time(block: &ReportBlock, arrival_ntp_middle: u32) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let rtt = arrival_ntp_middle
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    Some(Duration::from_nanos(
        u64::from(rtt) * 1_000_000_000 / 65_536,
    ))
}
