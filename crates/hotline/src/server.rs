//! `hotline serve`: opens the store, runs migrations, bootstraps the demo tenant on first
//! start, binds the HTTP listener and serves until shutdown, then finishes in-flight
//! requests and closes the store.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use app::{App, Bootstrapped, Clock};

use crate::settings::Settings;

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The bound HTTP address (useful with port 0).
    pub http_addr: SocketAddr,
    /// Whether it speaks HTTPS.
    pub https: bool,
    /// The bound SIP address, when the voice channel is on.
    pub sip_addr: Option<SocketAddr>,
    /// The bound SIP-over-TLS address, when `sip.tls_addr` is set.
    pub sip_tls_addr: Option<SocketAddr>,
    /// The voice channel's counters, when it is on.
    pub voice_stats: Option<Arc<voice::VoiceStats>>,
    /// What the first start created, if this was the first start.
    pub bootstrapped: Option<Bootstrapped>,
    /// The application, for tests that look behind the API.
    pub app: App,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// The server's base URL, `https://ADDR` or `http://ADDR`.
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.http_addr)
    }

    /// Asks the server to stop and waits until in-flight requests are done.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task panicked")?
    }

    /// Waits until the server stops on its own or `signal` completes, then shuts down.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down: finishing in-flight requests");
        self.stop().await
    }
}

/// Opens the configured store and applies migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<store::Store> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "creating the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let url = settings.database_url();
    let store = store::connect(url.expose_secret())
        .await
        .context("opening the database")?;
    store
        .migrate()
        .await
        .context("running database migrations")?;
    Ok(store)
}

/// Reads the audit key from `audit_key_file` (default `DATA_DIR/audit.key`) and installs it.
/// Without the file: with `create`, a new key is written (owner-only) and the chain heads
/// written before it are signed once their chains verify; without `create` (verification),
/// it is an error, since signatures cannot be checked without the server's key.
pub async fn install_audit_key(settings: &Settings, app: &App, create: bool) -> anyhow::Result<()> {
    let path = settings
        .audit_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("audit.key"));
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = security::audit::key_from_text(&text).with_context(|| {
                format!(
                    "the audit key file {} must hold at least 64 hex characters",
                    path.display()
                )
            })?;
            app.set_audit_key(key);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let key = app::new_audit_key().map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::files::write_secret(&path, &security::audit::key_to_text(&key))?;
            app.set_audit_key(key);
            let signed = app
                .adopt_audit_heads()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tracing::info!(path = %path.display(), signed, "audit key created; existing chain heads signed");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "no audit key at {}: point audit_key_file (HOTLINE_AUDIT_KEY_FILE) at the server's key",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("reading the audit key file {}", path.display())),
    }
}

