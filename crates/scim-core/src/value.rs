//! Typed comparison of JSON attribute values, shared by the filter evaluator
//! and sorting: strings honour `caseExact`, dateTimes compare as instants,
//! numbers numerically, booleans only for equality. PLACEHOLDER.
use std::cmp::Ordering;

use serde_json::Value;

use crate::schema::AttributeDef;

/// Orders two values of the attribute `def` (for `gt/ge/lt/le` and sorting).
/// `None` when they are not comparable (mismatched or unorderable types).
pub fn compare(a: &Value, b: &Value, def: &AttributeDef) -> Option<Ordering> {
    let _ = (a, b, def);
    None
}
