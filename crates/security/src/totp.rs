//! Time-based one-time passwords (RFC 6238) as the second sign-in factor: HMAC-SHA-1, a
//! 30-second step, six digits, and a code from one step before or after the current one
//! accepted for clock drift.
//!
//! A code is single-use: [`verify`] returns the step it matched, the caller stores it, and
//! passes it back as `last_used_step` next time, so the same code (or an older one) is refused
//! as [`TotpError::Replayed`]. Enrolment shows the secret as an `otpauth://` URI and a QR code.
//! The caller supplies the secret's 20 random bytes and the current time.

use std::fmt;
use std::fmt::Write as _;

use data_encoding::BASE32_NOPAD;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Totp};

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: i64 = 1;
/// Length of a secret in bytes (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;

/// Why a code or secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The input is not six digits (spaces aside).
    #[error("the code must be 6 digits")]
    Malformed,
    /// Six digits, but not the code for this time.
    #[error("the code is not valid")]
    Invalid,
    /// The code was valid but has been used already (or a newer one has).
    #[error("the code has already been used")]
    Replayed,
    /// A stored or typed secret is not base32 for exactly 20 bytes.
    #[error("the TOTP secret is not valid base32 for 20 bytes")]
    BadSecret,
}

/// The otpauth URI does not fit into a QR code (it is limited to about 2,900 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text is too long for a QR code")]
pub struct QrError;

/// A user's shared TOTP secret: 20 bytes. `Debug` does not print it.
#[derive(Clone)]
pub struct TotpSecret([u8; SECRET_LEN]);

impl TotpSecret {
    /// Wraps 20 random bytes from the caller's RNG.
    pub const fn from_bytes(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// Parses the base32 form (RFC 4648, as authenticator apps show it). Case, spaces and
    /// trailing `=` padding are ignored; anything that does not decode to exactly 20 bytes is
    /// [`TotpError::BadSecret`].
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let cleaned = cleaned.trim_end_matches('=');
        let bytes = BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| TotpError::BadSecret)?;
        let bytes: [u8; SECRET_LEN] = bytes.try_into().map_err(|_| TotpError::BadSecret)?;
        Ok(Self(bytes))
    }

    /// The base32 form without padding (32 upper-case characters), for storage and for
    /// typing into an authenticator app.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    fn totp(&self) -> Totp {
        // The settings are fixed and RFC-compliant and the secret has the recommended length,
        // which is everything `build` would check.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS as u8)
            .with_skew(0)
            .with_step_duration(STEP_SECS as u64)
            .with_secret(self.0)
            .build_noncompliant()
    }
}

impl PartialEq for TotpSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for TotpSecret {}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The step number for a Unix time: `floor(unix_secs / 30)`.
pub const fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

fn code_for_step(totp: &Totp, step: i64) -> String {
    // Steps before 1970 never occur for a real clock; they read as the epoch's step.
    let step = u64::try_from(step).unwrap_or(0);
    totp.generate(step.saturating_mul(STEP_SECS as u64))
        .to_string()
}

/// The six-digit code for `secret` at `unix_secs` (times before 1970 count as 1970).
pub fn code_at(secret: &TotpSecret, unix_secs: i64) -> String {
    code_for_step(&secret.totp(), step_at(unix_secs))
}

/// Reads six ASCII digits, ignoring white space anywhere ("123 456" is fine).
fn parse_code(input: &str) -> Result<[u8; DIGITS], TotpError> {
    let mut digits = [0u8; DIGITS];
    let mut len = 0;
    for c in input.chars().filter(|c| !c.is_whitespace()) {
        if !c.is_ascii_digit() || len == DIGITS {
            return Err(TotpError::Malformed);
        }
        digits[len] = c as u8;
        len += 1;
    }
    if len == DIGITS {
        Ok(digits)
    } else {
        Err(TotpError::Malformed)
    }
}

/// Checks a typed code at `unix_secs` against the steps now−1, now and now+1.
///
/// Returns the matched step, which the caller must store and pass back as `last_used_step`
/// on the next check: a code whose step is not newer than that is [`TotpError::Replayed`].
/// All three candidates are compared, in constant time, whatever the outcome.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    unix_secs: i64,
    last_used_step: Option<i64>,
) -> Result<i64, TotpError> {
    let typed = parse_code(code)?;
    let totp = secret.totp();
    let now = step_at(unix_secs);
    let mut fresh: Option<i64> = None;
    let mut replayed = false;
    for step in now - SKEW_STEPS..=now + SKEW_STEPS {
        if step < 0 {
            continue;
        }
        let expected = code_for_step(&totp, step);
        let matches: bool = expected.as_bytes().ct_eq(&typed).into();
        if matches {
            if last_used_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else if fresh.is_none() {
                fresh = Some(step);
            }
        }
    }
    match (fresh, replayed) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Replayed),
        (None, false) => Err(TotpError::Invalid),
    }
}

