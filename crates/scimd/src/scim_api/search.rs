//! `POST /.search` (RFC 7644 §3.4.3): a query in a SearchRequest body, at a
//! resource endpoint (`/Users/.search`) or at the tenant root, where it
//! spans Users and Groups. Cursor paging (RFC 9865 §3) works here too.

use axum::extract::State;
use axum::response::Response;
use scim_core::{ScimError, ScimType};
use scim_store::ResourceKind;
use serde_json::Value;

use super::cursor::{self, Position};
use super::json::ScimBody;
use super::list::{ListSpec, Paging, RawParams, list_kind, list_page, list_response};
use super::resources::Kind;
use crate::auth::Caller;
use crate::error::ApiError;
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
    for kind in [ResourceKind::User, ResourceKind::Group] {
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
    // One sequence over two types: a cursor holds an offset into it.
    let scope = spec.scope(ctx, "");
    let offset = match &spec.paging {
        Paging::Index(start) => start - 1,
        Paging::Cursor(c) => match cursor::decode(&scope, c)? {
            Position::Start => 0,
            Position::Offset(n) => n,
            Position::After(_) => {
                return Err(ApiError::Scim(ScimError::bad_request(
                    ScimType::InvalidCursor,
                    "cursor is invalid for this query",
                )));
            }
        },
    };
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
    // Where the next page of the whole sequence starts, if there is one.
    let next = offset.saturating_add(resources.len() as u64);
    let next_cursor = (next < total && !resources.is_empty()).then(|| cursor::encode(&scope, Position::Offset(next)));
    Ok(list_response(total, &spec.paging, next_cursor, resources))
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
