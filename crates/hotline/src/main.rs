//! The `hotline` executable.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = hotline::cli::Cli::parse();
    match hotline::cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            // The error chain names what failed (file, address, setting); it carries no
            // personal data.
            #[allow(clippy::print_stderr)] // the CLI's error channel
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}
