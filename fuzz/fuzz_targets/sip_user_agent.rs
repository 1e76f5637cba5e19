//! The SIP user agent's run loop driven by a script of datagrams, shell commands and clock steps
//! on a virtual clock: `handle_datagram`, `handle_timeout`, `poll_transmit`, `poll_event`,
//! `poll_timeout` and the commands `ring`, `answer`, `reject`, `challenge`, `hangup`, `register`
//! and `unregister`. Nothing may panic, and after `handle_timeout(now)` no timer may still be
//! due at `now` (a shell would spin).
//!
//! Input: records separated by NUL bytes; each record is an opcode byte (`'0'`–`'9'`, see
//! `Harness::step`) and a payload. In datagrams, `$TAG`, `$BRANCH` and `$CALLID` are replaced by the local tag, the
//! top Via branch and the Call-ID of the last message the user agent sent, so that the fuzzer
//! (and the seeds) can answer it: ACK a 200, reply to a BYE or a REGISTER.

#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sip_proto::auth::Credentials;
use sip_proto::dialog::LocalAddr;
use sip_proto::register::{RegistrationConfig, RegistrationId};
use sip_proto::sdp::{Codec, LocalMedia};
use sip_proto::transaction::Timers;
use sip_proto::{
    CallId, Message, SipUri, Transmit, Transport, UaConfig, UaEvent, UserAgent, parse,
};

const MAX_RECORDS: usize = 64;

fn peers() -> [SocketAddr; 2] {
    [
        "192.0.2.1:5060".parse().expect("address"),
        "[2001:db8::1]:5062".parse().expect("address"),
    ]
}

fn media() -> LocalMedia {
    LocalMedia {
        address: "192.0.2.2".into(),
        port: 20000,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        telephone_event: true,
        session_id: 7,
        session_version: 1,
        srtp_key: None,
    }
}

fn registration() -> RegistrationConfig {
    RegistrationConfig {
        registrar: SipUri::new(None, "sip.provider.example", None),
        aor: SipUri::new(Some("4930123456"), "sip.provider.example", None),
        credentials: Credentials {
            username: "4930123456".into(),
            password: "trunk-secret".into(),
        },
        expires: 60,
        server: peers()[0],
        transport: sip_proto::Transport::Udp,
    }
}

/// Values from the last message sent, for the placeholders.
#[derive(Default)]
struct Last {
    transmit: Option<Transmit>,
    tag: Vec<u8>,
    branch: Vec<u8>,
    call_id: Vec<u8>,
}

impl Last {
    fn record(&mut self, t: Transmit) {
        if let Ok(msg) = parse(&t.bytes) {
            let h = msg.headers();
            let local = match &msg {
                Message::Request(_) => h.from(),
                Message::Response(_) => h.to(),
            };
            if let Some(tag) = local.ok().as_ref().and_then(|n| n.tag()) {
                self.tag = tag.as_bytes().to_vec();
            }
            if let Some(branch) = h.top_via().ok().as_ref().and_then(|v| v.branch()) {
                self.branch = branch.as_bytes().to_vec();
            }
            if let Ok(call_id) = h.call_id() {
                self.call_id = call_id.as_bytes().to_vec();
            }
        }
        self.transmit = Some(t);
    }

    fn fill(&self, datagram: &[u8]) -> Vec<u8> {
        let out = replace(datagram, b"$TAG", &self.tag);
        let out = replace(&out, b"$BRANCH", &self.branch);
        replace(&out, b"$CALLID", &self.call_id)
    }
}

fn replace(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

struct Harness {
    ua: UserAgent,
    now: u64,
    last: Last,
    calls: Vec<CallId>,
    registrations: Vec<RegistrationId>,
}

impl Harness {
    fn drain(&mut self) {
        while let Some(t) = self.ua.poll_transmit() {
            self.last.record(t);
        }
        while let Some(ev) = self.ua.poll_event() {
            if let UaEvent::Incoming(inc) = ev {
                self.calls.push(inc.call);
            }
        }
    }

    fn timeout(&mut self) {
        self.ua.handle_timeout(self.now);
        self.drain();
        if let Some(next) = self.ua.poll_timeout() {
            assert!(
                next > self.now,
                "after handle_timeout({}) a timer is still due at {next}",
                self.now
            );
        }
    }

    fn call(&self, pick: u8) -> Option<CallId> {
        (!self.calls.is_empty()).then(|| self.calls[usize::from(pick) % self.calls.len()])
    }

    fn step(&mut self, op: u8, payload: &[u8]) {
        let arg = payload.first().copied().unwrap_or(0);
        let now = self.now;
        // ASCII digits are the opcodes 0–9, so that seeds stay readable; any byte maps to one.
        let op = op.wrapping_sub(b'0') % 10;
        match op {
            // A datagram from one of two peers.
            0 | 1 => {
                let datagram = self.last.fill(payload);
                let from = peers()[usize::from(op)];
                self.ua.handle_datagram(&datagram, from, now);
            }
            // The clock advances by up to 65 s.
            2 => {
                let ms = payload.get(..2).map_or(u64::from(arg), |b| {
                    u64::from(u16::from_be_bytes([b[0], b[1]]))
                });
                self.now += ms;
                self.timeout();
            }
            // The clock jumps to the next deadline.
            3 => {
                if let Some(t) = self.ua.poll_timeout() {
                    self.now = self.now.max(t);
                    self.timeout();
                }
            }
            // The last datagram sent comes back (a loop, or a peer echoing it).
            4 => {
                if let Some(t) = self.last.transmit.clone() {
                    self.ua.handle_datagram(&t.bytes, t.to, now);
                }
            }
            5 => {
                if let Some(call) = self.call(arg) {
                    let _ = self.ua.ring(call, now);
                }
            }
            6 => {
                if let Some(call) = self.call(arg) {
                    let _ = self.ua.answer(call, media(), now);
                }
            }
            7 => {
                if let Some(call) = self.call(arg) {
                    let status = 300 + u16::from(payload.get(1).copied().unwrap_or(0)) % 400;
                    let _ = self.ua.reject(call, status, now);
                }
            }
            8 => {
                if let Some(call) = self.call(arg) {
                    if arg & 0x80 == 0 {
                        let _ = self.ua.hangup(call, now);
                    } else {
                        let _ = self.ua.challenge(call, "hotline", "0123456789abcdef", now);
                    }
                }
            }
            _ => {
                if arg & 1 == 0 && self.registrations.len() < 2 {
                    let id = self.ua.register(registration(), now);
                    self.registrations.push(id);
                } else if let Some(&id) = self.registrations.get(usize::from(arg >> 1) % 2) {
                    let _ = self.ua.unregister(id, now);
                }
            }
        }
        self.drain();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness {
        ua: UserAgent::new(UaConfig {
            local: LocalAddr {
                host: "192.0.2.2".into(),
                port: 5060,
                transport: Transport::Udp,
            },
            timers: Timers::default(),
            seed: 42,
        }),
        now: 0,
        last: Last::default(),
        calls: Vec::new(),
        registrations: Vec::new(),
    };
    for record in data.split(|b| *b == 0).take(MAX_RECORDS) {
        if let Some((&op, payload)) = record.split_first() {
            h.step(op, payload);
        }
    }
    // Let every timer run out (registrations refresh forever, so this is bounded).
    for _ in 0..64 {
        let Some(t) = h.ua.poll_timeout() else { break };
        h.now = h.now.max(t);
        h.timeout();
    }
});
