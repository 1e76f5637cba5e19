//! The HTTP port: how a flow's `http_request` node reaches the web. Implemented by the
//! `channels` crate, whose client guards private addresses, pins name resolution and caps
//! bodies; the app only says what to send and reads what came back.

use std::collections::BTreeMap;

/// An HTTP request a flow makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// Method name.
    pub method: &'static str,
    /// URL.
    pub url: String,
    /// Headers.
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: Option<String>,
    /// Timeout.
    pub timeout_ms: u64,
}

/// What came back. A flow sees only `status` and `body`, with status 0 when there was no
/// answer; `outcome` says why there was none, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    /// What happened to the request.
    pub outcome: OutboundOutcome,
    /// Status code, or 0 when the request got no answer.
    pub status: u16,
    /// The body (truncated by the client to a sane size); empty without an answer.
    pub body: String,
}

impl OutboundResponse {
    /// The server answered with `status` and `body`.
    pub fn answered(status: u16, body: String) -> Self {
        Self {
            outcome: OutboundOutcome::Answered,
            status,
            body,
        }
    }

    /// No answer, for the reason `outcome` gives: status 0 and an empty body.
    pub fn unanswered(outcome: OutboundOutcome) -> Self {
        Self {
            outcome,
            status: 0,
            body: String::new(),
        }
    }
}

/// What happened to an outbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundOutcome {
    /// The server answered (with any status).
    Answered,
    /// Not sent: the URL is not allowed (a private or loopback address without the tenant's
    /// permission, a scheme other than http and https).
    Refused,
    /// Sent, but no complete answer came within the request's timeout.
    TimedOut,
    /// Not answered for another reason: an invalid URL, a name that does not resolve, a
    /// connection that failed or broke off, no HTTP client configured.
    Failed,
}

/// Where a tenant's flows may reach loopback and private addresses: nowhere by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateAccess {
    /// `host:port` destinations an admin opened for the tenant (host in lower case, an IPv6
    /// address in brackets, the port always written).
    pub destinations: Vec<String>,
    /// This server's own base URL: its `/demo/api/` endpoints (which the demo flows call) are
    /// reachable there, and nothing else of it.
    pub own_demo_base: Option<String>,
}

/// The port through which flows make HTTP requests; implemented by the `channels` crate.
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync + std::fmt::Debug {
    /// Performs the request. Loopback, private, link-local and other non-public addresses are
    /// refused unless `access` opens the destination the URL names.
    async fn send(&self, request: OutboundRequest, access: &PrivateAccess) -> OutboundResponse;
}
