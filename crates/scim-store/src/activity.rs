//! What the web admin draws and warns about, read the same way on every
//! backend (the statements use `$n` parameters, which SQLite takes too):
//! a tenant's activity per hour — events by type, refused and failed
//! requests from the audit log — and each tenant's recent request health
//! (refusals, failures, the last request), for the front page's list of
//! tenants whose identity provider went quiet or is failing.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::EventType;

/// What a count of an hour counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    Event(EventType),
    /// Requests refused (4xx).
    Refused,
    /// Requests that failed (5xx).
    Failed,
}

/// How many of `what` happened in the hour starting at `hour`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCount {
    pub hour: OffsetDateTime,
    pub what: Activity,
    pub count: u64,
}

/// A tenant's requests since a time: refusals and failures (each counted
/// up to [`HEALTH_CAP`]) and its SCIM tokens' latest use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantHealth {
    pub tenant: Uuid,
    pub refused: u64,
    pub failed: u64,
    pub last_request: Option<OffsetDateTime>,
}

/// The most refusals or failures [`TenantHealth`] counts (a front page
/// costs the same whatever a tenant's traffic).
pub const HEALTH_CAP: u64 = 1000;

const HOUR_MS: i64 = 3_600_000;

/// A tenant's events per hour and type since `$2` (ms), from the
/// `(tenant, seq)` range of the events retention keeps.
pub(crate) const EVENTS_PER_HOUR: &str = "SELECT e.at / 3600000 AS hour, e.event_type AS what, COUNT(*) AS n \
     FROM events e WHERE e.tenant = $1 AND e.at >= $2 AND e.event_type <> 'erased' GROUP BY 1, 2";

/// A tenant's refused and failed requests per hour since `$2` (ms), by
/// the `(tenant, at)` index of the audit log.
pub(crate) const REFUSALS_PER_HOUR: &str = "SELECT a.at / 3600000 AS hour, \
     CASE WHEN a.status >= 500 THEN 'failed' ELSE 'refused' END AS what, COUNT(*) AS n \
     FROM audit_log a WHERE a.tenant = $1 AND a.at >= $2 AND a.status >= 400 GROUP BY 1, 2";

/// Every tenant's refusals and failures since `$1` (ms, each counted up to
/// [`HEALTH_CAP`] by the `(tenant, at)` index) and last token use.
pub(crate) const HEALTH: &str = "SELECT t.id AS tenant, \
     (SELECT COUNT(*) FROM (SELECT 1 FROM audit_log a WHERE a.tenant = t.id AND a.at >= $1 \
        AND a.status >= 400 AND a.status < 500 LIMIT 1000) r) AS refused, \
     (SELECT COUNT(*) FROM (SELECT 1 FROM audit_log a WHERE a.tenant = t.id AND a.at >= $1 \
        AND a.status >= 500 LIMIT 1000) f) AS failed, \
     (SELECT MAX(k.last_used) FROM tokens k WHERE k.tenant = t.id) AS last_request \
     FROM tenants t";

/// The start of the hour numbered `hour` since the epoch.
pub(crate) fn hour_start(hour: i64) -> OffsetDateTime {
    crate::clock::from_ms(hour.saturating_mul(HOUR_MS))
}

/// What a row of [`EVENTS_PER_HOUR`] or [`REFUSALS_PER_HOUR`] counts; an
/// event type this build does not know is skipped.
pub(crate) fn activity_of(what: &str) -> Option<Activity> {
    match what {
        "refused" => Some(Activity::Refused),
        "failed" => Some(Activity::Failed),
        other => EventType::parse(other).map(Activity::Event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_what_they_count_read_back() {
        assert_eq!(hour_start(1).unix_timestamp(), 3600);
        assert_eq!(activity_of("refused"), Some(Activity::Refused));
        assert_eq!(activity_of("failed"), Some(Activity::Failed));
        assert_eq!(activity_of("user.created"), Some(Activity::Event(EventType::UserCreated)));
        assert_eq!(activity_of("nonsense"), None);
    }
}
