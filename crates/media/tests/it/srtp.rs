//! SRTP and SRTCP: the published vectors — RFC 3711 Appendix B.2 (the AES-CM keystream) and B.3
//! (key derivation), libsrtp's reference packets made under the B.3 master key (`srtp_validate`
//! in cisco/libsrtp `test/srtp_driver.c`, and its RFC 6904 packet with a header extension) —
//! round trips over a sequence-number wrap for both suites, and every kind of packet an attacker
//! might send: forged, damaged, replayed, under another key, or arbitrary bytes.

use media::srtp::{
    MasterKey, SrtpContext, SrtpError, SrtpProfile, apply_aes_cm_keystream, derive_session_key,
};
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
fn rfc_3711_b2_the_aes_cm_keystream_is_the_published_one_to_its_last_block() {
    // "Keystream segment length: 1044512 octets (65282 AES blocks)"; session salt
    // F0F1…FCFD, SSRC, ROC and SEQ zero, so the first counter block is F0F1…FCFD0000.
    let key: [u8; 16] = hex("2B7E151628AED2A6ABF7158809CF4F3C").try_into().unwrap();
    let salt: [u8; 14] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap();
    let mut keystream = vec![0u8; 1_044_512];
    apply_aes_cm_keystream(&key, &salt, 0, 0, &mut keystream).unwrap();
    assert_eq!(
        keystream[..48],
        hex("E03EAD0935C95E80E166B16DD92B4EB4
             D23513162B02D0F72A43A2FE4A5F97AB
             41E95B3BB0A2E8DD477901E4FCA894C0")
    );
    // Counters …FEFF, …FF00, …FF01: the last three blocks.
    assert_eq!(
        keystream[keystream.len() - 48..],
        hex("EC8CDF7398607CB0F2D21675EA9EA1E4
             362B7C3C6773516318A077D7FC5073AE
             6A2CC3787889374FBEB4C81B17BA6C44")
    );
    // The SSRC and the index move the counter: the same bytes under another index differ.
    let mut other = vec![0u8; 48];
    apply_aes_cm_keystream(&key, &salt, 0, 1, &mut other).unwrap();
    assert_ne!(other, keystream[..48]);
}

#[test]
fn rfc_3711_b3_session_keys_derive_as_published() {
    let derive = |label, len| {
        let mut out = vec![0u8; len];
        derive_session_key(&rfc_key(), label, &mut out).unwrap();
        out
    };
    assert_eq!(derive(0, 16), hex("C61E7A93744F39EE10734AFE3FF7A087"));
    assert_eq!(derive(2, 14), hex("30CBBC08863D8C85D49DB34A9AE1"));
    // B.3 derives a 94-octet auth key (six AES blocks); SRTP's HMAC-SHA1 uses its first 20.
    assert_eq!(
        derive(1, 94),
        hex(
            "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
             E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
             6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"
        )
    );
    // The SRTCP labels give other keys.
    assert_ne!(derive(3, 16), derive(0, 16));
}

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

#[test]
fn a_header_extension_stays_in_clear_and_is_authenticated() {
    // libsrtp's RFC 6904 reference packet (`srtp_validate_encrypted_extensions_headers`). We
    // do not encrypt header extensions, so the extension bytes as sent are the header to us;
    // the payload keystream and the tag are plain RFC 3711 over the whole header.
    let header = "900f1234 decafbad cafebabe bede0006 17588a92 70f4e15e 1c220000 c8309546
                  a994f0bc 54789700";
    let plain = hex(&format!("{header} abababab abababab abababab abababab"));
    let protected = hex(&format!(
        "{header} 4e55dc4c e79978d8 8ca4d215 949d2402 5a46b3ca 35c535a8 91c7"
    ));
    let mut sender = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &rfc_key());
    assert_eq!(sender.protect_rtp(&plain).unwrap(), protected);
    let mut receiver = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &rfc_key());
    assert_eq!(receiver.unprotect_rtp(&protected).unwrap(), plain);
}

