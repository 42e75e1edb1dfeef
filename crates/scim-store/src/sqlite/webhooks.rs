//! Webhook endpoints and deliveries on SQLite (issue 12): the SQL of
//! [`crate::webhooks`]. Fan-out, claims and outcomes each run in one write
//! of the group-commit writer, so a batch of deliveries costs one commit.
//!
//! Order per endpoint and resource: a pending delivery is claimable only
//! when no earlier pending delivery (lower id) of the same endpoint, tenant
//! and resource exists (`webhook_deliveries_line`), so there are never two
//! in flight for one resource, and a failing one holds back only its
//! resource's later events; a dead-lettered one no longer does.

use rusqlite::{Connection, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, opt_from_ms, to_json, to_ms};
use super::sql::all;
use crate::webhooks::{
    Attempt, ClaimedDelivery, DeliveryBacklog, DeliveryOutcome, DeliveryQuery, DeliveryRecord, DeliveryState,
    MAX_REPLAY, NewWebhook, Next, ReplayRange, Selection, Webhook, WebhookChange, WebhookFormat,
};
use crate::{EventRecord, EventType, Result, StoreError};

const COLUMNS: &str = "id, url, tenants, types, format, description, audience, subject_format, authorization, \
     secret, previous_secret, previous_secret_until, max_in_flight, enabled, disabled_reason, disabled_at, \
     failing_since, cursor, created, updated";

fn types_to_json(types: &Selection<EventType>) -> Result<String> {
    let names: Selection<&str> = match types {
        Selection::All(m) => Selection::All(*m),
        Selection::Only(ts) => Selection::Only(ts.iter().map(|t| t.as_str()).collect()),
    };
    to_json(&names)
}

fn types_from_json(text: &str) -> Result<Selection<EventType>> {
    let names: Selection<String> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("webhook types do not parse: {e}")))?;
    Ok(match names {
        Selection::All(m) => Selection::All(m),
        Selection::Only(ns) => Selection::Only(
            ns.iter()
                .map(|n| EventType::parse(n).ok_or_else(|| StoreError::Corrupt(format!("unknown event type {n:?}"))))
                .collect::<Result<_>>()?,
        ),
    })
}

fn webhook_from_row(row: &Row<'_>) -> Result<Webhook> {
    let tenants: String = row.get("tenants")?;
    let types: String = row.get("types")?;
    let format: String = row.get("format")?;
    Ok(Webhook {
        id: row.get("id")?,
        url: row.get("url")?,
        tenants: serde_json::from_str(&tenants)
            .map_err(|e| StoreError::Corrupt(format!("webhook tenants do not parse: {e}")))?,
        types: types_from_json(&types)?,
        format: WebhookFormat::parse(&format)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown webhook format {format:?}")))?,
        description: row.get("description")?,
        audience: row.get("audience")?,
        subject_format: row.get("subject_format")?,
        authorization_sealed: row.get("authorization")?,
        secret_sealed: row.get("secret")?,
        previous_secret_sealed: row.get("previous_secret")?,
        previous_secret_until: opt_from_ms(row.get("previous_secret_until")?),
        max_in_flight: row.get("max_in_flight")?,
        enabled: row.get("enabled")?,
        disabled_reason: row.get("disabled_reason")?,
        disabled_at: opt_from_ms(row.get("disabled_at")?),
        failing_since: opt_from_ms(row.get("failing_since")?),
        cursor: row.get("cursor")?,
        created: from_ms(row.get("created")?),
        updated: from_ms(row.get("updated")?),
    })
}

fn get(c: &Connection, id: Uuid) -> Result<Option<Webhook>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => Ok(Some(webhook_from_row(row)?)),
        None => Ok(None),
    }
}

fn list(c: &Connection) -> Result<Vec<Webhook>> {
    all(c, &format!("SELECT {COLUMNS} FROM webhook_endpoints ORDER BY created, id"), [], webhook_from_row)
}

