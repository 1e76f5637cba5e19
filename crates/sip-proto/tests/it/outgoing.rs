//! Two user agents on a virtual network: Hotline places a call to a phone (the UAC side of
//! `UserAgent`: INVITE with our offer, ringing, the answer acknowledged, CANCEL, failures,
//! BYE either way), and the phone registers with Hotline as its registrar (REGISTER,
//! challenge, digest against a stored HA1, bindings, unregister).

use std::net::SocketAddr;

use sip_proto::auth::{Credentials, ha1, nonce_count, verify_ha1};
use sip_proto::call::{CallId, HangupReason, UaEvent};
use sip_proto::dialog::LocalAddr;
use sip_proto::outgoing::OutgoingCall;
use sip_proto::register::RegistrationConfig;
use sip_proto::registrar::{RegisterAnswer, RegisterRequest};
use sip_proto::sdp::{Codec, LocalMedia};
use sip_proto::transaction::Timers;
use sip_proto::ua::{UaConfig, UserAgent};
use sip_proto::{Message, Method, SipUri, Transport, Uri, parse};

const HOTLINE: &str = "192.0.2.2:5060";
const PHONE: &str = "192.0.2.7:5070";
const LATENCY: u64 = 10;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ua(host: &str, port: u16, seed: u64) -> UserAgent {
    UserAgent::new(UaConfig {
        local: LocalAddr {
            host: host.to_owned(),
            port,
            transport: Transport::Udp,
        },
        timers: Timers::default(),
        seed,
    })
}

fn media(port: u16, codecs: Vec<Codec>) -> LocalMedia {
    LocalMedia {
        address: "192.0.2.9".to_owned(),
        port,
        codecs,
        telephone_event: true,
        session_id: 1,
        session_version: 1,
        srtp_key: None,
    }
}

struct Packet {
    at: u64,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// Which datagrams the network loses: true drops one (from its sender).
type Loss = Box<dyn FnMut(SocketAddr, &Message) -> bool>;

/// Hotline and a phone, with what each reported and every datagram sent.
struct World {
    now: u64,
    hotline: UserAgent,
    phone: UserAgent,
    hotline_events: Vec<UaEvent>,
    phone_events: Vec<UaEvent>,
    net: Vec<Packet>,
    sent: Vec<(SocketAddr, Message)>,
    /// Drops the datagrams it returns true for.
    drop: Loss,
}

impl World {
    fn new() -> World {
        World {
            now: 0,
            hotline: ua("192.0.2.2", 5060, 1),
            phone: ua("192.0.2.7", 5070, 2),
            hotline_events: Vec::new(),
            phone_events: Vec::new(),
            net: Vec::new(),
            sent: Vec::new(),
            drop: Box::new(|_, _| false),
        }
    }

    fn flush(&mut self) {
        for (from, ua) in [(HOTLINE, &mut self.hotline), (PHONE, &mut self.phone)] {
            while let Some(t) = ua.poll_transmit() {
                let msg = parse(&t.bytes).expect("we send what parses");
                self.sent.push((addr(from), msg.clone()));
                if !(self.drop)(addr(from), &msg) {
                    self.net.push(Packet {
                        at: self.now + LATENCY,
                        from: addr(from),
                        to: t.to,
                        bytes: t.bytes,
                    });
                }
            }
        }
        while let Some(e) = self.hotline.poll_event() {
            self.hotline_events.push(e);
        }
        while let Some(e) = self.phone.poll_event() {
            self.phone_events.push(e);
        }
    }

    /// Runs for `ms` of virtual time, delivering datagrams and firing timers.
    fn run(&mut self, ms: u64) {
        let until = self.now + ms;
        loop {
            self.flush();
            let next = self
                .net
                .iter()
                .map(|p| p.at)
                .chain(self.hotline.poll_timeout())
                .chain(self.phone.poll_timeout())
                .min();
            let Some(next) = next.filter(|t| *t <= until) else {
                break;
            };
            self.now = self.now.max(next);
            let due: Vec<Packet> = {
                let (due, rest) = std::mem::take(&mut self.net)
                    .into_iter()
                    .partition(|p| p.at <= self.now);
                self.net = rest;
                due
            };
            for p in due {
                if p.to == addr(PHONE) {
                    self.phone.handle_datagram(&p.bytes, p.from, self.now);
                } else {
                    self.hotline.handle_datagram(&p.bytes, p.from, self.now);
                }
            }
            self.hotline.handle_timeout(self.now);
            self.phone.handle_timeout(self.now);
        }
        self.now = until;
        self.flush();
    }

