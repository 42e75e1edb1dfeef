//! Reading a `BulkRequest` (RFC 7644 §3.7) and the limits of §3.7.4.
//!
//! A request whose structure is wrong anywhere is refused whole, with a
//! detail naming the operation (`Operations[2].path`): running the valid
//! half of a malformed batch would leave the client guessing what happened.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{BULK_REQUEST_URN, BulkLimits, BulkMethod, BulkOperation, BulkRequest};
use crate::error::ScimError;

/// RFC 7644 §3.7.4: the body is larger than `maxPayloadSize`. 413 without a
/// `scimType`, as the RFC's example prints it. The server checks the raw
/// body length before parsing.
pub fn payload_too_large(limits: &BulkLimits) -> ScimError {
    ScimError::new(
        413,
        None,
        format!("The size of the bulk operation exceeds the maxPayloadSize ({}).", limits.max_payload_bytes),
    )
}

/// RFC 7644 §3.7.4: more operations than `maxOperations`; 413, no `scimType`.
pub fn too_many_operations(limits: &BulkLimits) -> ScimError {
    ScimError::new(
        413,
        None,
        format!("The number of operations exceeds the maxOperations value ({}).", limits.max_operations),
    )
}

/// Parses and checks a bulk request body.
///
/// - `schemas` must list [`BULK_REQUEST_URN`] (else `400 invalidSyntax`);
/// - `failOnErrors`, when present, is an integer ≥ 1 (`400 invalidValue`);
/// - `Operations` is an array of at most `limits.max_operations` entries
///   (else [`too_many_operations`]);
/// - each operation has a `method` (POST, PUT, PATCH, DELETE, any case), a
///   `path` (`/Users`, `/Groups` for POST; `/Users/{id}`, `/Groups/{id}`
///   otherwise, where `{id}` may be `bulkId:xyz`), `data` (an object) unless
///   it is a DELETE, and a `bulkId` when it is a POST; bulkIds are unique.
///
/// Missing or wrongly typed members are `400 invalidSyntax`; a value that is
/// well-formed but not acceptable (a `GET` method, a duplicate bulkId) is
/// `400 invalidValue`; a bad `path` is `400 invalidPath`. Member names are
/// matched case-insensitively (RFC 7643 §2.1).
pub fn parse_bulk_request(body: &Value, limits: &BulkLimits) -> Result<BulkRequest, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax("a bulk request body must be a JSON object (a BulkRequest message)"));
    };
    let has_urn = match find(obj, "schemas") {
        Some(Value::Array(urns)) => {
            urns.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(BULK_REQUEST_URN)))
        }
        _ => false,
    };
    if !has_urn {
        return Err(ScimError::invalid_syntax(format!("schemas must contain \"{BULK_REQUEST_URN}\"")));
    }
    let fail_on_errors = match find(obj, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v >= 1 => Some(u32::try_from(v).unwrap_or(u32::MAX)),
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "failOnErrors must be an integer of at least 1, not {n}"
                )));
            }
        },
        Some(_) => return Err(ScimError::invalid_syntax("failOnErrors must be an integer of at least 1")),
    };
    let list = match find(obj, "Operations") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ScimError::invalid_syntax("Operations must be an array of bulk operations")),
        None => return Err(ScimError::invalid_syntax("Operations is required: the array of bulk operations")),
    };
    // Checked before anything else is read: the RFC forbids processing an
    // oversized request at all.
    if list.len() > limits.max_operations {
        return Err(too_many_operations(limits));
    }
    let mut operations = Vec::with_capacity(list.len());
    let mut bulk_ids: HashMap<&str, usize> = HashMap::new();
    for (index, raw) in list.iter().enumerate() {
        let op = operation(index, raw)?;
        if let Some(id) = raw_bulk_id(raw)
            && let Some(first) = bulk_ids.insert(id, index)
        {
            return Err(ScimError::invalid_value(format!(
                "Operations[{index}].bulkId \"{}\" is already used by Operations[{first}]; bulkIds must be unique within a bulk request",
                clip(id)
            )));
        }
        operations.push(op);
    }
    Ok(BulkRequest { fail_on_errors, operations })
}

