//! Shapes identity providers send: Microsoft Entra (from Microsoft's "Develop
//! and plan provisioning for a SCIM endpoint" tutorial and its known-issues
//! page) and Okta (from Okta's SCIM 2.0 reference).

use serde_json::json;

use super::{ENTERPRISE, changes, fails, full_user, group, minimal_user, parse, run};
use crate::ScimType;
use crate::patch::{MemberChange, split_member_operations};
use crate::test_fixtures::remove;

#[test]
fn entra_capitalised_ops_and_string_booleans() {
    let mut u = minimal_user();
    changes(
        &mut u,
        json!([
            {"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "displayName", "value": "Test User"}
        ]),
    );
    assert_eq!(u["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");
    assert_eq!(u["active"], false);
    assert_eq!(u["displayName"], "Test User");
    changes(&mut u, json!([{"op": "Replace", "value": {"active": "True"}}]));
    assert_eq!(u["active"], true);
}

#[test]
fn entra_no_path_value_object_with_dotted_and_urn_keys() {
    let mut u = minimal_user();
    changes(
        &mut u,
        json!([{"op": "Add", "value": {
            "displayName": "Jane Doe",
            "name.givenName": "Jane",
            "name.familyName": "Doe",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Finance",
            "emails[type eq \"work\"].value": "jane@example.com"
        }}]),
    );
    assert_eq!(u["name"], json!({"givenName": "Jane", "familyName": "Doe"}));
    assert_eq!(u[ENTERPRISE], json!({"department": "Finance"}));
    assert_eq!(u["emails"], json!([{"type": "work", "value": "jane@example.com"}]));
    // The extension now in use is listed in `schemas` (RFC 7643 §3).
    assert_eq!(u["schemas"][1], ENTERPRISE);
    // A whole extension URN as a key, with an object of its attributes.
    changes(&mut u, json!([{"op": "Replace", "value": {ENTERPRISE: {"department": "Sales", "costCenter": "42"}}}]));
    assert_eq!(u[ENTERPRISE], json!({"department": "Sales", "costCenter": "42"}));
}

/// Entra ID's older client sends the manager as a one-element array
/// (Microsoft's published example request): taken as the one value; more
/// than one is refused.
#[test]
fn entra_manager_as_a_one_element_array() {
    let mut u = minimal_user();
    let id = "26118915-6090-4610-87e4-49d8ca9f808d";
    let reference = format!("https://scim.example.com/scim/v2/acme/Users/{id}");
    changes(&mut u, json!([{"op": "Add", "path": "manager", "value": [{"$ref": reference, "value": id}]}]));
    assert_eq!(u[ENTERPRISE]["manager"]["value"], id);
    assert!(!u[ENTERPRISE]["manager"].is_array(), "{}", u[ENTERPRISE]);
    let path = format!("{ENTERPRISE}:manager");
    changes(&mut u, json!([{"op": "Replace", "path": path, "value": [{"value": "m-2"}]}]));
    assert_eq!(u[ENTERPRISE]["manager"]["value"], "m-2");
    let two = json!([{"op": "Replace", "path": path, "value": [{"value": "a"}, {"value": "b"}]}]);
    let err = fails(&u, two, ScimType::InvalidValue);
    assert!(err.detail.contains("manager"), "{}", err.detail);
}

#[test]
fn entra_manager_as_plain_string_is_wrapped() {
    let mut u = minimal_user();
    let path = format!("{ENTERPRISE}:manager");
    changes(&mut u, json!([{"op": "Add", "path": path, "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]));
    assert_eq!(u[ENTERPRISE]["manager"], json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"}));
    // Removing the manager empties the extension, which is then dropped.
    changes(&mut u, json!([{"op": "Remove", "path": path}]));
    assert!(u.get(ENTERPRISE).is_none());
    assert_eq!(u["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User"]));
    // On the full user the server-set manager.displayName survives a new id.
    // (Without the §8.3 manager's `$ref`, which a replace would merge in
    // unchanged: §3.5.2.3 leaves unspecified sub-attributes alone.)
    let mut u = full_user();
    remove(&mut u[ENTERPRISE]["manager"], &["$ref"]);
    changes(&mut u, json!([{"op": "Replace", "path": path, "value": {"value": "abc", "displayName": "ignored"}}]));
    assert_eq!(u[ENTERPRISE]["manager"], json!({"value": "abc", "displayName": "John Smith"}));
}

#[test]
fn entra_work_email_on_user_without_one() {
    let mut u = minimal_user();
    changes(
        &mut u,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"}]),
    );
    assert_eq!(u["emails"], json!([{"type": "work", "value": "updatedEmail@microsoft.com"}]));
    // The second time the filter matches and the value is updated in place.
    changes(
        &mut u,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "second@microsoft.com"}]),
    );
    assert_eq!(u["emails"], json!([{"type": "work", "value": "second@microsoft.com"}]));
}

#[test]
fn entra_members_add_and_remove() {
    let add = json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]}]);
    let mut g = group();
    changes(&mut g, add.clone());
    assert_eq!(g["members"][2], json!({"value": "f648f8d5ea4e4cd38e9c"}));
    let (rest, m) = split_member_operations(parse(add)).unwrap();
    assert!(rest.is_empty());
    assert_eq!(m, vec![MemberChange::Add(vec![json!({"value": "f648f8d5ea4e4cd38e9c"})])]);

    // Remove via a value array: only the named member goes.
    let remove =
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]}]);
    changes(&mut g, remove.clone());
    assert_eq!(g, group());
    let (_, m) = split_member_operations(parse(remove)).unwrap();
    assert_eq!(m, vec![MemberChange::Remove(vec!["f648f8d5ea4e4cd38e9c".to_owned()])]);

    // Remove via a path filter.
    let remove = json!([{"op": "Remove", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"}]);
    changes(&mut g, remove);
    assert_eq!(g["members"].as_array().map(Vec::len), Some(1));
}

#[test]
fn okta_deactivate_user() {
    let mut u = full_user();
    changes(&mut u, json!([{"op": "replace", "value": {"active": false}}]));
    assert_eq!(u["active"], false);
    let mut original = full_user();
    original["active"] = json!(false);
    assert_eq!(u, original);
}

#[test]
fn okta_group_rename_repeats_the_id() {
    let mut g = group();
    let id = g["id"].clone();
    changes(&mut g, json!([{"op": "replace", "value": {"id": id, "displayName": "Test SCIMv2"}}]));
    assert_eq!(g["displayName"], "Test SCIMv2");
    assert_eq!(g["id"], id);
    // A different id is a change to a readOnly attribute.
    let e =
        fails(&group(), json!([{"op": "replace", "value": {"id": "other", "displayName": "X"}}]), ScimType::Mutability);
    assert!(e.detail.contains("operation 0") && e.detail.contains("id"), "{}", e.detail);
}

#[test]
fn okta_members_add_and_remove() {
    let ops = parse(json!([
        {"op": "add", "path": "members", "value": [{"value": "00u1aaaaaa", "display": "user1@example.com"}]},
        {"op": "remove", "path": "members[value eq \"00u2bbbbbb\"]"},
        {"op": "replace", "value": {"id": "abf4dd94", "displayName": "Renamed"}}
    ]));
    let (rest, m) = split_member_operations(ops).unwrap();
    assert_eq!(
        m,
        vec![
            MemberChange::Add(vec![json!({"value": "00u1aaaaaa", "display": "user1@example.com"})]),
            MemberChange::Remove(vec!["00u2bbbbbb".to_owned()]),
        ]
    );
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].value, Some(json!({"id": "abf4dd94", "displayName": "Renamed"})));
    // Applied to the Group document directly, the same add keeps `display`.
    let mut g = group();
    assert_eq!(
        run(
            &mut g,
            json!([{"op": "add", "path": "members", "value": [{"value": "00u1aaaaaa", "display": "user1@example.com"}]}])
        ),
        Ok(true)
    );
    assert_eq!(g["members"][2]["display"], "user1@example.com");
}

