//! RTCP compound packets and receiver statistics.

use std::time::Duration;

use media::rtcp::{
    Goodbye, ReceiverReport, ReportBlock, RtcpError, RtcpPacket, SdesChunk, SdesItem, SenderInfo,
    SenderReport, parse_compound, write_sdes,
};
use media::stats::{PacketVerdict, ReceiverStats, ntp_from_unix, round_trip_time};
use proptest::prelude::*;

fn block(ssrc: u32) -> ReportBlock {
    ReportBlock {
        ssrc,
        fraction_lost: 25,
        cumulative_lost: -3,
        extended_highest_seq: 0x0001_0005,
        jitter: 77,
        last_sr: 0x1234_5678,
        delay_since_last_sr: 65_536,
    }
}

#[test]
fn compound_packet_round_trips() {
    let sr = SenderReport {
        ssrc: 1,
        info: SenderInfo {
            ntp_timestamp: 0xE000_0000_8000_0000,
            rtp_timestamp: 160,
            packet_count: 5,
            octet_count: 800,
        },
        reports: vec![block(2)],
    };
    let rr = ReceiverReport {
        ssrc: 3,
        reports: vec![block(4), block(5)],
    };
    let sdes = vec![SdesChunk {
        ssrc: 1,
        items: vec![SdesItem {
            kind: 1,
            value: b"hotline@example".to_vec(),
        }],
    }];
    let bye = Goodbye {
        sources: vec![1],
        reason: Some(b"done".to_vec()),
    };
    let mut out = Vec::new();
    sr.write(&mut out).expect("valid SR");
    rr.write(&mut out).expect("valid RR");
    write_sdes(&sdes, &mut out).expect("valid SDES");
    bye.write(&mut out).expect("valid BYE");
    assert_eq!(out.len() % 4, 0);
    let packets = parse_compound(&out).expect("own output parses");
    assert_eq!(
        packets,
        vec![
            RtcpPacket::SenderReport(sr),
            RtcpPacket::ReceiverReport(rr),
            RtcpPacket::SourceDescription(sdes),
            RtcpPacket::Goodbye(bye),
        ]
    );
}

#[test]
fn rejects_malformed_compounds() {
    let mut rr = Vec::new();
    ReceiverReport {
        ssrc: 9,
        reports: vec![block(1)],
    }
    .write(&mut rr)
    .expect("valid RR");
    let cases: Vec<(Vec<u8>, RtcpError)> = vec![
        (
            vec![0x80, 201, 0],
            RtcpError::Truncated { needed: 4, have: 3 },
        ),
        (vec![0x40, 201, 0, 0], RtcpError::Version(1)),
        (
            rr[..rr.len() - 4].to_vec(),
            RtcpError::Truncated {
                needed: rr.len(),
                have: rr.len() - 4,
            },
        ),
        // RC says two blocks, length holds one.
        (
            [&[0x82][..], &rr[1..]].concat(),
            RtcpError::Inconsistent { packet_type: 201 },
        ),
        // Padding bit with a zero count.
        (vec![0xA0, 204, 0, 1, 0, 0, 0, 0], RtcpError::Padding),
    ];
    for (bytes, error) in cases {
        assert_eq!(parse_compound(&bytes), Err(error), "{bytes:02x?}");
    }
}

#[test]
fn unknown_packet_types_are_kept_opaque() {
    let bytes = [0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
    assert_eq!(
        parse_compound(&bytes),
        Ok(vec![RtcpPacket::Other {
            packet_type: 205,
            count: 1,
            body: vec![0, 0, 0, 1, 0, 0, 0, 2]
        }])
    );
}

#[test]
fn receiver_stats_count_loss_and_jitter() {
    let mut stats = ReceiverStats::new(0xABCD, 8000);
    let ms = Duration::from_millis;
    // Probation: the first packet is not counted, the second starts the source.
    assert_eq!(stats.on_packet(100, 0, ms(0)), PacketVerdict::Probation);
    let mut lost = 0;
    for i in 1..=200u16 {
        if i % 10 == 5 {
            lost += 1;
            continue;
        }
        // Arrivals alternate 5 ms early and late: |D| = 10 ms = 80 timestamp units.
        let arrival = ms(u64::from(i) * 20 + if i % 2 == 0 { 5 } else { 0 });
        assert_eq!(
            stats.on_packet(100 + i, u32::from(i) * 160, arrival),
            PacketVerdict::Valid
        );
    }
    assert_eq!(stats.expected(), 200);
    assert_eq!(stats.cumulative_lost(), lost);
    // With |D| alternating 40 units, the estimate converges on 40.
    assert!(
        (35..=40).contains(&stats.jitter()),
        "jitter {}",
        stats.jitter()
    );
    stats.on_sender_report(0x0000_1234_5678_0000, ms(3000));
    let report = stats.report_block(ms(3500));
    assert_eq!(report.ssrc, 0xABCD);
    assert_eq!(report.extended_highest_seq, 300);
    assert_eq!(report.fraction_lost, (20 * 256 / 200) as u8);
    assert_eq!(report.last_sr, 0x1234_5678);
    assert_eq!(report.delay_since_last_sr, 32_768);
    // A second report with no new loss reports a zero fraction.
    assert_eq!(stats.report_block(ms(4000)).fraction_lost, 0);
}

#[test]
fn receiver_stats_count_wraps_and_resync_after_a_jump() {
    let mut stats = ReceiverStats::new(1, 8000);
    for (i, seq) in (65_530u16..=65_535).chain(0..10).enumerate() {
        stats.on_packet(seq, 0, Duration::from_millis(i as u64 * 20));
    }
    assert_eq!(stats.extended_highest_seq(), 65_536 + 9);
    // A jump of 20,000 is ignored once, and accepted when the next packet confirms it.
    assert_eq!(
        stats.on_packet(20_000, 0, Duration::ZERO),
        PacketVerdict::BadSequence
    );
    assert_eq!(
        stats.on_packet(20_001, 0, Duration::ZERO),
        PacketVerdict::Valid
    );
    assert_eq!(stats.extended_highest_seq(), 20_001);
}

#[test]
fn round_trip_time_from_lsr_and_dlsr() {
    let ntp = ntp_from_unix(Duration::from_secs(1_700_000_000));
    assert_eq!(ntp >> 32, 1_700_000_000 + 2_208_988_800);
    let block = ReportBlock {
        last_sr: 0x0001_0000,
        delay_since_last_sr: 0x0000_8000,
        ..ReportBlock::default()
    };
    // Arrival 1.75 s after the SR's time, 0.5 s of which the receiver held it: 1.25 s round trip.
    assert_eq!(
        round_trip_time(&block, 0x0002_C000),
        Some(Duration::from_millis(1250))
    );
    assert_eq!(round_trip_time(&ReportBlock::default(), 5), None);
}

proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_compound(&bytes);
    }

    #[test]
    fn parse_never_panics_on_valid_headers(body in proptest::collection::vec(any::<u8>(), 0..64), count in 0u8..32, pt in 200u8..206) {
        let words = (body.len() / 4) as u16;
        let mut bytes = vec![0x80 | count, pt];
        bytes.extend_from_slice(&words.to_be_bytes());
        bytes.extend_from_slice(&body[..usize::from(words) * 4]);
        let _ = parse_compound(&bytes);
    }
}
