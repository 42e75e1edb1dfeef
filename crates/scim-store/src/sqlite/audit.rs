//! The audit log (DESIGN §3): one row per change or refusal, written in the
//! change's own transaction (or alone, for refusals), and the diff of a
//! document change. Passwords never appear in it.

use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{from_ms, parse_json, to_json, to_ms};
use crate::{AuditContext, AuditEntry, AuditRecord, ResourceKind, Result, StoreError};

pub(crate) async fn insert(conn: &mut SqliteConnection, entry: &AuditEntry, at: OffsetDateTime) -> Result<()> {
    let ctx = &entry.context;
    sqlx::query(
        "INSERT INTO audit_log (tenant, at, token, remote_addr, method, path, request_id, resource_kind, \
         resource_id, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.tenant)
    .bind(to_ms(at))
    .bind(ctx.token)
    .bind(ctx.remote_addr.as_deref())
    .bind(&ctx.method)
    .bind(&ctx.path)
    .bind(ctx.request_id.as_deref())
    .bind(entry.resource_kind.map(ResourceKind::as_str))
    .bind(entry.resource_id)
    .bind(i64::from(entry.status))
    .bind(to_json(&entry.detail)?)
    .execute(conn)
    .await?;
    Ok(())
}

fn record_from_row(row: &SqliteRow) -> Result<AuditRecord> {
    let kind: Option<String> = row.try_get("resource_kind")?;
    let status: i64 = row.try_get("status")?;
    let detail: String = row.try_get("detail")?;
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: from_ms(row.try_get("at")?),
        entry: AuditEntry {
            tenant: row.try_get("tenant")?,
            context: AuditContext {
                token: row.try_get("token")?,
                remote_addr: row.try_get("remote_addr")?,
                method: row.try_get("method")?,
                path: row.try_get("path")?,
                request_id: row.try_get("request_id")?,
            },
            resource_kind: kind.as_deref().map(super::convert::parse_kind).transpose()?,
            resource_id: row.try_get("resource_id")?,
            status: u16::try_from(status).map_err(|_| StoreError::Corrupt(format!("audit status {status}")))?,
            detail: parse_json(&detail)?,
        },
    })
}

pub(crate) async fn list(pool: &SqlitePool, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "SELECT id, tenant, at, token, remote_addr, method, path, request_id, resource_kind, resource_id, status, \
         detail FROM audit_log WHERE tenant = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(tenant)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(record_from_row).collect()
}

fn is_secret(name: &str) -> bool {
    name.eq_ignore_ascii_case("password")
}

/// The top-level attributes that differ between `before` and `after`, as
/// `{"before": {attr: old}, "after": {attr: new}}` (an attribute absent on
/// one side is absent from that side's map). Never includes a password.
pub(crate) fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut old = Map::new();
    let mut new = Map::new();
    for (k, v) in b {
        if !is_secret(k) && a.get(k) != Some(v) {
            old.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in a {
        if !is_secret(k) && b.get(k) != Some(v) {
            new.insert(k.clone(), v.clone());
        }
    }
    let mut out = Map::new();
    out.insert("before".into(), Value::Object(old));
    out.insert("after".into(), Value::Object(new));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn diff_keeps_changed_attributes_only_and_drops_passwords() {
        let d = diff(
            &json!({"userName": "a", "title": "x", "nickName": "n"}),
            &json!({"userName": "a", "title": "y", "active": true, "password": "secret"}),
        );
        assert_eq!(d, json!({"before": {"title": "x", "nickName": "n"}, "after": {"title": "y", "active": true}}));
    }
}
