//! Properties of the filter language (RFC 7644 §3.4.2.2): any text must
//! parse or fail with `400 invalidFilter`, never panic or overflow the stack;
//! whatever parses must print back to text that parses to the same AST; and
//! validation and evaluation against a resource must not panic.
//!
//! Input: the filter text, optionally followed by a NUL byte and a JSON
//! document to evaluate it against (else the full User of RFC 7643 §8.2).
use std::sync::OnceLock;

use scim_core::ScimType;
use scim_core::filter::{matches, parse_filter, validate};
use scim_core::schema::SchemaRegistry;
use serde_json::Value;

/// The full User of RFC 7643 §8.2 (with the §8.3 enterprise extension).
fn rfc7643_user() -> &'static Value {
    static USER: OnceLock<Value> = OnceLock::new();
    USER.get_or_init(|| {
        serde_json::from_str(include_str!("../../testdata/rfc7643-8.2-user.json"))
            .expect("the RFC 7643 §8.2 fixture is JSON")
    })
}

/// Runs one input; panics on a broken property.
pub fn check(data: &[u8]) {
    let (text, doc) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], serde_json::from_slice::<Value>(&data[i + 1..]).ok()),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let filter = match parse_filter(text) {
        Ok(f) => f,
        Err(e) => {
            assert_eq!(e.status, 400);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
            return;
        }
    };
    let printed = filter.to_string();
    assert_eq!(parse_filter(&printed).as_ref(), Ok(&filter), "round trip of {text:?} via {printed:?}");
    let schemas = SchemaRegistry::standard();
    let doc = match &doc {
        Some(d) => d,
        None => rfc7643_user(),
    };
    for rt in schemas.resource_types() {
        let _ = validate(&filter, &schemas, rt);
        let _ = matches(&filter, doc, &schemas, rt);
    }
}
