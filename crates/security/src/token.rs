//! Opaque bearer secrets: session tokens and API keys.
//!
//! A secret is 32 random bytes from the caller, written base64url without padding (43
//! characters). The store keeps only [`hash_secret`] of it; with 256 bits of entropy a fast
//! hash is enough, because there is nothing to guess.
//!
//! Both token kinds carry their tenant in clear, so every lookup can be scoped to that tenant
//! before the secret is compared:
//!
//! - session token: `{tenant}.{secret}`
//! - API key: `hlk_{tenant}_{key id}_{secret}` (the prefix lets secret scanners spot leaks)
//!
//! where ids are 32 lower-case hex digits (a UUID without dashes). [`SessionToken::parse`] and
//! [`ApiKeyToken::parse`] accept exactly these shapes and nothing else.

use std::fmt;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use domain::{ApiKeyId, TenantId};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Bytes of randomness in a secret.
pub const SECRET_BYTES: usize = 32;
/// Characters of a secret in base64url without padding.
pub const SECRET_CHARS: usize = 43;
/// Characters of an id written as a simple UUID.
const ID_CHARS: usize = 32;
/// The API key prefix.
pub const API_KEY_PREFIX: &str = "hlk_";

/// A token that does not have the expected shape. Deliberately says nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Wrong length, separator, prefix or alphabet.
    #[error("malformed token")]
    Malformed,
}

/// Writes 32 random bytes as a 43-character base64url secret.
pub fn secret_from_random(random: [u8; SECRET_BYTES]) -> String {
    BASE64URL_NOPAD.encode(&random)
}

/// The lower-case hex SHA-256 of a secret, which is what the store keeps.
pub fn hash_secret(secret: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of their contents (only of their lengths).
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Whether `secret` is exactly what [`secret_from_random`] produces: 43 base64url characters
/// that decode to 32 bytes with no stray trailing bits.
fn is_canonical_secret(secret: &str) -> bool {
    secret.len() == SECRET_CHARS
        && BASE64URL_NOPAD
            .decode(secret.as_bytes())
            .is_ok_and(|bytes| bytes.len() == SECRET_BYTES)
}

/// Parses 32 lower-case hex digits as an id.
fn parse_simple_id<T: std::str::FromStr>(text: &str) -> Result<T, TokenError> {
    let shaped = text.len() == ID_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !shaped {
        return Err(TokenError::Malformed);
    }
    text.parse().map_err(|_| TokenError::Malformed)
}

/// A session token as held by the browser. `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// The tenant whose session store holds this session.
    pub tenant_id: TenantId,
    /// The bearer secret; the store keeps [`hash_secret`] of it.
    pub secret: String,
}

impl SessionToken {
    /// A new token for `tenant_id` with a secret made from the caller's 32 random bytes.
    pub fn new(tenant_id: TenantId, random: [u8; SECRET_BYTES]) -> Self {
        Self {
            tenant_id,
            secret: secret_from_random(random),
        }
    }

