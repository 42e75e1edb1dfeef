//! `scimd tenant create|list|set`: tenants, each with its own SCIM base URL
//! `/scim/v2/{slug}` (DESIGN §6), and their settings (the delete policy of
//! DESIGN §5).

use clap::{Subcommand, ValueEnum};
use scim_store::DeletePolicy;
use serde_json::json;

use super::CommonArgs;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant.
    Create {
        /// Lowercase a-z, 0-9 and '-', 1 to 63 characters.
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists tenants.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Changes a tenant's settings. A running server applies them within a
    /// few seconds (its tenant cache).
    Set {
        slug: String,
        /// What SCIM DELETE does: `soft` (default: hidden from SCIM, kept for
        /// the host application and the audit; the userName is free again)
        /// or `hard` (erased).
        #[arg(long, value_enum)]
        delete_policy: Option<PolicyArg>,
        /// Requests a second the tenant may make (0: no limit), or
        /// `default` to follow the server's `rate_limit_per_tenant`.
        #[arg(long, value_name = "N|default", value_parser = parse_rate)]
        rate_limit: Option<RateArg>,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// A tenant's own rate, or the server's.
#[derive(Debug, Clone, Copy)]
pub enum RateArg {
    Default,
    PerSecond(u32),
}

fn parse_rate(s: &str) -> Result<RateArg, String> {
    match s {
        "default" => Ok(RateArg::Default),
        n => n.parse().map(RateArg::PerSecond).map_err(|_| format!("{n:?} is neither a number nor `default`")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    Soft,
    Hard,
}

pub async fn run(cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create { slug, name, json, common } => {
            let ops = common.ops().await?;
            let tenant = ops.create_tenant(&slug, name.as_deref()).await?;
            let url = ops.scim_url(&tenant.slug);
            if json {
                println!("{}", json!({ "id": tenant.id, "slug": tenant.slug, "name": tenant.name, "scim_url": url }));
            } else {
                println!("Created tenant {} ({})", tenant.slug, tenant.id);
                println!("SCIM base URL: {url}");
            }
        }
        TenantCommand::List { json, common } => {
            let ops = common.ops().await?;
            let tenants = ops.list_tenants().await?;
            if json {
                let list: Vec<_> = tenants
                    .iter()
                    .map(|t| {
                        json!({ "id": t.id, "slug": t.slug, "name": t.name, "scim_url": ops.scim_url(&t.slug),
                                "delete_policy": t.settings.delete_policy })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for t in &tenants {
                    println!("{}\t{}\t{}\t{}", t.slug, t.id, t.name, ops.scim_url(&t.slug));
                }
            }
        }
        TenantCommand::Set { slug, delete_policy, rate_limit, common } => {
            let ops = common.ops().await?;
            let tenant = ops
                .update_settings(&slug, None, |settings| {
                    if let Some(p) = delete_policy {
                        settings.delete_policy = match p {
                            PolicyArg::Soft => DeletePolicy::Soft,
                            PolicyArg::Hard => DeletePolicy::Hard,
                        };
                    }
                    match rate_limit {
                        Some(RateArg::Default) => settings.rate_limit = None,
                        Some(RateArg::PerSecond(n)) => settings.rate_limit = Some(n),
                        None => {}
                    }
                    Ok(())
                })
                .await?;
            let rate =
                tenant.settings.rate_limit.map_or_else(|| "the server's default".to_owned(), |n| format!("{n}/s"));
            println!(
                "Updated tenant {} (delete policy: {:?}, rate limit: {rate})",
                tenant.slug, tenant.settings.delete_policy
            );
        }
    }
    Ok(())
}
