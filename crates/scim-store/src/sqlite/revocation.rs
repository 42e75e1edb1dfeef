//! Revoking a credential on SQLite — a SCIM token, an admin token, an OAuth
//! client: marked revoked now, unless it was already (the first time
//! stays), in one write.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::convert::{from_ms, now, to_ms};
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

/// Revokes `id` (of `tenant`, for the tables that have one).
pub(crate) fn revoke(c: &Connection, what: Credentials, id: Uuid, tenant: Option<Uuid>) -> Result<Revocation> {
    let table = what.table();
    let of_tenant = if tenant.is_some() { "AND tenant = ?3" } else { "AND ?3 IS NULL" };
    let done = c
        .prepare_cached(&format!("UPDATE {table} SET revoked = ?1 WHERE id = ?2 {of_tenant} AND revoked IS NULL"))?
        .execute(params![to_ms(now()), id, tenant])?;
    if done > 0 {
        return Ok(Revocation::Revoked);
    }
    let earlier: Option<Option<i64>> = c
        .prepare_cached(&format!("SELECT revoked FROM {table} WHERE id = ?1 {}", of_tenant.replace("?3", "?2")))?
        .query_row(params![id, tenant], |r| r.get(0))
        .optional()?;
    Ok(match earlier {
        Some(Some(at)) => Revocation::AlreadyRevoked(from_ms(at)),
        _ => Revocation::NotFound,
    })
}
