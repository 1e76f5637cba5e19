//! The command line: `hotline serve | migrate | user | audit | flow | nlu | bench | config`.
//!
//! This module holds the top-level clap definitions and hands each command to the module of
//! its group, which owns that group's options and body. The group modules share only
//! `output` (how the CLI prints) and `store` (the store options and opening the app over
//! them); none of them imports this module or another group, so there are no cycles.

mod api_key;
mod audit;
mod bench;
mod bench_desk;
mod bench_sms;
mod config;
mod flow;
mod migrate;
mod nlu;
mod output;
mod serve;
mod store;
mod tenant;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// `self::` because `flow`, `nlu` and `store` are also the names of crates.
pub use self::api_key::ApiKeyCommand;
pub use self::audit::AuditCommand;
pub use self::bench::{BenchCommand, FlowBench};
pub use self::config::ConfigCommand;
pub use self::flow::FlowCommand;
pub use self::nlu::NluCommand;
pub use self::store::StoreArgs;
pub use self::tenant::TenantCommand;
pub use self::user::UserCommand;

/// Hotline: crisis and customer hotlines on phone, chat, SMS and WhatsApp, in one binary.
#[derive(Debug, Parser)]
#[command(name = "hotline", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// A TOML configuration file (settings also come from HOTLINE_… environment variables).
    #[arg(long, global = true, env = "HOTLINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: HTTP API, web UI and background jobs. On an empty database, creates
    /// the demo tenant and prints the admin's one-time password once.
    Serve {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// HTTP listen address; port 0 picks a free port [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        http_addr: Option<SocketAddr>,
        /// SIP listen address (UDP and TCP); port 0 picks a free port [default: 127.0.0.1:5060].
        #[arg(long, value_name = "ADDR")]
        sip_addr: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create, list, disable and enable tenants (hotlines sharing one installation).
    Tenant {
        /// The tenant command.
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage staff accounts.
    User {
        /// The user command.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Create API keys for scripts and monitoring.
    ApiKey {
        /// The api-key command.
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Inspect the audit log.
    Audit {
        /// The audit command.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Validate, lint, test and simulate flow files.
    Flow {
        /// The flow command.
        #[command(subcommand)]
        command: FlowCommand,
    },
    /// Train and evaluate the intent engine, write model files, try a model.
    Nlu {
        /// The nlu command.
        #[command(subcommand)]
        command: NluCommand,
    },
    /// Measure performance on this machine (bounded, loopback only).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Print the HTTP API's OpenAPI 3.1 document (what `/api/openapi.json` serves), from
    /// which the web UI's TypeScript types are generated.
    Openapi,
    /// Inspect the configuration.
    Config {
        /// The config command.
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve {
            store,
            http_addr,
            sip_addr,
        } => serve::run(config, &store, http_addr, sip_addr).await,
        Command::Migrate { store } => migrate::run(config, &store).await,
        Command::Tenant { command } => tenant::run(config, command).await,
        Command::User { command } => user::run(config, command).await,
        Command::ApiKey { command } => api_key::run(config, command).await,
        Command::Audit { command } => audit::run(config, command).await,
        Command::Flow { command } => Ok(flow::run(command).await),
        Command::Nlu { command } => nlu::run(command).await,
        Command::Bench { command } => bench::run(command).await,
        Command::Config { command } => config::run(config, command),
        Command::Openapi => {
            output::out(&api::openapi().to_pretty_json()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
