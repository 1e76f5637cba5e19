//! Client and server transactions (RFC 3261 §17, with the RFC 6026 Accepted state). Each is a
//! plain state machine: inputs are messages and `now`, outputs are actions that the
//! [`Endpoint`](crate::Endpoint) turns into transmits and events.

use crate::message::{Request, Response};
use crate::method::Method;

/// RFC 3261 timer base values in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Round-trip estimate (500 ms).
    pub t1: u64,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses (4 s).
    pub t2: u64,
    /// Longest time a message stays in the network (5 s).
    pub t4: u64,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: 500,
            t2: 4_000,
            t4: 5_000,
        }
    }
}

/// Transaction states across all four machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Calling,
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    /// RFC 6026: a 2xx to INVITE was sent or received; the TU handles retransmission and ACK.
    Accepted,
    Terminated,
}

/// What a transaction asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    Send(Vec<u8>),
    /// Hand a response to the transaction user.
    Deliver(Response),
    /// Client timer B/F, or server timer H (no ACK).
    Timeout,
}

/// A retransmission timer: next deadline and current interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retransmit {
    at: u64,
    interval: u64,
}

fn due(t: Option<u64>, now: u64) -> bool {
    t.is_some_and(|t| t <= now)
}

fn earliest(ts: &[Option<u64>]) -> Option<u64> {
    ts.iter().flatten().min().copied()
}

/// A client transaction: timers A/B/D for INVITE, E/F/K for others, M for Accepted.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    request: Request,
    bytes: Vec<u8>,
    reliable: bool,
    timers: Timers,
    state: State,
    retransmit: Option<Retransmit>,
    timeout: Option<u64>,
    end: Option<u64>,
    ack: Option<Vec<u8>>,
}

