//! The `hotline` binary's library half: settings, telemetry, server start-up and the
//! command-line interface, so integration tests can start the very server `main` starts.

pub mod cli;
pub mod encoder;
mod files;
pub mod messaging;
pub mod server;
pub mod settings;
pub mod telemetry;
pub mod tls;
