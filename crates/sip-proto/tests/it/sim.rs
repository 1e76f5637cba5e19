//! A deterministic two-party simulation in the style of quinn-proto's `Pair`: a test UAC built
//! from the crate's `Endpoint` and `Dialog`, the crate's UAS `UserAgent`, a virtual clock and a
//! network that can drop, duplicate, delay and reorder datagrams.

use std::collections::VecDeque;
use std::net::SocketAddr;

use sip_proto::call::UaEvent;
use sip_proto::dialog::{Dialog, LocalAddr};
use sip_proto::endpoint::TransactionId;
use sip_proto::sdp::{Codec, LocalMedia};
use sip_proto::transaction::{Timers, build_cancel};
use sip_proto::ua::{UaConfig, UserAgent};
use sip_proto::{
    Endpoint, Event, MAGIC_COOKIE, Message, Method, Request, Response, SipUri, Transport, Uri,
    parse,
};

pub(crate) const UAC_ADDR: &str = "192.0.2.1:5060";
pub(crate) const UAS_ADDR: &str = "192.0.2.2:5060";
pub(crate) const LATENCY: u64 = 10;

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

pub(crate) const OFFER: &str = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n";

pub(crate) fn media() -> LocalMedia {
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

/// A datagram in flight.
#[derive(Debug, Clone)]
pub(crate) struct Packet {
    pub(crate) at: u64,
    pub(crate) from: SocketAddr,
    pub(crate) to: SocketAddr,
    pub(crate) bytes: Vec<u8>,
}

impl Packet {
    pub(crate) fn message(&self) -> Option<Message> {
        parse(&self.bytes).ok()
    }

    /// True for a request with this method.
    pub(crate) fn is_request(&self, method: &Method) -> bool {
        matches!(self.message(), Some(Message::Request(r)) if r.method == *method)
    }

    /// True for a response with this status to this method.
    pub(crate) fn is_response(&self, status: u16, method: &Method) -> bool {
        matches!(self.message(), Some(Message::Response(r))
            if r.status == status && r.headers.cseq().is_ok_and(|c| c.method == *method))
    }
}

/// What the network does with one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Deliver,
    Drop,
    Duplicate,
    Delay(u64),
}

pub(crate) type Filter = Box<dyn FnMut(&Packet) -> Fate>;

/// The test's UAC: an endpoint plus one INVITE dialog, replying 200 to in-dialog requests.
pub(crate) struct Uac {
    pub(crate) ep: Endpoint,
    pub(crate) local: LocalAddr,
    pub(crate) invite: Option<Request>,
    pub(crate) invite_tx: Option<TransactionId>,
    pub(crate) dialog: Option<Dialog>,
    /// Every (status, method) that reached the transaction user, in order.
    pub(crate) responses: Vec<(u16, Method)>,
    pub(crate) timeouts: Vec<TransactionId>,
    pub(crate) requests: Vec<Method>,
    pub(crate) acks_sent: usize,
    n: u64,
}

impl Uac {
    fn new(timers: Timers) -> Uac {
        Uac {
            ep: Endpoint::new(timers),
            local: LocalAddr {
                host: "192.0.2.1".into(),
                port: 5060,
                transport: Transport::Udp,
            },
            invite: None,
            invite_tx: None,
            dialog: None,
            responses: Vec::new(),
            timeouts: Vec::new(),
            requests: Vec::new(),
            acks_sent: 0,
            n: 0,
        }
    }

    pub(crate) fn branch(&mut self) -> String {
        self.n += 1;
        format!("{MAGIC_COOKIE}uac{}", self.n)
    }

    /// An out-of-dialog request to the UAS.
    pub(crate) fn request(&mut self, method: Method, call_id: &str) -> Request {
        let mut req = Request::new(
            method.clone(),
            Uri::Sip(SipUri::new(Some("demo-de"), "192.0.2.2", Some(5060))),
        );
        let branch = self.branch();
        req.headers.push("Via", self.local.via(&branch).to_string());
        req.headers.push("Max-Forwards", "70");
        req.headers
            .push("From", "\"Caller\" <sip:caller@192.0.2.1>;tag=uactag");
        req.headers.push("To", "<sip:demo-de@192.0.2.2>");
        req.headers.push("Call-ID", call_id);
        req.headers.push("CSeq", format!("1 {method}"));
        req.headers.push("Contact", self.local.contact());
        req
    }