    fn call_phone(&mut self) -> CallId {
        let call = OutgoingCall {
            target: Uri::parse("sip:maria@192.0.2.7:5070").unwrap(),
            to: Uri::parse("sip:maria@hotline").unwrap(),
            from_user: "hotline".to_owned(),
            destination: addr(PHONE),
            transport: Transport::Udp,
            media: media(20_000, vec![Codec::Pcmu, Codec::Pcma]),
        };
        let id = self.hotline.invite(call, self.now).expect("INVITE sent");
        self.flush();
        id
    }

    /// The phone's incoming call.
    fn ringing_at_phone(&self) -> CallId {
        self.phone_events
            .iter()
            .find_map(|e| match e {
                UaEvent::Incoming(i) => Some(i.call),
                _ => None,
            })
            .expect("the INVITE reached the phone")
    }

    fn count_sent(&self, from: &str, pred: impl Fn(&Message) -> bool) -> usize {
        self.sent
            .iter()
            .filter(|(f, m)| *f == addr(from) && pred(m))
            .count()
    }
}

fn is_request(m: &Message, method: Method) -> bool {
    matches!(m, Message::Request(r) if r.method == method)
}

fn is_response(m: &Message, status: u16) -> bool {
    matches!(m, Message::Response(r) if r.status == status)
}

#[test]
fn a_call_to_a_phone_rings_is_answered_acknowledged_and_hung_up_by_the_phone() {
    let mut w = World::new();
    let call = w.call_phone();
    w.run(50);
    let at_phone = w.ringing_at_phone();
    // The phone sees our offer: PCMU and PCMA, telephone events, our RTP port.
    let offer = w
        .phone_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Incoming(i) => i.offer.clone(),
            _ => None,
        })
        .expect("an SDP offer");
    assert_eq!(offer.media[0].port, 20_000);
    assert_eq!(offer.media[0].formats, ["0", "8", "101"]);
    w.phone.ring(at_phone, w.now).unwrap();
    w.run(50);
    assert!(w.hotline_events.contains(&UaEvent::Ringing { call }));
    // The phone answers with PCMA only.
    w.phone
        .answer(at_phone, media(30_000, vec![Codec::Pcma]), w.now)
        .unwrap();
    w.run(50);
    let answered = w.hotline_events.iter().find_map(|e| match e {
        UaEvent::Answered { call: c, media } if *c == call => Some(media.clone()),
        _ => None,
    });
    let agreed = answered.expect("answered").expect("its SDP understood");
    assert_eq!(agreed.codec, Codec::Pcma);
    assert_eq!(agreed.telephone_event, Some(101));
    assert_eq!(agreed.remote, Some(("192.0.2.9".to_owned(), 30_000)));
    assert!(
        w.phone_events
            .contains(&UaEvent::Established { call: at_phone }),
        "our ACK reached the phone"
    );
    // The phone hangs up: we answer its BYE and report it.
    w.phone.hangup(at_phone, w.now).unwrap();
    w.run(100);
    assert!(w.hotline_events.contains(&UaEvent::Hangup {
        call,
        reason: HangupReason::RemoteBye
    }));
    assert_eq!(w.count_sent(HOTLINE, |m| is_response(m, 200)), 1);
}

#[test]
fn we_hang_up_a_bridged_call_with_bye() {
    let mut w = World::new();
    let call = w.call_phone();
    w.run(50);
    let at_phone = w.ringing_at_phone();
    w.phone
        .answer(at_phone, media(30_000, vec![Codec::Pcmu]), w.now)
        .unwrap();
    w.run(50);
    w.hotline.hangup(call, w.now).unwrap();
    w.run(100);
    assert!(w.phone_events.contains(&UaEvent::Hangup {
        call: at_phone,
        reason: HangupReason::RemoteBye
    }));
    assert!(w.hotline_events.contains(&UaEvent::Hangup {
        call,
        reason: HangupReason::LocalBye
    }));
}

