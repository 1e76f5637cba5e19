//! `hotline tenant create | list | disable | enable | rotate-key`: an operator's way to run several
//! hotlines (tenants) in one installation. A new tenant gets its first admin, whose one-time
//! password is printed once; a disabled tenant's staff cannot sign in, its sessions end, and
//! its keys, widgets and numbers stop working until it is enabled again. Nothing is deleted.
//! `rotate-key` rotates the tenant's key for data at rest.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use domain::{DisplayName, TenantName, Username};

use super::output::{app_error, out};
use super::store::{StoreArgs, open_app};

/// `hotline tenant …`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with its first admin (the one-time password is printed once).
    Create {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// The tenant's name, e.g. "Krisendienst Nord".
        #[arg(long)]
        name: String,
        /// The first admin's login name (unique in the installation).
        #[arg(long)]
        admin: String,
        /// The admin's name shown to colleagues [default: the login name].
        #[arg(long)]
        admin_display_name: Option<String>,
    },
    /// List the tenants: id, created, disabled, name.
    List {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disable a tenant: sign-ins refused, sessions ended, keys, widgets and numbers off.
    Disable {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// The tenant's id.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: String,
    },
    /// Enable a disabled tenant again.
    Enable {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// The tenant's id.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: String,
    },
    /// Rotate the tenant's key: every data key is re-wrapped under a new version (no stored
    /// value is rewritten) and old versions are deleted. Audited.
    RotateKey {
        /// Store options.
        #[command(flatten)]
        store: StoreArgs,
        /// The tenant's id.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: String,
    },
}

/// Runs a `hotline tenant` command.
pub(super) async fn run(config: Option<&Path>, command: TenantCommand) -> anyhow::Result<ExitCode> {
    match command {
        TenantCommand::Create {
            store,
            name,
            admin,
            admin_display_name,
        } => {
            let settings = store.settings(config)?;
            let name = TenantName::parse(&name).context("invalid --name")?;
            let admin = Username::parse(&admin).context("invalid --admin")?;
            let display =
                DisplayName::parse(admin_display_name.as_deref().unwrap_or(admin.as_str()))
                    .context("invalid --admin-display-name")?;
            let app = open_app(&settings).await?;
            let created = app
                .create_tenant(name, admin, display)
                .await
                .map_err(app_error)?;
            out(&format!(
                "created tenant {} ({})",
                created.tenant.id, created.tenant.name
            ));
            out(&format!(
                "admin {} one-time password: {}",
                created.admin_username, created.one_time_password
            ));
            app.store().close().await;
        }
        TenantCommand::List { store } => {
            let settings = store.settings(config)?;
            let app = open_app(&settings).await?;
            for t in app.store().list_tenants().await? {
                out(&format!(
                    "{}  created {}  {}  {}",
                    t.id,
                    t.created_at.to_rfc3339(),
                    t.disabled_at.map_or_else(
                        || "enabled".to_owned(),
                        |d| format!("disabled {}", d.to_rfc3339())
                    ),
                    t.name
                ));
            }
            app.store().close().await;
        }
        TenantCommand::Disable { store, tenant } => switch(config, &store, &tenant, true).await?,
        TenantCommand::Enable { store, tenant } => switch(config, &store, &tenant, false).await?,
        TenantCommand::RotateKey { store, tenant } => {
            let settings = store.settings(config)?;
            let tenant: domain::TenantId = tenant.parse().context("invalid --tenant")?;
            let app = open_app(&settings).await?;
            let (version, rewrapped) = app
                .rotate_tenant_key_as_system(tenant)
                .await
                .map_err(app_error)?;
            out(&format!(
                "tenant {tenant}: key version {version}, {rewrapped} data keys re-wrapped"
            ));
            app.store().close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Disables or enables the tenant `id`.
async fn switch(
    config: Option<&Path>,
    store: &StoreArgs,
    id: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let settings = store.settings(config)?;
    let tenant: domain::TenantId = id.parse().context("invalid --tenant")?;
    let app = open_app(&settings).await?;
    app.set_tenant_disabled_as_system(tenant, disabled)
        .await
        .map_err(app_error)?;
    out(&format!(
        "tenant {tenant} {}",
        if disabled { "disabled" } else { "enabled" }
    ));
    app.store().close().await;
    Ok(())
}
