//! What the commands that open the database share: the store options (`--data-dir`,
//! `--database-url`), the settings they override, and the application opened over the
//! store with the system clock for one-shot commands (`user`, `audit`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use app::{App, Clock, SystemClock};

use crate::server;
use crate::settings::{Overrides, Settings};
use crate::telemetry;

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

impl StoreArgs {
    /// The settings these options (and an HTTP address, for the commands that take one)
    /// override.
    pub(super) fn overrides(&self, http_addr: Option<SocketAddr>) -> Overrides {
        Overrides {
            data_dir: self.data_dir.clone(),
            http_addr,
            database_url: self.database_url.clone(),
            sip_addr: None,
        }
    }

    /// The effective settings of a one-shot command that opens the store, with logging set
    /// up from them.
    pub(super) fn settings(&self, config: Option<&Path>) -> anyhow::Result<Settings> {
        let settings = Settings::load(config, &self.overrides(None))?;
        telemetry::init(&settings);
        Ok(settings)
    }
}

/// The application over the configured (and migrated) store, on the system clock, with the
/// audit key installed (made if missing).
pub(super) async fn open_app(settings: &Settings) -> anyhow::Result<App> {
    open_app_with_key(settings, true).await
}

/// [`open_app`]; without `create_key`, a missing audit key is an error (verification).
pub(super) async fn open_app_with_key(
    settings: &Settings,
    create_key: bool,
) -> anyhow::Result<App> {
    let store = server::open_store(settings).await?;
    server::install_root_key(settings, &store, create_key, SystemClock.now()).await?;
    let app = App::new(store, Arc::new(SystemClock), settings.auth.policy());
    server::install_audit_key(settings, &app, create_key).await?;
    Ok(app)
}
