//! Envelope encryption of personal data at rest: AES-256-GCM under a three-level key
//! hierarchy.
//!
//! ```text
//! root key (a file or the environment, never in the database)
//!   └─ tenant key, versioned           wrapped by the root key,   AAD = tenant, version
//!        └─ data key, one per object   wrapped by a tenant key,   AAD = tenant, kind, object
//!             └─ each stored value     sealed by its data key,    AAD = tenant, kind, object, field
//! ```
//!
//! Deleting a data key makes everything sealed under it unreadable (crypto-shredding), even in
//! backups. Rotating a tenant key re-wraps the data keys and touches no stored value.
//!
//! Every sealed value carries its place in the associated data ([`Aad`]): the tenant, the kind
//! of object, the object's id and the field (with a row key where an object has many rows,
//! such as a message's sequence number). A ciphertext copied into another row, object or
//! tenant fails to open instead of showing somebody else's data there.
//!
//! Sealed bytes are `nonce (12) ‖ ciphertext ‖ tag (16)`. Text columns hold them as
//! [`TEXT_PREFIX`] followed by unpadded base64url, so a sealed value is recognisable and a
//! reader never mistakes plaintext for it or it for plaintext.
//!
//! Sans-IO like the rest of this crate: the caller passes in fresh random nonces and keys.

use aws_lc_rs::aead::{AES_256_GCM, Aad as AeadAad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use data_encoding::BASE64URL_NOPAD;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Bytes in a key.
pub const KEY_LEN: usize = 32;
/// Bytes in a nonce; each seal needs fresh random ones.
pub const NONCE_BYTES: usize = NONCE_LEN;
/// Bytes a seal adds to its plaintext (nonce and tag).
pub const OVERHEAD: usize = NONCE_LEN + 16;
/// How a sealed value in a text column begins.
pub const TEXT_PREFIX: &str = "enc1.";

/// A 256-bit key: root, tenant or data key. Wiped from memory when dropped; never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Key([u8; KEY_LEN]);

impl Key {
    /// A key from its bytes (fresh random bytes for a new key).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a key written by [`Key::to_text`]: 64 hex digits (or standard/URL-safe base64 of
    /// 32 bytes), surrounding whitespace ignored.
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let mut bytes = if text.len() == 2 * KEY_LEN {
            data_encoding::HEXLOWER_PERMISSIVE
                .decode(text.as_bytes())
                .ok()
        } else {
            None
        }
        .or_else(|| data_encoding::BASE64.decode(text.as_bytes()).ok())
        .or_else(|| {
            BASE64URL_NOPAD
                .decode(text.trim_end_matches('=').as_bytes())
                .ok()
        })
        .ok_or(CryptoError::KeyFormat)?;
        let key = <[u8; KEY_LEN]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| CryptoError::KeyFormat);
        bytes.zeroize();
        key
    }

    /// The key as 64 lower-case hex digits (for a key file).
    pub fn to_text(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    fn aead(&self) -> LessSafeKey {
        // 32 bytes is always a valid AES-256 key.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("a 32-byte AES-256 key"))
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

/// Why a key or a sealed value could not be used. Says nothing about the plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key text is not 32 bytes in hex or base64.
    #[error("a key must be 32 bytes written as 64 hex digits or base64")]
    KeyFormat,
    /// The value is not in the sealed format (not [`TEXT_PREFIX`] + base64url, or too short).
    #[error("the value is not an encrypted value")]
    NotSealed,
    /// The tag did not verify: the wrong key, another place's ciphertext, or altered bytes.
    #[error("the value does not decrypt with its key here (wrong key, moved or altered)")]
    Open,
    /// The plaintext of a text value is not UTF-8 (only possible for altered data).
    #[error("the decrypted value is not text")]
    NotText,
}

/// The associated data that binds a sealed value to its place. Built from parts, each
/// length-prefixed so that no two different places give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aad(Vec<u8>);

impl Aad {
    /// Starts associated data for one purpose (`"root-check"`, `"tenant-key"`, `"data-key"`,
    /// `"value"`).
    pub fn new(purpose: &str) -> Self {
        Self(Vec::with_capacity(96))
            .part(b"hotline/1")
            .part(purpose.as_bytes())
    }

    /// Adds a part.
    pub fn with(self, part: &str) -> Self {
        self.part(part.as_bytes())
    }

    fn part(mut self, bytes: &[u8]) -> Self {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(bytes);
        self
    }

    /// The associated data for a wrapped tenant key.
    pub fn tenant_key(tenant: &str, version: i64) -> Self {
        Self::new("tenant-key")
            .with(tenant)
            .with(&version.to_string())
    }

    /// The associated data for a wrapped data key.
    pub fn data_key(tenant: &str, kind: &str, object: &str) -> Self {
        Self::new("data-key").with(tenant).with(kind).with(object)
    }

    /// The associated data for one stored value: the object it belongs to and its field
    /// (with the row key where the object has many rows, e.g. `message:17`).
    pub fn value(tenant: &str, kind: &str, object: &str, field: &str) -> Self {
        Self::new("value")
            .with(tenant)
            .with(kind)
            .with(object)
            .with(field)
    }

    /// The associated data of the root-key check value.
    pub fn root_check() -> Self {
        Self::new("root-check")
    }
}

/// Encrypts `plaintext` under `key`, bound to `aad`: `nonce ‖ ciphertext ‖ tag`. The nonce
/// must be fresh random bytes (never reused with the same key).
pub fn seal(key: &Key, nonce: [u8; NONCE_BYTES], aad: &Aad, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(NONCE_BYTES);
    // Sealing only fails for inputs beyond GCM's 64 GiB limit, which no stored value reaches.
    key.aead()
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            AeadAad::from(aad.0.as_slice()),
            &mut body,
        )
        .expect("AES-GCM sealing a value under 64 GiB");
    out.extend_from_slice(&body);
    out
}

