//! RFC 4733 payloads, the receiver's exactly-once digits and the sender's packet plan.

use std::time::Duration;

use media::telephone_event::{
    EventNotice, TelephoneEvent, TelephoneEventError, TelephoneEventReceiver, TelephoneEventSender,
    event_code,
};
use proptest::prelude::*;

#[test]
fn payload_parses_and_serialises() {
    let e = TelephoneEvent::parse(&[0x0B, 0x8A, 0x03, 0x20]).expect("four bytes");
    assert_eq!(
        e,
        TelephoneEvent {
            event: 11,
            end: true,
            volume: 10,
            duration: 800
        }
    );
    assert_eq!(e.digit(), Some('#'));
    assert_eq!(e.to_bytes(), Ok([0x0B, 0x8A, 0x03, 0x20]));
    assert_eq!(
        TelephoneEvent::parse(&[1, 2, 3]),
        Err(TelephoneEventError::Truncated(3))
    );
    assert_eq!(
        TelephoneEvent { volume: 64, ..e }.to_bytes(),
        Err(TelephoneEventError::Volume(64))
    );
    let codes: Vec<Option<u8>> = ['0', '9', '*', '#', 'A', 'd', 'x']
        .iter()
        .map(|&c| event_code(c))
        .collect();
    assert_eq!(
        codes,
        vec![
            Some(0),
            Some(9),
            Some(10),
            Some(11),
            Some(12),
            Some(15),
            None
        ]
    );
}

/// Packets as (RTP timestamp, payload).
type Packets = Vec<(u32, TelephoneEvent)>;

fn digits_of(
    rx: &mut TelephoneEventReceiver,
    packets: &[(u32, TelephoneEvent)],
) -> (String, String) {
    let (mut began, mut ended) = (String::new(), String::new());
    for (ts, e) in packets {
        for n in rx.receive(*ts, e) {
            match n {
                EventNotice::Began { digit, .. } => began.extend(digit),
                EventNotice::Ended { digit, .. } => ended.extend(digit),
            }
        }
    }
    (began, ended)
}

fn plan(digit: char, ts: u32, ms: u64) -> Vec<(u32, TelephoneEvent)> {
    TelephoneEventSender::new()
        .plan(digit, ts, Duration::from_millis(ms))
        .map(|p| p.into_iter().map(|p| (p.timestamp, p.event)).collect())
        .unwrap_or_default()
}

#[test]
fn receiver_reports_each_event_once() {
    let cases: Vec<(&str, Packets, &str, &str)> = vec![
        ("one digit", plan('5', 1000, 120), "5", "5"),
        (
            "duplicated packets",
            plan('5', 1000, 120)
                .into_iter()
                .flat_map(|p| [p, p])
                .collect(),
            "5",
            "5",
        ),
        (
            "start packets lost",
            plan('7', 1000, 200)[3..].to_vec(),
            "7",
            "7",
        ),
        (
            "only one end packet",
            plan('7', 1000, 200)[6..7].to_vec(),
            "7",
            "7",
        ),
        (
            "end packets lost",
            plan('1', 1000, 200)[..4].to_vec(),
            "1",
            "",
        ),
        (
            "same digit twice",
            [plan('3', 1000, 100), plan('3', 2600, 100)].concat(),
            "33",
            "33",
        ),
        (
            "late retransmission of an old event",
            [
                plan('3', 1000, 100),
                plan('4', 2600, 100),
                plan('3', 1000, 100)[4..].to_vec(),
            ]
            .concat(),
            "34",
            "34",
        ),
        (
            "interleaved by reordering",
            {
                let (a, b) = (plan('8', 1000, 60), plan('9', 1800, 60));
                vec![a[0], a[1], b[0], a[2], b[1], a[3], b[2], b[3], a[4], b[4]]
            },
            "89",
            "89",
        ),
    ];
    for (name, packets, began, ended) in cases {
        let mut rx = TelephoneEventReceiver::new();
        assert_eq!(
            digits_of(&mut rx, &packets),
            (began.to_string(), ended.to_string()),
            "{name}"
        );
    }
}

#[test]
fn sender_plans_start_updates_and_three_ends() {
    let packets = TelephoneEventSender::new()
        .plan('#', 4242, Duration::from_millis(160))
        .expect("a digit");
    let summary: Vec<(u64, bool, bool, u16)> = packets
        .iter()
        .map(|p| {
            (
                p.send_after.as_millis() as u64,
                p.marker,
                p.event.end,
                p.event.duration,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, true, false, 0),
            (50, false, false, 400),
            (100, false, false, 800),
            (150, false, false, 1200),
            (160, false, true, 1280),
            (180, false, true, 1280),
            (200, false, true, 1280),
        ]
    );
    assert!(
        packets
            .iter()
            .all(|p| p.timestamp == 4242 && p.event.event == 11)
    );
    assert_eq!(
        TelephoneEventSender::new().plan('x', 0, Duration::from_millis(100)),
        Err(TelephoneEventError::UnknownDigit('x'))
    );
}

proptest! {
    #[test]
    fn payload_round_trips(event in any::<u8>(), end in any::<bool>(), volume in 0u8..64, duration in any::<u16>()) {
        let e = TelephoneEvent { event, end, volume, duration };
        let bytes = e.to_bytes().expect("volume fits");
        prop_assert_eq!(TelephoneEvent::parse(&bytes), Ok(e));
    }

    #[test]
    fn any_subset_of_an_events_packets_gives_the_digit_at_most_once(keep in proptest::collection::vec(any::<bool>(), 10)) {
        let packets: Vec<_> = plan('6', 777, 300).into_iter().zip(keep.iter().cycle()).filter(|(_, k)| **k).map(|(p, _)| p).collect();
        let mut rx = TelephoneEventReceiver::new();
        let (began, _) = digits_of(&mut rx, &packets);
        prop_assert_eq!(began, if packets.is_empty() { "" } else { "6" });
    }
}
