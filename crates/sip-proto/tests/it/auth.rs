//! MD5 against the RFC 1321 test suite and digest authentication against RFC 2617's worked
//! example, plus a REGISTER challenge/response round trip.

use sip_proto::auth::{AuthError, Credentials, authorize, challenge, verify};
use sip_proto::md5::hex_digest;
use sip_proto::{AuthHeader, Method, Request, Response, SipUri, Uri};

#[test]
fn md5_rfc1321_test_suite() {
    let cases = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        (
            "abcdefghijklmnopqrstuvwxyz",
            "c3fcd3d76192e4007dfb496cca67e13b",
        ),
        (
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "d174ab98d277d9f5a5611c2c9f419d9f",
        ),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(hex_digest(input.as_bytes()), expected, "{input:?}");
    }
}

fn mufasa() -> Credentials {
    Credentials {
        username: "Mufasa".into(),
        password: "Circle Of Life".into(),
    }
}

#[test]
fn rfc2617_worked_example() {
    let ch = AuthHeader::parse(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
    )
    .expect("challenge parses");
    let auth =
        authorize(&ch, &mufasa(), "GET", "/dir/index.html", "0a4f113b", 1).expect("authorize");
    assert_eq!(
        auth.param("response"),
        Some("6629fae49393a05397450978507c4ef1")
    );
    assert_eq!(auth.param("nc"), Some("00000001"));
    assert_eq!(
        auth.param("opaque"),
        Some("5ccc069c403ebaf9f0171e9517f40e41")
    );
    let reparsed = AuthHeader::parse(&auth.to_string()).expect("credentials reparse");
    verify(
        &reparsed,
        "GET",
        "testrealm@host.com",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        &mufasa(),
    )
    .expect("verifies");
}

#[test]
fn register_answering_a_401_and_the_server_verifying_it() {
    let mut register = Request::new(
        Method::Register,
        Uri::Sip(SipUri::new(None, "sip.example.net", None)),
    );
    for (n, v) in [
        ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1"),
        ("From", "<sip:hotline@sip.example.net>;tag=r1"),
        ("To", "<sip:hotline@sip.example.net>"),
        ("Call-ID", "reg@192.0.2.1"),
        ("CSeq", "1 REGISTER"),
    ] {
        register.headers.push(n, v);
    }
    let mut unauthorized = Response::to_request(&register, 401, Some("s1"));
    unauthorized.headers.push(
        "WWW-Authenticate",
        challenge("sip.example.net", "n0nce", None).to_string(),
    );
    let parsed = match sip_proto::parse(&unauthorized.to_bytes()) {
        Ok(sip_proto::Message::Response(r)) => r,
        other => panic!("401 reparse: {other:?}"),
    };
    let ch = parsed
        .headers
        .www_authenticate()
        .expect("valid")
        .expect("present");
    let creds = Credentials {
        username: "hotline".into(),
        password: "s3cret".into(),
    };
    let uri = register.uri.to_string();
    let auth = authorize(&ch, &creds, "REGISTER", &uri, "c0ffee", 1).expect("authorize");
    register.headers.set("CSeq", "2 REGISTER");
    register.headers.push("Authorization", auth.to_string());
    let incoming = register
        .headers
        .authorization()
        .expect("valid")
        .expect("present");
    verify(&incoming, "REGISTER", "sip.example.net", "n0nce", &creds).expect("accepted");
    let wrong = Credentials {
        password: "guess".into(),
        ..creds.clone()
    };
    assert_eq!(
        verify(&incoming, "REGISTER", "sip.example.net", "n0nce", &wrong),
        Err(AuthError::Mismatch)
    );
    assert_eq!(
        verify(&incoming, "REGISTER", "sip.example.net", "stale", &creds),
        Err(AuthError::Mismatch)
    );
    assert_eq!(
        verify(&incoming, "INVITE", "sip.example.net", "n0nce", &creds),
        Err(AuthError::Mismatch)
    );
}

#[test]
fn challenge_without_qop_uses_rfc2069_response() {
    let ch = AuthHeader::parse("Digest realm=\"r\", nonce=\"n\"").expect("parse");
    let auth = authorize(&ch, &mufasa(), "INVITE", "sip:bob@r", "unused", 1).expect("authorize");
    assert_eq!(auth.param("qop"), None);
    verify(&auth, "INVITE", "r", "n", &mufasa()).expect("verifies");
}

#[test]
fn unsupported_schemes_and_algorithms_are_refused() {
    let basic = AuthHeader::parse("Basic realm=\"r\"").expect("parse");
    assert_eq!(
        authorize(&basic, &mufasa(), "INVITE", "sip:x@r", "c", 1),
        Err(AuthError::NotDigest)
    );
    let sha =
        AuthHeader::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256").expect("parse");
    assert_eq!(
        authorize(&sha, &mufasa(), "INVITE", "sip:x@r", "c", 1),
        Err(AuthError::Unsupported)
    );
}

#[test]
fn credentials_debug_hides_the_password() {
    assert!(!format!("{:?}", mufasa()).contains("Circle"));
}
