//! The command line: `hotline serve | migrate | user create | audit verify | config check`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use app::{App, SystemClock};
use domain::{DisplayName, Role, TenantId, Username};

use crate::server;
use crate::settings::{Overrides, Settings};
use crate::telemetry;

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

/// Where the store is: the same options for every command that opens it.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory for the embedded SQLite database [default: ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite://… or postgres://…); prefer HOTLINE_DATABASE_URL or
    /// HOTLINE_DATABASE_URL_FILE, since command lines are visible to other local users.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
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
    /// Manage staff accounts.
    User {
        /// The user command.
        #[command(subcommand)]
        command: UserCommand,
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
        command: crate::flow_cli::FlowCommand,
    },
    /// Train and evaluate the intent engine, write model files, try a model.
    Nlu {
        /// The nlu command.
        #[command(subcommand)]
        command: crate::nlu_cli::NluCommand,
    },
    /// Measure performance on this machine (bounded, loopback only).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Inspect the configuration.
    Config {
        /// The config command.
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// `hotline user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user with a one-time password (printed once; it must be changed at first login).
    Create {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// Tenant id; may be left out when there is only one tenant.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<String>,
        /// Login name (3–64 of a-z, 0-9, . _ - @).
        #[arg(long)]
        username: String,
        /// Name shown to colleagues [default: the username].
        #[arg(long)]
        display_name: Option<String>,
        /// admin, supervisor, agent, auditor or integrator.
        #[arg(long)]
        role: String,
    },
}

/// `hotline audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and name the first broken entry. Exit code 1 if broken.
    Verify {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// Only this tenant [default: every tenant].
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<String>,
    },
}

/// `hotline bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The flow engine (inputs per second, state size) and the web chat (round trips and
    /// memory per session over loopback).
    Flow(crate::bench::FlowBench),
}

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

fn overrides(store: &StoreArgs, http_addr: Option<SocketAddr>) -> Overrides {
    Overrides {
        data_dir: store.data_dir.clone(),
        http_addr,
        database_url: store.database_url.clone(),
        sip_addr: None,
    }
}

/// Writes one line to standard output, the CLI's output channel (the lints forbid `println!`).
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// The `q` quantile (0–1) of ascending samples, nearest rank; NaN when there are none.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve {
            store,
            http_addr,
            sip_addr,
        } => {
            let settings = Settings::load(
                config,
                &Overrides {
                    sip_addr,
                    ..overrides(&store, http_addr)
                },
            )?;
            telemetry::init(&settings);
            serve(&settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { store } => {
            let settings = Settings::load(config, &overrides(&store, None))?;
            telemetry::init(&settings);
            let store = server::open_store(&settings).await?;
            store.close().await;
            out("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Create {
                    store,
                    tenant,
                    username,
                    display_name,
                    role,
                },
        } => {
            let settings = Settings::load(config, &overrides(&store, None))?;
            telemetry::init(&settings);
            let username = Username::parse(&username).context("invalid --username")?;
            let display = DisplayName::parse(display_name.as_deref().unwrap_or(username.as_str()))
                .context("invalid --display-name")?;
            let role: Role = role.parse().context("invalid --role")?;
            let app = open_app(&settings).await?;
            let tenant = pick_tenant(&app, tenant.as_deref()).await?;
            let created = app
                .create_user_as_system(tenant, username, display, role)
                .await
                .map_err(describe)?;
            out(&format!(
                "created user {} ({}) in tenant {tenant}",
                created.user.username, created.user.id
            ));
            out(&format!("one-time password: {}", created.one_time_password));
            app.store().close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { store, tenant },
        } => {
            let settings = Settings::load(config, &overrides(&store, None))?;
            telemetry::init(&settings);
            let app = open_app(&settings).await?;
            let tenants = match tenant {
                Some(t) => vec![t.parse::<TenantId>().context("invalid --tenant")?],
                None => app
                    .store()
                    .list_tenants()
                    .await?
                    .into_iter()
                    .map(|t| t.id)
                    .collect(),
            };
            let mut broken = false;
            for tenant in tenants {
                let report = app.verify_tenant_chain(tenant).await.map_err(describe)?;
                match &report.error {
                    None => out(&format!(
                        "tenant {tenant}: OK, {} entries, head at entry {}",
                        report.count,
                        report.head_seq.unwrap_or(0)
                    )),
                    Some(e) => {
                        broken = true;
                        out(&format!("tenant {tenant}: BROKEN: {e}"));
                    }
                }
            }
            app.store().close().await;
            Ok(if broken {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Flow { command } => Ok(crate::flow_cli::run(command).await),
        Command::Nlu { command } => crate::nlu_cli::run(command).await,
        Command::Bench {
            command: BenchCommand::Flow(opts),
        } => {
            crate::bench::run(opts).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            command: ConfigCommand::Check { store, http_addr },
        } => {
            let settings = Settings::load(config, &overrides(&store, http_addr))?;
            out(&settings.redacted_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn describe(err: app::AppError) -> anyhow::Error {
    match err {
        app::AppError::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        app::AppError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

async fn open_app(settings: &Settings) -> anyhow::Result<App> {
    let store = server::open_store(settings).await?;
    Ok(App::new(
        store,
        Arc::new(SystemClock),
        settings.auth.policy(),
    ))
}

async fn pick_tenant(app: &App, given: Option<&str>) -> anyhow::Result<TenantId> {
    if let Some(t) = given {
        return t.parse().context("invalid --tenant");
    }
    let tenants = app.store().list_tenants().await?;
    match tenants.as_slice() {
        [only] => Ok(only.id),
        [] => bail!("there is no tenant yet: run `hotline serve` once to create the demo tenant"),
        _ => bail!("there are several tenants: choose one with --tenant"),
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let running = server::start(settings, Arc::new(SystemClock)).await?;
    let signal = server::shutdown_signal();
    let url = format!("http://{}", running.http_addr);
    out(&format!(
        "hotline {} listening on {url}",
        env!("CARGO_PKG_VERSION")
    ));
    if let Some(sip) = running.sip_addr {
        out(&format!(
            "SIP listening on {sip} (UDP and TCP): call sip:demo-de@{sip} or sip:demo-en@{sip}"
        ));
    }
    if let Some(first) = &running.bootstrapped {
        out(&format!(
            "First start: created tenant \"{}\" and its administrator.\n  username: {}\n  one-time password: {}\n\
             This password is shown once. Sign in at {url}/ to choose your own password and set up two-factor authentication.",
            first.tenant.name, first.admin_username, first.one_time_password
        ));
    }
    if !api::ui_embedded() {
        tracing::warn!(
            "the web UI is not embedded in this build; run `npm ci && npm run build` in web/ first"
        );
    }
    running.run_until(signal).await
}