#[test]
fn a_busy_phone_fails_the_call_with_its_status() {
    let mut w = World::new();
    let call = w.call_phone();
    w.run(50);
    let at_phone = w.ringing_at_phone();
    w.phone.reject(at_phone, 486, w.now).unwrap();
    w.run(100);
    assert!(
        w.hotline_events
            .contains(&UaEvent::Failed { call, status: 486 })
    );
    // The transaction acknowledged the 486 itself.
    assert_eq!(w.count_sent(HOTLINE, |m| is_request(m, Method::Ack)), 1);
    assert_eq!(w.hotline.call_state(call), None);
}

#[test]
fn giving_up_while_it_rings_cancels_it() {
    let mut w = World::new();
    let call = w.call_phone();
    w.run(50);
    let at_phone = w.ringing_at_phone();
    w.phone.ring(at_phone, w.now).unwrap();
    w.run(50);
    w.hotline.hangup(call, w.now).unwrap();
    w.run(100);
    assert!(
        w.phone_events
            .contains(&UaEvent::Cancelled { call: at_phone })
    );
    assert!(
        w.hotline_events
            .contains(&UaEvent::Failed { call, status: 487 })
    );
    assert!(
        !w.hotline_events
            .iter()
            .any(|e| matches!(e, UaEvent::Answered { .. }))
    );
}

#[test]
fn a_cancel_waits_for_a_provisional_response() {
    let mut w = World::new();
    // The phone's 100 Trying is lost: nothing tells us the INVITE arrived.
    w.drop = Box::new(|from, m| from == addr(PHONE) && is_response(m, 100));
    let call = w.call_phone();
    w.hotline.cancel(call, w.now).unwrap();
    w.run(50);
    assert_eq!(w.count_sent(HOTLINE, |m| is_request(m, Method::Cancel)), 0);
    let at_phone = w.ringing_at_phone();
    w.phone.ring(at_phone, w.now).unwrap();
    w.run(100);
    assert_eq!(w.count_sent(HOTLINE, |m| is_request(m, Method::Cancel)), 1);
    assert!(
        w.hotline_events
            .contains(&UaEvent::Failed { call, status: 487 })
    );
}

#[test]
fn an_answer_that_races_the_cancel_is_acknowledged_and_ended() {
    let mut w = World::new();
    let call = w.call_phone();
    w.run(50);
    let at_phone = w.ringing_at_phone();
    // The phone answers as we cancel: the CANCEL finds a finished INVITE.
    w.phone
        .answer(at_phone, media(30_000, vec![Codec::Pcmu]), w.now)
        .unwrap();
    w.hotline.cancel(call, w.now).unwrap();
    w.run(200);
    assert!(
        !w.hotline_events
            .iter()
            .any(|e| matches!(e, UaEvent::Answered { .. })),
        "we had given up"
    );
    assert_eq!(w.count_sent(HOTLINE, |m| is_request(m, Method::Ack)), 1);
    assert_eq!(w.count_sent(HOTLINE, |m| is_request(m, Method::Bye)), 1);
    assert!(w.phone_events.contains(&UaEvent::Hangup {
        call: at_phone,
        reason: HangupReason::RemoteBye
    }));
    assert!(w.hotline_events.contains(&UaEvent::Hangup {
        call,
        reason: HangupReason::LocalBye
    }));
}

#[test]
fn a_lost_ack_is_sent_again_for_the_retransmitted_answer() {
    let mut w = World::new();
    let mut dropped = 0;
    w.drop = Box::new(move |from, m| {
        let ack = from == addr(HOTLINE) && is_request(m, Method::Ack);
        if ack && dropped == 0 {
            dropped += 1;
            return true;
        }
        false
    });
    let call = w.call_phone();
    w.run(50);
    let at_phone = w.ringing_at_phone();
    w.phone
        .answer(at_phone, media(30_000, vec![Codec::Pcmu]), w.now)
        .unwrap();
    w.run(2_000);
    assert_eq!(w.count_sent(HOTLINE, |m| is_request(m, Method::Ack)), 2);
    assert!(
        w.phone_events
            .contains(&UaEvent::Established { call: at_phone })
    );
    let answered = w
        .hotline_events
        .iter()
        .filter(|e| matches!(e, UaEvent::Answered { call: c, .. } if *c == call))
        .count();
    assert_eq!(answered, 1, "one answer, however often it came");
}

