//! Tests of the voice shell at its boundaries: the real espeak-ng, real files, and fake engines for the ways an
//! engine can misbehave.

mod asr;
mod script;
mod tts;
mod util;
