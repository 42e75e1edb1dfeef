//! First start on an empty store (DESIGN §8): the tenant `default` and a
//! token are created ([`crate::ops::Ops::ensure_first_tenant`]) and its SCIM
//! base URL and the token printed once, on stdout. Once any tenant exists
//! this does nothing, so the secret is never shown again.

use std::io::Write;

use crate::ops::Ops;

pub async fn ensure_default_tenant(ops: &Ops) -> anyhow::Result<()> {
    let Some((tenant, token)) = ops.ensure_first_tenant().await? else {
        return Ok(());
    };
    tracing::info!(tenant = %tenant.slug, "created the first tenant and its token");
    let mut out = std::io::stdout().lock();
    writeln!(out, "SCIM base URL: {}", ops.scim_url(&tenant.slug))?;
    writeln!(out, "SCIM token: {}", token.secret)?;
    out.flush()?;
    Ok(())
}
