//! The transaction-owning endpoint and its run loop, shaped like str0m and quinn-proto: feed it
//! datagrams (`handle_datagram`) and time (`handle_timeout`), then drain `poll_transmit`,
//! `poll_event` and `poll_timeout`. It matches messages to transactions (RFC 3261 §17.1.3 and
//! §17.2.3), answers CANCEL, sends 100 Trying for INVITE and discards what RFC 3261 says to discard.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use crate::error::ParseError;
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::parser::parse;
use crate::transaction::{
    Action, ClientTransaction, RespondError, ServerTransaction, State, Timers,
};
use crate::typed::{Transport, Via};

/// Identifies a transaction inside one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub u64);

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub to: SocketAddr,
    pub transport: Transport,
    pub bytes: Vec<u8>,
}

/// What the endpoint reports to its transaction user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new request with its server transaction; answer through [`Endpoint::respond`].
    Request {
        tx: TransactionId,
        request: Request,
        source: SocketAddr,
    },
    /// An ACK outside any INVITE server transaction: the ACK for a 2xx, for the dialog layer.
    Ack {
        request: Request,
        source: SocketAddr,
    },
    /// A CANCEL matched this INVITE server transaction; the endpoint already answered the CANCEL
    /// with 200 and the TU should answer the INVITE with 487 unless it already sent a final.
    Cancelled { invite_tx: TransactionId },
    /// A response for one of our client transactions.
    Response {
        tx: TransactionId,
        response: Response,
    },
    /// A response that matched no client transaction, such as a retransmitted 2xx after the
    /// INVITE transaction ended; the dialog layer re-sends its ACK.
    StrayResponse {
        response: Response,
        source: SocketAddr,
    },
    /// Client timer B or F fired (treat as 408), or server timer H fired (no ACK came).
    Timeout { tx: TransactionId },
    /// The shell reported that sending for this transaction failed.
    TransportError { tx: TransactionId },
    /// An unparseable datagram was dropped.
    Dropped {
        source: SocketAddr,
        error: ParseError,
    },
    /// A malformed request was answered statelessly with `status` (400 or 505).
    Rejected {
        source: SocketAddr,
        error: ParseError,
        status: u16,
    },
}

/// Errors of the endpoint's commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("request has no Via with an RFC 3261 branch")]
    MissingBranch,
    #[error("request lacks a valid {0}")]
    InvalidRequest(&'static str),
    #[error(transparent)]
    Respond(#[from] RespondError),
}

/// Server-side matching key (RFC 3261 §17.2.3); ACK matches its INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ServerKey {
    branch: String,
    sent_by: String,
    method: Method,
}

#[derive(Debug)]
struct Server {
    tx: ServerTransaction,
    source: SocketAddr,
    transport: Transport,
    key: ServerKey,
}

#[derive(Debug)]
struct Client {
    tx: ClientTransaction,
    dest: SocketAddr,
    transport: Transport,
    key: (String, Method),
}

/// Owns every transaction of one SIP endpoint.
#[derive(Debug, Default)]
pub struct Endpoint {
    timers: Timers,
    next_id: u64,
    servers: HashMap<TransactionId, Server>,
    server_index: HashMap<ServerKey, TransactionId>,
    clients: HashMap<TransactionId, Client>,
    client_index: HashMap<(String, Method), TransactionId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    dropped: u64,
}

fn server_key(req: &Request, via: &Via) -> Result<ServerKey, ParseError> {
    let method = if req.method == Method::Ack {
        Method::Invite
    } else {
        req.method.clone()
    };
    let branch = match via.rfc3261_branch() {
        Some(b) => b.to_owned(),
        // RFC 2543 peers: fall back to the identifying fields of §17.2.3 (To tag excluded so that
        // the ACK of a non-2xx, which carries our tag, still matches).
        None => {
            let cseq = req.headers.cseq()?;
            let from_tag = req.headers.from()?.tag().unwrap_or_default().to_owned();
            format!(
                "2543:{}:{}:{}:{}",
                req.uri,
                req.headers.call_id()?,
                cseq.seq,
                from_tag
            )
        }
    };
    Ok(ServerKey {
        branch,
        sent_by: via.sent_by(),
        method,
    })
}

