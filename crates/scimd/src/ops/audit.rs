//! The audit log as operations see it (DESIGN §2, §3): a change's entry is
//! written by the store in the change's own transaction; a refused or
//! failed request is rolled back whole, and its entry is then written here,
//! on its own, so that the refusal is on record and nothing else is. Never
//! a body, a password or a token.
//!
//! Requests refused before anyone is known (no valid token) or for going
//! over a rate limit are not written one by one: they are counted per
//! tenant, source address and status, and each count is written as one
//! entry per window ([`Ops::flush_refusals`], every minute by default).
//! 452,949 unauthenticated POSTs once grew the database from 1.3 to
//! 101 MB; counted, they are a row a minute per source.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use scim_core::resource::format_datetime;
use scim_core::{ResourceKind, ScimError};
use scim_store::{AuditContext, AuditEntry, AuditRecord, Tenant};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Ops;
use super::error::OpResult;

/// Sources counted apart per window; past this, the rest of a tenant's
/// refusals are counted under one source, `other`.
const MAX_SOURCES: usize = 10_000;

/// The longest string an audit entry keeps of what a client sent (a path,
/// an error detail quoting the input).
pub const MAX_TEXT: usize = 512;

/// `s` cut to at most `max` bytes on a character boundary, marked `…` when
/// cut.
pub fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TallyKey {
    tenant: Uuid,
    source: String,
    status: u16,
}

#[derive(Debug)]
struct Count {
    n: u64,
    first: OffsetDateTime,
    last: OffsetDateTime,
    /// The last request's method and path, and its refusal.
    method: String,
    path: String,
    error: String,
}

/// Refusals counted since the last flush.
#[derive(Default)]
pub struct Tally {
    counts: Mutex<HashMap<TallyKey, Count>>,
}

/// What a refused request was aimed at, as far as it is known.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Target {
    pub kind: Option<ResourceKind>,
    pub id: Option<Uuid>,
    /// The operation's index, for one operation of a Bulk request.
    pub bulk_operation: Option<usize>,
}

impl Ops {
    /// Counts a refusal of a request to `tenant` that carried no valid
    /// token (or went over a rate limit), from `source`.
    pub fn tally_refusal(
        &self,
        tenant: Uuid,
        source: Option<IpAddr>,
        method: &str,
        path: &str,
        status: u16,
        error: &str,
    ) {
        let now = OffsetDateTime::now_utc();
        let mut counts = self.refusals.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let source = source.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        let mut key = TallyKey { tenant, source, status };
        if !counts.contains_key(&key) && counts.len() >= MAX_SOURCES {
            key.source = "other".to_owned();
        }
        let count = counts.entry(key).or_insert_with(|| Count {
            n: 0,
            first: now,
            last: now,
            method: String::new(),
            path: String::new(),
            error: String::new(),
        });
        count.n += 1;
        count.last = now;
        if count.n == 1 || count.path != path {
            count.method = bounded(method, 16);
            count.path = bounded(path, MAX_TEXT);
            count.error = bounded(error, MAX_TEXT);
        }
    }

    /// Writes the counted refusals, one entry per tenant, source and
    /// status, and starts counting anew; how many entries it wrote.
    pub async fn flush_refusals(&self) -> usize {
        let counts =
            std::mem::take(&mut *self.refusals.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut written = 0;
        for (key, count) in counts {
            let entry = AuditEntry {
                tenant: Some(key.tenant),
                context: AuditContext {
                    token: None,
                    admin_token: None,
                    subject: None,
                    remote_addr: Some(key.source),
                    method: count.method,
                    path: count.path,
                    request_id: None,
                },
                resource_kind: None,
                resource_id: None,
                status: key.status,
                detail: json!({
                    "error": count.error,
                    "count": count.n,
                    "first": format_datetime(count.first),
                    "last": format_datetime(count.last),
                }),
            };
            match self.store.write_audit(entry).await {
                Ok(()) => written += 1,
                Err(e) => tracing::error!(error = %e, "could not write the audit entry of counted refusals"),
            }
        }
        written
    }

    /// Records a refused request of `tenant` (its status, the error's
    /// detail and scimType). A failure to record is logged, not returned:
    /// the client gets the refusal it earned either way.
    pub async fn record_refusal(&self, tenant: Uuid, context: AuditContext, target: Target, error: &ScimError) {
        let mut detail = json!({
            "error": bounded(&error.detail, MAX_TEXT),
            "scimType": error.scim_type.map(|t| t.as_str()),
        });
        if let (Some(i), Value::Object(map)) = (target.bulk_operation, &mut detail) {
            map.insert("bulkOperation".into(), json!(i));
        }
        let entry = AuditEntry {
            tenant: Some(tenant),
            context,
            resource_kind: target.kind,
            resource_id: target.id,
            status: error.status,
            detail,
        };
        if let Err(e) = self.store.write_audit(entry).await {
            tracing::error!(error = %e, "could not write the audit entry of a refused request");
        }
    }

    /// Writes the audit entry of a change made through the admin API (its
    /// context names the admin token). A failure to write it is logged:
    /// the change is made and answered.
    pub async fn record_admin_change(&self, tenant: Option<Uuid>, context: AuditContext, status: u16, detail: Value) {
        let entry = AuditEntry { tenant, context, resource_kind: None, resource_id: None, status, detail };
        if let Err(e) = self.store.write_audit(entry).await {
            tracing::warn!(error = %e, "could not write the audit entry of an admin change");
        }
    }

    /// Deletes the audit entries older than `keep`, in batches (each its own
    /// short write, so that requests are not held up); how many.
    pub async fn prune_audit(&self, keep: std::time::Duration) -> OpResult<u64> {
        const BATCH: u32 = 10_000;
        let before = OffsetDateTime::now_utc() - keep;
        let mut total = 0;
        loop {
            let n = self.store.prune_audit(before, BATCH).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }

    /// A tenant's most recent audit entries, newest first.
    pub async fn list_audit(&self, tenant: &Tenant, limit: u32) -> OpResult<Vec<AuditRecord>> {
        Ok(self.store.list_audit(tenant.id, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_cut_on_a_character_boundary() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("abcdef", 3), "abc…");
        assert_eq!(bounded("ééé", 3), "é…");
        assert!(bounded(&"x".repeat(300_000), MAX_TEXT).len() <= MAX_TEXT + 3);
    }
}
