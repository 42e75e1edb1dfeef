//! Properties of PATCH (RFC 7644 §3.5.2): bytes → JSON → parse_patch_request
//! → apply to a fixed full User (RFC 7643 §8.2/§8.3) and, after
//! split_member_operations, to a Group. Never panics; a failed PATCH leaves
//! the document unchanged; a reported change is a real change.
use std::sync::OnceLock;

use scim_core::patch::{apply, parse_patch_request, split_member_operations};
use scim_core::schema::SchemaRegistry;
use serde_json::{Value, json};

struct Fixture {
    reg: SchemaRegistry,
    user: Value,
    group: Value,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        reg: SchemaRegistry::standard(),
        user: serde_json::from_str(include_str!("../../testdata/rfc7643-8.2-user.json"))
            .expect("the RFC 7643 §8.2 fixture is JSON"),
        group: json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "Tour Guides",
            "members": [{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"}],
            "meta": {"resourceType": "Group"}
        }),
    })
}

/// Applies `ops` to a copy of `doc` as a `rt_name` and checks the outcome.
fn apply_to(doc: &Value, ops: &[scim_core::patch::PatchOperation], rt_name: &str) {
    let f = fixture();
    let Some(rt) = f.reg.resource_type(rt_name) else { return };
    let mut work = doc.clone();
    match apply(&mut work, ops, &f.reg, rt) {
        Err(e) => {
            assert_eq!(&work, doc, "failed PATCH changed the document");
            assert_eq!(e.status, 400);
        }
        Ok(changed) => assert_eq!(changed, work != *doc, "change flag is wrong"),
    }
}

/// Runs one input; panics on a broken property.
pub fn check(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(ops) = parse_patch_request(&body) else { return };
    let f = fixture();
    apply_to(&f.user, &ops, "User");
    if let Ok((rest, _members)) = split_member_operations(ops) {
        apply_to(&f.group, &rest, "Group");
    }
}
