//! `scimd oauth-client create|list|revoke`: a tenant's OAuth 2.0 clients
//! (client credentials at `/oauth2/token`), `scimd signing-key
//! list|rotate`: the keys scimd signs access tokens with, and `scimd
//! tenant-auth set|show`: how a tenant's SCIM callers authenticate
//! (scimd tokens, JWTs of its issuer, or both).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use scim_core::resource::format_datetime;
use scim_store::{AuthMode, OAuthClient};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CommonArgs, UrlArgs};
use crate::auth::token_endpoint::TOKEN_PATH;
use crate::ops::tenant_auth::AuthChange;
use crate::sealing::SecretText;

#[derive(Debug, Subcommand)]
pub enum OAuthClientCommand {
    /// Registers a client; prints its client_id and client_secret (once).
    Create {
        #[arg(long)]
        tenant: String,
        /// A label [default: default]
        #[arg(long, default_value = "default")]
        name: String,
        /// A scope it may be granted; repeat for several [default: admin]
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        url: UrlArgs,
    },
    /// Lists a tenant's clients (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Revokes a client: its access tokens are refused within a second.
    Revoke {
        #[arg(long)]
        tenant: String,
        /// The client_id.
        client_id: Uuid,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SigningKeyCommand {
    /// Lists the signing keys, newest first.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Puts a new key in use; the old one stays published until its tokens expire.
    Rotate {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Token,
    Jwt,
    Both,
}

#[derive(Debug, Subcommand)]
pub enum TenantAuthCommand {
    /// Changes how the tenant's SCIM callers authenticate. A value of ""
    /// clears a setting (back to its default).
    Set {
        /// The tenant (its slug).
        slug: String,
        #[arg(long, value_enum)]
        mode: Option<ModeArg>,
        /// The `iss` JWTs must carry.
        #[arg(long)]
        issuer: Option<String>,
        /// The `aud` JWTs must carry.
        #[arg(long)]
        audience: Option<String>,
        /// Where the issuer publishes its keys (HTTPS).
        #[arg(long)]
        jwks_url: Option<String>,
        /// A file holding the issuer's JWKS (inline keys).
        #[arg(long, value_name = "FILE")]
        jwks_file: Option<PathBuf>,
        /// A file holding an HS256 shared secret (at least 32 bytes; stored sealed).
        #[arg(long, value_name = "FILE")]
        hs256_secret_file: Option<PathBuf>,
        /// The scope a token must carry [default: admin]; "" for none.
        #[arg(long)]
        required_scope: Option<String>,
        /// The group a JWT must name [default: admins]; "" for none.
        #[arg(long)]
        required_group: Option<String>,
        /// The claim holding a JWT's groups [default: groups].
        #[arg(long)]
        group_claim: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Shows how the tenant's SCIM callers authenticate.
    Show {
        slug: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

fn client_json(c: &OAuthClient) -> Value {
    json!({
        "client_id": c.id, "name": c.name, "prefix": c.prefix, "scopes": c.scopes,
        "created": format_datetime(c.created),
        "last_used": c.last_used.map(format_datetime), "revoked": c.revoked.map(format_datetime),
    })
}

pub async fn run_client(cmd: OAuthClientCommand) -> anyhow::Result<()> {
    match cmd {
        OAuthClientCommand::Create { tenant, name, scopes, json, common, url } => {
            let ops = common.ops_with_urls(&url).await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let registered = ops.register_oauth_client(&ctx.tenant, &name, &scopes).await?;
            let endpoint = format!("{}{TOKEN_PATH}", ops.public_base());
            if json {
                let mut v = client_json(&registered.client);
                v["client_secret"] = json!(registered.secret);
                v["token_endpoint"] = json!(endpoint);
                v["scim_url"] = json!(ctx.base_url);
                println!("{v}");
            } else {
                println!("client_id:     {}", registered.client.id);
                println!("client_secret: {}", registered.secret);
                println!("(shown only now)");
                println!("token endpoint: {endpoint}");
                println!("SCIM base URL:  {}", ctx.base_url);
            }
        }
        OAuthClientCommand::List { tenant, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let clients = ops.list_oauth_clients(&ctx.tenant).await?;
            if json {
                println!("{}", Value::Array(clients.iter().map(client_json).collect()));
            } else {
                for c in &clients {
                    let state = c.revoked.map_or("active".to_owned(), |at| format!("revoked {}", format_datetime(at)));
                    println!("{}\t{}\t{}\t{}\t{state}", c.id, c.name, c.prefix, c.scopes.join(" "));
                }
            }
        }
        OAuthClientCommand::Revoke { tenant, client_id, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let outcome = ops.revoke_oauth_client(&ctx.tenant, client_id).await?;
            let already = matches!(outcome, scim_store::Revocation::AlreadyRevoked(_));
            if json {
                println!("{}", json!({ "client_id": client_id, "revoked": true, "already": already }));
            } else if already {
                println!("Client {client_id} was already revoked");
            } else {
                println!("Revoked client {client_id}: its access tokens are refused within a second");
            }
        }
    }
    Ok(())
}

pub async fn run_signing_key(cmd: SigningKeyCommand) -> anyhow::Result<()> {
    let (json, common, rotate) = match cmd {
        SigningKeyCommand::List { json, common } => (json, common, false),
        SigningKeyCommand::Rotate { json, common } => (json, common, true),
    };
    let ops = common.ops().await?;
    if rotate {
        let kid = ops.rotate_signing_key().await?;
        if !json {
            println!("New signing key in use: {kid}");
        }
    }
    let keys = ops.list_signing_keys().await?;
    if json {
        let list: Vec<Value> = keys
            .iter()
            .map(|(k, published)| {
                json!({ "kid": k.kid, "alg": k.alg, "created": format_datetime(k.created),
                        "retired": k.retired.map(format_datetime), "published": published })
            })
            .collect();
        println!("{}", Value::Array(list));
    } else if !rotate {
        for (k, published) in &keys {
            let state = match (k.retired, published) {
                (None, _) => "in use".to_owned(),
                (Some(at), true) => format!("retired {}, still published", format_datetime(at)),
                (Some(at), false) => format!("retired {}", format_datetime(at)),
            };
            println!("{}\t{}\t{}\t{state}", k.kid, k.alg, format_datetime(k.created));
        }
    }
    Ok(())
}

/// `Some("")` clears (`Some(None)`), a value sets it.
fn text(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| (!s.is_empty()).then_some(s))
}

pub async fn run_tenant_auth(cmd: TenantAuthCommand) -> anyhow::Result<()> {
    match cmd {
        TenantAuthCommand::Set {
            slug,
            mode,
            issuer,
            audience,
            jwks_url,
            jwks_file,
            hs256_secret_file,
            required_scope,
            required_group,
            group_claim,
            json,
            common,
        } => {
            let jwks = match jwks_file {
                None => None,
                Some(path) => {
                    let doc = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    Some(Some(
                        serde_json::from_str::<Value>(&doc)
                            .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?,
                    ))
                }
            };
            let hs256_secret = match hs256_secret_file {
                None => None,
                Some(path) => {
                    let secret = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    text(Some(secret.trim_end_matches(['\n', '\r']).to_owned())).map(|s| s.map(SecretText))
                }
            };
            let change = AuthChange {
                mode: mode.map(|m| match m {
                    ModeArg::Token => AuthMode::Token,
                    ModeArg::Jwt => AuthMode::Jwt,
                    ModeArg::Both => AuthMode::Both,
                }),
                issuer: text(issuer),
                audience: text(audience),
                jwks_url: text(jwks_url),
                jwks,
                hs256_secret,
                // Here "" means "none required", not the default.
                required_scope: required_scope.map(Some),
                required_group: required_group.map(Some),
                group_claim: text(group_claim),
            };
            if change.is_empty() {
                anyhow::bail!("nothing changed: see `scimd tenant-auth set --help`");
            }
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&slug).await?;
            let tenant = ops
                .update_settings(&slug, None, |settings| {
                    ops.change_auth(&ctx.tenant, &mut settings.auth, change.clone())
                })
                .await?;
            print_auth(&tenant.settings.auth, &slug, json);
        }
        TenantAuthCommand::Show { slug, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&slug).await?;
            print_auth(&ctx.tenant.settings.auth, &slug, json);
        }
    }
    Ok(())
}

fn print_auth(auth: &scim_store::AuthSettings, slug: &str, json: bool) {
    let view = crate::admin_api::tenant_auth::AuthView::of(auth);
    let v = serde_json::to_value(&view).unwrap_or_default();
    if json {
        println!("{v}");
    } else {
        println!("Tenant {slug} authenticates with: {}", v);
    }
}
