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
    actor: &serde_json::Value,
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
    let actor = to_json(actor)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (tenant, seq, id, event_type, resource_id, at, actor, data) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    for (seq, e) in (largest + 1..).zip(&events) {
        stmt.execute(params![
            tenant,
            seq,
            Uuid::now_v7(),
            e.event_type.as_str(),
            e.resource_id,
            at,
            actor,
            to_json(&e.data)?
        ])?;
    }
    Ok(())
}

pub(crate) const COLUMNS: &str = "e.position, e.tenant, e.seq, e.id, e.event_type, e.resource_id, e.at, e.actor, e.data, \
     t.slug AS tenant_slug";

pub(crate) fn record_from_row(row: &Row<'_>) -> Result<EventRecord> {
    let data: String = row.get("data")?;
    let event_type: String = row.get("event_type")?;
    let actor: Option<String> = row.get("actor")?;
    Ok(EventRecord {
        id: row.get("id")?,
        tenant: row.get("tenant")?,
        tenant_slug: row.get("tenant_slug")?,
        seq: row.get("seq")?,
        position: row.get("position")?,
        event_type: EventType::parse(&event_type)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown event type {event_type:?}")))?,
        resource_id: row.get("resource_id")?,
        at: from_ms(row.get("at")?),
        actor: match actor {
            Some(a) => parse_json(&a)?,
            None => serde_json::Value::Null,
        },
        data: parse_json(&data)?,
    })
}

pub(crate) fn list(conn: &Connection, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
    all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM events e LEFT JOIN tenants t ON t.id = e.tenant \
             WHERE e.tenant = ? AND e.seq > ? ORDER BY e.seq LIMIT ?"
        ),
        params![tenant, after, i64::from(limit)],
        record_from_row,
    )
}

/// A tenant's newest `limit` events, newest first.
pub(crate) fn latest(conn: &Connection, tenant: Uuid, limit: u32) -> Result<Vec<EventRecord>> {
    all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM events e LEFT JOIN tenants t ON t.id = e.tenant \
             WHERE e.tenant = ? AND e.event_type <> 'erased' ORDER BY e.seq DESC LIMIT ?"
        ),
        params![tenant, i64::from(limit)],
        record_from_row,
    )
}

pub(crate) fn list_all(conn: &Connection, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
    all(
        conn,
        // An erased tenant's placeholder (see tenants.rs) is no event.
        &format!(
            "SELECT {COLUMNS} FROM events e LEFT JOIN tenants t ON t.id = e.tenant \
             WHERE e.position > ? AND e.event_type <> 'erased' ORDER BY e.position LIMIT ?"
        ),
        params![after, i64::from(limit)],
        record_from_row,
    )
}

/// The server setting holding the largest position retention deleted.
const PRUNED_THROUGH: &str = "events.pruned_through";

/// Deletes events written before `before`, among the `limit` oldest; how
/// many it deleted. Each tenant's newest event stays whatever its age: the
/// next sequence number follows it, and the newest event overall keeps
/// its position from being handed out again (see the module comment). So
/// a tenant's retained events stay a gapless run. The largest position
/// deleted is recorded for the all-tenants feed's horizon.
pub(crate) fn prune(conn: &Connection, before: time::OffsetDateTime, limit: u32) -> Result<u64> {
    let before = to_ms(before);
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT max(position) FROM (SELECT position, at FROM events ORDER BY position LIMIT ?) WHERE at < ?",
        )?
        .query_row(params![i64::from(limit), before], |r| r.get(0))?;
    let Some(last) = last else { return Ok(0) };
    let deleted: Vec<i64> = {
        let mut stmt = conn.prepare_cached(
            "DELETE FROM events WHERE position <= ? AND at < ? \
             AND seq < (SELECT max(n.seq) FROM events n WHERE n.tenant = events.tenant) RETURNING position",
        )?;
        let rows = stmt.query_map(params![last, before], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if let Some(through) = deleted.iter().max() {
        conn.prepare_cached(
            "INSERT INTO server_settings (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        )?
        .execute(params![PRUNED_THROUGH, through.to_string()])?;
    }
    Ok(deleted.len() as u64)
}

/// The cursor below which events may have been deleted by retention: for
/// a tenant, one less than its oldest retained sequence number (its
/// retained events are a gapless run); for every tenant, the largest
/// position retention deleted. 0 when nothing was deleted.
pub(crate) fn horizon(conn: &Connection, tenant: Option<Uuid>) -> Result<i64> {
    Ok(match tenant {
        Some(t) => conn
            .prepare_cached("SELECT COALESCE(min(seq), 1) - 1 FROM events WHERE tenant = ?")?
            .query_row([t], |r| r.get(0))?,
        None => conn
            .prepare_cached("SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM server_settings WHERE key = ?), 0)")?
            .query_row([PRUNED_THROUGH], |r| r.get(0))?,
    })
}