impl Endpoint {
    pub fn new(timers: Timers) -> Endpoint {
        Endpoint {
            timers,
            ..Endpoint::default()
        }
    }

    pub fn timers(&self) -> Timers {
        self.timers
    }

    /// How many datagrams failed to parse (answered with 400/505 or dropped).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// A UDP datagram arrived.
    pub fn handle_datagram(&mut self, bytes: &[u8], source: SocketAddr, now: u64) {
        match parse(bytes) {
            Ok(msg) => self.handle_message(msg, source, Transport::Udp, now),
            Err(ParseError::Empty) => {}
            Err(error) => {
                self.dropped += 1;
                match crate::parser::salvage_request_headers(bytes) {
                    Some(headers) => {
                        // RFC 4475: a malformed request gets 400 (505 for a foreign version),
                        // sent statelessly to where it came from.
                        let status = if error == ParseError::BadVersion {
                            505
                        } else {
                            400
                        };
                        let mut resp = Response::new(status);
                        for h in headers.iter() {
                            if matches!(h.name.as_str(), "Via" | "From" | "To" | "Call-ID" | "CSeq")
                            {
                                resp.headers.0.push(h.clone());
                            }
                        }
                        let bytes = resp.to_bytes();
                        self.transmits.push_back(Transmit {
                            to: source,
                            transport: Transport::Udp,
                            bytes,
                        });
                        self.events.push_back(Event::Rejected {
                            source,
                            error,
                            status,
                        });
                    }
                    None => self.events.push_back(Event::Dropped { source, error }),
                }
            }
        }
    }

    /// A message framed by the shell from a stream transport (see [`crate::parse_stream`]).
    pub fn handle_message(
        &mut self,
        msg: Message,
        source: SocketAddr,
        transport: Transport,
        now: u64,
    ) {
        match msg {
            Message::Request(req) => self.handle_request(req, source, transport, now),
            Message::Response(resp) => self.handle_response(resp, source, now),
        }
    }

    fn handle_request(
        &mut self,
        mut req: Request,
        source: SocketAddr,
        transport: Transport,
        now: u64,
    ) {
        let Ok(mut via) = req.headers.top_via() else {
            return;
        };
        // RFC 3261 §18.2.1 and RFC 3581: record where the request really came from.
        if via.host != source.ip().to_string() {
            via.params.set("received", Some(&source.ip().to_string()));
        }
        if via.rport().is_some() {
            via.params.set("rport", Some(&source.port().to_string()));
        }
        replace_top_via(&mut req, &via);
        let Ok(key) = server_key(&req, &via) else {
            return;
        };
        if let Some(id) = self.server_index.get(&key).copied() {
            let mut out = Vec::new();
            let ack = self
                .servers
                .get_mut(&id)
                .and_then(|s| s.tx.on_request(req, now, &mut out));
            self.apply_server(id, out);
            if let Some(request) = ack {
                self.events.push_back(Event::Ack { request, source });
            }
            return;
        }
        match req.method {
            Method::Ack => self.events.push_back(Event::Ack {
                request: req,
                source,
            }),
            Method::Cancel => {
                let invite_key = ServerKey {
                    method: Method::Invite,
                    ..key.clone()
                };
                let invite_tx = self.server_index.get(&invite_key).copied();
                let status = if invite_tx.is_some() { 200 } else { 481 };
                let resp = Response::to_request(&req, status, None);
                let id = self.create_server(req, source, transport, key);
                let _ = self.respond(id, resp, now);
                if let Some(invite_tx) = invite_tx {
                    self.events.push_back(Event::Cancelled { invite_tx });
                }
            }
            _ => {
                let trying =
                    (req.method == Method::Invite).then(|| Response::to_request(&req, 100, None));
                let id = self.create_server(req.clone(), source, transport, key);
                if let Some(trying) = trying {
                    let _ = self.respond(id, trying, now);
                }
                self.events.push_back(Event::Request {
                    tx: id,
                    request: req,
                    source,
                });
            }
        }
    }

