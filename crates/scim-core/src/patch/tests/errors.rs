//! Every error PATCH raises while applying: invalidPath, noTarget,
//! invalidValue, mutability. Each also checks the document is unchanged and
//! that the detail names the operation index and path.

use serde_json::json;

use super::{ENTERPRISE, fails, full_user, group, minimal_user, parse};
use crate::ScimType;
use crate::patch::apply;
use crate::schema::{AttributeDef, Mutability, Schema, SchemaRegistry};

#[test]
fn unknown_attributes_are_invalid_path() {
    let u = full_user();
    let e = fails(
        &u,
        json!([{"op": "add", "path": "title", "value": "x"}, {"op": "replace", "path": "favouriteColour", "value": "x"}]),
        ScimType::InvalidPath,
    );
    assert!(e.detail.contains("operation 1") && e.detail.contains("favouriteColour"), "{}", e.detail);
    fails(&u, json!([{"op": "replace", "path": "name.nickname", "value": "x"}]), ScimType::InvalidPath);
    fails(
        &u,
        json!([{"op": "replace", "path": "emails[type eq \"work\"].colour", "value": "x"}]),
        ScimType::InvalidPath,
    );
    fails(&u, json!([{"op": "replace", "path": "urn:example:nope:Thing:attr", "value": "x"}]), ScimType::InvalidPath);
    fails(&u, json!([{"op": "add", "value": {"userName": "x", "nope": 1}}]), ScimType::InvalidPath);
    fails(
        &u,
        json!([{"op": "add", "path": "emails", "value": [{"value": "a@b.c", "colour": "red"}]}]),
        ScimType::InvalidPath,
    );
    // Group members on a User, userName on a Group.
    fails(&u, json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}]), ScimType::InvalidPath);
    fails(&group(), json!([{"op": "replace", "path": "userName", "value": "x"}]), ScimType::InvalidPath);
}

#[test]
fn value_path_on_single_valued_attribute_is_invalid_path() {
    let e = fails(
        &full_user(),
        json!([{"op": "replace", "path": "name[givenName eq \"Barbara\"].givenName", "value": "B"}]),
        ScimType::InvalidPath,
    );
    assert!(e.detail.contains("not multi-valued"), "{}", e.detail);
    fails(&full_user(), json!([{"op": "remove", "path": "userName[value eq \"x\"]"}]), ScimType::InvalidPath);
    // Setting one sub-attribute on every value needs a filter.
    fails(&full_user(), json!([{"op": "replace", "path": "emails.type", "value": "work"}]), ScimType::InvalidPath);
}

#[test]
fn wrong_value_shapes_are_invalid_value() {
    let u = full_user();
    let e = fails(&u, json!([{"op": "replace", "path": "userName", "value": {"a": 1}}]), ScimType::InvalidValue);
    assert!(e.detail.contains("operation 0") && e.detail.contains("userName"), "{}", e.detail);
    fails(&u, json!([{"op": "replace", "path": "name", "value": ["Barbara"]}]), ScimType::InvalidValue);
    fails(&u, json!([{"op": "replace", "path": "name.givenName", "value": {"x": 1}}]), ScimType::InvalidValue);
    // `name` has no `value` sub-attribute to wrap a string in.
    fails(&u, json!([{"op": "replace", "path": "name", "value": "Barbara"}]), ScimType::InvalidValue);
    fails(&u, json!([{"op": "add", "path": "emails", "value": [["nested"]]}]), ScimType::InvalidValue);
    fails(&u, json!([{"op": "replace", "path": ENTERPRISE, "value": "x"}]), ScimType::InvalidValue);
}

