//! `scimd token create|list|rotate|revoke`: SCIM bearer tokens of a tenant. The
//! secret is printed once at creation and never again (DESIGN §6).

use clap::Subcommand;
use scim_core::resource::format_datetime;
use scim_store::{Revocation, TokenInfo};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CommonArgs, UrlArgs};
use crate::ops::tokens::IssuedToken;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a token and prints its secret (once).
    Create {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// A label to tell tokens apart, e.g. the IdP's name [default: default]
        #[arg(long)]
        name: Option<String>,
        /// Makes it expire this many seconds from now [default: never]
        #[arg(long, value_name = "SECONDS")]
        expires_in: Option<u64>,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        url: UrlArgs,
    },
    /// Lists a tenant's tokens (never their secrets).
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
    /// Issues a new secret in place of a token (same name and expiry); the
    /// old secret keeps working for the overlap, then stops.
    Rotate {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// The token's id (`scimd token list` shows it).
        token_id: Uuid,
        /// Seconds the old secret keeps working [default: 0, it stops at once]
        #[arg(long, value_name = "SECONDS")]
        overlap: Option<u64>,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        url: UrlArgs,
    },
    /// Revokes a token. Running servers refuse it within a second.
    Revoke {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// The token's id (`scimd token list` shows it).
        token_id: Uuid,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { tenant, name, expires_in, json, common, url } => {
            let ops = common.ops_with_urls(&url).await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let name = name.as_deref().unwrap_or("default");
            let issued = ops.issue_token(&ctx.tenant, name, expires_in.map(std::time::Duration::from_secs)).await?;
            print_issued(&issued, &ctx.tenant.slug, &ctx.base_url, json);
        }
        TokenCommand::Rotate { tenant, token_id, overlap, json, common, url } => {
            let ops = common.ops_with_urls(&url).await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let overlap = std::time::Duration::from_secs(overlap.unwrap_or(0));
            let issued = ops.rotate_token(&ctx.tenant, token_id, overlap).await?;
            print_issued(&issued, &ctx.tenant.slug, &ctx.base_url, json);
        }
        TokenCommand::List { tenant, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let list = ops.list_tokens(&ctx.tenant).await?;
            if json {
                let rows: Vec<Value> = list.iter().map(|t| token_json(t, &ctx.tenant.slug)).collect();
                println!("{}", Value::Array(rows));
            } else {
                for t in &list {
                    let state = if t.revoked.is_some() { "revoked" } else { "active" };
                    println!("{}\t{}\t{}…\t{state}", t.id, t.name, t.prefix);
                }
            }
        }
        TokenCommand::Revoke { tenant, token_id, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            match ops.revoke_token(&ctx.tenant, token_id).await? {
                Revocation::AlreadyRevoked(at) => {
                    println!("Token {token_id} was already revoked (at {})", format_datetime(at));
                }
                _ => println!("Revoked token {token_id}"),
            }
        }
    }
    Ok(())
}

/// A token just issued or rotated: its secret, shown once.
fn print_issued(issued: &IssuedToken, tenant: &str, url: &str, json: bool) {
    let info = &issued.info;
    if json {
        let mut v = token_json(info, tenant);
        v["token"] = Value::String(issued.secret.clone());
        v["scim_url"] = Value::String(url.to_owned());
        println!("{v}");
    } else {
        println!("Token id: {}", info.id);
        println!("SCIM base URL: {url}");
        println!("SCIM token: {}", issued.secret);
        println!("(the token is shown only now; store it in your identity provider)");
    }
}

fn token_json(t: &TokenInfo, tenant: &str) -> Value {
    let ts = |v: Option<time::OffsetDateTime>| v.map(format_datetime);
    json!({
        "id": t.id,
        "tenant": tenant,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": t.scopes,
        "created": format_datetime(t.created),
        "expires": ts(t.expires),
        "last_used": ts(t.last_used),
        "last_user_agent": t.last_user_agent,
        "revoked": ts(t.revoked),
        "replaces": t.replaces,
    })
}
