//! RFC 4733 telephone events ("RFC 2833 DTMF"): the 4-byte payload, a receiver that turns a stream of event
//! packets into each digit exactly once, and a sender that plans the packets for one digit.
//!
//! An event is identified by its RTP timestamp, which stays the same in every packet of the event: the start
//! packet (marker set), the updates with growing duration, and the end packets (E bit) that are sent three
//! times. The receiver therefore reports a digit when it first sees a new timestamp, whichever of those packets
//! that is, so losing the start packets delays nothing, and it reports the end once at the first E packet.

use std::time::Duration;

use thiserror::Error;

/// The payload length of one event.
pub const PAYLOAD_LEN: usize = 4;
/// Event codes 0–15 are the DTMF digits in this order (RFC 4733 §3.2).
const EVENT_DIGITS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D',
];
/// How many distinct events the receiver remembers to recognise late retransmissions.
const HISTORY: usize = 16;

/// Why a payload is not a telephone event, or a digit cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TelephoneEventError {
    /// The payload is shorter than four bytes.
    #[error("telephone-event payload of {0} bytes is too short")]
    Truncated(usize),
    /// Not a character with an RFC 4733 DTMF event code.
    #[error("{0:?} has no telephone-event code")]
    UnknownDigit(char),
    /// The volume field holds 6 bits.
    #[error("volume {0} exceeds 63")]
    Volume(u8),
}

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code (0–15 for DTMF digits).
    pub event: u8,
    /// The E bit: this packet reports the end of the event.
    pub end: bool,
    /// The power level, 0 to 63, in −dBm0.
    pub volume: u8,
    /// The duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event in a payload (any redundant tail is ignored).
    ///
    /// # Errors
    /// [`TelephoneEventError::Truncated`] when fewer than four bytes are present.
    pub fn parse(payload: &[u8]) -> Result<Self, TelephoneEventError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(TelephoneEventError::Truncated(payload.len()));
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The four payload bytes (the reserved bit is written as zero).
    ///
    /// # Errors
    /// [`TelephoneEventError::Volume`] when the volume does not fit six bits.
    pub fn to_bytes(&self) -> Result<[u8; PAYLOAD_LEN], TelephoneEventError> {
        if self.volume > 63 {
            return Err(TelephoneEventError::Volume(self.volume));
        }
        let [d0, d1] = self.duration.to_be_bytes();
        Ok([self.event, u8::from(self.end) << 7 | self.volume, d0, d1])
    }

    /// The DTMF digit of this event, if it is one.
    #[must_use]
    pub fn digit(&self) -> Option<char> {
        EVENT_DIGITS.get(usize::from(self.event)).copied()
    }
}

/// The RFC 4733 event code of a DTMF digit (lower-case `a`–`d` accepted).
#[must_use]
pub fn event_code(digit: char) -> Option<u8> {
    let digit = digit.to_ascii_uppercase();
    EVENT_DIGITS
        .iter()
        .position(|&d| d == digit)
        .map(|i| i as u8)
}

/// What the receiver learnt from a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventNotice {
    /// A new event began (reported once per event).
    Began {
        /// The event code.
        event: u8,
        /// Its DTMF digit, if it has one.
        digit: Option<char>,
        /// The RTP timestamp that identifies it.
        timestamp: u32,
    },
    /// An event ended (reported once, at the first end packet that arrives).
    Ended {
        /// The event code.
        event: u8,
        /// Its DTMF digit, if it has one.
        digit: Option<char>,
        /// The RTP timestamp that identifies it.
        timestamp: u32,
        /// The final duration in timestamp units.
        duration: u16,
    },
}

/// The notices from one packet: at most a beginning and an end.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    items: [Option<EventNotice>; 2],
    next: usize,
}

impl Iterator for Notices {
    type Item = EventNotice;

