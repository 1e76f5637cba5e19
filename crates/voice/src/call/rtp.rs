//! A call's RTP stream, both ways, as values: [`RtpOut`] turns the script's frames into packets, [`RtpIn`] turns
//! the caller's packets into keys and audio. No sockets here; the driver sends and receives.
//!
//! Keys arrive as RFC 4733 events or as tones in the audio. The in-band detector only runs until the first
//! event packet: a peer that sends events usually leaves the tones in the audio too, and would count twice.

use media::dtmf::DtmfDetector;
use media::g711::Law;
use media::rtp::{RtpHeader, RtpPacket};
use media::telephone_event::{EventNotice, TelephoneEvent, TelephoneEventReceiver};
use sip_proto::sdp::{Answer, Codec};

use super::script::Frame;
use crate::tts::FRAME_SAMPLES;

/// The sending half: sequence number, timestamp and SSRC of our stream, and its codec.
#[derive(Debug)]
pub(crate) struct RtpOut {
    law: Law,
    payload_type: u8,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    first_packet: bool,
}

impl RtpOut {
    /// A stream in µ-law starting at the given (random, RFC 3550 §5.1) sequence number, timestamp and SSRC.
    pub(crate) fn new(seq: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            law: Law::Ulaw,
            payload_type: 0,
            seq,
            timestamp,
            ssrc,
            first_packet: true,
        }
    }

    /// Takes the codec the SDP answer chose.
    pub(crate) fn apply(&mut self, answer: &Answer) {
        self.law = match answer.codec {
            Codec::Pcma => Law::Alaw,
            Codec::Pcmu => Law::Ulaw,
        };
        self.payload_type = answer.payload_type;
    }

    /// The packet carrying `frame`; the stream moves on by one frame.
    pub(crate) fn packet(&mut self, frame: &Frame) -> Option<Vec<u8>> {
        let mut payload = Vec::with_capacity(FRAME_SAMPLES);
        match frame {
            Frame::Audio(samples) => payload.extend(samples.iter().map(|&s| self.law.encode(s))),
            Frame::Silence => payload.resize(FRAME_SAMPLES, self.law.silence()),
        }
        let mut header = RtpHeader::new(self.payload_type, self.seq, self.timestamp, self.ssrc);
        header.marker = self.first_packet;
        self.first_packet = false;
        let mut out = Vec::with_capacity(12 + FRAME_SAMPLES);
        let written = media::rtp::write_packet(&header, &payload, 0, &mut out).is_ok();
        self.skip();
        written.then_some(out)
    }

    /// A frame's time passes without a packet (nowhere to send, or the caller holds the call).
    pub(crate) fn skip(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(FRAME_SAMPLES as u32);
    }
}

/// What one packet from the caller held.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Keys whose press began in this packet.
    pub(crate) digits: Vec<char>,
    /// Decoded audio (empty for event packets).
    pub(crate) audio: Vec<i16>,
}

/// The receiving half: RFC 4733 events and the in-band detector.
#[derive(Debug)]
pub(crate) struct RtpIn {
    event_pt: Option<u8>,
    events: TelephoneEventReceiver,
    saw_rfc4733: bool,
    detector: DtmfDetector,
}

impl RtpIn {
    pub(crate) fn new() -> Self {
        Self {
            event_pt: None,
            events: TelephoneEventReceiver::new(),
            saw_rfc4733: false,
            detector: DtmfDetector::new(),
        }
    }

    /// Takes the event payload type the SDP answer agreed.
    pub(crate) fn apply(&mut self, answer: &Answer) {
        self.event_pt = answer.telephone_event;
    }

    /// Decodes a datagram; `None` when it is not RTP.
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Option<Received> {
        let packet = RtpPacket::parse(bytes).ok()?;
        let mut received = Received::default();
        let pt = packet.header.payload_type;
        if Some(pt) == self.event_pt {
            self.saw_rfc4733 = true;
            if let Ok(ev) = TelephoneEvent::parse(packet.payload) {
                for notice in self.events.receive(packet.header.timestamp, &ev) {
                    if let EventNotice::Began { digit: Some(d), .. } = notice {
                        received.digits.push(d);
                    }
                }
            }
            return Some(received);
        }
        let law = match pt {
            0 => Law::Ulaw,
            8 => Law::Alaw,
            _ => return Some(received),
        };
        received.audio = packet.payload.iter().map(|&c| law.decode(c)).collect();
        if !self.saw_rfc4733 {
            received.digits.extend(
                self.detector
                    .push(&received.audio)
                    .into_iter()
                    .filter(|e| e.end_sample.is_none())
                    .map(|e| e.digit),
            );
        }
        Some(received)
    }
}
