//! Stream transports of SIP: TCP and TLS connections. Each connection has a reader that
//! frames messages (`sip_proto::parse_stream`) and hands them to the shell, and a writer that
//! sends what the shell queues for that peer. TLS handshakes are bounded in number and time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sip_proto::{Message, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::stats::VoiceStats;

/// What the TCP and TLS readers hand to the shell (with the connection's transport).
pub(super) enum TcpEvent {
    Opened(SocketAddr, Transport, mpsc::Sender<Vec<u8>>),
    Message(Message, SocketAddr, Transport),
    Closed(SocketAddr, Transport),
    /// A TLS connection Hotline tried to open could not be made.
    Failed(SocketAddr),
}

/// TLS handshakes in progress at most; more wait for the listener.
const MAX_HANDSHAKES: usize = 64;
/// A peer that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) async fn accept_tcp(listener: TcpListener, events: mpsc::Sender<TcpEvent>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        tokio::spawn(serve_tcp(stream, peer, events.clone()));
    }
}

/// Takes SIP-over-TLS connections: at most [`MAX_HANDSHAKES`] handshakes at once, each
/// within [`HANDSHAKE_TIMEOUT`]; an established connection is served like a TCP one.
pub(super) async fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    events: mpsc::Sender<TcpEvent>,
    stats: Arc<VoiceStats>,
) {
    let handshakes = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (acceptor, events, stats) = (acceptor.clone(), events.clone(), stats.clone());
        tokio::spawn(async move {
            let shaken = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            match shaken {
                Ok(Ok(tls)) => {
                    stats.add(&stats.tls_connections, 1);
                    serve_stream(tls, peer, Transport::Tls, events).await;
                }
                Ok(Err(e)) => {
                    stats.add(&stats.tls_handshakes_failed, 1);
                    tracing::debug!(error = %e, "a SIP-over-TLS handshake failed");
                }
                Err(_) => {
                    stats.add(&stats.tls_handshakes_failed, 1);
                    tracing::debug!("a SIP-over-TLS handshake timed out");
                }
            }
        });
    }
}

/// Opens a TLS connection to `to`, verifying its certificate for `name`, and serves it like
/// one the peer opened; a failure (no connection, a certificate that does not verify, no
/// handshake within [`HANDSHAKE_TIMEOUT`]) is reported as [`TcpEvent::Failed`].
pub(super) async fn connect_tls(
    connector: tokio_rustls::TlsConnector,
    name: tokio_rustls::rustls::pki_types::ServerName<'static>,
    to: SocketAddr,
    events: mpsc::Sender<TcpEvent>,
    stats: Arc<VoiceStats>,
) {
    let connected = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let tcp = TcpStream::connect(to).await?;
        connector.connect(name, tcp).await
    })
    .await;
    match connected {
        Ok(Ok(tls)) => {
            stats.add(&stats.tls_connections, 1);
            serve_stream(tls, to, Transport::Tls, events).await;
        }
        Ok(Err(e)) => {
            stats.add(&stats.tls_handshakes_failed, 1);
            tracing::warn!(error = %e, "a SIP-over-TLS connection to a trunk or provider failed");
            let _ = events.send(TcpEvent::Failed(to)).await;
        }
        Err(_) => {
            stats.add(&stats.tls_handshakes_failed, 1);
            tracing::warn!("a SIP-over-TLS connection to a trunk or provider timed out");
            let _ = events.send(TcpEvent::Failed(to)).await;
        }
    }
}

async fn serve_tcp(stream: TcpStream, peer: SocketAddr, events: mpsc::Sender<TcpEvent>) {
    serve_stream(stream, peer, Transport::Tcp, events).await;
}

/// Reads SIP messages from a stream connection (TCP or TLS) and writes what the shell sends
/// to its peer, until either side closes it or it stops framing.
async fn serve_stream<S>(
    stream: S,
    peer: SocketAddr,
    transport: Transport,
    events: mpsc::Sender<TcpEvent>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(256);
    if events
        .send(TcpEvent::Opened(peer, transport.clone(), out_tx))
        .await
        .is_err()
    {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            if write.write_all(&bytes).await.is_err() || write.flush().await.is_err() {
                break;
            }
        }
    });
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 8192];
    'conn: loop {
        let n = match read.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match sip_proto::parse_stream(&buf) {
                Ok(Some((msg, used))) => {
                    buf.drain(..used);
                    if events
                        .send(TcpEvent::Message(msg, peer, transport.clone()))
                        .await
                        .is_err()
                    {
                        break 'conn;
                    }
                }
                Ok(None) => break,
                // A stream that does not frame cannot be resynchronised: close it.
                Err(_) => break 'conn,
            }
        }
    }
    writer.abort();
    let _ = events.send(TcpEvent::Closed(peer, transport)).await;
}

pub(super) fn spawn_tcp_send(to: SocketAddr, bytes: Vec<u8>) {
    tokio::spawn(async move {
        if let Ok(Ok(mut s)) =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(to)).await
        {
            let _ = s.write_all(&bytes).await;
        }
    });
}
