//! The SIP transport: one task owns the sans-IO [`UserAgent`] and feeds it what arrives on the
//! UDP socket and on TCP and TLS connections ([`streams`]), the passing of time, and the
//! commands of the call drivers; it sends what the user agent wants sent and hands each call's
//! events to its driver (one task per call, see [`crate::call`]). SIP over TLS (RFC 3261
//! §26.2) listens on its own port with the server's certificate; messages to a TLS peer go
//! over the connection it opened (Hotline opens none itself).
//!
//! Before the user agent sees an INVITE, the task decides whether the source may call at all:
//! sources on the allow list (the trunk's addresses) may; others must answer a digest
//! challenge when credentials are configured and are refused otherwise. New INVITEs are
//! throttled per source IP with a token bucket (`throttle`) on the app's clock, so a
//! flood from one source does not starve other callers.
//!
//! The task is also the registrar of agents' phones: a REGISTER is challenged (401, a nonce
//! from the OS), its digest checked against the agent's stored HA1 (looked up through the app
//! off the task), and the binding kept in memory ([`crate::registrar`]). A wrong password and
//! an unknown user get the same 403, and a source that fails too often is refused for a
//! while. A call driver whose caller an agent accepted asks the task to ring that agent's
//! phone ([`UaCommand::CallAgent`]). Nothing here logs a number or an address of a caller or
//! a phone, or a credential.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use domain::{TenantId, UserId};
use sip_proto::auth::Credentials;
use sip_proto::call::{CallId, IncomingCall, UaEvent};
use sip_proto::dialog::LocalAddr;
use sip_proto::outgoing::OutgoingCall;
use sip_proto::register::RegistrationConfig;
use sip_proto::registrar::{RegisterAnswer, RegisterRequest};
use sip_proto::transaction::Timers;
use sip_proto::{Message, Transport, UaConfig, UserAgent};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

mod streams;

use self::streams::{TcpEvent, accept_tcp, accept_tls, spawn_tcp_send};
use crate::call::{CallDeps, CallSignal, DriverContext, UaCommand};
use crate::registrar::{self, Binding, NonceCheck, Registrar};
use crate::stats::VoiceStats;
use crate::throttle::Throttle;

/// Settings of the voice channel.
#[derive(Clone)]
pub struct VoiceConfig {
    /// Where SIP listens, on UDP and TCP (port 0: any free port).
    pub sip_addr: SocketAddr,
    /// The host written into Contact headers and SDP; defaults to the bound IP (loopback when
    /// bound to the unspecified address).
    pub public_host: Option<String>,
    /// RTP ports to use, inclusive; `(0, 0)` lets the system pick.
    pub rtp_ports: (u16, u16),
    /// Sources that may call without authentication (the trunk's addresses).
    pub allow_from: Vec<IpAddr>,
    /// Digest credentials other sources must present; `None` refuses them (403).
    pub credentials: Option<Credentials>,
    /// The realm of the digest challenge.
    pub realm: String,
    /// New INVITEs accepted per source IP and second (sustained).
    pub invites_per_second: u32,
    /// New INVITEs a source may send at once before throttling starts.
    pub invite_burst: u32,
    /// Where recordings are written.
    pub recordings_dir: PathBuf,
    /// Register with a provider, if set.
    pub register: Option<RegistrationConfig>,
    /// Seeds tags and branches.
    pub seed: u64,
    /// A call without any RTP from the peer for this long is hung up.
    pub media_timeout: Duration,
    /// How long a call rings (180) before it is answered.
    pub answer_delay: Duration,
    /// How long an agent's phone may ring before the caller goes back to the queue.
    pub agent_ring: Duration,
    /// The trunk that takes Hotline's outgoing calls (call-backs); `None`: no call-backs.
    pub call_back_trunk: Option<SocketAddr>,
    /// SIP over TLS (RFC 3261 §26.2; port 5061 by convention), when configured.
    pub tls: Option<SipTls>,
    /// TLS connections Hotline opens itself: to the trunk (call-backs) and the provider it
    /// registers with, when they take SIP over TLS.
    pub tls_out: Option<SipTlsOut>,
}

