//! The audit log on PostgreSQL (DESIGN §3): one row per change or refusal,
//! written in the change's own transaction (or alone, for refusals). What an
//! entry says is decided by [`crate::audit`].

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_ms, get, now, parse_kind, to_ms};
use super::sql::{Sql, all, exec, one};
use crate::{AuditContext, AuditEntry, AuditQuery, AuditRecord, ResourceKind, Result, StoreError};

const SELECT: &str = "SELECT id, tenant, at, token, admin_token, subject, remote_addr, method, path, request_id, \
     resource_kind, resource_id, status, detail FROM audit_log";

pub(crate) async fn insert(c: &impl GenericClient, entry: &AuditEntry, at: OffsetDateTime) -> Result<()> {
    let ctx = &entry.context;
    exec(
        c,
        "INSERT INTO audit_log (tenant, at, token, admin_token, subject, remote_addr, method, path, request_id, \
         resource_kind, resource_id, status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &entry.tenant,
            &to_ms(at),
            &ctx.token,
            &ctx.admin_token,
            &ctx.subject,
            &ctx.remote_addr,
            &ctx.method,
            &ctx.path,
            &ctx.request_id,
            &entry.resource_kind.map(ResourceKind::as_str),
            &entry.resource_id,
            &i32::from(entry.status),
            &entry.detail,
        ],
    )
    .await?;
    Ok(())
}

fn record_from_row(row: &Row) -> Result<AuditRecord> {
    let kind: Option<String> = get(row, "resource_kind")?;
    let status: i32 = get(row, "status")?;
    Ok(AuditRecord {
        id: get(row, "id")?,
        at: from_ms(get(row, "at")?),
        entry: AuditEntry {
            tenant: get(row, "tenant")?,
            context: AuditContext {
                token: get(row, "token")?,
                admin_token: get(row, "admin_token")?,
                subject: get(row, "subject")?,
                remote_addr: get(row, "remote_addr")?,
                method: get(row, "method")?,
                path: get(row, "path")?,
                request_id: get(row, "request_id")?,
            },
            resource_kind: kind.as_deref().map(parse_kind).transpose()?,
            resource_id: get(row, "resource_id")?,
            status: u16::try_from(status).map_err(|_| StoreError::Corrupt(format!("audit status {status}")))?,
            detail: get(row, "detail")?,
        },
    })
}

impl PgStore {
    pub(crate) async fn write_audit_impl(&self, entry: AuditEntry) -> Result<()> {
        let c = self.conn().await?;
        insert(&c, &entry, now()).await
    }

    pub(crate) async fn list_audit_impl(&self, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>> {
        let c = self.conn().await?;
        let rows =
            all(&c, &format!("{SELECT} WHERE tenant = $1 ORDER BY id DESC LIMIT $2"), &[&tenant, &i64::from(limit)])
                .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Deletes up to `limit` of the oldest entries written before `before`:
    /// the old ones among the first `limit` by id, by an id range.
    pub(crate) async fn prune_audit_impl(&self, before: OffsetDateTime, limit: u32) -> Result<u64> {
        let before = to_ms(before);
        let c = self.conn().await?;
        let last: Option<i64> = get(
            &one(
                &c,
                "SELECT max(id) AS last FROM (SELECT id, at FROM audit_log ORDER BY id LIMIT $1) s WHERE at < $2",
                &[&i64::from(limit), &before],
            )
            .await?,
            "last",
        )?;
        let Some(last) = last else { return Ok(0) };
        exec(&c, "DELETE FROM audit_log WHERE id <= $1 AND at < $2", &[&last, &before]).await
    }

    /// A tenant's entries matching `q` ([`crate::audit_query::search_sql`]).
    pub(crate) async fn search_audit_impl(&self, tenant: Uuid, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut sql = Sql::new(SELECT);
        crate::audit_query::search_sql(&mut sql, tenant, q);
        let c = self.conn().await?;
        sql.rows(&c).await?.iter().map(record_from_row).collect()
    }
}
