//! Property tests: no input panics a parser, and generated messages survive serialise → parse.

use proptest::prelude::*;
use sip_proto::sdp::SessionDescription;
use sip_proto::{Message, Method, Request, Response, SipUri, Uri, parse, parse_stream};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,15}"
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Invite),
        Just(Method::Bye),
        Just(Method::Options),
        Just(Method::Info),
        Just(Method::Refer),
        "[A-Z]{3,10}".prop_map(|m| Method::parse(&m).unwrap_or(Method::Options)),
    ]
}

prop_compose! {
    fn request()(
        method in method(),
        user in "[a-z0-9]{1,10}",
        host in "[a-z]{1,10}\\.example\\.com",
        branch in token(),
        tag in token(),
        call_id in "[a-zA-Z0-9]{1,20}@[a-z]{1,8}",
        seq in 0u32..(1 << 31),
        display in "[ -~]{0,20}",
        extra in proptest::collection::vec(("X-[A-Za-z]{1,8}", "[ -~]{0,30}"), 0..5),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) -> Request {
        let mut r = Request::new(method.clone(), Uri::Sip(SipUri::new(Some(&user), &host, Some(5060))));
        r.headers.push("Via", format!("SIP/2.0/UDP {host}:5060;branch=z9hG4bK{branch}"));
        let display = display.replace('\\', "\\\\").replace('"', "\\\"");
        r.headers.push("From", format!("\"{display}\" <sip:{user}@{host}>;tag={tag}"));
        r.headers.push("To", format!("<sip:{user}@{host}>"));
        r.headers.push("Call-ID", call_id);
        r.headers.push("CSeq", format!("{seq} {method}"));
        r.headers.push("Max-Forwards", "70");
        for (n, v) in extra {
            r.headers.push(&n, v.trim().to_owned());
        }
        r.body = body;
        r
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&bytes);
        let _ = parse_stream(&bytes);
        let _ = SessionDescription::parse(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(req in request(), cut in 0usize..600, flip in any::<u8>(), at in 0usize..600) {
        let mut bytes = req.to_bytes();
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] ^= flip;
            bytes.truncate(cut.max(1).min(bytes.len()));
        }
        if let Ok(m) = parse(&bytes) {
            // Whatever parsed is valid enough for the typed accessors.
            let h = m.headers();
            prop_assert!(h.vias().is_ok() && h.from().is_ok() && h.to().is_ok() && h.cseq().is_ok());
        }
        let _ = parse_stream(&bytes);
    }

    #[test]
    fn requests_round_trip(req in request()) {
        let bytes = req.to_bytes();
        let parsed = parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
        let Message::Request(mut parsed) = parsed else { return Err(TestCaseError::fail("not a request")) };
        // Serialisation adds Content-Length; everything else must survive.
        parsed.headers.remove("Content-Length");
        prop_assert_eq!(parsed, req.clone());
        prop_assert_eq!(parse_stream(&bytes).ok().flatten().map(|(_, used)| used), Some(bytes.len()));
    }

    #[test]
    fn responses_round_trip(req in request(), status in 100u16..700, tag in token()) {
        let resp = Response::to_request(&req, status, Some(&tag));
        let parsed = parse(&resp.to_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Message::Response(mut parsed) = parsed else { return Err(TestCaseError::fail("not a response")) };
        parsed.headers.remove("Content-Length");
        prop_assert_eq!(&parsed, &resp);
        if status > 100 {
            prop_assert_eq!(parsed.headers.to().ok().and_then(|t| t.tag().map(str::to_owned)), Some(tag));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whole-stack robustness: a user agent fed mutated INVITEs, BYEs and CANCELs over a virtual
    /// clock never panics and always returns to a finite timeout.
    #[test]
    fn user_agent_survives_mutated_traffic(
        reqs in proptest::collection::vec((request(), any::<u16>(), any::<u8>()), 1..8),
        seed in any::<u64>(),
    ) {
        use sip_proto::dialog::LocalAddr;
        use sip_proto::transaction::Timers;
        use sip_proto::ua::{UaConfig, UserAgent};
        let local = LocalAddr { host: "192.0.2.2".into(), port: 5060, transport: sip_proto::Transport::Udp };
        let mut ua = UserAgent::new(UaConfig { local, timers: Timers::default(), seed });
        let from = "192.0.2.1:5060".parse().expect("address");
        let mut now = 0;
        for (req, at, flip) in reqs {
            let mut bytes = req.to_bytes();
            let i = usize::from(at) % bytes.len();
            bytes[i] ^= flip;
            ua.handle_datagram(&bytes, from, now);
            while let Some(ev) = ua.poll_event() {
                if let sip_proto::call::UaEvent::Incoming(inc) = ev {
                    let _ = ua.answer(inc.call, crate::sim::media(), now);
                }
            }
            while ua.poll_transmit().is_some() {}
            now += 100;
        }
        let mut steps = 0;
        while let Some(t) = ua.poll_timeout() {
            now = now.max(t);
            ua.handle_timeout(now);
            while ua.poll_transmit().is_some() {}
            while ua.poll_event().is_some() {}
            steps += 1;
            prop_assert!(steps < 10_000, "timers must run out");
        }
    }
}
