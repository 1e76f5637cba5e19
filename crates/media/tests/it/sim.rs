//! A seeded simulation of one call's media: a sender produces 20 ms µ-law frames that carry in-band DTMF, and
//! RFC 4733 events for other digits in the same RTP session; the network loses, duplicates, delays and reorders
//! packets; the receiver parses them, feeds audio through the jitter buffer into the in-band detector and
//! events into the RFC 4733 receiver, all on a virtual clock.

use std::time::Duration;

use media::dtmf::DtmfDetector;
use media::g711::{Law, ulaw_decode_into, ulaw_encode_into};
use media::jitter::{Concealment, JitterBuffer, JitterConfig, Playout};
use media::rtp::{RtpHeader, RtpPacket, write_packet};
use media::stats::ReceiverStats;
use media::telephone_event::{
    EventNotice, TelephoneEvent, TelephoneEventReceiver, TelephoneEventSender,
};
use media::tone::{DigitTone, ToneGenerator};

use crate::util::Rng;

const SSRC: u32 = 0x1234_5678;
const FRAME: usize = 160;

struct Wire {
    arrival: Duration,
    bytes: Vec<u8>,
}

struct Outcome {
    inband: String,
    events: String,
    stats: media::jitter::JitterStats,
    lost_on_wire: u32,
    duplicated: u32,
    reported_lost: i32,
}

fn simulate(seed: u64, loss: f64, jitter_ms: f64) -> Outcome {
    let mut rng = Rng::new(seed);
    // Audio: in-band digits 1, 4, 7, each 100 ms with 300 ms pauses, in 6 s of call.
    let mut g = ToneGenerator::new();
    g.silence(500);
    g.digits("147", &DigitTone::new(100).level(-10.0), 300).ok();
    g.silence(6000 - 500 - 3 * 400);
    let audio = g.take();
    // RFC 4733 digits 2, 5, 8, 0 starting at 3.0, 3.6, 4.2 and 4.8 s, 120 ms each.
    let sender = TelephoneEventSender::new();
    let mut sent: Vec<(Duration, RtpHeader, Vec<u8>)> = Vec::new();
    let mut seq = 40_000u16;
    let mut frame_bytes = Vec::new();
    for (i, frame) in audio.chunks(FRAME).enumerate() {
        let at = Duration::from_millis(20 * i as u64);
        ulaw_encode_into(frame, &mut frame_bytes);
        let ts = 0xFFFF_0000u32.wrapping_add((i * FRAME) as u32);
        sent.push((
            at,
            RtpHeader {
                marker: i == 0,
                ..RtpHeader::new(0, 0, ts, SSRC)
            },
            frame_bytes.clone(),
        ));
    }
    for (k, digit) in "2580".chars().enumerate() {
        let start = Duration::from_millis(3000 + 600 * k as u64);
        let ts = 0xFFFF_0000u32.wrapping_add((start.as_millis() as u32) * 8);
        for p in sender
            .plan(digit, ts, Duration::from_millis(120))
            .unwrap_or_default()
        {
            let header = RtpHeader {
                marker: p.marker,
                ..RtpHeader::new(101, 0, p.timestamp, SSRC)
            };
            sent.push((
                start + p.send_after,
                header,
                p.event.to_bytes().map(|b| b.to_vec()).unwrap_or_default(),
            ));
        }
    }
    sent.sort_by_key(|(at, ..)| *at);
    // The network.
    let mut wire = Vec::new();
    let mut lost_on_wire = 0;
    let mut duplicated = 0;
    for (at, mut header, payload) in sent {
        header.sequence = seq;
        seq = seq.wrapping_add(1);
        let mut bytes = Vec::new();
        write_packet(&header, &payload, 0, &mut bytes).ok();
        if rng.chance(loss) {
            lost_on_wire += 1;
            continue;
        }
        let copies = if rng.chance(0.02) { 2 } else { 1 };
        duplicated += copies - 1;
        for _ in 0..copies {
            let delay = Duration::from_secs_f64((30.0 + rng.range(0.0, jitter_ms)) / 1000.0);
            wire.push(Wire {
                arrival: at + delay,
                bytes: bytes.clone(),
            });
        }
    }
    wire.sort_by_key(|w| w.arrival);
    // The receiver, stepping its virtual clock every 20 ms and delivering whatever arrived before then.
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut stats = ReceiverStats::new(SSRC, 8000);
    let mut events = TelephoneEventReceiver::new();
    let mut detector = DtmfDetector::new();
    let (mut inband, mut rfc4733) = (String::new(), String::new());
    let mut pcm = Vec::new();
    let mut next = wire.into_iter().peekable();
    for tick in 0..(6000 / 20 + 20) {
        let now = Duration::from_millis(20 * tick);
        while let Some(w) = next.next_if(|w| w.arrival <= now) {
            let Ok(packet) = RtpPacket::parse(&w.bytes) else {
                continue;
            };
            let h = &packet.header;
            stats.on_packet(h.sequence, h.timestamp, w.arrival);
            match h.payload_type {
                0 => {
                    jb.push(h.sequence, h.timestamp, packet.payload, w.arrival);
                }
                101 => {
                    if let Ok(e) = TelephoneEvent::parse(packet.payload) {
                        for n in events.receive(h.timestamp, &e) {
                            if let EventNotice::Began { digit: Some(d), .. } = n {
                                rfc4733.push(d);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let frame: Vec<u8> = match jb.pop(now) {
            Playout::Frame { payload, .. }
            | Playout::Conceal {
                concealment: Concealment::Repeat(payload),
                ..
            } => payload,
            Playout::Conceal {
                concealment: Concealment::Silence,
                ..
            }
            | Playout::Waiting => {
                vec![Law::Ulaw.silence(); FRAME]
            }
        };
        ulaw_decode_into(&frame, &mut pcm);
        inband.extend(
            detector
                .push(&pcm)
                .iter()
                .filter(|e| e.end_sample.is_none())
                .map(|e| e.digit),
        );
    }
    Outcome {
        inband,
        events: rfc4733,
        stats: jb.stats(),
        lost_on_wire,
        duplicated,
        reported_lost: stats.cumulative_lost(),
    }
}

#[test]
fn digits_survive_loss_reordering_and_jitter() {
    for (seed, loss, jitter_ms) in [
        (1, 0.0, 0.0),
        (2, 0.01, 40.0),
        (3, 0.03, 60.0),
        (4, 0.05, 80.0),
    ] {
        let out = simulate(seed, loss, jitter_ms);
        assert_eq!(out.events, "2580", "seed {seed}: RFC 4733 digits");
        assert_eq!(out.inband, "147", "seed {seed}: in-band digits");
        // Every audio slot was either played or concealed, and the losses RTCP would report match the wire
        // (RFC 3550 counts duplicates as received, so they offset losses).
        assert!(
            out.stats.played + out.stats.concealed >= 300 - 2,
            "seed {seed}: {:?}",
            out.stats
        );
        let expected = out.lost_on_wire as i32 - out.duplicated as i32;
        assert!(
            out.reported_lost.abs_diff(expected) <= 1,
            "seed {seed}: {} vs {expected}",
            out.reported_lost
        );
        if loss == 0.0 {
            // Without loss every frame plays; concealment only fills the ticks after the call's last frame.
            assert_eq!(out.stats.played, 300, "seed {seed}: {:?}", out.stats);
        }
    }
}
