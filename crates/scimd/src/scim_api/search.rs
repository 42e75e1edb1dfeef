//! `POST /.search` (RFC 7644 §3.4.3): a query in a SearchRequest body, at a
//! resource endpoint (`/Users/.search`) or at the tenant root, where it
//! spans Users and Groups. Cursor paging (RFC 9865 §3) works here too.

use axum::extract::State;
use axum::response::Response;
use scim_core::ScimError;
use scim_store::{After, ResourceKind};
use serde_json::Value;

use super::cursor::{self, Position, invalid_cursor};
use super::error::ApiError;
use super::json::ScimBody;
use super::kinds::Kind;
use super::list::{list_kind, list_page, list_response};
use super::members_json::Rendered;
use super::params::{ListSpec, Paging, RawParams};
use super::tenancy::Caller;
use crate::ops::TenantCtx;
use crate::state::AppState;

pub const SEARCH_REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Reads a SearchRequest into the same parameters as a GET query.
pub fn search_params(body: &Value) -> Result<RawParams, ScimError> {
    let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
    let has_urn = obj
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(SEARCH_REQUEST_URN))));
    if !has_urn {
        return Err(ScimError::invalid_syntax(format!("\"schemas\" must contain \"{SEARCH_REQUEST_URN}\"")));
    }
    let mut raw = RawParams::default();
    for (key, value) in obj {
        let slot = match key.as_str() {
            "schemas" => continue,
            "filter" => &mut raw.filter,
            "sortBy" => &mut raw.sort_by,
            "sortOrder" => &mut raw.sort_order,
            "startIndex" => &mut raw.start_index,
            "count" => &mut raw.count,
            "cursor" => &mut raw.cursor,
            "attributes" => &mut raw.attributes,
            "excludedAttributes" => &mut raw.excluded_attributes,
            // Unknown members are ignored, as for any SCIM message.
            _ => continue,
        };
        *slot = match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) if key.ends_with("ttributes") => {
                let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                let names = names.ok_or_else(|| ScimError::invalid_value(format!("\"{key}\" must list strings")))?;
                Some(names.join(","))
            }
            _ => return Err(ScimError::invalid_value(format!("\"{key}\" has the wrong type"))),
        };
    }
    Ok(raw)
}

/// `POST /Users/.search`, `POST /Groups/.search`.
pub async fn search_kind<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let spec = ListSpec::parse(&search_params(&body)?, state.max_page_size)?;
    list_page(&state, &caller.tenant, K::KIND, &spec).await
}

/// `POST /.search` at the tenant root: Users then Groups, paged as one
/// sequence. A filter that does not fit one type (e.g. `userName` for
/// Groups) matches nothing of it; one that fits neither is an error.
pub async fn search_root(
    State(state): State<AppState>,
    caller: Caller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let spec = ListSpec::parse(&search_params(&body)?, state.max_page_size)?;
    let mut kinds = Vec::with_capacity(2);
    let mut first_error = None;
    for kind in ResourceKind::ALL {
        match spec.check(ctx, kind) {
            Ok(()) => kinds.push(kind),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if kinds.is_empty()
        && let Some(e) = first_error
    {
        return Err(e);
    }
    let scope = spec.scope(ctx, "");
    let (offset, from) = match &spec.paging {
        Paging::Index(start) => (start - 1, None),
        Paging::Cursor(c) => match cursor::decode(&scope, c)? {
            Position::Start => (0, None),
            Position::Offset(n) if spec.sort_by.is_some() => (n, None),
            Position::AfterIn(kind, after) if spec.sort_by.is_none() && kinds.contains(&kind) => {
                (0, Some((kind, after)))
            }
            _ => return Err(invalid_cursor().into()),
        },
    };
    if matches!(spec.paging, Paging::Cursor(_)) && spec.sort_by.is_none() {
        let (total, resources, next) = by_keyset(&state, ctx, &spec, &kinds, from).await?;
        let next_cursor = next.map(|p| cursor::encode(&scope, p));
        return Ok(list_response(total, &spec.paging, next_cursor, resources));
    }
    // By index, or by a cursor over a sorted sequence: an offset into it.
    let mut total = 0u64;
    let mut remaining = spec.count;
    let mut resources = Vec::new();
    for kind in kinds {
        let local_start = offset.saturating_sub(total).saturating_add(1);
        let page = list_kind(&state, ctx, kind, &spec, local_start, None, remaining).await?;
        total += page.total;
        remaining = remaining.saturating_sub(page.resources.len() as u64);
        resources.extend(page.resources);
    }
    let next = offset.saturating_add(resources.len() as u64);
    let next_cursor = (next < total && !resources.is_empty()).then(|| cursor::encode(&scope, Position::Offset(next)));
    Ok(list_response(total, &spec.paging, next_cursor, resources))
}

/// A cursor page of the root sequence (each type in the default order, one
/// type after the other), resumed after the resource `from` (of its type):
/// a keyset, so resources created or deleted during the walk shift nothing.
/// The types before `from`'s are only counted. Returns the total, the page
/// and where the next page starts, if anything follows.
async fn by_keyset(
    state: &AppState,
    ctx: &TenantCtx,
    spec: &ListSpec,
    kinds: &[ResourceKind],
    from: Option<(ResourceKind, After)>,
) -> Result<(u64, Vec<Rendered>, Option<Position>), ApiError> {
    let start_at = from.and_then(|(k, _)| kinds.iter().position(|x| *x == k)).unwrap_or(0);
    let (mut total, mut remaining, mut resources) = (0u64, spec.count, Vec::new());
    let mut next = None;
    // The last resource returned, where a full page ends.
    let mut reached = from;
    for (i, kind) in kinds.iter().copied().enumerate() {
        if i < start_at || remaining == 0 {
            let counted = list_kind(state, ctx, kind, spec, 1, None, 0).await?.total;
            total += counted;
            // Nothing of this type was returned yet, and some of it remains.
            if i > start_at && counted > 0 && next.is_none() {
                next = reached.map(|(k, a)| Position::AfterIn(k, a));
            }
            continue;
        }
        let after = from.filter(|_| i == start_at).map(|(_, a)| a);
        let page = list_kind(state, ctx, kind, spec, 1, after, remaining).await?;
        total += page.total;
        remaining = remaining.saturating_sub(page.resources.len() as u64);
        resources.extend(page.resources);
        if let Some(last) = page.last {
            reached = Some((kind, last));
        }
        if page.more {
            next = reached.map(|(k, a)| Position::AfterIn(k, a));
        }
    }
    Ok((total, resources, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_request_to_params() {
        let raw = search_params(&json!({
            "schemas": [SEARCH_REQUEST_URN],
            "attributes": ["userName", "emails"],
            "filter": "userName sw \"a\"",
            "startIndex": 2,
            "count": "5",
        }))
        .unwrap();
        assert_eq!(raw.attributes.as_deref(), Some("userName,emails"));
        assert_eq!(raw.start_index.as_deref(), Some("2"));
        assert_eq!(raw.count.as_deref(), Some("5"));
        assert!(search_params(&json!({"filter": "x pr"})).is_err());
        assert!(search_params(&json!({"schemas": [SEARCH_REQUEST_URN], "count": true})).is_err());
    }
}
