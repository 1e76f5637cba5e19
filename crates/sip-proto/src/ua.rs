//! The user agent: an [`Endpoint`] plus the calls it carries, with the same run loop
//! (`handle_datagram`, `handle_timeout`, `poll_transmit`, `poll_event`, `poll_timeout`) and the
//! commands a call shell issues (`ring`, `answer`, `reject`, `hangup`). Calls arrive here (the
//! UAS side); calls we place (`invite`, the UAC side) live in [`crate::outgoing`], and the
//! REGISTER requests we answer as a registrar in [`crate::registrar`]. Random tags and branches
//! come from a caller-supplied seed, so runs are reproducible.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

use crate::call::{
    Call, CallId, CallState, HangupReason, IncomingCall, Pending2xx, UaEvent, parse_info_dtmf,
};
use crate::dialog::{Dialog, LocalAddr};
use crate::endpoint::{Endpoint, EndpointError, Event, TransactionId, Transmit};
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::register::{Outcome, Registration, RegistrationConfig, RegistrationId};
use crate::registrar::{ContactBinding, RegisterAnswer, RegisterRequest};
use crate::scan::Param;
use crate::sdp::{self, Answer, LocalMedia, SdpError, SessionDescription};
use crate::transaction::Timers;
use crate::typed::{MAGIC_COOKIE, Transport};
use crate::uri::Uri;

/// Methods we handle, for Allow headers.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, REGISTER";

/// Settings of a user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaConfig {
    pub local: LocalAddr,
    pub timers: Timers,
    /// Seeds the generator of tags and branches.
    pub seed: u64,
}

/// Errors of the shell's commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("no such call")]
    UnknownCall,
    #[error("no such registration")]
    UnknownRegistration,
    #[error("the call's target or address of record cannot be written in a header")]
    InvalidTarget,
    #[error("the call is in state {0:?}, which does not allow this")]
    InvalidState(CallState),
    /// The offer could not be answered; 488 (or 400) was sent and the call ended.
    #[error(transparent)]
    Sdp(#[from] SdpError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
}

/// A user agent server carrying many calls.
#[derive(Debug)]
pub struct UserAgent {
    pub(crate) config: UaConfig,
    pub(crate) endpoint: Endpoint,
    rng: u64,
    pub(crate) next_call: u64,
    pub(crate) calls: BTreeMap<CallId, Call>,
    pub(crate) by_dialog: HashMap<(String, String), CallId>,
    pub(crate) events: VecDeque<UaEvent>,
    registrations: BTreeMap<RegistrationId, Registration>,
    next_registration: u64,
    /// Where we take SIP over TLS, when the shell listens for it.
    tls_port: Option<u16>,
}

impl UserAgent {
    pub fn new(config: UaConfig) -> UserAgent {
        UserAgent {
            tls_port: None,
            endpoint: Endpoint::new(config.timers),
            rng: config.seed,
            config,
            next_call: 0,
            calls: BTreeMap::new(),
            by_dialog: HashMap::new(),
            events: VecDeque::new(),
            registrations: BTreeMap::new(),
            next_registration: 0,
        }
    }

    /// The shell also takes SIP over TLS on `port` (same host): calls over TLS get a Via and
    /// Contact naming it, so the peer's in-dialog requests come back over TLS.
    pub fn set_tls_port(&mut self, port: u16) {
        self.tls_port = Some(port);
    }

    /// Our address as written into messages of a call over `transport`: the TLS listener for
    /// TLS, the configured address otherwise.
    pub(crate) fn local_for(&self, transport: &Transport) -> LocalAddr {
        match (transport, self.tls_port) {
            (Transport::Tls, Some(port)) => LocalAddr {
                host: self.config.local.host.clone(),
                port,
                transport: Transport::Tls,
            },
            _ => self.config.local.clone(),
        }
    }

