//! The state of one call (the UAS side of an INVITE dialog we answer, or the UAC side of one we
//! place) and the events a shell sees. The [`UserAgent`](crate::ua::UserAgent) drives these;
//! this module holds the data, the states and the small parsers for what arrives inside a call
//! (DTMF by SIP INFO).

use std::net::SocketAddr;

use crate::dialog::Dialog;
use crate::endpoint::TransactionId;
use crate::message::{Request, Response};
use crate::register::RegistrationId;
use crate::registrar::RegisterRequest;
use crate::sdp::{Answer, LocalMedia, SessionDescription};
use crate::typed::{AuthHeader, NameAddr, Transport};
use crate::uri::Uri;

/// Identifies a call inside one user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// INVITE received, 100 Trying sent; the shell decides.
    Incoming,
    /// 180 Ringing sent.
    Ringing,
    /// 200 OK sent, retransmitting it until the ACK arrives.
    Answered,
    /// ACK received.
    Confirmed,
    /// Our BYE is in flight.
    Terminating,
    /// A call we placed: INVITE sent, no final response yet.
    Calling,
    /// A call we placed and gave up on: CANCEL sent (or waiting for a provisional response to
    /// send it, RFC 3261 §9.1).
    Cancelling,
    Terminated,
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupReason {
    /// The peer sent BYE.
    RemoteBye,
    /// Our BYE completed (answered or timed out).
    LocalBye,
    /// No ACK came for our 200 within 64·T1; we sent BYE (RFC 3261 §13.3.1.4).
    AckTimeout,
}

/// A new inbound call as the shell sees it. Its `Debug` hides numbers and addresses so that a
/// stray log line cannot leak who called.
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call: CallId,
    pub request_uri: Uri,
    pub from: NameAddr,
    pub to: NameAddr,
    pub offer: Option<SessionDescription>,
    pub source: SocketAddr,
    /// Digest credentials the caller sent, for [`crate::auth::verify`] with method INVITE.
    pub authorization: Option<AuthHeader>,
}

impl std::fmt::Debug for IncomingCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingCall")
            .field("call", &self.call)
            .field("request_uri", &"<redacted>")
            .field("from", &"<redacted>")
            .field("to", &"<redacted>")
            .field("offer", &self.offer.is_some())
            .field("source", &"<redacted>")
            .field("authorization", &self.authorization.is_some())
            .finish()
    }
}

/// What the shell learns about calls and registrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaEvent {
    /// A new call; answer with `ring`, `answer` or `reject`.
    Incoming(Box<IncomingCall>),
    /// The ACK for our 200 arrived: media may flow both ways.
    Established {
        call: CallId,
    },
    /// The caller cancelled before we answered; 487 was sent.
    Cancelled {
        call: CallId,
    },
    Hangup {
        call: CallId,
        reason: HangupReason,
    },
    /// A re-INVITE was answered (hold when `answer.on_hold()`, otherwise resume or move).
    MediaUpdate {
        call: CallId,
        answer: Answer,
    },
    /// A digit by SIP INFO (application/dtmf-relay or application/dtmf).
    Dtmf {
        call: CallId,
        digit: char,
        duration_ms: Option<u32>,
    },
    /// The registrar accepted our binding for `expires` seconds; a refresh is scheduled.
    Registered {
        registration: RegistrationId,
        expires: u32,
    },
    /// Registration failed with `status` (408 for no answer); a retry is scheduled.
    RegistrationFailed {
        registration: RegistrationId,
        status: u16,
    },
    /// The binding was removed.
    Unregistered {
        registration: RegistrationId,
    },
    /// A REGISTER for us as the registrar; answer it with
    /// [`UserAgent::answer_register`](crate::ua::UserAgent::answer_register).
    Register(Box<RegisterRequest>),
    /// A call we placed rings (180 or 183), once.
    Ringing {
        call: CallId,
    },
    /// A call we placed was answered (2xx) and acknowledged: media may flow. `media` is what
    /// the answer agreed (`None` when it could not be understood; the call is up anyway and
    /// the shell decides).
    Answered {
        call: CallId,
        media: Option<Answer>,
    },
    /// A call we placed was refused (its final status), not answered in time (408), or could
    /// not be sent (503). Cancelling it ends here too (487).
    Failed {
        call: CallId,
        status: u16,
    },
    /// A REFER was accepted with 202; the shell carries out the transfer.
    Transfer {
        call: CallId,
        refer_to: String,
    },
    /// The caller's side accepted our REFER (2xx): it now calls the target, and the shell
    /// hangs up its own leg (a blind transfer).
    TransferAccepted {
        call: CallId,
    },
    /// Our REFER was refused (`status`) or unanswered (408): the call stays with us.
    TransferFailed {
        call: CallId,
        status: u16,
    },
}

