//! Hotline's SMPP 3.4 core, without IO: what an ESME (Hotline) says to an SMSC and what it
//! hears back. Bytes and the current time (milliseconds on a caller-chosen monotonic clock) go
//! in; bytes to send, events and the next deadline come out, in the same run loop as
//! `sip-proto`'s user agent (`handle_bytes` / `handle_timeout` in, `poll_transmit` /
//! `poll_event` / `poll_timeout` out).
//!
//! Layers, bottom up: [`pdu`] (the PDUs Hotline uses, their TLVs, framing of a TCP stream),
//! [`text`] (GSM 03.38 7-bit and UCS-2, and which a text needs), [`concat`] (long messages
//! split and joined again, by UDH or SAR TLVs), [`receipt`] (delivery receipts), and
//! [`session`] (bind, a window of outstanding requests, enquire_link, throttling with backoff,
//! receipts matched to their submissions even when they arrive first).

pub mod concat;
pub mod pdu;
pub mod receipt;
pub mod session;
pub mod text;

pub use pdu::{Command, DecodeError, Pdu, Status, Tlv};
pub use session::{Ack, Event, Session, SessionConfig};
