//! The transactional outbox on PostgreSQL (DESIGN §7): the events a change
//! emits (chosen by [`crate::events`]) are inserted in the change's own
//! transaction, without numbers; `sequencer.rs` numbers them once
//! committed (its module comment says why). Readers see numbered events
//! only, and catch the sequencer up first so that a writer reads its own
//! events at once.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_ms, get, to_ms};
use super::sql::{all, exec, one, opt};
use crate::events::NewEvent;
use crate::{EventRecord, EventType, Result, StoreError};

/// Appends `events` for `tenant`, in order, at `at`, unnumbered.
pub(crate) async fn insert(
    c: &impl GenericClient,
    tenant: Uuid,
    at: time::OffsetDateTime,
    actor: &serde_json::Value,
    events: Vec<NewEvent>,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let resources: Vec<Uuid> = events.iter().map(|e| e.resource_id).collect();
    let data: Vec<&serde_json::Value> = events.iter().map(|e| &e.data).collect();
    // One statement; `written` follows the order of the rows.
    exec(
        c,
        "INSERT INTO events (tenant, id, event_type, resource_id, at, actor, data) \
         SELECT $1, u.id, u.t, u.r, $2, $3, u.d \
         FROM unnest($4::uuid[], $5::text[], $6::uuid[], $7::jsonb[]) WITH ORDINALITY AS u(id, t, r, d, n) \
         ORDER BY u.n",
        &[&tenant, &to_ms(at), actor, &ids, &types, &resources, &data],
    )
    .await?;
    Ok(())
}

/// The select list of [`record_from_row`], with `FROM events e LEFT JOIN
/// tenants t ON t.id = e.tenant`.
pub(crate) const COLUMNS: &str = "e.position, e.tenant, e.seq, e.id, e.event_type, e.resource_id, e.at, e.actor, e.data, \
     t.slug AS tenant_slug";

pub(crate) fn record_from_row(row: &Row) -> Result<EventRecord> {
    let event_type: String = get(row, "event_type")?;
    let actor: Option<serde_json::Value> = get(row, "actor")?;
    Ok(EventRecord {
        id: get(row, "id")?,
        tenant: get(row, "tenant")?,
        tenant_slug: get(row, "tenant_slug")?,
        seq: get(row, "seq")?,
        position: get(row, "position")?,
        event_type: EventType::parse(&event_type)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown event type {event_type:?}")))?,
        resource_id: get(row, "resource_id")?,
        at: from_ms(get(row, "at")?),
        actor: actor.unwrap_or(serde_json::Value::Null),
        data: get(row, "data")?,
    })
}

/// The server setting holding the largest position retention deleted.
const PRUNED_THROUGH: &str = "events.pruned_through";

impl PgStore {
    pub(crate) async fn list_events_impl(&self, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.catch_up().await?;
        let c = self.conn().await?;
        let rows = all(
            &c,
            &format!(
                "SELECT {COLUMNS} FROM events e LEFT JOIN tenants t ON t.id = e.tenant \
                 WHERE e.tenant = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3"
            ),
            &[&tenant, &after, &i64::from(limit)],
        )
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// A tenant's newest `limit` numbered events, newest first.
    pub(crate) async fn latest_events_impl(&self, tenant: Uuid, limit: u32) -> Result<Vec<EventRecord>> {
        self.catch_up().await?;
        let c = self.conn().await?;
        let rows = all(
            &c,
            &format!(
                "SELECT {COLUMNS} FROM events e LEFT JOIN tenants t ON t.id = e.tenant \
                 WHERE e.tenant = $1 AND e.seq IS NOT NULL AND e.event_type <> 'erased' ORDER BY e.seq DESC LIMIT $2"
            ),
            &[&tenant, &i64::from(limit)],
        )
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    pub(crate) async fn list_all_events_impl(&self, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.catch_up().await?;
        let c = self.conn().await?;
        let rows = all(
            &c,
            &format!(
                "SELECT {COLUMNS} FROM events e LEFT JOIN tenants t ON t.id = e.tenant \
                 WHERE e.position > $1 ORDER BY e.position LIMIT $2"
            ),
            &[&after, &i64::from(limit)],
        )
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Deletes events written before `before`, among the `limit` oldest,
    /// keeping each tenant's newest (as on SQLite, so that a tenant's
    /// retained events stay a gapless run and its horizon is one below the
    /// oldest); the largest position deleted is recorded for the
    /// all-tenants feed's horizon.
    pub(crate) async fn prune_events_impl(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64> {
        let before = to_ms(before);
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let last: Option<i64> = get(
            &one(
                &tx,
                "SELECT max(position) FROM (SELECT position, at FROM events WHERE position IS NOT NULL \
                 ORDER BY position LIMIT $1) s WHERE at < $2",
                &[&i64::from(limit), &before],
            )
            .await?,
            "max",
        )?;
        let Some(last) = last else { return Ok(0) };
        let deleted = all(
            &tx,
            "DELETE FROM events e WHERE position <= $1 AND at < $2 \
             AND seq < (SELECT max(n.seq) FROM events n WHERE n.tenant = e.tenant) RETURNING position",
            &[&last, &before],
        )
        .await?;
        let through = deleted.iter().filter_map(|r| r.try_get::<_, i64>(0).ok()).max();
        if let Some(through) = through {
            exec(
                &tx,
                "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
                 SET value = greatest(server_settings.value::bigint, excluded.value::bigint)::text",
                &[&PRUNED_THROUGH, &through.to_string()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(deleted.len() as u64)
    }

    pub(crate) async fn event_horizon_impl(&self, tenant: Option<Uuid>) -> Result<i64> {
        let c = self.conn().await?;
        match tenant {
            Some(t) => {
                get(&one(&c, "SELECT COALESCE(min(seq), 1) - 1 AS h FROM events WHERE tenant = $1", &[&t]).await?, "h")
            }
            None => match opt(&c, "SELECT value::bigint AS h FROM server_settings WHERE key = $1", &[&PRUNED_THROUGH])
                .await?
            {
                Some(row) => get(&row, "h"),
                None => Ok(0),
            },
        }
    }
}
