//! `fieldkit-server`: runs the sync server with settings from flags and environment.

use clap::Parser;
use fieldkit_server::{Config, serve};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(fieldkit_server::log_filter("info"))
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
