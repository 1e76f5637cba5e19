//! Integration tests of the media core: wire formats, G.711, the Q.24 DTMF battery, RFC 4733 events, the jitter
//! buffer and a seeded simulation of a lossy, jittery RTP stream through all of them.

mod cues;
mod dtmf;
mod g711;
mod jitter;
mod prompt;
mod resample;
mod rtcp;
mod rtp;
mod sim;
mod srtp;
mod talkoff;
mod telephone_event;
mod util;
mod vad;
mod wav;
