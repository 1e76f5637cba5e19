//! `hotline serve`: starts the server on the system clock, announces where it listens (and,
//! on the first start, the administrator's one-time password, once), and serves until
//! SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use app::SystemClock;

use super::output::out;
use super::store::StoreArgs;
use crate::server;
use crate::settings::{Overrides, Settings};
use crate::telemetry;

/// Runs `hotline serve`.
pub(super) async fn run(
    config: Option<&Path>,
    store: &StoreArgs,
    http_addr: Option<SocketAddr>,
    sip_addr: Option<SocketAddr>,
) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(
        config,
        &Overrides {
            sip_addr,
            ..store.overrides(http_addr)
        },
    )?;
    telemetry::init(&settings);
    serve(&settings).await?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let running = server::start(settings, Arc::new(SystemClock)).await?;
    let signal = server::shutdown_signal();
    let url = running.base_url();
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
