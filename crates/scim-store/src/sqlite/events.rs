//! The transactional outbox (DESIGN §7): events are inserted in the write's
//! own transaction with the next per-tenant sequence numbers. Writes are
//! serialised by the single write connection, so `MAX(seq) + 1` cannot race.

use rusqlite::{Connection, Row, params};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{from_ms, parse_json, to_json, to_ms};
use super::sql::all;
use crate::{EventRecord, Result};

/// An event to append.
pub(crate) struct NewEvent {
    pub event_type: &'static str,
    pub resource_id: Uuid,
    pub data: Value,
}

pub(crate) fn insert(conn: &Connection, tenant: Uuid, at: OffsetDateTime, events: Vec<NewEvent>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let at = to_ms(at);
    let mut seq: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events WHERE tenant = ?")?
        .query_row([tenant], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (tenant, seq, id, event_type, resource_id, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?;
    for e in &events {
        seq += 1;
        stmt.execute(params![tenant, seq, Uuid::now_v7(), e.event_type, e.resource_id, at, to_json(&e.data)?])?;
    }
    Ok(())
}

fn record_from_row(row: &Row<'_>) -> Result<EventRecord> {
    let data: String = row.get("data")?;
    Ok(EventRecord {
        id: row.get("id")?,
        tenant: row.get("tenant")?,
        seq: row.get("seq")?,
        event_type: row.get("event_type")?,
        resource_id: row.get("resource_id")?,
        at: from_ms(row.get("at")?),
        data: parse_json(&data)?,
    })
}

pub(crate) fn list(conn: &Connection, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
    all(
        conn,
        "SELECT tenant, seq, id, event_type, resource_id, at, data FROM events \
         WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?",
        params![tenant, after, i64::from(limit)],
        record_from_row,
    )
}