    /// The transaction layer, for statistics such as dropped datagrams.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn call_state(&self, call: CallId) -> Option<CallState> {
        self.calls.get(&call).map(|c| c.state)
    }

    /// A random token (splitmix64) for tags and branches.
    pub(crate) fn token(&mut self) -> String {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        format!("{:016x}", z ^ (z >> 31))
    }

    pub fn handle_datagram(&mut self, bytes: &[u8], source: SocketAddr, now: u64) {
        self.endpoint.handle_datagram(bytes, source, now);
        self.process(now);
    }

    pub fn handle_message(
        &mut self,
        msg: Message,
        source: SocketAddr,
        transport: Transport,
        now: u64,
    ) {
        self.endpoint.handle_message(msg, source, transport, now);
        self.process(now);
    }

    /// The shell could not open a connection to `dest` over `transport`: what was on its way
    /// there fails now (a call placed gets 503, a registration is retried later).
    pub fn handle_unreachable(&mut self, dest: SocketAddr, transport: &Transport, now: u64) {
        self.endpoint.handle_unreachable(dest, transport);
        self.process(now);
    }

    pub fn handle_timeout(&mut self, now: u64) {
        self.endpoint.handle_timeout(now);
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.pending.as_ref().is_some_and(|p| p.next <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.retransmit_2xx(id, now);
        }
        let refresh: Vec<RegistrationId> = self
            .registrations
            .iter()
            .filter(|(_, r)| r.tx.is_none() && r.refresh_at.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in refresh {
            self.send_register(id, now);
        }
        self.process(now);
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.endpoint.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let calls = self
            .calls
            .values()
            .filter_map(|c| c.pending.as_ref().map(|p| p.next));
        let refresh = self
            .registrations
            .values()
            .filter(|r| r.tx.is_none())
            .filter_map(|r| r.refresh_at);
        calls
            .chain(refresh)
            .chain(self.endpoint.poll_timeout())
            .min()
    }

    fn retransmit_2xx(&mut self, id: CallId, now: u64) {
        let t2 = self.config.timers.t2;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(p) = call.pending.as_mut() else {
            return;
        };
        if p.give_up <= now {
            let initial = p.tx == call.invite_tx;
            call.pending = None;
            if initial {
                call.state = CallState::Confirmed;
                self.send_bye(id, now);
                if let Some(call) = self.calls.get_mut(&id) {
                    call.state = CallState::Terminating;
                }
                self.finish(id, HangupReason::AckTimeout);
            }
            return;
        }
        let (tx, response) = (p.tx, p.response.clone());
        p.interval = (p.interval * 2).min(t2);
        p.next = now + p.interval;
        let (peer, transport) = (call.peer, call.transport.clone());
        if self.endpoint.respond(tx, response.clone(), now).is_err() {
            self.endpoint
                .send_stateless(&Message::Response(response), peer, transport);
        }
    }

    fn process(&mut self, now: u64) {
        while let Some(event) = self.endpoint.poll_event() {
            match event {
                Event::Request {
                    tx,
                    request,
                    source,
                } => self.on_request(tx, request, source, now),
                Event::Ack { request, .. } => self.on_ack(&request, now),
                Event::Cancelled { invite_tx } => self.on_cancel(invite_tx, now),
                Event::Response { tx, response } if self.registration_of(tx).is_some() => {
                    self.on_register_response(tx, &response, now)
                }
                Event::Timeout { tx } | Event::TransportError { tx }
                    if self.registration_of(tx).is_some() =>
                {
                    self.on_register_failure(tx, now)
                }
                Event::Response { tx, response } if self.outgoing_of(tx).is_some() => {
                    self.on_invite_response(tx, response, now)
                }
                Event::Timeout { tx } if self.outgoing_of(tx).is_some() => {
                    self.on_invite_failure(tx, 408)
                }
                Event::TransportError { tx } if self.outgoing_of(tx).is_some() => {
                    self.on_invite_failure(tx, 503)
                }
                Event::StrayResponse { response, .. } => self.on_stray_response(&response),
                Event::Response { tx, response } if self.refer_of(tx).is_some() => {
                    self.on_refer_done(tx, response.status)
                }
                Event::Timeout { tx } | Event::TransportError { tx }
                    if self.refer_of(tx).is_some() =>
                {
                    self.on_refer_done(tx, 408)
                }
                Event::Response { tx, response } if response.status >= 200 => self.on_bye_done(tx),
                Event::Timeout { tx } | Event::TransportError { tx } => self.on_bye_done(tx),
                Event::Response { .. } | Event::Dropped { .. } | Event::Rejected { .. } => {}
            }
        }
    }

    /// Starts registering; refreshes happen by themselves until [`UserAgent::unregister`].
    pub fn register(&mut self, config: RegistrationConfig, now: u64) -> RegistrationId {
        self.next_registration += 1;
        let id = RegistrationId(self.next_registration);
        let call_id = format!("{}@{}", self.token(), self.config.local.host);
        let tag = self.token();
        self.registrations
            .insert(id, Registration::new(config, call_id, tag));
        self.send_register(id, now);
        id
    }

    /// Removes the binding (REGISTER with Expires: 0); `Unregistered` follows.
    pub fn unregister(&mut self, id: RegistrationId, now: u64) -> Result<(), CallError> {
        let reg = self
            .registrations
            .get_mut(&id)
            .ok_or(CallError::UnknownRegistration)?;
        reg.set_unregister();
        if reg.tx.is_none() {
            self.send_register(id, now);
        }
        Ok(())
    }

    fn send_register(&mut self, id: RegistrationId, now: u64) {
        let branch = format!("{MAGIC_COOKIE}{}", self.token());
        let Some(transport) = self
            .registrations
            .get(&id)
            .map(|r| r.config.transport.clone())
        else {
            return;
        };
        let local = self.local_for(&transport);
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        let req = reg.request(&local, &branch);
        let server = reg.config.server;
        reg.refresh_at = None;
        match self
            .endpoint
            .send_request(req, server, local.transport, now)
        {
            Ok(tx) => reg.tx = Some(tx),
            Err(_) => {
                reg.fail(503, now);
            }
        }
    }

    fn registration_of(&self, tx: TransactionId) -> Option<RegistrationId> {
        self.registrations
            .iter()
            .find(|(_, r)| r.tx == Some(tx))
            .map(|(id, _)| *id)
    }

    fn on_register_response(&mut self, tx: TransactionId, resp: &Response, now: u64) {
        let cnonce = self.token();
        let Some(id) = self.registration_of(tx) else {
            return;
        };
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        let registration = id;
        match reg.on_response(resp, &cnonce, now) {
            Outcome::Resend => self.send_register(id, now),
            Outcome::Registered { expires } => self.events.push_back(UaEvent::Registered {
                registration,
                expires,
            }),
            Outcome::Unregistered => {
                self.registrations.remove(&id);
                self.events
                    .push_back(UaEvent::Unregistered { registration });
            }
            Outcome::Failed { status } => self.events.push_back(UaEvent::RegistrationFailed {
                registration,
                status,
            }),
            Outcome::Ignore => {}
        }
    }

    fn on_register_failure(&mut self, tx: TransactionId, now: u64) {
        let Some(id) = self.registration_of(tx) else {
            return;
        };
        if let Some(reg) = self.registrations.get_mut(&id) {
            reg.fail(408, now);
            self.events.push_back(UaEvent::RegistrationFailed {
                registration: id,
                status: 408,
            });
        }
    }

    pub(crate) fn reply(
        &mut self,
        tx: TransactionId,
        status: u16,
        now: u64,
        extra: &[(&str, &str)],
    ) {
        let tag = self.token();
        let Some(req) = self.endpoint.server_request(tx) else {
            return;
        };
        let mut resp = Response::to_request(req, status, Some(&tag));
        for (name, value) in extra {
            resp.headers.push(name, *value);
        }
        let _ = self.endpoint.respond(tx, resp, now);
    }

    fn find_call(&self, req: &Request) -> Option<CallId> {
        let tag = req.headers.to().ok()?.tag()?.to_owned();
        let id = *self
            .by_dialog
            .get(&(req.headers.call_id().ok()?.to_owned(), tag))?;
        self.calls
            .get(&id)
            .filter(|c| c.dialog.matches(req))
            .map(|_| id)
    }

    fn on_request(&mut self, tx: TransactionId, req: Request, source: SocketAddr, now: u64) {
        let has_tag = req.headers.to().is_ok_and(|t| t.tag().is_some());
        if has_tag {
            match self.find_call(&req) {
                Some(id) => self.in_dialog(id, tx, req, now),
                None if req.method == Method::Options => {
                    self.reply(tx, 200, now, &[("Allow", ALLOW)])
                }
                None => self.reply(tx, 481, now, &[]),
            }
            return;
        }
        match req.method {
            Method::Invite => self.on_invite(tx, req, source, now),
            Method::Options => self.reply(
                tx,
                200,
                now,
                &[("Allow", ALLOW), ("Accept", "application/sdp")],
            ),
            Method::Register => self.on_register_request(tx, &req, source, now),
            Method::Bye | Method::Info | Method::Refer => self.reply(tx, 481, now, &[]),
            Method::Other(_) => self.reply(tx, 501, now, &[("Allow", ALLOW)]),
            _ => self.reply(tx, 405, now, &[("Allow", ALLOW)]),
        }
    }

    fn on_invite(&mut self, tx: TransactionId, req: Request, source: SocketAddr, now: u64) {
        if !matches!(req.uri, Uri::Sip(_)) {
            return self.reply(tx, 416, now, &[]);
        }
        let unsupported: Vec<&str> = req
            .headers
            .require()
            .into_iter()
            .filter(|r| *r != "timer")
            .collect();
        if !unsupported.is_empty() {
            let list = unsupported.join(", ");
            return self.reply(tx, 420, now, &[("Unsupported", &list)]);
        }
        let offer = match req.headers.content_type() {
            None if req.body.is_empty() => None,
            Some(ct) if ct == "application/sdp" => match SessionDescription::parse(&req.body) {
                Ok(sdp) => Some(sdp),
                Err(_) => return self.reply(tx, 400, now, &[]),
            },
            _ => return self.reply(tx, 415, now, &[("Accept", "application/sdp")]),
        };
        let tag = self.token();
        let Ok(dialog) = Dialog::uas(&req, &tag) else {
            return self.reply(tx, 400, now, &[]);
        };
        self.next_call += 1;
        let id = CallId(self.next_call);
        let authorization = req.headers.authorization().ok().flatten();
        let (Ok(from), Ok(to)) = (req.headers.from(), req.headers.to()) else {
            return;
        };
        let transport = req
            .headers
            .top_via()
            .map(|v| v.transport)
            .unwrap_or(Transport::Udp);
        self.by_dialog.insert((dialog.call_id.clone(), tag), id);
        let call = Call {
            dialog,
            state: CallState::Incoming,
            invite_tx: tx,
            peer: source,
            transport,
            offer: offer.clone(),
            local_media: None,
            secured: false,
            pending: None,
            bye_tx: None,
            refer_tx: None,
            hangup_after_ack: false,
            outgoing: None,
        };
        self.calls.insert(id, call);
        self.events
            .push_back(UaEvent::Incoming(Box::new(IncomingCall {
                call: id,
                request_uri: req.uri,
                from,
                to,
                offer,
                source,
                authorization,
            })));
    }

    fn in_dialog(&mut self, id: CallId, tx: TransactionId, req: Request, now: u64) {
        let Ok(cseq) = req.headers.cseq() else { return };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !call.dialog.accept_remote_seq(cseq.seq) {
            return self.reply(tx, 500, now, &[]);
        }
        match req.method {
            Method::Bye => {
                self.reply(tx, 200, now, &[]);
                self.finish(id, HangupReason::RemoteBye);
            }
            Method::Invite => self.on_reinvite(id, tx, &req, now),
            Method::Info => {
                let ct = req.headers.content_type().unwrap_or_default();
                match parse_info_dtmf(&ct, &req.body) {
                    Some(d) => {
                        self.reply(tx, 200, now, &[]);
                        self.events.push_back(UaEvent::Dtmf {
                            call: id,
                            digit: d.digit,
                            duration_ms: d.duration_ms,
                        });
                    }
                    None if req.body.is_empty() => self.reply(tx, 200, now, &[]),
                    None => self.reply(
                        tx,
                        415,
                        now,
                        &[("Accept", "application/dtmf-relay, application/dtmf")],
                    ),
                }
            }
            Method::Refer => match req.headers.get("Refer-To") {
                Some(target) => {
                    let refer_to = target.to_owned();
                    self.reply(tx, 202, now, &[]);
                    self.events
                        .push_back(UaEvent::Transfer { call: id, refer_to });
                }
                None => self.reply(tx, 400, now, &[]),
            },
            Method::Options => self.reply(tx, 200, now, &[("Allow", ALLOW)]),
            // Progress reports of a REFER we sent (RFC 3515 §2.4.4): acknowledged, not needed
            // for a blind transfer.
            Method::Notify => self.reply(tx, 200, now, &[]),
            Method::Other(_) => self.reply(tx, 501, now, &[("Allow", ALLOW)]),
            _ => self.reply(tx, 405, now, &[("Allow", ALLOW)]),
        }
    }

    fn on_reinvite(&mut self, id: CallId, tx: TransactionId, req: &Request, now: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state != CallState::Confirmed || call.pending.is_some() {
            return self.reply(tx, 491, now, &[]);
        }
        let Some(mut local) = call.local_media.clone() else {
            return self.reply(tx, 488, now, &[]);
        };
        // Media secured with SRTP stay secured: a re-INVITE that would end in plain RTP (an
        // offer without SRTP, or none, which we would answer with our plain offer) gets 488.
        let secured = call.secured;
        if secured && req.body.is_empty() {
            return self.reply(tx, 488, now, &[]);
        }
        local.session_version += 1;
        call.local_media = Some(local.clone());
        let (body, answer) = if req.body.is_empty() {
            (
                sdp::offer(&local, sdp::Direction::SendRecv).to_bytes(),
                None,
            )
        } else {
            match SessionDescription::parse(&req.body)
                .map_err(|_| 400)
                .and_then(|o| sdp::answer(&o, &local).map_err(|_| 488))
            {
                Ok(a) if secured && a.srtp.is_none() => return self.reply(tx, 488, now, &[]),
                Ok(a) => (a.sdp.to_bytes(), Some(a)),
                Err(status) => return self.reply(tx, status, now, &[]),
            }
        };
        self.send_2xx(id, tx, req, body, now);
        if let Some(answer) = answer {
            self.events
                .push_back(UaEvent::MediaUpdate { call: id, answer });
        }
    }

    fn send_2xx(&mut self, id: CallId, tx: TransactionId, req: &Request, body: Vec<u8>, now: u64) {
        let t1 = self.config.timers.t1;
        let Some(transport) = self.calls.get(&id).map(|c| c.transport.clone()) else {
            return;
        };
        let contact = self.local_for(&transport).contact();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut resp = Response::to_request(req, 200, Some(&call.dialog.local_tag));
        resp.headers.push("Contact", contact);
        resp.headers.push("Allow", ALLOW);
        resp.headers.push("Content-Type", "application/sdp");
        resp.body = body;
        let cseq = req.headers.cseq().map(|c| c.seq).unwrap_or_default();
        // RFC 3261 §13.3.1.4: the UAS core retransmits 2xx on every transport until the ACK.
        call.pending = Some(Pending2xx {
            tx,
            cseq,
            response: resp.clone(),
            next: now + t1,
            interval: t1,
            give_up: now + 64 * t1,
        });
        let _ = self.endpoint.respond(tx, resp, now);
    }

    fn on_ack(&mut self, ack: &Request, now: u64) {
        let Some(id) = self.find_call(ack) else {
            return;
        };
        let Ok(cseq) = ack.headers.cseq() else { return };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.pending.as_ref().is_none_or(|p| p.cseq != cseq.seq) {
            return;
        }
        call.pending = None;
        if call.state == CallState::Answered {
            call.state = CallState::Confirmed;
            self.events.push_back(UaEvent::Established { call: id });
            if call.hangup_after_ack {
                let _ = self.hangup(id, now);
            }
        }
    }

    fn on_cancel(&mut self, invite_tx: TransactionId, now: u64) {
        let Some((&id, _)) = self.calls.iter().find(|(_, c)| c.invite_tx == invite_tx) else {
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if matches!(call.state, CallState::Incoming | CallState::Ringing) {
            let tag = call.dialog.local_tag.clone();
            if let Some(req) = self.endpoint.server_request(invite_tx) {
                let resp = Response::to_request(req, 487, Some(&tag));
                let _ = self.endpoint.respond(invite_tx, resp, now);
            }
            self.remove(id);
            self.events.push_back(UaEvent::Cancelled { call: id });
        }
    }

    fn refer_of(&self, tx: TransactionId) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, c)| c.refer_tx == Some(tx))
            .map(|(id, _)| *id)
    }

    fn on_refer_done(&mut self, tx: TransactionId, status: u16) {
        if status < 200 {
            return;
        }
        let Some(id) = self.refer_of(tx) else { return };
        if let Some(call) = self.calls.get_mut(&id) {
            call.refer_tx = None;
        }
        self.events.push_back(if (200..300).contains(&status) {
            UaEvent::TransferAccepted { call: id }
        } else {
            UaEvent::TransferFailed { call: id, status }
        });
    }

    fn on_bye_done(&mut self, tx: TransactionId) {
        let found = self
            .calls
            .iter()
            .find(|(_, c)| c.bye_tx == Some(tx))
            .map(|(id, _)| *id);
        if let Some(id) = found {
            self.finish(id, HangupReason::LocalBye);
        }
    }

    pub(crate) fn finish(&mut self, id: CallId, reason: HangupReason) {
        if self.remove(id) {
            self.events.push_back(UaEvent::Hangup { call: id, reason });
        }
    }

    pub(crate) fn remove(&mut self, id: CallId) -> bool {
        match self.calls.remove(&id) {
            Some(call) => {
                self.by_dialog
                    .remove(&(call.dialog.call_id, call.dialog.local_tag));
                true
            }
            None => false,
        }
    }

    fn early_call(&mut self, id: CallId) -> Result<&mut Call, CallError> {
        let call = self.calls.get_mut(&id).ok_or(CallError::UnknownCall)?;
        match call.state {
            CallState::Incoming | CallState::Ringing => Ok(call),
            s => Err(CallError::InvalidState(s)),
        }
    }

    /// Sends 180 Ringing.
    pub fn ring(&mut self, id: CallId, now: u64) -> Result<(), CallError> {
        let call = self.early_call(id)?;
        call.state = CallState::Ringing;
        let (tx, tag) = (call.invite_tx, call.dialog.local_tag.clone());
        let transport = call.transport.clone();
        let contact = self.local_for(&transport).contact();
        let req = self
            .endpoint
            .server_request(tx)
            .ok_or(CallError::UnknownCall)?;
        let mut resp = Response::to_request(req, 180, Some(&tag));
        resp.headers.push("Contact", contact);
        self.endpoint.respond(tx, resp, now)?;
        Ok(())
    }

    /// Answers with 200 OK and our SDP; retransmits it until the ACK arrives. When the offer has
    /// no codec in common, answers 488, ends the call and returns the error.
    pub fn answer(
        &mut self,
        id: CallId,
        local: LocalMedia,
        now: u64,
    ) -> Result<Option<Answer>, CallError> {
        let call = self.early_call(id)?;
        let tx = call.invite_tx;
        let (body, answer) = match &call.offer {
            Some(offer) => match sdp::answer(offer, &local) {
                Ok(a) => (a.sdp.to_bytes(), Some(a)),
                Err(e) => {
                    let tag = call.dialog.local_tag.clone();
                    if let Some(req) = self.endpoint.server_request(tx) {
                        let _ = self.endpoint.respond(
                            tx,
                            Response::to_request(req, 488, Some(&tag)),
                            now,
                        );
                    }
                    self.remove(id);
                    return Err(e.into());
                }
            },
            None => (
                sdp::offer(&local, sdp::Direction::SendRecv).to_bytes(),
                None,
            ),
        };
        call.local_media = Some(local);
        call.secured = answer.as_ref().is_some_and(|a| a.srtp.is_some());
        call.state = CallState::Answered;
        let req = self
            .endpoint
            .server_request(tx)
            .cloned()
            .ok_or(CallError::UnknownCall)?;
        self.send_2xx(id, tx, &req, body, now);
        Ok(answer)
    }

    /// Rejects an unanswered call with 401 and a digest challenge for `nonce` (chosen and
    /// remembered by the caller); the caller's retry arrives as a new `Incoming` call.
    pub fn challenge(
        &mut self,
        id: CallId,
        realm: &str,
        nonce: &str,
        now: u64,
    ) -> Result<(), CallError> {
        let call = self.early_call(id)?;
        let (tx, tag) = (call.invite_tx, call.dialog.local_tag.clone());
        if let Some(req) = self.endpoint.server_request(tx) {
            let mut resp = Response::to_request(req, 401, Some(&tag));
            resp.headers.push(
                "WWW-Authenticate",
                crate::auth::challenge(realm, nonce, None).to_string(),
            );
            self.endpoint.respond(tx, resp, now)?;
        }
        self.remove(id);
        Ok(())
    }

    /// Rejects an unanswered call with a final status (3xx–6xx).
    pub fn reject(&mut self, id: CallId, status: u16, now: u64) -> Result<(), CallError> {
        let call = self.early_call(id)?;
        let (tx, tag) = (call.invite_tx, call.dialog.local_tag.clone());
        if let Some(req) = self.endpoint.server_request(tx) {
            let resp = Response::to_request(req, status.max(300), Some(&tag));
            self.endpoint.respond(tx, resp, now)?;
        }
        self.remove(id);
        Ok(())
    }

    /// Ends a call: rejects it with 480 before answer, sends BYE after (waiting for the ACK
    /// first when the 200 is still unacknowledged). A call we placed is cancelled while it
    /// rings ([`UserAgent::cancel`]).
    pub fn hangup(&mut self, id: CallId, now: u64) -> Result<(), CallError> {
        let call = self.calls.get_mut(&id).ok_or(CallError::UnknownCall)?;
        match call.state {
            CallState::Incoming | CallState::Ringing => self.reject(id, 480, now),
            CallState::Calling | CallState::Cancelling => self.cancel(id, now),
            CallState::Answered => {
                call.hangup_after_ack = true;
                Ok(())
            }
            CallState::Confirmed => {
                self.send_bye(id, now);
                if let Some(call) = self.calls.get_mut(&id) {
                    call.state = CallState::Terminating;
                }
                Ok(())
            }
            s => Err(CallError::InvalidState(s)),
        }
    }

    /// Asks the caller's side to call `target` instead (REFER, RFC 3515): a blind transfer.
    /// `TransferAccepted` or `TransferFailed` follows; after acceptance the shell hangs up.
    pub fn refer(&mut self, id: CallId, target: &str, now: u64) -> Result<(), CallError> {
        let call = self.calls.get(&id).ok_or(CallError::UnknownCall)?;
        if call.state != CallState::Confirmed || call.refer_tx.is_some() {
            return Err(CallError::InvalidState(call.state));
        }
        let transport = call.transport.clone();
        let branch = format!("{MAGIC_COOKIE}{}", self.token());
        let local = self.local_for(&transport);
        let call = self.calls.get_mut(&id).ok_or(CallError::UnknownCall)?;
        let mut refer = call.dialog.request(Method::Refer, &local, &branch);
        refer.headers.push("Refer-To", format!("<{target}>"));
        refer.headers.push("Referred-By", local.contact());
        let (peer, transport) = (call.peer, call.transport.clone());
        let tx = self.endpoint.send_request(refer, peer, transport, now)?;
        if let Some(call) = self.calls.get_mut(&id) {
            call.refer_tx = Some(tx);
        }
        Ok(())
    }

    pub(crate) fn send_bye(&mut self, id: CallId, now: u64) {
        let branch = format!("{MAGIC_COOKIE}{}", self.token());
        let Some(transport) = self.calls.get(&id).map(|c| c.transport.clone()) else {
            return;
        };
        let local = self.local_for(&transport);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let bye = call.dialog.request(Method::Bye, &local, &branch);
        let (peer, transport) = (call.peer, call.transport.clone());
        if let Ok(tx) = self.endpoint.send_request(bye, peer, transport, now) {
            call.bye_tx = Some(tx);
        }
    }
}

