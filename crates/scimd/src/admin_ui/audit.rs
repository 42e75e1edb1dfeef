//! A tenant's audit log: searched by time, resource, token and outcome,
//! newest first a page at a time, and downloaded whole as NDJSON with the
//! same filters. The filters, pages and export are the admin API's
//! ([`crate::ops::audit_search`], [`crate::admin_api::audit::ndjson_export`]);
//! scope `audit:read`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;

use super::error::UiError;
use super::page::{Nav, form_instant, render};
use super::session::UiAdmin;
use crate::admin_api::audit::ndjson_export;
use crate::admin_api::audit_view::AuditEntryView;
use crate::ops::OpError;
use crate::ops::admin_tokens::Scope;
use crate::ops::audit_search::{AuditFilter, AuditFilterText};
use crate::state::AppState;

/// Entries on one page.
const PAGE: u32 = 50;

/// The filters as the form sends them: empty fields filter nothing; times
/// are RFC 3339 or a browser's `datetime-local` (taken as UTC).
#[derive(Deserialize, Default)]
pub struct AuditForm {
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    cursor: String,
}

fn some(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

impl AuditForm {
    fn filter(&self) -> Result<AuditFilter, OpError> {
        let (since, until) = (form_instant(&self.since), form_instant(&self.until));
        AuditFilter::parse(AuditFilterText {
            since: since.as_deref(),
            until: until.as_deref(),
            resource: some(&self.resource),
            token: some(&self.token),
            outcome: some(&self.outcome),
        })
    }

    /// The query string of these filters (no cursor).
    fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("since", &self.since),
            ("until", &self.until),
            ("resource", &self.resource),
            ("token", &self.token),
            ("outcome", &self.outcome),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        q.finish()
    }
}

/// An entry as a row: who and what in a few words, the detail as JSON.
struct Row {
    entry: AuditEntryView,
    who: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    slug: String,
    name: String,
    tab: &'static str,
    form: AuditForm,
    rows: Vec<Row>,
    export: String,
    next: Option<String>,
    retention_days: u64,
    error: Option<String>,
}

fn who(e: &AuditEntryView) -> String {
    if let Some(t) = e.token {
        format!("SCIM token {}", &t.to_string()[..8])
    } else if let Some(t) = e.admin_token {
        format!("admin token {}", &t.to_string()[..8])
    } else if let Some(s) = &e.subject {
        s.clone()
    } else {
        "—".to_owned()
    }
}

pub async fn audit_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Query(form): Query<AuditForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::AuditRead).await?;
    let query = form.query();
    let base = format!("/ui/tenants/{}/audit", ctx.tenant.slug);
    let mut page = AuditPage {
        nav: Some(ui.nav()),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        tab: "audit",
        export: format!("{base}/export?{query}"),
        rows: Vec::new(),
        next: None,
        retention_days: state.ops.audit_retention_days(),
        error: None,
        form,
    };
    let found = match page.form.filter() {
        Ok(filter) => state.ops.search_audit(&ctx.tenant, &filter, some(&page.form.cursor), PAGE).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(found) => {
            page.rows = found
                .entries
                .iter()
                .map(|r| {
                    let entry = AuditEntryView::from(r);
                    let detail = if entry.detail.is_null() {
                        String::new()
                    } else {
                        serde_json::to_string_pretty(&entry.detail).unwrap_or_default()
                    };
                    Row { who: who(&entry), detail, entry }
                })
                .collect();
            page.next = found.next_cursor.map(|c| {
                let mut q = form_urlencoded::Serializer::new(query.clone());
                q.append_pair("cursor", &c);
                format!("{base}?{}", q.finish())
            });
        }
        Err(OpError::Refused(e)) => page.error = Some(e.detail),
        Err(e) => return Err(e.into()),
    }
    Ok(render(&page))
}

/// The entries matching the filters, newest first, as an NDJSON download.
pub async fn export(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Query(form): Query<AuditForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::AuditRead).await?;
    let filter = form.filter()?;
    let mut resp = ndjson_export(state.ops.export_audit(&ctx.tenant, &filter));
    let disposition = format!("attachment; filename=\"{}-audit.ndjson\"", ctx.tenant.slug);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
