//! An ESME's session with one SMSC, without IO: bind as transceiver, send messages (split
//! into parts as needed) through a window of outstanding requests at a bounded rate, answer
//! the SMSC's `deliver_sm` and `enquire_link`, join long incoming messages, match delivery
//! receipts to the messages they report on (also when a receipt arrives before its
//! `submit_sm_resp`), keep the link alive, and back off when the SMSC throttles.
//!
//! Delivery is at least once: a part whose answer never came (a lost connection, a timeout)
//! is sent again, so nothing is lost; the SMSC may then see it twice. The same holds the other
//! way: the `deliver_sm` that completes a handset's message is answered only when the shell
//! [acknowledges](Session::acknowledge) it (after storing it), and with a temporary error when
//! the shell could not take it, so the SMSC delivers it again instead of it being lost.

use std::collections::{HashMap, VecDeque};

use crate::concat::{self, Joined, Method, Reassembler, SplitError};
use crate::pdu::{
    Address, Bind, Command, DecodeError, Framer, FramingLost, INTERFACE_VERSION, Pdu, Sm, SmResp,
    Status,
};
use crate::receipt::{self, DeliveryState};

/// How a session behaves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Who binds.
    pub system_id: String,
    /// The password (at most 8 characters).
    pub password: String,
    /// `system_type` (usually empty).
    pub system_type: String,
    /// Requests outstanding at once, at most.
    pub window: usize,
    /// Parts sent per second, at most (`None`: as fast as the window allows).
    pub max_per_second: Option<u32>,
    /// How long an answer may take.
    pub response_timeout_ms: u64,
    /// Idle time after which the link is checked with `enquire_link`.
    pub enquire_link_ms: u64,
    /// The first pause after a throttling answer; each further one doubles it.
    pub backoff_initial_ms: u64,
    /// The longest pause.
    pub backoff_max_ms: u64,
    /// How long to wait for the rest of a long incoming message.
    pub reassembly_timeout_ms: u64,
    /// How long a receipt waits for the `submit_sm_resp` that names its message.
    pub receipt_wait_ms: u64,
    /// How long messages are marked.
    pub concat: Method,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            system_id: String::new(),
            password: String::new(),
            system_type: String::new(),
            window: 10,
            max_per_second: None,
            response_timeout_ms: 30_000,
            enquire_link_ms: 30_000,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 60_000,
            reassembly_timeout_ms: 5 * 60_000,
            receipt_wait_ms: 60_000,
            concat: Method::Udh,
        }
    }
}

/// Names a message handed to [`Session::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageHandle(pub u64);

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The sender (a number, or alphanumeric up to 11 characters).
    pub from: String,
    /// The recipient's number.
    pub to: String,
    /// The text.
    pub text: String,
    /// Whether to ask for delivery receipts.
    pub receipt: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The bind was accepted.
    Bound {
        /// The SMSC's id.
        system_id: String,
    },
    /// The bind was refused (the shell reconnects later).
    BindRefused {
        /// Why.
        status: Status,
    },
    /// Every part of a message was accepted.
    Accepted {
        /// The message.
        handle: MessageHandle,
        /// The SMSC's id of each part.
        message_ids: Vec<String>,
    },
    /// A message was refused for good.
    Failed {
        /// The message.
        handle: MessageHandle,
        /// Why.
        status: Status,
    },
    /// The SMSC asked to slow down; sending pauses until `until`.
    Throttled {
        /// When sending goes on.
        until: u64,
    },
    /// A message from a handset, whole. `ack` is the answer the SMSC still waits for: give it
    /// to [`Session::acknowledge`] once the message is stored (`None`: already answered, as
    /// for a long message completed by its time limit).
    Received {
        /// The message.
        message: Joined,
        /// The pending answer to its last part.
        ack: Option<Ack>,
    },
    /// What became of a sent message.
    Receipt {
        /// The message, when known (`None`: a receipt for an id this session did not send, or
        /// whose answer never came).
        handle: Option<MessageHandle>,
        /// The SMSC's id of the part.
        message_id: String,
        /// Its state.
        state: DeliveryState,
        /// The network's error code, if given.
        error: Option<String>,
    },
    /// The session ended in order (an unbind).
    Unbound,
    /// The connection is of no more use (framing lost, the SMSC stopped answering): the shell
    /// closes it and reconnects; messages not yet accepted are sent again.
    ConnectionLost {
        /// Why.
        reason: &'static str,
    },
}

