//! Hotline's SIP core, without IO. Bytes, peer addresses and the current time (milliseconds on a
//! caller-chosen monotonic clock) go in; messages to transmit, events and the next deadline come
//! out. Random values (branches, tags) are passed in by the caller, so every run is reproducible.
//!
//! Layers, bottom up: [`parse`] and the message model ([`message`], [`headers`], [`typed`],
//! [`uri`]); [`sdp`] offer/answer; [`transaction`] state machines owned by an [`Endpoint`];
//! [`dialog`] state; the [`ua::UserAgent`] whose [`call`]s a shell drives (answered, or placed
//! by [`outgoing`]), which also answers REGISTER as a [`registrar`]; and [`auth`] digest
//! helpers. Every layer with timers has the same run loop: `handle_datagram` /
//! `handle_timeout` in, `poll_transmit` / `poll_event` / `poll_timeout` out.

pub mod auth;
pub mod call;
pub mod dialog;
pub mod endpoint;
mod error;
pub mod headers;
pub mod md5;
pub mod message;
pub mod method;
pub mod outgoing;
mod parser;
pub mod register;
pub mod registrar;
mod scan;
pub mod sdp;
pub mod transaction;
pub mod typed;
pub mod ua;
pub mod uri;

pub use call::{CallId, UaEvent};
pub use endpoint::{Endpoint, EndpointError, Event, TransactionId, Transmit};
pub use error::ParseError;
pub use headers::{Header, Headers};
pub use message::{Message, Request, Response};
pub use method::Method;
pub use parser::{MAX_HEADERS, MAX_LINE, MAX_MESSAGE, parse, parse_stream};
pub use scan::{Param, Params};
pub use typed::{AuthHeader, CSeq, MAGIC_COOKIE, NameAddr, Transport, Via};
pub use ua::{UaConfig, UserAgent};
pub use uri::{SipUri, Uri};