    fn create_server(
        &mut self,
        req: Request,
        source: SocketAddr,
        transport: Transport,
        key: ServerKey,
    ) -> TransactionId {
        let id = self.allocate_id();
        let tx = ServerTransaction::new(req, transport.is_reliable(), self.timers);
        self.server_index.insert(key.clone(), id);
        self.servers.insert(
            id,
            Server {
                tx,
                source,
                transport,
                key,
            },
        );
        id
    }

    fn allocate_id(&mut self) -> TransactionId {
        self.next_id += 1;
        TransactionId(self.next_id)
    }

    fn handle_response(&mut self, resp: Response, source: SocketAddr, now: u64) {
        // RFC 3261 §8.1.3.3: a response with more than one Via is misrouted (RFC 4475 bcast).
        let Ok(vias) = resp.headers.vias() else {
            return;
        };
        if vias.len() != 1 {
            return;
        }
        let (Some(branch), Ok(cseq)) = (vias[0].branch(), resp.headers.cseq()) else {
            return;
        };
        let method = if cseq.method == Method::Ack {
            Method::Invite
        } else {
            cseq.method
        };
        match self.client_index.get(&(branch.to_owned(), method)).copied() {
            Some(id) => {
                let mut out = Vec::new();
                if let Some(c) = self.clients.get_mut(&id) {
                    c.tx.on_response(resp, now, &mut out);
                }
                self.apply_client(id, out);
            }
            None => self.events.push_back(Event::StrayResponse {
                response: resp,
                source,
            }),
        }
    }

    /// Starts a client transaction. The request's top Via must carry a fresh RFC 3261 branch
    /// chosen by the caller. ACK for a 2xx is not a transaction: use [`Endpoint::send_stateless`].
    pub fn send_request(
        &mut self,
        req: Request,
        dest: SocketAddr,
        transport: Transport,
        now: u64,
    ) -> Result<TransactionId, EndpointError> {
        let via = req
            .headers
            .top_via()
            .map_err(|_| EndpointError::InvalidRequest("Via"))?;
        let branch = via
            .rfc3261_branch()
            .ok_or(EndpointError::MissingBranch)?
            .to_owned();
        req.headers
            .cseq()
            .map_err(|_| EndpointError::InvalidRequest("CSeq"))?;
        let id = self.allocate_id();
        let mut out = Vec::new();
        let key = (branch, req.method.clone());
        let tx = ClientTransaction::start(req, transport.is_reliable(), self.timers, now, &mut out);
        self.client_index.insert(key.clone(), id);
        self.clients.insert(
            id,
            Client {
                tx,
                dest,
                transport,
                key,
            },
        );
        self.apply_client(id, out);
        Ok(id)
    }

    /// Sends a response on a server transaction.
    pub fn respond(
        &mut self,
        tx: TransactionId,
        resp: Response,
        now: u64,
    ) -> Result<(), EndpointError> {
        let server = self
            .servers
            .get_mut(&tx)
            .ok_or(RespondError::UnknownTransaction)?;
        let mut out = Vec::new();
        server.tx.respond(&resp, now, &mut out)?;
        self.apply_server(tx, out);
        Ok(())
    }

    /// The request that created a server transaction, if it still exists.
    pub fn server_request(&self, tx: TransactionId) -> Option<&Request> {
        self.servers.get(&tx).map(|s| s.tx.request())
    }

    /// The state of a server or client transaction; `None` once it has terminated.
    pub fn state(&self, tx: TransactionId) -> Option<State> {
        self.servers
            .get(&tx)
            .map(|s| s.tx.state())
            .or_else(|| self.clients.get(&tx).map(|c| c.tx.state()))
    }

    /// Sends a message outside any transaction (ACK for 2xx, 2xx retransmissions by the TU).
    pub fn send_stateless(&mut self, msg: &Message, to: SocketAddr, transport: Transport) {
        self.transmits.push_back(Transmit {
            to,
            transport,
            bytes: msg.to_bytes(),
        });
    }