fn operation(index: usize, raw: &Value) -> Result<BulkOperation, ScimError> {
    let at = format!("Operations[{index}]");
    let Value::Object(obj) = raw else {
        return Err(ScimError::invalid_syntax(format!("{at} must be a JSON object (a bulk operation)")));
    };
    let method = match find(obj, "method") {
        Some(Value::String(m)) => BulkMethod::parse(m).ok_or_else(|| {
            ScimError::invalid_value(format!(
                "{at}.method \"{}\" is not allowed in a bulk request: use POST, PUT, PATCH or DELETE",
                clip(m)
            ))
        })?,
        Some(_) => return Err(ScimError::invalid_syntax(format!("{at}.method must be a string"))),
        None => return Err(ScimError::invalid_syntax(format!("{at}.method is required"))),
    };
    let bulk_id = match find(obj, "bulkId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err(ScimError::invalid_syntax(format!("{at}.bulkId must be a non-empty string"))),
    };
    if method == BulkMethod::Post && bulk_id.is_none() {
        return Err(ScimError::invalid_syntax(format!("{at}.bulkId is required for a POST operation")));
    }
    let version = match find(obj, "version") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ScimError::invalid_syntax(format!("{at}.version must be a string (an ETag)"))),
    };
    let path = match find(obj, "path") {
        Some(Value::String(p)) => p,
        Some(_) => return Err(ScimError::invalid_syntax(format!("{at}.path must be a string"))),
        None => return Err(ScimError::invalid_syntax(format!("{at}.path is required"))),
    };
    let (resource_endpoint, target) = parse_path(path, method, &at)?;
    let data = match (method, find(obj, "data")) {
        (BulkMethod::Delete, _) => None,
        (_, Some(d @ Value::Object(_))) => Some(d.clone()),
        (_, None | Some(Value::Null)) => {
            return Err(ScimError::invalid_syntax(format!(
                "{at}.data is required for a {} operation",
                method.as_str()
            )));
        }
        (_, Some(_)) => return Err(ScimError::invalid_syntax(format!("{at}.data must be a JSON object"))),
    };
    Ok(BulkOperation { index, method, bulk_id, version, resource_endpoint, target, data })
}

/// `path`: `/Users` or `/Groups` for POST, `/Users/{id}` or `/Groups/{id}`
/// for the others (RFC 7644 §3.7). The leading slash is optional and the
/// endpoint case-insensitive, as IdPs vary.
fn parse_path(path: &str, method: BulkMethod, at: &str) -> Result<(String, Option<String>), ScimError> {
    let bad = |why: &str| ScimError::invalid_path(format!("{at}.path \"{}\" {why}", clip(path)));
    if path.contains(['?', '#']) {
        return Err(bad("must not carry a query or fragment"));
    }
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (endpoint, id) = match rest.split_once('/') {
        Some((e, id)) => (e, Some(id.strip_suffix('/').unwrap_or(id))),
        None => (rest, None),
    };
    let endpoint = ["Users", "Groups"]
        .into_iter()
        .find(|e| e.eq_ignore_ascii_case(endpoint))
        .ok_or_else(|| bad("does not name a resource endpoint: use /Users or /Groups"))?;
    let id = id.filter(|id| !id.is_empty());
    if id.is_some_and(|id| id.contains('/')) {
        return Err(bad("has more segments than /{endpoint}/{id}"));
    }
    match (method, id) {
        (BulkMethod::Post, None) => Ok((endpoint.to_owned(), None)),
        (BulkMethod::Post, Some(_)) => Err(bad(&format!("must be the endpoint /{endpoint} for a POST operation"))),
        (_, Some(id)) => Ok((endpoint.to_owned(), Some(id.to_owned()))),
        (m, None) => Err(bad(&format!("must name a resource, /{endpoint}/{{id}}, for a {} operation", m.as_str()))),
    }
}

/// The operation's bulkId as sent, for the uniqueness check (RFC 7644 §3.7:
/// "MUST be unique within a bulk request", whatever the method).
fn raw_bulk_id(raw: &Value) -> Option<&str> {
    raw.as_object().and_then(|o| find(o, "bulkId")).and_then(Value::as_str)
}

/// The value of `key`, matched case-insensitively (RFC 7643 §2.1).
fn find<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// Client text echoed in a detail, cut to a readable length.
pub(super) fn clip(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
