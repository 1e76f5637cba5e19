//! SMS over SMPP 3.4: one task per configured SMSC connection drives the sans-IO
//! [`smpp_proto::Session`] over TCP — bind as transceiver, reconnect with backoff, keep the
//! link alive with `enquire_link`, keep to the window and the rate limit. Messages from
//! handsets go to the app as inbound messages; delivery receipts become delivery reports.
//!
//! A handset's message is answered (`deliver_sm_resp`) only after the app stored it, and with
//! a temporary error when it could not, so the SMSC delivers it again rather than it being
//! lost; an answer meant for a connection that has since dropped is not sent on the next. At
//! shutdown the link unbinds and waits for the SMSC's answer before closing.
//!
//! Sending is at least once, with one retry mechanism: the app's outbox. A message the SMSC
//! has not accepted when the connection drops is answered "try again" and the session starts
//! afresh on the next connection, so it is not sent twice by two mechanisms.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app::{App, MessageSender, OutboundMessage, SendOutcome};
use domain::{Channel, DeliveryState, Redacted};
use smpp_proto::receipt::DeliveryState as ReceiptState;
use smpp_proto::session::{MessageHandle, Outgoing};
use smpp_proto::{Ack, Event, Session, SessionConfig, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a message waits for the SMSC's answer before the outbox is told to try again.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// The first pause before reconnecting, and the longest.
const RECONNECT_FIRST: Duration = Duration::from_secs(1);
const RECONNECT_MAX: Duration = Duration::from_secs(60);
/// How long stopping waits for the SMSC to answer the unbind.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// Message ids remembered for matching receipts.
const REMEMBERED_IDS: usize = 100_000;

/// One `[[smpp]]` connection.
#[derive(Clone)]
pub struct SmppConfig {
    /// Its name (in logs and `/metrics`).
    pub name: String,
    /// The SMSC's host.
    pub host: String,
    /// The SMSC's port.
    pub port: u16,
    /// Who binds.
    pub system_id: String,
    /// The password (secret; at most 8 characters).
    pub password: String,
    /// Requests outstanding at once, at most.
    pub window: usize,
    /// Parts per second, at most.
    pub max_per_second: Option<u32>,
    /// How long an answer may take (and the `enquire_link` interval's scale).
    pub response_timeout: Duration,
    /// Idle time after which the link is checked.
    pub enquire_link: Duration,
    /// The numbers it sends from.
    pub numbers: Vec<String>,
}

impl std::fmt::Debug for SmppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppConfig")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("system_id", &self.system_id)
            .field("window", &self.window)
            .field("max_per_second", &self.max_per_second)
            .finish_non_exhaustive()
    }
}

/// Counters of one link.
#[derive(Debug, Default)]
struct Counters {
    bound: AtomicU64,
    connects: AtomicU64,
    bind_refused: AtomicU64,
    submitted: AtomicU64,
    accepted: AtomicU64,
    failed: AtomicU64,
    throttled: AtomicU64,
    received: AtomicU64,
    receipts: AtomicU64,
}

/// A metric family: its name, type, help and the counter it shows.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Counters) -> &AtomicU64,
);

/// A request to send.
struct Request {
    outgoing: Outgoing,
    reply: oneshot::Sender<SendOutcome>,
}

/// A running SMPP connection: hand it messages through [`MessageSender`].
#[derive(Debug)]
pub struct SmppLink {
    name: String,
    tx: mpsc::Sender<Request>,
    counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SmppLink {
    /// Starts the connection's task: it connects, binds and stays connected while the process
    /// runs. Messages from handsets and receipts go to `app`.
    pub fn start(config: SmppConfig, app: App) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(1024);
        let (stop, stop_rx) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let name = config.name.clone();
        let task = tokio::spawn(run(config, app, rx, counters.clone(), stop_rx));
        Arc::new(Self {
            name,
            tx,
            counters,
            stop,
            task: std::sync::Mutex::new(Some(task)),
        })
    }

