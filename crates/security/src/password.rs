//! Password policy and password hashing.
//!
//! The policy follows OWASP ASVS 5.0 (V6.2): at least [`MIN_LEN`] and at most [`MAX_LEN`]
//! characters (Unicode scalar values, so "ü" counts once), no composition rules, and a refusal
//! of passwords found in lists of leaked or commonly chosen ones, or made of the username (the
//! username alone, repeated, or with a few digits and signs around it).
//! The list ships with the crate (`data/common-passwords.txt`, see `data/README.md`).
//!
//! Hashes are Argon2id with the `argon2` crate's defaults (m = 19456 KiB, t = 2, p = 1, the
//! OWASP recommendation), stored as PHC strings. [`verify_dummy`] spends the same time as a
//! real verification so that a login for an unknown user cannot be told apart by its timing.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use argon2::password_hash::phc;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::{HashError, alphabet};

/// The shortest password accepted, in characters.
pub const MIN_LEN: usize = 12;
/// The longest password accepted, in characters.
pub const MAX_LEN: usize = 128;

/// Why a new password was refused. The messages are written for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Fewer than `min` characters.
    #[error("The password must be at least {min} characters long.")]
    TooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// More than `max` characters.
    #[error("The password must be at most {max} characters long.")]
    TooLong {
        /// The maximum length in characters.
        max: usize,
    },
    /// Found in a list of leaked or commonly used passwords.
    #[error(
        "This password is too common: it appears in lists of leaked passwords. Please choose another."
    )]
    Common,
    /// The account's username, or little more than it.
    #[error("The password must not be your user name or be made from it: add words of your own.")]
    SameAsUsername,
}

static COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

/// The bundled list, parsed once on first use. Entries are already lower-cased and trimmed.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| COMMON_LIST.lines().filter(|l| !l.is_empty()).collect());

/// Whether `candidate` appears (ignoring case and surrounding white space) in the bundled
/// list of common passwords.
pub fn is_common(candidate: &str) -> bool {
    COMMON.contains(candidate.trim().to_lowercase().as_str())
}

/// Letters and digits of its own a password must have besides its username.
const OWN_CHARACTERS: usize = 6;

/// Whether `candidate` is made from `username`: with every occurrence of the username taken
/// out (ignoring case), fewer than [`OWN_CHARACTERS`] letters and digits are left
/// ("admin-admin-admin", "Admin2024!" for `admin`). Usernames shorter than 3 characters are
/// never words a password is built from.
fn made_from_username(candidate: &str, username: &str) -> bool {
    let name = username.trim().to_lowercase();
    if name.chars().count() < 3 {
        return false;
    }
    let rest = candidate.to_lowercase().replace(&name, "");
    rest.chars().filter(|c| c.is_alphanumeric()).count() < OWN_CHARACTERS
}

/// Checks a new password against the policy. `username` is the account's login name; a
/// password equal to it or made from it (see [`made_from_username`]) is refused.
pub fn check_policy(candidate: &str, username: &str) -> Result<(), PolicyError> {
    let len = candidate.chars().count();
    if len < MIN_LEN {
        return Err(PolicyError::TooShort { min: MIN_LEN });
    }
    if len > MAX_LEN {
        return Err(PolicyError::TooLong { max: MAX_LEN });
    }
    if candidate.trim().to_lowercase() == username.trim().to_lowercase()
        || made_from_username(candidate, username)
    {
        return Err(PolicyError::SameAsUsername);
    }
    if is_common(candidate) {
        return Err(PolicyError::Common);
    }
    Ok(())
}

/// A stored password hash: an Argon2 PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$…`.
///
/// `Debug` does not print the string: a hash is offline-crackable material and has no place
/// in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read back from the store. It is not checked here; a malformed
    /// string simply never verifies.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PHC string, for storing.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Hashes a password with Argon2id, default parameters and a fresh random salt.
///
/// The policy is not checked here; call [`check_policy`] first when the password is new.
pub fn hash(password: &str) -> Result<PasswordHash, HashError> {
    hash_bytes(password.as_bytes())
}

pub(crate) fn hash_bytes(secret: &[u8]) -> Result<PasswordHash, HashError> {
    Argon2::default()
        .hash_password(secret)
        .map(|h| PasswordHash(h.to_string()))
        .map_err(HashError::new)
}