/// Unlocks callers' data at rest with the root key: `root_key` (`HOTLINE_ROOT_KEY`), else the
/// file `root_key_file` (default `DATA_DIR/root.key`). A database set up without one gets a
/// new key file when `create` (first start, or the upgrade of a database from before
/// encryption at rest), and what an older version stored in clear is sealed. Fails closed:
/// a database whose data is encrypted is never opened without its key, and a wrong key is
/// refused before anything is read or written.
pub async fn install_root_key(
    settings: &Settings,
    store: &store::Store,
    create: bool,
    now: domain::Timestamp,
) -> anyhow::Result<()> {
    let path = settings
        .root_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("root.key"));
    let key = if let Some(text) = &settings.root_key {
        security::crypto::Key::from_text(text)
            .context("the root key (root_key, HOTLINE_ROOT_KEY) must be 64 hex characters")?
    } else {
        match std::fs::read_to_string(&path) {
            Ok(text) => security::crypto::Key::from_text(&text).with_context(|| {
                format!(
                    "the root key file {} must hold 64 hex characters",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if store.has_root_key_check().await? {
                    anyhow::bail!(
                        "no root key at {}: this database's callers' data is encrypted and \
                         cannot be opened without the root key it was set up with; point \
                         root_key_file (HOTLINE_ROOT_KEY_FILE) at that key or set \
                         HOTLINE_ROOT_KEY",
                        path.display()
                    );
                }
                if !create {
                    anyhow::bail!(
                        "no root key at {}: point root_key_file (HOTLINE_ROOT_KEY_FILE) at the \
                         server's key",
                        path.display()
                    );
                }
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let key = app::new_root_key().map_err(|e| anyhow::anyhow!("{e}"))?;
                crate::files::write_secret(&path, &key.to_text())?;
                tracing::info!(path = %path.display(), "root key for data at rest created");
                key
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading the root key file {}", path.display()));
            }
        }
    };
    match store.unlock(key).await {
        Ok(_) => {}
        Err(store::StoreError::WrongRootKey) => anyhow::bail!(
            "the root key does not open this database: its data was encrypted under another \
             root key (check root_key_file / HOTLINE_ROOT_KEY); nothing was read or written"
        ),
        Err(e) => return Err(e).context("unlocking the database's keys"),
    }
    let sealed = store
        .seal_plaintext(now)
        .await
        .context("encrypting data stored in clear by an older version")?;
    if sealed > 0 {
        tracing::info!(
            values = sealed,
            "data stored in clear by an older version is now encrypted"
        );
    }
    Ok(())
}

/// Starts the server in the background with the given clock.
pub async fn start(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let store = open_store(settings).await?;
    install_root_key(settings, &store, true, clock.now()).await?;
    let app = App::new(store.clone(), clock.clone(), settings.auth.policy());
    // Before anything is audited: every head from here on is signed.
    install_audit_key(settings, &app, true).await?;
    app.set_sip_realm(settings.sip.realm.clone());
    if let Some(dir) = &settings.nlu.encoder_dir {
        // Loaded before anything compiles a flow, so every model can combine it.
        let encoder = crate::encoder::load_encoder(dir)?;
        tracing::info!(encoder = encoder.fingerprint(), "sentence encoder loaded");
        app.set_sentence_encoder(encoder);
    }
    // Prompts are synthesised when a flow version is first compiled (at publish, and for the
    // demo flows at the first call after start), so the warmer is installed before anything
    // compiles.
    let synthesizer = synthesizers(settings);
    app.set_prompt_warmer(Arc::new(voice::prompts::SynthesizingWarmer::new(
        synthesizer.clone(),
    )));
    // The editor's "hear it" button speaks with the same engine and cache.
    app.set_synthesizer(synthesizer.clone());
    // Exports, erasure and retention reach the call shell's recordings here.
    app.set_recording_files(Arc::new(voice::recordings::RecordingDir::new(
        settings.data_dir.join("recordings"),
    )));
    // `context` keeps the cause chain (down to the database's own message), which `main`
    // prints and a log line shows with `{:#}`.
    let bootstrapped = app
        .bootstrap_if_empty()
        .await
        .context("first start: creating the demo tenant")?;

    let listener = TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("binding the HTTP address {}", settings.http_addr))?;
    let http_addr = listener.local_addr()?;
    let tls = if settings.https() {
        let tls = crate::tls::load_or_make(settings)?;
        tracing::info!(
            certificate = %tls.cert_file.display(),
            fingerprint = %tls.fingerprint,
            self_signed = tls.self_signed,
            "HTTPS"
        );
        Some(tls)
    } else {
        if !settings.http_addr.ip().is_loopback() {
            tracing::warn!(
                "plain HTTP on a non-loopback address (https = \"off\"): only behind a proxy that terminates TLS"
            );
        }
        None
    };
    let metrics = Arc::new(api::Metrics::new());
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{http_addr}");
    let messaging = crate::messaging::wire(
        crate::messaging::Config {
            messaging: &settings.messaging,
            twilio: &settings.twilio,
            whatsapp: &settings.whatsapp,
            smpp: &settings.smpp,
        },
        &base_url,
        &app,
    )?;
    let smpp_links = messaging.smpp.clone();
    app.set_message_sender(messaging.router.clone());
    let options = api::ApiOptions {
        body_limit: settings.body_limit_bytes,
        https: tls.is_some(),
        hooks: messaging.hooks,
    };
    app.set_base_url(base_url);
    app.set_http_client(Arc::new(channels::FlowHttpClient::new()));
    let router = api::router(app.clone(), metrics.clone(), &options);
    let sip = if settings.sip.enabled {
        let server = start_sip(settings, &app, synthesizer).await?;
        Some(server)
    } else {
        None
    };
    let sip_addr = sip.as_ref().map(voice::SipServer::local_addr);
    let sip_tls_addr = sip.as_ref().and_then(voice::SipServer::tls_addr);
    if let Some(addr) = sip_tls_addr {
        tracing::info!(%addr, "SIP over TLS listening");
    }
    if !smpp_links.is_empty() {
        metrics.add_extra(move |out| {
            channels::messaging::SmppLink::render_prometheus(&smpp_links, out);
        });
    }
    let voice_stats = sip.as_ref().map(voice::SipServer::stats);
    if let Some(stats) = voice_stats.clone() {
        metrics.add_extra(move |out| stats.render_prometheus(out));
    }
    let (shutdown, mut shutdown_rx) = watch::channel(false);
    let jobs_shutdown = shutdown.subscribe();

    let jobs = tokio::spawn(run_jobs(app.clone(), clock, jobs_shutdown));
    let links_to_stop = messaging.smpp.clone();

    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let stopping = async move {
            let _ = shutdown_rx.changed().await;
        };
        let result = match tls {
            Some(tls) => {
                use axum::serve::ListenerExt;
                let listener = crate::tls::TlsListener::new(listener, tls.config)?.tap_io(|_| {});
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopping)
                    .await
            }
            None => {
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopping)
                    .await
            }
        }
        .context("HTTP server failed");
        if let Some(sip) = sip {
            sip.stop().await;
        }
        // SMSC links unbind in order (messages queued meanwhile wait in the outbox).
        for link in &links_to_stop {
            link.stop().await;
        }
        let _ = jobs.await;
        store.close().await;
        result
    });

    Ok(Running {
        http_addr,
        https: scheme == "https",
        sip_addr,
        sip_tls_addr,
        voice_stats,
        bootstrapped,
        app,
        shutdown,
        task,
    })
}

