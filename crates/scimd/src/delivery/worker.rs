//! The delivery worker (issue 12, DESIGN §7): one task per server process
//! that queues each endpoint's new events (fan-out from the outbox), claims
//! the deliveries that are due and first in line for their resource, sends
//! each in a task of its own (at most the endpoint's `max_in_flight` at
//! once), and records every attempt with what follows: delivered, a retry
//! at the next step of the schedule, or a dead letter.
//!
//! It wakes when this process commits a write (a new event, a finished
//! attempt), when an attempt ends, and at least once a second (retries
//! come due; other processes' events). Claims hold a lease of
//! [`LEASE`]: a node that dies mid-delivery loses nothing, its deliveries
//! are claimed again when the lease ends (and at once on a SQLite node's
//! start, since it is the only node). At-least-once: a receiver may see an
//! event twice, with the same `webhook-id`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scim_store::EventRecord;
use scim_store::webhooks::{ClaimedDelivery, DeliveryOutcome, Next, Webhook, WebhookFormat};
use time::OffsetDateTime;
use tokio::sync::Notify;
use uuid::Uuid;

use super::backoff::{DISABLE_AFTER_FAILING, next_delay};
use super::send::{self, Sent, Verdict};
use super::set::{SubjectFormat, sets_for, sign_set};
use crate::ops::error::{OpError, OpResult};
use crate::ops::webhooks::EndpointSecrets;
use crate::state::AppState;

/// How long a claimed delivery is ours: past it, another node (or this
/// one) may claim it again. Twice the longest attempt.
pub const LEASE: Duration = Duration::from_secs(30);
/// The worker looks for due retries and other processes' events this often.
const TICK: Duration = Duration::from_secs(1);
/// `/metrics` gauges are refreshed this often.
const METRICS_EVERY: Duration = Duration::from_secs(5);

/// What woke the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// This process committed a change (perhaps an event).
    Commit,
    /// An attempt ended: a slot is free.
    Done,
    /// A second passed (retries come due; other processes' events).
    Tick,
}

struct Worker {
    state: AppState,
    egress: super::egress::Egress,
    /// Deliveries being sent, per endpoint.
    in_flight: Mutex<HashMap<Uuid, u32>>,
    /// An attempt ended: slots are free.
    done: Notify,
    /// Attempts ended but not yet recorded: the recorder writes all that
    /// wait in one write (one write per attempt cost a quarter of the
    /// delivery rate in `scripts/bench.sh`).
    finished: Mutex<Vec<DeliveryOutcome>>,
    /// Wakes the recorder.
    to_record: Notify,
    /// Endpoints' opened secrets, by id, while the endpoint is unchanged.
    secrets: Mutex<HashMap<Uuid, (OffsetDateTime, Arc<EndpointSecrets>)>>,
    /// Disabling is audited once per endpoint even when many attempts
    /// find the reason at once.
    disabling: tokio::sync::Mutex<()>,
}

/// Starts the worker on the server's runtime.
pub fn start(state: AppState) -> anyhow::Result<()> {
    let policy = state.ops.webhook_policy().clone();
    let egress = super::egress::Egress::new(policy.allow_private, policy.proxy.as_ref(), send::TIMEOUT)?;
    let worker = Arc::new(Worker {
        state,
        egress,
        in_flight: Mutex::default(),
        done: Notify::new(),
        finished: Mutex::default(),
        to_record: Notify::new(),
        secrets: Mutex::default(),
        disabling: tokio::sync::Mutex::new(()),
    });
    tokio::spawn(Arc::clone(&worker).record());
    tokio::spawn(worker.run());
    Ok(())
}

