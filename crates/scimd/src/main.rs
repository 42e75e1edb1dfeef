//! The `scimd` binary: `scimd serve` runs the server; `scimd tenant …`,
//! `scimd token …`, `scimd schema …`, `scimd audit …` and `scimd events …`
//! administer the store. Everything lives in the library; this parses the
//! command line, starts logging and the runtime, and reports the outcome.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use scimd::cli::{Cli, Command};
use scimd::logging;

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
    match runtime.block_on(scimd::cli::run(cli.command)) {
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