    /// Ends the link in order (at shutdown): unbinds, waits for the SMSC's answer (at most
    /// five seconds), then closes the connection. Handsets' messages still being stored are
    /// answered if they are done in time; the SMSC delivers the others again.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(mut task) = task
            && tokio::time::timeout(STOP_WAIT, &mut task).await.is_err()
        {
            tracing::warn!(link = %self.name, "the SMSC did not answer the unbind in time");
            task.abort();
        }
    }

    /// Whether the link is bound now.
    pub fn is_bound(&self) -> bool {
        self.counters.bound.load(Ordering::Relaxed) == 1
    }

    /// Writes the links' state and counters in the Prometheus text format.
    pub fn render_prometheus(links: &[Arc<SmppLink>], out: &mut String) {
        use std::fmt::Write as _;
        let families: [Family; 9] = [
            (
                "smpp_bound",
                "gauge",
                "1 while the SMPP link is bound",
                |c| &c.bound,
            ),
            (
                "smpp_connects_total",
                "counter",
                "TCP connections opened to the SMSC",
                |c| &c.connects,
            ),
            (
                "smpp_bind_refused_total",
                "counter",
                "binds the SMSC refused",
                |c| &c.bind_refused,
            ),
            (
                "smpp_submitted_total",
                "counter",
                "messages handed to the session",
                |c| &c.submitted,
            ),
            (
                "smpp_accepted_total",
                "counter",
                "messages the SMSC accepted",
                |c| &c.accepted,
            ),
            (
                "smpp_failed_total",
                "counter",
                "messages the SMSC refused",
                |c| &c.failed,
            ),
            (
                "smpp_throttled_total",
                "counter",
                "throttling answers from the SMSC",
                |c| &c.throttled,
            ),
            (
                "smpp_received_total",
                "counter",
                "messages from handsets",
                |c| &c.received,
            ),
            ("smpp_receipts_total", "counter", "delivery receipts", |c| {
                &c.receipts
            }),
        ];
        for (name, kind, help, get) in families {
            let _ = writeln!(out, "# HELP hotline_{name} {help}.");
            let _ = writeln!(out, "# TYPE hotline_{name} {kind}");
            for link in links {
                let _ = writeln!(
                    out,
                    "hotline_{name}{{link=\"{}\"}} {}",
                    link.name,
                    get(&link.counters).load(Ordering::Relaxed)
                );
            }
        }
    }
}

#[async_trait::async_trait]
impl MessageSender for SmppLink {
    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        if !self.is_bound() {
            return SendOutcome::Unavailable {
                reason: format!("{}: not bound to the SMSC", self.name),
            };
        }
        let (reply, answer) = oneshot::channel();
        let request = Request {
            outgoing: Outgoing {
                from: message.from.clone(),
                to: message.to.expose().clone(),
                text: message.text.expose().clone(),
                receipt: true,
            },
            reply,
        };
        if self.tx.send(request).await.is_err() {
            return SendOutcome::Unavailable {
                reason: format!("{}: the link stopped", self.name),
            };
        }
        match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
            Ok(Ok(outcome)) => outcome,
            _ => SendOutcome::Unavailable {
                reason: format!("{}: no answer from the SMSC", self.name),
            },
        }
    }
}

/// A message sent: the id its delivery row knows, and the number it went out from.
#[derive(Clone)]
struct SentMessage {
    first_id: String,
    from: String,
}

/// What the connection task keeps between connections.
struct LinkState {
    config: SmppConfig,
    app: App,
    counters: Arc<Counters>,
    started: Instant,
    waiting: HashMap<MessageHandle, (oneshot::Sender<SendOutcome>, String)>,
    /// Receipts of parts of messages not yet accepted whole.
    early: HashMap<MessageHandle, Vec<(DeliveryState, Option<String>)>>,
    sent: HashMap<String, SentMessage>,
    sent_order: VecDeque<String>,
    inbound_seq: u64,
    /// Which connection this is (answers to handsets' messages name it).
    generation: u64,
    /// Where the tasks that store handsets' messages send the answer the SMSC waits for.
    acks: mpsc::UnboundedSender<(u64, Ack, Status)>,
}

