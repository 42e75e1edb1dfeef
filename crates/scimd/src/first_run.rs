//! First start on an empty store (DESIGN §8): creates the tenant `default`
//! with a token and prints its SCIM base URL and the token once, on stdout.
//! Once any tenant exists this does nothing, so the secret is never shown
//! again.

use std::io::Write;

use scim_store::{NewToken, Store};

use crate::cli::scim_url;
use crate::tokens;

pub const DEFAULT_TENANT: &str = "default";

pub async fn ensure_default_tenant(store: &dyn Store, public_base: &str) -> anyhow::Result<()> {
    if !store.list_tenants().await?.is_empty() {
        return Ok(());
    }
    let tenant = store.create_tenant(DEFAULT_TENANT, "Default").await?;
    let generated = tokens::generate();
    store
        .create_token(NewToken {
            tenant: tenant.id,
            name: "first-run".into(),
            prefix: generated.prefix.clone(),
            hash: generated.hash,
            scopes: Vec::new(),
            expires: None,
        })
        .await?;
    tracing::info!(tenant = %tenant.slug, "created the first tenant and its token");
    let mut out = std::io::stdout().lock();
    writeln!(out, "SCIM base URL: {}", scim_url(public_base, &tenant.slug))?;
    writeln!(out, "SCIM token: {}", generated.secret)?;
    out.flush()?;
    Ok(())
}
