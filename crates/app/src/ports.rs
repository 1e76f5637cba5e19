//! The ports: traits the shells implement so the use cases can reach the outside world
//! without knowing how. `channels` implements [`HttpClient`] for the HTTP requests flows make;
//! the call shell (`voice`) implements [`PromptWarmer`] to synthesise a flow's prompts ahead
//! of the first call. The types they exchange live here too, beside the traits.

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

/// What came back; status 0 means no response (refused address, timeout, network error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    /// Status code or 0.
    pub status: u16,
    /// The body (truncated by the client to a sane size).
    pub body: String,
}

/// The port through which flows make HTTP requests; implemented by the `channels` crate.
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync + std::fmt::Debug {
    /// Performs the request. `allow_private` permits loopback and private addresses.
    async fn send(&self, request: OutboundRequest, allow_private: bool) -> OutboundResponse;
}

/// A static prompt of a flow, for synthesis ahead of the first call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromptText {
    /// The text.
    pub text: String,
    /// Its language.
    pub language: String,
    /// The voice the flow names, if any.
    pub voice: Option<String>,
}

/// The port through which the app has a flow's prompts synthesised when a version is
/// published (or first loaded after a restart); implemented by the call shell.
#[async_trait::async_trait]
pub trait PromptWarmer: Send + Sync + std::fmt::Debug {
    /// Starts synthesising these prompts in the background.
    fn warm(&self, prompts: Vec<PromptText>);

    /// Synthesises these prompts and returns when they are ready (or failed, which is logged:
    /// a call then speaks the prompt when it reaches it).
    async fn warm_now(&self, prompts: Vec<PromptText>);
}
