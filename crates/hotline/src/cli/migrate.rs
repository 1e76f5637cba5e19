//! `hotline migrate`: applies the database migrations and exits (every command that opens
//! the store migrates it too; this one does nothing else).

use std::path::Path;
use std::process::ExitCode;

use super::output::out;
use super::store::StoreArgs;
use crate::server;

/// Runs `hotline migrate`.
pub(super) async fn run(config: Option<&Path>, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let settings = store.settings(config)?;
    let store = server::open_store(&settings).await?;
    store.close().await;
    out("migrations applied");
    Ok(ExitCode::SUCCESS)
}
