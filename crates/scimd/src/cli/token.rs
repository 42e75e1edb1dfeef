//! `scimd token create|list|revoke`: SCIM bearer tokens of a tenant. The
//! secret is printed once at creation and never again (DESIGN §6).

use clap::Subcommand;
use scim_store::{NewToken, TokenInfo};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CommonArgs, open_store, scim_url, tenant_by_slug};
use crate::config::Overrides;
use crate::tokens;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a token and prints its secret (once).
    Create {
        #[arg(long)]
        tenant: String,
        /// A label to tell tokens apart (e.g. the IdP's name).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists a tenant's tokens (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Revokes a token. Running servers refuse it within a few seconds
    /// (their token cache's lifetime).
    Revoke {
        #[arg(long)]
        tenant: String,
        token_id: Uuid,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { tenant, name, json, common } => {
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let tenant = tenant_by_slug(store.as_ref(), &tenant).await?;
            let generated = tokens::generate();
            let info = store
                .create_token(NewToken {
                    tenant: tenant.id,
                    name: name.unwrap_or_else(|| "default".into()),
                    prefix: generated.prefix.clone(),
                    hash: generated.hash,
                    scopes: Vec::new(),
                    expires: None,
                })
                .await?;
            let url = scim_url(&config.public_base(None), &tenant.slug);
            if json {
                println!(
                    "{}",
                    json!({
                        "id": info.id, "tenant": tenant.slug, "name": info.name, "prefix": info.prefix,
                        "token": generated.secret, "scim_url": url,
                    })
                );
            } else {
                println!("Token id: {}", info.id);
                println!("SCIM base URL: {url}");
                println!("SCIM token: {}", generated.secret);
                println!("(the token is shown only now; store it in your identity provider)");
            }
        }
        TokenCommand::List { tenant, json, common } => {
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let tenant = tenant_by_slug(store.as_ref(), &tenant).await?;
            let list = store.list_tokens(tenant.id).await?;
            if json {
                let rows: Vec<Value> = list.iter().map(|t| token_json(t, &tenant.slug)).collect();
                println!("{}", Value::Array(rows));
            } else {
                for t in &list {
                    let state = if t.revoked.is_some() { "revoked" } else { "active" };
                    println!("{}\t{}\t{}…\t{state}", t.id, t.name, t.prefix);
                }
            }
        }
        TokenCommand::Revoke { tenant, token_id, common } => {
            let config = common.load_config(Overrides::default())?;
            let store = open_store(&config).await?;
            let tenant = tenant_by_slug(store.as_ref(), &tenant).await?;
            if !store.revoke_token(tenant.id, token_id).await? {
                anyhow::bail!("no token {token_id} in tenant {:?}", tenant.slug);
            }
            println!("Revoked token {token_id}");
        }
    }
    Ok(())
}

fn token_json(t: &TokenInfo, tenant: &str) -> Value {
    let ts = |v: Option<time::OffsetDateTime>| v.map(scim_core::resource::format_datetime);
    json!({
        "id": t.id,
        "tenant": tenant,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": t.scopes,
        "created": scim_core::resource::format_datetime(t.created),
        "expires": ts(t.expires),
        "last_used": ts(t.last_used),
        "revoked": ts(t.revoked),
    })
}
