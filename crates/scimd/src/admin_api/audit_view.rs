//! An audit entry as the admin API and the CLI show it (`GET …/audit`, each
//! line of `GET …/audit/export`, `scimd audit list|search|export --json`):
//! when, who (the SCIM token or admin token id, or a JWT's subject), from where, the request,
//! the resource, the outcome and the diff. An entry never holds a body, a
//! password or a secret (see `ops::audit`), so nothing is hidden here.

use scim_core::resource::format_datetime;
use scim_store::{AuditOutcome, AuditRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// The entry's number in the log (increasing in the order written).
    pub id: i64,
    /// When it was written, RFC 3339.
    pub at: String,
    /// The SCIM token of the request, if it had a valid one.
    pub token: Option<Uuid>,
    /// The admin token of an admin API call.
    pub admin_token: Option<Uuid>,
    /// Who, when it was no token of scimd's: `jwt:<sub>` (a tenant issuer's
    /// JWT) or `client:<client_id>` (an OAuth client's access token).
    pub subject: Option<String>,
    /// The client's address (behind trusted proxies, the forwarded one).
    pub remote_addr: Option<String>,
    pub method: String,
    pub path: String,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    /// `User` or `Group`, when the request was about one.
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    /// The HTTP status of the outcome.
    pub status: u16,
    /// `ok` (below 400), `refused` (4xx) or `failed` (5xx).
    #[schema(pattern = "^(ok|refused|failed)$")]
    pub outcome: &'static str,
    /// What changed (attributes before and after, members added and
    /// removed), or why it was refused.
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<&AuditRecord> for AuditEntryView {
    fn from(r: &AuditRecord) -> AuditEntryView {
        let e = &r.entry;
        AuditEntryView {
            id: r.id,
            at: format_datetime(r.at),
            token: e.context.token,
            admin_token: e.context.admin_token,
            subject: e.context.subject.clone(),
            remote_addr: e.context.remote_addr.clone(),
            method: e.context.method.clone(),
            path: e.context.path.clone(),
            request_id: e.context.request_id.clone(),
            resource_type: e.resource_kind.map(|k| k.as_str().to_owned()),
            resource_id: e.resource_id,
            status: e.status,
            outcome: AuditOutcome::of(e.status).as_str(),
            detail: e.detail.clone(),
        }
    }
}

/// A page of audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageView {
    /// Newest first.
    pub items: Vec<AuditEntryView>,
    /// Pass as `cursor` (with the same filters) for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Days the server keeps audit entries before deleting them (0: forever):
    /// its `audit_retention_days` setting.
    pub retention_days: u64,
}

impl From<crate::ops::audit_search::AuditPage> for AuditPageView {
    fn from(p: crate::ops::audit_search::AuditPage) -> AuditPageView {
        AuditPageView {
            items: p.entries.iter().map(AuditEntryView::from).collect(),
            next_cursor: p.next_cursor,
            retention_days: p.retention_days,
        }
    }
}

/// One line of an NDJSON export: the entry's JSON and a newline.
pub fn ndjson_line(r: &AuditRecord, out: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *out, &AuditEntryView::from(r)).is_ok() {
        out.push(b'\n');
    }
}
