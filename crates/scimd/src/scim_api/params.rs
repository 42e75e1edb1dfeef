//! The query parameters of a list (RFC 7644 §3.4.2): `filter`,
//! `sortBy`/`sortOrder`, `startIndex`/`count` (1-based paging, §3.4.2.4) or
//! `cursor`/`count` (cursor paging, RFC 9865), `attributes`/
//! `excludedAttributes` (§3.4.2.5), as a GET query or a SearchRequest body
//! (§3.4.3) sends them, and the list request they make.

use axum::extract::{FromRequestParts, Query, RawPathParams};
use axum::http::request::Parts;
use scim_core::filter::{self, Filter};
use scim_core::path::AttrPath;
use scim_core::projection::Projection;
use scim_core::sort::SortOrder;
use scim_core::{ResourceKind, ScimError, ScimType};
use serde::Deserialize;

use super::cursor::Scope;
use super::error::ApiError;
use uuid::Uuid;

use crate::ops::{OpError, TenantCtx};

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
        Query::<RawParams>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| ScimError::invalid_syntax(format!("malformed query string: {}", e.body_text())).into())
    }
}

/// The parameters of the request path (`{id}`, `{urn}`, …), percent-decoded.
/// A segment that does not decode to UTF-8 names nothing: 404 with a SCIM
/// body (axum's own answer would be a `400 text/plain`).
pub struct PathParams(RawPathParams);

impl PathParams {
    /// The parameter `name` ("" when the route has none).
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        RawPathParams::from_request_parts(parts, state)
            .await
            .map(PathParams)
            .map_err(|_| ApiError::not_found("no such resource: the path is not valid UTF-8"))
    }
}

/// The id of a resource in the path; a malformed id names no resource (404).
pub fn resource_id(raw: &str, kind: ResourceKind) -> Result<Uuid, OpError> {
    Uuid::parse_str(raw).map_err(|_| OpError::no_such(kind))
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
        let rt = ctx.resource_type(kind)?;
        if let Some(f) = &self.filter {
            filter::validate(f, &ctx.registry, rt)?;
        }
        if let Some(by) = &self.sort_by
            && ctx.registry.resolve(rt, by).is_none()
        {
            return Err(ScimError::invalid_value(format!("sortBy \"{by}\" is not an attribute of {}", rt.name)).into());
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