/// Decrypts what [`seal`] made with the same key and associated data.
pub fn open(key: &Key, aad: &Aad, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < OVERHEAD {
        return Err(CryptoError::NotSealed);
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    let nonce = <[u8; NONCE_BYTES]>::try_from(nonce).map_err(|_| CryptoError::NotSealed)?;
    let mut body = body.to_vec();
    let len = key
        .aead()
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            AeadAad::from(aad.0.as_slice()),
            &mut body,
        )
        .map_err(|_| CryptoError::Open)?
        .len();
    body.truncate(len);
    Ok(body)
}

/// [`seal`] for a text column: [`TEXT_PREFIX`] + base64url of the sealed bytes.
pub fn seal_text(key: &Key, nonce: [u8; NONCE_BYTES], aad: &Aad, plaintext: &str) -> String {
    let sealed = seal(key, nonce, aad, plaintext.as_bytes());
    let mut text = String::with_capacity(TEXT_PREFIX.len() + sealed.len() * 4 / 3 + 4);
    text.push_str(TEXT_PREFIX);
    text.push_str(&BASE64URL_NOPAD.encode(&sealed));
    text
}

/// Whether a text column's value is in the sealed format (it may still fail to open).
pub fn is_sealed_text(text: &str) -> bool {
    text.starts_with(TEXT_PREFIX)
}

/// Decrypts what [`seal_text`] made. Plaintext (no prefix) is an error, never passed through:
/// a reader fails closed.
pub fn open_text(key: &Key, aad: &Aad, text: &str) -> Result<String, CryptoError> {
    let encoded = text
        .strip_prefix(TEXT_PREFIX)
        .ok_or(CryptoError::NotSealed)?;
    let sealed = BASE64URL_NOPAD
        .decode(encoded.as_bytes())
        .map_err(|_| CryptoError::NotSealed)?;
    String::from_utf8(open(key, aad, &sealed)?).map_err(|_| CryptoError::NotText)
}

/// Wraps (encrypts) a key under another key.
pub fn wrap_key(kek: &Key, nonce: [u8; NONCE_BYTES], aad: &Aad, key: &Key) -> Vec<u8> {
    seal(kek, nonce, aad, &key.0)
}

/// Unwraps what [`wrap_key`] made.
pub fn unwrap_key(kek: &Key, aad: &Aad, wrapped: &[u8]) -> Result<Key, CryptoError> {
    let mut bytes = open(kek, aad, wrapped)?;
    let key = <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        .map(Key)
        .map_err(|_| CryptoError::Open);
    bytes.zeroize();
    key
}

/// The value stored beside the tenant keys that tells whether a root key is the one the
/// database was set up with: a known text sealed under the root key.
pub fn root_check(root: &Key, nonce: [u8; NONCE_BYTES]) -> Vec<u8> {
    seal(root, nonce, &Aad::root_check(), ROOT_CHECK_TEXT)
}

/// Whether `check` (from [`root_check`]) was made with `root`.
pub fn root_check_matches(root: &Key, check: &[u8]) -> bool {
    open(root, &Aad::root_check(), check).is_ok_and(|text| text == ROOT_CHECK_TEXT)
}

const ROOT_CHECK_TEXT: &[u8] = b"hotline root key check";

/// How a pseudonym begins.
pub const PSEUDONYM_PREFIX: &str = "p_";

