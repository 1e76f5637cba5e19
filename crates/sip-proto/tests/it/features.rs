//! In-call features and UAS answers: DTMF by INFO, REFER, re-INVITE hold and resume, OPTIONS,
//! unknown methods, and the error statuses for offers and requests we cannot serve.

use sip_proto::Method;
use sip_proto::call::{CallId, UaEvent};
use sip_proto::sdp::Direction;

use crate::sim::{OFFER, Pair, media};

fn confirmed() -> (Pair, CallId) {
    let mut p = Pair::new();
    p.uac.invite(0);
    assert!(p.run_until(5_000, |p| p.incoming().is_some()));
    let call = p.incoming().expect("incoming");
    let now = p.now;
    p.uas.answer(call, media(), now).expect("answer");
    p.run(1_000);
    assert!(p.has_event(|e| matches!(e, UaEvent::Established { .. })));
    (p, call)
}

#[test]
fn info_dtmf_relay_becomes_a_dtmf_event() {
    let (mut p, call) = confirmed();
    let now = p.now;
    p.uac.in_dialog(
        Method::Info,
        Some(("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")),
        now,
    );
    p.run(1_000);
    let now = p.now;
    p.uac
        .in_dialog(Method::Info, Some(("application/dtmf", "#")), now);
    p.run(1_000);
    assert!(p.has_event(|e| *e
        == UaEvent::Dtmf {
            call,
            digit: '5',
            duration_ms: Some(160)
        }));
    assert!(p.has_event(|e| *e
        == UaEvent::Dtmf {
            call,
            digit: '#',
            duration_ms: None
        }));
    assert_eq!(p.uac.count(200, &Method::Info), 2);
    let now = p.now;
    p.uac
        .in_dialog(Method::Info, Some(("application/x-unknown", "?")), now);
    p.run(1_000);
    assert_eq!(p.uac.count(415, &Method::Info), 1);
}

#[test]
fn refer_is_accepted_and_surfaced() {
    let (mut p, call) = confirmed();
    let now = p.now;
    let branch = p.uac.branch();
    let local = p.uac.local.clone();
    let mut refer = p
        .uac
        .dialog
        .as_mut()
        .expect("dialog")
        .request(Method::Refer, &local, &branch);
    refer.headers.push("Refer-To", "<sip:agent@192.0.2.50>");
    p.uac.send(refer, now);
    p.run(1_000);
    assert_eq!(p.uac.count(202, &Method::Refer), 1);
    assert!(p.has_event(|e| *e
        == UaEvent::Transfer {
            call,
            refer_to: "<sip:agent@192.0.2.50>".into()
        }));
}