    /// `{tenant as 32 hex digits}.{secret}`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.tenant_id.as_uuid().simple(), self.secret)
    }

    /// Parses exactly the shape [`SessionToken::encode`] produces.
    pub fn parse(text: &str) -> Result<SessionToken, TokenError> {
        let (tenant, secret) = text.split_once('.').ok_or(TokenError::Malformed)?;
        let tenant_id = parse_simple_id(tenant)?;
        if !is_canonical_secret(secret) {
            return Err(TokenError::Malformed);
        }
        Ok(SessionToken {
            tenant_id,
            secret: secret.to_owned(),
        })
    }

    /// The hash of the secret, to look the session up in the store.
    pub fn secret_hash(&self) -> String {
        hash_secret(&self.secret)
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("tenant_id", &self.tenant_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An API key as held by the integrating system. `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyToken {
    /// The tenant the key belongs to.
    pub tenant_id: TenantId,
    /// The key's public id (shown in the UI and the audit log).
    pub key_id: ApiKeyId,
    /// The bearer secret; the store keeps [`hash_secret`] of it.
    pub secret: String,
}

impl ApiKeyToken {
    /// A new key with a secret made from the caller's 32 random bytes.
    pub fn new(tenant_id: TenantId, key_id: ApiKeyId, random: [u8; SECRET_BYTES]) -> Self {
        Self {
            tenant_id,
            key_id,
            secret: secret_from_random(random),
        }
    }

    /// `hlk_{tenant as 32 hex digits}_{key id as 32 hex digits}_{secret}`.
    pub fn encode(&self) -> String {
        format!(
            "{API_KEY_PREFIX}{}_{}_{}",
            self.tenant_id.as_uuid().simple(),
            self.key_id.as_uuid().simple(),
            self.secret
        )
    }

    /// Parses exactly the shape [`ApiKeyToken::encode`] produces. Fields are found by
    /// position, since the secret's alphabet contains `_` itself.
    pub fn parse(text: &str) -> Result<ApiKeyToken, TokenError> {
        let rest = text
            .strip_prefix(API_KEY_PREFIX)
            .ok_or(TokenError::Malformed)?;
        if rest.len() != ID_CHARS + 1 + ID_CHARS + 1 + SECRET_CHARS || !rest.is_ascii() {
            return Err(TokenError::Malformed);
        }
        // All ASCII, so every byte offset is a character boundary.
        let (tenant, rest) = rest.split_at(ID_CHARS);
        let rest = rest.strip_prefix('_').ok_or(TokenError::Malformed)?;
        let (key, rest) = rest.split_at(ID_CHARS);
        let secret = rest.strip_prefix('_').ok_or(TokenError::Malformed)?;
        let tenant_id = parse_simple_id(tenant)?;
        let key_id = parse_simple_id(key)?;
        if !is_canonical_secret(secret) {
            return Err(TokenError::Malformed);
        }
        Ok(ApiKeyToken {
            tenant_id,
            key_id,
            secret: secret.to_owned(),
        })
    }

    /// The hash of the secret, to compare with the stored one.
    pub fn secret_hash(&self) -> String {
        hash_secret(&self.secret)
    }
}

impl fmt::Debug for ApiKeyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyToken")
            .field("tenant_id", &self.tenant_id)
            .field("key_id", &self.key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::from_random_bytes([0xab; 16])
    }

    fn key_id() -> ApiKeyId {
        ApiKeyId::from_random_bytes([0x22; 16])
    }

    /// The id as 32 hex digits, derived independently of `Uuid::simple`.
    fn hex(id: impl std::fmt::Display) -> String {
        id.to_string().replace('-', "")
    }

    #[test]
    fn secrets_are_43_base64url_characters() {
        let secret = secret_from_random([0xfb; 32]);
        assert_eq!(secret.len(), 43);
        assert!(
            secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(secret.contains('-') || secret.contains('_'), "{secret}");
        assert!(is_canonical_secret(&secret));
    }

    #[test]
    fn hash_is_lower_hex_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq("same", "same"));
        assert!(!ct_eq("same", "sama"));
        assert!(!ct_eq("same", "same!"));
        assert!(ct_eq("", ""));
    }

    #[test]
    fn session_tokens_round_trip() {
        let token = SessionToken::new(tenant(), [7; 32]);
        let text = token.encode();
        assert_eq!(text.len(), 32 + 1 + 43);
        assert_eq!(text.split_once('.').unwrap().0, hex(tenant()));
        assert_eq!(SessionToken::parse(&text), Ok(token.clone()));
        assert_eq!(token.secret_hash(), hash_secret(&token.secret));
    }

    #[test]
    fn session_token_parsing_is_strict() {
        let good = SessionToken::new(tenant(), [7; 32]).encode();
        let (tenant_part, secret) = good.split_once('.').unwrap();
        let hyphenated = format!("{}.{secret}", tenant());
        let upper = format!("{}.{secret}", tenant_part.to_uppercase());
        let bad_trailing_bits = format!("{tenant_part}.{}B", &secret[..42]);
        for bad in [
            String::new(),
            ".".to_owned(),
            format!("{tenant_part}{secret}"),
            format!("{tenant_part}.{secret}x"),
            format!("{tenant_part}.{}", &secret[1..]),
            format!("{tenant_part}.{}+", &secret[1..]),
            format!("{tenant_part}.{}=", &secret[1..]),
            format!("{tenant_part}..{secret}"),
            format!(" {good}"),
            hyphenated,
            upper,
            bad_trailing_bits,
            format!("{}.{secret}", "g".repeat(32)),
            format!("{}.{secret}", "é".repeat(16)),
        ] {
            assert_eq!(
                SessionToken::parse(&bad),
                Err(TokenError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn api_keys_round_trip_even_with_underscores_in_the_secret() {
        // 0xff bytes encode to '_' characters in base64url.
        let token = ApiKeyToken::new(tenant(), key_id(), [0xff; 32]);
        assert!(token.secret.starts_with("___"));
        let text = token.encode();
        assert!(
            text.starts_with(&format!("hlk_{}_{}_", hex(tenant()), hex(key_id()))),
            "{text}"
        );
        assert_eq!(ApiKeyToken::parse(&text), Ok(token));
    }

    #[test]
    fn api_key_parsing_is_strict() {
        let token = ApiKeyToken::new(tenant(), key_id(), [9; 32]);
        let good = token.encode();
        let (t, k, s) = (hex(tenant()), hex(key_id()), token.secret.clone());
        let session = SessionToken::new(tenant(), [9; 32]).encode();
        for bad in [
            String::new(),
            "hlk_".to_owned(),
            good.replacen("hlk_", "hlx_", 1),
            good.replacen("hlk_", "HLK_", 1),
            good[..good.len() - 1].to_owned(),
            format!("{good}A"),
            format!("hlk_{t}-{k}_{s}"),
            format!("hlk_{t}_{k}-{s}"),
            format!("hlk_{t}_{k}_{s}_"),
            format!("hlk_{k}_{s}"),
            format!("hlk_{}_{k}_{s}", t.to_uppercase()),
            format!("hlk_{t}_{}_{s}", tenant()),
            format!("{}é", &good[..good.len() - 2]),
            session,
        ] {
            assert_eq!(
                ApiKeyToken::parse(&bad),
                Err(TokenError::Malformed),
                "{bad:?}"
            );
        }
        // Non-ASCII of the right byte length must not panic on a character boundary.
        let multibyte = format!("hlk_{}", "€".repeat(36));
        assert_eq!(multibyte.len(), 4 + 108);
        assert_eq!(
            ApiKeyToken::parse(&format!("{multibyte}x")),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let session = SessionToken::new(tenant(), [0xab; 32]);
        let key = ApiKeyToken::new(tenant(), key_id(), [0xcd; 32]);
        for (shown, secret) in [
            (format!("{session:?} {session:#?}"), &session.secret),
            (format!("{key:?} {key:#?}"), &key.secret),
        ] {
            assert!(!shown.contains(secret.as_str()), "{shown}");
            assert!(!shown.contains(&secret[..8]), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
