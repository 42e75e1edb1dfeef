//! The transactional outbox on SQLite (DESIGN §7): the events a change
//! emits (chosen by [`crate::events`]) are appended in the change's own
//! transaction.
//!
//! Two orders, both in commit order:
//! - **Per tenant**, `seq`, gapless: one more than the tenant's largest,
//!   read inside the write's own transaction. On SQLite that is enough for
//!   any number of writers: every write transaction, whichever thread or
//!   process runs it (the writer thread's `BEGIN IMMEDIATE`, the CLI's),
//!   holds the database's one write lock from its first write to its
//!   commit, so no two transactions read the same largest number, and a
//!   write that rolls back leaves no number taken. (A counter row updated
//!   in the transaction would do the same here at a measured cost: about
//!   30,000 more instructions per SCIM write in callgrind, a write to a
//!   second table in every savepoint.)
//! - **Globally**, `position`: the rowid, one past the largest, for the
//!   same reason in commit order; a reader that has seen position p has
//!   seen every position below it. Whatever deletes events (retention)
//!   must keep the newest, so that no position is handed out twice.
//!
//! PostgreSQL commits concurrently, so there neither holds: `seq` comes
//! from a per-tenant counter row updated in the write's transaction (its
//! row lock orders one tenant's writers, and rolls back with them), and
//! positions cannot come from a sequence (values are drawn at insert, not
//! at commit: a reader could see 7 before a late-committing 6); they are
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
    // The tenant's largest number, under the database's write lock (see
    // the module comment); this write takes the `n` after it.
    let largest: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events WHERE tenant = ?")?
        .query_row([tenant], |r| r.get(0))?;
    let at = to_ms(at);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (tenant, seq, id, event_type, resource_id, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?;
    for (seq, e) in (largest + 1..).zip(&events) {
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
        // An erased tenant's placeholder (see tenants.rs) is no event.
        &format!(
            "SELECT {COLUMNS} FROM events WHERE position > ? AND event_type <> 'erased' ORDER BY position LIMIT ?"
        ),
        params![after, i64::from(limit)],
        record_from_row,
    )
}
