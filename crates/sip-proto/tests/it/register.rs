//! Outbound registration against an in-memory registrar: digest challenge, refresh before
//! expiry, unregister, rejection and timeout, on a virtual clock.

use std::net::SocketAddr;

use sip_proto::auth::{Credentials, challenge, verify};
use sip_proto::call::UaEvent;
use sip_proto::dialog::LocalAddr;
use sip_proto::register::RegistrationConfig;
use sip_proto::transaction::Timers;
use sip_proto::ua::{UaConfig, UserAgent};
use sip_proto::{Endpoint, Event, Message, Request, Response, SipUri, Transport, Uri};

const REGISTRAR: &str = "192.0.2.3:5060";
const UA: &str = "192.0.2.2:5060";

fn creds() -> Credentials {
    Credentials {
        username: "4930123456".into(),
        password: "trunk-secret".into(),
    }
}

/// How the fake registrar answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Digest,
    Forbidden,
    Silent,
}

struct World {
    now: u64,
    ua: UserAgent,
    registrar: Endpoint,
    mode: Mode,
    registers: Vec<Request>,
    events: Vec<UaEvent>,
}

impl World {
    fn new(mode: Mode) -> World {
        let local = LocalAddr {
            host: "192.0.2.2".into(),
            port: 5060,
            transport: Transport::Udp,
        };
        World {
            now: 0,
            ua: UserAgent::new(UaConfig {
                local,
                timers: Timers::default(),
                seed: 7,
            }),
            registrar: Endpoint::new(Timers::default()),
            mode,
            registers: Vec::new(),
            events: Vec::new(),
        }
    }

    fn config() -> RegistrationConfig {
        RegistrationConfig {
            registrar: SipUri::new(None, "sip.provider.example", None),
            aor: SipUri::new(Some("4930123456"), "sip.provider.example", None),
            credentials: creds(),
            expires: 60,
            server: REGISTRAR.parse().expect("address"),
            transport: sip_proto::Transport::Udp,
        }
    }

    fn answer(&mut self, tx: sip_proto::TransactionId, req: Request) {
        let status_and_headers: (u16, Vec<(&str, String)>) = match self.mode {
            Mode::Silent => return,
            Mode::Forbidden => (403, vec![]),
            Mode::Digest => match req.headers.authorization().ok().flatten() {
                None => (
                    401,
                    vec![(
                        "WWW-Authenticate",
                        challenge("provider", "abc", Some("op")).to_string(),
                    )],
                ),
                Some(auth) => match verify(&auth, "REGISTER", "provider", "abc", &creds()) {
                    Ok(()) => {
                        let expires = req.headers.expires().ok().flatten().unwrap_or(0);
                        (
                            200,
                            vec![("Contact", format!("<sip:192.0.2.2:5060>;expires={expires}"))],
                        )
                    }
                    Err(_) => (403, vec![]),
                },
            },
        };
        let mut resp = Response::to_request(&req, status_and_headers.0, Some("reg"));
        for (n, v) in status_and_headers.1 {
            resp.headers.push(n, v);
        }
        let _ = self.registrar.respond(tx, resp, self.now);
    }

