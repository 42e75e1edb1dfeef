//! Listing resources (RFC 7644 §3.4.2): the query parameters `filter`,
//! `sortBy`/`sortOrder`, `startIndex`/`count` (1-based paging, §3.4.2.4) or
//! `cursor`/`count` (cursor paging, RFC 9865), `attributes`/
//! `excludedAttributes` (§3.4.2.5), and the ListResponse message. `/.search`
//! (§3.4.3) reuses all of it with its JSON body.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use scim_core::filter::{self, Filter};
use scim_core::path::AttrPath;
use scim_core::projection::Projection;
use scim_core::sort::SortOrder;
use scim_core::{ScimError, ScimType};
use scim_store::{After, ListQuery, ResourceKind};
use serde::{Deserialize, Serialize};

use super::cursor::{self, Position, Scope};
use super::json::scim_response_sized;
use super::members_json::Rendered;
use super::render::{endpoint, group_values, render_all, render_with, resource_type};
use super::resources::Kind;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::{AppState, TenantCtx};

pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The SCIM query parameters, as sent (numbers too: their errors are ours
/// to word).
#[derive(Debug, Default, Deserialize)]
pub struct RawParams {
    pub filter: Option<String>,
    #[serde(rename = "sortBy")]
    pub sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    pub sort_order: Option<String>,
    #[serde(rename = "startIndex")]
    pub start_index: Option<String>,
    pub count: Option<String>,
    /// RFC 9865: present (even empty) asks for cursor paging.
    pub cursor: Option<String>,
    pub attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
}

impl RawParams {
    pub fn projection(&self) -> Result<Projection, ApiError> {
        Ok(Projection::parse(self.attributes.as_deref(), self.excluded_attributes.as_deref())?)
    }

    /// Whether the client asked for a projection at all.
    pub fn wants_projection(&self) -> bool {
        self.attributes.is_some() || self.excluded_attributes.is_some()
    }
}

/// Extracts [`RawParams`] from the query string (400 when it is malformed).
pub struct Params(pub RawParams);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_none() {
            return Ok(Params(RawParams::default()));
        }
        Query::<RawParams>::try_from_uri(&parts.uri).map(|q| Params(q.0)).map_err(|e| {
            ApiError::Scim(ScimError::invalid_syntax(format!("malformed query string: {}", e.body_text())))
        })
    }
}

/// How a list request pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// `startIndex` (1-based; the default method, RFC 9865 §2.4, as every
    /// IdP expects it).
    Index(u64),
    /// `cursor`: empty for the first page, else a `nextCursor` (RFC 9865).
    Cursor(String),
}

/// A parsed list request.
pub struct ListSpec {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub sort_order: SortOrder,
    pub paging: Paging,
    pub count: u64,
    pub projection: Projection,
    /// `filter`, `sortBy`, `sortOrder` as sent: the query a cursor belongs
    /// to (see [`super::cursor`]).
    query: [Option<String>; 3],
}

impl ListSpec {
    pub fn parse(raw: &RawParams, max_page_size: u64) -> Result<Self, ApiError> {
        let filter = raw.filter.as_deref().map(filter::parse_filter).transpose()?;
        let sort_by = raw.sort_by.as_deref().map(AttrPath::parse).transpose()?;
        let sort_order = raw.sort_order.as_deref().map(SortOrder::parse).transpose()?.unwrap_or_default();
        let (paging, count) = paging(raw, max_page_size)?;
        Ok(ListSpec {
            filter,
            sort_by,
            sort_order,
            paging,
            count,
            projection: raw.projection()?,
            query: [raw.filter.clone(), raw.sort_by.clone(), raw.sort_order.clone()],
        })
    }

    /// The query a cursor of `endpoint` (`Users`, `Groups`, `` for the root)
    /// belongs to.
    pub fn scope<'a>(&'a self, ctx: &TenantCtx, endpoint: &'a str) -> Scope<'a> {
        let [filter, sort_by, sort_order] = &self.query;
        Scope {
            tenant: ctx.tenant.id,
            endpoint,
            filter: filter.as_deref(),
            sort_by: sort_by.as_deref(),
            sort_order: sort_order.as_deref(),
        }
    }

    /// Checks the filter and `sortBy` against a resource type's schemas.
    pub fn check(&self, ctx: &TenantCtx, kind: ResourceKind) -> Result<(), ApiError> {
        let rt = resource_type(ctx, kind)?;
        if let Some(f) = &self.filter {
            filter::validate(f, &ctx.registry, rt)?;
        }
        if let Some(by) = &self.sort_by
            && ctx.registry.resolve(rt, by).is_none()
        {
            return Err(ApiError::Scim(ScimError::invalid_value(format!(
                "sortBy \"{by}\" is not an attribute of {}",
                rt.name
            ))));
        }
        Ok(())
    }
}

