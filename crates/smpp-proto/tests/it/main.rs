//! smpp-proto's integration tests: one binary, one module per layer.

mod concat;
mod pdu;
mod receipt;
mod session;
mod smpplib;
mod text;
