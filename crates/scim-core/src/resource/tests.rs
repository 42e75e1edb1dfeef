//! Tests of `prepare` on valid input: the RFC 7643 §8 examples, name and URN
//! handling, coercions, and the Replace/Patched mutability rules.

use serde_json::{Value, json};

use super::*;
use crate::ScimType;
use crate::schema::{ENTERPRISE_USER_URN, USER_URN};
use crate::test_fixtures::{rfc7643_group, rfc7643_user};

pub(super) const EXT: &str = ENTERPRISE_USER_URN;

pub(super) fn prep(rt: &str, input: Value, mode: Mode<'_>) -> Result<Prepared, ScimError> {
    let reg = SchemaRegistry::standard();
    let rt = reg.resource_type(rt).unwrap().clone();
    prepare(&input, mode, &reg, &rt)
}

pub(super) fn user(input: Value) -> Result<Prepared, ScimError> {
    prep("User", input, Mode::Create)
}

pub(super) fn group(input: Value) -> Result<Prepared, ScimError> {
    prep("Group", input, Mode::Create)
}

/// The error of an input that must be refused, checked for its status,
/// scimType and a fragment of its detail.
pub(super) fn refused(r: Result<Prepared, ScimError>, ty: ScimType, detail_has: &str) -> ScimError {
    let e = r.expect_err("input must be refused");
    assert_eq!(e.status, 400, "{e}");
    assert_eq!(e.scim_type, Some(ty), "{e}");
    assert!(e.detail.contains(detail_has), "detail {:?} lacks {:?}", e.detail, detail_has);
    e
}

fn rfc_8_1_minimal_user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff590\"",
            "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
        }
    })
}

#[test]
fn rfc_minimal_user_drops_id_and_meta() {
    let p = user(rfc_8_1_minimal_user()).unwrap();
    assert_eq!(p.doc, json!({"schemas": [USER_URN], "userName": "bjensen@example.com"}));
    assert_eq!((p.members, p.password), (None, None));
}

#[test]
fn rfc_full_enterprise_user() {
    let input = rfc7643_user();
    let p = user(input.clone()).unwrap();
    let doc = p.doc.as_object().unwrap();
    assert_eq!(p.doc["schemas"], json!([USER_URN, EXT]));
    assert_eq!(p.password.as_deref(), Some("t1meMa$heen"));
    for gone in ["id", "meta", "groups", "password"] {
        assert!(!doc.contains_key(gone), "{gone} must not be stored");
    }
    assert!(!p.doc.to_string().contains("t1meMa$heen"));
    for kept in ["externalId", "name", "emails", "addresses", "phoneNumbers", "ims", "photos", "x509Certificates"] {
        assert_eq!(p.doc[kept], input[kept], "{kept}");
    }
    assert_eq!(p.doc["active"], true);
    // manager.displayName is read-only: the server fills it in.
    assert_eq!(
        p.doc[EXT]["manager"],
        json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"})
    );
    assert_eq!(p.doc[EXT]["employeeNumber"], "701984");
    // Output is in schema order: schemas, common, core, extensions.
    let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
    assert_eq!(keys[..3], ["schemas", "externalId", "userName"]);
    assert_eq!(keys.last(), Some(&EXT));
    // Prepared output is a fixed point.
    assert_eq!(user(p.doc.clone()).unwrap().doc, p.doc);
}

#[test]
fn rfc_group_takes_members_out() {
    let p = group(rfc7643_group()).unwrap();
    assert_eq!(p.doc, json!({"schemas": [crate::schema::GROUP_URN], "displayName": "Tour Guides"}));
    let members = p.members.unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0], json!({"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"}));
}

#[test]
fn group_members_forms() {
    let base = |m: Value| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": m});
    let no_members = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G"});
    assert_eq!(group(no_members).unwrap().members, None);
    assert_eq!(group(base(json!(null))).unwrap().members, Some(vec![]));
    assert_eq!(group(base(json!([]))).unwrap().members, Some(vec![]));
    let m = group(base(json!(["u1", {"VALUE": "g1", "Type": "group", "extra": 1}, {"value": "u1"}, null])))
        .unwrap()
        .members
        .unwrap();
    assert_eq!(m, vec![json!({"value": "u1"}), json!({"value": "g1", "type": "Group"})]);
    let single = group(base(json!({"value": "u2", "type": "USER"}))).unwrap().members.unwrap();
    assert_eq!(single, vec![json!({"value": "u2", "type": "User"})]);
}

#[test]
fn names_are_case_insensitive_and_canonicalised() {
    let p = user(json!({
        "SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
        "USERNAME": "bob",
        "Name": {"GIVENNAME": "Bob", "nickname-of-vendor": "x"},
        "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User": {"EmployeeNumber": "7"}
    }))
    .unwrap();
    assert_eq!(
        p.doc,
        json!({"schemas": [USER_URN, EXT], "userName": "bob", "name": {"givenName": "Bob"}, EXT: {"employeeNumber": "7"}})
    );
}

#[test]
fn fully_qualified_and_core_urn_keys() {
    let p = user(json!({
        "schemas": [USER_URN, EXT],
        "urn:ietf:params:scim:schemas:core:2.0:User": {"userName": "bob"},
        "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName": "Builder",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m1",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"}
    }))
    .unwrap();
    assert_eq!(p.doc["userName"], "bob");
    assert_eq!(p.doc["name"], json!({"familyName": "Builder"}));
    assert_eq!(p.doc[EXT], json!({"employeeNumber": "42", "department": "Ops", "manager": {"value": "m1"}}));
}