/// A 2xx to INVITE that the UAS core retransmits until ACK (RFC 3261 §13.3.1.4).
#[derive(Debug, Clone)]
pub(crate) struct Pending2xx {
    pub(crate) tx: TransactionId,
    pub(crate) cseq: u32,
    pub(crate) response: Response,
    pub(crate) next: u64,
    pub(crate) interval: u64,
    pub(crate) give_up: u64,
}

/// What the UAC side of a call keeps beyond its dialog.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// Our INVITE (for the CANCEL, which copies it).
    pub(crate) invite: Request,
    /// The ACK we sent for the 2xx, sent again for each retransmitted 2xx.
    pub(crate) ack: Option<Request>,
    /// A provisional response arrived: a CANCEL may be sent.
    pub(crate) provisional: bool,
    pub(crate) cancel_sent: bool,
    pub(crate) rang: bool,
}

/// One call's state.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) dialog: Dialog,
    pub(crate) state: CallState,
    pub(crate) invite_tx: TransactionId,
    pub(crate) peer: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) offer: Option<SessionDescription>,
    pub(crate) local_media: Option<LocalMedia>,
    /// The media were answered with SRTP: a re-INVITE may not take it away.
    pub(crate) secured: bool,
    pub(crate) pending: Option<Pending2xx>,
    pub(crate) bye_tx: Option<TransactionId>,
    /// Our REFER in flight.
    pub(crate) refer_tx: Option<TransactionId>,
    pub(crate) hangup_after_ack: bool,
    /// Set for a call we placed (the UAC side).
    pub(crate) outgoing: Option<Outgoing>,
}

/// A DTMF digit carried in an INFO body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoDtmf {
    pub digit: char,
    pub duration_ms: Option<u32>,
}

fn digit(signal: &str) -> Option<char> {
    match signal.trim() {
        "10" => Some('*'),
        "11" => Some('#'),
        s => {
            let mut chars = s.chars();
            let c = chars.next()?.to_ascii_uppercase();
            (chars.next().is_none() && (c.is_ascii_digit() || "*#ABCD".contains(c))).then_some(c)
        }
    }
}

/// Parses the body of an INFO by content type: `application/dtmf-relay` (`Signal=5`,
/// `Duration=160`) or `application/dtmf` (just the digit).
pub fn parse_info_dtmf(content_type: &str, body: &[u8]) -> Option<InfoDtmf> {
    let text = std::str::from_utf8(body).ok()?;
    match content_type {
        "application/dtmf-relay" => {
            let mut found = None;
            let mut duration_ms = None;
            for line in text.lines() {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                match k.trim().to_ascii_lowercase().as_str() {
                    "signal" => found = digit(v),
                    "duration" => duration_ms = v.trim().parse().ok(),
                    _ => {}
                }
            }
            found.map(|digit| InfoDtmf { digit, duration_ms })
        }
        "application/dtmf" => digit(text).map(|digit| InfoDtmf {
            digit,
            duration_ms: None,
        }),
        _ => None,
    }
}
