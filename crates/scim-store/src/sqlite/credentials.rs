//! What every credential on SQLite — a SCIM token, an admin token, an
//! OAuth client — goes through: revoked (marked now, unless it was already:
//! the first time stays), expired earlier, and touched when used (a SCIM
//! token with the request's User-Agent).

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::convert::{from_ms, now, to_ms};
use time::OffsetDateTime;

pub(crate) use crate::credential_tables::Credentials;
use crate::{Result, Revocation, StoreError};

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

/// Makes `id` (of `tenant`, for the tables that have one) expire at `at`,
/// or keeps its earlier expiry: a rotation's overlap never lengthens a
/// credential's life.
pub(crate) fn expire(
    c: &Connection,
    what: Credentials,
    id: Uuid,
    tenant: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<()> {
    let table = what.table();
    let of_tenant = if tenant.is_some() { "AND tenant = ?3" } else { "AND ?3 IS NULL" };
    let done = c
        .prepare_cached(&format!(
            "UPDATE {table} SET expires = CASE WHEN expires IS NULL OR expires > ?1 THEN ?1 ELSE expires END \
             WHERE id = ?2 {of_tenant}"
        ))?
        .execute(params![to_ms(at), id, tenant])?;
    if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Records that `id` was used at `at`, by a request whose User-Agent was
/// `user_agent` where the table keeps it (written even when `None`: it is
/// the last request's).
pub(crate) fn touch(c: &Connection, what: Credentials, id: Uuid, at: i64, user_agent: Option<&str>) -> Result<()> {
    let table = what.table();
    if what.keeps_user_agent() {
        c.prepare_cached(&format!("UPDATE {table} SET last_used = ?1, last_user_agent = ?3 WHERE id = ?2"))?
            .execute(params![at, id, user_agent])?;
    } else {
        c.prepare_cached(&format!("UPDATE {table} SET last_used = ?1 WHERE id = ?2"))?.execute(params![at, id])?;
    }
    Ok(())
}