/// What the SMSC is told about a handset's message the app did not take: a number nobody
/// has, or a message the app refuses, will never be taken (a permanent error); anything else
/// (the store unavailable, a flow not published yet) is worth delivering again.
fn refusal_status(e: &app::AppError) -> Status {
    match e {
        app::AppError::NotFound => Status::INVALID_DESTINATION_ADDRESS,
        app::AppError::Validation(_) => Status::UNKNOWN_ERROR,
        _ => Status::TEMPORARY_APP_ERROR,
    }
}

impl LinkState {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn session(&self) -> Session {
        Session::new(SessionConfig {
            system_id: self.config.system_id.clone(),
            password: self.config.password.clone(),
            window: self.config.window.max(1),
            max_per_second: self.config.max_per_second,
            response_timeout_ms: duration_ms(self.config.response_timeout),
            enquire_link_ms: duration_ms(self.config.enquire_link),
            ..SessionConfig::default()
        })
    }

    fn remember(&mut self, ids: &[String], from: &str) {
        let Some(first) = ids.first() else { return };
        for id in ids {
            self.sent.insert(
                id.clone(),
                SentMessage {
                    first_id: first.clone(),
                    from: from.to_owned(),
                },
            );
            self.sent_order.push_back(id.clone());
        }
        while self.sent_order.len() > REMEMBERED_IDS {
            if let Some(old) = self.sent_order.pop_front() {
                self.sent.remove(&old);
            }
        }
    }

    /// Hands a receipt to the app (in the background: the link does not wait for it).
    fn report(&self, sent: SentMessage, state: DeliveryState, error: Option<String>) {
        let report = app::DeliveryReport {
            channel: Channel::Sms,
            number: sent.from,
            provider_id: sent.first_id,
            state,
            error,
        };
        let app = self.app.clone();
        tokio::spawn(async move {
            if let Err(e) = app.message_status(report).await {
                let error = format!("{:#}", anyhow::Error::new(e));
                tracing::info!(error, "receipt not applied");
            }
        });
    }

    /// Everything waiting for an answer is told to try again (the outbox resends it).
    fn release_waiting(&mut self, reason: &str) {
        self.early.clear();
        for (_, (reply, _)) in self.waiting.drain() {
            let _ = reply.send(SendOutcome::Unavailable {
                reason: format!("{}: {reason}", self.config.name),
            });
        }
    }