#[test]
fn reinvite_puts_the_call_on_hold_and_back() {
    let (mut p, call) = confirmed();
    let hold = OFFER.replace("a=ptime:20\r\n", "a=ptime:20\r\na=sendonly\r\n");
    let now = p.now;
    p.uac
        .in_dialog(Method::Invite, Some(("application/sdp", &hold)), now);
    p.run(2_000);
    let updates: Vec<_> = p
        .uas_events
        .iter()
        .filter_map(|e| match e {
            UaEvent::MediaUpdate { call: c, answer } if *c == call => Some(answer.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].direction, Direction::RecvOnly);
    assert!(updates[0].on_hold());
    assert_eq!(
        updates[0].sdp.origin.session_version, 2,
        "a new SDP version for the new answer"
    );
    let now = p.now;
    p.uac
        .in_dialog(Method::Invite, Some(("application/sdp", OFFER)), now);
    p.run(2_000);
    assert!(p.has_event(|e| matches!(e, UaEvent::MediaUpdate { answer, .. } if answer.direction == Direction::SendRecv)));
    assert_eq!(p.uac.count(200, &Method::Invite), 3);
    assert_eq!(p.uac.acks_sent, 3);
}

#[test]
fn options_and_unknown_methods() {
    let (mut p, _call) = confirmed();
    let now = p.now;
    p.uac.in_dialog(Method::Options, None, now);
    p.uac
        .in_dialog(Method::Other("FROBNICATE".into()), None, now);
    let out_of_dialog = p
        .uac
        .request(Method::Other("PUBLISHX".into()), "other@test");
    p.uac.send(out_of_dialog, now);
    let register = p.uac.request(Method::Register, "reg@test");
    p.uac.send(register, now);
    p.run(1_000);
    assert_eq!(p.uac.count(200, &Method::Options), 1);
    assert_eq!(p.uac.count(501, &Method::Other("FROBNICATE".into())), 1);
    assert_eq!(p.uac.count(501, &Method::Other("PUBLISHX".into())), 1);
    // REGISTER is for the shell to answer as a registrar, or not at all.
    assert_eq!(p.uac.count(405, &Method::Register), 0);
    assert!(p.has_event(|e| matches!(e, UaEvent::Register(r) if r.contacts.is_some())));
}

#[test]
fn bye_for_an_unknown_dialog_gets_481() {
    let mut p = Pair::new();
    let mut bye = p.uac.request(Method::Bye, "nobody@test");
    bye.headers.set("To", "<sip:demo-de@192.0.2.2>;tag=nope");
    p.uac.send(bye, 0);
    p.run(1_000);
    assert_eq!(p.uac.count(481, &Method::Bye), 1);
}

#[test]
fn offer_without_common_codec_gets_488() {
    let mut p = Pair::new();
    let mut invite = p.uac.request(Method::Invite, "g729@test");
    invite.headers.push("Content-Type", "application/sdp");
    invite.body = OFFER
        .replace("RTP/AVP 8 0 101", "RTP/AVP 18 101")
        .into_bytes();
    p.uac.invite = Some(invite.clone());
    p.uac.send(invite, 0);
    assert!(p.run_until(1_000, |p| p.incoming().is_some()));
    let call = p.incoming().expect("incoming");
    let now = p.now;
    assert!(p.uas.answer(call, media(), now).is_err());
    p.run(1_000);
    assert_eq!(p.uac.count(488, &Method::Invite), 1);
    assert_eq!(p.uas.call_state(call), None);
}

#[test]
fn invites_the_application_layer_refuses() {
    let mut p = Pair::new();
    let mut require = p.uac.request(Method::Invite, "bext01@test");
    require.headers.push("Require", "nothingSupportsThis");
    let mut wrong_type = p.uac.request(Method::Invite, "invut@test");
    wrong_type
        .headers
        .push("Content-Type", "application/unknownformat");
    wrong_type.body = b"<xml/>".to_vec();
    let mut tel = p.uac.request(Method::Invite, "unkscm@test");
    tel.uri = sip_proto::Uri::parse("tel:+4930123456").expect("uri");
    for r in [require, wrong_type, tel] {
        p.uac.send(r, 0);
    }
    p.run(1_000);
    assert_eq!(p.uac.count(420, &Method::Invite), 1);
    assert_eq!(p.uac.count(415, &Method::Invite), 1);
    assert_eq!(p.uac.count(416, &Method::Invite), 1);
    assert!(p.incoming().is_none());
}

#[test]
fn lower_cseq_in_dialog_gets_500() {
    let (mut p, _call) = confirmed();
    let now = p.now;
    let branch = p.uac.branch();
    let local = p.uac.local.clone();
    let dialog = p.uac.dialog.as_ref().expect("dialog");
    let stale = dialog.request_with_cseq(Method::Info, 1, &local, &branch);
    p.uac.send(stale, now);
    p.run(1_000);
    assert_eq!(p.uac.count(500, &Method::Info), 1);
}

#[test]
fn invite_digest_challenge_and_verified_retry() {
    use sip_proto::auth::{Credentials, authorize, verify};
    let creds = Credentials {
        username: "trunk".into(),
        password: "pw".into(),
    };
    let mut p = Pair::new();
    p.uac.invite(0);
    assert!(p.run_until(1_000, |p| p.incoming().is_some()));
    let first = p.incoming().expect("incoming");
    let now = p.now;
    p.uas
        .challenge(first, "hotline", "nonce-1", now)
        .expect("challenge");
    p.run(1_000);
    assert_eq!(p.uac.count(401, &Method::Invite), 1);
    assert_eq!(p.count_sent(|x| x.is_request(&Method::Ack)), 1);
    let challenge = p
        .sent
        .iter()
        .find(|x| x.is_response(401, &Method::Invite))
        .and_then(|x| x.message())
        .and_then(|m| m.headers().www_authenticate().ok().flatten())
        .expect("WWW-Authenticate");
    let mut retry = p.uac.invite.clone().expect("invite");
    let branch = p.uac.branch();
    retry
        .headers
        .set("Via", p.uac.local.via(&branch).to_string());
    retry.headers.set("CSeq", "2 INVITE");
    let uri = retry.uri.to_string();
    let auth = authorize(&challenge, &creds, "INVITE", &uri, "cn", 1).expect("authorize");
    retry.headers.push("Authorization", auth.to_string());
    p.uac.invite = Some(retry.clone());
    let now = p.now;
    p.uac.send(retry, now);
    let second = |p: &Pair| {
        p.uas_events.iter().find_map(|e| match e {
            UaEvent::Incoming(i) if i.authorization.is_some() => Some(i.clone()),
            _ => None,
        })
    };
    assert!(p.run_until(1_000, |p| second(p).is_some()));
    let incoming = second(&p).expect("retry");
    let given = incoming.authorization.as_ref().expect("credentials");
    verify(given, "INVITE", "hotline", "nonce-1", &creds).expect("verified");
    let now = p.now;
    p.uas.answer(incoming.call, media(), now).expect("answer");
    p.run(1_000);
    assert!(p.has_event(|e| matches!(e, UaEvent::Established { .. })));
}

#[test]
fn incoming_call_debug_hides_numbers_and_addresses() {
    let mut p = Pair::new();
    p.uac.invite(0);
    assert!(p.run_until(1_000, |p| p.incoming().is_some()));
    let shown = format!("{:?}", p.uas_events);
    assert!(
        !shown.contains("demo-de") && !shown.contains("192.0.2.1") && !shown.contains("caller"),
        "{shown}"
    );
}

#[test]
fn our_refer_is_accepted_then_we_may_hang_up() {
    let (mut p, call) = confirmed();
    let now = p.now;
    p.uas
        .refer(call, "sip:agent@192.0.2.50", now)
        .expect("refer");
    assert!(
        p.uas.refer(call, "sip:other@192.0.2.50", now).is_err(),
        "one transfer at a time"
    );
    p.run(1_000);
    assert_eq!(
        p.uac
            .requests
            .iter()
            .filter(|m| **m == Method::Refer)
            .count(),
        1
    );
    let refer = p
        .sent
        .iter()
        .filter_map(|pk| pk.message())
        .find_map(|m| match m {
            sip_proto::Message::Request(r) if r.method == Method::Refer => Some(r),
            _ => None,
        })
        .expect("REFER on the wire");
    assert_eq!(
        refer.headers.get("Refer-To"),
        Some("<sip:agent@192.0.2.50>")
    );
    assert!(p.has_event(|e| *e == UaEvent::TransferAccepted { call }));
    let now = p.now;
    p.uas.hangup(call, now).expect("hangup after transfer");
    p.run(2_000);
    assert!(p.has_event(|e| matches!(e, UaEvent::Hangup { call: c, .. } if *c == call)));
}

#[test]
fn an_unanswered_refer_fails_and_the_call_stays() {
    let (mut p, call) = confirmed();
    p.filter = crate::sim::drop_first(usize::MAX, |pk| pk.is_request(&Method::Refer));
    let now = p.now;
    p.uas
        .refer(call, "sip:agent@192.0.2.50", now)
        .expect("refer");
    p.run(40_000);
    assert!(p.has_event(|e| *e == UaEvent::TransferFailed { call, status: 408 }));
    assert_eq!(
        p.uas.call_state(call),
        Some(sip_proto::call::CallState::Confirmed)
    );
}

#[test]
fn a_call_over_tls_names_the_tls_listener_in_contact_and_via() {
    use sip_proto::Transport;
    use sip_proto::dialog::LocalAddr;
    use sip_proto::transaction::Timers;
    use sip_proto::ua::{UaConfig, UserAgent};

    let mut ua = UserAgent::new(UaConfig {
        local: LocalAddr {
            host: "192.0.2.2".into(),
            port: 5060,
            transport: Transport::Udp,
        },
        timers: Timers::default(),
        seed: 1,
    });
    ua.set_tls_port(5061);
    let invite = format!(
        "INVITE sip:demo@192.0.2.2:5061;transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS 192.0.2.1:40000;branch=z9hG4bK-tls-1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:caller@192.0.2.1>;tag=a1\r\n\
         To: <sip:demo@192.0.2.2>\r\n\
         Call-ID: tls-call@192.0.2.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:caller@192.0.2.1:40000;transport=tls>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{OFFER}",
        OFFER.len()
    );
    let source: std::net::SocketAddr = "192.0.2.1:40000".parse().unwrap();
    let msg = sip_proto::parse(invite.as_bytes()).unwrap();
    ua.handle_message(msg, source, Transport::Tls, 0);
    let call = std::iter::from_fn(|| ua.poll_event())
        .find_map(|e| match e {
            UaEvent::Incoming(c) => Some(c.call),
            _ => None,
        })
        .expect("the call arrives");
    ua.ring(call, 1).unwrap();
    ua.answer(call, media(), 2).unwrap();
    let sent: Vec<_> = std::iter::from_fn(|| ua.poll_transmit()).collect();
    let text: Vec<String> = sent
        .iter()
        .map(|t| String::from_utf8_lossy(&t.bytes).into_owned())
        .collect();
    for status in ["180", "200"] {
        let response = text
            .iter()
            .find(|t| t.starts_with(&format!("SIP/2.0 {status}")))
            .unwrap_or_else(|| panic!("no {status} in {text:?}"));
        assert!(
            response.contains("Contact: <sip:192.0.2.2:5061;transport=tls>"),
            "{response}"
        );
    }
    assert!(
        sent.iter()
            .all(|t| t.transport == Transport::Tls && t.to == source),
        "everything goes back over the caller's TLS connection"
    );
    // Our BYE travels over TLS with a TLS Via.
    let ack = format!(
        "ACK sip:192.0.2.2:5061;transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS 192.0.2.1:40000;branch=z9hG4bK-tls-2\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:caller@192.0.2.1>;tag=a1\r\n\
         To: <sip:demo@192.0.2.2>;tag={}\r\n\
         Call-ID: tls-call@192.0.2.1\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n",
        text.iter()
            .find(|t| t.starts_with("SIP/2.0 200"))
            .and_then(|t| t.split("To: ").nth(1))
            .and_then(|t| t.split("tag=").nth(1))
            .map(|t| t.lines().next().unwrap().trim().to_owned())
            .unwrap()
    );
    ua.handle_message(
        sip_proto::parse(ack.as_bytes()).unwrap(),
        source,
        Transport::Tls,
        3,
    );
    assert!(
        std::iter::from_fn(|| ua.poll_event()).any(|e| matches!(e, UaEvent::Established { .. }))
    );
    ua.hangup(call, 4).unwrap();
    let bye = std::iter::from_fn(|| ua.poll_transmit())
        .find(|t| t.bytes.starts_with(b"BYE "))
        .expect("a BYE");
    assert_eq!(bye.transport, Transport::Tls);
    let bye = String::from_utf8_lossy(&bye.bytes).into_owned();
    assert!(bye.contains("Via: SIP/2.0/TLS 192.0.2.2:5061;"), "{bye}");
}

#[test]
fn a_call_answered_with_srtp_refuses_a_reinvite_that_would_drop_it() {
    let key = "PS1uQCVeeCFCanVmcjkzMWo3T1lUcWtFTjJtcEhm";
    let secure = OFFER.replace("RTP/AVP", "RTP/SAVP").replace(
        "a=ptime:20\r\n",
        &format!("a=ptime:20\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}\r\n"),
    );
    let mut p = Pair::new();
    p.uac.invite_with(&secure, 0);
    assert!(p.run_until(5_000, |p| p.incoming().is_some()));
    let call = p.incoming().expect("incoming");
    let now = p.now;
    let local = sip_proto::sdp::LocalMedia {
        srtp_key: Some("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz".into()),
        ..media()
    };
    let answer = p
        .uas
        .answer(call, local, now)
        .expect("answer")
        .expect("an answer");
    assert!(answer.srtp.is_some());
    p.run(1_000);
    // Plain RTP offered, or no offer at all (we would offer plain RTP): 488, media unchanged.
    for body in [Some(("application/sdp", OFFER)), None] {
        let now = p.now;
        p.uac.in_dialog(Method::Invite, body, now);
        p.run(2_000);
    }
    assert_eq!(p.uac.count(488, &Method::Invite), 2);
    assert!(!p.has_event(|e| matches!(e, UaEvent::MediaUpdate { .. })));
    // SRTP again (on hold, say) is fine.
    let hold = secure.replace("a=ptime:20\r\n", "a=ptime:20\r\na=sendonly\r\n");
    let now = p.now;
    p.uac
        .in_dialog(Method::Invite, Some(("application/sdp", &hold)), now);
    p.run(2_000);
    assert!(p.has_event(
        |e| matches!(e, UaEvent::MediaUpdate { answer, .. } if answer.srtp.is_some() && answer.on_hold())
    ));
}
