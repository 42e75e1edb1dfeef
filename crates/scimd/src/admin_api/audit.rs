//! `/admin/v1/tenants/{slug}/audit`: a tenant's audit log, searched
//! (newest first, cursor pages) or exported whole as NDJSON, streamed from
//! the store a chunk at a time. Scope `audit:read`. The filters and the
//! cursor are [`crate::ops::audit_search`]'s.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::audit_view::{AuditPageView, ndjson_line};
use super::auth::Admin;
use super::problem::{AuthRefusals, Problem};
use super::{query, streamed};
use crate::ops::admin_tokens::Scope;
use crate::ops::audit_search::{AuditExport, AuditFilter, AuditFilterText, MAX_LIMIT};
use crate::state::AppState;

pub const NDJSON: &str = "application/x-ndjson";

/// The filters of a search or an export (all optional, combined with "and").
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilterParams {
    /// Entries written at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Entries written before this instant (RFC 3339, exclusive).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    /// Entries about this resource (a User's or Group's id).
    #[param(value_type = Option<String>, format = Uuid)]
    pub resource: Option<String>,
    /// Entries of requests made with this token: a SCIM token's id or an admin token's id.
    #[param(value_type = Option<String>, format = Uuid)]
    pub token: Option<String>,
    /// `ok` (status below 400), `refused` (4xx) or `failed` (5xx).
    #[param(value_type = Option<String>, pattern = "^(ok|refused|failed)$")]
    pub outcome: Option<String>,
}

impl AuditFilterParams {
    fn text(&self) -> AuditFilterText<'_> {
        AuditFilterText {
            since: self.since.as_deref(),
            until: self.until.as_deref(),
            resource: self.resource.as_deref(),
            token: self.token.as_deref(),
            outcome: self.outcome.as_deref(),
        }
    }
}

/// The page of a search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditPageParams {
    /// The `next_cursor` of the previous page (send the same filters).
    pub cursor: Option<String>,
    /// Entries per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// The query string of a search: [`AuditFilterParams`] and
/// [`AuditPageParams`] in one struct (not `#[serde(flatten)]`, under which
/// a parameter given twice would be taken rather than refused).
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    pub since: Option<String>,
    pub until: Option<String>,
    pub resource: Option<String>,
    pub token: Option<String>,
    pub outcome: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// Searches a tenant's audit log, newest first.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/audit", tag = "audit",
    params(("slug" = String, Path, description = "The tenant's slug"), AuditFilterParams, AuditPageParams),
    responses(
        (status = 200, description = "A page of entries, newest first, and the server's retention", body = AuditPageView),
        (status = 404, description = "No such tenant (or not one the token may see)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed since, until, resource, token or outcome, a limit out of range, or a cursor this server did not give", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["audit:read"]))
)]
pub async fn search_audit(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<AuditPageView>, Problem> {
    admin.require(Scope::AuditRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let Query(params) = params.map_err(|e| query::malformed(&e))?;
    let filter = AuditFilter::parse(AuditFilterText {
        since: params.since.as_deref(),
        until: params.until.as_deref(),
        resource: params.resource.as_deref(),
        token: params.token.as_deref(),
        outcome: params.outcome.as_deref(),
    })?;
    let limit = query::limit(params.limit.as_deref(), MAX_LIMIT)?;
    let page = state.ops.search_audit(&ctx.tenant, &filter, params.cursor.as_deref(), limit).await?;
    Ok(Json(page.into()))
}

/// Exports every entry of a tenant's audit log matching the filters, newest
/// first, as NDJSON: one entry (as in a search's `items`) per line. The body
/// is streamed as it is read from the store.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/audit/export", tag = "audit",
    params(("slug" = String, Path, description = "The tenant's slug"), AuditFilterParams),
    responses(
        (status = 200, description = "One JSON audit entry per line, newest first", body = super::audit_view::AuditEntryView, content_type = "application/x-ndjson"),
        (status = 404, description = "No such tenant (or not one the token may see)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed since, until, resource, token or outcome", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["audit:read"]))
)]
pub async fn export_audit(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    params: Result<Query<AuditFilterParams>, QueryRejection>,
) -> Result<Response, Problem> {
    admin.require(Scope::AuditRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let Query(params) = params.map_err(|e| query::malformed(&e))?;
    let filter = AuditFilter::parse(params.text())?;
    Ok(ndjson_export(state.ops.export_audit(&ctx.tenant, &filter)))
}

/// An export as an NDJSON body, streamed a chunk at a time (for the admin
/// API and the web admin's download); an error midway cuts the body.
pub fn ndjson_export(mut export: AuditExport) -> Response {
    let (sender, body) = streamed::channel();
    tokio::spawn(async move {
        loop {
            match export.next_chunk().await {
                Ok(Some(records)) => {
                    let mut chunk = Vec::with_capacity(records.len() * 512);
                    for r in &records {
                        ndjson_line(r, &mut chunk);
                    }
                    if !sender.send(chunk).await {
                        return; // The client went away.
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    // Logged by the mapping; the client sees the body cut.
                    let _ = e.into_scim();
                    sender.abort().await;
                    return;
                }
            }
        }
    });
    let mut resp = body.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