/// Whether `password` matches `hash`. A malformed or unsupported hash never matches.
pub fn verify(password: &str, hash: &PasswordHash) -> bool {
    verify_bytes(password.as_bytes(), hash.as_str())
}

pub(crate) fn verify_bytes(secret: &[u8], phc_string: &str) -> bool {
    match phc::PasswordHash::new(phc_string) {
        Ok(parsed) => Argon2::default().verify_password(secret, &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A fixed salt for the dummy hash: it protects nothing, it only has to cost the same.
const DUMMY_SALT: &[u8] = b"hotline-dummy-salt";

/// A hash of a password nobody knows, with the default parameters, computed on first use.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    Argon2::default()
        .hash_password_with_salt(b"hotline: no such user", DUMMY_SALT)
        .ok()
        .map(|h| h.to_string())
});

/// Spends as long as [`verify`] does, for a login whose user does not exist, so that the
/// response time does not reveal which usernames exist. The result is always "no match".
pub fn verify_dummy(password: &str) {
    match DUMMY_HASH.as_deref() {
        Some(dummy) => {
            std::hint::black_box(verify_bytes(password.as_bytes(), dummy));
        }
        None => {
            // Hashing with a fixed salt cannot fail with the default parameters; should it
            // ever, still spend the same work so timing stays flat.
            let mut out = [0u8; 32];
            let _ignored =
                Argon2::default().hash_password_into(password.as_bytes(), DUMMY_SALT, &mut out);
            std::hint::black_box(out);
        }
    }
}

/// Length of a generated password without the separators.
const ONE_TIME_CHARS: usize = 24;

/// A generated initial password for a new account or a reset: the 120 bits of `random`
/// written as 24 characters of an unambiguous lower-case alphabet in four groups of six,
/// such as `k7xq2m-9fhr4w-…`. It passes [`check_policy`] and is meant to be changed at the
/// first sign-in.
pub fn one_time_password(random: [u8; 15]) -> String {
    let chars = alphabet::encode(&random, ONE_TIME_CHARS);
    let mut out = String::with_capacity(ONE_TIME_CHARS + 3);
    for (i, c) in chars.chars().enumerate() {
        if i > 0 && i % 6 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_list_is_normalised_and_large() {
        let entries: Vec<&str> = COMMON_LIST.lines().collect();
        assert!(entries.len() > 12_000, "only {} entries", entries.len());
        for pair in entries.windows(2) {
            assert!(pair[0] < pair[1], "not sorted or duplicated: {pair:?}");
        }
        for entry in &entries {
            let len = entry.chars().count();
            assert!((MIN_LEN..=MAX_LEN).contains(&len), "bad length: {entry:?}");
            assert_eq!(*entry, entry.trim(), "untrimmed: {entry:?}");
            assert!(
                !entry.chars().any(char::is_control),
                "control character: {entry:?}"
            );
        }
        let not_lower = entries.iter().filter(|e| e.to_lowercase() != **e).count();
        assert_eq!(not_lower, 0);
        assert_eq!(COMMON.len(), entries.len());
    }

    #[test]
    fn length_limits_count_characters() {
        assert_eq!(
            check_policy("a7#kq2!mz9p", "alice"),
            Err(PolicyError::TooShort { min: 12 })
        );
        assert_eq!(check_policy("a7#kq2!mz9pw", "alice"), Ok(()));
        // Twelve characters but 24 bytes: accepted, since length is counted in characters.
        assert_eq!(check_policy("äöüßéèñçøåæœ", "alice"), Ok(()));
        assert_eq!(
            check_policy("äöüßéèñçøåæ", "alice"),
            Err(PolicyError::TooShort { min: 12 })
        );
        let long: String = "Wald und Wiese ".chars().cycle().take(128).collect();
        assert_eq!(check_policy(&long, "alice"), Ok(()));
        let too_long: String = "Wald und Wiese ".chars().cycle().take(129).collect();
        assert_eq!(
            check_policy(&too_long, "alice"),
            Err(PolicyError::TooLong { max: 128 })
        );
        let long_unicode = "ü".repeat(128);
        assert_eq!(long_unicode.len(), 256);
        assert_eq!(check_policy(&long_unicode, "alice"), Ok(()));
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case() {
        for common in [
            "passwordpassword",
            "PasswordPassword",
            "123456789012",
            "qwertyuiopas",
            "1234567890ab",
            "iloveyouiloveyou",
            "administrator",
            " Administrator ",
        ] {
            assert_eq!(
                check_policy(common, "alice"),
                Err(PolicyError::Common),
                "{common}"
            );
        }
    }

    #[test]
    fn good_passphrases_are_accepted() {
        for good in [
            "lantern orbit marmalade fjord",
            "Der Zug nach Rostock fährt um 7",
            "7fq2-kx9w-mr4t",
        ] {
            assert_eq!(check_policy(good, "alice"), Ok(()), "{good}");
        }
    }

    #[test]
    fn password_equal_to_or_made_from_the_username_is_refused() {
        for (password, username) in [
            ("Ops.Team@Example.org", "ops.team@example.org"),
            ("ops.team@example.org!", "ops.team@example.org"),
            ("admin-admin-admin", "admin"),
            ("ADMIN admin 2024!", "admin"),
            ("maria.mueller1990", "maria.mueller"),
        ] {
            assert_eq!(
                check_policy(password, username),
                Err(PolicyError::SameAsUsername),
                "{password}"
            );
        }
        // The username inside a password with enough of its own is fine, and so is any
        // password of a very short username.
        for (password, username) in [
            ("admin lantern orbit", "admin"),
            ("maria.mueller plus marmalade", "maria.mueller"),
            ("jo jo jo jo jo jo", "jo"),
        ] {
            assert_eq!(check_policy(password, username), Ok(()), "{password}");
        }
    }

    #[test]
    fn messages_are_presentable() {
        assert_eq!(
            PolicyError::TooShort { min: 12 }.to_string(),
            "The password must be at least 12 characters long."
        );
        assert!(PolicyError::Common.to_string().contains("too common"));
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let hashed = hash("lantern orbit marmalade fjord").unwrap();
        assert!(
            hashed.as_str().starts_with("$argon2id$v=19$"),
            "{}",
            hashed.as_str()
        );
        assert!(
            hashed.as_str().contains("$m=19456,t=2,p=1$"),
            "{}",
            hashed.as_str()
        );
        assert!(verify("lantern orbit marmalade fjord", &hashed));
        assert!(!verify("lantern orbit marmalade fjorD", &hashed));
        assert!(!verify("", &hashed));
    }

    #[test]
    fn salts_differ_between_hashes() {
        let a = hash("same password twice").unwrap();
        let b = hash("same password twice").unwrap();
        assert_ne!(a, b);
        assert!(verify("same password twice", &a) && verify("same password twice", &b));
    }

    #[test]
    fn malformed_stored_hashes_never_verify() {
        for stored in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$md5$xyz",
        ] {
            assert!(!verify(
                "anything",
                &PasswordHash::from_stored(stored.to_owned())
            ));
        }
    }

    #[test]
    fn dummy_hash_has_the_same_parameters_as_real_ones() {
        let dummy = DUMMY_HASH.as_deref().unwrap();
        assert!(
            dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{dummy}"
        );
        assert!(!verify_bytes(b"hotline: no such userx", dummy));
        verify_dummy("whatever was typed");
    }

    #[test]
    fn debug_does_not_print_the_hash() {
        let hashed =
            PasswordHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
        let shown = format!("{hashed:?}");
        assert!(!shown.contains("argon2"), "{shown}");
    }

    #[test]
    fn one_time_passwords_are_grouped_and_pass_the_policy() {
        let zeros = one_time_password([0; 15]);
        assert_eq!(zeros, "222222-222222-222222-222222");
        let ones = one_time_password([0xff; 15]);
        assert_eq!(ones, "zzzzzz-zzzzzz-zzzzzz-zzzzzz");
        let mixed = one_time_password(*b"fifteen bytes!!");
        assert_eq!(mixed.len(), 27);
        assert_ne!(mixed, zeros);
        for random in [[0; 15], [0xff; 15], *b"fifteen bytes!!", [0x5a; 15]] {
            let pw = one_time_password(random);
            assert_eq!(check_policy(&pw, "alice"), Ok(()), "{pw}");
            let groups: Vec<&str> = pw.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups.iter().all(|g| g.len() == 6));
        }
    }
}
