//! Hotline's voice channel shell: the part of a phone call that does IO.
//!
//! The protocol work lives in the sans-IO cores `sip-proto` and `media`; this crate drives them with sockets,
//! child processes and timers:
//!
//! - [`sip`]: the SIP transport (UDP and TCP) around the sans-IO user agent, with the admission of
//!   callers (allow list, digest, per-source throttling by `throttle`), outbound registration, and
//!   the registrar of agents' phones (bookkeeping in `registrar`);
//! - [`call`]: one driver task per call — RTP, DTMF, prompts paced at 20 ms, speech input, the
//!   bridge to an agent's phone —
//!   around the call's pure script ([`call::script`]: prompt queue, digits, barge-in,
//!   recordings, hold music, hang-up order), carrying out what the flow asks through the app;
//! - [`tts`]: prompt texts to 8 kHz audio; [`asr`]: speech to text;
//! - [`prompts`]: synthesis of a flow's prompts when it is published.

pub mod asr;
pub mod call;
pub mod prompts;
pub mod recordings;
mod registrar;
pub mod scanner;
pub mod sip;
mod stats;
mod throttle;
pub mod tts;

pub use call::CallDeps;
pub use sip::{SipServer, SipTls, SipTlsOut, VoiceConfig};
pub use stats::VoiceStats;