/// A stable keyed pseudonym of `value` for `purpose` (such as `caller` or `source_ip`):
/// HMAC-SHA256 under `key` over the length-prefixed purpose and value, the first 16 bytes as
/// lowercase base32 after [`PSEUDONYM_PREFIX`]. The same value gives the same pseudonym under
/// the same key; without the key it can be neither reversed nor recomputed from a guess.
pub fn pseudonym(key: &Key, purpose: &str, value: &str) -> String {
    use aws_lc_rs::hmac;
    let mac_key = hmac::Key::new(hmac::HMAC_SHA256, &key.0);
    let mut ctx = hmac::Context::with_key(&mac_key);
    for part in [purpose, value] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    let tag = ctx.sign();
    let text = data_encoding::BASE32_NOPAD.encode(&tag.as_ref()[..16]);
    format!("{PSEUDONYM_PREFIX}{}", text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key::from_bytes([b; KEY_LEN])
    }

    #[test]
    fn a_pseudonym_is_stable_per_key_and_purpose_and_shows_nothing_of_the_value() {
        let p = pseudonym(&key(1), "caller", "+4930123456");
        assert_eq!(p, pseudonym(&key(1), "caller", "+4930123456"));
        assert!(p.starts_with(PSEUDONYM_PREFIX) && p.len() == 2 + 26, "{p}");
        assert!(!p.contains("30123456"));
        assert_ne!(p, pseudonym(&key(2), "caller", "+4930123456"));
        assert_ne!(p, pseudonym(&key(1), "source_ip", "+4930123456"));
        assert_ne!(p, pseudonym(&key(1), "caller", "+4930123457"));
        // The parts are length-prefixed: moving a character between them changes the result.
        assert_ne!(pseudonym(&key(1), "ab", "c"), pseudonym(&key(1), "a", "bc"));
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_place_and_under_its_key() {
        let aad = Aad::value("t1", "conversation", "c1", "message:1");
        let sealed = seal_text(&key(1), [7; 12], &aad, "Ich brauche Hilfe");
        assert!(is_sealed_text(&sealed));
        assert!(!sealed.contains("Hilfe"));
        assert_eq!(
            open_text(&key(1), &aad, &sealed).as_deref(),
            Ok("Ich brauche Hilfe")
        );
        for other in [
            Aad::value("t2", "conversation", "c1", "message:1"),
            Aad::value("t1", "conversation", "c2", "message:1"),
            Aad::value("t1", "conversation", "c1", "message:2"),
            Aad::value("t1", "user", "c1", "message:1"),
        ] {
            assert_eq!(open_text(&key(1), &other, &sealed), Err(CryptoError::Open));
        }
        assert_eq!(open_text(&key(2), &aad, &sealed), Err(CryptoError::Open));
    }

    #[test]
    fn parts_cannot_be_shifted_between_each_other() {
        assert_ne!(
            Aad::value("ab", "c", "d", "e"),
            Aad::value("a", "bc", "d", "e")
        );
    }

    #[test]
    fn plaintext_and_altered_values_fail_closed() {
        let aad = Aad::value("t", "k", "o", "f");
        assert_eq!(
            open_text(&key(1), &aad, "plain text"),
            Err(CryptoError::NotSealed)
        );
        assert_eq!(
            open_text(&key(1), &aad, "enc1.!!"),
            Err(CryptoError::NotSealed)
        );
        let mut sealed = seal(&key(1), [1; 12], &aad, b"secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(open(&key(1), &aad, &sealed), Err(CryptoError::Open));
        assert_eq!(
            open(&key(1), &aad, &sealed[..10]),
            Err(CryptoError::NotSealed)
        );
    }

    #[test]
    fn keys_wrap_and_the_root_check_tells_the_right_root_key() {
        let aad = Aad::data_key("t", "conversation", "c");
        let wrapped = wrap_key(&key(3), [2; 12], &aad, &key(9));
        assert_eq!(unwrap_key(&key(3), &aad, &wrapped), Ok(key(9)));
        assert!(unwrap_key(&key(4), &aad, &wrapped).is_err());
        let check = root_check(&key(5), [3; 12]);
        assert!(root_check_matches(&key(5), &check));
        assert!(!root_check_matches(&key(6), &check));
    }

    #[test]
    fn key_text_round_trips_and_bad_text_is_refused() {
        let k = Key::from_bytes(*b"0123456789abcdef0123456789abcdef");
        assert_eq!(
            Key::from_text(&format!(" {}\n", k.to_text())),
            Ok(k.clone())
        );
        let b64 = data_encoding::BASE64.encode(b"0123456789abcdef0123456789abcdef");
        assert_eq!(Key::from_text(&b64), Ok(k));
        assert_eq!(Key::from_text("short"), Err(CryptoError::KeyFormat));
        assert_eq!(Key::from_text(""), Err(CryptoError::KeyFormat));
        assert_eq!(format!("{:?}", key(1)), "Key(…)");
    }
}