/// Starts the voice channel: SIP on UDP and TCP, calls driven through the app.
async fn start_sip(
    settings: &Settings,
    app: &App,
    synthesizer: Arc<dyn voice::tts::Synthesizer>,
) -> anyhow::Result<voice::SipServer> {
    let sip = &settings.sip;
    let read_secret = |path: &std::path::Path| -> anyhow::Result<String> {
        Ok(std::fs::read_to_string(path)
            .with_context(|| format!("reading the secret file {}", path.display()))?
            .trim()
            .to_owned())
    };
    let mut config = voice::VoiceConfig::new(sip.addr, settings.data_dir.join("recordings"));
    config.public_host.clone_from(&sip.public_host);
    config.rtp_ports = sip.rtp_range()?;
    config.allow_from.clone_from(&sip.allow_from);
    config.invites_per_second = sip.invites_per_second;
    config.invite_burst = sip.invite_burst;
    config.media_timeout = Duration::from_secs(sip.media_timeout_secs.max(5));
    config.answer_delay = Duration::from_millis(sip.answer_delay_ms.min(10_000));
    config.realm.clone_from(&sip.realm);
    config.agent_ring = Duration::from_secs(sip.agent_ring_secs.clamp(1, 300));
    // With sip.trunk_tls, the trunk and the provider are reached by TLS and must show a
    // certificate for the host named here.
    let mut tls_peers = std::collections::HashMap::new();
    let mut tls_peer = |setting: &str, target: &str, addr: SocketAddr| -> anyhow::Result<()> {
        if sip.trunk_tls {
            tls_peers.insert(addr, crate::tls::server_name(setting, target)?);
        }
        Ok(())
    };
    if let Some(trunk) = &sip.call_back_trunk {
        let resolved: SocketAddr = tokio::net::lookup_host(trunk.as_str())
            .await
            .with_context(|| format!("resolving sip.call_back_trunk {trunk}"))?
            .next()
            .context("sip.call_back_trunk resolves to no address")?;
        tls_peer("sip.call_back_trunk", trunk, resolved)?;
        config.call_back_trunk = Some(resolved);
    }
    if let Some(addr) = sip.tls_addr {
        let tls = crate::tls::load_or_make(settings)?;
        // The HTTP listener's protocol (http/1.1) means nothing to SIP peers.
        let mut server = (*tls.config).clone();
        server.alpn_protocols.clear();
        tracing::info!(
            certificate = %tls.cert_file.display(),
            fingerprint = %tls.fingerprint,
            "SIP over TLS"
        );
        config.tls = Some(voice::SipTls {
            addr,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
        });
    }
    if let (Some(user), Some(file)) = (&sip.auth_user, &sip.auth_password_file) {
        config.credentials = Some(sip_proto::auth::Credentials {
            username: user.clone(),
            password: read_secret(file)?,
        });
    }
    if let (Some(server_name), Some(aor)) = (&sip.register_server, &sip.register_aor) {
        let server = server_name;
        let server: SocketAddr = tokio::net::lookup_host(server.as_str())
            .await
            .with_context(|| format!("resolving sip.register_server {server}"))?
            .next()
            .context("sip.register_server resolves to no address")?;
        tls_peer("sip.register_server", server_name, server)?;
        let aor = match sip_proto::Uri::parse(aor) {
            Ok(sip_proto::Uri::Sip(u)) => u,
            _ => anyhow::bail!("sip.register_aor must be a sip: URI"),
        };
        let mut registrar = aor.clone();
        registrar.user = None;
        let password = match &sip.register_password_file {
            Some(f) => read_secret(f)?,
            None => String::new(),
        };
        config.register = Some(sip_proto::register::RegistrationConfig {
            registrar,
            credentials: sip_proto::auth::Credentials {
                username: sip
                    .register_user
                    .clone()
                    .or_else(|| aor.user.clone())
                    .unwrap_or_default(),
                password,
            },
            aor,
            expires: sip.register_expires.max(60),
            server,
            transport: if sip.trunk_tls {
                sip_proto::Transport::Tls
            } else {
                sip_proto::Transport::Udp
            },
        });
    }
    if sip.trunk_tls {
        config.tls_out = Some(voice::SipTlsOut {
            connector: crate::tls::trunk_connector(sip.trunk_ca_file.as_deref())?,
            names: tls_peers,
        });
    }
    let recognizer: Option<Arc<dyn voice::asr::Recognizer>> = if sip.speech_recognition {
        Some(Arc::new(recognizers(&settings.asr)))
    } else {
        None
    };
    let deps = voice::CallDeps {
        app: app.clone(),
        synthesizer,
        recognizer,
    };
    voice::SipServer::start(config, deps)
        .await
        .with_context(|| format!("binding the SIP address {}", sip.addr))
}

