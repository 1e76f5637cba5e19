//! The link between the SIP task and a call's driver: what the SIP task tells the driver
//! ([`CallSignal`]), what the driver asks of the user agent ([`UaCommand`]), and what every
//! driver shares ([`DriverContext`]). It lives with the driver so the SIP task depends on
//! `call` and never the other way round.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sip_proto::call::CallId;
use sip_proto::sdp::{Answer, LocalMedia};
use sip_proto::ua::CallError;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use super::CallDeps;
use crate::stats::VoiceStats;

/// What the SIP task tells a call's driver.
#[derive(Debug)]
pub(crate) enum CallSignal {
    /// The ACK arrived.
    Established,
    /// The caller hung up, cancelled, or our BYE completed.
    Ended,
    /// A re-INVITE changed the media (hold, resume, new address).
    Media(Answer),
    /// A digit by SIP INFO.
    Digit(char),
    TransferAccepted,
    TransferFailed,
}

/// What a call driver asks of the user agent.
#[derive(Debug)]
pub(crate) enum UaCommand {
    Ring(CallId),
    Answer {
        call: CallId,
        media: LocalMedia,
        reply: oneshot::Sender<Result<Option<Answer>, CallError>>,
    },
    Reject {
        call: CallId,
        status: u16,
    },
    Hangup(CallId),
    Refer {
        call: CallId,
        target: String,
    },
    /// The driver is gone; forget its channel.
    Done(CallId),
}

/// Shared by every call driver.
#[derive(Debug)]
pub(crate) struct DriverContext {
    pub(crate) deps: CallDeps,
    pub(crate) host: String,
    pub(crate) rtp_ports: (u16, u16),
    pub(crate) next_port: AtomicU64,
    pub(crate) recordings_dir: PathBuf,
    pub(crate) media_timeout: Duration,
    pub(crate) answer_delay: Duration,
    pub(crate) stats: Arc<VoiceStats>,
}

impl DriverContext {
    /// Binds an RTP socket: the next free even port of the range, or any port.
    pub(crate) async fn bind_rtp(&self) -> std::io::Result<UdpSocket> {
        let ip: IpAddr = self.host.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let (lo, hi) = self.rtp_ports;
        if lo == 0 {
            return UdpSocket::bind(SocketAddr::new(ip, 0)).await;
        }
        let lo = lo + lo % 2;
        let slots = u64::from((hi.saturating_sub(lo)) / 2 + 1);
        for _ in 0..slots {
            let n = self.next_port.fetch_add(1, Ordering::Relaxed) % slots;
            let port = lo + u16::try_from(n * 2).unwrap_or(0);
            if let Ok(s) = UdpSocket::bind(SocketAddr::new(ip, port)).await {
                return Ok(s);
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free RTP port in the configured range",
        ))
    }
}