/// The answer to a handset's message the SMSC waits for (its last part's `deliver_sm_resp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ack {
    sequence: u32,
}

/// Why a message was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The text cannot be split (empty, or too long).
    #[error(transparent)]
    Split(#[from] SplitError),
    /// An address is not one SMPP can carry.
    #[error("{0} is not an address SMPP can carry")]
    BadAddress(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Binding,
    Bound,
    Unbinding,
}

#[derive(Debug, Clone)]
enum Request {
    Bind,
    Submit { handle: MessageHandle, part: usize },
    EnquireLink,
    Unbind,
}

#[derive(Debug, Clone)]
struct Outstanding {
    request: Request,
    deadline: u64,
}

#[derive(Debug, Clone)]
struct QueuedPart {
    handle: MessageHandle,
    part: usize,
    sm: Sm,
}

#[derive(Debug)]
struct Progress {
    ids: Vec<Option<String>>,
    parts: Vec<Sm>,
}

/// Receipts waiting for the answer that names their message, and ids known, at most.
const MAX_REMEMBERED: usize = 100_000;

/// One ESME session. See the module documentation.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    framer: Framer,
    next_sequence: u32,
    next_handle: u64,
    next_reference: u16,
    outstanding: HashMap<u32, Outstanding>,
    queue: VecDeque<QueuedPart>,
    progress: HashMap<MessageHandle, Progress>,
    by_message_id: HashMap<String, MessageHandle>,
    id_order: VecDeque<String>,
    early_receipts: Vec<(u64, receipt::Receipt)>,
    reassembler: Reassembler,
    paused_until: Option<u64>,
    backoff_ms: u64,
    sent_at: VecDeque<u64>,
    last_activity: u64,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
}

