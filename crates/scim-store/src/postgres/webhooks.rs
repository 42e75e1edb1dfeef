//! Webhook endpoints and deliveries on PostgreSQL (issue 12): the SQL of
//! [`crate::webhooks`], with the rules of `sqlite/webhooks.rs`, for several
//! nodes delivering from one database.
//!
//! Order per endpoint and resource, as on SQLite: a pending delivery is
//! claimable only when no earlier pending delivery (lower id) of the same
//! endpoint, tenant and resource exists (`webhook_deliveries_line`), so
//! there are never two in flight for one resource, and a failing one holds
//! back only its resource's later events; a dead-lettered one no longer
//! does.
//!
//! What several nodes change:
//!
//! - **Claims** lock their candidates `FOR UPDATE SKIP LOCKED` and lease
//!   them in the same transaction: a delivery another node is claiming (or
//!   finishing) is skipped, and one it has claimed fails the lease test
//!   when rechecked on its committed row, so each delivery is claimed by
//!   one node at a time. A resource's next delivery stays behind its
//!   leased predecessor, which is still pending.
//! - **Fan-out and replay** lock the endpoint row while they queue its
//!   deliveries and move its cursor (fan-out skips an endpoint another node
//!   holds: that node is queuing its events). So an event is queued once
//!   per endpoint, and an endpoint's delivery ids follow commit order, as
//!   the line rule needs.
//! - **Releasing leases** at start-up releases only the expired ones:
//!   other nodes may be sending the rest.
//! - Lock order is endpoints, then deliveries by id (as deleting an
//!   endpoint cascades), so that finishing batches do not deadlock.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{at, from_jsonb, from_ms, get, now, opt_from_ms, to_jsonb, to_ms};
use super::sql::{Sql, all, exec, one, opt};
use crate::webhooks::{
    Attempt, ClaimedDelivery, DeliveryBacklog, DeliveryOutcome, DeliveryQuery, DeliveryRecord, DeliveryState,
    MAX_REPLAY, NewWebhook, Next, ReplayRange, Selection, Webhook, WebhookChange, WebhookFormat,
};
use crate::{EventRecord, EventType, Result, StoreError};

const COLUMNS: &str = "id, url, tenants, types, format, description, audience, subject_format, \"authorization\", \
     secret, previous_secret, previous_secret_until, max_in_flight, enabled, disabled_reason, disabled_at, \
     failing_since, cursor, created, updated";

fn types_to_jsonb(types: &Selection<EventType>) -> Result<serde_json::Value> {
    let names: Selection<&str> = match types {
        Selection::All(m) => Selection::All(*m),
        Selection::Only(ts) => Selection::Only(ts.iter().map(|t| t.as_str()).collect()),
    };
    to_jsonb(&names)
}

fn types_from_jsonb(v: serde_json::Value) -> Result<Selection<EventType>> {
    let names: Selection<String> = from_jsonb(v, "webhook types do not parse")?;
    Ok(match names {
        Selection::All(m) => Selection::All(m),
        Selection::Only(ns) => Selection::Only(
            ns.iter()
                .map(|n| EventType::parse(n).ok_or_else(|| StoreError::Corrupt(format!("unknown event type {n:?}"))))
                .collect::<Result<_>>()?,
        ),
    })
}

/// `max_in_flight` as stored (`integer`).
fn in_flight_to_sql(n: u32) -> Result<i32> {
    i32::try_from(n).map_err(|_| StoreError::Internal(format!("max_in_flight {n} is out of range")))
}

fn webhook_from_row(row: &Row) -> Result<Webhook> {
    let format: String = get(row, "format")?;
    let max_in_flight: i32 = get(row, "max_in_flight")?;
    Ok(Webhook {
        id: get(row, "id")?,
        url: get(row, "url")?,
        tenants: from_jsonb(get(row, "tenants")?, "webhook tenants do not parse")?,
        types: types_from_jsonb(get(row, "types")?)?,
        format: WebhookFormat::parse(&format)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown webhook format {format:?}")))?,
        description: get(row, "description")?,
        audience: get(row, "audience")?,
        subject_format: get(row, "subject_format")?,
        authorization_sealed: get(row, "authorization")?,
        secret_sealed: get(row, "secret")?,
        previous_secret_sealed: get(row, "previous_secret")?,
        previous_secret_until: opt_from_ms(get(row, "previous_secret_until")?),
        max_in_flight: u32::try_from(max_in_flight)
            .map_err(|_| StoreError::Corrupt(format!("webhook max_in_flight {max_in_flight}")))?,
        enabled: get(row, "enabled")?,
        disabled_reason: get(row, "disabled_reason")?,
        disabled_at: opt_from_ms(get(row, "disabled_at")?),
        failing_since: opt_from_ms(get(row, "failing_since")?),
        cursor: get(row, "cursor")?,
        created: from_ms(get(row, "created")?),
        updated: from_ms(get(row, "updated")?),
    })
}

