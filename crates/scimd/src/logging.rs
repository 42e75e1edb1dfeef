//! Logging (DESIGN §8): tracing to stderr, JSON when stderr is not a
//! terminal (for log collectors), human-readable otherwise. `RUST_LOG`
//! filters (default `info`). Never the Authorization header, tokens or
//! bodies: nothing logs them.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if std::io::stderr().is_terminal() {
        builder.try_init()
    } else {
        builder.json().with_current_span(true).try_init()
    };
    // Only fails when a subscriber is already installed (tests).
    let _ = result;
}
