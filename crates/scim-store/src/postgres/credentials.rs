//! What every credential on PostgreSQL — a SCIM token, an admin token, an
//! OAuth client — goes through: revoked (marked now, unless it was already:
//! the first time stays), expired earlier, and touched when used (a SCIM
//! token with the request's User-Agent).

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::convert::{at, from_ms, now, to_ms};
use super::sql::{exec, opt};
use time::OffsetDateTime;

pub(crate) use crate::credential_tables::Credentials;
use crate::{Result, Revocation, StoreError};

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

/// Makes `id` (of `tenant`, for the tables that have one) expire at `at`,
/// or keeps its earlier expiry: a rotation's overlap never lengthens a
/// credential's life.
pub(crate) async fn expire(
    c: &impl GenericClient,
    what: Credentials,
    id: Uuid,
    tenant: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<()> {
    let table = what.table();
    let of_tenant = if tenant.is_some() { "tenant = $3" } else { "$3::uuid IS NULL" };
    let done = exec(
        c,
        &format!(
            "UPDATE {table} SET expires = CASE WHEN expires IS NULL OR expires > $1 THEN $1 ELSE expires END \
             WHERE id = $2 AND {of_tenant}"
        ),
        &[&to_ms(at), &id, &tenant],
    )
    .await?;
    if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Records that `id` was used now, by a request whose User-Agent was
/// `user_agent` where the table keeps it (written even when `None`: it is
/// the last request's).
pub(crate) async fn touch(c: &impl GenericClient, what: Credentials, id: Uuid, user_agent: Option<&str>) -> Result<()> {
    let table = what.table();
    if what.keeps_user_agent() {
        let sql = format!("UPDATE {table} SET last_used = $1, last_user_agent = $3 WHERE id = $2");
        exec(c, &sql, &[&to_ms(now()), &id, &user_agent]).await.map(drop)
    } else {
        exec(c, &format!("UPDATE {table} SET last_used = $1 WHERE id = $2"), &[&to_ms(now()), &id]).await.map(drop)
    }
}