/// The registrar's side: REGISTER in as an event, the shell's answer out.
impl UserAgent {
    pub(crate) fn on_register_request(
        &mut self,
        tx: TransactionId,
        req: &Request,
        source: SocketAddr,
        now: u64,
    ) {
        let parsed = (|| {
            let aor = req.headers.to().ok()?.uri;
            let contacts = req.headers.contacts().ok()?.map(|list| {
                list.into_iter()
                    .map(|c| ContactBinding {
                        expires: c
                            .params
                            .value("expires")
                            .and_then(|e| e.trim().parse().ok()),
                        uri: c.uri,
                    })
                    .collect()
            });
            let expires = req.headers.expires().ok()?;
            let authorization = req.headers.authorization().ok()?;
            let transport = req.headers.top_via().ok()?.transport;
            Some(RegisterRequest {
                tx,
                aor,
                contacts,
                expires,
                authorization,
                source,
                transport,
            })
        })();
        match parsed {
            Some(request) => self.events.push_back(UaEvent::Register(Box::new(request))),
            None => self.reply(tx, 400, now, &[]),
        }
    }

    /// Answers a REGISTER handed out as [`UaEvent::Register`].
    pub fn answer_register(
        &mut self,
        tx: TransactionId,
        answer: RegisterAnswer,
        now: u64,
    ) -> Result<(), CallError> {
        let tag = self.token();
        let req = self
            .endpoint
            .server_request(tx)
            .ok_or(CallError::UnknownCall)?;
        let resp = match answer {
            RegisterAnswer::Challenge {
                realm,
                nonce,
                stale,
            } => {
                let mut challenge = crate::auth::challenge(&realm, &nonce, None);
                if stale {
                    challenge.params.0.push(Param {
                        name: "stale".to_owned(),
                        value: Some("true".to_owned()),
                        quoted: false,
                    });
                }
                let mut resp = Response::to_request(req, 401, Some(&tag));
                resp.headers.push("WWW-Authenticate", challenge.to_string());
                resp
            }
            RegisterAnswer::Bindings(bindings) => {
                let mut resp = Response::to_request(req, 200, Some(&tag));
                for (uri, expires) in bindings {
                    resp.headers
                        .push("Contact", format!("<{uri}>;expires={expires}"));
                }
                resp
            }
            RegisterAnswer::IntervalTooBrief { min_expires } => {
                let mut resp = Response::to_request(req, 423, Some(&tag));
                resp.headers.push("Min-Expires", min_expires.to_string());
                resp
            }
            RegisterAnswer::Refuse(status) => {
                Response::to_request(req, status.clamp(300, 699), Some(&tag))
            }
        };
        self.endpoint.respond(tx, resp, now)?;
        Ok(())
    }
}