/// The text-to-speech engine of each language and voice: those configured in `[tts.…]`,
/// espeak-ng for the others. Each caches under `prompts/` in the data directory.
fn synthesizers(settings: &Settings) -> Arc<dyn voice::tts::Synthesizer> {
    use voice::tts::{ByLanguage, EspeakSynthesizer, ExternalEngine, ExternalSynthesizer};
    let dir = settings.data_dir.join("prompts");
    let espeak: Arc<dyn voice::tts::Synthesizer> = Arc::new(EspeakSynthesizer::new(&dir));
    if settings.tts.is_empty() {
        return espeak;
    }
    let engine = |s: &crate::settings::TtsEngineSettings| -> Arc<dyn voice::tts::Synthesizer> {
        let external = match s.engine.as_str() {
            "command" => ExternalEngine::Command(s.command.clone().unwrap_or_default()),
            "http" => ExternalEngine::Http(s.url.clone().unwrap_or_default()),
            _ => return espeak.clone(),
        };
        Arc::new(
            ExternalSynthesizer::new(external, &dir)
                .with_timeout(Duration::from_millis(s.timeout_ms)),
        )
    };
    let mut engines = ByLanguage::new(espeak.clone());
    for (language, s) in &settings.tts {
        tracing::info!(language, engine = s.engine, "text-to-speech");
        engines = engines.with(language, engine(s));
        for (name, v) in &s.voices {
            tracing::info!(language, voice = name, engine = v.engine, "text-to-speech");
            engines = engines.with_voice(language, name, engine(v));
        }
    }
    Arc::new(engines)
}

/// The speech engine of each language: those configured in `[asr.…]`, and pocketsphinx for
/// English unless another engine is configured for it.
fn recognizers(
    asr: &std::collections::BTreeMap<String, crate::settings::AsrEngineSettings>,
) -> voice::asr::ByLanguage {
    use voice::asr::{
        ByLanguage, PocketsphinxRecognizer, RemoteConfig, VoskRecognizer, WhisperRecognizer,
    };
    let pocketsphinx = || -> Arc<dyn voice::asr::Recognizer> {
        Arc::new(PocketsphinxRecognizer::new().with_work_dir(std::env::temp_dir()))
    };
    let mut engines = ByLanguage::new();
    if !asr.contains_key("en") {
        engines = engines.with("en", pocketsphinx());
    }
    for (language, s) in asr {
        let mut config = RemoteConfig::new(s.url.clone().unwrap_or_default());
        config.timeout = Duration::from_millis(s.timeout_ms);
        let engine: Arc<dyn voice::asr::Recognizer> = match s.engine.as_str() {
            "vosk" => Arc::new(VoskRecognizer::new(config)),
            "whisper" => Arc::new(WhisperRecognizer::new(
                config,
                s.model.clone().unwrap_or_else(|| "whisper-1".to_owned()),
            )),
            _ => pocketsphinx(),
        };
        tracing::info!(language, engine = s.engine, "speech recognition");
        engines = engines.with(language, engine);
    }
    engines
}

