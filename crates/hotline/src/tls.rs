//! HTTPS: the certificate the HTTP listener presents — the operator's (`tls_cert_file`,
//! `tls_key_file`) or one made on first start and kept in `data_dir/tls/` — and a listener
//! that completes TLS handshakes in tasks of their own (bounded in number and time, so a slow
//! or silent client holds up nobody) before axum serves the connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::settings::Settings;

/// A handshake that has not finished in this time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; more wait for a turn before they are read.
const MAX_HANDSHAKES: usize = 256;

/// The certificate in use and where it came from.
#[derive(Debug)]
pub struct TlsSetup {
    /// The server configuration for the acceptor.
    pub config: Arc<rustls::ServerConfig>,
    /// The SHA-256 fingerprint of the leaf certificate (`AA:BB:…`), for operators and
    /// browsers to check a self-signed one against.
    pub fingerprint: String,
    /// The leaf certificate's file.
    pub cert_file: PathBuf,
    /// Whether it was made by Hotline (self-signed) rather than given by the operator.
    pub self_signed: bool,
}

/// The certificate for HTTPS: the operator's files, or the self-signed one in
/// `data_dir/tls/` (made now if missing, its key readable by the owner only).
pub fn load_or_make(settings: &Settings) -> anyhow::Result<TlsSetup> {
    let (cert_file, key_file, self_signed) = match (&settings.tls_cert_file, &settings.tls_key_file)
    {
        (Some(cert), Some(key)) => (cert.clone(), key.clone(), false),
        (None, None) => {
            let dir = settings.data_dir.join("tls");
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !cert.exists() || !key.exists() {
                make_self_signed(settings, &dir, &cert, &key)?;
            }
            (cert, key, true)
        }
        _ => bail!("tls_cert_file and tls_key_file go together: set both or neither"),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_file)
        .with_context(|| format!("reading the TLS certificate {}", cert_file.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("the TLS certificate {} is not PEM", cert_file.display()))?;
    let Some(leaf) = chain.first() else {
        bail!(
            "the TLS certificate file {} holds no certificate",
            cert_file.display()
        );
    };
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(&key_file)
        .with_context(|| format!("reading the TLS private key {}", key_file.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .with_context(|| {
        format!(
            "the TLS private key {} does not fit the certificate {}",
            key_file.display(),
            cert_file.display()
        )
    })?;
    // HTTP/1.1 only: the server speaks no HTTP/2 (axum without its `http2` feature), so
    // offering `h2` would send browsers into a protocol nobody answers.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsSetup {
        config: Arc::new(config),
        fingerprint,
        cert_file,
        self_signed,
    })
}

/// A certificate for the names this server is reached by: localhost, the loopback addresses,
/// the listen address and the public host.
fn make_self_signed(
    settings: &Settings,
    dir: &Path,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let ip = settings.http_addr.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    if let Some(host) = &settings.sip.public_host
        && !names.contains(host)
    {
        names.push(host.clone());
    }
    let made = rcgen::generate_simple_self_signed(names)
        .context("making a self-signed TLS certificate")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // A key without its certificate (an interrupted first start) is replaced.
    if key.exists() {
        std::fs::remove_file(key).with_context(|| format!("replacing {}", key.display()))?;
    }
    crate::files::write_secret(key, &made.signing_key.serialize_pem())?;
    std::fs::write(cert, made.cert.pem())
        .with_context(|| format!("writing the TLS certificate {}", cert.display()))?;
    Ok(())
}

/// `AA:BB:…`: the SHA-256 of a certificate, as browsers show it.
fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A TCP listener whose connections arrive with their TLS handshake done.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl TlsListener {
    /// Accepts on `listener` in a task of its own; each handshake runs in its own task.
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(64);
        let turns = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    () = tx.closed() => break,
                };
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, then go on.
                        tracing::warn!(error = %e, "accepting an HTTPS connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(turn) = turns.clone().acquire_owned().await else {
                    break;
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let _turn = turn;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task is gone: nothing will arrive any more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// The host of a `host:port` setting as the name a peer's certificate must carry.
pub fn server_name(setting: &str, target: &str) -> anyhow::Result<ServerName<'static>> {
    let host = match target.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => target,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .with_context(|| format!("{setting}: {host} is not a host name or address"))
}

/// The client side of SIP over TLS to trunks and providers: TLS 1.2 and 1.3, trusting the
/// certificates in `ca_file` (default: the system's bundle).
pub fn trunk_connector(ca_file: Option<&Path>) -> anyhow::Result<tokio_rustls::TlsConnector> {
    let file = ca_file.unwrap_or(Path::new("/etc/ssl/certs/ca-certificates.crt"));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(file)
        .with_context(|| format!("reading sip.trunk_ca_file {}", file.display()))?
    {
        let cert =
            cert.with_context(|| format!("sip.trunk_ca_file {} is not PEM", file.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("a certificate in {} is not usable", file.display()))?;
    }
    if roots.is_empty() {
        bail!("sip.trunk_ca_file {} holds no certificate", file.display());
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}
