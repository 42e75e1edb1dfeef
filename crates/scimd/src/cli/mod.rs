//! The command line (clap): `scimd serve`, `scimd init` and the
//! administration commands `scimd tenant …`, `scimd token …`, `scimd admin-token …`, `scimd schema …`,
//! `scimd domain …`, `scimd audit …`, `scimd events …`, `scimd users …`, `scimd groups …`, `scimd oauth-client …`, `scimd signing-key …` and
//! `scimd tenant-auth …`, which open the store and call [`crate::ops`]: arguments
//! in, an operation, its result printed. No rule lives here. `scimd migrate-store`
//! and `scimd backup` copy whole databases (`scim_store::copy`).

pub mod admin_token;
pub mod audit;
pub mod backup;
pub mod directory;
pub mod domain;
pub mod events;
pub mod migrate_store;
pub mod oauth;
pub mod schema;
pub mod tenant;
pub mod token;
pub mod webhook;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use scim_store::StoreError;

use crate::config::{Config, Overrides, open_store, redact_url};
use crate::ops::Ops;

#[derive(Debug, Parser)]
#[command(name = "scimd", version, about = "A SCIM 2.0 provisioning server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server (creating the database on the first start).
    Serve(ServeArgs),
    /// Creates the database if there is none and brings its schema up to
    /// date; the other administration commands never create one.
    Init(CommonArgs),
    /// Manages tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Manages SCIM bearer tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manages a tenant's custom schema extensions.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Manages tokens of the admin API (`/admin/v1`).
    #[command(subcommand)]
    AdminToken(admin_token::AdminTokenCommand),
    /// Manages a tenant's verified domains.
    #[command(subcommand)]
    Domain(domain::DomainCommand),
    /// Reads a tenant's audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Reads the events a tenant's changes wrote (the outbox).
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Manages webhook endpoints and their deliveries.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Manages a tenant's OAuth 2.0 clients (client credentials).
    #[command(subcommand)]
    OauthClient(oauth::OAuthClientCommand),
    /// Manages the keys scimd signs access tokens with.
    #[command(subcommand)]
    SigningKey(oauth::SigningKeyCommand),
    /// How a tenant's SCIM callers authenticate: scimd tokens, JWTs, or both.
    #[command(subcommand)]
    TenantAuth(oauth::TenantAuthCommand),
    /// Reads a tenant's users as the host application sees them (deleted ones too).
    #[command(subcommand)]
    Users(directory::UsersCommand),
    /// Reads a tenant's groups and their members (deleted groups too).
    #[command(subcommand)]
    Groups(directory::GroupsCommand),
    /// Copies the whole store into a new, empty database (SQLite to
    /// PostgreSQL or back), then checks the copy table by table.
    MigrateStore(migrate_store::MigrateStoreArgs),
    /// Copies a SQLite database into a new file while the server runs.
    Backup(backup::BackupArgs),
}

/// Runs a command.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => crate::server::run(args.load_config()?).await,
        Command::Init(common) => {
            let config = common.load_config(Overrides::default())?;
            open_store(&config, true).await?;
            println!("The database {} is ready", redact_url(&config.database_url));
            Ok(())
        }
        Command::Tenant(cmd) => tenant::run(cmd).await,
        Command::Token(cmd) => token::run(cmd).await,
        Command::Schema(cmd) => schema::run(cmd).await,
        Command::AdminToken(cmd) => admin_token::run(cmd).await,
        Command::Domain(cmd) => domain::run(cmd).await,
        Command::Audit(cmd) => audit::run(cmd).await,
        Command::Events(cmd) => events::run(cmd).await,
        Command::Webhook(cmd) => webhook::run(cmd).await,
        Command::OauthClient(cmd) => oauth::run_client(cmd).await,
        Command::SigningKey(cmd) => oauth::run_signing_key(cmd).await,
        Command::TenantAuth(cmd) => oauth::run_tenant_auth(cmd).await,
        Command::Users(cmd) => directory::run_users(cmd).await,
        Command::Groups(cmd) => directory::run_groups(cmd).await,
        Command::MigrateStore(args) => migrate_store::run(args).await,
        Command::Backup(args) => backup::run(args).await,
    }
}

/// Where the store is: every command takes these.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Database URL, e.g. `sqlite:///var/lib/scimd/scimd.db` [default:
    /// `database_url` of the config file, else sqlite://scimd.db]
    #[arg(long = "database", env = "SCIMD_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// TOML configuration file; every setting can also be an `SCIMD_*`
    /// variable [default: none]
    #[arg(long, env = "SCIMD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// For the commands that print SCIM URLs.
#[derive(Debug, Args)]
pub struct UrlArgs {
    /// Public base URL of the server, for the SCIM URLs printed [default:
    /// `public_url` of the config file, else the one the server last
    /// started with]
    #[arg(long, env = "SCIMD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address to listen on; port 0 picks any free port [default: `listen`
    /// of the config file, else 127.0.0.1:8080]
    #[arg(long, env = "SCIMD_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Base URL clients reach the server at (behind a proxy, its HTTPS
    /// URL), for SCIM URLs and `meta.location` [default: `public_url` of
    /// the config file, else http(s)://<listen address>]
    #[arg(long, env = "SCIMD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// PEM certificate chain for native TLS (with --tls-key) [default: none]
    #[arg(long, env = "SCIMD_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for native TLS (with --tls-cert) [default: none]
    #[arg(long, env = "SCIMD_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// DNS server for verified domains' TXT records, `IP[:port]` (split
    /// horizon, tests) [default: `dns_server` of the config file, else the
    /// system's resolver]
    #[arg(long, env = "SCIMD_DNS_SERVER", value_name = "ADDR")]
    pub dns_server: Option<String>,
    /// Lets webhook URLs resolve to loopback, private and link-local
    /// addresses (development, tests) [default: `allow_private_webhooks`
    /// of the config file, else refused]
    #[arg(long)]
    pub allow_private_webhooks: bool,
}

