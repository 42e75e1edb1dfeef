//! Schema-aware checks of a parsed filter (RFC 7644 §3.4.2.2), run before a
//! filter is evaluated or compiled to SQL. Everything refused here is
//! `400 invalidFilter`, which RFC 7644 §3.12 Table 9 defines as "the
//! specified filter syntax was invalid … or the specified attribute and
//! filter comparison combination is not supported". Decisions:
//!
//! - An attribute the resource type does not have is refused, naming it: a
//!   typo would otherwise silently match nothing (or, under `not`, everything).
//! - `gt`/`ge`/`lt`/`le` on boolean or binary attributes are refused, as
//!   §3.4.2.2 requires ("Boolean and Binary attributes SHALL cause a failed
//!   response … invalidFilter").
//! - `co`/`sw`/`ew` only apply to string, reference and binary attributes
//!   (they are substring tests), and take a string.
//! - A literal of a type the attribute cannot be compared with
//!   (`userName gt true`, `active eq 1`) is refused; a dateTime literal must
//!   be RFC 3339 (RFC 7643 §2.3.5). Boolean attributes also accept the
//!   strings "true"/"false" in any case, which Microsoft Entra ID sends.
//! - `null` is only compared with `eq`/`ne` (RFC 7643 §2.5: null means
//!   unassigned, which has no order).
//! - A comparison on a complex attribute compares its `value` sub-attribute
//!   (`emails co "@example.com"`, `members eq "<id>"`), as the RFC's own
//!   examples do; a complex attribute without one is refused.
//! - Attributes that are `returned: never` (password) are refused: a filter
//!   on them would be an oracle for their value.
//! - A value path needs a multi-valued or complex attribute, and the paths
//!   inside its brackets are bare sub-attribute names of it.

use super::resolve::{resolve, resolve_in};
use super::{CompValue, CompareOp, Filter};
use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceType, Returned, SchemaRegistry};
use crate::value::parse_datetime;

/// Checks a parsed filter against the schema: `gt/ge/lt/le` on boolean or
/// binary attributes is `invalidFilter`, and so on (see the module docs).
pub fn validate(filter: &Filter, schemas: &SchemaRegistry, rt: &ResourceType) -> Result<(), ScimError> {
    check(filter, &Scope::Resource(schemas, rt))
}

enum Scope<'a> {
    Resource(&'a SchemaRegistry, &'a ResourceType),
    /// Inside `outer[...]`.
    Within(&'a AttrPath, &'a AttributeDef),
}

impl Scope<'_> {
    fn lookup(&self, path: &AttrPath) -> Result<&AttributeDef, ScimError> {
        let def = match self {
            Scope::Resource(schemas, rt) => resolve(schemas, rt, path).map(|t| t.def()).ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "unknown attribute \"{path}\" in filter: {} has no such attribute",
                    rt.name
                ))
            })?,
            Scope::Within(outer, attr) => resolve_in(attr, path).ok_or_else(|| {
                let names: Vec<&str> = attr.sub_attributes.iter().map(|a| a.name.as_str()).collect();
                ScimError::invalid_filter(format!(
                    "unknown attribute \"{path}\" inside \"{outer}[...]\": expected one of its sub-attributes ({})",
                    if names.is_empty() { "value".to_owned() } else { names.join(", ") }
                ))
            })?,
        };
        if def.returned == Returned::Never {
            return Err(ScimError::invalid_filter(format!("attribute \"{path}\" cannot be used in a filter")));
        }
        Ok(def)
    }
}

fn check(filter: &Filter, scope: &Scope<'_>) -> Result<(), ScimError> {
    match filter {
        Filter::Compare { path, op, value } => check_compare(path, *op, value, scope.lookup(path)?),
        Filter::Present(path) => scope.lookup(path).map(|_| ()),
        Filter::And(a, b) | Filter::Or(a, b) => {
            check(a, scope)?;
            check(b, scope)
        }
        Filter::Not(inner) => check(inner, scope),
        Filter::ValuePath { path, filter } => {
            if let Scope::Within(outer, _) = scope {
                return Err(ScimError::invalid_filter(format!(
                    "value filters cannot be nested: \"{path}[...]\" inside \"{outer}[...]\""
                )));
            }
            let def = scope.lookup(path)?;
            if def.ty != AttrType::Complex && !def.multi_valued {
                return Err(ScimError::invalid_filter(format!(
                    "\"{path}[...]\": {path} is a single {} value; brackets need a multi-valued or complex attribute",
                    def.ty.as_str()
                )));
            }
            check(filter, &Scope::Within(path, def))
        }
    }
}

fn check_compare(path: &AttrPath, op: CompareOp, value: &CompValue, def: &AttributeDef) -> Result<(), ScimError> {
    if matches!(value, CompValue::Null) {
        if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
            return Err(ScimError::invalid_filter(format!(
                "\"{path} {} null\": null can only be compared with eq or ne",
                op.as_str()
            )));
        }
        return Ok(());
    }
    let def = if def.ty == AttrType::Complex {
        def.sub("value").ok_or_else(|| {
            ScimError::invalid_filter(format!(
                "\"{path}\" is complex and has no \"value\"; compare one of its sub-attributes (\"{path}.<name>\")"
            ))
        })?
    } else {
        def
    };
    let op_s = op.as_str();
    let ty = def.ty.as_str();
    let refuse = |why: String| Err(ScimError::invalid_filter(format!("\"{path} {op_s} {value}\": {why}")));
    let ordering = matches!(op, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le);
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    if ordering && matches!(def.ty, AttrType::Boolean | AttrType::Binary) {
        return refuse(format!("{path} is {ty}, which has no order; use eq or ne"));
    }
    if substring && !matches!(def.ty, AttrType::String | AttrType::Reference | AttrType::Binary) {
        return refuse(format!("{op_s} needs a string attribute, but {path} is {ty}"));
    }
    let fits = match (def.ty, value) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(_)) => true,
        (AttrType::Boolean, CompValue::Bool(_)) => true,
        (AttrType::Boolean, CompValue::String(s)) => s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"),
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(_)) => true,
        (AttrType::DateTime, CompValue::String(s)) => {
            if parse_datetime(s).is_none() {
                return refuse(format!(
                    "{path} is a dateTime and \"{s}\" is not an RFC 3339 date-time (like \"2011-05-13T04:42:34Z\")"
                ));
            }
            true
        }
        _ => false,
    };
    if !fits {
        let want = match def.ty {
            AttrType::Boolean => "true or false",
            AttrType::Integer | AttrType::Decimal => "a number",
            AttrType::DateTime => "a date-time string",
            _ => "a string in double quotes",
        };
        return refuse(format!("{path} is {ty}, so the value must be {want}"));
    }
    Ok(())
}