#[test]
fn csrcs_and_header_extension_are_skipped_by_the_cipher_and_covered_by_the_tag() {
    let mut plain = vec![0x92, 0x08, 0x00, 0x07, 0, 0, 0, 160, 0, 0, 0, 42];
    plain.extend_from_slice(&[0x11; 8]); // two CSRCs
    plain.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0]); // one extension word
    let header_len = plain.len();
    plain.extend_from_slice(&[0x33; 40]);
    let mut tx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_32, &key(5));
    let mut rx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_32, &key(5));
    let protected = tx.protect_rtp(&plain).unwrap();
    assert_eq!(protected[..header_len], plain[..header_len]);
    assert!(protected[header_len..header_len + 40] != plain[header_len..]);
    let mut changed = protected.clone();
    changed[header_len - 3] ^= 0x01; // inside the extension
    assert_eq!(rx.unprotect_rtp(&changed), Err(SrtpError::AuthFailed));
    assert_eq!(rx.unprotect_rtp(&protected).unwrap(), plain);
    // An extension that runs past the packet is refused before anything else.
    assert_eq!(
        tx.protect_rtp(&plain[..header_len - 2]),
        Err(SrtpError::TooShort)
    );
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
fn a_sender_protecting_an_older_packet_after_a_wrap_keeps_its_rollover_counter() {
    // A packet protected again (or late) from before the wrap belongs to ROC 0, and the
    // packets after it still to ROC 1: the receiver accepts every one.
    let mut tx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(6));
    let mut rx = SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &key(6));
    for seq in [65_534u16, 65_535, 0, 65_533, 1, 2] {
        let plain = packet(seq, 11, b"speech");
        let protected = tx.protect_rtp(&plain).unwrap();
        assert_eq!(rx.unprotect_rtp(&protected).unwrap(), plain, "seq {seq}");
    }
    // Far behind the window: the sender still protects it under ROC 0 (the receiver finds it
    // too old), and what follows carries on under ROC 1.
    let stale = tx.protect_rtp(&packet(65_400, 11, b"stale")).unwrap();
    assert_eq!(rx.unprotect_rtp(&stale), Err(SrtpError::Replayed));
    let next = tx.protect_rtp(&packet(3, 11, b"next")).unwrap();
    assert_eq!(rx.unprotect_rtp(&next).unwrap(), packet(3, 11, b"next"));
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
    for profile in [
        SrtpProfile::AesCm128HmacSha1_80,
        SrtpProfile::AesCm128HmacSha1_32,
    ] {
        let mut tx = SrtpContext::new(profile, &key(2));
        let mut rx = SrtpContext::new(profile, &key(2));
        let good = tx.protect_rtp(&packet(40_000, 77, &[0x55; 160])).unwrap();
        for bit in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let refused = rx.unprotect_rtp(&bad);
            assert!(
                refused.is_err(),
                "{profile:?}: bit {bit} flipped was accepted"
            );
        }
        // Under another key.
        let mut other = SrtpContext::new(profile, &key(9));
        let foreign = other
            .protect_rtp(&packet(40_001, 77, &[0x55; 160]))
            .unwrap();
        assert_eq!(rx.unprotect_rtp(&foreign), Err(SrtpError::AuthFailed));
        // The right key under the other suite.
        let mut other_suite = SrtpContext::new(
            match profile {
                SrtpProfile::AesCm128HmacSha1_80 => SrtpProfile::AesCm128HmacSha1_32,
                SrtpProfile::AesCm128HmacSha1_32 => SrtpProfile::AesCm128HmacSha1_80,
            },
            &key(2),
        );
        assert!(other_suite.unprotect_rtp(&good).is_err());
        // Plain RTP, truncated packets.
        assert!(rx.unprotect_rtp(&packet(40_002, 77, &[0x55; 160])).is_err());
        assert_eq!(rx.unprotect_rtp(&good[..15]), Err(SrtpError::TooShort));
        // None of it moved the receiver: the genuine packet is still accepted once.
        assert_eq!(
            rx.unprotect_rtp(&good).unwrap(),
            packet(40_000, 77, &[0x55; 160])
        );

        // SRTCP: every bit, another key; the tag is 80 bits under both suites.
        let report = tx
            .protect_rtcp(&[0x81, 0xc9, 0, 1, 0, 0, 0, 77, 1, 2, 3, 4])
            .unwrap();
        assert_eq!(report.len(), 12 + 4 + 10);
        for bit in 0..report.len() * 8 {
            let mut bad = report.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                rx.unprotect_rtcp(&bad).is_err(),
                "{profile:?}: SRTCP bit {bit} flipped was accepted"
            );
        }
        let foreign = other
            .protect_rtcp(&[0x81, 0xc9, 0, 1, 0, 0, 0, 77])
            .unwrap();
        assert_eq!(rx.unprotect_rtcp(&foreign), Err(SrtpError::AuthFailed));
        assert_eq!(
            rx.unprotect_rtcp(&report).unwrap(),
            [0x81, 0xc9, 0, 1, 0, 0, 0, 77, 1, 2, 3, 4]
        );
    }
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
    // Lifetimes in both forms are accepted; anything else after the key is not.
    let plain = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
    assert_eq!(
        MasterKey::from_inline(&format!("{plain}|1048576")).unwrap(),
        k
    );
    for refused in ["|2^", "|junk", "|2^20|2^20", "|", "|2^x"] {
        assert_eq!(
            MasterKey::from_inline(&format!("{plain}{refused}")),
            Err(SrtpError::BadKey("invalid key lifetime")),
            "{refused}"
        );
    }
    let mki = MasterKey::from_inline(&format!("{plain}|1:4")).unwrap_err();
    assert_eq!(mki.to_string(), "invalid SDES key: MKI is not supported");
    // A context prints neither key nor salt.
    let context = format!(
        "{:?}",
        SrtpContext::new(SrtpProfile::AesCm128HmacSha1_80, &rfc_key())
    );
    assert!(!context.to_lowercase().contains("e1f97a"), "{context}");
    assert_eq!(
        SrtpProfile::AesCm128HmacSha1_80.sdes_name(),
        "AES_CM_128_HMAC_SHA1_80"
    );
    assert_eq!(SrtpProfile::AesCm128HmacSha1_32.tag_len(), 4);
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
