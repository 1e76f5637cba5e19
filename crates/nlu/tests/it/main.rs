//! Integration tests of the `nlu` crate's public API.

mod classify;
mod crisis;
mod encoder;
mod entities;
mod normalize;