#[test]
fn schemas_lists_only_extensions_with_content() {
    let p =
        user(json!({"schemas": [USER_URN, EXT], "userName": "a", EXT: {"manager": {}, "costCenter": null}})).unwrap();
    assert_eq!(p.doc, json!({"schemas": [USER_URN], "userName": "a"}));
    // Extension data without the URN in `schemas` is accepted (lenient) and listed.
    let p = user(json!({"schemas": [USER_URN], "userName": "a", EXT: {"costCenter": "9"}})).unwrap();
    assert_eq!(p.doc["schemas"], json!([USER_URN, EXT]));
}

#[test]
fn lenient_coercions() {
    let p = user(json!({
        "schemas": [USER_URN],
        "userName": "a",
        "active": "False",
        "emails": {"value": "a@example.com", "primary": "TRUE"},
        "roles": [null, {"value": "admin"}, {}],
        "phoneNumbers": [],
        "title": null,
        "x509Certificates": [{"value": "YWJj"}, {"value": "YQ"}]
    }))
    .unwrap();
    assert_eq!(p.doc["active"], false);
    assert_eq!(p.doc["emails"], json!([{"value": "a@example.com", "primary": true}]));
    assert_eq!(p.doc["roles"], json!([{"value": "admin"}]));
    let doc = p.doc.as_object().unwrap();
    assert!(!doc.contains_key("phoneNumbers") && !doc.contains_key("title"));
}

#[test]
fn replace_ignores_the_read_only_id() {
    let existing = json!({"id": "abc", "schemas": [USER_URN], "userName": "a"});
    let body = |id: &str| json!({"schemas": [USER_URN], "id": id, "userName": "a2"});
    let p = prep("User", body("abc"), Mode::Replace { existing: &existing }).unwrap();
    assert_eq!(p.doc, json!({"schemas": [USER_URN], "userName": "a2"}));
    // RFC 7644 §3.5.1: readOnly values in the body are ignored, even an id
    // that is not the resource's (the URL names the resource).
    let p = prep("User", body("xyz"), Mode::Replace { existing: &existing }).unwrap();
    assert_eq!(p.doc, json!({"schemas": [USER_URN], "userName": "a2"}));
    // On create the id is ignored whatever it is.
    assert!(user(body("xyz")).is_ok());
}

#[test]
fn immutable_attributes_keep_their_value() {
    let mut reg = SchemaRegistry::standard();
    let urn = "urn:example:params:scim:schemas:extension:acme:2.0:User";
    let ext = crate::schema::Schema {
        id: urn.into(),
        name: "Acme".into(),
        description: "Acme".into(),
        attributes: vec![
            AttributeDef::string("badge").mutability(Mutability::Immutable),
            AttributeDef::string("pin").mutability(Mutability::WriteOnly).returned(crate::schema::Returned::Never),
        ],
    };
    reg.add_extension("User", ext, false).unwrap();
    let rt = reg.resource_type("User").unwrap().clone();
    let existing = json!({"id": "1", "schemas": [USER_URN, urn], "userName": "a", urn: {"badge": "B1"}});
    let put = |badge: Value| {
        let body = json!({"schemas": [USER_URN, urn], "userName": "a", urn: {"badge": badge, "pin": "1234"}});
        prepare(&body, Mode::Replace { existing: &existing }, &reg, &rt)
    };
    assert_eq!(put(json!("b1")).unwrap().doc[urn], json!({"badge": "b1"}));
    // Left out: kept. Changed: refused.
    assert_eq!(put(Value::Null).unwrap().doc[urn], json!({"badge": "B1"}));
    refused(put(json!("B2")), ScimType::Mutability, &format!("{urn}:badge"));
    // First assignment on create or when unset is fine; writeOnly never stored.
    let created = prepare(
        &json!({"schemas": [USER_URN, urn], "userName": "a", urn: {"badge": "B9", "pin": "1"}}),
        Mode::Create,
        &reg,
        &rt,
    )
    .unwrap();
    assert_eq!(created.doc[urn], json!({"badge": "B9"}));
}

#[test]
fn compose_puts_schemas_and_id_first_and_meta_last() {
    let meta = Meta {
        resource_type: "User".into(),
        created: time::macros::datetime!(2026-01-02 03:04:05.678 UTC),
        last_modified: time::macros::datetime!(2026-01-02 03:04:05.678 UTC),
        location: Some("https://x/Users/1".into()),
        version: "W/\"3\"".into(),
    };
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    // The stored order, and a document whose `schemas` is not first and
    // which carries stale `id` and `meta` (they are replaced, not kept).
    let stored = json!({"schemas": [USER_URN], "userName": "a", "active": true});
    let out = compose(stored, "1", &meta);
    assert_eq!(keys(&out), ["schemas", "id", "userName", "active", "meta"]);
    let odd = json!({"userName": "a", "id": "old", "meta": {"version": "x"}, "schemas": [USER_URN], "active": true});
    let out = compose(odd, "1", &meta);
    assert_eq!(keys(&out), ["schemas", "id", "userName", "active", "meta"]);
    assert_eq!(out["id"], "1");
    assert_eq!(out["meta"]["version"], "W/\"3\"");
    assert_eq!(out["meta"]["created"], "2026-01-02T03:04:05.678Z");
    let bare = compose(json!({"userName": "a"}), "1", &meta);
    assert_eq!(keys(&bare), ["id", "userName", "meta"]);
}
