//! RTP, RTCP and RFC 4733 telephone-event payloads from the network: `RtpPacket::parse` with the
//! write-back round trip, `rtcp::parse_compound` with a round trip of every packet type we can
//! write, and `TelephoneEvent::parse` (of the whole datagram and of an RTP packet's payload)
//! with its round trip and the receiver that turns events into digits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use media::rtcp::{self, RtcpPacket};
use media::rtp::RtpPacket;
use media::telephone_event::{TelephoneEvent, TelephoneEventReceiver};

fn telephone_event(payload: &[u8], timestamp: u32, receiver: &mut TelephoneEventReceiver) {
    let Ok(event) = TelephoneEvent::parse(payload) else {
        return;
    };
    let _ = event.digit();
    if let Ok(bytes) = event.to_bytes() {
        assert_eq!(
            TelephoneEvent::parse(&bytes),
            Ok(event),
            "telephone-event round trip"
        );
    }
    // Notices are at most one beginning and one end.
    assert!(receiver.receive(timestamp, &event).count() <= 2);
}

fn rtcp_round_trip(packet: &RtcpPacket) {
    let mut out = Vec::new();
    let written = match packet {
        RtcpPacket::SenderReport(sr) => sr.write(&mut out),
        RtcpPacket::ReceiverReport(rr) => rr.write(&mut out),
        RtcpPacket::SourceDescription(chunks) => rtcp::write_sdes(chunks, &mut out),
        RtcpPacket::Goodbye(bye) => bye.write(&mut out),
        RtcpPacket::Other { .. } => return,
    };
    if written.is_ok() {
        let again = rtcp::parse_compound(&out).unwrap_or_else(|e| {
            panic!("written RTCP does not parse again ({e}): {packet:?} as {out:02x?}")
        });
        assert_eq!(again, [packet.clone()], "RTCP round trip");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut receiver = TelephoneEventReceiver::new();
    if let Ok(packet) = RtpPacket::parse(data) {
        let bytes = packet
            .to_bytes()
            .unwrap_or_else(|e| panic!("a parsed RTP packet cannot be written: {e}"));
        let again = RtpPacket::parse(&bytes)
            .unwrap_or_else(|e| panic!("written RTP does not parse again: {e}"));
        assert_eq!(again, packet, "RTP round trip");
        assert!(bytes.len() <= data.len(), "writing grew the packet");
        telephone_event(packet.payload, packet.header.timestamp, &mut receiver);
    }

    if let Ok(packets) = rtcp::parse_compound(data) {
        for p in &packets {
            rtcp_round_trip(p);
        }
    }

    telephone_event(data, 0, &mut receiver);
});
