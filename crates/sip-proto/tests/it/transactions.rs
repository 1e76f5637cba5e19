//! Transaction-layer timers on the virtual clock: timer A/B (INVITE to a black hole → timeout),
//! timer E/F for non-INVITE, absorbed retransmissions, and reliable transports without
//! retransmission.

use sip_proto::transaction::{State, Timers};
use sip_proto::{
    Endpoint, Event, MAGIC_COOKIE, Message, Method, Request, Response, SipUri, Transport, Uri,
    parse,
};

use crate::sim::{Fate, Packet, Pair, drop_first};

fn request(method: Method, branch: &str, transport: Transport) -> Request {
    let mut req = Request::new(
        method.clone(),
        Uri::Sip(SipUri::new(Some("bob"), "192.0.2.2", None)),
    );
    req.headers.push(
        "Via",
        format!(
            "SIP/2.0/{} 192.0.2.1:5060;branch={MAGIC_COOKIE}{branch}",
            transport.as_str()
        ),
    );
    req.headers.push("From", "<sip:alice@192.0.2.1>;tag=a1");
    req.headers.push("To", "<sip:bob@192.0.2.2>");
    req.headers.push("Call-ID", format!("{branch}@test"));
    req.headers.push("CSeq", format!("1 {method}"));
    req
}

/// Sends into the void and records at which virtual times the endpoint transmitted.
fn black_hole(method: Method, transport: Transport) -> (Vec<u64>, Option<u64>) {
    let mut ep = Endpoint::new(Timers::default());
    let dest = "192.0.2.2:5060".parse().expect("address");
    let tx = ep.send_request(
        request(method, "void", transport.clone()),
        dest,
        transport,
        0,
    );
    let tx = tx.expect("accepted");
    let mut sent = Vec::new();
    let mut timeout = None;
    let mut now = 0;
    loop {
        while ep.poll_transmit().is_some() {
            sent.push(now);
        }
        while let Some(ev) = ep.poll_event() {
            if ev == (Event::Timeout { tx }) {
                timeout = Some(now);
            }
        }
        match ep.poll_timeout() {
            Some(t) => {
                now = t;
                ep.handle_timeout(now);
            }
            None => return (sent, timeout),
        }
    }
}

#[test]
fn invite_timer_a_doubles_and_timer_b_times_out_after_64_t1() {
    let (sent, timeout) = black_hole(Method::Invite, Transport::Udp);
    assert_eq!(sent, [0, 500, 1_500, 3_500, 7_500, 15_500, 31_500]);
    assert_eq!(timeout, Some(32_000));
}

#[test]
fn non_invite_timer_e_caps_at_t2_and_timer_f_times_out() {
    let (sent, timeout) = black_hole(Method::Options, Transport::Udp);
    assert_eq!(
        sent,
        [
            0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500
        ]
    );
    assert_eq!(timeout, Some(32_000));
}

#[test]
fn reliable_transport_sends_once_and_still_times_out() {
    let (sent, timeout) = black_hole(Method::Invite, Transport::Tcp);
    assert_eq!(sent, [0]);
    assert_eq!(timeout, Some(32_000));
}

