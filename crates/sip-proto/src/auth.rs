//! Digest authentication (RFC 2617, RFC 7616 with MD5, as SIP uses it per RFC 3261 §22): a UAC
//! answering 401/407 challenges, and a UAS verifying credentials against a configured user. The
//! nonce and cnonce come from the caller; nothing here reads a clock or a random source.

use crate::md5::hex_digest;
use crate::scan::{Param, Params};
use crate::typed::AuthHeader;

/// Why credentials could not be produced or were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the challenge is not Digest")]
    NotDigest,
    #[error("the challenge or credentials lack {0}")]
    Missing(&'static str),
    #[error("unsupported algorithm or qop")]
    Unsupported,
    #[error("credentials do not match")]
    Mismatch,
}

/// Username and password for one realm (or any realm).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn quoted(name: &str, value: &str) -> Param {
    Param {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        quoted: true,
    }
}

fn token(name: &str, value: &str) -> Param {
    Param {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        quoted: false,
    }
}

/// HA1 of RFC 2617 §3.2.2.2: `MD5(username:realm:password)` in lower-case hex. A registrar
/// stores this instead of the password; it is as good as the password for this realm, so it
/// is a secret too.
pub fn ha1(user: &str, realm: &str, password: &str) -> String {
    hex_digest(format!("{user}:{realm}:{password}").as_bytes())
}

fn response_hash(ha1: &str, nonce: &str, qop: Option<(&str, &str, &str)>, ha2: &str) -> String {
    match qop {
        Some((nc, cnonce, qop)) => {
            hex_digest(format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}").as_bytes())
        }
        None => hex_digest(format!("{ha1}:{nonce}:{ha2}").as_bytes()),
    }
}

fn check_algorithm(h: &AuthHeader) -> Result<(), AuthError> {
    match h.param("algorithm") {
        None => Ok(()),
        Some(a) if a.eq_ignore_ascii_case("MD5") => Ok(()),
        Some(_) => Err(AuthError::Unsupported),
    }
}

/// Builds the Authorization (or Proxy-Authorization) value answering `challenge` for a request
/// with `method` and `uri`. `cnonce` and `nc` (starting at 1) are supplied by the caller; they
/// are used only when the challenge offers `qop=auth`.
pub fn authorize(
    challenge: &AuthHeader,
    creds: &Credentials,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> Result<AuthHeader, AuthError> {
    if !challenge.scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest);
    }
    check_algorithm(challenge)?;
    let realm = challenge
        .param("realm")
        .ok_or(AuthError::Missing("realm"))?;
    let nonce = challenge
        .param("nonce")
        .ok_or(AuthError::Missing("nonce"))?;
    let qop_auth = match challenge.param("qop") {
        None => false,
        Some(q) if q.split(',').any(|o| o.trim() == "auth") => true,
        Some(_) => return Err(AuthError::Unsupported),
    };
    let h1 = ha1(&creds.username, realm, &creds.password);
    let h2 = hex_digest(format!("{method}:{uri}").as_bytes());
    let nc = format!("{nc:08x}");
    let qop = qop_auth.then_some((nc.as_str(), cnonce, "auth"));
    let response = response_hash(&h1, nonce, qop, &h2);
    let mut params = vec![
        quoted("username", &creds.username),
        quoted("realm", realm),
        quoted("nonce", nonce),
        quoted("uri", uri),
        quoted("response", &response),
        token("algorithm", "MD5"),
    ];
    if qop_auth {
        params.extend([
            token("qop", "auth"),
            token("nc", &nc),
            quoted("cnonce", cnonce),
        ]);
    }
    if let Some(opaque) = challenge.param("opaque") {
        params.push(quoted("opaque", opaque));
    }
    Ok(AuthHeader {
        scheme: "Digest".into(),
        params: Params(params),
    })
}

/// A challenge for a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate), with `qop=auth`.
pub fn challenge(realm: &str, nonce: &str, opaque: Option<&str>) -> AuthHeader {
    let mut params = vec![
        quoted("realm", realm),
        quoted("nonce", nonce),
        token("algorithm", "MD5"),
        quoted("qop", "auth"),
    ];
    if let Some(o) = opaque {
        params.push(quoted("opaque", o));
    }
    AuthHeader {
        scheme: "Digest".into(),
        params: Params(params),
    }
}

/// Verifies credentials from an incoming request against the configured user. `nonce` is the
/// one we issued (the caller tracks its freshness); `method` is the request method.
pub fn verify(
    authorization: &AuthHeader,
    method: &str,
    expected_realm: &str,
    nonce: &str,
    creds: &Credentials,
) -> Result<(), AuthError> {
    let h1 = ha1(&creds.username, expected_realm, &creds.password);
    verify_ha1(
        authorization,
        method,
        expected_realm,
        nonce,
        &creds.username,
        &h1,
    )
}

/// Verifies credentials against a stored HA1 (see [`ha1`]) instead of a password, as a
/// registrar does. `nonce` is the one we issued; the caller checks its freshness and the
/// nonce count ([`nonce_count`]).
pub fn verify_ha1(
    authorization: &AuthHeader,
    method: &str,
    expected_realm: &str,
    nonce: &str,
    username: &str,
    ha1: &str,
) -> Result<(), AuthError> {
    if !authorization.scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest);
    }
    check_algorithm(authorization)?;
    let get = |name: &'static str| authorization.param(name).ok_or(AuthError::Missing(name));
    if get("username")? != username || get("realm")? != expected_realm || get("nonce")? != nonce {
        return Err(AuthError::Mismatch);
    }
    let uri = get("uri")?;
    let h2 = hex_digest(format!("{method}:{uri}").as_bytes());
    let qop = match authorization.param("qop") {
        None => None,
        Some("auth") => Some((get("nc")?, get("cnonce")?, "auth")),
        Some(_) => return Err(AuthError::Unsupported),
    };
    let expected = response_hash(&ha1.to_ascii_lowercase(), nonce, qop, &h2);
    // Constant-time comparison: the response is a secret-derived value.
    let given = get("response")?.to_ascii_lowercase();
    let diff = expected
        .bytes()
        .zip(given.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff == 0 && expected.len() == given.len() {
        Ok(())
    } else {
        Err(AuthError::Mismatch)
    }
}

/// The nonce count (`nc`, hexadecimal) of credentials with `qop=auth`; `None` without qop or
/// when it does not parse. A registrar refuses a count it has seen for the nonce (a replay).
pub fn nonce_count(authorization: &AuthHeader) -> Option<u32> {
    u32::from_str_radix(authorization.param("nc")?, 16).ok()
}
