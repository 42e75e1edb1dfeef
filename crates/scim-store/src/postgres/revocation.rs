//! Revoking a credential on PostgreSQL — a SCIM token, an admin token, an
//! OAuth client: marked revoked now, unless it was already (the first time
//! stays).

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::convert::{at, from_ms, now, to_ms};
use super::sql::{exec, opt};
use crate::{Result, Revocation};

/// The credential tables; their names are never input.
#[derive(Clone, Copy)]
pub(crate) enum Credentials {
    Tokens,
    AdminTokens,
    OAuthClients,
}

impl Credentials {
    fn table(self) -> &'static str {
        match self {
            Credentials::Tokens => "tokens",
            Credentials::AdminTokens => "admin_tokens",
            Credentials::OAuthClients => "oauth_clients",
        }
    }
}

/// Revokes `id` (of `tenant`, for the tables that have one). Two
/// statements, each with a snapshot of its own: when another node revoked
/// it meanwhile, the second sees that revocation's time.
pub(crate) async fn revoke(
    c: &impl GenericClient,
    what: Credentials,
    id: Uuid,
    tenant: Option<Uuid>,
) -> Result<Revocation> {
    let table = what.table();
    let of_tenant = if tenant.is_some() { "tenant = $2" } else { "$2::uuid IS NULL" };
    let done = exec(
        c,
        &format!("UPDATE {table} SET revoked = $3 WHERE id = $1 AND {of_tenant} AND revoked IS NULL"),
        &[&id, &tenant, &to_ms(now())],
    )
    .await?;
    if done > 0 {
        return Ok(Revocation::Revoked);
    }
    let row = opt(c, &format!("SELECT revoked FROM {table} WHERE id = $1 AND {of_tenant}"), &[&id, &tenant]).await?;
    let earlier: Option<i64> = match row {
        Some(row) => at(&row, 0)?,
        None => None,
    };
    Ok(match earlier {
        Some(at) => Revocation::AlreadyRevoked(from_ms(at)),
        None => Revocation::NotFound,
    })
}
