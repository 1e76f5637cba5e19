//! `hotline api-key create`: a key for scripts and monitoring without the web UI. The token
//! is printed once (the store keeps only its hash) and the creation is audited.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use domain::{DisplayName, Role};

use super::output::{app_error, out};
use super::store::{StoreArgs, open_app};
use super::user::pick_tenant;

/// `hotline api-key …`
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print its token once.
    Create {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// Tenant id; may be left out when there is only one tenant.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<String>,
        /// What the key is for, e.g. "monitoring".
        #[arg(long)]
        name: String,
        /// admin, supervisor, agent, auditor or integrator.
        #[arg(long)]
        role: String,
    },
}

/// Runs a `hotline api-key` command.
pub(super) async fn run(config: Option<&Path>, command: ApiKeyCommand) -> anyhow::Result<ExitCode> {
    let ApiKeyCommand::Create {
        store,
        tenant,
        name,
        role,
    } = command;
    let settings = store.settings(config)?;
    let name = DisplayName::parse(&name).context("invalid --name")?;
    let role: Role = role.parse().context("invalid --role")?;
    let app = open_app(&settings).await?;
    let tenant = pick_tenant(&app, tenant.as_deref()).await?;
    let created = app
        .create_api_key_as_system(tenant, name, role)
        .await
        .map_err(app_error)?;
    out(&format!(
        "created API key {} ({}) with role {} in tenant {tenant}",
        created.key.name, created.key.id, created.key.role
    ));
    out(&format!(
        "token (shown once; send it as `Authorization: Bearer …`): {}",
        created.token
    ));
    app.store().close().await;
    Ok(ExitCode::SUCCESS)
}
