//! Hotline's voice channel shell: the part of a phone call that does IO.
//!
//! The protocol work lives in the sans-IO cores `sip-proto` and `media`; this crate drives them with sockets,
//! child processes and timers. So far it holds [`tts`], which turns prompt texts into 8 kHz audio that a call
//! plays as 20 ms µ-law frames.

pub mod asr;
pub mod tts;
