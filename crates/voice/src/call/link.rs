//! The link between the SIP task and a call's driver: what the SIP task tells the driver
//! ([`CallSignal`]), what the driver asks of the user agent ([`UaCommand`]), and what every
//! driver shares ([`DriverContext`]). It lives with the driver so the SIP task depends on
//! `call` and never the other way round.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use domain::{TenantId, UserId};
use sip_proto::call::CallId;
use sip_proto::outgoing::OutgoingCall;
use sip_proto::sdp::{Answer, LocalMedia};
use sip_proto::ua::CallError;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::CallDeps;
use crate::stats::VoiceStats;

/// What the SIP task tells a call's driver, about the caller's leg or (on the agent leg's own channel) about the
/// leg to an agent's phone.
#[derive(Debug)]
pub(crate) enum CallSignal {
    /// The ACK arrived.
    Established,
    /// The other side hung up, cancelled, or our BYE completed.
    Ended,
    /// The agent's phone rings.
    Ringing,
    /// The agent's phone answered, with the media its answer agreed (`None`: not understood).
    Answered(Option<Box<Answer>>),
    /// The agent's phone refused (busy, declined: the status), did not answer in time (408) or could not be
    /// reached (503).
    Failed(u16),
    /// A re-INVITE changed the media (hold, resume, new address).
    Media(Box<Answer>),
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
    /// Ring an agent's registered phone from Hotline with `media`; the leg's signals go to `signals`. The
    /// reply is the new leg, or `None` when the agent has no phone registered (or the INVITE cannot be sent).
    CallAgent {
        tenant: TenantId,
        agent: UserId,
        media: LocalMedia,
        signals: mpsc::UnboundedSender<CallSignal>,
        reply: oneshot::Sender<Option<CallId>>,
    },
    /// Place a call through the trunk (a call-back); the call's signals go to `signals`. The
    /// reply is the new call, or `None` when the INVITE cannot be sent.
    CallOut {
        call: Box<OutgoingCall>,
        signals: mpsc::UnboundedSender<CallSignal>,
        reply: oneshot::Sender<Option<CallId>>,
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
    /// How long an agent's phone may ring.
    pub(crate) agent_ring: Duration,
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