/// Percent-encodes everything except RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The `otpauth://` URI that authenticator apps import, in the Key URI format:
/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`,
/// with issuer and account percent-encoded. It contains the secret: show it only to the user
/// who is enrolling, and never log it.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    let account = percent_encode(account);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        secret.to_base32()
    )
}

/// A QR code of `uri` as an SVG document at least 200 × 200 pixels, black on white with the
/// quiet zone, for the enrolment page.
pub fn qr_svg(uri: &str) -> Result<String, QrError> {
    // Level L holds the most data; a screen close to a phone camera needs no more redundancy.
    let code =
        QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::L).map_err(|_| QrError)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    #[test]
    fn rfc_6238_sha1_vectors() {
        let secret = rfc_secret();
        for (time, full) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            let expected = &full[2..];
            assert_eq!(code_at(&secret, time), expected, "time {time}");
            assert_eq!(verify(&secret, expected, time, None), Ok(step_at(time)));
        }
    }

    #[test]
    fn steps_are_thirty_seconds() {
        assert_eq!(step_at(0), 0);
        assert_eq!(step_at(29), 0);
        assert_eq!(step_at(30), 1);
        assert_eq!(step_at(59), 1);
        assert_eq!(step_at(-1), -1);
    }

    #[test]
    fn one_step_of_drift_is_accepted_two_are_not() {
        let secret = rfc_secret();
        let t = 1_234_567_890;
        let now = step_at(t);
        let code = code_at(&secret, t);
        assert_eq!(verify(&secret, &code, t - 30, None), Ok(now));
        assert_eq!(verify(&secret, &code, t + 30, None), Ok(now));
        assert_eq!(
            verify(&secret, &code, t - 60, None),
            Err(TotpError::Invalid)
        );
        assert_eq!(
            verify(&secret, &code, t + 60, None),
            Err(TotpError::Invalid)
        );
    }

    #[test]
    fn codes_are_single_use() {
        let secret = rfc_secret();
        let t = 2_000_000_000;
        let code = code_at(&secret, t);
        let step = verify(&secret, &code, t, None).unwrap();
        assert_eq!(
            verify(&secret, &code, t, Some(step)),
            Err(TotpError::Replayed)
        );
        assert_eq!(
            verify(&secret, &code, t + 20, Some(step)),
            Err(TotpError::Replayed)
        );
        // An older code after a newer one was used is refused too.
        let older = code_at(&secret, t - 30);
        assert_eq!(
            verify(&secret, &older, t, Some(step)),
            Err(TotpError::Replayed)
        );
        // The next step's code is fresh.
        let next = code_at(&secret, t + 30);
        assert_eq!(verify(&secret, &next, t + 30, Some(step)), Ok(step + 1));
    }

    #[test]
    fn typed_codes_are_normalised_and_checked_for_shape() {
        let secret = rfc_secret();
        let t = 59;
        assert_eq!(verify(&secret, " 287 082\n", t, None), Ok(1));
        for bad in [
            "",
            "28708",
            "2870822",
            "28708a",
            "２８７０８２",
            "+28708",
            "287-082",
        ] {
            assert_eq!(
                verify(&secret, bad, t, None),
                Err(TotpError::Malformed),
                "{bad:?}"
            );
        }
        let wrong = if code_at(&secret, t) == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_eq!(verify(&secret, wrong, t, None), Err(TotpError::Invalid));
    }

    #[test]
    fn times_before_the_epoch_do_not_panic() {
        let secret = rfc_secret();
        assert_eq!(code_at(&secret, -100).len(), 6);
        let code = code_at(&secret, 0);
        assert_eq!(verify(&secret, &code, -15, None), Ok(0));
        assert_eq!(
            verify(&secret, &code, i64::MIN, None),
            Err(TotpError::Invalid)
        );
        assert_eq!(code_at(&secret, i64::MAX).len(), 6);
    }

    #[test]
    fn base32_round_trips_and_rejects_bad_input() {
        let secret = rfc_secret();
        let text = secret.to_base32();
        assert_eq!(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32(&text), Ok(secret.clone()));
        assert_eq!(
            TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Ok(secret.clone())
        );
        for bad in [
            "",
            "GEZDGNBV",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE",
        ] {
            assert_eq!(
                TotpSecret::from_base32(bad),
                Err(TotpError::BadSecret),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let secret = rfc_secret();
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(
            !shown.contains("GEZD") && !shown.contains("49, 50"),
            "{shown}"
        );
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn otpauth_uri_is_encoded_and_imports() {
        let secret = rfc_secret();
        let uri = otpauth_uri(&secret, "Hotline Berlin", "alice@example.org");
        assert_eq!(
            uri,
            "otpauth://totp/Hotline%20Berlin:alice%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Hotline%20Berlin&algorithm=SHA1&digits=6&period=30"
        );
        let imported = Totp::from_url(&uri).unwrap();
        assert_eq!(imported.issuer(), Some("Hotline Berlin"));
        assert_eq!(imported.account_name(), "alice@example.org");
        assert_eq!(imported.generate(59).to_string(), code_at(&secret, 59));
        let tricky = otpauth_uri(&secret, "A:B&c=d", "x/y?z");
        assert!(
            tricky.starts_with("otpauth://totp/A%3AB%26c%3Dd:x%2Fy%3Fz?"),
            "{tricky}"
        );
    }

    #[test]
    fn qr_code_is_an_svg_of_at_least_200_pixels() {
        let uri = otpauth_uri(&rfc_secret(), "Hotline", "alice");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..60]);
        assert!(svg.contains("<svg"));
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap();
        assert!(width >= 200, "width {width}");
        assert_eq!(qr_svg(&"x".repeat(5000)), Err(QrError));
    }
}
