//! Typed comparison of JSON attribute values (RFC 7643 §2.3 data types),
//! shared by the filter evaluator (RFC 7644 §3.4.2.2) and sorting
//! (§3.4.2.3): strings honour `caseExact`, dateTimes compare as instants,
//! integers and decimals numerically, booleans false < true (filters only
//! use them for equality).

use std::cmp::Ordering;

use serde_json::{Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::schema::{AttrType, AttributeDef};

/// Orders two values of the attribute `def` (for `gt/ge/lt/le` and sorting).
/// `None` when they are not comparable (mismatched or unorderable types).
pub fn compare(a: &Value, b: &Value, def: &AttributeDef) -> Option<Ordering> {
    match def.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            Some(compare_str(a.as_str()?, b.as_str()?, def.case_exact || def.ty == AttrType::Binary))
        }
        AttrType::Boolean => Some(a.as_bool()?.cmp(&b.as_bool()?)),
        AttrType::Integer | AttrType::Decimal => compare_numbers(a.as_number()?, b.as_number()?),
        AttrType::DateTime => Some(parse_datetime(a.as_str()?)?.cmp(&parse_datetime(b.as_str()?)?)),
        AttrType::Complex => {
            // A complex value orders by its `value` sub-attribute, the
            // RFC 7643 §2.4 convention for multi-valued attributes.
            let sub = def.sub("value")?;
            let get = |v: &'_ Value| v.as_object().and_then(|o| o.get(&sub.name)).cloned();
            compare(&get(a)?, &get(b)?, sub)
        }
    }
}

/// True when `a` and `b` are the same value of `def` (`eq`).
pub fn equals(a: &Value, b: &Value, def: &AttributeDef) -> bool {
    compare(a, b, def) == Some(Ordering::Equal)
}

/// Orders two strings, case-insensitively unless `case_exact`. Case folding
/// is Unicode lower-casing, so `Ä` and `ä` are equal.
pub fn compare_str(a: &str, b: &str, case_exact: bool) -> Ordering {
    if case_exact {
        a.cmp(b)
    } else {
        a.chars().flat_map(char::to_lowercase).cmp(b.chars().flat_map(char::to_lowercase))
    }
}

/// `s` as compared when not case-exact (for `co`/`sw`/`ew`).
pub fn fold_case(s: &str, case_exact: bool) -> std::borrow::Cow<'_, str> {
    if case_exact { std::borrow::Cow::Borrowed(s) } else { std::borrow::Cow::Owned(s.to_lowercase()) }
}

/// RFC 7643 §2.5: unassigned, null, "" and [] are all "no value"; an object
/// has a value when one of its members does (RFC 7644 `pr`: "a non-empty
/// node for complex attributes").
pub fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(has_value),
        Value::Object(o) => o.values().any(has_value),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Case folding as [`compare_str`] does it when not case-exact: Unicode
/// lower-casing char by char. What a store keeps in its folded index
/// columns, and every literal compared with them, goes through this one
/// function.
pub fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The element a multi-valued attribute is represented by when one value
/// is needed (sorting, RFC 7644 §3.4.2.3; a store's sort column): the one
/// marked `primary`, else the first that has a value.
pub fn primary_or_first(items: &[Value]) -> Option<&Value> {
    items
        .iter()
        .find(|e| e.as_object().and_then(|o| crate::filter::resolve::get_ci(o, "primary")) == Some(&Value::Bool(true)))
        .or_else(|| items.iter().find(|e| has_value(e)))
}

/// Numeric order; integers exactly (through i128), anything else as f64.
pub fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from));
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// Parses an RFC 3339 / xsd:dateTime value with an offset (RFC 7643 §2.3.5).
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_honour_case_exact() {
        let ci = AttributeDef::string("userName");
        let ce = AttributeDef::string("externalId").case_exact();
        assert!(equals(&json!("BJensen"), &json!("bjensen"), &ci));
        assert!(!equals(&json!("BJensen"), &json!("bjensen"), &ce));
        assert_eq!(compare(&json!("a"), &json!("B"), &ci), Some(Ordering::Less));
        assert_eq!(compare(&json!("a"), &json!("B"), &ce), Some(Ordering::Greater));
        assert!(equals(&json!("ÄRGER"), &json!("ärger"), &ci));
    }

    #[test]
    fn datetimes_compare_as_instants() {
        let d = AttributeDef::new("lastModified", AttrType::DateTime);
        assert!(equals(&json!("2011-05-13T04:42:34Z"), &json!("2011-05-13T06:42:34+02:00"), &d));
        assert_eq!(compare(&json!("2011-05-13T04:42:34Z"), &json!("2011-05-13T04:42:35.5Z"), &d), Some(Ordering::Less));
        assert_eq!(compare(&json!("yesterday"), &json!("2011-05-13T04:42:34Z"), &d), None);
    }

    #[test]
    fn numbers_compare_numerically_and_mismatches_are_none() {
        let i = AttributeDef::new("n", AttrType::Integer);
        let dec = AttributeDef::new("d", AttrType::Decimal);
        assert_eq!(compare(&json!(10), &json!(9), &i), Some(Ordering::Greater));
        assert_eq!(compare(&json!(u64::MAX), &json!(-1), &i), Some(Ordering::Greater));
        assert!(equals(&json!(1.0), &json!(1), &dec));
        assert_eq!(compare(&json!("10"), &json!(9), &i), None);
        let b = AttributeDef::boolean("active");
        assert!(equals(&json!(true), &json!(true), &b));
        assert_eq!(compare(&json!(true), &json!("true"), &b), None);
    }

    #[test]
    fn complex_values_compare_by_value() {
        let emails = AttributeDef::complex("emails", vec![AttributeDef::string("value")]).multi();
        assert!(equals(&json!({"value": "A@x"}), &json!({"value": "a@x"}), &emails));
        assert_eq!(compare(&json!({"type": "work"}), &json!({"value": "a"}), &emails), None);
    }
}
