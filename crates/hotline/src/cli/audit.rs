//! `hotline audit verify`: recomputes each tenant's audit hash chain and names the first
//! broken entry, for operators and for monitoring (exit code 1 when a chain is broken).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use domain::TenantId;

use super::output::{app_error, out};
use super::store::{StoreArgs, open_app_with_key};

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

/// Runs a `hotline audit` command.
pub(super) async fn run(config: Option<&Path>, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { store, tenant } = command;
    let settings = store.settings(config)?;
    let app = open_app_with_key(&settings, false).await?;
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
        let report = app.verify_tenant_chain(tenant).await.map_err(app_error)?;
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
