//! A call's RTP stream, both ways, as values: [`RtpOut`] turns the script's frames into packets, [`RtpIn`] turns
//! the caller's packets into keys and audio, and [`Relay`] carries one leg's audio and RFC 4733 events into the
//! other leg's stream when a call is bridged to an agent's phone. No sockets here; the driver sends and receives.
//!
//! Keys arrive as RFC 4733 events or as tones in the audio. The in-band detector only runs until the first
//! event packet: a peer that sends events usually leaves the tones in the audio too, and would count twice.

use std::net::SocketAddr;

use media::dtmf::DtmfDetector;
use media::g711::Law;
use media::rtp::{RtpHeader, RtpPacket};
use media::telephone_event::{EventNotice, TelephoneEvent, TelephoneEventReceiver};
use sip_proto::sdp::Codec;

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

    /// Sends in the codec and payload type the SDP answer chose.
    pub(crate) fn set_codec(&mut self, codec: Codec, payload_type: u8) {
        self.law = match codec {
            Codec::Pcma => Law::Alaw,
            Codec::Pcmu => Law::Ulaw,
        };
        self.payload_type = payload_type;
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

    /// The RTP timestamp the next frame will carry.
    pub(crate) fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// A packet carrying an RFC 4733 event with `payload_type`, stamped `timestamp` (the event's start, the
    /// same for all its packets); the sequence number moves on, the clock does not.
    pub(crate) fn event_packet(
        &mut self,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        event: &TelephoneEvent,
    ) -> Option<Vec<u8>> {
        let payload = event.to_bytes().ok()?;
        let mut header = RtpHeader::new(payload_type, self.seq, timestamp, self.ssrc);
        header.marker = marker;
        self.first_packet = false;
        self.seq = self.seq.wrapping_add(1);
        let mut out = Vec::with_capacity(12 + payload.len());
        media::rtp::write_packet(&header, &payload, 0, &mut out).ok()?;
        Some(out)
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
    /// An RFC 4733 event packet as it came, with its RTP timestamp (to relay it).
    pub(crate) event: Option<(u32, TelephoneEvent)>,
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

    /// Expects RFC 4733 events with the payload type the SDP answer agreed (`None`: none agreed).
    pub(crate) fn set_event_payload_type(&mut self, payload_type: Option<u8>) {
        self.event_pt = payload_type;
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
                received.event = Some((packet.header.timestamp, ev));
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

/// One direction of a bridge: audio decoded from one leg goes out in the other leg's stream as 20 ms packets of
/// that leg's codec (whatever the packet size it came in), and RFC 4733 events keep their start time, duration
/// and end mark but get the other stream's payload type and clock. Hotline relays rather than pointing the
/// phones at each other, so neither side learns the other's address.
#[derive(Debug)]
pub(crate) struct Relay {
    out: RtpOut,
    /// The payload type the other leg agreed for telephone events (`None`: events are not relayed).
    event_pt: Option<u8>,
    /// Samples short of a whole frame.
    pending: Vec<i16>,
    /// The event being relayed: its timestamp as it came, and as it goes out.
    event: Option<(u32, u32)>,
}

impl Relay {
    pub(crate) fn new(out: RtpOut) -> Self {
        Self {
            out,
            event_pt: None,
            pending: Vec::new(),
            event: None,
        }
    }

    /// Sends in the codec and with the event payload type the other leg's SDP agreed.
    pub(crate) fn set_codec(&mut self, codec: Codec, payload_type: u8, event_pt: Option<u8>) {
        self.out.set_codec(codec, payload_type);
        self.event_pt = event_pt;
    }

    /// The packets carrying `pcm` (none until a whole frame is there).
    pub(crate) fn audio(&mut self, pcm: &[i16]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(pcm);
        let mut packets = Vec::new();
        while self.pending.len() >= FRAME_SAMPLES {
            let mut frame = [0i16; FRAME_SAMPLES];
            frame.copy_from_slice(&self.pending[..FRAME_SAMPLES]);
            self.pending.drain(..FRAME_SAMPLES);
            packets.extend(self.out.packet(&Frame::Audio(frame)));
        }
        packets
    }

    /// The packet carrying an event that arrived stamped `timestamp`; `None` when the other leg takes no events.
    pub(crate) fn event(&mut self, timestamp: u32, event: &TelephoneEvent) -> Option<Vec<u8>> {
        let pt = self.event_pt?;
        let (start, marker) = match self.event {
            Some((came, went)) if came == timestamp => (went, false),
            _ => {
                let went = self.out.timestamp();
                self.event = Some((timestamp, went));
                (went, true)
            }
        };
        self.out.event_packet(pt, start, marker, event)
    }
}

/// How many packets in sequence from one source it takes to learn it as the peer's address.
const LEARN_PACKETS: u8 = 3;

/// Whom a stream's packets are taken from and sent to (symmetric RTP, with RTP-bleed protection).
///
/// The SDP names an address. Packets from it are always taken. A peer behind a NAT sends from another
/// address: that source is learnt once [`LEARN_PACKETS`] packets in sequence came from it and none from the
/// signalled address, and from then on it is the only other source taken. A source on the signalled host but
/// another port is never learnt (that host knows its own ports; it is another stream's, or an attacker's),
/// and neither is any source once the peer is known. So a stray stream — an earlier call's peer still
/// sending to a port that was reused, or packets sprayed at the port range — is neither heard nor answered.
#[derive(Debug, Clone, Default)]
pub(crate) struct MediaPeer {
    signalled: Option<SocketAddr>,
    learnt: Option<SocketAddr>,
    /// The signalled address or the learnt one has sent: no other source is learnt any more.
    known: bool,
    candidate: Option<(SocketAddr, u16, u8)>,
}

impl MediaPeer {
    /// The address an SDP offer or answer gave (a re-INVITE starts learning anew).
    pub(crate) fn signal(&mut self, address: Option<SocketAddr>) {
        if address != self.signalled {
            *self = MediaPeer {
                signalled: address,
                ..MediaPeer::default()
            };
        }
    }

    /// Where to send: the learnt source, else the signalled address.
    pub(crate) fn target(&self) -> Option<SocketAddr> {
        self.learnt.or(self.signalled)
    }

    /// Whether a packet with sequence number `seq` from `from` belongs to the stream.
    pub(crate) fn accept(&mut self, from: SocketAddr, seq: u16) -> bool {
        if Some(from) == self.signalled {
            self.known = true;
            self.learnt = None;
            return true;
        }
        if Some(from) == self.learnt {
            return true;
        }
        if self.known || self.signalled.is_some_and(|s| s.ip() == from.ip()) {
            return false;
        }
        let count = match self.candidate {
            Some((source, last, n)) if source == from && seq == last.wrapping_add(1) => n + 1,
            _ => 1,
        };
        self.candidate = Some((from, seq, count));
        if count >= LEARN_PACKETS {
            self.learnt = Some(from);
            self.known = true;
            self.candidate = None;
        }
        self.learnt == Some(from)
    }

    /// The sequence number of an RTP packet, for [`Self::accept`] (`None`: not RTP).
    pub(crate) fn sequence(bytes: &[u8]) -> Option<u16> {
        RtpPacket::parse(bytes).ok().map(|p| p.header.sequence)
    }
}

#[cfg(test)]
mod tests {
    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_stray_stream_on_the_signalled_host_is_never_taken() {
        let mut peer = MediaPeer::default();
        peer.signal(Some(addr("127.0.0.1:40000")));
        // An earlier call's peer, still sending to this port from the same host.
        for seq in 100..120 {
            assert!(!peer.accept(addr("127.0.0.1:40500"), seq));
        }
        assert_eq!(peer.target(), Some(addr("127.0.0.1:40000")));
        assert!(peer.accept(addr("127.0.0.1:40000"), 7));
    }

    #[test]
    fn a_peer_behind_a_nat_is_learnt_from_packets_in_sequence() {
        let mut peer = MediaPeer::default();
        peer.signal(Some(addr("192.168.1.5:4000")));
        assert!(!peer.accept(addr("203.0.113.7:61000"), 10));
        assert!(!peer.accept(addr("203.0.113.7:61000"), 11));
        assert!(peer.accept(addr("203.0.113.7:61000"), 12));
        assert_eq!(peer.target(), Some(addr("203.0.113.7:61000")));
        // Once learnt, nobody else is: not even a source that sends in sequence.
        for seq in 0..10 {
            assert!(!peer.accept(addr("198.51.100.9:5000"), seq));
        }
        assert_eq!(peer.target(), Some(addr("203.0.113.7:61000")));
    }

    #[test]
    fn packets_out_of_sequence_or_from_two_sources_teach_nothing() {
        let mut peer = MediaPeer::default();
        peer.signal(Some(addr("192.168.1.5:4000")));
        for (from, seq) in [
            ("203.0.113.7:1", 10),
            ("198.51.100.9:2", 11),
            ("203.0.113.7:1", 12),
            ("203.0.113.7:1", 20),
        ] {
            assert!(!peer.accept(addr(from), seq));
        }
        assert_eq!(peer.target(), Some(addr("192.168.1.5:4000")));
    }

    #[test]
    fn once_the_signalled_address_sends_no_other_source_is_learnt_until_a_new_offer() {
        let mut peer = MediaPeer::default();
        peer.signal(Some(addr("192.168.1.5:4000")));
        assert!(peer.accept(addr("192.168.1.5:4000"), 1));
        for seq in 2..10 {
            assert!(!peer.accept(addr("203.0.113.7:61000"), seq));
        }
        // A re-INVITE moves the media: learning starts again.
        peer.signal(Some(addr("192.168.1.6:4002")));
        assert_eq!(peer.target(), Some(addr("192.168.1.6:4002")));
        for seq in 2..5 {
            peer.accept(addr("203.0.113.7:61000"), seq);
        }
        assert_eq!(peer.target(), Some(addr("203.0.113.7:61000")));
    }

    #[test]
    fn without_an_address_in_the_sdp_the_first_source_in_sequence_is_learnt() {
        let mut peer = MediaPeer::default();
        assert_eq!(peer.target(), None);
        for seq in [65534, 65535, 0] {
            peer.accept(addr("203.0.113.7:61000"), seq);
        }
        assert_eq!(peer.target(), Some(addr("203.0.113.7:61000")));
    }

    use media::telephone_event::event_code;
    use media::tone::{DigitTone, ToneGenerator};

    use super::*;

    fn packet(payload_type: u8, seq: u16, timestamp: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let header = RtpHeader::new(payload_type, seq, timestamp, 42);
        media::rtp::write_packet(&header, payload, 0, &mut out).unwrap();
        out
    }

    fn event(digit: char, end: bool) -> Vec<u8> {
        let ev = TelephoneEvent {
            event: event_code(digit).unwrap(),
            end,
            volume: 10,
            duration: 800,
        };
        packet(101, 1, 16_000, &ev.to_bytes().unwrap())
    }

    /// `digit` as 100 ms of µ-law audio in 20 ms packets.
    fn tone_packets(digit: char, first_seq: u16) -> Vec<Vec<u8>> {
        let mut tones = ToneGenerator::new();
        tones
            .digit(digit, &DigitTone::new(100))
            .unwrap()
            .silence(100);
        tones
            .samples()
            .chunks(FRAME_SAMPLES)
            .zip(first_seq..)
            .map(|(chunk, seq)| {
                let payload: Vec<u8> = chunk.iter().map(|&s| Law::Ulaw.encode(s)).collect();
                packet(0, seq, u32::from(seq) * 160, &payload)
            })
            .collect()
    }

    fn digits(rx: &mut RtpIn, packets: &[Vec<u8>]) -> String {
        packets
            .iter()
            .flat_map(|p| rx.receive(p).unwrap().digits)
            .collect()
    }

    #[test]
    fn frames_go_out_with_the_marker_first_and_the_clock_running_through_skips() {
        let mut tx = RtpOut::new(65_535, 1_000, 7);
        tx.set_codec(Codec::Pcma, 8);
        let first = tx.packet(&Frame::Silence).unwrap();
        tx.skip();
        let third = tx.packet(&Frame::Audio([0; FRAME_SAMPLES])).unwrap();
        let first = RtpPacket::parse(&first).unwrap();
        let third = RtpPacket::parse(&third).unwrap();
        assert!(first.header.marker && !third.header.marker);
        assert_eq!((first.header.payload_type, first.header.ssrc), (8, 7));
        assert_eq!(first.payload, [Law::Alaw.silence(); FRAME_SAMPLES]);
        assert_eq!(
            (third.header.sequence, third.header.timestamp),
            (1, 1_000 + 2 * 160)
        );
    }

    #[test]
    fn keys_come_from_events_or_from_tones_but_tones_stop_counting_once_events_arrive() {
        let mut rx = RtpIn::new();
        rx.set_event_payload_type(Some(101));
        assert_eq!(digits(&mut rx, &tone_packets('5', 0)), "5");
        // An event begins once, however often it is repeated.
        assert_eq!(digits(&mut rx, &[event('7', false), event('7', true)]), "7");
        assert_eq!(
            digits(&mut rx, &tone_packets('9', 100)),
            "",
            "tones after events would count twice"
        );
        let audio = rx.receive(&tone_packets('1', 200)[0]).unwrap().audio;
        assert_eq!(audio.len(), FRAME_SAMPLES, "the audio is still decoded");
        assert!(rx.receive(b"not rtp").is_none());
    }

    #[test]
    fn a_relay_reframes_audio_into_the_other_codec_and_restamps_events() {
        let mut relay = Relay::new(RtpOut::new(100, 8_000, 9));
        relay.set_codec(Codec::Pcma, 8, Some(96));
        // 30 ms in, then 10 ms: one 20 ms packet, then another.
        let first = relay.audio(&[1000; 240]);
        assert_eq!(first.len(), 1);
        let second = relay.audio(&[1000; 80]);
        assert_eq!(second.len(), 1);
        let a = RtpPacket::parse(&first[0]).unwrap();
        let b = RtpPacket::parse(&second[0]).unwrap();
        assert_eq!((a.header.payload_type, a.header.ssrc), (8, 9));
        assert_eq!(a.payload, [Law::Alaw.encode(1000); FRAME_SAMPLES]);
        assert_eq!(b.header.timestamp, a.header.timestamp + 160);
        // An event keeps its start for all its packets and is marked once.
        let ev = |end| TelephoneEvent {
            event: event_code('5').unwrap(),
            end,
            volume: 10,
            duration: 400,
        };
        let start = relay.event(123_456, &ev(false)).unwrap();
        let end = relay.event(123_456, &ev(true)).unwrap();
        let (start, end) = (
            RtpPacket::parse(&start).unwrap(),
            RtpPacket::parse(&end).unwrap(),
        );
        assert_eq!(start.header.payload_type, 96);
        assert!(start.header.marker && !end.header.marker);
        assert_eq!(start.header.timestamp, b.header.timestamp + 160);
        assert_eq!(end.header.timestamp, start.header.timestamp);
        assert_eq!(end.header.sequence, start.header.sequence.wrapping_add(1));
        assert_eq!(TelephoneEvent::parse(end.payload).unwrap(), ev(true));
        // Without an agreed payload type, events are not relayed.
        let mut plain = Relay::new(RtpOut::new(0, 0, 1));
        assert!(plain.event(1, &ev(false)).is_none());
    }
}
