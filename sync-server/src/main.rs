//! `fieldkit-server`: runs the sync server with settings from flags and environment.

use clap::Parser;
use fieldkit_server::{Config, serve};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    match serve(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "fieldkit-server stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
