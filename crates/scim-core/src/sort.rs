//! `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3): ordering full resources by one
//! attribute with the filter's typed comparison ([`crate::value::compare`]).
//! The RFC's rules: resources without a value sort last in either order; a
//! multi-valued attribute sorts by its primary value, else its first; a
//! complex attribute with a `value` sub-attribute sorts by that.
use std::cmp::Ordering;

use serde_json::Value;

use crate::filter::resolve::{Target, attr_value, get_ci, resolve};
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceType, SchemaRegistry};
use crate::value::compare;
use crate::value::{has_value, primary_or_first};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

impl SortOrder {
    /// Parses `ascending`/`descending` (case-insensitive); anything else is
    /// `400 invalidValue`.
    pub fn parse(s: &str) -> Result<Self, crate::ScimError> {
        if s.eq_ignore_ascii_case("ascending") {
            Ok(SortOrder::Ascending)
        } else if s.eq_ignore_ascii_case("descending") {
            Ok(SortOrder::Descending)
        } else {
            Err(crate::ScimError::invalid_value(format!(
                "sortOrder must be \"ascending\" or \"descending\", not \"{s}\""
            )))
        }
    }
}

/// Compares two full resources by `by` in `order`. Resources without a value
/// sort last in either order (RFC 7644 §3.4.2.3). Multi-valued attributes
/// sort by their primary value, else their first. A path the resource type
/// does not have leaves the order unchanged (`Equal`), so a stable sort
/// keeps the store's order.
pub fn compare_resources(
    a: &Value,
    b: &Value,
    by: &AttrPath,
    order: SortOrder,
    schemas: &SchemaRegistry,
    rt: &ResourceType,
) -> Ordering {
    let Some(t) = resolve(schemas, rt, by) else { return Ordering::Equal };
    match (sort_value(a, &t), sort_value(b, &t)) {
        (None, None) => Ordering::Equal,
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some((x, def)), Some((y, _))) => {
            // Values of mismatched JSON types (bad data) tie rather than fail.
            let o = compare(x, y, def).unwrap_or(Ordering::Equal);
            if order == SortOrder::Descending { o.reverse() } else { o }
        }
    }
}

/// The value a resource sorts by, and its definition; `None` when it has none.
fn sort_value<'v, 'a>(doc: &'v Value, t: &Target<'a>) -> Option<(&'v Value, &'a AttributeDef)> {
    let v = attr_value(doc, t)?;
    let elem = match v {
        Value::Array(items) => primary_or_first(items)?,
        other => other,
    };
    let (elem, def) = match t.sub {
        Some(sub) => (elem.as_object().and_then(|o| get_ci(o, &sub.name))?, sub),
        None => (elem, t.attr),
    };
    let (elem, def) = match (def.ty, def.sub("value")) {
        (AttrType::Complex, Some(value_def)) => (elem.as_object().and_then(|o| get_ci(o, &value_def.name))?, value_def),
        _ => (elem, def),
    };
    has_value(elem).then_some((elem, def))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn sorted(docs: &[Value], by: &str, order: SortOrder) -> Vec<usize> {
        let reg = SchemaRegistry::standard();
        let rt = reg.resource_type("User").unwrap();
        let by = AttrPath::parse(by).unwrap();
        let mut idx: Vec<usize> = (0..docs.len()).collect();
        idx.sort_by(|a, b| compare_resources(&docs[*a], &docs[*b], &by, order, &reg, rt));
        idx
    }

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let docs = [json!({"userName": "b"}), json!({}), json!({"userName": "A"}), json!({"userName": ""})];
        assert_eq!(sorted(&docs, "userName", SortOrder::Ascending), [2, 0, 1, 3]);
        assert_eq!(sorted(&docs, "userName", SortOrder::Descending), [0, 2, 1, 3]);
    }

    #[test]
    fn datetimes_sort_as_instants() {
        let docs = [
            json!({"meta": {"created": "2020-01-01T01:00:00+02:00"}}),
            json!({"meta": {"created": "2020-01-01T00:00:00Z"}}),
        ];
        assert_eq!(sorted(&docs, "meta.created", SortOrder::Ascending), [0, 1]);
        assert_eq!(SortOrder::parse("DESCENDING").unwrap(), SortOrder::Descending);
        assert!(SortOrder::parse("up").is_err());
    }

    #[test]
    fn multi_valued_sort_by_primary_else_first() {
        let docs = [
            json!({"emails": [{"value": "z@x"}, {"value": "a@x", "primary": true}]}),
            json!({"emails": [{"value": "m@x"}, {"value": "b@x"}]}),
            json!({"emails": []}),
        ];
        assert_eq!(sorted(&docs, "emails", SortOrder::Ascending), [0, 1, 2]);
        assert_eq!(sorted(&docs, "emails.value", SortOrder::Descending), [1, 0, 2]);
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let mgr = [json!({ext: {"manager": {"value": "b"}}}), json!({ext: {"manager": {"value": "a"}}})];
        assert_eq!(sorted(&mgr, &format!("{ext}:manager"), SortOrder::Ascending), [1, 0]);
    }
}