    /// Carries out one session event; `Some(reason)` when the connection must end.
    fn on_event(&mut self, event: Event) -> Option<String> {
        let name = self.config.name.clone();
        match event {
            Event::Bound { .. } => {
                self.counters.bound.store(1, Ordering::Relaxed);
                tracing::info!(link = %name, "SMPP bound");
            }
            Event::BindRefused { status } => {
                self.counters.bind_refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(link = %name, status = format!("{:#010x}", status.0), "SMPP bind refused");
                return Some("bind refused".to_owned());
            }
            Event::Accepted {
                handle,
                message_ids,
            } => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                if let Some((reply, from)) = self.waiting.remove(&handle) {
                    self.remember(&message_ids, &from);
                    if let (Some(first), Some(early)) =
                        (message_ids.first(), self.early.remove(&handle))
                    {
                        for (state, error) in early {
                            self.report(
                                SentMessage {
                                    first_id: first.clone(),
                                    from: from.clone(),
                                },
                                state,
                                error,
                            );
                        }
                    }
                    let outcome = match message_ids.first() {
                        Some(id) => SendOutcome::Accepted {
                            provider_id: id.clone(),
                        },
                        None => SendOutcome::Unavailable {
                            reason: format!("{name}: accepted without a message id"),
                        },
                    };
                    let _ = reply.send(outcome);
                }
            }
            Event::Failed { handle, status } => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                if let Some((reply, _)) = self.waiting.remove(&handle) {
                    let code = format!("{name}: SMPP status {:#010x}", status.0);
                    let outcome =
                        if matches!(status, Status::THROTTLED | Status::MESSAGE_QUEUE_FULL) {
                            SendOutcome::Unavailable { reason: code }
                        } else {
                            SendOutcome::Rejected { code }
                        };
                    let _ = reply.send(outcome);
                }
            }
            Event::Throttled { .. } => {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
            Event::Received {
                message: joined,
                ack,
            } => {
                self.counters.received.fetch_add(1, Ordering::Relaxed);
                self.inbound_seq += 1;
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                let message = app::InboundMessage {
                    channel: Channel::Sms,
                    to: joined.dest,
                    from: Redacted::new(joined.source),
                    provider_id: format!("{name}-{stamp}-{}", self.inbound_seq),
                    text: Redacted::new(joined.text),
                    choice: None,
                };
                let app = self.app.clone();
                let (acks, generation) = (self.acks.clone(), self.generation);
                tokio::spawn(async move {
                    let status = match app.message_received(message).await {
                        Ok(_) => Status::OK,
                        Err(e) => {
                            let status = refusal_status(&e);
                            let error = format!("{:#}", anyhow::Error::new(e));
                            tracing::warn!(link = %name, error, status = status.0, "message from a handset not taken");
                            status
                        }
                    };
                    if let Some(ack) = ack {
                        let _ = acks.send((generation, ack, status));
                    }
                });
            }
            Event::Receipt {
                handle,
                message_id,
                state,
                error,
            } => {
                self.counters.receipts.fetch_add(1, Ordering::Relaxed);
                let state = match state {
                    ReceiptState::Delivered => DeliveryState::Delivered,
                    ReceiptState::Enroute | ReceiptState::Accepted => return None,
                    ReceiptState::Expired
                    | ReceiptState::Deleted
                    | ReceiptState::Undeliverable
                    | ReceiptState::Unknown
                    | ReceiptState::Rejected => DeliveryState::Failed,
                };
                let error = error.map(|e| format!("{name}: receipt error {e}"));
                match (self.sent.get(&message_id).cloned(), handle) {
                    (Some(sent), _) => self.report(sent, state, error),
                    // A part's receipt before the whole message was accepted: applied once
                    // it is.
                    (None, Some(h)) if self.waiting.contains_key(&h) => {
                        self.early.entry(h).or_default().push((state, error));
                    }
                    // Not sent over this connection (before a restart): the SMSC's id is the
                    // message's when it went in one part.
                    (None, _) => {
                        for from in self.config.numbers.clone() {
                            self.report(
                                SentMessage {
                                    first_id: message_id.clone(),
                                    from,
                                },
                                state,
                                error.clone(),
                            );
                        }
                    }
                }
            }
            Event::Unbound => return Some("unbound".to_owned()),
            Event::ConnectionLost { reason } => return Some(reason.to_owned()),
        }
        None
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn run(
    config: SmppConfig,
    app: App,
    mut rx: mpsc::Receiver<Request>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel();
    let mut state = LinkState {
        config,
        app,
        counters,
        started: Instant::now(),
        waiting: HashMap::new(),
        early: HashMap::new(),
        sent: HashMap::new(),
        sent_order: VecDeque::new(),
        inbound_seq: 0,
        generation: 0,
        acks: ack_tx,
    };
    let mut pause = RECONNECT_FIRST;
    loop {
        if *stop.borrow() {
            return;
        }
        let address = (state.config.host.clone(), state.config.port);
        let reason = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await
        {
            Ok(Ok(stream)) => {
                state.counters.connects.fetch_add(1, Ordering::Relaxed);
                let mut session = state.session();
                state.generation += 1;
                let (reason, was_bound) = connection(
                    &mut state,
                    &mut session,
                    stream,
                    &mut rx,
                    &mut ack_rx,
                    &mut stop,
                )
                .await;
                if was_bound {
                    pause = RECONNECT_FIRST;
                }
                reason
            }
            Ok(Err(_)) => "the SMSC refused the connection".to_owned(),
            Err(_) => "connecting timed out".to_owned(),
        };
        state.counters.bound.store(0, Ordering::Relaxed);
        state.release_waiting("connection lost");
        if reason == "stopped" || *stop.borrow() {
            return;
        }
        tracing::warn!(link = %state.config.name, reason, retry_in_ms = duration_ms(pause), "SMPP link down");
        // While down, whatever comes is answered "try again" at once.
        let until = tokio::time::Instant::now() + pause;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                _ = stop.changed() => return,
                request = rx.recv() => match request {
                    Some(r) => {
                        let _ = r.reply.send(SendOutcome::Unavailable {
                            reason: format!("{}: not bound to the SMSC", state.config.name),
                        });
                    }
                    None => return,
                },
            }
        }
        pause = (pause * 2).min(RECONNECT_MAX);
    }
}