/// How Hotline opens TLS connections: the connector (its trusted roots) and the name each
/// peer's certificate must carry, by the address Hotline connects to. Only peers named here
/// are connected to; anything else sent over TLS must use a connection the peer opened.
#[derive(Clone)]
pub struct SipTlsOut {
    /// The client side of the handshake.
    pub connector: tokio_rustls::TlsConnector,
    /// The name to verify, by peer address (the trunk's, the provider's).
    pub names: HashMap<SocketAddr, tokio_rustls::rustls::pki_types::ServerName<'static>>,
}

impl std::fmt::Debug for SipTlsOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipTlsOut")
            .field("peers", &self.names.len())
            .finish_non_exhaustive()
    }
}

/// Where and with which certificate SIP over TLS is taken.
#[derive(Clone)]
pub struct SipTls {
    /// The TLS listener's address (port 0: any free port).
    pub addr: SocketAddr,
    /// The server side of the handshake (the operator's certificate, or the self-signed one).
    pub acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for SipTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipTls")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for VoiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceConfig")
            .field("sip_addr", &self.sip_addr)
            .field("rtp_ports", &self.rtp_ports)
            .field("allow_from", &self.allow_from.len())
            .field("credentials", &self.credentials.is_some())
            .field("invites_per_second", &self.invites_per_second)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl VoiceConfig {
    /// Defaults for `sip_addr`: loopback callers allowed, 50 INVITEs a second per source.
    pub fn new(sip_addr: SocketAddr, recordings_dir: PathBuf) -> Self {
        Self {
            sip_addr,
            public_host: None,
            rtp_ports: (0, 0),
            allow_from: vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
            credentials: None,
            realm: "hotline".to_owned(),
            invites_per_second: 50,
            invite_burst: 100,
            recordings_dir,
            register: None,
            seed: 0,
            media_timeout: Duration::from_secs(60),
            answer_delay: Duration::from_millis(500),
            agent_ring: Duration::from_secs(20),
            call_back_trunk: None,
            tls: None,
            tls_out: None,
        }
    }
}

/// The running SIP shell.
#[derive(Debug)]
pub struct SipServer {
    local_addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    stats: Arc<VoiceStats>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SipServer {
    /// Binds UDP and TCP at `config.sip_addr` (the same port for both) and starts serving.
    pub async fn start(config: VoiceConfig, deps: CallDeps) -> std::io::Result<SipServer> {
        let (udp, tcp) = bind_transports(config.sip_addr).await?;
        let local_addr = udp.local_addr()?;
        let tls = match &config.tls {
            Some(t) => Some((TcpListener::bind(t.addr).await?, t.acceptor.clone())),
            None => None,
        };
        let tls_addr = match &tls {
            Some((listener, _)) => Some(listener.local_addr()?),
            None => None,
        };
        let host = config.public_host.clone().unwrap_or_else(|| {
            if local_addr.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                local_addr.ip().to_string()
            }
        });
        let stats = Arc::new(VoiceStats::default());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (lookups, lookups_rx) = mpsc::unbounded_channel();
        let mut ua = UserAgent::new(UaConfig {
            local: LocalAddr {
                host: host.clone(),
                port: local_addr.port(),
                transport: Transport::Udp,
            },
            timers: Timers::default(),
            seed: config.seed ^ random_u64(),
        });
        if let Some(addr) = tls_addr {
            ua.set_tls_port(addr.port());
        }
        let shell = Shell {
            ua,
            udp: Arc::new(udp),
            tcp_conns: HashMap::new(),
            tls_conns: HashMap::new(),
            tls_pending: HashMap::new(),
            events: None,
            calls: HashMap::new(),
            throttle: Throttle::new(config.invites_per_second, config.invite_burst),
            guard: crate::scanner::Guard::default(),
            nonces: HashMap::new(),
            registrar: Registrar::new(),
            lookups,
            registrar_pruned_ms: 0,
            started: Instant::now(),
            stats: stats.clone(),
            deps: Arc::new(DriverContext {
                deps,
                host,
                rtp_ports: config.rtp_ports,
                next_port: AtomicU64::new(0),
                recordings_dir: config.recordings_dir.clone(),
                media_timeout: config.media_timeout,
                answer_delay: config.answer_delay,
                agent_ring: config.agent_ring,
                stats: stats.clone(),
            }),
            config,
        };
        let commands = mpsc::unbounded_channel::<UaCommand>();
        if let Some(trunk) = shell.config.call_back_trunk {
            // Call-backs are offered only where they can be placed.
            shell
                .deps
                .deps
                .app
                .set_call_back_dialer(Arc::new(crate::call::TrunkDialer::new(
                    shell.deps.clone(),
                    commands.0.clone(),
                    trunk,
                    // Over TLS when the trunk is one Hotline connects to by TLS.
                    shell
                        .config
                        .tls_out
                        .as_ref()
                        .is_some_and(|o| o.names.contains_key(&trunk)),
                )));
        }
        let task = tokio::spawn(shell.run(tcp, tls, shutdown_rx, lookups_rx, commands));
        Ok(SipServer {
            local_addr,
            tls_addr,
            stats,
            shutdown,
            task,
        })
    }