    fn next(&mut self) -> Option<EventNotice> {
        while self.next < self.items.len() {
            self.next += 1;
            if let Some(n) = self.items[self.next - 1].take() {
                return Some(n);
            }
        }
        None
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    timestamp: u32,
    event: u8,
    ended: bool,
}

/// Turns the telephone-event packets of one stream into digits, each exactly once.
#[derive(Debug, Clone, Default)]
pub struct TelephoneEventReceiver {
    /// Recent events, newest last.
    seen: Vec<Seen>,
}

impl TelephoneEventReceiver {
    /// A receiver that has seen nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Accounts for one packet's RTP timestamp and parsed payload.
    pub fn receive(&mut self, timestamp: u32, event: &TelephoneEvent) -> Notices {
        let mut notices = Notices::default();
        let digit = event.digit();
        let index = match self
            .seen
            .iter()
            .position(|s| s.timestamp == timestamp && s.event == event.event)
        {
            Some(i) => i,
            None => {
                if self.seen.len() == HISTORY {
                    self.seen.remove(0);
                }
                self.seen.push(Seen {
                    timestamp,
                    event: event.event,
                    ended: false,
                });
                notices.items[0] = Some(EventNotice::Began {
                    event: event.event,
                    digit,
                    timestamp,
                });
                self.seen.len() - 1
            }
        };
        if event.end && !self.seen[index].ended {
            self.seen[index].ended = true;
            notices.items[1] = Some(EventNotice::Ended {
                event: event.event,
                digit,
                timestamp,
                duration: event.duration,
            });
        }
        notices
    }
}

/// One packet of a planned event, as pure data: the RTP session adds sequence number and SSRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedPacket {
    /// When to send it, relative to the start of the event.
    pub send_after: Duration,
    /// The marker bit (set on the first packet only).
    pub marker: bool,
    /// The RTP timestamp (the event's start, the same for every packet).
    pub timestamp: u32,
    /// The payload.
    pub event: TelephoneEvent,
}

/// Plans the packets that send DTMF digits as telephone events.
#[derive(Debug, Clone, Copy)]
pub struct TelephoneEventSender {
    clock_rate: u32,
    update_interval: Duration,
    end_spacing: Duration,
    volume: u8,
}

impl Default for TelephoneEventSender {
    fn default() -> Self {
        Self::new()
    }
}

impl TelephoneEventSender {
    /// An 8 kHz sender with updates every 50 ms, end packets 20 ms apart and a volume of −10 dBm0.
    #[must_use]
    pub fn new() -> Self {
        Self {
            clock_rate: 8000,
            update_interval: Duration::from_millis(50),
            end_spacing: Duration::from_millis(20),
            volume: 10,
        }
    }

    /// The packets for `digit` lasting `duration` (at most about 8 s, the limit of the 16-bit duration field),
    /// starting at RTP timestamp `timestamp`: a start packet with the marker, an update every 50 ms, and three
    /// end packets carrying the final duration.
    ///
    /// # Errors
    /// [`TelephoneEventError::UnknownDigit`] for a character that is not a DTMF digit.
    pub fn plan(
        &self,
        digit: char,
        timestamp: u32,
        duration: Duration,
    ) -> Result<Vec<PlannedPacket>, TelephoneEventError> {
        let event = event_code(digit).ok_or(TelephoneEventError::UnknownDigit(digit))?;
        let ticks = |d: Duration| {
            (d.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000).min(0xFFFF) as u16
        };
        let total = ticks(duration);
        let packet = |send_after: Duration, marker: bool, end: bool, duration: u16| PlannedPacket {
            send_after,
            marker,
            timestamp,
            event: TelephoneEvent {
                event,
                end,
                volume: self.volume,
                duration,
            },
        };
        let mut packets = vec![packet(Duration::ZERO, true, false, 0)];
        let mut at = self.update_interval;
        while at < duration {
            packets.push(packet(at, false, false, ticks(at)));
            at += self.update_interval;
        }
        for i in 0..3 {
            packets.push(packet(duration + self.end_spacing * i, false, true, total));
        }
        Ok(packets)
    }
}
