//! The command line (clap): `scimd serve` and the administration commands
//! `scimd tenant …`, `scimd token …`, `scimd schema …`, `scimd audit …` and
//! `scimd events …`, which open the store and call [`crate::ops`]: arguments
//! in, an operation, its result printed. No rule lives here.

pub mod audit;
pub mod events;
pub mod schema;
pub mod tenant;
pub mod token;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Overrides, open_store};
use crate::ops::Ops;

#[derive(Debug, Parser)]
#[command(name = "scimd", version, about = "A SCIM 2.0 provisioning server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server.
    Serve(ServeArgs),
    /// Manages tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Manages SCIM bearer tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manages a tenant's custom schema extensions.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Reads a tenant's audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Reads the events a tenant's changes wrote (the outbox).
    #[command(subcommand)]
    Events(events::EventsCommand),
}

/// Runs a command.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => crate::server::run(args.load_config()?).await,
        Command::Tenant(cmd) => tenant::run(cmd).await,
        Command::Token(cmd) => token::run(cmd).await,
        Command::Schema(cmd) => schema::run(cmd).await,
        Command::Audit(cmd) => audit::run(cmd).await,
        Command::Events(cmd) => events::run(cmd).await,
    }
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Database URL (`sqlite://scimd.db`).
    #[arg(long = "database", env = "SCIMD_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Public base URL of the server (for SCIM URLs and `meta.location`).
    #[arg(long, env = "SCIMD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// TOML configuration file.
    #[arg(long, env = "SCIMD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "SCIMD_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// PEM certificate chain for native TLS.
    #[arg(long, env = "SCIMD_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for native TLS.
    #[arg(long, env = "SCIMD_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl CommonArgs {
    pub fn load_config(&self, mut overrides: Overrides) -> anyhow::Result<Config> {
        overrides.database_url = self.database_url.clone();
        overrides.public_url = self.public_url.clone();
        Config::load(self.config.as_deref(), &overrides)
    }
}

impl ServeArgs {
    pub fn load_config(&self) -> anyhow::Result<Config> {
        self.common.load_config(Overrides {
            listen: self.listen.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            ..Overrides::default()
        })
    }
}

impl CommonArgs {
    /// The operations over the store these options name (the CLI has no
    /// listening address: URLs use the configured public URL, or the
    /// default listen address).
    pub async fn ops(&self) -> anyhow::Result<Ops> {
        let config = self.load_config(Overrides::default())?;
        let store = open_store(&config).await?;
        Ok(Ops::new(store, config.public_base(None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_parses_the_documented_commands() {
        Cli::try_parse_from(["scimd", "serve", "--listen", "127.0.0.1:0", "--database", "sqlite://x.db"]).unwrap();
        Cli::try_parse_from(["scimd", "tenant", "create", "acme", "--name", "Acme", "--json"]).unwrap();
        Cli::try_parse_from(["scimd", "tenant", "list", "--json"]).unwrap();
        Cli::try_parse_from(["scimd", "tenant", "set", "acme", "--delete-policy", "hard"]).unwrap();
        assert!(Cli::try_parse_from(["scimd", "tenant", "set", "acme", "--delete-policy", "maybe"]).is_err());
        Cli::try_parse_from(["scimd", "token", "create", "--tenant", "acme", "--name", "okta", "--json"]).unwrap();
        Cli::try_parse_from(["scimd", "token", "list", "--tenant", "acme"]).unwrap();
        Cli::try_parse_from(["scimd", "token", "revoke", "--tenant", "acme", "0190c5a8-0000-7000-8000-000000000000"])
            .unwrap();
        Cli::try_parse_from([
            "scimd",
            "schema",
            "add",
            "--tenant",
            "acme",
            "--resource-type",
            "user",
            "--file",
            "s.json",
        ])
        .unwrap();
        Cli::try_parse_from(["scimd", "schema", "list", "--tenant", "acme", "--json"]).unwrap();
        Cli::try_parse_from(["scimd", "audit", "list", "--tenant", "acme", "--limit", "5", "--json"]).unwrap();
        Cli::try_parse_from(["scimd", "events", "list", "--tenant", "acme", "--after", "3"]).unwrap();
        Cli::try_parse_from(["scimd", "events", "list", "--after", "3", "--limit", "10", "--json"]).unwrap();
        assert!(Cli::try_parse_from(["scimd", "audit", "list"]).is_err(), "audit needs a tenant");
        Cli::try_parse_from(["scimd", "schema", "remove", "--tenant", "acme", "urn:example:acme:1.0:User"]).unwrap();
        Cli::try_parse_from(["scimd", "schema", "unknown-extensions", "--tenant", "acme", "keep"]).unwrap();
        assert!(Cli::try_parse_from(["scimd", "schema", "unknown-extensions", "--tenant", "acme", "maybe"]).is_err());
        assert!(
            Cli::try_parse_from([
                "scimd",
                "schema",
                "add",
                "--tenant",
                "a",
                "--resource-type",
                "Widget",
                "--file",
                "s"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["scimd", "serve", "--tls-cert", "c.pem"]).is_err());
    }
}