    pub(crate) fn send(&mut self, req: Request, now: u64) -> TransactionId {
        self.ep
            .send_request(req, addr(UAS_ADDR), Transport::Udp, now)
            .expect("request accepted")
    }

    pub(crate) fn invite(&mut self, now: u64) {
        self.invite_with(OFFER, now);
    }

    /// An INVITE with `offer` as its SDP.
    pub(crate) fn invite_with(&mut self, offer: &str, now: u64) {
        let mut req = self.request(Method::Invite, "call-1@192.0.2.1");
        req.headers.push("Content-Type", "application/sdp");
        req.body = offer.as_bytes().to_vec();
        self.invite = Some(req.clone());
        self.invite_tx = Some(self.send(req, now));
    }

    pub(crate) fn cancel(&mut self, now: u64) {
        let invite = self.invite.clone().expect("an INVITE was sent");
        let cancel = build_cancel(&invite);
        self.send(cancel, now);
    }

    /// Sends an in-dialog request.
    pub(crate) fn in_dialog(
        &mut self,
        method: Method,
        content: Option<(&str, &str)>,
        now: u64,
    ) -> TransactionId {
        let branch = self.branch();
        let local = self.local.clone();
        let dialog = self.dialog.as_mut().expect("dialog established");
        let mut req = dialog.request(method, &local, &branch);
        if let Some((ct, body)) = content {
            req.headers.push("Content-Type", ct);
            req.body = body.as_bytes().to_vec();
        }
        self.send(req, now)
    }

    fn ack(&mut self, resp: &Response) {
        let (Some(invite), Ok(cseq)) = (self.invite.clone(), resp.headers.cseq()) else {
            return;
        };
        if self.dialog.is_none() {
            self.dialog = Dialog::uac(&invite, resp).ok();
        }
        let branch = self.branch();
        let local = self.local.clone();
        let Some(dialog) = self.dialog.as_ref() else {
            return;
        };
        let ack = dialog.request_with_cseq(Method::Ack, cseq.seq, &local, &branch);
        self.ep
            .send_stateless(&Message::Request(ack), addr(UAS_ADDR), Transport::Udp);
        self.acks_sent += 1;
    }

    fn process(&mut self, now: u64) {
        while let Some(ev) = self.ep.poll_event() {
            match ev {
                Event::Response { response, .. } | Event::StrayResponse { response, .. } => {
                    let method = response
                        .headers
                        .cseq()
                        .map(|c| c.method)
                        .unwrap_or(Method::Other("?".into()));
                    if method == Method::Invite && response.is_success() {
                        self.ack(&response);
                    }
                    self.responses.push((response.status, method));
                }
                Event::Request { tx, request, .. } => {
                    self.requests.push(request.method.clone());
                    let resp = Response::to_request(&request, 200, None);
                    let _ = self.ep.respond(tx, resp, now);
                }
                Event::Timeout { tx } => self.timeouts.push(tx),
                _ => {}
            }
        }
    }

    pub(crate) fn count(&self, status: u16, method: &Method) -> usize {
        self.responses
            .iter()
            .filter(|(s, m)| *s == status && m == method)
            .count()
    }
}

/// The simulated pair.
pub(crate) struct Pair {
    pub(crate) now: u64,
    pub(crate) uac: Uac,
    pub(crate) uas: UserAgent,
    pub(crate) uas_events: Vec<UaEvent>,
    pub(crate) net: VecDeque<Packet>,
    /// Every datagram either side sent, before the network's fate.
    pub(crate) sent: Vec<Packet>,
    pub(crate) filter: Filter,
}