    /// The bound address (UDP and TCP).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The SIP-over-TLS listener's address, when TLS is configured.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The shell's counters.
    pub fn stats(&self) -> Arc<VoiceStats> {
        self.stats.clone()
    }

    /// Hangs up every call (BYE) and stops.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds UDP and TCP on one port. With port 0 the system picks the UDP port, and that port
/// may already be taken for TCP (by any outgoing connection's ephemeral port): then another
/// pair is tried, so `--sip-addr 127.0.0.1:0` never fails by chance.
async fn bind_transports(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    const ATTEMPTS: usize = 20;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let udp = bind_udp(addr)?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e)
                if addr.port() == 0
                    && e.kind() == std::io::ErrorKind::AddrInUse
                    && attempt < ATTEMPTS => {}
            Err(e) => return Err(e),
        }
    }
}

/// The SIP socket, with a receive buffer large enough that a burst of datagrams (a flood, or
/// a trunk's busy second) waits for the throttle instead of being dropped by the kernel
/// before legitimate callers' datagrams can be read.
fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // The kernel caps this at net.core.rmem_max; a smaller buffer is no error.
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // Without randomness the configured seed alone is used; tags stay unique per process.
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

struct Shell {
    config: VoiceConfig,
    ua: UserAgent,
    udp: Arc<UdpSocket>,
    tcp_conns: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
    /// Open SIP-over-TLS connections by peer: what goes to a TLS peer goes over its connection
    /// (the peer's, or one Hotline opened to a trunk or provider).
    tls_conns: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
    /// Messages waiting for a TLS connection Hotline is opening, by peer.
    tls_pending: HashMap<SocketAddr, Vec<Vec<u8>>>,
    /// Where connection readers report (set when the task runs).
    events: Option<mpsc::Sender<TcpEvent>>,
    calls: HashMap<CallId, mpsc::UnboundedSender<CallSignal>>,
    throttle: Throttle,
    /// Bans of scanners and of sources that keep failing authentication.
    guard: crate::scanner::Guard,
    /// Nonces we issued (to trunks calling in), with when they were issued.
    nonces: HashMap<String, u64>,
    /// Agents' phones: nonces, bindings, failures.
    registrar: Registrar<(TenantId, UserId)>,
    /// Where the account look-ups of REGISTERs report.
    lookups: mpsc::UnboundedSender<Lookup>,
    /// When the registrar last forgot what expired (app clock, ms).
    registrar_pruned_ms: u64,
    started: Instant,
    stats: Arc<VoiceStats>,
    deps: Arc<DriverContext>,
}

/// A REGISTER with fresh credentials and the account it names, looked up off the task.
struct Lookup {
    request: Box<RegisterRequest>,
    account: Option<app::SipAccount>,
}

const NONCE_LIFETIME_MS: u64 = 5 * 60 * 1000;