/// The paging method and page size of a request.
///
/// - `startIndex` and `count` per RFC 7644 §3.4.2.4: startIndex < 1 is 1,
///   count < 0 is 0, count is capped at the maximum page size (and
///   defaults to it); anything non-numeric is `400 invalidValue`.
/// - With `cursor` (RFC 9865 §2): `count` must be a positive integer
///   (`400 invalidCount`), capped at the maximum page size (`maxPageSize`
///   is a cap "regardless of what is specified", §4). `startIndex` with it
///   asks for two methods at once: `400 invalidValue`.
pub fn paging(raw: &RawParams, max: u64) -> Result<(Paging, u64), ScimError> {
    if let Some(cursor) = &raw.cursor {
        if raw.start_index.is_some() {
            return Err(ScimError::invalid_value("startIndex and cursor ask for two paging methods: send one of them"));
        }
        let count = match raw.count.as_deref() {
            None => max,
            Some(s) => match parse_int("count", s) {
                Ok(n) if n >= 1 => u64::try_from(n).unwrap_or(max).min(max),
                _ => {
                    return Err(ScimError::bad_request(
                        ScimType::InvalidCount,
                        format!("count must be an integer from 1 to {max} with a cursor, not {s:?}"),
                    ));
                }
            },
        };
        return Ok((Paging::Cursor(cursor.clone()), count));
    }
    let start = match raw.start_index.as_deref() {
        None => 1,
        Some(s) => u64::try_from(parse_int("startIndex", s)?).unwrap_or(0).max(1),
    };
    let count = match raw.count.as_deref() {
        None => max,
        Some(s) => u64::try_from(parse_int("count", s)?).unwrap_or(0).min(max),
    };
    Ok((Paging::Index(start), count))
}

/// An integer, saturating when out of range (a huge startIndex is just
/// past the end).
fn parse_int(name: &str, s: &str) -> Result<i64, ScimError> {
    let t = s.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(if neg { i64::MIN } else { i64::MAX });
    }
    Err(ScimError::invalid_value(format!("{name} must be an integer, not {s:?}")))
}

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
    let rt = resource_type(ctx, kind)?;
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
    let page = state.store.list_resources(ctx.tenant.id, kind, &query).await?;
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
    let scope = spec.scope(ctx, endpoint(kind));
    let keyset = spec.sort_by.is_none();
    let (offset, after) = match cursor::decode(&scope, cursor)? {
        Position::Start => (0, None),
        Position::After(a) if keyset => (0, Some(a)),
        Position::Offset(n) if !keyset => (n, None),
        _ => {
            return Err(ApiError::Scim(ScimError::bad_request(
                ScimType::InvalidCursor,
                "cursor is invalid for this query",
            )));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(start_index: Option<&str>, count: Option<&str>, cursor: Option<&str>) -> RawParams {
        RawParams {
            start_index: start_index.map(str::to_owned),
            count: count.map(str::to_owned),
            cursor: cursor.map(str::to_owned),
            ..RawParams::default()
        }
    }

    #[test]
    fn paging_follows_rfc_7644_3_4_2_4() {
        let index = |s, c, max| paging(&raw(s, c, None), max);
        assert_eq!(index(None, None, 1000).unwrap(), (Paging::Index(1), 1000));
        assert_eq!(index(Some("0"), Some("-5"), 1000).unwrap(), (Paging::Index(1), 0));
        assert_eq!(index(Some("-3"), Some("0"), 1000).unwrap(), (Paging::Index(1), 0));
        assert_eq!(index(Some("11"), Some("5000"), 1000).unwrap(), (Paging::Index(11), 1000));
        assert_eq!(
            index(Some("99999999999999999999999"), Some("10"), 100).unwrap(),
            (Paging::Index(u64::MAX >> 1), 10)
        );
        for bad in ["abc", "1.5", "", "0x10"] {
            let e = index(Some(bad), None, 10).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
            assert!(index(None, Some(bad), 10).is_err());
        }
    }

    #[test]
    fn cursor_paging_follows_rfc_9865() {
        let cursor = |c, count, max| paging(&raw(None, count, Some(c)), max);
        assert_eq!(cursor("", None, 100).unwrap(), (Paging::Cursor(String::new()), 100));
        assert_eq!(cursor("abc", Some("5"), 100).unwrap(), (Paging::Cursor("abc".into()), 5));
        assert_eq!(cursor("", Some("500"), 100).unwrap(), (Paging::Cursor(String::new()), 100));
        for bad in ["0", "-1", "x", ""] {
            let e = cursor("", Some(bad), 100).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidCount)), "{bad}");
        }
        let both = paging(&raw(Some("1"), None, Some("")), 100).unwrap_err();
        assert_eq!((both.status, both.scim_type), (400, Some(ScimType::InvalidValue)));
    }

    #[test]
    fn query_parameters_deserialize() {
        let uri: axum::http::Uri =
            "/x?filter=userName%20eq%20%22a%22&startIndex=2&count=3&sortBy=userName&excludedAttributes=members"
                .parse()
                .unwrap();
        let q = Query::<RawParams>::try_from_uri(&uri).unwrap().0;
        assert_eq!(q.filter.as_deref(), Some("userName eq \"a\""));
        assert_eq!((q.start_index.as_deref(), q.count.as_deref()), (Some("2"), Some("3")));
        assert_eq!(q.excluded_attributes.as_deref(), Some("members"));
        assert!(q.wants_projection());
    }
}