/// How often the conversation timers are looked at, by the app's clock: a timer fires at
/// most this late.
const TIMER_CHECK_MS: i64 = 250;

/// How often proxy sessions that ran out are closed (and transient addresses dropped).
const PROXY_SWEEP_EVERY_MS: i64 = 10_000;

/// How often the retention job looks for expired personal data (by the app's clock).
const RETENTION_EVERY_MS: i64 = 60 * 60 * 1000;

/// The background jobs until shutdown: conversation timers (no-input timeouts, queue waits,
/// HTTP watchdogs) live in the store and this loop fires the due ones, so they survive
/// restarts; the contact centre's routers are restored at start and their timers (offer
/// timeouts, wrap-ups, maximum waits, business hours) fired with the same cadence; and
/// housekeeping now and then; and the retention job at start and then hourly, which deletes
/// personal data older than each tenant's periods.
///
/// The timer check waits on the app's clock, not on tokio's: with the system clock that is
/// every 250 ms, and a test on a `ManualClock` that moves time past a timer's due time
/// wakes the loop at once and then waits for the step the timer causes.
async fn run_jobs(app: App, clock: Arc<dyn Clock>, mut shutdown: watch::Receiver<bool>) {
    let mut housekeeping_tick = tokio::time::interval(Duration::from_secs(600));
    // The first check is right away: timers that fell due while the server was down fire
    // at start.
    let mut next_check = clock.sleep_until(clock.now());
    let mut next_retention = clock.sleep_until(clock.now());
    let mut next_sweep = clock.sleep_until(clock.now());
    // Waiting callers are queued again after a restart, in their order; offers that were
    // open are made again.
    match app.restore_contact_centres().await {
        Ok(n) if n > 0 => tracing::info!(tasks = n, "contact centre restored"),
        Ok(_) => {}
        Err(e) => {
            let error = format!("{:#}", anyhow::Error::new(e));
            tracing::warn!(error, "restoring the contact centre failed");
        }
    }
    loop {
        tokio::select! {
            _ = housekeeping_tick.tick() => housekeeping(&app).await,
            () = &mut next_check => {
                // The next check is counted from this one's start, so time that passes while
                // this one works (a moved test clock, a slow database) is not skipped.
                let started = clock.now();
                if let Err(e) = app.fire_due_timers().await {
                    let error = format!("{:#}", anyhow::Error::new(e));
                    tracing::warn!(error, "firing conversation timers failed");
                }
                if let Err(e) = app.fire_contact_timers().await {
                    let error = format!("{:#}", anyhow::Error::new(e));
                    tracing::warn!(error, "firing contact-centre timers failed");
                }
                // Messages a restart or an outage left queued, and retries that are due.
                if let Err(e) = app.deliver_due().await {
                    let error = format!("{:#}", anyhow::Error::new(e));
                    tracing::warn!(error, "sending queued messages failed");
                }
                next_check = clock.sleep_until(started.plus_millis(TIMER_CHECK_MS));
            }
            () = &mut next_retention => {
                if let Err(e) = app.expire_personal_data_everywhere().await {
                    let error = format!("{:#}", anyhow::Error::new(e));
                    tracing::warn!(error, "the retention job failed");
                }
                next_retention = clock.sleep_until(clock.now().plus_millis(RETENTION_EVERY_MS));
            }
            () = &mut next_sweep => {
                // Proxy sessions that ran out close; addresses kept only for follow-ups go.
                if let Err(e) = app.sweep_proxy_sessions().await {
                    let error = format!("{:#}", anyhow::Error::new(e));
                    tracing::warn!(error, "closing expired proxy sessions failed");
                }
                next_sweep = clock.sleep_until(clock.now().plus_millis(PROXY_SWEEP_EVERY_MS));
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Background work: drop expired sessions.
async fn housekeeping(app: &App) {
    match app.expire_sessions().await {
        Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
        Ok(_) => {}
        Err(e) => {
            let error = format!("{:#}", anyhow::Error::new(e));
            tracing::warn!(error, "housekeeping failed");
        }
    }
}

/// Resolves when SIGINT or SIGTERM arrives. The handlers are installed when this is
/// called, not when the future is first polled, so call it before announcing readiness:
/// a signal that arrives right after the "listening" line then still shuts down cleanly.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