impl ClientTransaction {
    pub(crate) fn start(
        request: Request,
        reliable: bool,
        timers: Timers,
        now: u64,
        out: &mut Vec<Action>,
    ) -> Self {
        let bytes = request.to_bytes();
        out.push(Action::Send(bytes.clone()));
        let invite = request.method == Method::Invite;
        ClientTransaction {
            request,
            bytes,
            reliable,
            timers,
            state: if invite {
                State::Calling
            } else {
                State::Trying
            },
            retransmit: (!reliable).then_some(Retransmit {
                at: now + timers.t1,
                interval: timers.t1,
            }),
            timeout: Some(now + 64 * timers.t1),
            end: None,
            ack: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    fn is_invite(&self) -> bool {
        self.request.method == Method::Invite
    }

    pub(crate) fn on_response(&mut self, resp: Response, now: u64, out: &mut Vec<Action>) {
        let t = self.timers;
        match (self.is_invite(), self.state, resp.status) {
            (true, State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.retransmit = None;
                self.timeout = None;
                out.push(Action::Deliver(resp));
            }
            (true, State::Calling | State::Proceeding, 200..=299) => {
                self.enter(State::Accepted, Some(now + 64 * t.t1));
                out.push(Action::Deliver(resp));
            }
            (true, State::Calling | State::Proceeding, _) => {
                let ack = build_ack(&self.request, &resp).to_bytes();
                out.push(Action::Send(ack.clone()));
                self.ack = Some(ack);
                self.enter(
                    State::Completed,
                    Some(now + if self.reliable { 0 } else { 32_000 }),
                );
                out.push(Action::Deliver(resp));
            }
            (true, State::Completed, 300..) => out.extend(self.ack.clone().map(Action::Send)),
            (true, State::Accepted, 200..=299) => out.push(Action::Deliver(resp)),
            (false, State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                out.push(Action::Deliver(resp));
            }
            (false, State::Trying | State::Proceeding, _) => {
                self.enter(
                    State::Completed,
                    Some(now + if self.reliable { 0 } else { t.t4 }),
                );
                out.push(Action::Deliver(resp));
            }
            _ => {}
        }
    }

    fn enter(&mut self, state: State, end: Option<u64>) {
        self.state = state;
        self.retransmit = None;
        self.timeout = None;
        self.end = end;
    }

    pub(crate) fn next_deadline(&self) -> Option<u64> {
        earliest(&[self.retransmit.map(|r| r.at), self.timeout, self.end])
    }

    pub(crate) fn on_timeout(&mut self, now: u64, out: &mut Vec<Action>) {
        if due(self.timeout, now) {
            self.enter(State::Terminated, None);
            out.push(Action::Timeout);
            return;
        }
        if due(self.end, now) {
            self.enter(State::Terminated, None);
            return;
        }
        if let Some(r) = self.retransmit.filter(|r| r.at <= now) {
            out.push(Action::Send(self.bytes.clone()));
            let interval = match (self.is_invite(), self.state) {
                (true, _) => r.interval * 2,
                (false, State::Proceeding) => self.timers.t2,
                (false, _) => (r.interval * 2).min(self.timers.t2),
            };
            self.retransmit = Some(Retransmit {
                at: now + interval,
                interval,
            });
        }
    }

    pub(crate) fn terminate(&mut self) {
        self.enter(State::Terminated, None);
    }
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same Request-URI, Call-ID, From,
/// CSeq number and top Via as the INVITE, To from the response, Route copied.
pub fn build_ack(invite: &Request, resp: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    if let Some(via) = invite.headers.list("Via").first() {
        ack.headers.push("Via", *via);
    }
    ack.headers.push("Max-Forwards", "70");
    for name in ["From", "Call-ID"] {
        if let Some(v) = invite.headers.get(name) {
            ack.headers.push(name, v);
        }
    }
    if let Some(to) = resp.headers.get("To") {
        ack.headers.push("To", to);
    }
    if let Ok(cseq) = invite.headers.cseq() {
        ack.headers.push("CSeq", format!("{} ACK", cseq.seq));
    }
    for r in invite.headers.get_all("Route") {
        ack.headers.push("Route", r);
    }
    ack
}

/// A server transaction: timers G/H/I for INVITE, J for others, L for Accepted.
#[derive(Debug, Clone)]
pub struct ServerTransaction {
    request: Request,
    reliable: bool,
    timers: Timers,
    state: State,
    last_response: Option<Vec<u8>>,
    retransmit: Option<Retransmit>,
    timeout: Option<u64>,
    end: Option<u64>,
}

/// Why the transaction user's response was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RespondError {
    #[error("no such transaction")]
    UnknownTransaction,
    #[error("the transaction already sent a final response")]
    AlreadyFinal,
}

impl ServerTransaction {
    pub(crate) fn new(request: Request, reliable: bool, timers: Timers) -> Self {
        let invite = request.method == Method::Invite;
        ServerTransaction {
            request,
            reliable,
            timers,
            state: if invite {
                State::Proceeding
            } else {
                State::Trying
            },
            last_response: None,
            retransmit: None,
            timeout: None,
            end: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    fn is_invite(&self) -> bool {
        self.request.method == Method::Invite
    }

    /// A retransmitted request or, for INVITE, the ACK of a non-2xx final response. Returns the
    /// ACK when the TU should see it (ACK for a 2xx that reused the INVITE's branch).
    pub(crate) fn on_request(
        &mut self,
        req: Request,
        now: u64,
        out: &mut Vec<Action>,
    ) -> Option<Request> {
        let is_ack = req.method == Method::Ack;
        match (self.state, is_ack) {
            (State::Completed, true) if self.is_invite() => {
                self.state = State::Confirmed;
                self.retransmit = None;
                self.timeout = None;
                self.end = Some(now + if self.reliable { 0 } else { self.timers.t4 });
            }
            (State::Accepted, true) => return Some(req),
            (State::Proceeding | State::Completed, false) => {
                out.extend(self.last_response.clone().map(Action::Send))
            }
            _ => {}
        }
        None
    }

    pub(crate) fn respond(
        &mut self,
        resp: &Response,
        now: u64,
        out: &mut Vec<Action>,
    ) -> Result<(), RespondError> {
        let t = self.timers;
        let bytes = resp.to_bytes();
        match (self.is_invite(), self.state, resp.status) {
            (true, State::Proceeding, 100..=199)
            | (false, State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
            }
            (true, State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.end = Some(now + 64 * t.t1);
            }
            // RFC 6026: the TU's retransmissions of the 2xx go out through the Accepted state.
            (true, State::Accepted, 200..=299) => {}
            (true, State::Proceeding, _) => {
                self.state = State::Completed;
                self.retransmit = (!self.reliable).then_some(Retransmit {
                    at: now + t.t1,
                    interval: t.t1,
                });
                self.timeout = Some(now + 64 * t.t1);
            }
            (false, State::Trying | State::Proceeding, _) => {
                self.state = State::Completed;
                self.end = Some(now + if self.reliable { 0 } else { 64 * t.t1 });
            }
            _ => return Err(RespondError::AlreadyFinal),
        }
        out.push(Action::Send(bytes.clone()));
        self.last_response = Some(bytes);
        Ok(())
    }

    pub(crate) fn next_deadline(&self) -> Option<u64> {
        earliest(&[self.retransmit.map(|r| r.at), self.timeout, self.end])
    }

    pub(crate) fn on_timeout(&mut self, now: u64, out: &mut Vec<Action>) {
        if due(self.timeout, now) {
            self.terminate();
            out.push(Action::Timeout);
            return;
        }
        if due(self.end, now) {
            self.terminate();
            return;
        }
        if let Some(r) = self.retransmit.filter(|r| r.at <= now) {
            out.extend(self.last_response.clone().map(Action::Send));
            let interval = (r.interval * 2).min(self.timers.t2);
            self.retransmit = Some(Retransmit {
                at: now + interval,
                interval,
            });
        }
    }

    pub(crate) fn terminate(&mut self) {
        self.state = State::Terminated;
        self.retransmit = None;
        self.timeout = None;
        self.end = None;
    }
}

/// The CANCEL for a pending INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq
/// number and top Via (so the same branch) as the INVITE, Route copied.
pub fn build_cancel(invite: &Request) -> Request {
    let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
    if let Some(via) = invite.headers.list("Via").first() {
        cancel.headers.push("Via", *via);
    }
    cancel.headers.push("Max-Forwards", "70");
    for name in ["From", "To", "Call-ID"] {
        if let Some(v) = invite.headers.get(name) {
            cancel.headers.push(name, v);
        }
    }
    if let Ok(cseq) = invite.headers.cseq() {
        cancel.headers.push("CSeq", format!("{} CANCEL", cseq.seq));
    }
    for r in invite.headers.get_all("Route") {
        cancel.headers.push("Route", r);
    }
    cancel
}
