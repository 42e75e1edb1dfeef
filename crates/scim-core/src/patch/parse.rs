//! Parsing a PatchOp request body (RFC 7644 §3.5.2): the `schemas` check,
//! the `Operations` array, each operation's `op`/`path`/`value`, and the PATCH
//! "PATH" grammar (`attrPath` or `attrPath "[" valFilter "]" ["." subAttr]`).
//!
//! Member names of the message (`Operations`, `op`, `path`, `value`) are
//! matched case-insensitively, and so is `op`'s value: Microsoft Entra sends
//! `"Replace"`, `"Add"`, `"Remove"`.

use serde_json::{Map, Value};

use super::{MAX_OPERATIONS, PATCH_OP_URN, PatchOpKind, PatchOperation, PatchPath};
use crate::error::{ScimError, ScimType};
use crate::filter::parse_filter;
use crate::path::AttrPath;

/// Parses `{"schemas": [PatchOp URN], "Operations": [...]}`. `op` is matched
/// case-insensitively (Entra sends `"Replace"`).
///
/// Errors: a missing or wrong `schemas`, a missing, empty or oversized
/// `Operations`, an unknown `op` are `invalidSyntax`; a malformed `path` is
/// `invalidPath`; `add`/`replace` without `value` is `invalidValue` (RFC 7644
/// §3.12 Table 9: "A required value was missing"); `remove` without `path` is
/// `noTarget` (§3.5.2.2).
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    let Value::Object(body) = body else {
        return Err(ScimError::invalid_syntax("a PATCH body must be a JSON object"));
    };
    let has_urn = member(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_URN))));
    if !has_urn {
        return Err(ScimError::invalid_syntax(format!("\"schemas\" must contain \"{PATCH_OP_URN}\"")));
    }
    let ops = match member(body, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => return Err(ScimError::invalid_syntax("\"Operations\" must not be empty")),
        Some(_) => return Err(ScimError::invalid_syntax("\"Operations\" must be an array")),
        None => return Err(ScimError::invalid_syntax("the PATCH body has no \"Operations\"")),
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH request may carry at most {MAX_OPERATIONS} operations, this one has {}",
            ops.len()
        )));
    }
    ops.iter().enumerate().map(|(i, op)| parse_operation(i, op)).collect()
}

fn parse_operation(i: usize, op: &Value) -> Result<PatchOperation, ScimError> {
    let Value::Object(op) = op else {
        return Err(ScimError::invalid_syntax(format!("operation {i} is not a JSON object")));
    };
    let kind = match member(op, "op") {
        Some(Value::String(s)) => parse_kind(s).ok_or_else(|| {
            ScimError::invalid_syntax(format!("operation {i}: \"op\" is \"{s}\", expected add, remove or replace"))
        })?,
        Some(_) => return Err(ScimError::invalid_syntax(format!("operation {i}: \"op\" must be a string"))),
        None => return Err(ScimError::invalid_syntax(format!("operation {i} has no \"op\""))),
    };
    let path = match member(op, "path") {
        // `"path": null` is how some serialisers spell an absent path.
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_patch_path(s).map_err(|e| at(i, kind, s, e))?),
        Some(_) => return Err(ScimError::invalid_path(format!("operation {i}: \"path\" must be a string"))),
    };
    let value = member(op, "value").cloned();
    match kind {
        PatchOpKind::Remove if path.is_none() => {
            return Err(ScimError::no_target(format!("operation {i}: remove requires a \"path\" (RFC 7644 §3.5.2.2)")));
        }
        PatchOpKind::Add | PatchOpKind::Replace => match (&path, &value) {
            (_, None) => {
                return Err(ScimError::invalid_value(format!(
                    "operation {i}: {} requires a \"value\"",
                    kind_str(kind)
                )));
            }
            (None, Some(v)) if !v.is_object() => {
                return Err(ScimError::invalid_value(format!(
                    "operation {i}: {} without a \"path\" needs an object of attributes as its \"value\"",
                    kind_str(kind)
                )));
            }
            _ => {}
        },
        PatchOpKind::Remove => {}
    }
    Ok(PatchOperation { op: kind, path, value })
}

/// `add`, `remove`, `replace` in any letter case.
pub fn parse_kind(s: &str) -> Option<PatchOpKind> {
    [PatchOpKind::Add, PatchOpKind::Remove, PatchOpKind::Replace]
        .into_iter()
        .find(|k| kind_str(*k).eq_ignore_ascii_case(s))
}

/// The RFC spelling of an operation.
pub fn kind_str(kind: PatchOpKind) -> &'static str {
    match kind {
        PatchOpKind::Add => "add",
        PatchOpKind::Remove => "remove",
        PatchOpKind::Replace => "replace",
    }
}

/// Parses a PATCH path (RFC 7644 §3.5.2 "PATH" ABNF): `attrPath`, or
/// `attrPath "[" valFilter "]"` optionally followed by `"." subAttr`. The
/// filter is parsed by [`parse_filter`]; every error here is `invalidPath`.
pub fn parse_patch_path(s: &str) -> Result<PatchPath, ScimError> {
    let s = s.trim();
    let Some(open) = s.find('[') else {
        return Ok(PatchPath { attr: attr_path(s)?, filter: None, sub_attr: None });
    };
    let attr = attr_path(&s[..open])?;
    if attr.sub_attr.is_some() {
        return Err(ScimError::invalid_path(format!(
            "\"{s}\": a value filter must follow a multi-valued attribute, not a sub-attribute"
        )));
    }
    let close = closing_bracket(s, open)
        .ok_or_else(|| ScimError::invalid_path(format!("\"{s}\": the value filter has no closing \"]\"")))?;
    let inner = &s[open + 1..close];
    let filter = parse_filter(inner)
        .map_err(|e| ScimError::invalid_path(format!("\"{s}\": invalid value filter: {}", e.detail)))?;
    let rest = &s[close + 1..];
    let sub_attr = if rest.is_empty() {
        None
    } else {
        match rest.strip_prefix('.') {
            Some(sub) if AttrPath::is_valid_name(sub) => Some(sub.to_owned()),
            _ => {
                return Err(ScimError::invalid_path(format!(
                    "\"{s}\": only \".subAttribute\" may follow the value filter"
                )));
            }
        }
    };
    Ok(PatchPath { attr, filter: Some(filter), sub_attr })
}

/// An attribute path; names and URNs are ASCII (RFC 7643 §2.1, RFC 8141), and
/// refusing anything else first keeps `AttrPath::parse` from slicing inside a
/// multi-byte character (found by the fuzzer).
fn attr_path(s: &str) -> Result<AttrPath, ScimError> {
    if !s.is_ascii() {
        return Err(ScimError::invalid_path(format!("\"{s}\" is not a valid attribute path (non-ASCII)")));
    }
    AttrPath::parse(s)
}

/// The index of the `]` closing the `[` at `open`, skipping brackets inside
/// quoted strings (`emails[value eq "a]b"]`). Nested `[` is left to the filter
/// parser to reject.
fn closing_bracket(s: &str, open: usize) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i <= open) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

/// The member of `obj` called `name`, exact spelling first, then any case.
pub(super) fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// Prefixes a path error with the operation it belongs to.
fn at(i: usize, kind: PatchOpKind, path: &str, e: ScimError) -> ScimError {
    let scim_type = e.scim_type.or(Some(ScimType::InvalidPath));
    ScimError::new(e.status, scim_type, format!("operation {i} ({} \"{path}\"): {}", kind_str(kind), e.detail))
}