/// The event a delivery carries, read with its tenant's slug.
fn event_at(c: &Connection, position: i64) -> Result<Option<EventRecord>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {} FROM events e LEFT JOIN tenants t ON t.id = e.tenant WHERE e.position = ?",
        super::events::COLUMNS
    ))?;
    let mut rows = stmt.query([position])?;
    match rows.next()? {
        Some(row) => Ok(Some(super::events::record_from_row(row)?)),
        None => Ok(None),
    }
}

/// Events read per endpoint in one fan-out.
const FAN_OUT_BATCH: i64 = 2_000;

/// Queues, for every enabled endpoint, the events committed after its
/// cursor that it selects, and moves the cursor past what was read; how
/// many deliveries were queued.
fn fan_out(c: &Connection, at: OffsetDateTime) -> Result<u64> {
    let mut queued = 0;
    for w in list(c)?.into_iter().filter(|w| w.enabled) {
        let rows: Vec<(i64, Uuid, String, Uuid)> = all(
            c,
            "SELECT position, tenant, event_type, resource_id FROM events \
             WHERE position > ? AND event_type <> 'erased' ORDER BY position LIMIT ?",
            params![w.cursor, FAN_OUT_BATCH],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let Some(last) = rows.last().map(|r| r.0) else { continue };
        let mut insert = c.prepare_cached(
            "INSERT INTO webhook_deliveries (endpoint, event_position, tenant, resource_id, state, next_attempt_at, \
             created) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
        )?;
        for (position, tenant, event_type, resource) in rows {
            let selected = EventType::parse(&event_type).is_some_and(|t| w.selects(tenant, t));
            if selected {
                insert.execute(params![w.id, position, tenant, resource, to_ms(at), to_ms(at)])?;
                queued += 1;
            }
        }
        c.prepare_cached("UPDATE webhook_endpoints SET cursor = ? WHERE id = ?")?.execute(params![last, w.id])?;
    }
    Ok(queued)
}

/// Claims up to `slots` due deliveries of `endpoint` that are first in
/// line for their resource, leasing them until `lease_until`.
fn claim(
    c: &Connection,
    endpoint: Uuid,
    slots: u32,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<Vec<ClaimedDelivery>> {
    let now_ms = to_ms(now);
    let picked: Vec<(i64, u32, i64)> = all(
        c,
        "SELECT d.id, d.attempts, d.event_position FROM webhook_deliveries d \
         WHERE d.endpoint = ?1 AND d.state = 'pending' AND d.next_attempt_at <= ?2 \
           AND (d.lease_until IS NULL OR d.lease_until < ?2) \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint = d.endpoint \
               AND e.tenant = d.tenant AND e.resource_id = d.resource_id AND e.state = 'pending' AND e.id < d.id) \
         ORDER BY d.id LIMIT ?3",
        params![endpoint, now_ms, i64::from(slots)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut lease = c.prepare_cached("UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?")?;
    let mut out = Vec::with_capacity(picked.len());
    for (id, attempts, position) in picked {
        lease.execute(params![to_ms(lease_until), id])?;
        out.push(ClaimedDelivery { id, endpoint, attempts, event: event_at(c, position)? });
    }
    Ok(out)
}

fn finish(c: &Connection, outcomes: &[DeliveryOutcome]) -> Result<()> {
    let mut attempt = c.prepare_cached(
        "INSERT INTO webhook_attempts (delivery, at, status, latency_ms, response, error) VALUES (?, ?, ?, ?, ?, ?)",
    )?;
    let mut update = c.prepare_cached(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_until = NULL, last_status = ?, \
         last_error = ?, state = ?, next_attempt_at = COALESCE(?, next_attempt_at), finished_at = ? WHERE id = ?",
    )?;
    for o in outcomes {
        let a = &o.attempt;
        let at = to_ms(a.at);
        let latency = i64::try_from(a.latency_ms).unwrap_or(i64::MAX);
        attempt.execute(params![o.delivery, at, a.status, latency, a.response, a.error])?;
        let (state, next, finished) = match o.next {
            Next::Delivered => (DeliveryState::Delivered, None, Some(at)),
            Next::RetryAt(t) => (DeliveryState::Pending, Some(to_ms(t)), None),
            Next::Dead => (DeliveryState::Dead, None, Some(at)),
        };
        update.execute(params![a.status, a.error, state.as_str(), next, finished, o.delivery])?;
        match o.next {
            Next::Delivered => {
                c.prepare_cached(
                    "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL",
                )?
                .execute([o.endpoint])?;
            }
            _ => {
                c.prepare_cached(
                    "UPDATE webhook_endpoints SET failing_since = ?2 WHERE id = ?1 AND failing_since IS NULL",
                )?
                .execute(params![o.endpoint, at])?;
            }
        }
    }
    Ok(())
}

fn update(c: &Connection, id: Uuid, change: WebhookChange, at: OffsetDateTime) -> Result<Webhook> {
    let mut w = get(c, id)?.ok_or(StoreError::NotFound)?;
    if let Some(url) = change.url {
        w.url = url;
    }
    if let Some(t) = change.tenants {
        w.tenants = t;
    }
    if let Some(t) = change.types {
        w.types = t;
    }
    if let Some(d) = change.description {
        w.description = d;
    }
    if let Some(a) = change.audience {
        w.audience = a;
    }
    if let Some(s) = change.subject_format {
        w.subject_format = s;
    }
    if let Some(a) = change.authorization_sealed {
        w.authorization_sealed = a;
    }
    if let Some(m) = change.max_in_flight {
        w.max_in_flight = m;
    }
    match change.enabled {
        Some(true) => {
            w.enabled = true;
            w.disabled_reason = None;
            w.disabled_at = None;
            w.failing_since = None;
        }
        Some(false) if w.enabled => {
            w.enabled = false;
            w.disabled_reason = change.disabled_reason.or_else(|| Some("disabled by an operator".into()));
            w.disabled_at = Some(at);
        }
        _ => {}
    }
    if let Some((secret, until)) = change.rotate_secret {
        w.previous_secret_sealed = Some(std::mem::replace(&mut w.secret_sealed, secret));
        w.previous_secret_until = Some(until);
    }
    w.updated = at;
    c.prepare_cached(
        "UPDATE webhook_endpoints SET url = ?, tenants = ?, types = ?, description = ?, audience = ?, \
         subject_format = ?, authorization = ?, secret = ?, previous_secret = ?, previous_secret_until = ?, \
         max_in_flight = ?, enabled = ?, disabled_reason = ?, disabled_at = ?, failing_since = ?, updated = ? \
         WHERE id = ?",
    )?
    .execute(params![
        w.url,
        to_json(&w.tenants)?,
        types_to_json(&w.types)?,
        w.description,
        w.audience,
        w.subject_format,
        w.authorization_sealed,
        w.secret_sealed,
        w.previous_secret_sealed,
        w.previous_secret_until.map(to_ms),
        w.max_in_flight,
        w.enabled,
        w.disabled_reason,
        w.disabled_at.map(to_ms),
        w.failing_since.map(to_ms),
        to_ms(at),
        id
    ])?;
    Ok(w)
}

fn attempt_from_row(r: &Row<'_>) -> Result<Attempt> {
    let latency: i64 = r.get("latency_ms")?;
    Ok(Attempt {
        at: from_ms(r.get("at")?),
        status: r.get("status")?,
        latency_ms: u64::try_from(latency).unwrap_or(0),
        response: r.get("response")?,
        error: r.get("error")?,
    })
}

/// Attempts listed per delivery at most (the newest).
const LISTED_ATTEMPTS: i64 = 20;

fn deliveries(c: &Connection, endpoint: Uuid, q: &DeliveryQuery) -> Result<Vec<DeliveryRecord>> {
    let state = q.state.map(DeliveryState::as_str);
    let mut out = all(
        c,
        "SELECT d.id, d.endpoint, d.tenant, d.resource_id, d.state, d.attempts, d.next_attempt_at, d.last_status, \
         d.last_error, d.created, d.finished_at, d.replay, e.id AS event_id, e.event_type, e.seq \
         FROM webhook_deliveries d LEFT JOIN events e ON e.position = d.event_position \
         WHERE d.endpoint = ?1 AND (?2 IS NULL OR d.state = ?2) AND (?3 IS NULL OR d.id < ?3) \
         ORDER BY d.id DESC LIMIT ?4",
        params![endpoint, state, q.before, i64::from(q.limit)],
        |r| {
            let st: String = r.get("state")?;
            let et: Option<String> = r.get("event_type")?;
            let pending = st == "pending";
            Ok(DeliveryRecord {
                id: r.get("id")?,
                endpoint: r.get("endpoint")?,
                event_id: r.get("event_id")?,
                event_type: et.as_deref().and_then(EventType::parse),
                tenant: r.get("tenant")?,
                sequence: r.get("seq")?,
                resource_id: r.get("resource_id")?,
                state: DeliveryState::parse(&st)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery state {st:?}")))?,
                attempts: r.get("attempts")?,
                next_attempt_at: if pending { Some(from_ms(r.get("next_attempt_at")?)) } else { None },
                last_status: r.get("last_status")?,
                last_error: r.get("last_error")?,
                created: from_ms(r.get("created")?),
                finished_at: opt_from_ms(r.get("finished_at")?),
                replay: r.get("replay")?,
                attempt_log: Vec::new(),
            })
        },
    )?;
    for d in &mut out {
        let mut log = all(
            c,
            "SELECT at, status, latency_ms, response, error FROM webhook_attempts WHERE delivery = ? \
             ORDER BY id DESC LIMIT ?",
            params![d.id, LISTED_ATTEMPTS],
            attempt_from_row,
        )?;
        log.reverse();
        d.attempt_log = log;
    }
    Ok(out)
}

fn replay(c: &Connection, w: &Webhook, range: &ReplayRange, at: OffsetDateTime) -> Result<u64> {
    let limit = i64::from(MAX_REPLAY) + 1;
    let rows: Vec<(i64, Uuid, String, Uuid)> = match range {
        ReplayRange::Sequences { tenant, from, to } => all(
            c,
            "SELECT position, tenant, event_type, resource_id FROM events \
             WHERE tenant = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?",
            params![tenant, from, to, limit],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?,
        ReplayRange::Time { since, until } => all(
            c,
            "SELECT position, tenant, event_type, resource_id FROM events \
             WHERE at >= ? AND at < ? AND event_type <> 'erased' ORDER BY position LIMIT ?",
            params![to_ms(*since), to_ms(*until), limit],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?,
    };
    if rows.len() > MAX_REPLAY as usize {
        return Err(StoreError::Scim(scim_core::ScimError::new(
            400,
            Some(scim_core::ScimType::InvalidValue),
            format!("the range holds more than {MAX_REPLAY} events; replay it in smaller ranges"),
        )));
    }
    let mut insert = c.prepare_cached(
        "INSERT INTO webhook_deliveries (endpoint, event_position, tenant, resource_id, state, next_attempt_at, \
         created, replay) VALUES (?, ?, ?, ?, 'pending', ?, ?, 1)",
    )?;
    let mut queued = 0;
    for (position, tenant, event_type, resource) in rows {
        if EventType::parse(&event_type).is_some_and(|t| w.selects(tenant, t)) {
            insert.execute(params![w.id, position, tenant, resource, to_ms(at), to_ms(at)])?;
            queued += 1;
        }
    }
    Ok(queued)
}

impl SqliteStore {
    pub(crate) async fn create_webhook_impl(&self, new: NewWebhook) -> Result<Webhook> {
        let at = super::convert::now();
        let id = new.id;
        self.write(move |c| {
            // From now on: the events already committed are not sent (a
            // replay sends them).
            let cursor: i64 =
                c.prepare_cached("SELECT COALESCE(max(position), 0) FROM events")?.query_row([], |r| r.get(0))?;
            c.prepare_cached(
                "INSERT INTO webhook_endpoints (id, url, tenants, types, format, description, audience, \
                 subject_format, authorization, secret, max_in_flight, cursor, created, updated) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                new.id,
                new.url,
                to_json(&new.tenants)?,
                types_to_json(&new.types)?,
                new.format.as_str(),
                new.description,
                new.audience,
                new.subject_format,
                new.authorization_sealed,
                new.secret_sealed,
                new.max_in_flight,
                cursor,
                to_ms(at),
                to_ms(at)
            ])?;
            get(c, id)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    pub(crate) fn webhooks_impl(&self) -> Result<Vec<Webhook>> {
        self.read_fresh(list)
    }

    pub(crate) fn webhook_impl(&self, id: Uuid) -> Result<Option<Webhook>> {
        self.read_fresh(|c| get(c, id))
    }

    pub(crate) async fn update_webhook_impl(&self, id: Uuid, change: WebhookChange) -> Result<Webhook> {
        let at = super::convert::now();
        self.write(move |c| update(c, id, change, at)).await
    }

    pub(crate) async fn delete_webhook_impl(&self, id: Uuid) -> Result<()> {
        self.write(move |c| {
            // The attempts go with their deliveries, the deliveries with
            // their endpoint (ON DELETE CASCADE).
            let n = c.prepare_cached("DELETE FROM webhook_endpoints WHERE id = ?")?.execute([id])?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    pub(crate) async fn fan_out_webhooks_impl(&self) -> Result<u64> {
        // A read first: most calls find nothing new (no endpoint, or every
        // cursor at the newest event), and a write would take the writer
        // from SCIM requests for nothing.
        let behind = self.read_fresh(|c| {
            Ok(c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled = 1 \
                 AND cursor < (SELECT COALESCE(max(position), 0) FROM events))",
            )?
            .query_row([], |r| r.get::<_, bool>(0))?)
        })?;
        if !behind {
            return Ok(0);
        }
        let at = super::convert::now();
        self.write(move |c| fan_out(c, at)).await
    }

    pub(crate) async fn claim_deliveries_impl(
        &self,
        slots: Vec<(Uuid, u32)>,
        lease: std::time::Duration,
    ) -> Result<Vec<ClaimedDelivery>> {
        let now = super::convert::now();
        let lease_until = now + lease;
        self.write(move |c| {
            let mut out = Vec::new();
            for (endpoint, n) in slots {
                if n > 0 {
                    out.extend(claim(c, endpoint, n, now, lease_until)?);
                }
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn finish_deliveries_impl(&self, outcomes: Vec<DeliveryOutcome>) -> Result<()> {
        self.write(move |c| finish(c, &outcomes)).await
    }

    pub(crate) async fn release_delivery_leases_impl(&self) -> Result<u64> {
        self.write(|c| {
            Ok(c.prepare_cached("UPDATE webhook_deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL")?
                .execute([])? as u64)
        })
        .await
    }

    pub(crate) async fn webhook_deliveries_impl(
        &self,
        endpoint: Uuid,
        q: DeliveryQuery,
    ) -> Result<Vec<DeliveryRecord>> {
        self.scan(Uuid::nil(), move |c| deliveries(c, endpoint, &q)).await
    }

    pub(crate) async fn replay_webhook_impl(&self, endpoint: Uuid, range: ReplayRange) -> Result<u64> {
        let at = super::convert::now();
        self.write(move |c| {
            let w = get(c, endpoint)?.ok_or(StoreError::NotFound)?;
            replay(c, &w, &range, at)
        })
        .await
    }

    pub(crate) fn delivery_backlog_impl(&self) -> Result<DeliveryBacklog> {
        self.read_fresh(|c| {
            let (pending, oldest): (i64, Option<i64>) = c
                .prepare_cached("SELECT count(*), min(created) FROM webhook_deliveries WHERE state = 'pending'")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let disabled: i64 = c
                .prepare_cached("SELECT count(*) FROM webhook_endpoints WHERE enabled = 0")?
                .query_row([], |r| r.get(0))?;
            Ok(DeliveryBacklog {
                pending: u64::try_from(pending).unwrap_or(0),
                oldest_pending: opt_from_ms(oldest),
                disabled_endpoints: u64::try_from(disabled).unwrap_or(0),
            })
        })
    }
}
