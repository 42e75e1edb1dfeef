//! `scimd tenant create|list|show|set|delete`: tenants, each with its own SCIM base URL
//! `/scim/v2/{slug}` (DESIGN §6), and their settings (the delete policy of
//! DESIGN §5).

use clap::{Subcommand, ValueEnum};
use scim_store::{DeletePolicy, TenantSettings};
use serde_json::json;

use super::{CommonArgs, UrlArgs};

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant.
    Create {
        /// Lowercase a-z, 0-9 and '-', 1 to 63 characters.
        slug: String,
        /// Display name [default: the slug]
        #[arg(long)]
        name: Option<String>,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        url: UrlArgs,
    },
    /// Lists tenants.
    List {
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        url: UrlArgs,
    },
    /// Shows one tenant with its settings, as the admin API does.
    Show {
        /// The tenant (its slug).
        slug: String,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        url: UrlArgs,
    },
    /// Changes a tenant's settings. A running server applies them within a
    /// few seconds (its tenant cache).
    Set {
        /// The tenant (its slug).
        slug: String,
        /// What SCIM DELETE does: `soft` (hidden from SCIM, kept for the
        /// host application and the audit; the userName is free again) or
        /// `hard` (erased) [default for a new tenant: soft]
        #[arg(long, value_enum)]
        delete_policy: Option<PolicyArg>,
        /// Requests a second the tenant may make (0: no limit), or
        /// `default` to follow the server's `rate_limit_per_tenant` [default
        /// for a new tenant: default]
        #[arg(long, value_name = "N|default", value_parser = parse_rate)]
        rate_limit: Option<RateArg>,
        /// Whether group displayNames must be unique in the tenant
        /// (case-insensitively; groups already sharing a name keep it)
        /// [default for a new tenant: on]
        #[arg(long, value_enum, value_name = "on|off")]
        unique_group_names: Option<Switch>,
        /// Whether provisioning is suspended: every SCIM resource request
        /// with a valid token is refused with 403 (discovery still answers)
        /// [default for a new tenant: off]
        #[arg(long, value_enum, value_name = "on|off")]
        suspended: Option<Switch>,
        /// Whether a User's new userName (when email-shaped) or email value
        /// must be in one of the tenant's verified domains (`scimd domain`)
        /// [default for a new tenant: off]
        #[arg(long, value_enum, value_name = "on|off")]
        enforce_domains: Option<Switch>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Erases a tenant and all its data (tokens, users, groups, events,
    /// audit entries). Cannot be undone; the erasure itself is audited.
    Delete {
        /// The tenant (its slug).
        slug: String,
        /// The slug again, to confirm.
        #[arg(long)]
        confirm: String,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
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

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    Soft,
    Hard,
}

pub async fn run(cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create { slug, name, json, common, url } => {
            let ops = common.ops_with_urls(&url).await?;
            let tenant = ops.create_tenant(&slug, name.as_deref()).await?;
            let url = ops.scim_url(&tenant.slug);
            if json {
                println!("{}", json!({ "id": tenant.id, "slug": tenant.slug, "name": tenant.name, "scim_url": url }));
            } else {
                println!("Created tenant {} ({})", tenant.slug, tenant.id);
                println!("SCIM base URL: {url}");
            }
        }
        TenantCommand::List { json, common, url } => {
            let ops = common.ops_with_urls(&url).await?;
            let tenants = ops.list_tenants().await?;
            if json {
                let list: Vec<_> = tenants
                    .iter()
                    .map(|t| {
                        json!({ "id": t.id, "slug": t.slug, "name": t.name, "scim_url": ops.scim_url(&t.slug),
                                "delete_policy": t.settings.delete_policy,
                                "rate_limit": t.settings.rate_limit,
                                "unique_group_names": t.settings.unique_group_names,
                                "suspended": t.settings.suspended,
                                "enforce_domains": t.settings.enforce_domains })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for t in &tenants {
                    println!("{}\t{}\t{}\t{}", t.slug, t.id, t.name, ops.scim_url(&t.slug));
                }
            }
        }
        TenantCommand::Show { slug, json, common, url } => {
            let ops = common.ops_with_urls(&url).await?;
            let ctx = ops.require_tenant(&slug).await?;
            let view = crate::admin_api::tenants::TenantView::of(&ops, &ctx.tenant);
            let v = serde_json::to_value(&view)?;
            if json {
                println!("{v}");
            } else {
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
        }
        TenantCommand::Set {
            slug,
            delete_policy,
            rate_limit,
            unique_group_names,
            suspended,
            enforce_domains,
            common,
        } => {
            if delete_policy.is_none()
                && rate_limit.is_none()
                && unique_group_names.is_none()
                && suspended.is_none()
                && enforce_domains.is_none()
            {
                anyhow::bail!(
                    "nothing changed: give --delete-policy, --rate-limit, --unique-group-names, --suspended or \
                     --enforce-domains (see `scimd tenant set --help`)"
                );
            }
            let ops = common.ops().await?;
            let apply = |settings: &mut TenantSettings| {
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
                if let Some(switch) = unique_group_names {
                    settings.unique_group_names = switch == Switch::On;
                }
                if let Some(switch) = suspended {
                    settings.suspended = switch == Switch::On;
                }
                if let Some(switch) = enforce_domains {
                    settings.enforce_domains = switch == Switch::On;
                }
            };
            let current = ops.require_tenant(&slug).await?.tenant.clone();
            let mut wanted = current.settings.clone();
            apply(&mut wanted);
            if wanted == current.settings {
                println!("Nothing changed: tenant {} already has {}", current.slug, describe(&current.settings));
                return Ok(());
            }
            let tenant = ops
                .update_settings(&slug, None, |settings| {
                    apply(settings);
                    Ok(())
                })
                .await?;
            println!("Updated tenant {}: {}", tenant.slug, describe(&tenant.settings));
        }
        TenantCommand::Delete { slug, confirm, json, common } => {
            let ops = common.ops().await?;
            let who = scim_store::AuditContext {
                method: "CLI".into(),
                path: "scimd tenant delete".into(),
                ..Default::default()
            };
            let erased = ops.erase_tenant(&slug, Some(&confirm), who).await?;
            if json {
                println!(
                    "{}",
                    json!({ "erased": slug, "resources": erased.resources, "memberships": erased.memberships,
                            "events": erased.events, "audit_entries": erased.audit_entries, "tokens": erased.tokens,
                            "oauth_clients": erased.oauth_clients })
                );
            } else {
                println!(
                    "Erased tenant {slug}: {} users and groups, {} memberships, {} events, {} audit entries, {} tokens",
                    erased.resources, erased.memberships, erased.events, erased.audit_entries, erased.tokens
                );
            }
        }
    }
    Ok(())
}

/// The settings `tenant set` changes, as its messages say them.
fn describe(settings: &TenantSettings) -> String {
    let policy = match settings.delete_policy {
        DeletePolicy::Soft => "soft",
        DeletePolicy::Hard => "hard",
    };
    let rate = settings.rate_limit.map_or_else(|| "the server's default".to_owned(), |n| format!("{n}/s"));
    let unique = if settings.unique_group_names { "on" } else { "off" };
    let suspended = if settings.suspended { ", provisioning suspended" } else { "" };
    let enforced = if settings.enforce_domains { ", verified domains enforced" } else { "" };
    format!("delete policy {policy}, rate limit {rate}, unique group names {unique}{suspended}{enforced}")
}
