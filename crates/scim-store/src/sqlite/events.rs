//! The transactional outbox on SQLite (DESIGN §7): the events a change
//! emits (chosen by [`crate::events`]) are appended in the change's own
//! transaction.
//!
//! Two orders, both gapless where it matters and both commit orders:
//! - **Per tenant**, `seq`: taken from the tenant's row in
//!   `event_sequences` (`UPDATE … RETURNING` inside the write's
//!   transaction). The row stays locked until the transaction ends, so one
//!   tenant's writes take their numbers in commit order however many
//!   writers there are, and a write that rolls back gives its numbers back.
//! - **Globally**, `position`: an AUTOINCREMENT key. Every SQLite write
//!   transaction holds the database's one write lock from its first write
//!   to its commit (the writer thread's `BEGIN IMMEDIATE`, the CLI's), so
//!   rows are inserted in commit order; a reader that has seen position p
//!   has seen every position below it.
//!
//! PostgreSQL keeps `seq` the same way (the counter row's lock). Its
//! positions cannot come from a sequence (values are taken at insert, not at
//! commit: a reader could see 7 before a late-committing 6); they are
//! assigned after commit by one sequencer (a node holding an advisory lock)
//! that numbers committed, unnumbered events in order, so a position is
//! visible only once every smaller one is.

use rusqlite::{Connection, Row, params};
use uuid::Uuid;

use super::convert::{from_ms, parse_json, to_json, to_ms};
use super::sql::all;
use crate::events::NewEvent;
use crate::{EventRecord, EventType, Result, StoreError};

/// Appends `events` for `tenant`, in order, at `at`.
pub(crate) fn insert(
    conn: &Connection,
    tenant: Uuid,
    at: time::OffsetDateTime,
    events: impl IntoIterator<Item = NewEvent>,
) -> Result<()> {
    let events: Vec<NewEvent> = events.into_iter().collect();
    if events.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(events.len()).unwrap_or(i64::MAX);
    // The last number this write takes; it owns the `n` before it.
    let last: i64 = conn
        .prepare_cached(
            "INSERT INTO event_sequences (tenant, last_seq) VALUES (?1, ?2) \
             ON CONFLICT (tenant) DO UPDATE SET last_seq = last_seq + ?2 RETURNING last_seq",
        )?
        .query_row(params![tenant, n], |r| r.get(0))?;
    let at = to_ms(at);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (tenant, seq, id, event_type, resource_id, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?;
    for (seq, e) in (last - n + 1..).zip(&events) {
        stmt.execute(params![
            tenant,
            seq,
            Uuid::now_v7(),
            e.event_type.as_str(),
            e.resource_id,
            at,
            to_json(&e.data)?
        ])?;
    }
    Ok(())
}

const COLUMNS: &str = "position, tenant, seq, id, event_type, resource_id, at, data";

fn record_from_row(row: &Row<'_>) -> Result<EventRecord> {
    let data: String = row.get("data")?;
    let event_type: String = row.get("event_type")?;
    Ok(EventRecord {
        id: row.get("id")?,
        tenant: row.get("tenant")?,
        seq: row.get("seq")?,
        position: row.get("position")?,
        event_type: EventType::parse(&event_type)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown event type {event_type:?}")))?,
        resource_id: row.get("resource_id")?,
        at: from_ms(row.get("at")?),
        data: parse_json(&data)?,
    })
}

pub(crate) fn list(conn: &Connection, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
    all(
        conn,
        &format!("SELECT {COLUMNS} FROM events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?"),
        params![tenant, after, i64::from(limit)],
        record_from_row,
    )
}

pub(crate) fn list_all(conn: &Connection, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
    all(
        conn,
        &format!("SELECT {COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"),
        params![after, i64::from(limit)],
        record_from_row,
    )
}
