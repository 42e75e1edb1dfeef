//! Tests of the PATCH engine: the RFC 7644 §3.5.2 examples, identity-provider
//! shapes (Entra, Okta), every error, the compatibility rules beside the
//! strict ones, membership splitting, and atomicity as a property.

mod compat;
mod errors;
mod idp;
mod members;
mod parse;
mod prop;
mod rfc;

use serde_json::{Value, json};

use super::{PATCH_OP_URN, PatchOperation, apply, parse_patch_request};
use crate::error::{ScimError, ScimType};
use crate::schema::{GROUP_URN, SchemaRegistry};
// The full User of RFC 7643 §8.2 with the enterprise extension of §8.3, and
// the Group of §8.4.
pub(super) use crate::test_fixtures::{rfc7643_group as group, rfc7643_user as full_user};

pub(super) const BJENSEN: &str = "2819c223-7f76-453a-919d-413861904646";
pub(super) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A freshly provisioned user, as Entra creates it: no work email, no extension.
pub(super) fn minimal_user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "5b50642d-79fc-4410-9e90-4c077cdd1a59",
        "userName": "Test_User_dfeef4c5@testuser.com",
        "active": true,
        "meta": {"resourceType": "User"}
    })
}

pub(super) fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_URN], "Operations": ops})
}

pub(super) fn parse(ops: Value) -> Vec<PatchOperation> {
    match parse_patch_request(&body(ops)) {
        Ok(ops) => ops,
        Err(e) => panic!("request did not parse: {e}"),
    }
}

fn resource_type_of(doc: &Value) -> &'static str {
    let is_group = doc["schemas"].as_array().is_some_and(|s| s.iter().any(|u| u == GROUP_URN));
    if is_group { "Group" } else { "User" }
}

/// Parses `ops` and applies them to `doc`.
pub(super) fn run(doc: &mut Value, ops: Value) -> Result<bool, ScimError> {
    let reg = SchemaRegistry::standard();
    let rt = reg.resource_type(resource_type_of(doc)).cloned().expect("standard resource type");
    apply(doc, &parse(ops), &reg, &rt)
}

/// Runs `ops`, which must fail with `scim_type`, and checks `doc` is untouched.
pub(super) fn fails(doc: &Value, ops: Value, scim_type: ScimType) -> ScimError {
    let mut work = doc.clone();
    let e = run(&mut work, ops).expect_err("the PATCH should fail");
    assert_eq!(e.scim_type, Some(scim_type), "{e}");
    assert_eq!(e.status, 400, "{e}");
    assert_eq!(&work, doc, "a failed PATCH must leave the document unchanged");
    e
}

/// Runs `ops`, which must succeed and change `doc`.
pub(super) fn changes(doc: &mut Value, ops: Value) {
    match run(doc, ops) {
        Ok(changed) => assert!(changed, "the PATCH should change the document"),
        Err(e) => panic!("PATCH failed: {e}"),
    }
}
