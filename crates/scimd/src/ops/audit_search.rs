//! Searching and exporting a tenant's audit log (issue 11, item 6), for the
//! admin API (`GET …/audit`, `GET …/audit/export`) and the CLI
//! (`scimd audit search|export`): the filters as a caller writes them,
//! parsed once here; pages newest first with an opaque cursor; an export
//! read from the store a chunk at a time, never the whole log at once; and
//! the retention the server prunes the log with.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scim_core::{ScimError, ScimType};
use scim_store::{AuditOutcome, AuditPlace, AuditQuery, AuditRecord, Store, Tenant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};

/// Entries one export chunk reads from the store.
pub const EXPORT_CHUNK: u32 = 500;

/// The most entries one page may hold.
pub const MAX_LIMIT: u32 = 1000;

/// Which entries, as the caller's text gave them (each optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilterText<'a> {
    /// RFC 3339; entries at or after it.
    pub since: Option<&'a str>,
    /// RFC 3339; entries before it.
    pub until: Option<&'a str>,
    /// A resource id.
    pub resource: Option<&'a str>,
    /// A SCIM token id or an admin token id.
    pub token: Option<&'a str>,
    /// `ok`, `refused` or `failed`.
    pub outcome: Option<&'a str>,
}

/// The parsed filters: an [`AuditQuery`] without its page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter(AuditQuery);

fn invalid(detail: String) -> OpError {
    OpError::Refused(ScimError::invalid_value(detail))
}

/// An RFC 3339 instant named `name` (in the refusal) from text.
pub fn instant(name: &str, s: &str) -> OpResult<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| invalid(format!("{name} must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z, not {s:?}")))
}

fn id(name: &str, s: &str) -> OpResult<Uuid> {
    Uuid::try_parse(s).map_err(|_| invalid(format!("{name} must be an id (a UUID), not {s:?}")))
}

impl AuditFilter {
    /// Parses the filters; a malformed one (an empty one too: `until=`
    /// names no instant) is `invalidValue` naming it.
    pub fn parse(text: AuditFilterText<'_>) -> OpResult<AuditFilter> {
        let since = text.since.map(|s| instant("since", s)).transpose()?;
        let until = text.until.map(|s| instant("until", s)).transpose()?;
        let resource = text.resource.map(|s| id("resource", s)).transpose()?;
        let token = text.token.map(|s| id("token", s)).transpose()?;
        let outcome = text
            .outcome
            .map(|s| {
                AuditOutcome::parse(s)
                    .ok_or_else(|| invalid(format!("outcome must be ok, refused or failed, not {s:?}")))
            })
            .transpose()?;
        Ok(AuditFilter(AuditQuery { since, until, resource, token, outcome, before: None, limit: 0 }))
    }
}

/// The cursor of the page after `place`: base64url (RFC 4648 §5) of
/// `a1.<milliseconds>.<row id>`.
pub fn encode_cursor(place: AuditPlace) -> String {
    let ms = place.at.unix_timestamp_nanos() / 1_000_000;
    URL_SAFE_NO_PAD.encode(format!("a1.{ms}.{}", place.id))
}

/// Reads a cursor back; empty is the first page; anything this server did
/// not give is `invalidCursor`.
pub fn decode_cursor(cursor: &str) -> OpResult<Option<AuditPlace>> {
    let cursor = cursor.trim();
    if cursor.is_empty() {
        return Ok(None);
    }
    let place = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).and_then(|text| {
        let mut parts = text.split('.');
        let (Some("a1"), Some(ms), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms.parse::<i64>().ok()?) * 1_000_000).ok()?;
        Some(AuditPlace { at, id: id.parse().ok()? })
    });
    match place {
        Some(p) => Ok(Some(p)),
        None => Err(OpError::Refused(ScimError::bad_request(
            ScimType::InvalidCursor,
            "the cursor is not one this server gave: start without one, then pass each page's next_cursor",
        ))),
    }
}

/// One page of a search.
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditRecord>,
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
    /// Days the server keeps entries (0: forever).
    pub retention_days: u64,
}

/// An export in progress: the filter's entries, newest first, a chunk of
/// [`EXPORT_CHUNK`] at a time, each chunk a keyset read after the last.
pub struct AuditExport {
    store: Arc<dyn Store>,
    tenant: Uuid,
    query: AuditQuery,
    done: bool,
}