// The server re-validates every PATCH result; the IdP shapes above must
// produce documents `resource::prepare` accepts.
#[test]
fn idp_results_pass_resource_validation() {
    use crate::resource::{Mode, prepare};
    use crate::schema::SchemaRegistry;
    let reg = SchemaRegistry::standard();
    let cases = [
        (minimal_user(), json!([{"op": "Replace", "path": "active", "value": "False"}])),
        (
            minimal_user(),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@example.com"}]),
        ),
        (minimal_user(), json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "m-1"}])),
        (
            minimal_user(),
            json!([{"op": "Add", "value": {"name.givenName": "J", format!("{ENTERPRISE}:department"): "F"}}]),
        ),
        (full_user(), json!([{"op": "replace", "value": {"active": false}}])),
        (
            group(),
            json!([{"op": "replace", "value": {"id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "R"}}]),
        ),
    ];
    for (doc, ops) in cases {
        let existing = doc.clone();
        let mut patched = doc;
        run(&mut patched, ops.clone()).unwrap();
        let rt = reg
            .resource_type(if existing["schemas"][0] == crate::schema::GROUP_URN { "Group" } else { "User" })
            .unwrap();
        if let Err(e) = prepare(&patched, Mode::Patched { existing: &existing }, &reg, rt) {
            panic!("{ops} produced a document prepare refuses: {e}\n{patched:#}");
        }
    }
}

// A path naming the whole extension, with a value object that repeats
// `schemas` (seen from clients that copy the resource shape): the `schemas`
// key is not an attribute and is skipped.
#[test]
fn whole_extension_path_ignores_a_repeated_schemas_key() {
    let mut u = minimal_user();
    changes(
        &mut u,
        json!([{"op": "replace", "path": ENTERPRISE, "value": {
            "schemas": [ENTERPRISE],
            "department": "Tour Operations"
        }}]),
    );
    assert_eq!(u[ENTERPRISE], json!({"department": "Tour Operations"}));
    // An unknown key in the same object is still refused.
    fails(&u, json!([{"op": "replace", "path": ENTERPRISE, "value": {"nope": 1}}]), ScimType::InvalidPath);
}