impl Pair {
    pub(crate) fn new() -> Pair {
        let timers = Timers::default();
        let local = LocalAddr {
            host: "192.0.2.2".into(),
            port: 5060,
            transport: Transport::Udp,
        };
        Pair {
            now: 0,
            uac: Uac::new(timers),
            uas: UserAgent::new(UaConfig {
                local,
                timers,
                seed: 42,
            }),
            uas_events: Vec::new(),
            net: VecDeque::new(),
            sent: Vec::new(),
            filter: Box::new(|_| Fate::Deliver),
        }
    }

    /// Collects transmits into the network, applying the filter.
    fn flush(&mut self) {
        let mut out = Vec::new();
        while let Some(t) = self.uac.ep.poll_transmit() {
            out.push(Packet {
                at: self.now + LATENCY,
                from: addr(UAC_ADDR),
                to: t.to,
                bytes: t.bytes,
            });
        }
        while let Some(t) = self.uas.poll_transmit() {
            out.push(Packet {
                at: self.now + LATENCY,
                from: addr(UAS_ADDR),
                to: t.to,
                bytes: t.bytes,
            });
        }
        for p in out {
            self.sent.push(p.clone());
            match (self.filter)(&p) {
                Fate::Deliver => self.net.push_back(p),
                Fate::Drop => {}
                Fate::Duplicate => {
                    self.net.push_back(p.clone());
                    self.net.push_back(Packet { at: p.at + 1, ..p });
                }
                Fate::Delay(d) => self.net.push_back(Packet { at: p.at + d, ..p }),
            }
        }
        while let Some(e) = self.uas.poll_event() {
            self.uas_events.push(e);
        }
    }

    /// Advances to the next packet or timer; returns false when nothing is left before `until`.
    pub(crate) fn step(&mut self, until: u64) -> bool {
        self.uac.process(self.now);
        self.flush();
        let next_packet = self.net.iter().map(|p| p.at).min();
        let next = [
            next_packet,
            self.uac.ep.poll_timeout(),
            self.uas.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next.filter(|t| *t <= until) else {
            return false;
        };
        self.now = self.now.max(next);
        let (due, rest): (Vec<Packet>, Vec<Packet>) =
            self.net.drain(..).partition(|p| p.at <= self.now);
        self.net = rest.into();
        for p in due {
            if p.to == addr(UAS_ADDR) {
                self.uas.handle_datagram(&p.bytes, p.from, self.now);
            } else {
                self.uac.ep.handle_datagram(&p.bytes, p.from, self.now);
            }
        }
        self.uac.ep.handle_timeout(self.now);
        self.uas.handle_timeout(self.now);
        self.uac.process(self.now);
        self.flush();
        true
    }

    /// Runs until the virtual clock would pass `now + ms` or nothing is left to do.
    pub(crate) fn run(&mut self, ms: u64) {
        let until = self.now + ms;
        while self.step(until) {}
        self.now = self.now.max(until);
    }

    /// Runs until `done` holds (checked after every step), at most `ms`.
    pub(crate) fn run_until(&mut self, ms: u64, done: impl Fn(&Pair) -> bool) -> bool {
        let until = self.now + ms;
        while !done(self) {
            if !self.step(until) {
                return done(self);
            }
        }
        true
    }

    pub(crate) fn count_sent(&self, pred: impl Fn(&Packet) -> bool) -> usize {
        self.sent.iter().filter(|p| pred(p)).count()
    }

    /// The call id of the first Incoming event.
    pub(crate) fn incoming(&self) -> Option<sip_proto::call::CallId> {
        self.uas_events.iter().find_map(|e| match e {
            UaEvent::Incoming(i) => Some(i.call),
            _ => None,
        })
    }

    pub(crate) fn has_event(&self, pred: impl Fn(&UaEvent) -> bool) -> bool {
        self.uas_events.iter().any(pred)
    }
}

/// Drops the first `n` packets matching `pred`.
pub(crate) fn drop_first(n: usize, pred: impl Fn(&Packet) -> bool + 'static) -> Filter {
    let mut left = n;
    Box::new(move |p| {
        if left > 0 && pred(p) {
            left -= 1;
            Fate::Drop
        } else {
            Fate::Deliver
        }
    })
}
