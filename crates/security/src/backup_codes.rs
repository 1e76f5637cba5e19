//! Backup codes: ten single-use codes a user prints at TOTP enrolment to sign in when the
//! phone is lost.
//!
//! Each code is ten characters (50 bits) of the unambiguous alphabet, shown as `xxxxx-xxxxx`.
//! They are secrets at rest, so the store keeps only their Argon2id hashes; on sign-in the
//! caller verifies the typed code against each unused hash and marks the one that matched as
//! used.

use crate::{HashError, PasswordHash, alphabet, password};

/// Codes per set.
pub const COUNT: usize = 10;
/// Characters per code, without the dash.
pub const CODE_CHARS: usize = 10;
/// Random bytes consumed per code (only the first 50 bits are used).
const BYTES_PER_CODE: usize = 8;

/// Turns 80 random bytes from the caller's RNG into [`COUNT`] codes formatted `xxxxx-xxxxx`.
pub fn generate(random: &[u8; COUNT * BYTES_PER_CODE]) -> Vec<String> {
    random
        .chunks_exact(BYTES_PER_CODE)
        .map(|chunk| {
            let chars = alphabet::encode(chunk, CODE_CHARS);
            let (left, right) = chars.split_at(CODE_CHARS / 2);
            format!("{left}-{right}")
        })
        .collect()
}

/// The canonical form of a typed code: lower-case, without spaces or dashes, so that
/// `ABCDE-FGHIJ`, `abcde fghij` and `abcdefghij` are the same code.
pub fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Hashes a code (after [`normalise`]) with Argon2id for storage.
pub fn hash(code: &str) -> Result<PasswordHash, HashError> {
    password::hash_bytes(normalise(code).as_bytes())
}

/// Whether the typed `code` matches one stored hash. Input that cannot be a code (wrong
/// length after normalising) is refused without hashing.
pub fn verify(code: &str, hash: &PasswordHash) -> bool {
    let code = normalise(code);
    if code.chars().count() != CODE_CHARS {
        return false;
    }
    password::verify_bytes(code.as_bytes(), hash.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random() -> [u8; 80] {
        let mut bytes = [0u8; 80];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(97).wrapping_add(13);
        }
        bytes
    }

    #[test]
    fn generates_ten_distinct_well_formed_codes() {
        let codes = generate(&random());
        assert_eq!(codes.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(code.as_bytes()[5], b'-', "{code}");
            assert!(
                code.chars()
                    .filter(|c| *c != '-')
                    .all(|c| alphabet::UNAMBIGUOUS.contains(&(c as u8))),
                "{code}"
            );
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        assert_eq!(generate(&random()), codes, "same bytes, same codes");
        assert_eq!(generate(&[0; 80])[0], "22222-22222");
    }

    #[test]
    fn normalising_ignores_case_spaces_and_dashes() {
        assert_eq!(normalise(" ABCDE-fghij "), "abcdefghij");
        assert_eq!(normalise("abc de fg-hij"), "abcdefghij");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn hashed_codes_verify_in_any_typed_form() {
        let code = &generate(&random())[3];
        let hashed = hash(code).unwrap();
        assert!(hashed.as_str().starts_with("$argon2id$"));
        assert!(verify(code, &hashed));
        assert!(verify(&code.to_uppercase().replace('-', " "), &hashed));
        let other = &generate(&random())[4];
        assert!(!verify(other, &hashed));
        assert!(!verify("", &hashed));
    }
}
