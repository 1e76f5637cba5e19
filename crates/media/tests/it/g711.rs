//! G.711 against known code points and the round-trip properties.

use media::g711::{Law, alaw_decode, alaw_encode, ulaw_decode, ulaw_encode};
use proptest::prelude::*;

#[test]
fn known_values() {
    let cases: [(Law, i16, u8, i16); 12] = [
        // (law, linear in, code, decoded code)
        (Law::Ulaw, 0, 0xFF, 0),
        (Law::Ulaw, -1, 0x7F, 0),
        (Law::Ulaw, 32767, 0x80, 32124),
        (Law::Ulaw, -32768, 0x00, -32124),
        (Law::Ulaw, 1000, 0xCE, 988),
        (Law::Ulaw, -1000, 0x4E, -988),
        (Law::Alaw, 0, 0xD5, 8),
        (Law::Alaw, -1, 0x55, -8),
        (Law::Alaw, 32767, 0xAA, 32256),
        (Law::Alaw, -32768, 0x2A, -32256),
        (Law::Alaw, 1000, 0xFA, 1008),
        (Law::Alaw, -1000, 0x7A, -1008),
    ];
    for (law, linear, code, decoded) in cases {
        assert_eq!(law.encode(linear), code, "{law:?} encode {linear}");
        assert_eq!(law.decode(code), decoded, "{law:?} decode {code:#04x}");
    }
    assert_eq!(ulaw_decode(Law::Ulaw.silence()), 0);
    assert_eq!(alaw_decode(Law::Alaw.silence()), 8);
}

#[test]
fn every_code_survives_decode_then_encode() {
    for code in 0..=255u8 {
        assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
        // µ-law has two zeros: 0x7F (negative zero) decodes to 0, which encodes as 0xFF.
        let want = if code == 0x7F { 0xFF } else { code };
        assert_eq!(ulaw_encode(ulaw_decode(code)), want, "µ-law {code:#04x}");
    }
}

#[test]
fn decoding_is_monotonic_in_magnitude() {
    for law in [Law::Ulaw, Law::Alaw] {
        let mut values: Vec<i16> = (0..=255u8).map(|c| law.decode(c)).collect();
        values.sort_unstable();
        values.dedup();
        assert!(
            values.len() >= 255,
            "{law:?} has {} distinct levels",
            values.len()
        );
    }
}

/// The quantisation step of each law at a magnitude (the width of the segment the sample falls in).
fn step(law: Law, x: i16) -> i32 {
    let m = i32::from(x).abs();
    match law {
        Law::Ulaw => {
            let seg = (0..8).find(|&s| m + 132 < (256 << s)).unwrap_or(7);
            8 << seg
        }
        Law::Alaw => {
            let seg = (0..8).find(|&s| m < (512 << s)).unwrap_or(7);
            if seg == 0 { 32 } else { 32 << (seg - 1) }
        }
    }
}

proptest! {
    #[test]
    fn round_trip_error_is_within_one_step(x in any::<i16>()) {
        for law in [Law::Ulaw, Law::Alaw] {
            let y = law.decode(law.encode(x));
            let err = (i32::from(x) - i32::from(y)).abs();
            // Full-scale samples clip at the law's largest level.
            let clip = match law { Law::Ulaw => 32124, Law::Alaw => 32256 };
            let allowed = step(law, x).max((i32::from(x).abs() - clip).max(0) + 1);
            prop_assert!(err <= allowed, "{:?} {} -> {} (err {}, step {})", law, x, y, err, allowed);
        }
    }
}
