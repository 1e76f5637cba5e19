//! Hotline's media core: the byte- and sample-level work of a telephone call, without IO.
//!
//! Everything here takes bytes, samples and the current time as arguments and returns values; nothing opens a
//! socket, reads a clock or draws a random number, so the voice shell drives it and tests replay it exactly.
//!
//! - [`rtp`] and [`rtcp`] parse and build packets; [`seq`] extends their wrapping counters; [`stats`] keeps the
//!   receiver statistics that RTCP reports carry.
//! - [`g711`] converts between linear PCM and µ-law or A-law.
//! - [`jitter`] turns packets that arrive late, early, twice or never into one frame per 20 ms.
//! - [`telephone_event`] sends and receives RFC 4733 DTMF events.
//! - [`dtmf`] detects DTMF tones in audio to ITU-T Q.24; [`tone`] generates them, and the
//!   beep and hold music of a call.
//! - [`vad`] detects when a caller starts and stops speaking.
//! - [`resample`] converts between sample rates (a speech engine's 22,050 Hz to the call's 8 kHz);
//!   [`wav`] reads and writes WAV files as bytes.

pub mod dtmf;
pub mod g711;
pub mod jitter;
pub mod prompt;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod seq;
pub mod srtp;
pub mod stats;
pub mod telephone_event;
pub mod tone;
pub mod vad;
pub mod wav;
