//! Integration tests of the `nlu` crate's public API.

mod classify;
mod entities;
mod normalize;
