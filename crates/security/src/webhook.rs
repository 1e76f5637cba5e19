//! Signatures of providers' webhooks, checked before anything in a request is believed.
//!
//! - **Twilio** (`X-Twilio-Signature`): Base64 of HMAC-SHA1, keyed with the account's auth
//!   token, over the full URL the provider called followed by every form parameter's name and
//!   value, sorted by name (and by value for repeated names). Proxies and load balancers add
//!   or drop the port, so the URL is also tried without its port and with the scheme's default
//!   port, as Twilio's own libraries do. A JSON webhook signs the URL alone and carries the
//!   body's SHA-256 (hex) as the URL's `bodySHA256` parameter.
//! - **Meta** (WhatsApp Cloud API, `X-Hub-Signature-256`): `sha256=` and the hex HMAC-SHA256
//!   of the raw body, keyed with the app secret.
//!
//! Every comparison is constant-time.

use aws_lc_rs::{digest, hmac};
use data_encoding::{BASE64, HEXLOWER};

use crate::token::ct_eq;

/// The Twilio signature of a form request to `url` with `params`.
pub fn twilio_signature(auth_token: &[u8], url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(url.as_bytes());
    for (name, value) in sorted {
        ctx.update(name.as_bytes());
        ctx.update(value.as_bytes());
    }
    BASE64.encode(ctx.sign().as_ref())
}

/// Whether `signature` is Twilio's signature of a form request to `url` with `params`: for
/// the URL as given, without its port, or with the scheme's default port.
pub fn verify_twilio(
    auth_token: &[u8],
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    url_variants(url)
        .iter()
        .any(|u| ct_eq(&twilio_signature(auth_token, u, params), signature.trim()))
}

/// Whether `signature` is Twilio's signature of a JSON request to `url` with `body`: the URL
/// signs alone, and its `bodySHA256` parameter must be the body's hash.
pub fn verify_twilio_json(auth_token: &[u8], url: &str, body: &[u8], signature: &str) -> bool {
    let Some(claimed) = query_param(url, "bodySHA256") else {
        return false;
    };
    let actual = HEXLOWER.encode(digest::digest(&digest::SHA256, body).as_ref());
    ct_eq(&claimed.to_ascii_lowercase(), &actual) && verify_twilio(auth_token, url, &[], signature)
}

/// The `X-Hub-Signature-256` value of `body` under `app_secret`: `sha256=` and hex.
pub fn hub_signature(app_secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret);
    format!(
        "sha256={}",
        HEXLOWER.encode(hmac::sign(&key, body).as_ref())
    )
}

/// Whether `header` is the `X-Hub-Signature-256` of `body` under `app_secret`.
pub fn verify_hub_signature(app_secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(mac) = HEXLOWER_PERMISSIVE.decode(hex.as_bytes()) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret);
    hmac::verify(&key, body, &mac).is_ok()
}

/// Hex in either case.
const HEXLOWER_PERMISSIVE: data_encoding::Encoding = data_encoding::HEXLOWER_PERMISSIVE;

/// The URL as given, without its port, and with its scheme's default port.
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    // An IPv6 literal keeps its brackets; a port follows the last `]` or the only `:`.
    let (host, port) = match hostport.rfind(':') {
        Some(i) if !hostport[i..].contains(']') => (&hostport[..i], Some(&hostport[i + 1..])),
        _ => (hostport, None),
    };
    match port {
        Some(_) => out.push(format!("{scheme}://{userinfo}{host}{tail}")),
        None => out.push(format!("{scheme}://{userinfo}{host}:{default_port}{tail}")),
    }
    out
}

