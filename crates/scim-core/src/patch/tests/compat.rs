//! The two compatibility rules of `multi.rs`, each beside the strict rule it
//! refines, and the documented no-op of an unmatched remove filter.

use serde_json::json;

use super::{changes, fails, full_user, minimal_user, run};
use crate::ScimType;

// Strict: remove without a value removes every value (RFC 7644 §3.5.2.2).
#[test]
fn remove_without_value_removes_all_values() {
    let mut u = full_user();
    changes(&mut u, json!([{"op": "remove", "path": "emails"}]));
    assert!(u.get("emails").is_none());
}

// Compat (a): remove with a value removes only the matching values.
#[test]
fn remove_with_value_removes_only_matching_values() {
    let mut u = full_user();
    changes(&mut u, json!([{"op": "remove", "path": "emails", "value": [{"value": "bjensen@example.com"}]}]));
    assert_eq!(u["emails"], json!([{"value": "babs@jensen.org", "type": "home"}]));
    // A bare string names the `value` sub-attribute.
    let mut u = full_user();
    changes(&mut u, json!([{"op": "remove", "path": "phoneNumbers", "value": "555-555-4444"}]));
    assert_eq!(u["phoneNumbers"], json!([{"value": "555-555-5555", "type": "work"}]));
    // A value matching nothing removes nothing — never everything.
    let mut u = full_user();
    assert_eq!(
        run(&mut u, json!([{"op": "remove", "path": "emails", "value": [{"value": "nobody@example.com"}]}])),
        Ok(false)
    );
    assert_eq!(u, full_user());
}

// Documented: a remove filter that matches nothing is a successful no-op.
#[test]
fn remove_through_unmatched_filter_is_a_no_op() {
    let mut u = full_user();
    assert_eq!(run(&mut u, json!([{"op": "remove", "path": "emails[type eq \"other\"]"}])), Ok(false));
    assert_eq!(u, full_user());
    let mut u = minimal_user();
    assert_eq!(run(&mut u, json!([{"op": "remove", "path": "emails[type eq \"work\"].value"}])), Ok(false));
}

// Compat (b): an eq/and filter matching nothing creates the element.
#[test]
fn eq_filter_matching_nothing_creates_the_element() {
    let mut u = minimal_user();
    changes(
        &mut u,
        json!([{"op": "add", "path": "emails[type eq \"work\" and primary eq true].value", "value": "a@example.com"}]),
    );
    assert_eq!(u["emails"], json!([{"type": "work", "primary": true, "value": "a@example.com"}]));
    let mut u = minimal_user();
    changes(&mut u, json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {"locality": "Paris"}}]));
    assert_eq!(u["addresses"], json!([{"type": "work", "locality": "Paris"}]));
    // Beside the existing home email, a work email is created.
    let mut u = full_user();
    changes(&mut u, json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "o@example.com"}]));
    assert_eq!(u["emails"][2], json!({"type": "other", "value": "o@example.com"}));
}

// Strict: any other unmatched filter on add/replace is noTarget (§3.5.2.3).
#[test]
fn other_unmatched_filters_are_no_target() {
    let u = minimal_user();
    for path in [
        "emails[value co \"@example.com\"].value",
        "emails[type eq \"work\" or type eq \"home\"].value",
        "emails[not (type eq \"work\")].value",
        "emails[type ne \"work\"]",
        "emails[type eq \"work\" and type eq \"home\"].value",
    ] {
        let e = fails(&u, json!([{"op": "replace", "path": path, "value": "x@example.com"}]), ScimType::NoTarget);
        assert!(e.detail.contains("operation 0") && e.detail.contains("emails["), "{}", e.detail);
    }
}
