//! RFC 4475 §3.1.2 invalid messages (each must be rejected) and §3.3/§3.4 messages that must parse
//! so that the application layer can answer them (416, 420, 415, 483, …).

use sip_proto::{Message, ParseError, Uri, parse};

fn wire(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

/// A well-formed OPTIONS whose lines a case replaces.
const BASE: &str = "OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
To: <sip:user@example.com>
From: <sip:caller@example.net>;tag=323
Call-ID: base.12345@example.net
CSeq: 8 OPTIONS
Max-Forwards: 70
Content-Length: 0

";

/// `BASE` with the line starting `prefix` replaced by `line` (or added when absent).
fn with(prefix: &str, line: &str) -> String {
    let mut lines: Vec<String> = BASE.lines().map(str::to_owned).collect();
    match lines.iter().position(|l| l.starts_with(prefix)) {
        Some(i) => lines[i] = line.to_owned(),
        None => lines.insert(1, line.to_owned()),
    }
    lines.join("\n") + "\n"
}

fn check_rejected(name: &str, msg: &str, expect: impl Fn(&ParseError) -> bool) {
    match parse(&wire(msg)) {
        Err(e) => assert!(expect(&e), "{name}: unexpected error {e:?}"),
        Ok(m) => panic!("{name}: must be rejected, parsed {m:?}"),
    }
}

#[test]
fn invalid_start_lines() {
    let cases: &[(&str, String)] = &[
        (
            "ltgtruri",
            with("OPTIONS", "INVITE <sip:user@example.com> SIP/2.0"),
        ),
        (
            "lwsruri",
            with("OPTIONS", "OPTIONS sip:user@example.com; lr SIP/2.0"),
        ),
        (
            "lwsstart",
            with("OPTIONS", "OPTIONS  sip:user@example.com  SIP/2.0"),
        ),
        (
            "trws",
            with("OPTIONS", "OPTIONS sip:user@example.com SIP/2.0   "),
        ),
        (
            "escruri",
            with(
                "OPTIONS",
                "OPTIONS sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
            ),
        ),
    ];
    for (name, msg) in cases {
        check_rejected(name, msg, |e| matches!(e, ParseError::BadStartLine(_)));
    }
}

#[test]
fn badvers_unknown_protocol_version() {
    let msg = with("OPTIONS", "OPTIONS sip:t.watson@example.org SIP/7.0");
    let msg = msg.replace("SIP/2.0/UDP", "SIP/7.0/UDP");
    check_rejected("badvers", &msg, |e| *e == ParseError::BadVersion);
}

#[test]
fn bigcode_overlarge_response_code() {
    let msg = BASE.replace(
        "OPTIONS sip:user@example.com SIP/2.0",
        "SIP/2.0 4294967301 better not break the receiver",
    );
    check_rejected("bigcode", &msg, |e| {
        matches!(e, ParseError::BadStartLine(_))
    });
}

#[test]
fn mismatch_start_line_and_cseq_method() {
    check_rejected("mismatch01", &with("CSeq", "CSeq: 8 INVITE"), |e| {
        *e == ParseError::CSeqMismatch
    });
    let m2 = with("OPTIONS", "NEWMETHOD sip:user@example.com SIP/2.0");
    check_rejected("mismatch02", &m2, |e| *e == ParseError::CSeqMismatch);
}

#[test]
fn invalid_header_values() {
    let invalid = |e: &ParseError| matches!(e, ParseError::InvalidHeader { .. });
    let cases: &[(&str, String)] = &[
        (
            "badinv01 via",
            with("Via", "Via: SIP/2.0/UDP 192.0.2.15;;,;,,"),
        ),
        (
            "badinv01 contact",
            with("Contact", "Contact: \"Joe\" <sip:joe@example.org>;;;;"),
        ),
        (
            "scalar02 negative length",
            with("Content-Length", "Content-Length: -999"),
        ),
        (
            "scalarlg cseq",
            with("CSeq", "CSeq: 36893488147419103232 OPTIONS"),
        ),
        (
            "scalarlg max-forwards",
            with("Max-Forwards", "Max-Forwards: 300"),
        ),
        (
            "scalarlg expires",
            with(
                "Expires",
                "Expires: 1000000000000000000000000000000000000000",
            ),
        ),
        (
            "quotbal",
            with("To", "To: \"Mr. J. User <sip:j.user@example.com>"),
        ),
        (
            "baddate",
            with("Date", "Date: Fri, 01 Jan 2010 16:00:00 EST"),
        ),
        (
            "regbadct",
            with(
                "Contact",
                "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            ),
        ),
        (
            "badaspec",
            with("To", "To: \"Watson, Thomas\" < sip:t.watson@example.org >"),
        ),
        (
            "baddn from",
            with(
                "From",
                "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            ),
        ),
        (
            "baddn to",
            with("To", "To:      Watson, Thomas <sip:t.watson@example.org>"),
        ),
    ];
    for (name, msg) in cases {
        check_rejected(name, msg, invalid);
    }
}

#[test]
fn scalar1b_response_with_overlarge_scalars() {
    let msg = "SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=2easdjfejw
CSeq: 9292394834772304023312 OPTIONS
Call-ID: scalar1b.0ha0isnda977644900765@192.0.2.129
Retry-After: 949302838503028349304023988
Warning: 1812 overture \"In Progress\"
Content-Length: 0

";
    check_rejected("scalar1b", msg, |e| {
        matches!(e, ParseError::InvalidHeader { .. })
    });
}

#[test]
fn clerr_content_length_larger_than_message() {
    let msg = with("Content-Length", "Content-Length: 9999").replace("\n\n", "\n\nv=0\n");
    check_rejected("clerr", &msg, |e| *e == ParseError::BodyTruncated);
}

#[test]
fn multi01_and_mcl01_single_value_headers_repeated() {
    for (name, line) in [
        ("multi01 to", "To: sip:other@example.net"),
        ("multi01 call-id", "Call-ID: multi01.98asdh@192.0.2.2"),
        ("multi01 cseq", "CSeq: 59 OPTIONS"),
        ("mcl01", "Content-Length: 3"),
    ] {
        let msg = BASE.replacen('\n', &format!("\n{line}\n"), 1);
        check_rejected(name, &msg, |e| matches!(e, ParseError::DuplicateHeader(_)));
    }
}

#[test]
fn insuf_missing_required_headers() {
    for prefix in ["Via", "To", "From", "Call-ID", "CSeq"] {
        let msg: String = BASE
            .lines()
            .filter(|l| !l.starts_with(prefix))
            .map(|l| format!("{l}\n"))
            .collect();
        check_rejected(prefix, &msg, |e| matches!(e, ParseError::MissingHeader(_)));
    }
}

fn parses(msg: &str) -> Message {
    match parse(&wire(msg)) {
        Ok(m) => m,
        Err(e) => panic!("must parse: {e}\n{msg}"),
    }
}

#[test]
fn application_layer_cases_parse() {
    // unkscm, novelsc: unknown Request-URI schemes parse (the UAS answers 416).
    let m = parses(&with(
        "OPTIONS",
        "OPTIONS nobodyknowsthisscheme:totallyopaquecontent SIP/2.0",
    ));
    let Message::Request(r) = m else {
        panic!("request expected")
    };
    assert!(matches!(r.uri, Uri::Other { .. }));
    parses(&with(
        "OPTIONS",
        "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0",
    ));
    // unksm2: unknown schemes in To and From.
    parses(&with("To", "To: isbn:2983792873").replace(
        "From: <sip:caller@example.net>",
        "From: <http://www.example.com>",
    ));
    // bext01: Require with an unknown extension parses (the UAS answers 420).
    let m = parses(&with(
        "Require",
        "Require: nothingSupportsThis, nothingSupportsThisEither",
    ));
    assert_eq!(m.headers().require().len(), 2);
    // invut: unknown Content-Type parses (415 at the application).
    parses(&with(
        "Content-Type",
        "Content-Type: application/unknownformat",
    ));
    // regaut01: unknown authorization scheme.
    let m = parses(&with(
        "Authorization",
        "Authorization: NoOneKnowsThisScheme opaque-data=here",
    ));
    assert_eq!(
        m.headers().authorization().unwrap().unwrap().scheme,
        "NoOneKnowsThisScheme"
    );
    // zeromf: Max-Forwards of zero parses (483 at the application).
    let m = parses(&with("Max-Forwards", "Max-Forwards: 0"));
    assert_eq!(m.headers().max_forwards().unwrap(), Some(0));
    // cparam01/cparam02: Contact params inside and outside the brackets.
    let m = parses(&with(
        "Contact",
        "Contact: sip:+19725552222@gw1.example.net;unknownparam",
    ));
    let c = &m.headers().contacts().unwrap().unwrap()[0];
    assert!(c.params.contains("unknownparam"));
    let m = parses(&with(
        "Contact",
        "Contact: <sip:+19725552222@gw1.example.net;unknownparam>",
    ));
    let c = &m.headers().contacts().unwrap().unwrap()[0];
    assert!(c.uri.as_sip().unwrap().params.contains("unknownparam"));
    // regescrt: escaped headers inside a bracketed Contact are legal.
    parses(&with(
        "Contact",
        "Contact: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>",
    ));
    // sdp01: unacceptable Accept parses.
    parses(&with("Accept", "Accept: text/nobodyknowsthis"));
}

#[test]
fn bcast_response_with_two_vias_parses() {
    let m = parses(
        "SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23
Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 0

",
    );
    assert_eq!(m.headers().vias().unwrap().len(), 2);
}

#[test]
fn inv2543_rfc2543_syntax_parses() {
    let m = parses(
        "INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.15
From: <sip:UserA@example.com>
To: <sip:UserB@example.com>
Call-ID: 119382340@192.0.2.15
CSeq: 1 INVITE
Content-Length: 0

",
    );
    let h = m.headers();
    assert_eq!(h.top_via().unwrap().branch(), None);
    assert_eq!(h.from().unwrap().tag(), None);
    assert_eq!(h.max_forwards().unwrap(), None);
}

#[test]
fn limits_are_refused_as_too_large() {
    let huge = vec![b'a'; sip_proto::MAX_MESSAGE + 1];
    assert_eq!(parse(&huge), Err(ParseError::TooLarge("message")));
    let long_line = with(
        "Subject",
        &format!("Subject: {}", "x".repeat(sip_proto::MAX_LINE)),
    );
    assert_eq!(parse(&wire(&long_line)), Err(ParseError::TooLarge("line")));
    let many: String = (0..sip_proto::MAX_HEADERS)
        .map(|i| format!("X-H{i}: v\n"))
        .collect();
    let msg = BASE.replacen('\n', &format!("\n{many}"), 1);
    assert_eq!(
        parse(&wire(&msg)),
        Err(ParseError::TooLarge("header count"))
    );
    assert_eq!(parse(b"\r\n\r\n"), Err(ParseError::Empty));
}
