//! Property: a PATCH that fails leaves the resource unchanged, and `apply`
//! reports a change exactly when the document changed.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{ENTERPRISE, body, full_user};
use crate::patch::{apply, parse_patch_request};
use crate::schema::SchemaRegistry;

const PATHS: &[&str] = &[
    "",
    "userName",
    "displayName",
    "active",
    "name",
    "name.givenName",
    "emails",
    "emails[type eq \"work\"].value",
    "emails[type eq \"home\"]",
    "emails[value co \"example\"].primary",
    "emails[type eq \"other\" and primary eq true].value",
    "addresses[type eq \"work\"].streetAddress",
    "phoneNumbers.value",
    "id",
    "meta.version",
    "groups",
    "nope",
    "name[givenName eq \"x\"]",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
];

fn values() -> Vec<Value> {
    vec![
        json!("text"),
        json!("False"),
        json!(true),
        json!(7),
        Value::Null,
        json!([]),
        json!([{"value": "p@example.com", "type": "work", "primary": true}]),
        json!({"givenName": "G", "value": "v"}),
        json!({"displayName": "D", "name.familyName": "F", "active": "True"}),
        json!({ENTERPRISE: {"department": "X"}}),
        json!({"id": "2819c223-7f76-453a-919d-413861904646", "nickName": "N"}),
        json!({"bogus": 1}),
        json!([[1]]),
    ]
}

fn operation() -> impl Strategy<Value = Value> {
    (0..3usize, 0..PATHS.len(), 0..values().len(), any::<bool>()).prop_map(|(k, p, v, with_value)| {
        let mut op = serde_json::Map::new();
        op.insert("op".into(), json!(["add", "remove", "replace"][k]));
        if !PATHS[p].is_empty() {
            op.insert("path".into(), json!(PATHS[p]));
        }
        if with_value || k != 1 {
            op.insert("value".into(), values()[v].clone());
        }
        Value::Object(op)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn failed_patch_leaves_resource_unchanged(ops in prop::collection::vec(operation(), 1..6)) {
        let reg = SchemaRegistry::standard();
        let rt = reg.resource_type("User").cloned().expect("User");
        // Operations that do not even parse are dropped: apply is under test.
        let parsed: Vec<_> = ops
            .into_iter()
            .filter_map(|op| parse_patch_request(&body(json!([op]))).ok())
            .flatten()
            .collect();
        let original = full_user();
        let mut doc = original.clone();
        match apply(&mut doc, &parsed, &reg, &rt) {
            Err(e) => {
                prop_assert_eq!(&doc, &original);
                prop_assert!(e.detail.starts_with("operation "), "{}", e.detail);
            }
            Ok(changed) => prop_assert_eq!(changed, doc != original),
        }
    }
}