    /// Runs the virtual clock up to `until`, delivering instantly.
    fn run(&mut self, until: u64) {
        let ua_addr: SocketAddr = UA.parse().expect("address");
        let reg_addr: SocketAddr = REGISTRAR.parse().expect("address");
        loop {
            let mut moved = false;
            while let Some(t) = self.ua.poll_transmit() {
                self.registrar.handle_datagram(&t.bytes, ua_addr, self.now);
                moved = true;
            }
            while let Some(ev) = self.registrar.poll_event() {
                if let Event::Request { tx, request, .. } = ev {
                    self.registers.push(request.clone());
                    self.answer(tx, request);
                }
            }
            while let Some(t) = self.registrar.poll_transmit() {
                self.ua.handle_datagram(&t.bytes, reg_addr, self.now);
                moved = true;
            }
            while let Some(e) = self.ua.poll_event() {
                self.events.push(e);
            }
            if moved {
                continue;
            }
            let next = [self.ua.poll_timeout(), self.registrar.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next.filter(|t| *t <= until) {
                Some(t) => {
                    self.now = self.now.max(t);
                    self.ua.handle_timeout(self.now);
                    self.registrar.handle_timeout(self.now);
                }
                None => {
                    self.now = until;
                    return;
                }
            }
        }
    }
}

#[test]
fn registers_with_digest_and_refreshes_before_expiry() {
    let mut w = World::new(Mode::Digest);
    let id = w.ua.register(World::config(), 0);
    w.run(1_000);
    assert!(w.events.contains(&UaEvent::Registered {
        registration: id,
        expires: 60
    }));
    assert_eq!(w.registers.len(), 2, "challenged once, then accepted");
    w.run(45_000);
    assert_eq!(
        w.registers.len(),
        3,
        "refreshed at 30 s with the cached challenge"
    );
    let registered = w
        .events
        .iter()
        .filter(|e| matches!(e, UaEvent::Registered { .. }))
        .count();
    assert_eq!(registered, 2);
    let cseqs: Vec<u32> = w
        .registers
        .iter()
        .map(|r| r.headers.cseq().expect("cseq").seq)
        .collect();
    assert_eq!(cseqs, [1, 2, 3]);
    let call_ids: Vec<&str> = w
        .registers
        .iter()
        .map(|r| r.headers.call_id().expect("call-id"))
        .collect();
    assert!(
        call_ids.windows(2).all(|w| w[0] == w[1]),
        "one Call-ID for all refreshes"
    );
    let auth = w.registers[1]
        .headers
        .authorization()
        .expect("valid")
        .expect("present");
    assert_eq!(auth.param("opaque"), Some("op"));
    let refresh = w.registers[2]
        .headers
        .authorization()
        .expect("valid")
        .expect("present");
    assert_eq!(
        refresh.param("nc"),
        Some("00000002"),
        "a fresh nonce count for each use"
    );
    assert!(!format!("{:?}", w.registers[1]).contains("trunk-secret"));

    w.ua.unregister(id, w.now).expect("known registration");
    w.run(50_000);
    assert!(
        w.events
            .contains(&UaEvent::Unregistered { registration: id })
    );
    let last = w.registers.last().expect("unregister sent");
    assert_eq!(last.headers.expires().expect("expires"), Some(0));
    assert!(matches!(last.uri, Uri::Sip(_)));
}

#[test]
fn rejection_is_reported_and_retried_later() {
    let mut w = World::new(Mode::Forbidden);
    let id = w.ua.register(World::config(), 0);
    w.run(1_000);
    assert!(w.events.contains(&UaEvent::RegistrationFailed {
        registration: id,
        status: 403
    }));
    assert_eq!(w.registers.len(), 1);
    w.run(61_000);
    assert_eq!(w.registers.len(), 2, "retried after a minute");
}

#[test]
fn silent_registrar_times_out_with_408() {
    let mut w = World::new(Mode::Silent);
    let id = w.ua.register(World::config(), 0);
    w.run(40_000);
    assert!(w.events.contains(&UaEvent::RegistrationFailed {
        registration: id,
        status: 408
    }));
    // Timer E retransmitted the REGISTER into the void; the registrar's transaction absorbed them.
    assert_eq!(w.registers.len(), 1);
    let _ = Message::Request(w.registers[0].clone()).to_bytes();
}

#[test]
fn a_registration_over_tls_is_sent_over_tls_naming_the_tls_listener() {
    let mut ua = UserAgent::new(UaConfig {
        local: LocalAddr {
            host: "192.0.2.2".into(),
            port: 5060,
            transport: Transport::Udp,
        },
        timers: Timers::default(),
        seed: 7,
    });
    ua.set_tls_port(5061);
    ua.register(
        RegistrationConfig {
            transport: Transport::Tls,
            ..World::config()
        },
        0,
    );
    let sent = ua.poll_transmit().expect("a REGISTER");
    assert_eq!(sent.transport, Transport::Tls);
    assert_eq!(sent.to, REGISTRAR.parse().unwrap());
    let text = String::from_utf8_lossy(&sent.bytes).into_owned();
    assert!(text.starts_with("REGISTER "), "{text}");
    assert!(text.contains("Via: SIP/2.0/TLS 192.0.2.2:5061;"), "{text}");
    assert!(text.contains(":5061;transport=tls>"), "{text}");
}
