//! `hotline config check`: prints the effective configuration (defaults, file, environment
//! and flags merged) with secrets redacted, so an operator sees what the server would use.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use super::output::out;
use super::store::StoreArgs;
use crate::settings::Settings;

/// `hotline config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration with secrets redacted.
    Check {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// HTTP listen address to check.
        #[arg(long, value_name = "ADDR")]
        http_addr: Option<SocketAddr>,
    },
}

/// Runs a `hotline config` command.
pub(super) fn run(config: Option<&Path>, command: ConfigCommand) -> anyhow::Result<ExitCode> {
    let ConfigCommand::Check { store, http_addr } = command;
    let settings = Settings::load(config, &store.overrides(http_addr))?;
    out(&settings.redacted_toml()?);
    Ok(ExitCode::SUCCESS)
}
