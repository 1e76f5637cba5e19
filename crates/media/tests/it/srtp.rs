//! SRTP and SRTCP: the published reference packets (the RFC 3711 Appendix B.3 master key, as
//! libsrtp's `srtp_validate` uses it), round trips over a sequence-number wrap for both suites,
//! and every kind of packet an attacker might send — forged, damaged, replayed, under another
//! key, or arbitrary bytes.

use media::srtp::{MasterKey, SrtpContext, SrtpError, SrtpProfile};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 3711 B.3's master key and salt.
fn rfc_key() -> MasterKey {
    let key: [u8; 16] = hex("e1f97a0d3e018be0d64fa32c06de4139").try_into().unwrap();
    let salt: [u8; 14] = hex("0ec675ad498afeebb6960b3aabe6").try_into().unwrap();
    MasterKey::from_parts(key, salt)
}

const RTP_PLAIN: &str = "800f1234 decafbad cafebabe abababab abababab abababab abababab";
const RTP_PROTECTED: &str = "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402
                             b78d6acc 99ea179b 8dbb";
const RTCP_PLAIN: &str = "81c8000b cafebabe abababab abababab abababab abababab";
const RTCP_PROTECTED: &str = "81c8000b cafebabe 7128035b e487b9bd bef89041 f977a5a8 80000001
                              993e08cd 54d6c123 0798";

#[test]
fn the_reference_packets_protect_and_unprotect_exactly() {
    let profile = SrtpProfile::AesCm128HmacSha1_80;
    let mut sender = SrtpContext::new(profile, &rfc_key());
    assert_eq!(
        sender.protect_rtp(&hex(RTP_PLAIN)).unwrap(),
        hex(RTP_PROTECTED)
    );
    assert_eq!(
        sender.protect_rtcp(&hex(RTCP_PLAIN)).unwrap(),
        hex(RTCP_PROTECTED)
    );
    let mut receiver = SrtpContext::new(profile, &rfc_key());
    assert_eq!(
        receiver.unprotect_rtp(&hex(RTP_PROTECTED)).unwrap(),
        hex(RTP_PLAIN)
    );
    assert_eq!(
        receiver.unprotect_rtcp(&hex(RTCP_PROTECTED)).unwrap(),
        hex(RTCP_PLAIN)
    );
    // The 32-bit suite encrypts alike and sends the first 4 bytes of the same tag.
    let mut short = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_32, &rfc_key());
    let protected = short.protect_rtp(&hex(RTP_PLAIN)).unwrap();
    assert_eq!(protected, hex(RTP_PROTECTED)[..28 + 4].to_vec());
}

fn packet(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn key(byte: u8) -> MasterKey {
    MasterKey::generate([byte; 30])
}

#[test]
fn both_suites_round_trip_over_a_sequence_number_wrap() {
    for profile in [
        SrtpProfile::AesCm128HmacSha1_80,
        SrtpProfile::AesCm128HmacSha1_32,
    ] {
        let mut tx = SrtpContext::new(profile, &key(7));
        let mut rx = SrtpContext::new(profile, &key(7));
        for step in 0..20u16 {
            let seq = 65_525u16.wrapping_add(step);
            let plain = packet(seq, 0x1234_5678, &[step as u8; 160]);
            let protected = tx.protect_rtp(&plain).unwrap();
            assert_eq!(protected.len(), plain.len() + profile.tag_len());
            assert_ne!(
                &protected[12..172],
                &plain[12..],
                "the payload is encrypted"
            );
            assert_eq!(
                rx.unprotect_rtp(&protected).unwrap(),
                plain,
                "{profile:?} seq {seq}"
            );
        }
        for i in 0..3 {
            let report = [
                0x81, 0xc8, 0, 6, 0x12, 0x34, 0x56, 0x78, i, 1, 2, 3, 4, 5, 6, 7,
            ];
            let protected = tx.protect_rtcp(&report).unwrap();
            assert_eq!(rx.unprotect_rtcp(&protected).unwrap(), report);
        }
    }
}

#[test]
fn a_rollover_is_authenticated_under_the_new_counter() {
    // Had the receiver not moved on to ROC 1, the packet after the wrap would fail to
    // authenticate (the ROC is part of the tag) or decrypt to noise.
    let mut tx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(3));
    let mut rx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(3));
    let before = tx.protect_rtp(&packet(65_535, 9, b"before")).unwrap();
    let after = tx.protect_rtp(&packet(0, 9, b"after")).unwrap();
    rx.unprotect_rtp(&before).unwrap();
    assert_eq!(rx.unprotect_rtp(&after).unwrap(), packet(0, 9, b"after"));
    // A late packet from before the wrap is still accepted once.
    let late = {
        let mut again = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(3));
        again.protect_rtp(&packet(65_534, 9, b"late")).unwrap()
    };
    assert_eq!(rx.unprotect_rtp(&late).unwrap(), packet(65_534, 9, b"late"));
    assert_eq!(rx.unprotect_rtp(&late), Err(SrtpError::Replayed));
}