    /// The shell could not reach `dest` over `transport` at all (no connection could be
    /// made): every client transaction towards it fails now, as a transport error, instead
    /// of waiting for its timer.
    pub fn handle_unreachable(&mut self, dest: SocketAddr, transport: &Transport) {
        let failed: Vec<TransactionId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.dest == dest && c.transport == *transport)
            .map(|(id, _)| *id)
            .collect();
        for tx in failed {
            self.handle_transport_error(tx);
        }
    }

    /// The shell could not send for this transaction (RFC 3261 §17.1.4 / §17.2.4).
    pub fn handle_transport_error(&mut self, tx: TransactionId) {
        let known = if let Some(c) = self.clients.get_mut(&tx) {
            c.tx.terminate();
            true
        } else if let Some(s) = self.servers.get_mut(&tx) {
            s.tx.terminate();
            true
        } else {
            false
        };
        if known {
            self.events.push_back(Event::TransportError { tx });
            self.reap(tx);
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        let due_clients: Vec<TransactionId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.tx.next_deadline().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due_clients {
            let mut out = Vec::new();
            if let Some(c) = self.clients.get_mut(&id) {
                c.tx.on_timeout(now, &mut out);
            }
            self.apply_client(id, out);
        }
        let due_servers: Vec<TransactionId> = self
            .servers
            .iter()
            .filter(|(_, s)| s.tx.next_deadline().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due_servers {
            let mut out = Vec::new();
            if let Some(s) = self.servers.get_mut(&id) {
                s.tx.on_timeout(now, &mut out);
            }
            self.apply_server(id, out);
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest timer deadline over all transactions.
    pub fn poll_timeout(&self) -> Option<u64> {
        let c = self.clients.values().filter_map(|c| c.tx.next_deadline());
        let s = self.servers.values().filter_map(|s| s.tx.next_deadline());
        c.chain(s).min()
    }

    fn apply_client(&mut self, id: TransactionId, out: Vec<Action>) {
        let Some(c) = self.clients.get(&id) else {
            return;
        };
        let (to, transport) = (c.dest, c.transport.clone());
        for action in out {
            match action {
                Action::Send(bytes) => self.transmits.push_back(Transmit {
                    to,
                    transport: transport.clone(),
                    bytes,
                }),
                Action::Deliver(response) => {
                    self.events.push_back(Event::Response { tx: id, response })
                }
                Action::Timeout => self.events.push_back(Event::Timeout { tx: id }),
            }
        }
        self.reap(id);
    }

    fn apply_server(&mut self, id: TransactionId, out: Vec<Action>) {
        let Some(s) = self.servers.get(&id) else {
            return;
        };
        let (to, transport) = (s.source, s.transport.clone());
        for action in out {
            match action {
                Action::Send(bytes) => self.transmits.push_back(Transmit {
                    to,
                    transport: transport.clone(),
                    bytes,
                }),
                Action::Deliver(_) => {}
                Action::Timeout => self.events.push_back(Event::Timeout { tx: id }),
            }
        }
        self.reap(id);
    }

    fn reap(&mut self, id: TransactionId) {
        if self
            .clients
            .get(&id)
            .is_some_and(|c| c.tx.state() == State::Terminated)
            && let Some(c) = self.clients.remove(&id)
        {
            self.client_index.remove(&c.key);
        }
        if self
            .servers
            .get(&id)
            .is_some_and(|s| s.tx.state() == State::Terminated)
            && let Some(s) = self.servers.remove(&id)
        {
            self.server_index.remove(&s.key);
        }
    }
}

/// Replaces the first Via value (which may share a line with others) by `via`.
fn replace_top_via(req: &mut Request, via: &Via) {
    let Some(h) = req.headers.0.iter_mut().find(|h| h.name == "Via") else {
        return;
    };
    let values = crate::scan::split_list(&h.value);
    let rest: Vec<&str> = values.into_iter().skip(1).collect();
    h.value = std::iter::once(via.to_string())
        .chain(rest.into_iter().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(", ");
}
