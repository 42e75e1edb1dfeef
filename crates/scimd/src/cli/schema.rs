//! `scimd schema add|list|remove|unknown-extensions`: a tenant's custom
//! schema extensions (RFC 7643 §3.3, §7) and what happens to extension URNs
//! it has not declared. All of it lives in the tenant's settings; a running
//! server picks changes up within its tenant-cache TTL (5 seconds).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use scim_core::schema::{UnknownExtensions, parse_extension_schema};
use scim_store::{TenantExtension, TenantSettings};
use serde_json::{Value, json};

use super::{CommonArgs, open_store, tenant_by_slug};
use crate::config::Overrides;
use crate::state::{declared_urn, tenant_registry};

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Declares an extension schema (RFC 7643 §7 JSON) on a resource type.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum, ignore_case = true)]
        resource_type: ResourceTypeArg,
        /// Every resource of the type must carry the extension.
        #[arg(long)]
        required: bool,
        /// The schema as JSON, in the shape `/Schemas` serves.
        #[arg(long, value_name = "SCHEMA.JSON")]
        file: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists a tenant's extension schemas and its unknown-extension policy.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Removes an extension schema. Data stored under it stays in the
    /// resources and is returned as stored.
    Remove {
        #[arg(long)]
        tenant: String,
        /// The schema URN (case-insensitive).
        urn: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Sets what requests may do with extension URNs the tenant has not
    /// declared: `reject` them with 400 (the default) or `keep` the
    /// extension object verbatim.
    UnknownExtensions {
        #[arg(long)]
        tenant: String,
        #[arg(value_enum)]
        policy: PolicyArg,
        #[command(flatten)]
        common: CommonArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ResourceTypeArg {
    #[value(name = "User")]
    User,
    #[value(name = "Group")]
    Group,
}

impl ResourceTypeArg {
    fn as_str(self) -> &'static str {
        match self {
            ResourceTypeArg::User => "User",
            ResourceTypeArg::Group => "Group",
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    Reject,
    Keep,
}

impl From<PolicyArg> for UnknownExtensions {
    fn from(p: PolicyArg) -> Self {
        match p {
            PolicyArg::Reject => UnknownExtensions::Reject,
            PolicyArg::Keep => UnknownExtensions::Keep,
        }
    }
}

pub async fn run(cmd: SchemaCommand) -> anyhow::Result<()> {
    match cmd {
        SchemaCommand::Add { tenant, resource_type, required, file, json, common } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let raw: Value =
                serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
            let schema =
                parse_extension_schema(&raw).map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.detail))?;
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let t = tenant_by_slug(store.as_ref(), &tenant).await?;
            let mut settings = t.settings.clone();
            // Also a stored schema that no longer loads holds on to its URN,
            // so that fixing it means removing it first, not shadowing it.
            if settings.extensions.iter().filter_map(declared_urn).any(|u| u.eq_ignore_ascii_case(&schema.id)) {
                anyhow::bail!("tenant {tenant:?} already declares {}; remove it first to replace it", schema.id);
            }
            // The same registry the server builds refuses standard URNs and
            // conflicts, so what is saved here is what will load there.
            let (mut registry, _) = tenant_registry(&settings);
            let summary = summary(&schema, resource_type.as_str(), required);
            registry.add_extension(resource_type.as_str(), schema, required).map_err(|e| anyhow::anyhow!(e.detail))?;
            settings.extensions.push(TenantExtension {
                resource_type: resource_type.as_str().to_owned(),
                required,
                schema: raw,
            });
            store.update_tenant_settings(t.id, &settings).await?;
            if json {
                println!("{summary}");
            } else {
                println!(
                    "Added {} to {} of tenant {} ({} attributes{})",
                    summary["id"].as_str().unwrap_or_default(),
                    resource_type.as_str(),
                    t.slug,
                    summary["attributes"].as_array().map_or(0, Vec::len),
                    if required { ", required" } else { "" }
                );
            }
        }
        SchemaCommand::List { tenant, json, common } => {
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let t = tenant_by_slug(store.as_ref(), &tenant).await?;
            let list = listing(&t.settings);
            let policy = policy_name(t.settings.unknown_extensions);
            if json {
                println!("{}", json!({ "tenant": t.slug, "unknown_extensions": policy, "extensions": list }));
            } else {
                println!("unknown extensions: {policy}");
                for e in &list {
                    let mut line = format!(
                        "{}\t{}\t{}",
                        e["resource_type"].as_str().unwrap_or_default(),
                        e["id"].as_str().unwrap_or("(no id)"),
                        if e["required"] == true { "required" } else { "optional" },
                    );
                    match e["error"].as_str() {
                        Some(err) => line.push_str(&format!("\tNOT LOADED: {err}")),
                        None => {
                            line.push_str(&format!("\t{} attributes", e["attributes"].as_array().map_or(0, Vec::len)))
                        }
                    }
                    println!("{line}");
                }
            }
        }
        SchemaCommand::Remove { tenant, urn, common } => {
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let t = tenant_by_slug(store.as_ref(), &tenant).await?;
            let mut settings = t.settings.clone();
            let before = settings.extensions.len();
            settings.extensions.retain(|e| !declared_urn(e).is_some_and(|u| u.eq_ignore_ascii_case(&urn)));
            if settings.extensions.len() == before {
                anyhow::bail!("tenant {tenant:?} declares no schema extension {urn} (see `scimd schema list`)");
            }
            store.update_tenant_settings(t.id, &settings).await?;
            println!("Removed {urn} from tenant {}; data stored under it stays in the resources", t.slug);
        }
        SchemaCommand::UnknownExtensions { tenant, policy, common } => {
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let t = tenant_by_slug(store.as_ref(), &tenant).await?;
            let settings = TenantSettings { unknown_extensions: policy.into(), ..t.settings };
            store.update_tenant_settings(t.id, &settings).await?;
            println!("Tenant {}: unknown extensions: {}", t.slug, policy_name(settings.unknown_extensions));
        }
    }
    Ok(())
}

fn policy_name(p: UnknownExtensions) -> &'static str {
    match p {
        UnknownExtensions::Reject => "reject",
        UnknownExtensions::Keep => "keep",
    }
}

fn summary(schema: &scim_core::schema::Schema, resource_type: &str, required: bool) -> Value {
    let attributes: Vec<&str> = schema.attributes.iter().map(|a| a.name.as_str()).collect();
    json!({ "id": schema.id, "name": schema.name, "resource_type": resource_type, "required": required,
            "attributes": attributes })
}

/// Each declared extension as the server sees it: its summary, the schema
/// as stored, and why it does not load, if it does not.
fn listing(settings: &TenantSettings) -> Vec<Value> {
    let (_, skipped) = tenant_registry(settings);
    settings
        .extensions
        .iter()
        .enumerate()
        .map(|(i, ext)| {
            let mut entry = match parse_extension_schema(&ext.schema) {
                Ok(s) => summary(&s, &ext.resource_type, ext.required),
                Err(_) => {
                    json!({ "id": declared_urn(ext), "resource_type": ext.resource_type, "required": ext.required })
                }
            };
            entry["schema"] = ext.schema.clone();
            entry["error"] = skipped.iter().find(|(j, _)| *j == i).map_or(Value::Null, |(_, e)| json!(e.detail));
            entry
        })
        .collect()
}
