//! Table-driven checks of the message model: compact forms, case-insensitive names, lists over
//! lines and commas, stream framing and the response builder.

use sip_proto::{Message, Method, ParseError, Request, Response, parse, parse_stream};

fn wire(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

const INVITE: &str = "INVITE sip:demo-de@hotline.example SIP/2.0
v: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds;rport, SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx
Via: SIP/2.0/UDP 10.0.0.1;received=198.51.100.9;branch=z9hG4bKy
f: \"Anrufer\" <sip:+4930123@carrier.example>;tag=1928301774
t: <sip:demo-de@hotline.example>
i: a84b4c76e66710@pc33.example
CSeq: 314159 INVITE
max-forwards: 69
m: <sip:+4930123@198.51.100.1:5060>
k: replaces, timer
Allow: INVITE, ACK
allow: BYE,CANCEL
Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>
c: application/sdp
l: 4

abcd";

fn invite() -> Request {
    match parse(&wire(INVITE)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn typed_accessors_over_compact_and_mixed_case_names() {
    let r = invite();
    let h = &r.headers;
    let vias = h.vias().expect("vias");
    let summary: Vec<(String, Option<u16>)> =
        vias.iter().map(|v| (v.host.clone(), v.port)).collect();
    assert_eq!(
        summary,
        [
            ("198.51.100.1".into(), Some(5060)),
            ("[2001:db8::1]".into(), Some(5061)),
            ("10.0.0.1".into(), None)
        ]
    );
    assert_eq!(vias[0].rport(), Some(None));
    assert_eq!(vias[2].received(), Some("198.51.100.9"));
    assert_eq!(
        h.from().expect("from").display_name.as_deref(),
        Some("Anrufer")
    );
    assert_eq!(h.call_id().expect("call-id"), "a84b4c76e66710@pc33.example");
    assert_eq!(h.get("CALL-ID"), h.get("i"));
    assert_eq!(h.max_forwards().expect("mf"), Some(69));
    assert_eq!(h.supported(), ["replaces", "timer"]);
    assert_eq!(h.allow(), ["INVITE", "ACK", "BYE", "CANCEL"]);
    assert_eq!(h.record_routes().expect("rr").len(), 2);
    assert_eq!(h.content_length().expect("cl"), Some(4));
    assert_eq!(r.body, b"abcd");
}

#[test]
fn serialisation_uses_full_names_and_recomputes_content_length() {
    let mut r = invite();
    r.body = b"xy".to_vec();
    let text = String::from_utf8(r.to_bytes()).expect("utf-8");
    assert!(text.starts_with("INVITE sip:demo-de@hotline.example SIP/2.0\r\nVia: "));
    assert!(text.contains("\r\nCall-ID: a84b4c76e66710@pc33.example\r\n"));
    assert!(text.contains("\r\nContent-Length: 2\r\n\r\nxy"));
    assert!(!text.contains("\r\nl: "));
}

#[test]
fn response_builder_copies_dialog_headers_and_adds_a_tag() {
    let r = invite();
    let ok = Response::to_request(&r, 200, Some("uas-tag"));
    assert_eq!(ok.headers.count("Via"), 2, "both Via lines, in order");
    assert_eq!(ok.headers.list("Via").len(), 3);
    assert_eq!(ok.headers.to().expect("to").tag(), Some("uas-tag"));
    assert_eq!(
        ok.headers.get("Record-Route"),
        r.headers.get("Record-Route")
    );
    assert_eq!(ok.headers.cseq().expect("cseq").method, Method::Invite);
    let trying = Response::to_request(&r, 100, Some("uas-tag"));
    assert_eq!(
        trying.headers.to().expect("to").tag(),
        None,
        "100 Trying carries no tag"
    );
    assert_eq!(trying.headers.get("Record-Route"), None);
    assert_eq!(trying.reason, "Trying");
}

#[test]
fn stream_framing_by_content_length() {
    let one = wire(INVITE);
    let mut two = one.clone();
    two.extend_from_slice(&one);
    let (first, used) = parse_stream(&two).expect("ok").expect("complete");
    assert_eq!(used, one.len());
    assert!(matches!(first, Message::Request(_)));
    assert_eq!(
        parse_stream(&two[used..]).expect("ok").map(|(_, n)| n),
        Some(one.len())
    );
    for cut in [10, one.len() - 1] {
        assert_eq!(
            parse_stream(&one[..cut]),
            Ok(None),
            "needs more bytes at {cut}"
        );
    }
}

#[test]
fn datagram_without_content_length_takes_the_rest() {
    let text = INVITE.replace("l: 4\n", "");
    let Ok(Message::Request(r)) = parse(&wire(&text)) else {
        panic!("parse")
    };
    assert_eq!(r.body, b"abcd");
}

#[test]
fn malformed_inputs_are_errors() {
    let cases: &[(&str, &[u8], ParseError)] = &[
        (
            "no blank line",
            b"OPTIONS sip:a@b SIP/2.0\r\nVia: x",
            ParseError::Incomplete,
        ),
        (
            "header without colon",
            b"OPTIONS sip:a@b SIP/2.0\r\nVia\r\n\r\n",
            ParseError::BadHeaderLine,
        ),
        (
            "fold at start",
            b"OPTIONS sip:a@b SIP/2.0\r\n folded: x\r\n\r\n",
            ParseError::BadHeaderLine,
        ),
        (
            "status version",
            b"SIP/3.0 200 OK\r\n\r\n",
            ParseError::BadVersion,
        ),
    ];
    for (name, bytes, expected) in cases {
        assert_eq!(parse(bytes).as_ref().err(), Some(expected), "{name}");
    }
}