async fn get_webhook(c: &impl GenericClient, id: Uuid) -> Result<Option<Webhook>> {
    opt(c, &format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1"), &[&id])
        .await?
        .as_ref()
        .map(webhook_from_row)
        .transpose()
}

/// The endpoint, its row locked until the transaction ends (waiting for
/// whoever holds it).
async fn lock_webhook(c: &impl GenericClient, id: Uuid) -> Result<Option<Webhook>> {
    opt(c, &format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1 FOR UPDATE"), &[&id])
        .await?
        .as_ref()
        .map(webhook_from_row)
        .transpose()
}

/// Events read per endpoint in one fan-out.
const FAN_OUT_BATCH: i64 = 2_000;

/// An event as fan-out and replay see it: position, tenant, type, resource.
type Candidate = (i64, Uuid, String, Uuid);

fn candidate(r: &Row) -> Result<Candidate> {
    Ok((at(r, 0)?, at(r, 1)?, at(r, 2)?, at(r, 3)?))
}

/// Queues, for endpoint `w`, the `events` it selects (in their order, so
/// that delivery ids follow it); how many.
async fn queue(
    c: &impl GenericClient,
    w: &Webhook,
    events: &[Candidate],
    at: OffsetDateTime,
    replay: bool,
) -> Result<u64> {
    let mut positions = Vec::new();
    let mut tenants = Vec::new();
    let mut resources = Vec::new();
    for (position, tenant, event_type, resource) in events {
        if EventType::parse(event_type).is_some_and(|t| w.selects(*tenant, t)) {
            positions.push(*position);
            tenants.push(*tenant);
            resources.push(*resource);
        }
    }
    if positions.is_empty() {
        return Ok(0);
    }
    exec(
        c,
        "INSERT INTO webhook_deliveries (endpoint, event_position, tenant, resource_id, state, next_attempt_at, \
         created, replay) \
         SELECT $1, u.p, u.t, u.r, 'pending', $2, $2, $3 \
         FROM unnest($4::bigint[], $5::uuid[], $6::uuid[]) WITH ORDINALITY AS u(p, t, r, n) ORDER BY u.n",
        &[&w.id, &to_ms(at), &replay, &positions, &tenants, &resources],
    )
    .await
}

/// Queues, for every enabled endpoint behind the newest event that no
/// other node is fanning out to, the events committed after its cursor
/// that it selects, and moves the cursor past what was read; how many
/// deliveries were queued.
async fn fan_out(c: &impl GenericClient, at: OffsetDateTime) -> Result<u64> {
    // Locked until commit; skipped when another node holds one (it is
    // queuing that endpoint's events). The row returned is the latest, so
    // its cursor is past what a node that just committed queued.
    let endpoints = all(
        c,
        &format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE enabled \
             AND cursor < (SELECT COALESCE(max(position), 0) FROM events) \
             ORDER BY created, id FOR UPDATE SKIP LOCKED"
        ),
        &[],
    )
    .await?;
    let mut queued = 0;
    for row in &endpoints {
        let w = webhook_from_row(row)?;
        let rows = all(
            c,
            "SELECT position, tenant, event_type, resource_id FROM events \
             WHERE position > $1 AND event_type <> 'erased' ORDER BY position LIMIT $2",
            &[&w.cursor, &FAN_OUT_BATCH],
        )
        .await?;
        let events = rows.iter().map(candidate).collect::<Result<Vec<_>>>()?;
        let Some(last) = events.last().map(|e| e.0) else { continue };
        queued += queue(c, &w, &events, at, false).await?;
        exec(c, "UPDATE webhook_endpoints SET cursor = $1 WHERE id = $2", &[&last, &w.id]).await?;
    }
    Ok(queued)
}

/// Claims up to `slots` due deliveries of `endpoint` that are first in
/// line for their resource and that no other node is claiming, leasing
/// them until `lease_until`: their ids, attempts and event positions.
async fn claim(
    c: &impl GenericClient,
    endpoint: Uuid,
    slots: u32,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<Vec<(i64, u32, i64)>> {
    let rows = all(
        c,
        "SELECT d.id, d.attempts, d.event_position FROM webhook_deliveries d \
         WHERE d.endpoint = $1 AND d.state = 'pending' AND d.next_attempt_at <= $2 \
           AND (d.lease_until IS NULL OR d.lease_until < $2) \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint = d.endpoint \
               AND e.tenant = d.tenant AND e.resource_id = d.resource_id AND e.state = 'pending' AND e.id < d.id) \
         ORDER BY d.id LIMIT $3 FOR UPDATE OF d SKIP LOCKED",
        &[&endpoint, &to_ms(now), &i64::from(slots)],
    )
    .await?;
    let mut picked = Vec::with_capacity(rows.len());
    for r in &rows {
        let attempts: i32 = at(r, 1)?;
        let attempts =
            u32::try_from(attempts).map_err(|_| StoreError::Corrupt(format!("delivery attempts {attempts}")))?;
        picked.push((at::<i64>(r, 0)?, attempts, at::<i64>(r, 2)?));
    }
    if !picked.is_empty() {
        let ids: Vec<i64> = picked.iter().map(|p| p.0).collect();
        exec(c, "UPDATE webhook_deliveries SET lease_until = $1 WHERE id = ANY($2)", &[&to_ms(lease_until), &ids])
            .await?;
    }
    Ok(picked)
}

/// The events at `positions`, read with their tenant's slug.
async fn events_at(c: &impl GenericClient, positions: &[i64]) -> Result<HashMap<i64, EventRecord>> {
    if positions.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = all(
        c,
        &format!(
            "SELECT {} FROM events e LEFT JOIN tenants t ON t.id = e.tenant WHERE e.position = ANY($1)",
            super::events::COLUMNS
        ),
        &[&positions],
    )
    .await?;
    rows.iter().map(|r| super::events::record_from_row(r).map(|e| (e.position, e))).collect()
}

/// What a batch's outcomes leave in a delivery's row (several outcomes of
/// one delivery apply in order, as one after the other would).
struct Finished {
    attempts: i32,
    status: Option<i32>,
    error: Option<String>,
    state: DeliveryState,
    next: Option<i64>,
    finished: Option<i64>,
}

/// What a batch's outcomes do to an endpoint's `failing_since`.
#[derive(Clone, Copy)]
enum Failing {
    /// A success last: the streak ends.
    Clear,
    /// Failures only: failing since the first, unless already failing.
    SinceIfNot(i64),
    /// Failures after the last success: failing since the first of them.
    Since(i64),
}

fn finish_plan(outcomes: &[DeliveryOutcome]) -> (BTreeMap<Uuid, Failing>, BTreeMap<i64, Finished>) {
    let mut endpoints: BTreeMap<Uuid, Failing> = BTreeMap::new();
    let mut deliveries: BTreeMap<i64, Finished> = BTreeMap::new();
    for o in outcomes {
        let a = &o.attempt;
        let at = to_ms(a.at);
        let (state, next, finished) = match o.next {
            Next::Delivered => (DeliveryState::Delivered, None, Some(at)),
            Next::RetryAt(t) => (DeliveryState::Pending, Some(to_ms(t)), None),
            Next::Dead => (DeliveryState::Dead, None, Some(at)),
        };
        let status = a.status.map(i32::from);
        match deliveries.get_mut(&o.delivery) {
            Some(d) => {
                d.attempts += 1;
                d.status = status;
                d.error.clone_from(&a.error);
                d.state = state;
                d.next = next.or(d.next);
                d.finished = finished;
            }
            None => {
                deliveries.insert(
                    o.delivery,
                    Finished { attempts: 1, status, error: a.error.clone(), state, next, finished },
                );
            }
        }
        let failing = match (&o.next, endpoints.get(&o.endpoint).copied()) {
            (Next::Delivered, _) => Failing::Clear,
            (_, None) => Failing::SinceIfNot(at),
            (_, Some(Failing::Clear)) => Failing::Since(at),
            (_, Some(f)) => f,
        };
        endpoints.insert(o.endpoint, failing);
    }
    (endpoints, deliveries)
}

/// Records the attempts and what follows them. A delivery that is gone
/// (its endpoint deleted or its tenant erased meanwhile, perhaps by another
/// node) is skipped.
async fn finish(c: &impl GenericClient, outcomes: &[DeliveryOutcome]) -> Result<()> {
    let (endpoints, deliveries) = finish_plan(outcomes);
    // Endpoints first, in id order; then the deliveries, in id order.
    for (endpoint, failing) in endpoints {
        match failing {
            Failing::Clear => {
                exec(
                    c,
                    "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
                    &[&endpoint],
                )
                .await?
            }
            Failing::SinceIfNot(at) => {
                exec(
                    c,
                    "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL",
                    &[&endpoint, &at],
                )
                .await?
            }
            Failing::Since(at) => {
                exec(
                    c,
                    "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 \
                     AND failing_since IS DISTINCT FROM $2",
                    &[&endpoint, &at],
                )
                .await?
            }
        };
    }
    let ids: Vec<i64> = deliveries.keys().copied().collect();
    exec(c, "SELECT id FROM webhook_deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE", &[&ids]).await?;
    let mut counts = Vec::with_capacity(ids.len());
    let mut statuses = Vec::with_capacity(ids.len());
    let mut errors = Vec::with_capacity(ids.len());
    let mut states = Vec::with_capacity(ids.len());
    let mut nexts = Vec::with_capacity(ids.len());
    let mut finisheds = Vec::with_capacity(ids.len());
    for d in deliveries.into_values() {
        counts.push(d.attempts);
        statuses.push(d.status);
        errors.push(d.error);
        states.push(d.state.as_str());
        nexts.push(d.next);
        finisheds.push(d.finished);
    }
    exec(
        c,
        "UPDATE webhook_deliveries d SET attempts = d.attempts + u.n, lease_until = NULL, last_status = u.status, \
         last_error = u.error, state = u.state, next_attempt_at = COALESCE(u.next, d.next_attempt_at), \
         finished_at = u.finished \
         FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::text[], $5::text[], $6::bigint[], \
              $7::bigint[]) AS u(id, n, status, error, state, next, finished) \
         WHERE d.id = u.id",
        &[&ids, &counts, &statuses, &errors, &states, &nexts, &finisheds],
    )
    .await?;
    let delivery: Vec<i64> = outcomes.iter().map(|o| o.delivery).collect();
    let at: Vec<i64> = outcomes.iter().map(|o| to_ms(o.attempt.at)).collect();
    let status: Vec<Option<i32>> = outcomes.iter().map(|o| o.attempt.status.map(i32::from)).collect();
    let latency: Vec<i64> = outcomes.iter().map(|o| i64::try_from(o.attempt.latency_ms).unwrap_or(i64::MAX)).collect();
    let response: Vec<Option<&str>> = outcomes.iter().map(|o| o.attempt.response.as_deref()).collect();
    let error: Vec<Option<&str>> = outcomes.iter().map(|o| o.attempt.error.as_deref()).collect();
    exec(
        c,
        "INSERT INTO webhook_attempts (delivery, at, status, latency_ms, response, error) \
         SELECT u.delivery, u.at, u.status, u.latency, u.response, u.error \
         FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::bigint[], $5::text[], $6::text[]) \
              WITH ORDINALITY AS u(delivery, at, status, latency, response, error, n) \
         WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = u.delivery) ORDER BY u.n",
        &[&delivery, &at, &status, &latency, &response, &error],
    )
    .await?;
    Ok(())
}

fn apply(w: &mut Webhook, change: WebhookChange, at: OffsetDateTime) {
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
}

async fn update(c: &impl GenericClient, id: Uuid, change: WebhookChange, at: OffsetDateTime) -> Result<Webhook> {
    let mut w = lock_webhook(c, id).await?.ok_or(StoreError::NotFound)?;
    apply(&mut w, change, at);
    exec(
        c,
        "UPDATE webhook_endpoints SET url = $1, tenants = $2, types = $3, description = $4, audience = $5, \
         subject_format = $6, \"authorization\" = $7, secret = $8, previous_secret = $9, \
         previous_secret_until = $10, max_in_flight = $11, enabled = $12, disabled_reason = $13, \
         disabled_at = $14, failing_since = $15, updated = $16 WHERE id = $17",
        &[
            &w.url,
            &to_jsonb(&w.tenants)?,
            &types_to_jsonb(&w.types)?,
            &w.description,
            &w.audience,
            &w.subject_format,
            &w.authorization_sealed,
            &w.secret_sealed,
            &w.previous_secret_sealed,
            &w.previous_secret_until.map(to_ms),
            &in_flight_to_sql(w.max_in_flight)?,
            &w.enabled,
            &w.disabled_reason,
            &w.disabled_at.map(to_ms),
            &w.failing_since.map(to_ms),
            &to_ms(at),
            &id,
        ],
    )
    .await?;
    Ok(w)
}

fn attempt_from_row(r: &Row) -> Result<Attempt> {
    let latency: i64 = get(r, "latency_ms")?;
    Ok(Attempt {
        at: from_ms(get(r, "at")?),
        status: status_from_sql(get(r, "status")?)?,
        latency_ms: u64::try_from(latency).unwrap_or(0),
        response: get(r, "response")?,
        error: get(r, "error")?,
    })
}

fn status_from_sql(status: Option<i32>) -> Result<Option<u16>> {
    status.map(|s| u16::try_from(s).map_err(|_| StoreError::Corrupt(format!("delivery status {s}")))).transpose()
}

/// Attempts listed per delivery at most (the newest).
const LISTED_ATTEMPTS: i64 = 20;

fn delivery_from_row(r: &Row) -> Result<DeliveryRecord> {
    let st: String = get(r, "state")?;
    let et: Option<String> = get(r, "event_type")?;
    let attempts: i32 = get(r, "attempts")?;
    let state =
        DeliveryState::parse(&st).ok_or_else(|| StoreError::Corrupt(format!("unknown delivery state {st:?}")))?;
    Ok(DeliveryRecord {
        id: get(r, "id")?,
        endpoint: get(r, "endpoint")?,
        event_id: get(r, "event_id")?,
        event_type: et.as_deref().and_then(EventType::parse),
        tenant: get(r, "tenant")?,
        sequence: get(r, "seq")?,
        resource_id: get(r, "resource_id")?,
        state,
        attempts: u32::try_from(attempts).map_err(|_| StoreError::Corrupt(format!("delivery attempts {attempts}")))?,
        next_attempt_at: if state == DeliveryState::Pending { Some(from_ms(get(r, "next_attempt_at")?)) } else { None },
        last_status: status_from_sql(get(r, "last_status")?)?,
        last_error: get(r, "last_error")?,
        created: from_ms(get(r, "created")?),
        finished_at: opt_from_ms(get(r, "finished_at")?),
        replay: get(r, "replay")?,
        attempt_log: Vec::new(),
    })
}

async fn deliveries(c: &impl GenericClient, endpoint: Uuid, q: &DeliveryQuery) -> Result<Vec<DeliveryRecord>> {
    let mut sql = Sql::new(
        "SELECT d.id, d.endpoint, d.tenant, d.resource_id, d.state, d.attempts, d.next_attempt_at, d.last_status, \
         d.last_error, d.created, d.finished_at, d.replay, e.id AS event_id, e.event_type, e.seq \
         FROM webhook_deliveries d LEFT JOIN events e ON e.position = d.event_position WHERE d.endpoint = ",
    );
    sql.bind_id(endpoint);
    if let Some(state) = q.state {
        sql.push(" AND d.state = ").bind_text(state.as_str().to_owned());
    }
    if let Some(before) = q.before {
        sql.push(" AND d.id < ").bind(before);
    }
    sql.push(" ORDER BY d.id DESC LIMIT ").bind(i64::from(q.limit));
    let mut out = sql.rows(c).await?.iter().map(delivery_from_row).collect::<Result<Vec<_>>>()?;
    if out.is_empty() {
        return Ok(out);
    }
    // Each one's newest attempts, in one statement.
    let ids: Vec<i64> = out.iter().map(|d| d.id).collect();
    let rows = all(
        c,
        "SELECT a.delivery, a.at, a.status, a.latency_ms, a.response, a.error \
         FROM unnest($1::bigint[]) AS d(id) CROSS JOIN LATERAL \
             (SELECT * FROM webhook_attempts w WHERE w.delivery = d.id ORDER BY w.id DESC LIMIT $2) a \
         ORDER BY a.delivery, a.id",
        &[&ids, &LISTED_ATTEMPTS],
    )
    .await?;
    let mut logs: HashMap<i64, Vec<Attempt>> = HashMap::new();
    for r in &rows {
        logs.entry(get(r, "delivery")?).or_default().push(attempt_from_row(r)?);
    }
    for d in &mut out {
        d.attempt_log = logs.remove(&d.id).unwrap_or_default();
    }
    Ok(out)
}

async fn replay(c: &impl GenericClient, w: &Webhook, range: &ReplayRange, at: OffsetDateTime) -> Result<u64> {
    let limit = i64::from(MAX_REPLAY) + 1;
    let rows = match range {
        ReplayRange::Sequences { tenant, from, to } => {
            all(
                c,
                "SELECT position, tenant, event_type, resource_id FROM events \
                 WHERE tenant = $1 AND seq >= $2 AND seq <= $3 AND position IS NOT NULL ORDER BY seq LIMIT $4",
                &[tenant, from, to, &limit],
            )
            .await?
        }
        ReplayRange::Time { since, until } => {
            all(
                c,
                "SELECT position, tenant, event_type, resource_id FROM events \
                 WHERE at >= $1 AND at < $2 AND event_type <> 'erased' AND position IS NOT NULL \
                 ORDER BY position LIMIT $3",
                &[&to_ms(*since), &to_ms(*until), &limit],
            )
            .await?
        }
    };
    if rows.len() > MAX_REPLAY as usize {
        return Err(StoreError::Scim(scim_core::ScimError::new(
            400,
            Some(scim_core::ScimType::InvalidValue),
            format!("the range holds more than {MAX_REPLAY} events; replay it in smaller ranges"),
        )));
    }
    let events = rows.iter().map(candidate).collect::<Result<Vec<_>>>()?;
    queue(c, w, &events, at, true).await
}

impl PgStore {
    pub(crate) async fn create_webhook_impl(&self, new: NewWebhook) -> Result<Webhook> {
        // From now on: the events already committed are not sent (a replay
        // sends them), numbered ones included.
        self.catch_up().await?;
        let at = now();
        let c = self.conn().await?;
        let row = one(
            &c,
            &format!(
                "INSERT INTO webhook_endpoints (id, url, tenants, types, format, description, audience, \
                 subject_format, \"authorization\", secret, max_in_flight, cursor, created, updated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 (SELECT COALESCE(max(position), 0) FROM events), $12, $12) RETURNING {COLUMNS}"
            ),
            &[
                &new.id,
                &new.url,
                &to_jsonb(&new.tenants)?,
                &types_to_jsonb(&new.types)?,
                &new.format.as_str(),
                &new.description,
                &new.audience,
                &new.subject_format,
                &new.authorization_sealed,
                &new.secret_sealed,
                &in_flight_to_sql(new.max_in_flight)?,
                &to_ms(at),
            ],
        )
        .await?;
        webhook_from_row(&row)
    }

    pub(crate) async fn webhooks_impl(&self) -> Result<Vec<Webhook>> {
        let c = self.conn().await?;
        all(&c, &format!("SELECT {COLUMNS} FROM webhook_endpoints ORDER BY created, id"), &[])
            .await?
            .iter()
            .map(webhook_from_row)
            .collect()
    }

    pub(crate) async fn webhook_impl(&self, id: Uuid) -> Result<Option<Webhook>> {
        let c = self.conn().await?;
        get_webhook(&c, id).await
    }

    pub(crate) async fn update_webhook_impl(&self, id: Uuid, change: WebhookChange) -> Result<Webhook> {
        let at = now();
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let w = update(&tx, id, change, at).await?;
        tx.commit().await?;
        Ok(w)
    }

    pub(crate) async fn delete_webhook_impl(&self, id: Uuid) -> Result<()> {
        let c = self.conn().await?;
        // The attempts go with their deliveries, the deliveries with their
        // endpoint (ON DELETE CASCADE).
        let n = exec(&c, "DELETE FROM webhook_endpoints WHERE id = $1", &[&id]).await?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub(crate) async fn fan_out_webhooks_impl(&self) -> Result<u64> {
        self.catch_up().await?;
        let mut c = self.conn().await?;
        // A read first: most calls find nothing new (no endpoint, or every
        // cursor at the newest event), and need no transaction nor locks.
        let behind: bool = at(
            &one(
                &c,
                "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled \
                 AND cursor < (SELECT COALESCE(max(position), 0) FROM events))",
                &[],
            )
            .await?,
            0,
        )?;
        if !behind {
            return Ok(0);
        }
        let at = now();
        let tx = c.transaction().await?;
        let queued = fan_out(&tx, at).await?;
        tx.commit().await?;
        Ok(queued)
    }

    pub(crate) async fn claim_deliveries_impl(
        &self,
        slots: Vec<(Uuid, u32)>,
        lease: std::time::Duration,
    ) -> Result<Vec<ClaimedDelivery>> {
        let now = now();
        let lease_until = now + lease;
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let mut picked = Vec::new();
        for (endpoint, n) in slots {
            if n > 0 {
                for (id, attempts, position) in claim(&tx, endpoint, n, now, lease_until).await? {
                    picked.push((id, endpoint, attempts, position));
                }
            }
        }
        tx.commit().await?;
        // Read once the leases are taken (an event gone meanwhile is `None`:
        // the delivery is dead-lettered).
        let positions: Vec<i64> = picked.iter().map(|p| p.3).collect();
        let events = events_at(&c, &positions).await?;
        // One event may be claimed more than once (a replay beside the
        // original, several endpoints): each gets its copy.
        Ok(picked
            .into_iter()
            .map(|(id, endpoint, attempts, position)| ClaimedDelivery {
                id,
                endpoint,
                attempts,
                event: events.get(&position).cloned(),
            })
            .collect())
    }

    pub(crate) async fn finish_deliveries_impl(&self, outcomes: Vec<DeliveryOutcome>) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        finish(&tx, &outcomes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Releases the leases that have ended. Unlike SQLite's, a starting
    /// node does not release the others: other nodes may be sending those
    /// deliveries now.
    pub(crate) async fn release_delivery_leases_impl(&self) -> Result<u64> {
        let c = self.conn().await?;
        exec(
            &c,
            "UPDATE webhook_deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL AND lease_until < $1",
            &[&to_ms(now())],
        )
        .await
    }

    pub(crate) async fn webhook_deliveries_impl(
        &self,
        endpoint: Uuid,
        q: DeliveryQuery,
    ) -> Result<Vec<DeliveryRecord>> {
        let c = self.conn().await?;
        deliveries(&c, endpoint, &q).await
    }

    pub(crate) async fn replay_webhook_impl(&self, endpoint: Uuid, range: ReplayRange) -> Result<u64> {
        self.catch_up().await?;
        let at = now();
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        // Locked: fan-out and other replays of the endpoint wait, so that
        // its deliveries' ids follow commit order.
        let w = lock_webhook(&tx, endpoint).await?.ok_or(StoreError::NotFound)?;
        let queued = replay(&tx, &w, &range, at).await?;
        tx.commit().await?;
        Ok(queued)
    }

    pub(crate) async fn delivery_backlog_impl(&self) -> Result<DeliveryBacklog> {
        let c = self.conn().await?;
        let row = one(
            &c,
            "SELECT (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending') AS pending, \
             (SELECT min(created) FROM webhook_deliveries WHERE state = 'pending') AS oldest, \
             (SELECT count(*) FROM webhook_endpoints WHERE NOT enabled) AS disabled",
            &[],
        )
        .await?;
        let pending: i64 = get(&row, "pending")?;
        let disabled: i64 = get(&row, "disabled")?;
        Ok(DeliveryBacklog {
            pending: u64::try_from(pending).unwrap_or(0),
            oldest_pending: opt_from_ms(get(&row, "oldest")?),
            disabled_endpoints: u64::try_from(disabled).unwrap_or(0),
        })
    }
}
