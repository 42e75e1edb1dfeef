//! `scimd admin-token create|list|revoke|rotate`: tokens of the admin API
//! (`/admin/v1`). The secret is printed once at creation or rotation and
//! never again; a running server accepts a new token, and refuses a revoked
//! one, at once (DESIGN §6).

use std::time::Duration;

use clap::Subcommand;
use scim_core::resource::format_datetime;
use scim_store::{AdminTokenInfo, Revocation};
use serde_json::{Value, json};
use uuid::Uuid;

use super::CommonArgs;
use crate::ops::admin_tokens::{AdminTokenRequest, IssuedAdminToken};

#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Creates an admin token and prints its secret (once).
    Create {
        /// A label to tell tokens apart, e.g. the host application's name
        /// [default: admin]
        #[arg(long)]
        name: Option<String>,
        /// What it may do, repeatable: admin (everything), tenants:read,
        /// tenants:write, audit:read, events:read, webhooks:write [default: admin]
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// Limits it to a tenant (its slug), repeatable [default: every tenant]
        #[arg(long = "tenant", value_name = "SLUG")]
        tenants: Vec<String>,
        /// Makes it expire this many seconds from now [default: never]
        #[arg(long, value_name = "SECONDS")]
        expires_in: Option<u64>,
        /// Prints JSON (`{"id": …, "token": …}`) instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists the admin tokens (never their secrets).
    List {
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Revokes an admin token; running servers refuse it at once.
    Revoke {
        /// The token's id (`scimd admin-token list` shows it).
        token_id: Uuid,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Issues a new secret for an admin token (same name, scopes, tenants
    /// and expiry); the old secret keeps working for the overlap, then stops.
    Rotate {
        /// The token's id (`scimd admin-token list` shows it).
        token_id: Uuid,
        /// Seconds the old secret keeps working [default: 0, it stops at once]
        #[arg(long, value_name = "SECONDS")]
        overlap: Option<u64>,
        /// Prints JSON (`{"id": …, "token": …}`) instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: AdminTokenCommand) -> anyhow::Result<()> {
    match cmd {
        AdminTokenCommand::Create { name, scopes, tenants, expires_in, json, common } => {
            let ops = common.ops().await?;
            let scopes = if scopes.is_empty() { vec!["admin".to_owned()] } else { scopes };
            let req = AdminTokenRequest {
                name: name.as_deref().unwrap_or("admin"),
                scopes: &scopes,
                tenants: &tenants,
                expires_in: expires_in.map(Duration::from_secs),
            };
            print_issued(&ops.issue_admin_token(req).await?, json);
        }
        AdminTokenCommand::List { json, common } => {
            let ops = common.ops().await?;
            let list = ops.list_admin_tokens().await?;
            if json {
                println!("{}", Value::Array(list.iter().map(admin_token_json).collect()));
            } else {
                for t in &list {
                    let state = if t.revoked.is_some() { "revoked" } else { "active" };
                    println!("{}\t{}\t{}…\t{}\t{state}", t.id, t.name, t.prefix, t.scopes.join(" "));
                }
            }
        }
        AdminTokenCommand::Revoke { token_id, common } => {
            let ops = common.ops().await?;
            match ops.revoke_admin_token(token_id).await? {
                Revocation::AlreadyRevoked(at) => {
                    println!("Admin token {token_id} was already revoked (at {})", format_datetime(at));
                }
                _ => println!("Revoked admin token {token_id}"),
            }
        }
        AdminTokenCommand::Rotate { token_id, overlap, json, common } => {
            let ops = common.ops().await?;
            let issued = ops.rotate_admin_token(token_id, Duration::from_secs(overlap.unwrap_or(0))).await?;
            print_issued(&issued, json);
        }
    }
    Ok(())
}

fn print_issued(issued: &IssuedAdminToken, json: bool) {
    if json {
        let mut v = admin_token_json(&issued.info);
        v["token"] = Value::String(issued.secret.clone());
        println!("{v}");
    } else {
        println!("Admin token id: {}", issued.info.id);
        println!("Scopes: {}", issued.info.scopes.join(" "));
        println!("Admin token: {}", issued.secret);
        println!("(the token is shown only now)");
    }
}

fn admin_token_json(t: &AdminTokenInfo) -> Value {
    let ts = |v: Option<time::OffsetDateTime>| v.map(format_datetime);
    json!({
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": t.scopes,
        "tenants": t.tenants,
        "created": format_datetime(t.created),
        "expires": ts(t.expires),
        "last_used": ts(t.last_used),
        "revoked": ts(t.revoked),
        "replaces": t.replaces,
    })
}