#[test]
fn replays_and_packets_older_than_the_window_are_refused_reordering_is_not() {
    let mut tx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(1));
    let mut rx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(1));
    let sent: Vec<Vec<u8>> = (100..300u16)
        .map(|seq| tx.protect_rtp(&packet(seq, 5, b"voice")).unwrap())
        .collect();
    // Out of order within the window: fine.
    rx.unprotect_rtp(&sent[10]).unwrap();
    rx.unprotect_rtp(&sent[5]).unwrap();
    rx.unprotect_rtp(&sent[9]).unwrap();
    assert_eq!(rx.unprotect_rtp(&sent[5]), Err(SrtpError::Replayed));
    rx.unprotect_rtp(&sent[199]).unwrap();
    // 194 behind the highest: outside the window of 64.
    assert_eq!(rx.unprotect_rtp(&sent[6]), Err(SrtpError::Replayed));
    rx.unprotect_rtp(&sent[150]).unwrap();
    assert_eq!(rx.unprotect_rtp(&sent[199]), Err(SrtpError::Replayed));
    // SRTCP too.
    let report = [0x81, 0xc9, 0, 1, 0, 0, 0, 5];
    let protected = tx.protect_rtcp(&report).unwrap();
    rx.unprotect_rtcp(&protected).unwrap();
    assert_eq!(rx.unprotect_rtcp(&protected), Err(SrtpError::Replayed));
}

#[test]
fn forged_damaged_or_foreign_packets_are_refused_and_change_nothing() {
    let mut tx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(2));
    let mut rx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(2));
    let good = tx.protect_rtp(&packet(40_000, 77, &[0x55; 160])).unwrap();
    for bit in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let refused = rx.unprotect_rtp(&bad);
        assert!(refused.is_err(), "bit {bit} flipped was accepted");
    }
    // Under another key.
    let mut other = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(9));
    let foreign = other
        .protect_rtp(&packet(40_001, 77, &[0x55; 160]))
        .unwrap();
    assert_eq!(rx.unprotect_rtp(&foreign), Err(SrtpError::AuthFailed));
    // Plain RTP, truncated packets.
    assert!(rx.unprotect_rtp(&packet(40_002, 77, &[0x55; 160])).is_err());
    assert_eq!(rx.unprotect_rtp(&good[..15]), Err(SrtpError::TooShort));
    // None of it moved the receiver: the genuine packet is still accepted once.
    assert_eq!(
        rx.unprotect_rtp(&good).unwrap(),
        packet(40_000, 77, &[0x55; 160])
    );
    let report = tx.protect_rtcp(&[0x81, 0xc9, 0, 1, 0, 0, 0, 77]).unwrap();
    let mut bad = report.clone();
    bad[9] ^= 0x80;
    assert_eq!(rx.unprotect_rtcp(&bad), Err(SrtpError::AuthFailed));
    rx.unprotect_rtcp(&report).unwrap();
}

#[test]
fn sdes_keys_read_and_write_as_rfc_4568_inline_values_and_never_print() {
    // RFC 4568 §9.1's example key, with a lifetime.
    let k = MasterKey::from_inline("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20").unwrap();
    assert_eq!(k.to_inline(), "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz");
    assert_eq!(format!("{k:?}"), "MasterKey { .. }");
    assert!(matches!(
        MasterKey::from_inline("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32"),
        Err(SrtpError::BadKey(_))
    ));
    assert!(matches!(
        MasterKey::from_inline("c2hvcnQ="),
        Err(SrtpError::BadKey(_))
    ));
    assert!(matches!(
        MasterKey::from_inline("not base64!"),
        Err(SrtpError::BadKey(_))
    ));
    let made = MasterKey::generate([0xa5; 30]);
    assert_eq!(MasterKey::from_inline(&made.to_inline()).unwrap(), made);
    assert_eq!(
        SrtpProfile::from_sdes_name("AES_CM_128_HMAC_SHA1_32"),
        Some(SrtpProfile::AesCm128HmacSha1_32)
    );
    assert_eq!(SrtpProfile::from_sdes_name("AES_256_CM_HMAC_SHA1_80"), None);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_never_pass(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut rx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(4));
        prop_assert!(rx.unprotect_rtp(&bytes).is_err());
        prop_assert!(rx.unprotect_rtcp(&bytes).is_err());
    }
}