impl Worker {
    async fn run(self: Arc<Self>) {
        let ops = &self.state.ops;
        match ops.release_delivery_leases().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "released the leases of deliveries a previous run was sending"),
            Err(e) => tracing::warn!(error = %e, "could not release delivery leases"),
        }
        let mut commits = ops.commits();
        let mut metrics_at = Instant::now().checked_sub(METRICS_EVERY).unwrap_or_else(Instant::now);
        let mut woke = Wake::Tick;
        loop {
            commits.borrow_and_update();
            if let Err(e) = self.round(woke).await {
                tracing::warn!(error = %e, "a delivery round failed");
                tokio::time::sleep(TICK).await;
            }
            if metrics_at.elapsed() >= METRICS_EVERY {
                metrics_at = Instant::now();
                self.publish_metrics().await;
            }
            woke = tokio::select! {
                _ = commits.changed() => Wake::Commit,
                _ = self.done.notified() => Wake::Done,
                _ = tokio::time::sleep(TICK) => Wake::Tick,
            };
        }
    }

    /// Fans out, claims what the free slots allow, and starts sending.
    async fn round(self: &Arc<Self>, woke: Wake) -> OpResult<()> {
        let ops = &self.state.ops;
        let queued = ops.fan_out_webhooks().await?;
        // A commit that queued nothing (a SCIM write no endpoint selects,
        // an attempt recorded) brings nothing to claim: no claim write.
        // Finished attempts free slots; the tick brings retries due.
        if woke == Wake::Commit && queued == 0 {
            return Ok(());
        }
        let endpoints: HashMap<Uuid, Webhook> =
            ops.webhooks().await?.into_iter().filter(|w| w.enabled).map(|w| (w.id, w)).collect();
        let slots: Vec<(Uuid, u32)> = {
            let in_flight = self.in_flight.lock().map_err(OpError::internal)?;
            endpoints
                .values()
                .map(|w| (w.id, w.max_in_flight.saturating_sub(in_flight.get(&w.id).copied().unwrap_or(0))))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        if slots.is_empty() {
            return Ok(());
        }
        for d in ops.claim_deliveries(slots, LEASE).await? {
            let Some(w) = endpoints.get(&d.endpoint).cloned() else { continue };
            if let Ok(mut in_flight) = self.in_flight.lock() {
                *in_flight.entry(w.id).or_default() += 1;
            }
            tokio::spawn(Arc::clone(self).deliver(w, d));
        }
        Ok(())
    }

    /// One attempt of `d` to `w`, recorded.
    async fn deliver(self: Arc<Self>, w: Webhook, d: ClaimedDelivery) {
        let outcome = self.attempt(&w, &d).await;
        let verdict_label = match outcome.next {
            Next::Delivered => "delivered",
            Next::RetryAt(_) => "retry",
            Next::Dead => "dead",
        };
        metrics::counter!("scimd_webhook_attempts_total", "outcome" => verdict_label).increment(1);
        metrics::histogram!("scimd_webhook_attempt_seconds").record(outcome.attempt.latency_ms as f64 / 1000.0);
        if let Ok(mut finished) = self.finished.lock() {
            finished.push(outcome);
        }
        self.to_record.notify_one();
    }

    /// Records finished attempts, all that wait at once, then frees their
    /// slots. Until recorded a delivery keeps its lease, so it is not sent
    /// again, and its resource's next event waits behind it.
    async fn record(self: Arc<Self>) {
        loop {
            self.to_record.notified().await;
            let batch = match self.finished.lock() {
                Ok(mut f) => std::mem::take(&mut *f),
                Err(_) => continue,
            };
            if batch.is_empty() {
                continue;
            }
            let endpoints: Vec<Uuid> = batch.iter().map(|o| o.endpoint).collect();
            if let Err(e) = self.state.ops.finish_deliveries(batch).await {
                // Their leases end and they are sent again: at least once.
                tracing::warn!(error = %e, attempts = endpoints.len(), "could not record delivery attempts");
            }
            if let Ok(mut in_flight) = self.in_flight.lock() {
                for id in endpoints {
                    if let Some(n) = in_flight.get_mut(&id) {
                        *n = n.saturating_sub(1);
                    }
                }
            }
            self.done.notify_one();
        }
    }

    async fn attempt(&self, w: &Webhook, d: &ClaimedDelivery) -> DeliveryOutcome {
        let now = OffsetDateTime::now_utc();
        let sent = match &d.event {
            None => Sent {
                attempt: scim_store::webhooks::Attempt {
                    at: now,
                    status: None,
                    latency_ms: 0,
                    response: None,
                    error: Some("the event is no longer kept (retention or tenant erasure)".into()),
                },
                verdict: Verdict::Permanent("the event is no longer kept".into()),
            },
            Some(event) => match self.send(w, event).await {
                Ok(sent) => sent,
                Err(e) => Sent {
                    attempt: scim_store::webhooks::Attempt {
                        at: now,
                        status: None,
                        latency_ms: 0,
                        response: None,
                        error: Some(format!("not sent: {}", e.into_scim().detail)),
                    },
                    verdict: Verdict::Retry { retry_after: None },
                },
            },
        };
        let next = match &sent.verdict {
            Verdict::Delivered => Next::Delivered,
            Verdict::Permanent(_) => Next::Dead,
            // Held (pending, due now) until the endpoint is enabled again.
            Verdict::Gone => Next::RetryAt(now),
            Verdict::Retry { retry_after } => match next_delay(d.attempts + 1, *retry_after, &mut rand::rng()) {
                Some(delay) => Next::RetryAt(now + delay),
                None => Next::Dead,
            },
        };
        if sent.verdict == Verdict::Gone {
            self.disable(w.id, "the endpoint answered 410 Gone").await;
        } else if sent.verdict != Verdict::Delivered
            && w.failing_since.is_some_and(|since| now - since >= DISABLE_AFTER_FAILING)
        {
            self.disable(w.id, "every attempt failed for 5 days").await;
        }
        DeliveryOutcome { delivery: d.id, endpoint: w.id, attempt: sent.attempt, next }
    }

    /// Sends `event` to `w` in its format.
    async fn send(&self, w: &Webhook, event: &EventRecord) -> OpResult<Sent> {
        let secrets = self.secrets_of(w)?;
        match w.format {
            WebhookFormat::Json => {
                let body = serde_json::to_vec(&event.envelope()).map_err(OpError::internal)?;
                let mut keys = vec![&secrets.current];
                keys.extend(secrets.previous.as_ref());
                Ok(send::post_signed(&self.egress, &w.url, &keys, &event.id.to_string(), body).await)
            }
            WebhookFormat::Set => {
                let sets = self.signed_sets(w, event).await?;
                if sets.is_empty() {
                    // Nothing this format carries (types narrowed later).
                    return Ok(Sent {
                        attempt: scim_store::webhooks::Attempt {
                            at: OffsetDateTime::now_utc(),
                            status: None,
                            latency_ms: 0,
                            response: None,
                            error: None,
                        },
                        verdict: Verdict::Delivered,
                    });
                }
                Ok(send::push_sets(&self.egress, &w.url, secrets.authorization.as_deref(), &sets).await)
            }
        }
    }

    /// The event's Security Event Tokens, signed with scimd's current key.
    async fn signed_sets(&self, w: &Webhook, event: &EventRecord) -> OpResult<Vec<String>> {
        let ops = &self.state.ops;
        let ring = ops.key_ring().await?;
        let Some((kid, Ok(key))) = &ring.current else {
            return Err(OpError::internal("no signing key opens: Security Event Tokens cannot be signed"));
        };
        let subject = match w.subject_format.as_deref() {
            Some("email") => SubjectFormat::Email,
            _ => SubjectFormat::Opaque,
        };
        let audience = w.audience.clone().unwrap_or_else(|| w.url.clone());
        let issuer = crate::ops::oauth::issuer_of(ops.public_base());
        let iat = OffsetDateTime::now_utc().unix_timestamp();
        sets_for(&event.envelope(), &issuer, &audience, subject, iat)
            .into_iter()
            .map(|(_, claims)| sign_set(&claims, kid, key).map_err(OpError::internal))
            .collect()
    }

    /// `w`'s secrets, opened once per change of the endpoint.
    fn secrets_of(&self, w: &Webhook) -> OpResult<Arc<EndpointSecrets>> {
        let now = OffsetDateTime::now_utc();
        let mut cache = self.secrets.lock().map_err(OpError::internal)?;
        if let Some((updated, s)) = cache.get(&w.id)
            && *updated == w.updated
            && w.previous_secret_until.is_none_or(|until| until > now || s.previous.is_none())
        {
            return Ok(Arc::clone(s));
        }
        let s = Arc::new(self.state.ops.endpoint_secrets(w, now)?);
        cache.insert(w.id, (w.updated, Arc::clone(&s)));
        Ok(s)
    }

    async fn disable(&self, id: Uuid, reason: &str) {
        let _one_at_a_time = self.disabling.lock().await;
        match self.state.ops.webhook(id).await {
            Ok(w) if w.enabled => {
                tracing::warn!(webhook = %id, reason, "disabling a webhook endpoint");
                if let Err(e) = self.state.ops.disable_webhook(id, reason).await {
                    tracing::warn!(error = %e, "could not disable a webhook endpoint");
                }
            }
            _ => {}
        }
    }

    async fn publish_metrics(&self) {
        match self.state.ops.delivery_backlog().await {
            Ok(b) => {
                metrics::gauge!("scimd_webhook_backlog").set(b.pending as f64);
                let age = b.oldest_pending.map_or(0.0, |t| (OffsetDateTime::now_utc() - t).as_seconds_f64().max(0.0));
                metrics::gauge!("scimd_webhook_oldest_pending_seconds").set(age);
                metrics::gauge!("scimd_webhook_disabled_endpoints").set(b.disabled_endpoints as f64);
            }
            Err(e) => tracing::debug!(error = %e, "could not read the delivery backlog"),
        }
    }
}
