//! scimd: the SCIM 2.0 provisioning server (RFC 7643, RFC 7644). One
//! binary: `scimd serve` runs the server; `scimd tenant …`, `scimd token …`
//! and `scimd schema …` administer the store directly.
#![forbid(unsafe_code)]

mod auth;
mod cli;
mod config;
mod error;
mod first_run;
mod logging;
mod metrics;
mod password;
mod scim_api;
mod server;
mod slug;
mod state;
mod tokens;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// mimalloc instead of the system allocator: a request allocates many small
/// JSON values, and glibc's malloc/free were a tenth of a GET's CPU in perf.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The administration commands print their results on stdout; their logs
    // are kept to warnings so scripts see only what they asked for.
    let serving = matches!(cli.command, Command::Serve(_));
    logging::init(if serving { "info" } else { "warn" });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scimd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => server::run(args).await,
            Command::Tenant(cmd) => cli::tenant::run(cmd).await,
            Command::Token(cmd) => cli::token::run(cmd).await,
            Command::Schema(cmd) => cli::schema::run(cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if serving {
                tracing::error!(error = %format!("{e:#}"), "scimd failed");
            } else {
                eprintln!("scimd: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}