#[test]
fn a_phone_that_never_answers_fails_the_call_after_timer_b() {
    let mut w = World::new();
    w.drop = Box::new(|from, _| from == addr(HOTLINE));
    let call = w.call_phone();
    w.run(31_000);
    assert!(w.hotline_events.is_empty());
    w.run(2_000);
    assert_eq!(w.hotline_events, [UaEvent::Failed { call, status: 408 }]);
}

/// The phone's registration as Hotline's registrar would check it: the HA1 stored for
/// maria in realm "hotline".
fn registrar_answer(nonce: &str, req: &RegisterRequest) -> RegisterAnswer {
    let stored = ha1("maria", "hotline", "a long phone password");
    match &req.authorization {
        None => RegisterAnswer::Challenge {
            realm: "hotline".to_owned(),
            nonce: nonce.to_owned(),
            stale: false,
        },
        Some(auth) => {
            assert_eq!(req.user().as_deref(), Some("maria"));
            // The phone counts its uses of the nonce (a refresh reuses it).
            assert!(nonce_count(auth).is_some_and(|nc| nc >= 1));
            match verify_ha1(auth, "REGISTER", "hotline", nonce, "maria", &stored) {
                Ok(()) => {
                    let contacts = req.contacts.clone().unwrap_or_default();
                    let expires = req.expires_of(&contacts[0], 3600);
                    if expires == 0 {
                        RegisterAnswer::Bindings(Vec::new())
                    } else {
                        RegisterAnswer::Bindings(vec![(contacts[0].uri.clone(), expires)])
                    }
                }
                Err(_) => RegisterAnswer::Refuse(403),
            }
        }
    }
}

/// Answers every REGISTER that reached Hotline since the last call.
fn answer_registers(w: &mut World, nonce: &str, seen: &mut usize) {
    let requests: Vec<RegisterRequest> = w.hotline_events[*seen..]
        .iter()
        .filter_map(|e| match e {
            UaEvent::Register(r) => Some((**r).clone()),
            _ => None,
        })
        .collect();
    *seen = w.hotline_events.len();
    for req in requests {
        let answer = registrar_answer(nonce, &req);
        w.hotline.answer_register(req.tx, answer, w.now).unwrap();
    }
}

fn phone_registration(password: &str) -> RegistrationConfig {
    RegistrationConfig {
        registrar: SipUri::new(None, "hotline", None),
        aor: SipUri::new(Some("maria"), "hotline", None),
        credentials: Credentials {
            username: "maria".to_owned(),
            password: password.to_owned(),
        },
        expires: 600,
        server: addr(HOTLINE),
        transport: sip_proto::Transport::Udp,
    }
}

#[test]
fn a_phone_registers_with_digest_and_unregisters() {
    let mut w = World::new();
    let reg = w
        .phone
        .register(phone_registration("a long phone password"), w.now);
    let mut seen = 0;
    for _ in 0..4 {
        w.run(50);
        answer_registers(&mut w, "n0nce", &mut seen);
    }
    w.run(50);
    assert!(w.phone_events.contains(&UaEvent::Registered {
        registration: reg,
        expires: 600
    }));
    let challenge = w
        .sent
        .iter()
        .find_map(|(_, m)| match m {
            Message::Response(r) if r.status == 401 => r.headers.get("WWW-Authenticate"),
            _ => None,
        })
        .expect("a challenge")
        .to_owned();
    assert!(challenge.contains("realm=\"hotline\""), "{challenge}");
    assert!(challenge.contains("nonce=\"n0nce\""), "{challenge}");
    // The REGISTER's Debug shows no addresses.
    let printed = format!(
        "{:?}",
        w.hotline_events
            .iter()
            .find(|e| matches!(e, UaEvent::Register(_)))
            .unwrap()
    );
    assert!(!printed.contains("192.0.2.7"), "{printed}");

    w.phone.unregister(reg, w.now).unwrap();
    for _ in 0..4 {
        w.run(50);
        answer_registers(&mut w, "n0nce", &mut seen);
    }
    w.run(50);
    assert!(
        w.phone_events
            .contains(&UaEvent::Unregistered { registration: reg })
    );
}

