//! Listing resources (RFC 7644 §3.4.2): the query parameters `filter`,
//! `sortBy`/`sortOrder`, `startIndex`/`count` (1-based paging, §3.4.2.4) and
//! `attributes`/`excludedAttributes` (§3.4.2.5), and the ListResponse
//! message. `/.search` (§3.4.3) reuses all of it with its JSON body.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use scim_core::ScimError;
use scim_core::filter::{self, Filter};
use scim_core::path::AttrPath;
use scim_core::projection::Projection;
use scim_core::sort::SortOrder;
use scim_store::{ListQuery, ResourceKind};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::scim_response;
use super::render::{group_values, render_all, render_with, resource_type};
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

/// A parsed list request.
pub struct ListSpec {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub sort_order: SortOrder,
    pub start_index: u64,
    pub count: u64,
    pub projection: Projection,
}

impl ListSpec {
    pub fn parse(raw: &RawParams, max_page_size: u64) -> Result<Self, ApiError> {
        let filter = raw.filter.as_deref().map(filter::parse_filter).transpose()?;
        let sort_by = raw.sort_by.as_deref().map(AttrPath::parse).transpose()?;
        let sort_order = raw.sort_order.as_deref().map(SortOrder::parse).transpose()?.unwrap_or_default();
        let (start_index, count) = paging(raw.start_index.as_deref(), raw.count.as_deref(), max_page_size)?;
        Ok(ListSpec { filter, sort_by, sort_order, start_index, count, projection: raw.projection()? })
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

/// `startIndex` and `count` per RFC 7644 §3.4.2.4: startIndex < 1 is 1,
/// count < 0 is 0, count is capped at the maximum page size (and defaults
/// to it); anything non-numeric is `400 invalidValue`.
pub fn paging(start_index: Option<&str>, count: Option<&str>, max: u64) -> Result<(u64, u64), ScimError> {
    let start = match start_index {
        None => 1,
        Some(s) => u64::try_from(parse_int("startIndex", s)?).unwrap_or(0).max(1),
    };
    let count = match count {
        None => max,
        Some(s) => u64::try_from(parse_int("count", s)?).unwrap_or(0).min(max),
    };
    Ok((start, count))
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

/// One page of one resource type: (totalResults, rendered resources).
pub async fn list_kind(
    state: &AppState,
    ctx: &TenantCtx,
    kind: ResourceKind,
    spec: &ListSpec,
    start_index: u64,
    count: u64,
) -> Result<(u64, Vec<Value>), ApiError> {
    let rt = resource_type(ctx, kind)?;
    let with_groups = kind == ResourceKind::User && spec.projection.includes("groups", &ctx.registry, rt);
    let query = ListQuery {
        filter: spec.filter.as_ref(),
        sort_by: spec.sort_by.as_ref(),
        sort_order: spec.sort_order,
        start_index,
        count,
        schemas: &ctx.registry,
        with_groups,
    };
    let page = state.store.list_resources(ctx.tenant.id, kind, &query).await?;
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
    Ok((page.total, resources))
}

/// The ListResponse message (RFC 7644 §3.4.2). `itemsPerPage` is the number
/// of resources actually returned.
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Response {
    let body = json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    });
    scim_response(StatusCode::OK, &body)
}

/// `GET /Users`, `GET /Groups`.
pub async fn list_resources<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    Params(raw): Params,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let spec = ListSpec::parse(&raw, state.max_page_size)?;
    spec.check(ctx, K::KIND)?;
    let (total, resources) = list_kind(&state, ctx, K::KIND, &spec, spec.start_index, spec.count).await?;
    Ok(list_response(total, spec.start_index, resources))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_follows_rfc_7644_3_4_2_4() {
        assert_eq!(paging(None, None, 1000).unwrap(), (1, 1000));
        assert_eq!(paging(Some("0"), Some("-5"), 1000).unwrap(), (1, 0));
        assert_eq!(paging(Some("-3"), Some("0"), 1000).unwrap(), (1, 0));
        assert_eq!(paging(Some("11"), Some("5000"), 1000).unwrap(), (11, 1000));
        assert_eq!(paging(Some("99999999999999999999999"), Some("10"), 100).unwrap(), (u64::MAX >> 1, 10));
        for bad in ["abc", "1.5", "", "0x10"] {
            let e = paging(Some(bad), None, 10).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(scim_core::ScimType::InvalidValue)));
            assert!(paging(None, Some(bad), 10).is_err());
        }
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
