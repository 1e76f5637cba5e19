//! The alphabet for secrets that people read and type: initial passwords and backup codes.
//!
//! Thirty-two lower-case characters without `0 o 1 l`, so every character carries exactly
//! five bits and none can be mistaken for another when read off paper or a screen.

/// The characters, indexed by a five-bit value.
pub const UNAMBIGUOUS: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";

/// Turns the first `count * 5` bits of `random` (most significant bit first) into `count`
/// characters of [`UNAMBIGUOUS`]. Bits beyond the end of `random` read as zero, so callers
/// pass at least `count * 5 / 8` bytes.
pub fn encode(random: &[u8], count: usize) -> String {
    let mut out = String::with_capacity(count);
    for i in 0..count {
        let mut value = 0usize;
        for bit in i * 5..i * 5 + 5 {
            let byte = random.get(bit / 8).copied().unwrap_or(0);
            let set = (byte >> (7 - bit % 8)) & 1;
            value = (value << 1) | usize::from(set);
        }
        out.push(char::from(UNAMBIGUOUS[value]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_32_distinct_unambiguous_characters() {
        let mut chars = UNAMBIGUOUS.to_vec();
        chars.sort_unstable();
        chars.dedup();
        assert_eq!(chars.len(), 32);
        for confusable in [b'0', b'o', b'1', b'l'] {
            assert!(!UNAMBIGUOUS.contains(&confusable));
        }
        assert!(
            UNAMBIGUOUS
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn encodes_five_bits_per_character_msb_first() {
        assert_eq!(encode(&[0x00, 0x00], 3), "222");
        assert_eq!(encode(&[0xff, 0xff], 3), "zzz");
        // 0b00001_00010_00011_0 → indices 1, 2, 3.
        assert_eq!(encode(&[0b0000_1000, 0b1000_0110], 3), "345");
    }
}
