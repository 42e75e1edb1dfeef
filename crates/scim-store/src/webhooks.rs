//! Webhook endpoints and their deliveries as kept (issue 12, DESIGN §7):
//! what an endpoint receives (which tenants, which event types, in which
//! format), its sealed secrets, and each delivery's state. The rules that
//! every backend shares are here: which events an endpoint selects, and
//! what a delivery's outcome writes. How to send, sign, retry and back off
//! is the server's (`scimd::delivery`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::EventType;

/// All of something, or only these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Selection<T> {
    /// The text `"all"`.
    All(AllMarker),
    Only(Vec<T>),
}

/// The literal `"all"` of a [`Selection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllMarker {
    All,
}

impl<T: PartialEq> Selection<T> {
    pub fn all() -> Self {
        Selection::All(AllMarker::All)
    }

    pub fn contains(&self, x: &T) -> bool {
        match self {
            Selection::All(_) => true,
            Selection::Only(xs) => xs.contains(x),
        }
    }
}

/// What a delivery's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The event envelope as JSON, signed per the Standard Webhooks spec.
    Json,
    /// RFC 8417 Security Event Tokens pushed per RFC 8935.
    Set,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Set => "set",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "json" => Some(WebhookFormat::Json),
            "set" => Some(WebhookFormat::Set),
            _ => None,
        }
    }
}

/// An endpoint to register. The server has checked the URL, sealed the
/// secrets and narrowed `types` to what the format can carry.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub id: Uuid,
    pub url: String,
    pub tenants: Selection<Uuid>,
    pub types: Selection<EventType>,
    pub format: WebhookFormat,
    pub description: String,
    /// For SETs: the `aud` claim.
    pub audience: Option<String>,
    /// For SETs: `opaque` or `email`.
    pub subject_format: Option<String>,
    /// An `Authorization` header value to send, sealed.
    pub authorization_sealed: Option<String>,
    pub secret_sealed: String,
    pub max_in_flight: u32,
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub tenants: Selection<Uuid>,
    pub types: Selection<EventType>,
    pub format: WebhookFormat,
    pub description: String,
    pub audience: Option<String>,
    pub subject_format: Option<String>,
    pub authorization_sealed: Option<String>,
    pub secret_sealed: String,
    /// The secret the last rotation replaced, still signing until
    /// `previous_secret_until`.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<OffsetDateTime>,
    pub max_in_flight: u32,
    pub enabled: bool,
    /// Why it was disabled (by an operator, a `410 Gone`, or failing for
    /// days).
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<OffsetDateTime>,
    /// Since when every attempt has failed (none since a success).
    pub failing_since: Option<OffsetDateTime>,
    /// The global event position fanned out to it so far.
    pub cursor: i64,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

impl Webhook {
    /// Whether the endpoint receives `event_type` of `tenant`.
    pub fn selects(&self, tenant: Uuid, event_type: EventType) -> bool {
        self.tenants.contains(&tenant) && self.types.contains(&event_type)
    }
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub tenants: Option<Selection<Uuid>>,
    pub types: Option<Selection<EventType>>,
    pub description: Option<String>,
    pub audience: Option<Option<String>>,
    pub subject_format: Option<Option<String>>,
    pub authorization_sealed: Option<Option<String>>,
    pub max_in_flight: Option<u32>,
    /// `Some(true)` enables (clearing why it was disabled and the failing
    /// streak); `Some(false)` disables with `disabled_reason`.
    pub enabled: Option<bool>,
    pub disabled_reason: Option<String>,
    /// A rotation: the new sealed secret, and until when the current one
    /// keeps signing beside it.
    pub rotate_secret: Option<(String, OffsetDateTime)>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet delivered: waiting for its time, for an earlier event of
    /// its resource, or being sent.
    Pending,
    Delivered,
    /// Given up on (the last retry failed, or a permanent refusal): stays
    /// visible, and no longer holds back its resource's later events.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "dead" => Some(DeliveryState::Dead),
            _ => None,
        }
    }
}

/// A delivery claimed for sending: its lease is held until it is finished
/// or the lease ends.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub endpoint: Uuid,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The event; `None` when it is no longer there (retention, erasure):
    /// the delivery is then dead-lettered.
    pub event: Option<crate::EventRecord>,
}

/// What one attempt found.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: OffsetDateTime,
    /// The answer's status; `None` when none came (refused, timed out).
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The first KiB of the answer.
    pub response: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// What an attempt leads to.
#[derive(Debug, Clone)]
pub enum Next {
    Delivered,
    RetryAt(OffsetDateTime),
    Dead,
}

/// An attempt's record and what follows, for one claimed delivery.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub delivery: i64,
    pub endpoint: Uuid,
    pub attempt: Attempt,
    pub next: Next,
}

/// A delivery as listed, with its attempts (newest last).
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: i64,
    pub endpoint: Uuid,
    pub event_id: Option<Uuid>,
    pub event_type: Option<EventType>,
    pub tenant: Uuid,
    pub sequence: Option<i64>,
    pub resource_id: Uuid,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub replay: bool,
    pub attempt_log: Vec<Attempt>,
}

/// Which deliveries to list: newest first, before `before` (a delivery
/// id), in `state` if given.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub state: Option<DeliveryState>,
    pub before: Option<i64>,
    pub limit: u32,
}

/// Which events a replay delivers again, in their order.
#[derive(Debug, Clone)]
pub enum ReplayRange {
    /// A tenant's sequence numbers, both ends included.
    Sequences { tenant: Uuid, from: i64, to: i64 },
    /// Events that occurred in `[since, until)`.
    Time { since: OffsetDateTime, until: OffsetDateTime },
}

/// The most events one replay may queue.
pub const MAX_REPLAY: u32 = 100_000;

/// The state of delivery, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryBacklog {
    /// Deliveries not yet delivered nor dead.
    pub pending: u64,
    /// When the oldest of them was queued.
    pub oldest_pending: Option<OffsetDateTime>,
    pub disabled_endpoints: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_read_all_or_a_list() {
        let all: Selection<String> = serde_json::from_str(r#""all""#).unwrap();
        assert!(all.contains(&"x".to_owned()));
        let some: Selection<String> = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert!(some.contains(&"a".to_owned()) && !some.contains(&"c".to_owned()));
        assert!(serde_json::from_str::<Selection<String>>(r#""some""#).is_err());
        assert_eq!(serde_json::to_string(&Selection::<String>::all()).unwrap(), r#""all""#);
    }
}