/// A query parameter's value (as written: webhook URLs carry plain values here).
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors Twilio publishes with its helper libraries (twilio-python
    // `tests/unit/test_request_validator.py`): auth token "12345", this URL and these
    // parameters.
    const TOKEN: &[u8] = b"12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[test]
    fn twilios_published_signature() {
        assert_eq!(
            twilio_signature(TOKEN, URL, &params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify_twilio(
            TOKEN,
            URL,
            &params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn repeated_parameters_sort_by_value() {
        let params: Vec<(String, String)> = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            twilio_signature(TOKEN, URL, &params),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn the_port_may_be_added_or_dropped_on_the_way() {
        // Signed without the port, received with one.
        let with_port = URL.replace(".com", ".com:1234");
        assert!(verify_twilio(
            TOKEN,
            &with_port,
            &params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        // Signed with the port, received with it (plain HTTP).
        let http_port = with_port.replace("https", "http");
        assert!(verify_twilio(
            TOKEN,
            &http_port,
            &params(),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        ));
        // Signed with the default port, received without it.
        assert!(verify_twilio(
            TOKEN,
            URL,
            &params(),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ));
        assert!(verify_twilio(
            TOKEN,
            &URL.replace("https", "http"),
            &params(),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ));
    }

    #[test]
    fn anything_changed_fails() {
        let good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        assert!(!verify_twilio(b"12346", URL, &params(), good));
        assert!(!verify_twilio(
            TOKEN,
            &URL.replace("foo=1", "foo=2"),
            &params(),
            good
        ));
        let mut changed = params();
        changed[1].1 = "1235".to_owned();
        assert!(!verify_twilio(TOKEN, URL, &changed, good));
        let mut extra = params();
        extra.push(("Body".to_owned(), String::new()));
        assert!(!verify_twilio(TOKEN, URL, &extra, good));
        assert!(!verify_twilio(TOKEN, URL, &params(), ""));
        assert!(!verify_twilio(TOKEN, URL, &params(), "not base64 at all"));
    }

    #[test]
    fn a_json_webhook_signs_the_url_and_the_body_hash() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let url = format!(
            "{URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        assert!(verify_twilio_json(
            TOKEN,
            &url,
            body,
            "a9nBmqA0ju/hNViExpshrM61xv4="
        ));
        // Another body under the same URL and signature: refused.
        assert!(!verify_twilio_json(
            TOKEN,
            &url,
            b"{}",
            "a9nBmqA0ju/hNViExpshrM61xv4="
        ));
        assert!(!verify_twilio_json(
            TOKEN,
            URL,
            body,
            "a9nBmqA0ju/hNViExpshrM61xv4="
        ));
    }

    #[test]
    fn hub_signatures() {
        // HMAC-SHA256 of "hello" under "secret" (RFC 2104 construction, checked with
        // `printf hello | openssl dgst -sha256 -hmac secret`).
        let sig = hub_signature(b"secret", b"hello");
        assert_eq!(
            sig,
            "sha256=88aab3ede8d3adf94d26ab90d3bafd4a2083070c3bcce9c014ee04a443847c0b"
        );
        assert!(verify_hub_signature(b"secret", b"hello", &sig));
        assert!(verify_hub_signature(
            b"secret",
            b"hello",
            &sig.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!verify_hub_signature(b"secret", b"hello!", &sig));
        assert!(!verify_hub_signature(b"other", b"hello", &sig));
        assert!(!verify_hub_signature(b"secret", b"hello", &sig[7..]));
        assert!(!verify_hub_signature(b"secret", b"hello", "sha256=zz"));
        assert!(!verify_hub_signature(b"secret", b"hello", ""));
    }

    #[test]
    fn url_variants_keep_the_path_and_query() {
        assert_eq!(
            url_variants("https://h.example:8443/a?b=1"),
            vec!["https://h.example:8443/a?b=1", "https://h.example/a?b=1"]
        );
        assert_eq!(
            url_variants("http://[::1]/hook"),
            vec!["http://[::1]/hook", "http://[::1]:80/hook"]
        );
        assert_eq!(
            url_variants("http://[::1]:9000/hook"),
            vec!["http://[::1]:9000/hook", "http://[::1]/hook"]
        );
    }
}