/// Runs one connection until it ends; returns why, and whether it was ever bound.
async fn connection(
    state: &mut LinkState,
    session: &mut Session,
    stream: TcpStream,
    rx: &mut mpsc::Receiver<Request>,
    acks: &mut mpsc::UnboundedReceiver<(u64, Ack, Status)>,
    stop: &mut watch::Receiver<bool>,
) -> (String, bool) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let mut buf = vec![0u8; 64 * 1024];
    let mut was_bound = false;
    let mut stopping = false;
    session.connected(state.now());
    loop {
        while let Some(bytes) = session.poll_transmit() {
            if writer.write_all(&bytes).await.is_err() {
                return ("writing to the SMSC failed".to_owned(), was_bound);
            }
        }
        while let Some(event) = session.poll_event() {
            if let Some(reason) = state.on_event(event) {
                // Whatever the session still says (a generic_nack) goes out before closing.
                while let Some(bytes) = session.poll_transmit() {
                    let _ = writer.write_all(&bytes).await;
                }
                return (reason, was_bound);
            }
        }
        was_bound |= session.is_bound();
        let deadline = session.poll_timeout().map(|at| {
            let wait = at.saturating_sub(state.now());
            tokio::time::Instant::now() + Duration::from_millis(wait)
        });
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => return ("the SMSC closed the connection".to_owned(), was_bound),
                Ok(n) => session.handle_bytes(&buf[..n], state.now()),
            },
            request = rx.recv() => match request {
                None => {
                    session.unbind(state.now());
                    while let Some(bytes) = session.poll_transmit() {
                        let _ = writer.write_all(&bytes).await;
                    }
                    return ("stopped".to_owned(), was_bound);
                }
                Some(request) if stopping => {
                    let _ = request.reply.send(SendOutcome::Unavailable {
                        reason: format!("{}: shutting down", state.config.name),
                    });
                }
                Some(request) => {
                    state.counters.submitted.fetch_add(1, Ordering::Relaxed);
                    match session.send(&request.outgoing, state.now()) {
                        Ok(handle) => {
                            state.waiting.insert(handle, (request.reply, request.outgoing.from));
                        }
                        Err(e) => {
                            state.counters.failed.fetch_add(1, Ordering::Relaxed);
                            let _ = request.reply.send(SendOutcome::Rejected {
                                code: format!("{}: {e}", state.config.name),
                            });
                        }
                    }
                }
            },
            changed = stop.changed(), if !stopping => {
                // Stopping: unbind and wait for the SMSC's answer (or the session's time
                // limit); a link that is not bound just closes.
                if changed.is_err() || !session.is_bound() {
                    return ("stopped".to_owned(), was_bound);
                }
                stopping = true;
                session.unbind(state.now());
            }
            Some((generation, ack, status)) = acks.recv() => {
                // An answer for an earlier connection: that SMSC session is gone, and it
                // delivers the message again on this one.
                if generation == state.generation {
                    session.acknowledge(ack, status);
                }
            }
            () = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => session.handle_timeout(state.now()),
        }
    }
}