impl Session {
    /// A session, not connected yet.
    pub fn new(config: SessionConfig) -> Self {
        let reassembler = Reassembler::new(config.reassembly_timeout_ms);
        let backoff_ms = config.backoff_initial_ms;
        Self {
            config,
            state: State::Closed,
            framer: Framer::default(),
            next_sequence: 1,
            next_handle: 1,
            next_reference: 1,
            outstanding: HashMap::new(),
            queue: VecDeque::new(),
            progress: HashMap::new(),
            by_message_id: HashMap::new(),
            id_order: VecDeque::new(),
            early_receipts: Vec::new(),
            reassembler,
            paused_until: None,
            backoff_ms,
            sent_at: VecDeque::new(),
            last_activity: 0,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Whether the session is bound (messages flow).
    pub fn is_bound(&self) -> bool {
        self.state == State::Bound
    }

    /// Parts waiting to be sent or answered.
    pub fn backlog(&self) -> usize {
        self.queue.len()
            + self
                .outstanding
                .values()
                .filter(|o| matches!(o.request, Request::Submit { .. }))
                .count()
    }

    /// A new connection is open: bind as transceiver.
    pub fn connected(&mut self, now: u64) {
        self.framer = Framer::default();
        self.state = State::Binding;
        self.last_activity = now;
        let bind = Bind {
            system_id: self.config.system_id.clone(),
            password: self.config.password.clone(),
            system_type: self.config.system_type.clone(),
            interface_version: INTERFACE_VERSION,
            addr_ton: 0,
            addr_npi: 0,
            address_range: String::new(),
        };
        self.request(Command::BindTransceiver(bind), Request::Bind, now);
    }

    /// The connection closed: what was sent but not answered is sent again on the next one.
    pub fn disconnected(&mut self) {
        self.state = State::Closed;
        let mut resend: Vec<QueuedPart> = Vec::new();
        for (_, o) in self.outstanding.drain() {
            if let Request::Submit { handle, part } = o.request
                && let Some(p) = self.progress.get(&handle)
                && let Some(sm) = p.parts.get(part)
            {
                resend.push(QueuedPart {
                    handle,
                    part,
                    sm: sm.clone(),
                });
            }
        }
        resend.sort_by_key(|q| (q.handle, q.part));
        for q in resend.into_iter().rev() {
            self.queue.push_front(q);
        }
        self.transmit.clear();
    }

    /// Hands over a message; it is sent when the session is bound and the window allows.
    ///
    /// # Errors
    /// The text cannot be split, or an address is unusable.
    pub fn send(&mut self, message: &Outgoing, now: u64) -> Result<MessageHandle, SendError> {
        let reference = self.next_reference;
        self.next_reference = self.next_reference.wrapping_add(1).max(1);
        let parts = concat::split(&message.text, self.config.concat, reference)?;
        let source = source_address(&message.from).ok_or(SendError::BadAddress("from"))?;
        let dest = destination_address(&message.to).ok_or(SendError::BadAddress("to"))?;
        let handle = MessageHandle(self.next_handle);
        self.next_handle += 1;
        let sms: Vec<Sm> = parts
            .into_iter()
            .map(|p| Sm {
                source: source.clone(),
                dest: dest.clone(),
                esm_class: p.esm_class,
                registered_delivery: u8::from(message.receipt),
                data_coding: p.data_coding,
                short_message: p.short_message,
                tlvs: p.tlvs,
                ..Sm::default()
            })
            .collect();
        for (part, sm) in sms.iter().enumerate() {
            self.queue.push_back(QueuedPart {
                handle,
                part,
                sm: sm.clone(),
            });
        }
        self.progress.insert(
            handle,
            Progress {
                ids: vec![None; sms.len()],
                parts: sms,
            },
        );
        self.pump(now);
        Ok(handle)
    }

    /// Ends the session in order.
    pub fn unbind(&mut self, now: u64) {
        if matches!(self.state, State::Bound | State::Binding) {
            self.state = State::Unbinding;
            self.request(Command::Unbind, Request::Unbind, now);
        }
    }

    /// Bytes received from the SMSC.
    pub fn handle_bytes(&mut self, bytes: &[u8], now: u64) {
        self.framer.push(bytes);
        loop {
            match self.framer.next_frame() {
                Ok(Some(frame)) => {
                    self.last_activity = now;
                    match Pdu::decode(&frame) {
                        Ok(pdu) => self.handle_pdu(pdu, now),
                        Err(e) => self.nack(&e),
                    }
                }
                Ok(None) => break,
                Err(FramingLost { .. }) => {
                    self.respond(Command::GenericNack, Status::INVALID_COMMAND_LENGTH, 0);
                    self.events.push_back(Event::ConnectionLost {
                        reason: "the SMSC sent an impossible PDU length",
                    });
                    self.framer = Framer::default();
                    return;
                }
            }
        }
        self.pump(now);
    }

    /// Time passed: answers that did not come, keep-alive, pauses ending, receipts and long
    /// messages waited for too long.
    pub fn handle_timeout(&mut self, now: u64) {
        let late: Vec<u32> = self
            .outstanding
            .iter()
            .filter(|(_, o)| o.deadline <= now)
            .map(|(&s, _)| s)
            .collect();
        for sequence in late {
            let Some(o) = self.outstanding.remove(&sequence) else {
                continue;
            };
            match o.request {
                Request::Bind => {
                    self.state = State::Closed;
                    self.events.push_back(Event::ConnectionLost {
                        reason: "the SMSC did not answer the bind",
                    });
                }
                Request::EnquireLink => {
                    self.events.push_back(Event::ConnectionLost {
                        reason: "the SMSC did not answer enquire_link",
                    });
                }
                Request::Unbind => {
                    self.state = State::Closed;
                    self.events.push_back(Event::Unbound);
                }
                Request::Submit { handle, part } => {
                    // No answer: sent again after a pause (at least once).
                    if let Some(sm) = self.progress.get(&handle).and_then(|p| p.parts.get(part)) {
                        self.queue.push_front(QueuedPart {
                            handle,
                            part,
                            sm: sm.clone(),
                        });
                    }
                    self.pause(now);
                }
            }
        }
        if self.state == State::Bound
            && now >= self.last_activity + self.config.enquire_link_ms
            && !self
                .outstanding
                .values()
                .any(|o| matches!(o.request, Request::EnquireLink))
        {
            self.request(Command::EnquireLink, Request::EnquireLink, now);
        }
        if self.paused_until.is_some_and(|t| t <= now) {
            self.paused_until = None;
        }
        let wait = self.config.receipt_wait_ms;
        let (late, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.early_receipts)
            .into_iter()
            .partition(|(at, _)| now >= at + wait);
        self.early_receipts = keep;
        for (_, r) in late {
            self.events.push_back(Event::Receipt {
                handle: None,
                message_id: r.message_id,
                state: r.state,
                error: r.error,
            });
        }
        for joined in self.reassembler.expire(now) {
            self.events.push_back(Event::Received {
                message: joined,
                ack: None,
            });
        }
        self.pump(now);
    }

    /// Bytes to send to the SMSC, in order.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<u64> {
        let mut next: Option<u64> = None;
        let mut at = |t: u64| next = Some(next.map_or(t, |n| n.min(t)));
        for o in self.outstanding.values() {
            at(o.deadline);
        }
        if self.state == State::Bound {
            at(self.last_activity + self.config.enquire_link_ms);
            if !self.queue.is_empty() {
                if let Some(t) = self.paused_until {
                    at(t);
                }
                if let (Some(max), Some(&first)) =
                    (self.config.max_per_second, self.sent_at.front())
                    && self.sent_at.len() >= max as usize
                {
                    at(first + 1000);
                }
            }
        }
        for (t, _) in &self.early_receipts {
            at(t + self.config.receipt_wait_ms);
        }
        if let Some(t) = self.reassembler.next_deadline() {
            at(t);
        }
        next
    }

    fn sequence(&mut self) -> u32 {
        let s = self.next_sequence;
        // Sequence numbers run 1..=0x7FFF_FFFF.
        self.next_sequence = if s >= 0x7FFF_FFFF { 1 } else { s + 1 };
        s
    }

    fn write(&mut self, pdu: &Pdu) {
        // Our own PDUs are built within SMPP's limits; one that is not is dropped, never sent
        // half-formed.
        if let Ok(bytes) = pdu.encode() {
            self.transmit.push_back(bytes);
        }
    }

    fn request(&mut self, command: Command, request: Request, now: u64) -> u32 {
        let sequence = self.sequence();
        self.write(&Pdu::request(command, sequence));
        self.outstanding.insert(
            sequence,
            Outstanding {
                request,
                deadline: now + self.config.response_timeout_ms,
            },
        );
        self.last_activity = now;
        sequence
    }

    fn respond(&mut self, command: Command, status: Status, sequence: u32) {
        self.write(&Pdu {
            command,
            status,
            sequence,
        });
    }

    fn nack(&mut self, e: &DecodeError) {
        self.respond(Command::GenericNack, e.status, e.sequence);
    }

    fn pause(&mut self, now: u64) {
        let until = now + self.backoff_ms;
        self.paused_until = Some(until);
        self.backoff_ms = (self.backoff_ms * 2).min(self.config.backoff_max_ms);
        self.events.push_back(Event::Throttled { until });
    }

    /// Sends queued parts while the window, the rate and any pause allow.
    fn pump(&mut self, now: u64) {
        if self.state != State::Bound || self.paused_until.is_some_and(|t| t > now) {
            return;
        }
        while let Some(&first) = self.sent_at.front() {
            if first + 1000 <= now {
                self.sent_at.pop_front();
            } else {
                break;
            }
        }
        loop {
            let in_flight = self
                .outstanding
                .values()
                .filter(|o| matches!(o.request, Request::Submit { .. }))
                .count();
            if in_flight >= self.config.window.max(1) {
                return;
            }
            if let Some(max) = self.config.max_per_second
                && self.sent_at.len() >= max as usize
            {
                return;
            }
            let Some(next) = self.queue.pop_front() else {
                return;
            };
            self.sent_at.push_back(now);
            self.request(
                Command::SubmitSm(next.sm),
                Request::Submit {
                    handle: next.handle,
                    part: next.part,
                },
                now,
            );
        }
    }

    fn handle_pdu(&mut self, pdu: Pdu, now: u64) {
        let Pdu {
            command,
            status,
            sequence,
        } = pdu;
        if command.is_response() {
            let Some(o) = self.outstanding.remove(&sequence) else {
                // An answer to nothing we asked: ignored (a nack would start a loop).
                return;
            };
            self.answered(o.request, command, status, now);
            return;
        }
        match command {
            Command::DeliverSm(sm) => self.delivered(&sm, sequence, now),
            Command::EnquireLink => self.respond(Command::EnquireLinkResp, Status::OK, sequence),
            Command::Unbind => {
                self.respond(Command::UnbindResp, Status::OK, sequence);
                self.state = State::Closed;
                self.events.push_back(Event::Unbound);
            }
            // An ESME is not asked to bind or to take submissions.
            _ => self.respond(Command::GenericNack, Status::INVALID_COMMAND_ID, sequence),
        }
    }

    fn answered(&mut self, request: Request, command: Command, status: Status, now: u64) {
        match request {
            Request::Bind => match command {
                Command::BindTransceiverResp(r) if status == Status::OK => {
                    self.state = State::Bound;
                    self.backoff_ms = self.config.backoff_initial_ms;
                    self.events.push_back(Event::Bound {
                        system_id: r.system_id,
                    });
                }
                _ => {
                    self.state = State::Closed;
                    let status = if status == Status::OK {
                        Status::BIND_FAILED
                    } else {
                        status
                    };
                    self.events.push_back(Event::BindRefused { status });
                }
            },
            Request::EnquireLink => {}
            Request::Unbind => {
                self.state = State::Closed;
                self.events.push_back(Event::Unbound);
            }
            Request::Submit { handle, part } => {
                let id = match command {
                    Command::SubmitSmResp(r) if status == Status::OK => r.message_id,
                    _ if status.is_transient() => {
                        if let Some(sm) = self.progress.get(&handle).and_then(|p| p.parts.get(part))
                        {
                            self.queue.push_front(QueuedPart {
                                handle,
                                part,
                                sm: sm.clone(),
                            });
                        }
                        self.pause(now);
                        return;
                    }
                    _ => {
                        // Refused for good: the message's other parts are not sent either.
                        self.queue.retain(|q| q.handle != handle);
                        if self.progress.remove(&handle).is_some() {
                            let status = if status == Status::OK {
                                Status::SYSTEM_ERROR
                            } else {
                                status
                            };
                            self.events.push_back(Event::Failed { handle, status });
                        }
                        return;
                    }
                };
                self.backoff_ms = self.config.backoff_initial_ms;
                self.remember(&id, handle);
                let done = match self.progress.get_mut(&handle) {
                    Some(p) => {
                        if let Some(slot) = p.ids.get_mut(part) {
                            *slot = Some(id.clone());
                        }
                        p.ids.iter().all(Option::is_some)
                    }
                    None => false,
                };
                if done && let Some(p) = self.progress.remove(&handle) {
                    self.events.push_back(Event::Accepted {
                        handle,
                        message_ids: p.ids.into_iter().flatten().collect(),
                    });
                }
                // A receipt that came first goes out now, after the acceptance.
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.early_receipts)
                    .into_iter()
                    .partition(|(_, r)| r.message_id == id);
                self.early_receipts = rest;
                for (_, r) in mine {
                    self.events.push_back(Event::Receipt {
                        handle: Some(handle),
                        message_id: r.message_id,
                        state: r.state,
                        error: r.error,
                    });
                }
            }
        }
    }

