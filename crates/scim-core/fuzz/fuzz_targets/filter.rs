//! Fuzz target for the filter language (RFC 7644 §3.4.2.2): any text must
//! parse or fail with `400 invalidFilter`, never panic or overflow the stack;
//! whatever parses must print back to text that parses to the same AST; and
//! validation and evaluation against a resource must not panic.
//!
//! Input: the filter text, optionally followed by a NUL byte and a JSON
//! document to evaluate it against (else a fixed User).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_core::ScimType;
use scim_core::filter::{matches, parse_filter, validate};
use scim_core::schema::SchemaRegistry;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
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
    let doc = doc.unwrap_or_else(|| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen@example.com",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "active": true,
            "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"}
        })
    });
    for rt in schemas.resource_types() {
        let _ = validate(&filter, &schemas, rt);
        let _ = matches(&filter, &doc, &schemas, rt);
    }
});