#[test]
fn read_only_attributes_are_mutability() {
    let u = full_user();
    let e = fails(&u, json!([{"op": "replace", "path": "id", "value": "other"}]), ScimType::Mutability);
    assert!(e.detail.contains("operation 0") && e.detail.contains("\"id\""), "{}", e.detail);
    fails(&u, json!([{"op": "remove", "path": "id"}]), ScimType::Mutability);
    fails(
        &u,
        json!([{"op": "replace", "path": "meta.lastModified", "value": "2020-01-01T00:00:00Z"}]),
        ScimType::Mutability,
    );
    fails(&u, json!([{"op": "replace", "value": {"meta": {"version": "W/\"1\""}}}]), ScimType::Mutability);
    fails(&u, json!([{"op": "add", "path": "groups", "value": [{"value": "g1"}]}]), ScimType::Mutability);
    fails(
        &u,
        json!([{"op": "remove", "path": "groups[value eq \"e9e30dba-f08f-4109-8486-d5c6a331660a\"]"}]),
        ScimType::Mutability,
    );
    let manager_name = format!("{ENTERPRISE}:manager.displayName");
    fails(&u, json!([{"op": "replace", "path": manager_name, "value": "Jane"}]), ScimType::Mutability);
    // Repeating the current id is accepted (and changes nothing).
    let mut same = full_user();
    let id = same["id"].clone();
    assert_eq!(super::run(&mut same, json!([{"op": "replace", "path": "id", "value": id}])), Ok(false));
}

fn registry_with_immutable_badge() -> SchemaRegistry {
    let mut reg = SchemaRegistry::standard();
    let ext = Schema {
        id: "urn:example:params:scim:schemas:extension:badge:2.0:User".into(),
        name: "Badge".into(),
        description: String::new(),
        attributes: vec![
            AttributeDef::string("badgeId").mutability(Mutability::Immutable),
            AttributeDef::string("colour"),
        ],
    };
    reg.add_extension("User", ext, false).unwrap();
    reg
}

#[test]
fn immutable_attribute_with_a_value_is_mutability() {
    let reg = registry_with_immutable_badge();
    let rt = reg.resource_type("User").cloned().unwrap();
    let path = "urn:example:params:scim:schemas:extension:badge:2.0:User:badgeId";
    // Unset: it may be defined once.
    let mut u = minimal_user();
    assert_eq!(apply(&mut u, &parse(json!([{"op": "add", "path": path, "value": "B-1"}])), &reg, &rt), Ok(true));
    assert_eq!(u["urn:example:params:scim:schemas:extension:badge:2.0:User"]["badgeId"], "B-1");
    // Set: the same value is a no-op, another value or a removal is refused.
    let before = u.clone();
    assert_eq!(apply(&mut u, &parse(json!([{"op": "replace", "path": path, "value": "B-1"}])), &reg, &rt), Ok(false));
    for ops in [
        json!([{"op": "replace", "path": path, "value": "B-2"}]),
        json!([{"op": "remove", "path": path}]),
        json!([{"op": "replace", "value": {"urn:example:params:scim:schemas:extension:badge:2.0:User": {"badgeId": "B-3"}}}]),
        json!([{"op": "remove", "path": "urn:example:params:scim:schemas:extension:badge:2.0:User"}]),
    ] {
        let e = apply(&mut u, &parse(ops), &reg, &rt).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::Mutability), "{e}");
        assert_eq!(u, before);
    }
}

#[test]
fn immutable_member_value_cannot_change() {
    let g = group();
    let path = "members[value eq \"2819c223-7f76-453a-919d-413861904646\"].value";
    fails(&g, json!([{"op": "replace", "path": path, "value": "someone-else"}]), ScimType::Mutability);
    let path = "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]";
    fails(&g, json!([{"op": "replace", "path": path, "value": {"value": "someone-else"}}]), ScimType::Mutability);
}

#[test]
fn later_failure_rolls_back_earlier_operations() {
    let u = full_user();
    let e = fails(
        &u,
        json!([
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "remove", "path": "emails"},
            {"op": "replace", "path": "emails[value co \"nothing\"].value", "value": "x"}
        ]),
        ScimType::NoTarget,
    );
    assert!(e.detail.contains("operation 2"), "{}", e.detail);
}
