//! The transactional outbox (DESIGN §7): events are inserted in the write's
//! own transaction with the next per-tenant sequence numbers. Writes are
//! serialised by the single write connection, so `MAX(seq) + 1` cannot race.

use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{from_ms, parse_json, to_json, to_ms};
use crate::{EventRecord, Result};

/// An event to append.
pub(crate) struct NewEvent {
    pub event_type: &'static str,
    pub resource_id: Uuid,
    pub data: Value,
}

/// Rows per multi-row INSERT (7 parameters each, well under SQLite's limit).
const CHUNK: usize = 500;

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    tenant: Uuid,
    at: OffsetDateTime,
    events: Vec<NewEvent>,
) -> Result<()> {
    let at = to_ms(at);
    if let [event] = events.as_slice() {
        // The common case, in one statement.
        sqlx::query(
            "INSERT INTO events (tenant, seq, id, event_type, resource_id, at, data) VALUES \
             (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant = ?1), ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(event.event_type)
        .bind(event.resource_id)
        .bind(at)
        .bind(to_json(&event.data)?)
        .execute(conn)
        .await?;
        return Ok(());
    }
    if events.is_empty() {
        return Ok(());
    }
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events WHERE tenant = ?")
        .bind(tenant)
        .fetch_one(&mut *conn)
        .await?;
    let mut seq = last;
    for chunk in events.chunks(CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            seq += 1;
            rows.push((seq, e, to_json(&e.data)?));
        }
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO events (tenant, seq, id, event_type, resource_id, at, data) ");
        qb.push_values(rows, |mut b, (seq, e, data)| {
            b.push_bind(tenant)
                .push_bind(seq)
                .push_bind(Uuid::now_v7())
                .push_bind(e.event_type)
                .push_bind(e.resource_id)
                .push_bind(at)
                .push_bind(data);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

fn record_from_row(row: &SqliteRow) -> Result<EventRecord> {
    let data: String = row.try_get("data")?;
    Ok(EventRecord {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant")?,
        seq: row.try_get("seq")?,
        event_type: row.try_get("event_type")?,
        resource_id: row.try_get("resource_id")?,
        at: from_ms(row.try_get("at")?),
        data: parse_json(&data)?,
    })
}

pub(crate) async fn list(pool: &SqlitePool, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
    let rows = sqlx::query(
        "SELECT tenant, seq, id, event_type, resource_id, at, data FROM events \
         WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(tenant)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(record_from_row).collect()
}
