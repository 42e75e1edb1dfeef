//! scimd: the SCIM 2.0 provisioning server (RFC 7643, RFC 7644) as a
//! library: the operations every surface calls ([`ops`]), the surfaces
//! (the SCIM API, the admin API, the CLI), and the server that assembles them. `main.rs`
//! only parses the command line and runs it.
#![forbid(unsafe_code)]

pub mod access_log;
pub mod admin_api;
pub mod admin_ui;
pub mod auth;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod connections;
pub mod delivery;
pub mod first_run;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod rate_limit;
pub mod scim_api;
pub mod sealing;
pub mod secrets;
pub mod secrets_key;
pub mod server;
pub mod state;
