//! `scimd schema add|list|remove|unknown-extensions`: a tenant's custom
//! schema extensions (RFC 7643 §3.3, §7) and what happens to extension URNs
//! it has not declared. All of it lives in the tenant's settings; a running
//! server picks changes up within its tenant-cache TTL (5 seconds).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use scim_core::ResourceKind;
use scim_core::schema::UnknownExtensions;
use serde_json::{Value, json};

use super::CommonArgs;
use crate::ops::schemas::SchemaEntry;

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Declares an extension schema (RFC 7643 §7 JSON) on a resource type.
    Add {
        /// The tenant (its slug).
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
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists a tenant's extension schemas and its unknown-extension policy.
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
    /// Removes an extension schema. Data stored under it stays in the
    /// resources and is returned as stored.
    Remove {
        /// The tenant (its slug).
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
        /// The tenant (its slug).
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

impl From<ResourceTypeArg> for ResourceKind {
    fn from(r: ResourceTypeArg) -> Self {
        match r {
            ResourceTypeArg::User => ResourceKind::User,
            ResourceTypeArg::Group => ResourceKind::Group,
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
            let ops = common.ops().await?;
            let kind = ResourceKind::from(resource_type);
            let entry = ops
                .add_schema(&tenant, kind, required, raw)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if json {
                println!("{}", summary(&entry));
            } else {
                println!(
                    "Added {} to {} of tenant {tenant} ({} attributes{})",
                    entry.id.as_deref().unwrap_or_default(),
                    kind.as_str(),
                    entry.attributes.len(),
                    if required { ", required" } else { "" }
                );
            }
        }
        SchemaCommand::List { tenant, json, common } => {
            let ops = common.ops().await?;
            let (t, entries) = ops.list_schemas(&tenant).await?;
            let policy = policy_name(t.settings.unknown_extensions);
            if json {
                let list: Vec<Value> = entries
                    .iter()
                    .map(|e| {
                        let mut v = summary(e);
                        v["schema"] = e.schema.clone();
                        v["error"] = json!(e.error);
                        v
                    })
                    .collect();
                println!("{}", json!({ "tenant": t.slug, "unknown_extensions": policy, "extensions": list }));
            } else {
                println!("unknown extensions: {policy}");
                for e in &entries {
                    let mut line = format!(
                        "{}\t{}\t{}",
                        e.resource_type,
                        e.id.as_deref().unwrap_or("(no id)"),
                        if e.required { "required" } else { "optional" },
                    );
                    match &e.error {
                        Some(err) => line.push_str(&format!("\tNOT LOADED: {err}")),
                        None => line.push_str(&format!("\t{} attributes", e.attributes.len())),
                    }
                    println!("{line}");
                }
            }
        }
        SchemaCommand::Remove { tenant, urn, common } => {
            let ops = common.ops().await?;
            ops.remove_schema(&tenant, &urn).await.map_err(|e| anyhow::anyhow!("{e} (see `scimd schema list`)"))?;
            println!("Removed {urn} from tenant {tenant}; data stored under it stays in the resources");
        }
        SchemaCommand::UnknownExtensions { tenant, policy, common } => {
            let ops = common.ops().await?;
            let t = ops.set_unknown_extensions(&tenant, policy.into()).await?;
            println!("Tenant {}: unknown extensions: {}", t.slug, policy_name(t.settings.unknown_extensions));
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

/// What `schema add --json` prints, and `schema list --json` of each loaded
/// extension: its id, name, resource type, requiredness and attributes (for
/// one that does not load: its declared id and where it was declared).
fn summary(e: &SchemaEntry) -> Value {
    let mut v = json!({ "id": e.id, "resource_type": e.resource_type, "required": e.required });
    if e.name.is_some() {
        v["name"] = json!(e.name);
        v["attributes"] = json!(e.attributes);
    }
    v
}