impl Shell {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn run(
        mut self,
        tcp: TcpListener,
        tls: Option<(TcpListener, tokio_rustls::TlsAcceptor)>,
        mut shutdown: watch::Receiver<bool>,
        mut lookups: mpsc::UnboundedReceiver<Lookup>,
        (cmd_tx, mut cmd_rx): (
            mpsc::UnboundedSender<UaCommand>,
            mpsc::UnboundedReceiver<UaCommand>,
        ),
    ) {
        let (tcp_tx, mut tcp_rx) = mpsc::channel::<TcpEvent>(1024);
        self.events = Some(tcp_tx.clone());
        let accept_secure = tls.map(|(listener, acceptor)| {
            tokio::spawn(accept_tls(
                listener,
                acceptor,
                tcp_tx.clone(),
                self.stats.clone(),
            ))
        });
        let accept = tokio::spawn(accept_tcp(tcp, tcp_tx));
        if let Some(reg) = self.config.register.clone() {
            let now = self.now();
            self.ua.register(reg, now);
        }
        let mut buf = vec![0u8; 65_536];
        loop {
            let deadline = self
                .ua
                .poll_timeout()
                .map(|t| self.started + Duration::from_millis(t))
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                r = self.udp.recv_from(&mut buf) => match r {
                    Ok((n, source)) => self.datagram(&buf[..n], source),
                    Err(e) => tracing::debug!(error = %e, "SIP UDP receive failed"),
                },
                Some(ev) = tcp_rx.recv() => match ev {
                    TcpEvent::Opened(peer, transport, tx) => {
                        // What waited for a connection Hotline opened goes out first.
                        if transport == Transport::Tls {
                            for bytes in self.tls_pending.remove(&peer).unwrap_or_default() {
                                let _ = tx.try_send(bytes);
                            }
                        }
                        self.conns(&transport).insert(peer, tx);
                    }
                    TcpEvent::Closed(peer, transport) => { self.conns(&transport).remove(&peer); }
                    TcpEvent::Failed(peer) => {
                        // What was on its way there fails now (503), not after its timer.
                        self.tls_pending.remove(&peer);
                        let now = self.now();
                        self.ua.handle_unreachable(peer, &Transport::Tls, now);
                    }
                    TcpEvent::Message(msg, source, transport) => {
                        let user_agent = msg.headers().get("User-Agent").map(str::to_owned);
                        if !self.admit(source.ip(), user_agent.as_deref()) {
                            continue;
                        }
                        if !opens_a_call(&msg) || self.take_token(source.ip()) {
                            let now = self.now();
                            self.ua.handle_message(msg, source, transport, now);
                        }
                    }
                },
                Some(cmd) = cmd_rx.recv() => self.command(cmd),
                Some(lookup) = lookups.recv() => self.registered(lookup),
                _ = tokio::time::sleep_until(deadline) => {
                    let now = self.now();
                    self.ua.handle_timeout(now);
                }
                _ = shutdown.changed() => break,
            }
            self.flush(&cmd_tx).await;
        }
        // Hang up every call, then give the BYEs a moment to go out and be answered.
        let calls: Vec<CallId> = self.calls.keys().copied().collect();
        let now = self.now();
        for call in calls {
            let _ = self.ua.hangup(call, now);
        }
        let until = Instant::now() + Duration::from_millis(500);
        while Instant::now() < until {
            self.flush(&cmd_tx).await;
            tokio::select! {
                r = self.udp.recv_from(&mut buf) => if let Ok((n, source)) = r {
                    let now = self.now();
                    self.ua.handle_datagram(&buf[..n], source, now);
                },
                _ = tokio::time::sleep(Duration::from_millis(20)) => {
                    let now = self.now();
                    self.ua.handle_timeout(now);
                }
            }
        }
        accept.abort();
        if let Some(task) = accept_secure {
            task.abort();
        }
    }

    /// Sends `bytes` to `to` over a TLS connection Hotline opens, when `to` is a peer it
    /// connects to by name (the trunk, the provider); anything else is dropped: a phone that
    /// closed its connection is reached again once it registers again.
    fn connect_tls(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        let (Some(out), Some(events)) = (&self.config.tls_out, &self.events) else {
            tracing::debug!("a SIP message for a closed TLS connection was dropped");
            return;
        };
        let Some(name) = out.names.get(&to).cloned() else {
            tracing::debug!("a SIP message for a closed TLS connection was dropped");
            return;
        };
        let pending = self.tls_pending.entry(to).or_default();
        let connecting = !pending.is_empty();
        // Retransmissions while connecting are bounded; the transaction layer resends later.
        if pending.len() < 64 {
            pending.push(bytes);
        }
        if !connecting {
            tokio::spawn(streams::connect_tls(
                out.connector.clone(),
                name,
                to,
                events.clone(),
                self.stats.clone(),
            ));
        }
    }

    /// The open connections of a connection-oriented transport.
    fn conns(&mut self, transport: &Transport) -> &mut HashMap<SocketAddr, mpsc::Sender<Vec<u8>>> {
        match transport {
            Transport::Tls => &mut self.tls_conns,
            _ => &mut self.tcp_conns,
        }
    }

    /// Hands a datagram to the user agent; a new call's INVITE costs a token of its source's
    /// bucket first. An INVITE is parsed once, here, and passed on as a message; everything
    /// else (and what does not parse: the core answers 400 or drops and counts it) goes in as
    /// bytes.
    fn datagram(&mut self, bytes: &[u8], source: SocketAddr) {
        if !self.admit(source.ip(), crate::scanner::user_agent(bytes)) {
            return;
        }
        let now = self.now();
        if bytes.starts_with(b"INVITE ")
            && let Ok(msg) = sip_proto::parse(bytes)
        {
            if !opens_a_call(&msg) || self.take_token(source.ip()) {
                self.ua.handle_message(msg, source, Transport::Udp, now);
            }
            return;
        }
        let before = self.ua.endpoint().dropped();
        self.ua.handle_datagram(bytes, source, now);
        let dropped = self.ua.endpoint().dropped() - before;
        self.stats.add(&self.stats.datagrams_dropped, dropped);
    }

    /// Whether a message from `ip` is handled at all: a banned source, or one announcing a
    /// scanner (banned from now on), gets no answer. The trunk's sources are never banned.
    fn admit(&mut self, ip: IpAddr, user_agent: Option<&str>) -> bool {
        let trusted = self.config.allow_from.contains(&ip);
        let now = self.app_ms();
        match self.guard.check(ip, user_agent, trusted, now) {
            crate::scanner::Verdict::Pass => true,
            crate::scanner::Verdict::Banned => {
                self.stats.count(&self.stats.scanner_dropped, 1);
                false
            }
            crate::scanner::Verdict::Scanner => {
                self.stats.count(&self.stats.scanner_dropped, 1);
                self.banned(now);
                false
            }
        }
    }

    /// A source failed authentication (an unanswered INVITE challenge, a refused REGISTER);
    /// too many in a minute ban it.
    fn auth_failure(&mut self, ip: IpAddr) {
        if self.config.allow_from.contains(&ip) {
            return;
        }
        let now = self.app_ms();
        if self.guard.failure(ip, now) {
            self.banned(now);
        }
    }

    /// Counts a new ban (the source's address is not logged).
    fn banned(&mut self, now: u64) {
        self.stats.add(&self.stats.sources_banned, 1);
        self.stats.banned_now.store(
            self.guard.active_bans(now) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        tracing::warn!(
            "a SIP source was banned for an hour (scanner or repeated authentication failures)"
        );
    }

    /// Whether a new call from `ip` is admitted now, by the app's clock (see [`Throttle`]).
    fn take_token(&mut self, ip: IpAddr) -> bool {
        let now = self.deps.deps.app.now().millis();
        if self.throttle.admit(ip, now) {
            true
        } else {
            self.stats.add(&self.stats.invites_throttled, 1);
            false
        }
    }

    fn command(&mut self, cmd: UaCommand) {
        let now = self.now();
        match cmd {
            UaCommand::Ring(call) => {
                let _ = self.ua.ring(call, now);
            }
            UaCommand::Answer { call, media, reply } => {
                let _ = reply.send(self.ua.answer(call, media, now));
            }
            UaCommand::Reject { call, status } => {
                let _ = self.ua.reject(call, status, now);
            }
            UaCommand::Hangup(call) => {
                let _ = self.ua.hangup(call, now);
            }
            UaCommand::Refer { call, target } => {
                if self.ua.refer(call, &target, now).is_err()
                    && let Some(tx) = self.calls.get(&call)
                {
                    let _ = tx.send(CallSignal::TransferFailed);
                }
            }
            UaCommand::CallAgent {
                tenant,
                agent,
                media,
                signals,
                reply,
            } => {
                let app_now = self.app_ms();
                let placed = self
                    .registrar
                    .binding(&(tenant, agent), app_now)
                    .map(|b| OutgoingCall {
                        target: b.contact.clone(),
                        to: b.aor.clone(),
                        from_user: "hotline".to_owned(),
                        destination: b.destination,
                        transport: b.transport.clone(),
                        media,
                    })
                    .and_then(|call| self.ua.invite(call, now).ok());
                if let Some(id) = placed {
                    self.calls.insert(id, signals);
                }
                let _ = reply.send(placed);
            }
            UaCommand::CallOut {
                call,
                signals,
                reply,
            } => {
                let placed = self.ua.invite(*call, now).ok();
                if let Some(id) = placed {
                    self.calls.insert(id, signals);
                }
                let _ = reply.send(placed);
            }
            UaCommand::Done(call) => {
                self.calls.remove(&call);
            }
        }
    }

    /// The app's clock in milliseconds: the registrar's time, like the throttle's.
    fn app_ms(&self) -> u64 {
        u64::try_from(self.deps.deps.app.now().millis()).unwrap_or(0)
    }

    fn answer_register(&mut self, request: &RegisterRequest, answer: RegisterAnswer) {
        let refused = matches!(answer, RegisterAnswer::Refuse(403));
        let now = self.now();
        let _ = self.ua.answer_register(request.tx, answer, now);
        if refused {
            self.stats.add(&self.stats.phone_registrations_refused, 1);
            self.auth_failure(request.source.ip());
        }
    }

    /// A REGISTER of an agent's phone: a source that failed too often is refused; credentials
    /// with a nonce of ours that is still good are checked (after the account is looked up);
    /// anything else is challenged.
    fn register(&mut self, request: RegisterRequest) {
        let now = self.app_ms();
        if now.saturating_sub(self.registrar_pruned_ms) >= 60_000 {
            self.registrar.prune(now);
            self.registrar_pruned_ms = now;
        }
        let ip = request.source.ip();
        if self.registrar.blocked(ip, now) {
            return self.answer_register(&request, RegisterAnswer::Refuse(403));
        }
        let Some(user) = request.user() else {
            return self.answer_register(&request, RegisterAnswer::Refuse(400));
        };
        let check = request.authorization.as_ref().and_then(|auth| {
            let nonce = auth.param("nonce")?;
            let nc = sip_proto::auth::nonce_count(auth);
            Some(self.registrar.check_nonce(nonce, nc, now))
        });
        match check {
            Some(NonceCheck::Fresh) => {
                let (app, lookups) = (self.deps.deps.app.clone(), self.lookups.clone());
                tokio::spawn(async move {
                    let account = match app.sip_account(&user).await {
                        Ok(account) => account,
                        Err(e) => {
                            tracing::warn!(error = %e, "looking up a phone's SIP account failed");
                            None
                        }
                    };
                    let request = Box::new(request);
                    let _ = lookups.send(Lookup { request, account });
                });
            }
            Some(NonceCheck::Stale) => self.challenge_register(&request, true),
            Some(NonceCheck::Unknown) | None => self.challenge_register(&request, false),
        }
    }

    fn challenge_register(&mut self, request: &RegisterRequest, stale: bool) {
        let nonce = format!("{:016x}{:016x}", random_u64(), random_u64());
        let answer = if self.registrar.issue_nonce(nonce.clone(), self.app_ms()) {
            RegisterAnswer::Challenge {
                realm: self.deps.deps.app.sip_realm().to_owned(),
                nonce,
                stale,
            }
        } else {
            RegisterAnswer::Refuse(503)
        };
        self.answer_register(request, answer);
    }

    /// The account of a REGISTER was looked up: its digest is checked, then the binding is
    /// made, refreshed or removed. A wrong password and an unknown user get the same 403.
    fn registered(&mut self, lookup: Lookup) {
        let Lookup { request, account } = lookup;
        let now = self.app_ms();
        let Some(auth) = request.authorization.clone() else {
            return;
        };
        let nonce = auth.param("nonce").unwrap_or_default().to_owned();
        let nc = sip_proto::auth::nonce_count(&auth);
        // The nonce may have expired, or its count been used, during the look-up.
        match self.registrar.check_nonce(&nonce, nc, now) {
            NonceCheck::Fresh => {}
            NonceCheck::Stale => return self.challenge_register(&request, true),
            NonceCheck::Unknown => return self.challenge_register(&request, false),
        }
        let realm = self.deps.deps.app.sip_realm().to_owned();
        let account = account.filter(|a| {
            request.user().as_deref() == Some(a.username.as_str())
                && sip_proto::auth::verify_ha1(
                    &auth,
                    "REGISTER",
                    &realm,
                    &nonce,
                    &a.username,
                    a.ha1(),
                )
                .is_ok()
        });
        let Some(account) = account else {
            self.registrar.record_failure(request.source.ip(), now);
            tracing::info!("a phone's registration was refused (wrong or unknown credentials)");
            return self.answer_register(&request, RegisterAnswer::Refuse(403));
        };
        self.registrar.accept_nonce_count(&nonce, nc);
        let key = (account.tenant, account.user);
        let answer = match &request.contacts {
            None if request.expires == Some(0) => {
                self.registrar.unbind(&key, None);
                RegisterAnswer::Bindings(Vec::new())
            }
            // `Contact: *` is only allowed with `Expires: 0` (RFC 3261 §10.2.2).
            None => RegisterAnswer::Refuse(400),
            Some(contacts) => match contacts.first() {
                // No Contact: the phone asks what is bound.
                None => RegisterAnswer::Bindings(self.bindings_of(&key, now)),
                // One phone per agent: the first Contact counts.
                Some(contact) => {
                    let asked = request.expires_of(contact, registrar::DEFAULT_EXPIRES_SECS);
                    match registrar::granted_expires(asked) {
                        None => RegisterAnswer::IntervalTooBrief {
                            min_expires: registrar::MIN_EXPIRES_SECS,
                        },
                        Some(0) => {
                            self.registrar.unbind(&key, Some(&contact.uri));
                            RegisterAnswer::Bindings(self.bindings_of(&key, now))
                        }
                        Some(secs) => {
                            self.registrar.bind(
                                key,
                                Binding {
                                    contact: contact.uri.clone(),
                                    aor: request.aor.clone(),
                                    // Over TLS a phone is reached over its own connection.
                                    destination: if request.transport == Transport::Tls {
                                        request.source
                                    } else {
                                        registrar::destination(&contact.uri, request.source)
                                    },
                                    transport: request.transport.clone(),
                                    expires_at_ms: now + u64::from(secs) * 1000,
                                },
                            );
                            RegisterAnswer::Bindings(self.bindings_of(&key, now))
                        }
                    }
                }
            },
        };
        if let RegisterAnswer::Bindings(b) = &answer {
            self.stats.add(&self.stats.phone_registrations, 1);
            tracing::info!(
                tenant = %account.tenant,
                agent = %account.user,
                bound = !b.is_empty(),
                "an agent's phone registered"
            );
        }
        self.answer_register(&request, answer);
    }

    /// The agent's binding, with its remaining lifetime in seconds.
    fn bindings_of(&self, key: &(TenantId, UserId), now: u64) -> Vec<(sip_proto::Uri, u32)> {
        self.registrar
            .binding(key, now)
            .map(|b| {
                let secs = b.expires_at_ms.saturating_sub(now).div_ceil(1000);
                vec![(b.contact.clone(), u32::try_from(secs).unwrap_or(u32::MAX))]
            })
            .unwrap_or_default()
    }

    /// Sends what the user agent wants sent and hands out its events, until neither is left.
    async fn flush(&mut self, cmd_tx: &mpsc::UnboundedSender<UaCommand>) {
        // What handling an event sends (a challenge, a refusal) goes out in the same turn,
        // not when something next wakes the task.
        loop {
            self.send_transmits().await;
            let mut handled = false;
            while let Some(event) = self.ua.poll_event() {
                handled = true;
                self.event(event, cmd_tx);
            }
            if !handled {
                break;
            }
        }
    }

    async fn send_transmits(&mut self) {
        while let Some(t) = self.ua.poll_transmit() {
            match t.transport {
                Transport::Tcp => {
                    if let Some(conn) = self.tcp_conns.get(&t.to) {
                        let _ = conn.try_send(t.bytes);
                    } else {
                        // No connection to answer on (it closed): open one, as RFC 3261 §18.2.2 asks.
                        spawn_tcp_send(t.to, t.bytes);
                    }
                }
                Transport::Tls => match self.tls_conns.get(&t.to) {
                    Some(conn) => {
                        let _ = conn.try_send(t.bytes);
                    }
                    None => self.connect_tls(t.to, t.bytes),
                },
                _ => {
                    let _ = self.udp.send_to(&t.bytes, t.to).await;
                }
            }
        }
    }

    fn event(&mut self, event: UaEvent, cmd_tx: &mpsc::UnboundedSender<UaCommand>) {
        let signal = match event {
            UaEvent::Incoming(incoming) => return self.incoming(*incoming, cmd_tx),
            UaEvent::Established { call } => (call, CallSignal::Established),
            UaEvent::Cancelled { call } | UaEvent::Hangup { call, .. } => (call, CallSignal::Ended),
            UaEvent::MediaUpdate { call, answer } => (call, CallSignal::Media(Box::new(answer))),
            UaEvent::Dtmf { call, digit, .. } => (call, CallSignal::Digit(digit)),
            UaEvent::TransferAccepted { call } => (call, CallSignal::TransferAccepted),
            UaEvent::TransferFailed { call, .. } => (call, CallSignal::TransferFailed),
            UaEvent::Transfer { .. } => return,
            UaEvent::Register(request) => return self.register(*request),
            UaEvent::Ringing { call } => (call, CallSignal::Ringing),
            UaEvent::Answered { call, media } => (call, CallSignal::Answered(media.map(Box::new))),
            UaEvent::Failed { call, status } => (call, CallSignal::Failed(status)),
            UaEvent::Registered { expires, .. } => {
                self.stats.add(&self.stats.registrations, 1);
                tracing::info!(expires, "registered with the SIP provider");
                return;
            }
            UaEvent::RegistrationFailed { status, .. } => {
                self.stats.add(&self.stats.registration_failures, 1);
                tracing::warn!(
                    status,
                    "registration with the SIP provider failed; retrying"
                );
                return;
            }
            UaEvent::Unregistered { .. } => return,
        };
        if let Some(tx) = self.calls.get(&signal.0) {
            let _ = tx.send(signal.1);
        }
    }

    fn incoming(&mut self, call: IncomingCall, cmd_tx: &mpsc::UnboundedSender<UaCommand>) {
        let now = self.now();
        if !self.config.allow_from.contains(&call.source.ip()) {
            let Some(creds) = self.config.credentials.clone() else {
                self.stats.add(&self.stats.calls_rejected, 1);
                self.auth_failure(call.source.ip());
                let _ = self.ua.reject(call.call, 403, now);
                return;
            };
            self.nonces
                .retain(|_, at| now.saturating_sub(*at) < NONCE_LIFETIME_MS);
            let valid = call.authorization.as_ref().is_some_and(|auth| {
                auth.param("nonce").is_some_and(|n| {
                    self.nonces.contains_key(n)
                        && sip_proto::auth::verify(auth, "INVITE", &self.config.realm, n, &creds)
                            .is_ok()
                })
            });
            if !valid {
                // Every challenge counts: a peer that answers it correctly gets in on the next
                // try; one that keeps trying without (or with wrong credentials) is banned.
                self.auth_failure(call.source.ip());
                if self.nonces.len() > 100_000 {
                    let _ = self.ua.reject(call.call, 503, now);
                    return;
                }
                let nonce = format!("{:016x}{:016x}", random_u64(), random_u64());
                self.nonces.insert(nonce.clone(), now);
                let _ = self
                    .ua
                    .challenge(call.call, &self.config.realm, &nonce, now);
                return;
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        self.calls.insert(call.call, tx);
        tokio::spawn(crate::call::drive(
            self.deps.clone(),
            call,
            rx,
            cmd_tx.clone(),
        ));
    }
}

/// An INVITE outside a dialog (no To tag): a new call. Re-INVITEs cost no token.
fn opens_a_call(msg: &Message) -> bool {
    matches!(msg, Message::Request(r) if r.method == sip_proto::Method::Invite
        && r.headers.to().is_ok_and(|t| t.tag().is_none()))
}