impl CommonArgs {
    pub fn load_config(&self, mut overrides: Overrides) -> anyhow::Result<Config> {
        overrides.database_url = self.database_url.clone();
        Config::load(self.config.as_deref(), &overrides)
    }

    /// The operations over the store these options name, which must exist.
    /// Nothing these commands print is a URL.
    pub async fn ops(&self) -> anyhow::Result<Ops> {
        self.open(None).await
    }

    /// [`Self::ops`] for a command that prints SCIM URLs: with the public
    /// URL given, else the one the server recorded at its last start, else
    /// the default listen address.
    pub async fn ops_with_urls(&self, url: &UrlArgs) -> anyhow::Result<Ops> {
        self.open(Some(url)).await
    }

    async fn open(&self, url: Option<&UrlArgs>) -> anyhow::Result<Ops> {
        let public_url = url.and_then(|u| u.public_url.clone());
        let config = self.load_config(Overrides { public_url, ..Overrides::default() })?;
        let store = open_store(&config, false).await.map_err(|e| match e.downcast_ref::<StoreError>() {
            Some(StoreError::NoDatabase(path)) => anyhow::anyhow!(
                "there is no database at {path}: point at the server's with --database URL or \
                 SCIMD_DATABASE_URL (e.g. sqlite:///var/lib/scimd/scimd.db), or create one with `scimd init`"
            ),
            _ => e,
        })?;
        let public_base = match (&config.public_url, url) {
            (Some(_), _) | (None, None) => config.public_base(None),
            (None, Some(_)) => match Ops::recorded_public_base(&*store).await? {
                Some(base) => base,
                None => {
                    let base = config.public_base(None);
                    eprintln!(
                        "note: no server has started on this database yet; SCIM URLs assume {base} \
                         (give --public-url to print the real one)"
                    );
                    base
                }
            },
        };
        let ops = Ops::new(store, public_base)
            .with_audit_retention_days(config.audit_retention_days)
            .with_loopback_jwks(config.jwks_allow_loopback_http)
            .with_webhook_policy(config.webhook_policy());
        // The CLI never generates the key (run as another user, it would
        // make a file the server cannot read): it uses the server's.
        Ok(match crate::secrets_key::load_existing(&config)? {
            Some(key) => ops.with_sealing_key(key),
            None => ops,
        })
    }
}

impl ServeArgs {
    pub fn load_config(&self) -> anyhow::Result<Config> {
        self.common.load_config(Overrides {
            listen: self.listen.clone(),
            public_url: self.public_url.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            dns_server: self.dns_server.clone(),
            allow_private_webhooks: self.allow_private_webhooks.then_some(true),
            ..Overrides::default()
        })
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
        Cli::try_parse_from([
            "scimd",
            "audit",
            "search",
            "--tenant",
            "acme",
            "--since",
            "2026-01-01T00:00:00Z",
            "--outcome",
            "refused",
            "--limit",
            "5",
            "--json",
        ])
        .unwrap();
        Cli::try_parse_from(["scimd", "audit", "export", "--tenant", "acme", "--token", "x"]).unwrap();
        Cli::try_parse_from(["scimd", "users", "list", "--tenant", "acme", "--filter", "active eq false", "--json"])
            .unwrap();
        Cli::try_parse_from(["scimd", "users", "show", "--tenant", "acme", "0190c5a8-0000-7000-8000-000000000000"])
            .unwrap();
        Cli::try_parse_from(["scimd", "groups", "members", "--tenant", "acme", "g", "--limit", "10", "--json"])
            .unwrap();
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
        Cli::try_parse_from(["scimd", "serve", "--dns-server", "127.0.0.1:5353"]).unwrap();
        Cli::try_parse_from([
            "scimd",
            "domain",
            "add",
            "--tenant",
            "acme",
            "example.com",
            "--include-subdomains",
            "--json",
        ])
        .unwrap();
        Cli::try_parse_from(["scimd", "domain", "list", "--tenant", "acme", "--json"]).unwrap();
        Cli::try_parse_from(["scimd", "domain", "verify", "--tenant", "acme", "example.com", "--manual"]).unwrap();
        Cli::try_parse_from(["scimd", "domain", "remove", "--tenant", "acme", "example.com"]).unwrap();
        Cli::try_parse_from(["scimd", "tenant", "set", "acme", "--enforce-domains", "on"]).unwrap();
        assert!(Cli::try_parse_from(["scimd", "domain", "add", "example.com"]).is_err(), "add needs a tenant");
        Cli::try_parse_from(["scimd", "migrate-store", "--from", "sqlite://a.db", "--to", "postgres://h/db"]).unwrap();
        assert!(Cli::try_parse_from(["scimd", "migrate-store", "--from", "sqlite://a.db"]).is_err(), "needs --to");
        Cli::try_parse_from(["scimd", "backup", "--to", "copy.db", "--database", "sqlite://a.db"]).unwrap();
    }
}
