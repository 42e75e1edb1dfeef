//! A search of one tenant's audit log (the admin API's audit search and
//! export, `scimd audit search|export`): the filters, the outcome classes
//! and the keyset place a page resumes from. Entries come newest first, in
//! the order (time, row id) descending: the row id breaks ties between
//! entries written in the same millisecond, so a page that resumes before
//! a place never skips or repeats one.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::AuditRecord;
use crate::clock::to_ms;
use crate::pushdown::Dialect;

/// What a request came to, by its status: `ok` below 400, `refused` 4xx,
/// `failed` 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    Ok,
    Refused,
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditOutcome> {
        match s {
            "ok" => Some(AuditOutcome::Ok),
            "refused" => Some(AuditOutcome::Refused),
            "failed" => Some(AuditOutcome::Failed),
            _ => None,
        }
    }

    /// The outcome of an entry with this status.
    pub fn of(status: u16) -> AuditOutcome {
        match status {
            0..400 => AuditOutcome::Ok,
            400..500 => AuditOutcome::Refused,
            _ => AuditOutcome::Failed,
        }
    }

    /// The statuses of the outcome, `[from, to)`.
    pub fn statuses(self) -> (u16, u16) {
        match self {
            AuditOutcome::Ok => (0, 400),
            AuditOutcome::Refused => (400, 500),
            AuditOutcome::Failed => (500, 1000),
        }
    }
}

/// A place in the audit log's order: an entry's time and row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPlace {
    pub at: OffsetDateTime,
    pub id: i64,
}

impl AuditPlace {
    pub fn of(r: &AuditRecord) -> AuditPlace {
        AuditPlace { at: r.at, id: r.id }
    }
}

/// Which entries of a tenant's log, and how many.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Written at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Written before this instant (exclusive).
    pub until: Option<OffsetDateTime>,
    /// About this resource.
    pub resource: Option<Uuid>,
    /// Made with this SCIM token or admin token.
    pub token: Option<Uuid>,
    pub outcome: Option<AuditOutcome>,
    /// Only entries after this place in the order (older than it).
    pub before: Option<AuditPlace>,
    /// At most this many.
    pub limit: u32,
}

/// ` WHERE …` of a search of `tenant`'s entries matching `q` in the table
/// `audit_log`, newest first: a range of the `audit_log_tenant_at` index
/// read backwards, resumed after `q.before` by the row value `(at, id)`.
/// The same on every backend (written through [`Dialect`]).
pub(crate) fn search_sql(out: &mut impl Dialect, tenant: Uuid, q: &AuditQuery) {
    out.sql(" WHERE tenant = ");
    out.bind_id(tenant);
    if let Some(since) = q.since {
        out.sql(" AND at >= ");
        out.bind_int(to_ms(since));
    }
    if let Some(until) = q.until {
        out.sql(" AND at < ");
        out.bind_int(to_ms(until));
    }
    if let Some(resource) = q.resource {
        out.sql(" AND resource_id = ");
        out.bind_id(resource);
    }
    if let Some(token) = q.token {
        out.sql(" AND (token = ");
        out.bind_id(token);
        out.sql(" OR admin_token = ");
        out.bind_id(token);
        out.sql(")");
    }
    if let Some(outcome) = q.outcome {
        let (from, to) = outcome.statuses();
        out.sql(" AND status >= ");
        out.bind_int(i64::from(from));
        out.sql(" AND status < ");
        out.bind_int(i64::from(to));
    }
    if let Some(place) = q.before {
        out.sql(" AND (at, id) < (");
        out.bind_int(to_ms(place.at));
        out.sql(", ");
        out.bind_int(place.id);
        out.sql(")");
    }
    out.sql(" ORDER BY at DESC, id DESC");
    out.limit(i64::from(q.limit), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_status_classes() {
        for (status, outcome) in
            [(200, "ok"), (204, "ok"), (304, "ok"), (400, "refused"), (429, "refused"), (503, "failed")]
        {
            let o = AuditOutcome::of(status);
            assert_eq!(o.as_str(), outcome);
            assert_eq!(AuditOutcome::parse(outcome), Some(o));
            let (from, to) = o.statuses();
            assert!((from..to).contains(&status));
        }
        assert_eq!(AuditOutcome::parse("OK"), None);
    }

    #[test]
    fn a_search_resumes_before_its_place_newest_first() {
        use crate::pushdown::tests::Spelled;
        let q = AuditQuery {
            outcome: Some(AuditOutcome::Refused),
            before: Some(AuditPlace { at: OffsetDateTime::UNIX_EPOCH, id: 7 }),
            limit: 50,
            ..AuditQuery::default()
        };
        let mut t = Spelled::default();
        search_sql(&mut t, Uuid::nil(), &q);
        assert_eq!(
            t.0,
            format!(
                " WHERE tenant = <id {}> AND status >= <400> AND status < <500> AND (at, id) < (<0>, <7>) \
                 ORDER BY at DESC, id DESC LIMIT <50>",
                Uuid::nil()
            )
        );
    }
}
