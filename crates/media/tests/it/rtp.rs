//! RTP header parsing and serialising, validation, and sequence unwrapping.

use media::rtp::{HeaderExtension, RtpError, RtpHeader, RtpPacket};
use media::seq::{SeqUnwrapper, TimestampUnwrapper};
use proptest::prelude::*;

#[test]
fn parses_a_plain_pcmu_packet() {
    let mut bytes = vec![
        0x80, 0x00, 0x12, 0x34, 0x00, 0x00, 0x01, 0x40, 0xDE, 0xAD, 0xBE, 0xEF,
    ];
    bytes.extend_from_slice(&[0xFF; 160]);
    let p = RtpPacket::parse(&bytes).expect("valid packet");
    assert_eq!(p.header, RtpHeader::new(0, 0x1234, 320, 0xDEAD_BEEF));
    assert_eq!(p.payload.len(), 160);
    assert_eq!(p.padding, 0);
    assert_eq!(p.to_bytes(), Ok(bytes));
}

#[test]
fn parses_marker_csrcs_extension_and_padding() {
    let bytes = [
        0xB2, 0xE5, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x03, // V2 P X CC=2, M, PT 101
        0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x0B, // CSRCs
        0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00, // one-word extension
        0x05, 0x8A, 0x03, 0x20, // telephone-event payload
        0x00, 0x00, 0x03, // three bytes of padding
    ];
    let p = RtpPacket::parse(&bytes).expect("valid packet");
    assert!(p.header.marker);
    assert_eq!(p.header.payload_type, 101);
    assert_eq!(p.header.csrcs, vec![10, 11]);
    assert_eq!(
        p.header.extension,
        Some(HeaderExtension {
            profile: 0xBEDE,
            data: vec![0x10, 0xAA, 0, 0]
        })
    );
    assert_eq!(p.payload, &[0x05, 0x8A, 0x03, 0x20]);
    assert_eq!(p.padding, 3);
    assert_eq!(p.to_bytes(), Ok(bytes.to_vec()));
}

#[test]
fn rejects_malformed_packets() {
    let base = [0x80u8, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    let cases: Vec<(Vec<u8>, RtpError)> = vec![
        (
            vec![],
            RtpError::Truncated {
                needed: 12,
                have: 0,
            },
        ),
        (
            base[..11].to_vec(),
            RtpError::Truncated {
                needed: 12,
                have: 11,
            },
        ),
        ([&[0x40][..], &base[1..]].concat(), RtpError::Version(1)),
        (
            [&[0x81][..], &base[1..]].concat(),
            RtpError::Truncated {
                needed: 16,
                have: 12,
            },
        ),
        (
            [&[0x90][..], &base[1..]].concat(),
            RtpError::Truncated {
                needed: 16,
                have: 12,
            },
        ),
        (
            [&[0x90][..], &base[1..], &[0, 0, 0, 2, 1, 2, 3, 4]].concat(),
            RtpError::Truncated {
                needed: 24,
                have: 20,
            },
        ),
        (
            [&[0xA0][..], &base[1..], &[1, 0]].concat(),
            RtpError::Padding(0),
        ),
        (
            [&[0xA0][..], &base[1..], &[1, 9]].concat(),
            RtpError::Padding(9),
        ),
    ];
    for (bytes, error) in cases {
        assert_eq!(RtpPacket::parse(&bytes), Err(error), "{bytes:02x?}");
    }
}

#[test]
fn refuses_to_write_unrepresentable_headers() {
    let mut h = RtpHeader::new(128, 0, 0, 0);
    let mut out = Vec::new();
    assert_eq!(
        media::rtp::write_packet(&h, &[], 0, &mut out),
        Err(RtpError::PayloadType(128))
    );
    h.payload_type = 0;
    h.csrcs = vec![0; 16];
    assert_eq!(
        media::rtp::write_packet(&h, &[], 0, &mut out),
        Err(RtpError::TooManyCsrcs(16))
    );
    h.csrcs.clear();
    h.extension = Some(HeaderExtension {
        profile: 1,
        data: vec![0; 3],
    });
    assert_eq!(
        media::rtp::write_packet(&h, &[], 0, &mut out),
        Err(RtpError::ExtensionLength(3))
    );
}

#[test]
fn sequence_numbers_unwrap_across_the_wrap_and_under_reordering() {
    let mut u = SeqUnwrapper::new();
    let base = u.extend(65_530);
    let got: Vec<u64> = [65_531u16, 65_535, 65_533, 0, 2, 1, 65_534, 3]
        .iter()
        .map(|&s| u.extend(s) - base)
        .collect();
    assert_eq!(got, vec![1, 5, 3, 6, 8, 7, 4, 9]);
    assert_eq!(u.highest(), Some(base + 9));
    let mut t = TimestampUnwrapper::new();
    let base = t.extend(u32::MAX - 159);
    assert_eq!(t.extend(0) - base, 160);
    assert_eq!(t.extend(u32::MAX - 319) + 160, base);
}

fn header() -> impl Strategy<Value = RtpHeader> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u32>(), 0..=15),
        proptest::option::of((
            any::<u16>(),
            proptest::collection::vec(any::<[u8; 4]>(), 0..4),
        )),
    )
        .prop_map(
            |(marker, payload_type, sequence, timestamp, ssrc, csrcs, ext)| RtpHeader {
                marker,
                payload_type,
                sequence,
                timestamp,
                ssrc,
                csrcs,
                extension: ext.map(|(profile, words)| HeaderExtension {
                    profile,
                    data: words.concat(),
                }),
            },
        )
}

proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = RtpPacket::parse(&bytes);
    }

    #[test]
    fn write_then_parse_is_identity(
        h in header(),
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        padding in 0u8..8,
    ) {
        let mut out = Vec::new();
        media::rtp::write_packet(&h, &payload, padding, &mut out).expect("valid header");
        let p = RtpPacket::parse(&out).expect("own output parses");
        prop_assert_eq!(&p.header, &h);
        prop_assert_eq!(p.payload, &payload[..]);
        prop_assert_eq!(p.padding, padding);
        prop_assert_eq!(out.len(), h.len() + payload.len() + usize::from(padding));
    }

    #[test]
    fn unwrapping_recovers_a_shuffled_run(start in any::<u16>(), swaps in proptest::collection::vec((0usize..300, 0usize..300), 0..50)) {
        // Packets within ±100 of each other, delivered in shuffled order, keep their true distances.
        let mut order: Vec<u64> = (0..300).collect();
        for (a, b) in swaps {
            if a.abs_diff(b) < 100 { order.swap(a, b); }
        }
        let mut u = SeqUnwrapper::new();
        let first = u.extend(start.wrapping_add(order[0] as u16));
        for &i in &order[1..] {
            let ext = u.extend(start.wrapping_add(i as u16));
            prop_assert_eq!(ext as i64 - first as i64, i as i64 - order[0] as i64);
        }
    }
}