impl AuditExport {
    /// The next chunk; `None` once every entry was given.
    pub async fn next_chunk(&mut self) -> OpResult<Option<Vec<AuditRecord>>> {
        if self.done {
            return Ok(None);
        }
        let chunk = self.store.search_audit(self.tenant, &self.query).await?;
        self.done = chunk.len() < self.query.limit as usize;
        match chunk.last() {
            Some(last) => self.query.before = Some(AuditPlace::of(last)),
            None => return Ok(None),
        }
        Ok(Some(chunk))
    }
}

impl Ops {
    /// Days audit entries are kept before the server prunes them (0:
    /// forever), as the server was configured.
    pub fn audit_retention_days(&self) -> u64 {
        self.audit_retention_days
    }

    /// Keeps audit entries `days` days (0: forever): what searches report.
    pub fn with_audit_retention_days(mut self, days: u64) -> Self {
        self.audit_retention_days = days;
        self
    }

    /// One page of a tenant's audit entries matching `filter`, newest
    /// first, from `cursor` (a previous page's `next_cursor`), at most
    /// `limit` (1 to [`MAX_LIMIT`]).
    pub async fn search_audit(
        &self,
        tenant: &Tenant,
        filter: &AuditFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> OpResult<AuditPage> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid(format!("limit must be 1 to {MAX_LIMIT}")));
        }
        let before = cursor.map(decode_cursor).transpose()?.flatten();
        // One more than asked tells whether another page follows.
        let query = AuditQuery { before, limit: limit + 1, ..filter.0.clone() };
        let mut entries = self.store.search_audit(tenant.id, &query).await?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next_cursor = if more { entries.last().map(|r| encode_cursor(AuditPlace::of(r))) } else { None };
        Ok(AuditPage { entries, next_cursor, retention_days: self.audit_retention_days })
    }

    /// Every entry of a tenant matching `filter`, newest first, read a chunk
    /// at a time as the caller asks for them.
    pub fn export_audit(&self, tenant: &Tenant, filter: &AuditFilter) -> AuditExport {
        AuditExport {
            store: Arc::clone(&self.store),
            tenant: tenant.id,
            query: AuditQuery { before: None, limit: EXPORT_CHUNK, ..filter.0.clone() },
            done: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_or_name_what_is_wrong() {
        let ok = AuditFilter::parse(AuditFilterText {
            since: Some("2026-01-31T12:00:00Z"),
            until: Some("2026-02-01T00:00:00+01:00"),
            resource: Some("0190c5a8-0000-7000-8000-000000000000"),
            token: None,
            outcome: Some("refused"),
        })
        .unwrap();
        assert_eq!(ok.0.outcome, Some(AuditOutcome::Refused));
        assert_eq!(ok.0.token, None);
        assert!(ok.0.since.is_some() && ok.0.until.is_some() && ok.0.resource.is_some());
        for (text, name) in [
            (AuditFilterText { since: Some("yesterday"), ..Default::default() }, "since"),
            (AuditFilterText { until: Some("2026-01-31"), ..Default::default() }, "until"),
            (AuditFilterText { until: Some(""), ..Default::default() }, "until"),
            (AuditFilterText { resource: Some("x"), ..Default::default() }, "resource"),
            (AuditFilterText { token: Some("scimd_abc"), ..Default::default() }, "token"),
            (AuditFilterText { outcome: Some("OK!"), ..Default::default() }, "outcome"),
        ] {
            let OpError::Refused(e) = AuditFilter::parse(text).unwrap_err() else { panic!("refused") };
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
            assert!(e.detail.starts_with(name), "{}", e.detail);
        }
    }

    #[test]
    fn cursors_round_trip_and_others_are_refused() {
        let place = AuditPlace { at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(), id: 42 };
        let c = encode_cursor(place);
        assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)), "{c}");
        assert_eq!(decode_cursor(&c).unwrap(), Some(place));
        assert_eq!(decode_cursor("").unwrap(), None);
        for bad in ["!!", "YQ", &URL_SAFE_NO_PAD.encode("a1.x.1"), &URL_SAFE_NO_PAD.encode("a1.1.1.1")] {
            let OpError::Refused(e) = decode_cursor(bad).unwrap_err() else { panic!("refused") };
            assert_eq!(e.scim_type, Some(ScimType::InvalidCursor), "{bad}");
        }
    }
}
