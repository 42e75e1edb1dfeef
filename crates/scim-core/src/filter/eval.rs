//! The reference evaluator of RFC 7644 §3.4.2.2 filters over full resource
//! documents; scim-store's SQL compiler must agree with it. Semantics:
//!
//! - Strings compare by the attribute's `caseExact` (userName is not,
//!   id and externalId are); dateTimes as instants; integers and decimals
//!   numerically; booleans by equality (see [`crate::value::compare`]).
//! - A multi-valued attribute matches when any of its values matches
//!   ("the filter matches if any of the values of the specified attribute
//!   match the specified criterion").
//! - `ne` is the negation of `eq`: true when *no* value equals the literal,
//!   so it is true for a missing attribute. This keeps `x ne v` and
//!   `not (x eq v)` identical for SQL and for clients.
//! - `pr` is false for missing, null, "", [] and {} (RFC 7643 §2.5 treats
//!   them alike). `eq null` is true exactly when `pr` is false and `ne null`
//!   when it is true, since null *means* unassigned.
//! - A comparison on a complex attribute compares its `value` sub-attribute.
//! - A value path matches when one element matches the whole inner filter.
//! - Paths that resolve to nothing, and values of the wrong JSON type,
//!   match nothing (`eq` false, hence `ne` true). No JSON shape panics.

use serde_json::Value;

use super::resolve::{get_ci, leaves, resolve, resolve_in, through_value};
use super::{CompValue, CompareOp, Filter};
use crate::schema::{AttrType, AttributeDef, ResourceType, SchemaRegistry};
use crate::value::has_value;
use crate::value::{compare, fold_case};

/// True when `resource` (a full document: stored attributes plus `id` and
/// `meta`) matches `filter`.
pub fn matches(filter: &Filter, resource: &Value, schemas: &SchemaRegistry, rt: &ResourceType) -> bool {
    match filter {
        Filter::Compare { path, op, value } => {
            resolve(schemas, rt, path).is_some_and(|t| compare_values(leaves(resource, &t), t.def(), *op, value))
        }
        Filter::Present(path) => {
            resolve(schemas, rt, path).is_some_and(|t| leaves(resource, &t).into_iter().any(has_value))
        }
        Filter::And(a, b) => matches(a, resource, schemas, rt) && matches(b, resource, schemas, rt),
        Filter::Or(a, b) => matches(a, resource, schemas, rt) || matches(b, resource, schemas, rt),
        Filter::Not(inner) => !matches(inner, resource, schemas, rt),
        Filter::ValuePath { path, filter } => resolve(schemas, rt, path).is_some_and(|t| {
            let def = t.def();
            leaves(resource, &t).into_iter().any(|e| matches_element(filter, e, def))
        }),
    }
}

/// True when one value of the multi-valued complex attribute `attr` (an
/// element such as `{"value": "…", "type": "work"}`) matches `filter`, whose
/// paths are relative to the element (value-path filters, PATCH paths).
/// For a multi-valued simple attribute, the path `value` is the element.
pub fn matches_element(filter: &Filter, element: &Value, attr: &AttributeDef) -> bool {
    match filter {
        Filter::Compare { path, op, value } => resolve_in(attr, path)
            .is_some_and(|def| compare_values(element_leaves(element, attr, def), def, *op, value)),
        Filter::Present(path) => {
            resolve_in(attr, path).is_some_and(|def| element_leaves(element, attr, def).into_iter().any(has_value))
        }
        Filter::And(a, b) => matches_element(a, element, attr) && matches_element(b, element, attr),
        Filter::Or(a, b) => matches_element(a, element, attr) || matches_element(b, element, attr),
        Filter::Not(inner) => !matches_element(inner, element, attr),
        // The grammar forbids nested value paths; validation refuses them.
        Filter::ValuePath { .. } => false,
    }
}

/// The values of sub-attribute `def` in `element` (or the element itself
/// when `def` is the simple multi-valued attribute).
fn element_leaves<'v>(element: &'v Value, attr: &AttributeDef, def: &AttributeDef) -> Vec<&'v Value> {
    if std::ptr::eq(attr, def) {
        return vec![element];
    }
    match element.as_object().and_then(|o| get_ci(o, &def.name)) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

/// The literal as a JSON value of `def`'s type: Entra sends booleans as the
/// strings "true"/"false".
fn literal(value: &CompValue, def: &AttributeDef) -> Value {
    match value {
        CompValue::Null => Value::Null,
        CompValue::Bool(b) => Value::Bool(*b),
        CompValue::Number(n) => Value::Number(n.clone()),
        CompValue::String(s) if def.ty == AttrType::Boolean && s.eq_ignore_ascii_case("true") => Value::Bool(true),
        CompValue::String(s) if def.ty == AttrType::Boolean && s.eq_ignore_ascii_case("false") => Value::Bool(false),
        CompValue::String(s) => Value::String(s.clone()),
    }
}

/// Applies `op value` to the values a path reached: true when any matches
/// (`ne`: when none is equal).
fn compare_values(values: Vec<&Value>, def: &AttributeDef, op: CompareOp, value: &CompValue) -> bool {
    if matches!(value, CompValue::Null) {
        // Before `through_value`: `emails eq null` is exactly `not (emails pr)`.
        let present = values.into_iter().any(has_value);
        return match op {
            CompareOp::Eq => !present,
            CompareOp::Ne => present,
            _ => false,
        };
    }
    let (values, def) = through_value(values, def);
    let lit = literal(value, def);
    let case_exact = def.case_exact || def.ty == AttrType::Binary;
    let ord = |v: &Value| compare(v, &lit, def);
    let substring = |v: &Value, test: fn(&str, &str) -> bool| match (v.as_str(), lit.as_str()) {
        (Some(s), Some(l)) => test(&fold_case(s, case_exact), &fold_case(l, case_exact)),
        _ => false,
    };
    let unordered = matches!(def.ty, AttrType::Boolean | AttrType::Binary);
    match op {
        CompareOp::Eq => values.into_iter().any(|v| ord(v).is_some_and(|o| o.is_eq())),
        CompareOp::Ne => !values.into_iter().any(|v| ord(v).is_some_and(|o| o.is_eq())),
        CompareOp::Co => values.into_iter().any(|v| substring(v, |s, l| s.contains(l))),
        CompareOp::Sw => values.into_iter().any(|v| substring(v, |s, l| s.starts_with(l))),
        CompareOp::Ew => values.into_iter().any(|v| substring(v, |s, l| s.ends_with(l))),
        // RFC 7644 §3.4.2.2: boolean and binary have no order.
        _ if unordered => false,
        CompareOp::Gt => values.into_iter().any(|v| ord(v).is_some_and(|o| o.is_gt())),
        CompareOp::Ge => values.into_iter().any(|v| ord(v).is_some_and(|o| o.is_ge())),
        CompareOp::Lt => values.into_iter().any(|v| ord(v).is_some_and(|o| o.is_lt())),
        CompareOp::Le => values.into_iter().any(|v| ord(v).is_some_and(|o| o.is_le())),
    }
}