    fn remember(&mut self, id: &str, handle: MessageHandle) {
        if id.is_empty() {
            return;
        }
        self.by_message_id.insert(id.to_owned(), handle);
        self.id_order.push_back(id.to_owned());
        while self.id_order.len() > MAX_REMEMBERED {
            if let Some(old) = self.id_order.pop_front() {
                self.by_message_id.remove(&old);
            }
        }
    }

    /// Answers the SMSC for a handset's message: [`Status::OK`] once it is stored;
    /// [`Status::TEMPORARY_APP_ERROR`] when it could not be stored now (the SMSC delivers it
    /// again later); a permanent status (such as [`Status::INVALID_DESTINATION_ADDRESS`]) when
    /// it never will be.
    pub fn acknowledge(&mut self, ack: Ack, status: Status) {
        self.respond(
            Command::DeliverSmResp(SmResp::default()),
            status,
            ack.sequence,
        );
    }

    fn delivered(&mut self, sm: &Sm, sequence: u32, now: u64) {
        let ok = |s: &mut Self| {
            s.respond(
                Command::DeliverSmResp(SmResp::default()),
                Status::OK,
                sequence,
            );
        };
        if receipt::is_receipt(sm) {
            ok(self);
            let Some(r) = receipt::parse(sm) else {
                return;
            };
            match self.by_message_id.get(&r.message_id) {
                Some(&handle) => self.events.push_back(Event::Receipt {
                    handle: Some(handle),
                    message_id: r.message_id,
                    state: r.state,
                    error: r.error,
                }),
                None => {
                    if self.early_receipts.len() >= MAX_REMEMBERED {
                        self.early_receipts.remove(0);
                    }
                    self.early_receipts.push((now, r));
                }
            }
            return;
        }
        // A part that leaves the message incomplete is answered at once (an SMSC may wait for
        // it before sending the next); the one that completes it waits for the shell.
        match self.reassembler.push(sm, now) {
            Some(joined) => self.events.push_back(Event::Received {
                message: joined,
                ack: Some(Ack { sequence }),
            }),
            None => ok(self),
        }
    }
}

/// The sender's address: international for `+` and digits, alphanumeric (TON 5) for up to 11
/// letters and digits.
fn source_address(from: &str) -> Option<Address> {
    if let Some(digits) = from.strip_prefix('+')
        && !digits.is_empty()
        && digits.len() <= 20
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(Address::international(from));
    }
    if !from.is_empty() && from.len() <= 20 && from.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Address {
            ton: 0,
            npi: 1,
            addr: from.to_owned(),
        });
    }
    if !from.is_empty() && from.chars().count() <= 11 && from.is_ascii() {
        return Some(Address {
            ton: 5,
            npi: 0,
            addr: from.to_owned(),
        });
    }
    None
}

/// A recipient: digits, with or without `+`.
fn destination_address(to: &str) -> Option<Address> {
    let digits = to.strip_prefix('+').unwrap_or(to);
    (!digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())).then(
        || {
            if to.starts_with('+') {
                Address::international(to)
            } else {
                Address {
                    ton: 0,
                    npi: 1,
                    addr: digits.to_owned(),
                }
            }
        },
    )
}
