//! `hotline user create`: an operator's way to add a staff account without the web UI (for
//! example a second administrator); the password it prints must be changed at first login.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use app::App;
use domain::{DisplayName, Role, TenantId, Username};

use super::output::{app_error, out};
use super::store::{StoreArgs, open_app};

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

/// Runs a `hotline user` command.
pub(super) async fn run(config: Option<&Path>, command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Create {
        store,
        tenant,
        username,
        display_name,
        role,
    } = command;
    let settings = store.settings(config)?;
    let username = Username::parse(&username).context("invalid --username")?;
    let display = DisplayName::parse(display_name.as_deref().unwrap_or(username.as_str()))
        .context("invalid --display-name")?;
    let role: Role = role.parse().context("invalid --role")?;
    let app = open_app(&settings).await?;
    let tenant = pick_tenant(&app, tenant.as_deref()).await?;
    let created = app
        .create_user_as_system(tenant, username, display, role)
        .await
        .map_err(app_error)?;
    out(&format!(
        "created user {} ({}) in tenant {tenant}",
        created.user.username, created.user.id
    ));
    out(&format!("one-time password: {}", created.one_time_password));
    app.store().close().await;
    Ok(ExitCode::SUCCESS)
}

/// The tenant named by `--tenant`, or the only one there is.
pub(super) async fn pick_tenant(app: &App, given: Option<&str>) -> anyhow::Result<TenantId> {
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
