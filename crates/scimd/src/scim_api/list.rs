//! Listing resources (RFC 7644 §3.4.2): one page of one resource type,
//! by index or by cursor (RFC 9865), rendered, and the ListResponse
//! message. `/.search` (§3.4.3) reuses it with its JSON body.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use scim_store::{After, ListQuery, ResourceKind};
use serde::Serialize;

use super::cursor::{self, Position, invalid_cursor};
use super::error::ApiError;
use super::kinds::Kind;
use super::members_json::Rendered;
use super::params::{ListSpec, Paging, Params};
use super::render::{group_values, render_all, render_with};
use super::response::scim_response_sized;
use super::tenancy::Caller;
use crate::ops::TenantCtx;
use crate::state::AppState;

pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// One rendered page of one resource type.
pub struct KindPage {
    /// Every match, on all pages.
    pub total: u64,
    pub resources: Vec<Rendered>,
    /// More matches follow.
    pub more: bool,
    /// The page's last resource, where a keyset cursor resumes.
    pub last: Option<After>,
}

/// One page of one resource type, from 1-based `start_index` (counted
/// after `after`, if given).
pub async fn list_kind(
    state: &AppState,
    ctx: &TenantCtx,
    kind: ResourceKind,
    spec: &ListSpec,
    start_index: u64,
    after: Option<After>,
    count: u64,
) -> Result<KindPage, ApiError> {
    let rt = ctx.resource_type(kind)?;
    let with_groups = kind == ResourceKind::User && spec.projection.includes("groups", &ctx.registry, rt);
    let query = ListQuery {
        filter: spec.filter.as_ref(),
        sort_by: spec.sort_by.as_ref(),
        sort_order: spec.sort_order,
        start_index,
        count,
        after,
        schemas: &ctx.registry,
        with_groups,
    };
    let page = state.ops.list_resources(ctx, kind, &query).await?;
    let last = page.resources.last().map(After::of);
    let resources = match page.groups {
        // The store read the users' groups with the page.
        Some(mut groups) => page
            .resources
            .into_iter()
            .map(|r| {
                let derived = groups.remove(&r.id).and_then(|g| group_values(ctx, g));
                render_with(ctx, rt, &spec.projection, r, derived)
            })
            .collect(),
        None => render_all(state, ctx, rt, &spec.projection, page.resources, true).await?,
    };
    Ok(KindPage { total: page.total, resources, more: page.more, last })
}

/// Answers a list of one resource type (`GET /Users`, `POST
/// /Users/.search`), by index or by cursor. Without `sortBy`, a cursor
/// resumes after the last resource of its page (a keyset: deep pages cost
/// what the first does); with `sortBy`, it holds an offset.
pub async fn list_page(
    state: &AppState,
    ctx: &TenantCtx,
    kind: ResourceKind,
    spec: &ListSpec,
) -> Result<Response, ApiError> {
    spec.check(ctx, kind)?;
    let cursor = match &spec.paging {
        Paging::Index(start) => {
            let page = list_kind(state, ctx, kind, spec, *start, None, spec.count).await?;
            return Ok(list_response(page.total, &Paging::Index(*start), None, page.resources));
        }
        Paging::Cursor(cursor) => cursor,
    };
    let scope = spec.scope(ctx, kind.endpoint());
    let keyset = spec.sort_by.is_none();
    let (offset, after) = match cursor::decode(&scope, cursor)? {
        Position::Start => (0, None),
        Position::After(a) if keyset => (0, Some(a)),
        Position::Offset(n) if !keyset => (n, None),
        _ => {
            return Err(invalid_cursor().into());
        }
    };
    let page = list_kind(state, ctx, kind, spec, offset.saturating_add(1), after, spec.count).await?;
    let next = match (page.more, page.last) {
        (true, Some(last)) if keyset => Some(Position::After(last)),
        (true, Some(_)) => Some(Position::Offset(offset.saturating_add(page.resources.len() as u64))),
        _ => None,
    };
    let next = next.map(|p| cursor::encode(&scope, p));
    Ok(list_response(page.total, &spec.paging, next, page.resources))
}

/// The ListResponse message (RFC 7644 §3.4.2). `itemsPerPage` is the number
/// of resources actually returned. Index paging answers `startIndex`;
/// cursor paging answers `nextCursor` on every page but the last (RFC 9865
/// §2), and no `startIndex`.
pub fn list_response(total: u64, paging: &Paging, next_cursor: Option<String>, resources: Vec<Rendered>) -> Response {
    let (start_index, next_cursor) = match paging {
        Paging::Index(start) => (Some(*start), None),
        Paging::Cursor(_) => (None, next_cursor),
    };
    let members: usize = resources.iter().map(Rendered::members_len).sum();
    let body = ListResponse {
        schemas: [LIST_RESPONSE_URN],
        total_results: total,
        items_per_page: resources.len(),
        start_index,
        next_cursor,
        resources,
    };
    scim_response_sized(StatusCode::OK, &body, members)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    schemas: [&'static str; 1],
    total_results: u64,
    items_per_page: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    #[serde(rename = "Resources")]
    resources: Vec<Rendered>,
}

/// `GET /Users`, `GET /Groups`.
pub async fn list_resources<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    Params(raw): Params,
) -> Result<Response, ApiError> {
    let spec = ListSpec::parse(&raw, state.max_page_size)?;
    list_page(&state, &caller.tenant, K::KIND, &spec).await
}