#[test]
fn a_wrong_password_gets_403_after_the_challenge() {
    let mut w = World::new();
    let reg = w.phone.register(phone_registration("a guess"), w.now);
    let mut seen = 0;
    for _ in 0..4 {
        w.run(50);
        answer_registers(&mut w, "n0nce", &mut seen);
    }
    w.run(50);
    assert!(w.phone_events.contains(&UaEvent::RegistrationFailed {
        registration: reg,
        status: 403
    }));
    assert_eq!(w.count_sent(HOTLINE, |m| is_response(m, 401)), 1);
}

#[test]
fn a_stale_challenge_and_a_too_brief_interval_are_answered() {
    let mut w = World::new();
    let reg = w
        .phone
        .register(phone_registration("a long phone password"), w.now);
    w.run(50);
    let req = match &w.hotline_events[..] {
        [UaEvent::Register(r)] => (**r).clone(),
        other => panic!("{other:?}"),
    };
    w.hotline
        .answer_register(
            req.tx,
            RegisterAnswer::IntervalTooBrief { min_expires: 900 },
            w.now,
        )
        .unwrap();
    w.run(50);
    // The phone asks again for the minimum.
    let again = w
        .hotline_events
        .iter()
        .filter_map(|e| match e {
            UaEvent::Register(r) => Some((**r).clone()),
            _ => None,
        })
        .nth(1)
        .expect("a second REGISTER");
    assert_eq!(again.expires, Some(900));
    w.hotline
        .answer_register(
            again.tx,
            RegisterAnswer::Challenge {
                realm: "hotline".to_owned(),
                nonce: "fresh".to_owned(),
                stale: true,
            },
            w.now,
        )
        .unwrap();
    w.run(50);
    let stale = w
        .sent
        .iter()
        .find_map(|(_, m)| match m {
            Message::Response(r) if r.status == 401 => r.headers.get("WWW-Authenticate"),
            _ => None,
        })
        .unwrap()
        .to_owned();
    assert!(stale.contains("stale=true"), "{stale}");
    assert!(!w.phone_events.iter().any(|e| matches!(
        e,
        UaEvent::RegistrationFailed { registration, .. } if *registration == reg
    )));
}

#[test]
fn a_call_to_a_peer_that_cannot_be_reached_over_tls_fails_at_once_with_503() {
    let mut hotline = ua("192.0.2.9", 5060, 3);
    hotline.set_tls_port(5061);
    let trunk = addr("192.0.2.50:5061");
    let call = hotline
        .invite(
            OutgoingCall {
                target: Uri::parse("sip:4930123456@192.0.2.50:5061;transport=tls").unwrap(),
                to: Uri::parse("sip:4930123456@192.0.2.50").unwrap(),
                from_user: "hotline".to_owned(),
                destination: trunk,
                transport: Transport::Tls,
                media: media(20_000, vec![Codec::Pcmu]),
            },
            0,
        )
        .expect("INVITE sent");
    let invite = hotline.poll_transmit().expect("the INVITE");
    assert_eq!(invite.transport, Transport::Tls);
    let text = String::from_utf8_lossy(&invite.bytes).into_owned();
    assert!(text.contains("Via: SIP/2.0/TLS 192.0.2.9:5061;"), "{text}");
    // Another destination's failure changes nothing; this one's fails the call now, long
    // before Timer B.
    hotline.handle_unreachable(addr("192.0.2.51:5061"), &Transport::Tls, 10);
    assert!(std::iter::from_fn(|| hotline.poll_event()).next().is_none());
    hotline.handle_unreachable(trunk, &Transport::Tls, 20);
    let events: Vec<_> = std::iter::from_fn(|| hotline.poll_event()).collect();
    assert!(
        events.contains(&UaEvent::Failed { call, status: 503 }),
        "{events:?}"
    );
}
