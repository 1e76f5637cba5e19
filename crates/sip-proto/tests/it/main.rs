//! Integration tests: RFC 4475 torture cases, table-driven parser checks, property tests, SDP,
//! digest auth and deterministic UAC/UAS simulations over a lossy virtual network.

mod auth;
mod calls;
mod features;
mod messages;
mod outgoing;
mod props;
mod register;
mod sdp;
mod sim;
mod torture;
mod torture_invalid;
mod transactions;