#[test]
fn invite_timeout_surfaces_as_timeout_event_in_the_pair() {
    let mut p = Pair::new();
    p.filter = Box::new(|x: &Packet| {
        if x.is_request(&Method::Invite) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    p.uac.invite(0);
    p.run(40_000);
    assert_eq!(p.uac.timeouts.len(), 1, "timer B → the TU treats it as 408");
    assert_eq!(p.count_sent(|x| x.is_request(&Method::Invite)), 7);
}

#[test]
fn options_with_lost_responses_recovers_by_timer_e() {
    let mut p = Pair::new();
    p.filter = drop_first(2, |x| x.is_response(200, &Method::Options));
    let req = p.uac.request(Method::Options, "opt-1@test");
    p.uac.send(req, 0);
    p.run(10_000);
    assert_eq!(p.uac.count(200, &Method::Options), 1);
    assert_eq!(p.count_sent(|x| x.is_request(&Method::Options)), 3);
    assert_eq!(
        p.count_sent(|x| x.is_response(200, &Method::Options)),
        3,
        "the server transaction re-sends its final"
    );
    let allow = p
        .sent
        .iter()
        .rev()
        .find(|x| x.is_response(200, &Method::Options))
        .and_then(Packet::message);
    assert!(allow.is_some_and(|m| m.headers().allow().contains(&"INFO")));
}

#[test]
fn duplicated_requests_create_one_server_transaction() {
    let mut ep = Endpoint::new(Timers::default());
    let from = "192.0.2.1:5060".parse().expect("address");
    let bytes = request(Method::Invite, "dup", Transport::Udp).to_bytes();
    ep.handle_datagram(&bytes, from, 0);
    ep.handle_datagram(&bytes, from, 5);
    let requests = std::iter::from_fn(|| ep.poll_event())
        .filter(|e| matches!(e, Event::Request { .. }))
        .count();
    assert_eq!(requests, 1);
    let trying = std::iter::from_fn(|| ep.poll_transmit()).count();
    assert_eq!(
        trying, 2,
        "100 Trying, then re-sent for the retransmitted INVITE"
    );
}

#[test]
fn server_invite_transaction_goes_completed_confirmed_terminated() {
    let mut ep = Endpoint::new(Timers::default());
    let from = "192.0.2.1:5060".parse().expect("address");
    let invite = request(Method::Invite, "states", Transport::Udp);
    ep.handle_datagram(&invite.to_bytes(), from, 0);
    let Some(Event::Request { tx, request, .. }) = ep.poll_event() else {
        panic!("request event expected")
    };
    assert_eq!(ep.state(tx), Some(State::Proceeding));
    let busy = Response::to_request(&request, 486, Some("t1"));
    ep.respond(tx, busy.clone(), 0).expect("respond");
    assert_eq!(ep.state(tx), Some(State::Completed));
    let Ok(Message::Request(ack_src)) = parse(&invite.to_bytes()) else {
        panic!("reparse")
    };
    let ack = sip_proto::transaction::build_ack(&ack_src, &busy);
    ep.handle_datagram(&ack.to_bytes(), from, 100);
    assert_eq!(ep.state(tx), Some(State::Confirmed));
    ep.handle_timeout(100 + 5_000);
    assert_eq!(ep.state(tx), None, "timer I = T4 ends it");
}

#[test]
fn response_with_two_vias_is_discarded() {
    let mut ep = Endpoint::new(Timers::default());
    let dest = "192.0.2.2:5060".parse().expect("address");
    let req = request(Method::Options, "bcast", Transport::Udp);
    ep.send_request(req.clone(), dest, Transport::Udp, 0)
        .expect("send");
    let mut resp = Response::to_request(&req, 200, Some("x"));
    resp.headers
        .push("Via", "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23");
    ep.handle_datagram(&resp.to_bytes(), dest, 10);
    assert!(std::iter::from_fn(|| ep.poll_event()).all(|e| !matches!(e, Event::Response { .. })));
}

#[test]
fn garbage_is_dropped_and_counted() {
    let mut ep = Endpoint::new(Timers::default());
    let from = "192.0.2.9:5060".parse().expect("address");
    ep.handle_datagram(b"NOT SIP AT ALL\r\n\r\n", from, 0);
    ep.handle_datagram(b"\r\n\r\n", from, 0);
    assert_eq!(ep.dropped(), 1, "keep-alives are not counted");
    assert!(matches!(ep.poll_event(), Some(Event::Dropped { .. })));
}

#[test]
fn malformed_requests_get_400_and_foreign_versions_505() {
    let mut ep = Endpoint::new(Timers::default());
    let from = "192.0.2.9:5060".parse().expect("address");
    let good = request(Method::Options, "bad", Transport::Udp).to_bytes();
    let text = String::from_utf8(good).expect("utf-8");
    let mismatch = text.replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    let version = text.replace(
        "OPTIONS sip:bob@192.0.2.2 SIP/2.0",
        "OPTIONS sip:bob@192.0.2.2 SIP/7.0",
    );
    let ack = text
        .replace("OPTIONS", "ACK")
        .replace("CSeq: 1 ACK", "CSeq: 1 INVITE");
    for (input, expected) in [(mismatch, Some(400)), (version, Some(505)), (ack, None)] {
        ep.handle_datagram(input.as_bytes(), from, 0);
        let sent = ep.poll_transmit().map(|t| parse(&t.bytes));
        let status = match sent {
            Some(Ok(Message::Response(r))) => {
                assert_eq!(r.headers.call_id().ok(), Some("bad@test"));
                Some(r.status)
            }
            Some(other) => panic!("unexpected transmit {other:?}"),
            None => None,
        };
        assert_eq!(status, expected);
    }
    assert_eq!(ep.dropped(), 3);
}
