//! The audit log on SQLite (DESIGN §3): one row per change or refusal,
//! written in the change's own transaction (or alone, for refusals). What an
//! entry says is decided by [`crate::audit`].

use rusqlite::{Connection, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{from_ms, parse_json, to_json, to_ms};
use super::sql::{Sql, all};
use crate::{AuditContext, AuditEntry, AuditQuery, AuditRecord, ResourceKind, Result, StoreError};

pub(crate) fn insert(conn: &Connection, entry: &AuditEntry, at: OffsetDateTime) -> Result<()> {
    let ctx = &entry.context;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO audit_log (tenant, at, token, admin_token, subject, remote_addr, method, path, request_id, \
         resource_kind, resource_id, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    stmt.execute(params![
        entry.tenant,
        to_ms(at),
        ctx.token,
        ctx.admin_token,
        ctx.subject.as_deref(),
        ctx.remote_addr.as_deref(),
        &ctx.method,
        &ctx.path,
        ctx.request_id.as_deref(),
        entry.resource_kind.map(ResourceKind::as_str),
        entry.resource_id,
        i64::from(entry.status),
        to_json(&entry.detail)?,
    ])?;
    Ok(())
}

fn record_from_row(row: &Row<'_>) -> Result<AuditRecord> {
    let kind: Option<String> = row.get("resource_kind")?;
    let status: i64 = row.get("status")?;
    let detail: String = row.get("detail")?;
    Ok(AuditRecord {
        id: row.get("id")?,
        at: from_ms(row.get("at")?),
        entry: AuditEntry {
            tenant: row.get("tenant")?,
            context: AuditContext {
                token: row.get("token")?,
                admin_token: row.get("admin_token")?,
                subject: row.get("subject")?,
                remote_addr: row.get("remote_addr")?,
                method: row.get("method")?,
                path: row.get("path")?,
                request_id: row.get("request_id")?,
            },
            resource_kind: kind.as_deref().map(super::convert::parse_kind).transpose()?,
            resource_id: row.get("resource_id")?,
            status: u16::try_from(status).map_err(|_| StoreError::Corrupt(format!("audit status {status}")))?,
            detail: parse_json(&detail)?,
        },
    })
}

pub(crate) fn list(conn: &Connection, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>> {
    all(
        conn,
        "SELECT id, tenant, at, token, admin_token, subject, remote_addr, method, path, request_id, resource_kind, resource_id, status, \
         detail FROM audit_log WHERE tenant = ? ORDER BY id DESC LIMIT ?",
        params![tenant, i64::from(limit)],
        record_from_row,
    )
}

/// Deletes up to `limit` of the oldest entries written before `before`.
/// Entries are numbered in the order they are written, so the oldest are
/// the first by id: the batch is the old ones among the first `limit`
/// rows, deleted by an id range (no index on the time needed).
pub(crate) fn prune(conn: &Connection, before: OffsetDateTime, limit: u32) -> Result<u64> {
    let before = to_ms(before);
    let last: Option<i64> = conn
        .prepare_cached("SELECT max(id) FROM (SELECT id, at FROM audit_log ORDER BY id LIMIT ?) WHERE at < ?")?
        .query_row(params![i64::from(limit), before], |r| r.get(0))?;
    let Some(last) = last else { return Ok(0) };
    let deleted =
        conn.prepare_cached("DELETE FROM audit_log WHERE id <= ? AND at < ?")?.execute(params![last, before])?;
    Ok(deleted as u64)
}

/// A tenant's entries matching `q` ([`crate::audit_query::search_sql`]).
pub(crate) fn search(conn: &Connection, tenant: Uuid, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
    let mut sql = Sql::new(
        "SELECT id, tenant, at, token, admin_token, subject, remote_addr, method, path, request_id, resource_kind, \
         resource_id, status, detail FROM audit_log",
    );
    crate::audit_query::search_sql(&mut sql, tenant, q);
    sql.rows(conn, record_from_row)
}
