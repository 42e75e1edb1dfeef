//! `scimd domain add|list|verify|remove`: a tenant's verified domains
//! (issue 11 item 5), over the same operations as the admin API.

use clap::Subcommand;
use scim_core::resource::format_datetime;
use scim_store::Domain;
use serde_json::{Value, json};

use super::CommonArgs;
use crate::config::Overrides;
use crate::ops::domain_names::txt_name;
use crate::ops::domains::DomainRequest;

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Claims a domain; prints the TXT record to publish.
    Add {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// The domain, e.g. example.com.
        domain: String,
        /// Once verified, the domain covers its subdomains too [default: off]
        #[arg(long)]
        include_subdomains: bool,
        /// Claim it even though another tenant has verified it.
        #[arg(long = "override")]
        override_verified: bool,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists a tenant's domains.
    List {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Verifies a domain by its TXT record, or `--manual`ly.
    Verify {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        domain: String,
        /// An operator checked control by other means: no DNS look-up.
        #[arg(long)]
        manual: bool,
        /// DNS server to ask, `IP[:port]` [default: `dns_server` of the
        /// config file, else the system's resolver]
        #[arg(long, env = "SCIMD_DNS_SERVER", value_name = "ADDR")]
        dns_server: Option<String>,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Gives a domain up.
    Remove {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        domain: String,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: DomainCommand) -> anyhow::Result<()> {
    match cmd {
        DomainCommand::Add { tenant, domain, include_subdomains, override_verified, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let req = DomainRequest { domain: &domain, include_subdomains, override_verified };
            let added = ops.add_domain(&ctx.tenant, req).await?;
            let d = &added.domain;
            if json {
                println!("{}", domain_json(d));
            } else {
                if let Some(held) = &added.overrode {
                    println!("Note: another tenant has verified {held}; claimed anyway (override)");
                }
                println!("Claimed {} for tenant {} (pending)", d.domain, ctx.tenant.slug);
                println!(
                    "Publish this TXT record, then run `scimd domain verify --tenant {} {}`:",
                    ctx.tenant.slug, d.domain
                );
                println!("  {}  TXT  \"{}\"", txt_name(&d.domain), d.txt_value);
            }
        }
        DomainCommand::List { tenant, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let list = ops.list_domains(&ctx.tenant).await?;
            if json {
                println!("{}", Value::Array(list.iter().map(domain_json).collect()));
            } else {
                for d in &list {
                    let subdomains = if d.include_subdomains { "\twith subdomains" } else { "" };
                    println!("{}\t{}{subdomains}", d.domain, state(d));
                }
            }
        }
        DomainCommand::Verify { tenant, domain, manual, dns_server, json, common } => {
            let config = common.load_config(Overrides { dns_server, ..Overrides::default() })?;
            let ops = common.ops().await?.with_dns(config.dns());
            let ctx = ops.require_tenant(&tenant).await?;
            let d = ops.verify_domain(&ctx.tenant, &domain, manual).await?;
            if json {
                println!("{}", domain_json(&d));
            } else {
                println!("{}: {}", d.domain, d.last_result.as_deref().unwrap_or(state(&d)));
            }
        }
        DomainCommand::Remove { tenant, domain, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let d = ops.remove_domain(&ctx.tenant, &domain).await?;
            if json {
                println!("{}", json!({"removed": d.domain}));
            } else {
                println!("Removed {} from tenant {}", d.domain, ctx.tenant.slug);
            }
        }
    }
    Ok(())
}

fn state(d: &Domain) -> &'static str {
    if d.is_verified() { "verified" } else { "pending" }
}

/// A domain as `--json` prints it: the admin API's representation.
fn domain_json(d: &Domain) -> Value {
    let ts = |v: Option<time::OffsetDateTime>| v.map(format_datetime);
    json!({
        "domain": d.domain,
        "state": state(d),
        "txt_name": txt_name(&d.domain),
        "txt_value": d.txt_value,
        "include_subdomains": d.include_subdomains,
        "created": format_datetime(d.created),
        "verified_at": ts(d.verified_at),
        "verified_by": d.verified_by.map(|b| b.as_str()),
        "last_checked": ts(d.last_checked),
        "last_result": d.last_result,
    })
}
