//! Projection tests: `attributes`, `excludedAttributes`, sub-attribute paths,
//! schema URNs and the `returned` characteristics.

use serde_json::{Value, json};

use super::*;
use crate::ScimType;
use crate::schema::{ENTERPRISE_USER_URN as EXT, GROUP_URN, USER_URN};
use crate::test_fixtures::{remove, rfc7643_user as full_user};

const ID: &str = "2819c223-7f76-453a-919d-413861904646";

fn run(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let reg = SchemaRegistry::standard();
    let rt = reg.resource_type("User").unwrap();
    Projection::parse(attributes, excluded).unwrap().apply(full_user(), &reg, rt)
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn default_returns_everything_but_never() {
    let out = run(None, None);
    let mut expected = full_user();
    expected.as_object_mut().unwrap().remove("password");
    assert_eq!(out, expected);
}

#[test]
fn attributes_keep_named_plus_always() {
    let out = run(Some("userName, name.givenName"), None);
    assert_eq!(keys(&out), ["schemas", "id", "userName", "name"]);
    assert_eq!(out["name"], json!({"givenName": "Barbara"}));
    // Case-insensitive names; password never, even when asked for.
    let out = run(Some("EMAILS.VALUE,password"), None);
    assert_eq!(out["emails"], json!([{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]));
    assert!(out.get("password").is_none());
    assert_eq!(keys(&run(Some("meta.location"), None)), ["schemas", "id", "meta"]);
}

#[test]
fn attributes_with_extension_paths() {
    let out = run(Some(EXT), None);
    assert_eq!(keys(&out), ["schemas", "id", EXT]);
    assert_eq!(out[EXT], full_user()[EXT]);
    let out = run(Some(&format!("{EXT}:manager.value")), None);
    assert_eq!(out[EXT], json!({"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}));
    let out = run(Some(&format!("{EXT}:employeeNumber")), None);
    assert_eq!(out[EXT], json!({"employeeNumber": "701984"}));
    let out = run(Some(&format!("{USER_URN}:userName")), None);
    assert_eq!(keys(&out), ["schemas", "id", "userName"]);
    // The core URN names every core attribute.
    let out = run(Some(USER_URN), None);
    assert!(out.get("emails").is_some() && out.get(EXT).is_none() && out.get("password").is_none());
}

#[test]
fn excluded_removes_all_but_always() {
    let out = run(None, Some("emails,id,meta,name.familyName"));
    assert!(out.get("emails").is_none() && out.get("meta").is_none());
    assert_eq!(out["id"], ID, "id is returned: always");
    let mut name = full_user()["name"].clone();
    remove(&mut name, &["familyName"]);
    assert_eq!(out["name"], name);
    let out = run(None, Some(EXT));
    assert!(out.get(EXT).is_none());
    let out = run(None, Some(&format!("{EXT}:manager")));
    let mut ext = full_user()[EXT].clone();
    remove(&mut ext, &["manager"]);
    assert_eq!(out[EXT], ext);
    let out = run(None, Some("groups,emails.type"));
    assert!(out.get("groups").is_none());
    assert_eq!(out["emails"][0], json!({"value": "bjensen@example.com", "primary": true}));
}

#[test]
fn attributes_win_over_excluded() {
    assert_eq!(run(Some("userName"), Some("userName")), run(Some("userName"), None));
    assert_eq!(keys(&run(Some("userName"), Some("userName"))), ["schemas", "id", "userName"]);
}

#[test]
fn unknown_names_are_ignored() {
    assert_eq!(run(Some("nope,members,urn:x:y:z"), None), json!({"schemas": [USER_URN, EXT], "id": ID}));
    assert_eq!(run(None, Some("nope")), run(None, None));
}

#[test]
fn returned_request_only_when_named() {
    let mut reg = SchemaRegistry::standard();
    let urn = "urn:example:params:scim:schemas:extension:acme:2.0:User";
    let ext = Schema {
        id: urn.into(),
        name: "Acme".into(),
        description: "Acme".into(),
        attributes: vec![AttributeDef::string("secretish").returned(Returned::Request), AttributeDef::string("open")],
    };
    reg.add_extension("User", ext, false).unwrap();
    let rt = reg.resource_type("User").unwrap();
    let doc = json!({"schemas": [USER_URN, urn], "id": "1", "userName": "a", urn: {"secretish": "s", "open": "o"}});
    let apply = |a: Option<&str>, e: Option<&str>| Projection::parse(a, e).unwrap().apply(doc.clone(), &reg, rt);
    assert_eq!(apply(None, None)[urn], json!({"open": "o"}));
    assert_eq!(apply(None, Some("userName"))[urn], json!({"open": "o"}));
    assert_eq!(apply(Some(&format!("{urn}:secretish")), None)[urn], json!({"secretish": "s"}));
    assert_eq!(apply(Some(urn), None)[urn], json!({"secretish": "s", "open": "o"}));
}

#[test]
fn parse_errors_name_the_entry() {
    let e = Projection::parse(Some("userName, bad name"), None).unwrap_err();
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
    assert!(e.detail.contains("attributes: \"bad name\""), "{}", e.detail);
    let e = Projection::parse(None, Some("a.b.c")).unwrap_err();
    assert!(e.detail.contains("excludedAttributes: \"a.b.c\""), "{}", e.detail);
    let e = Projection::parse(Some("é€xyz"), None).unwrap_err();
    assert!(e.detail.contains("é€xyz"), "{}", e.detail);
    let many = vec!["a"; MAX_NAMES + 1].join(",");
    assert!(Projection::parse(Some(&many), None).is_err());
    let p = Projection::parse(Some(" userName ,, name.givenName,"), Some("")).unwrap();
    assert_eq!(p.attributes, vec![AttrPath::simple("userName"), AttrPath::with_sub("name", "givenName")]);
    assert!(p.excluded.is_empty());
}

#[test]
fn includes_tells_what_to_load() {
    let reg = SchemaRegistry::standard();
    let group = reg.resource_type("Group").unwrap();
    let user = reg.resource_type("User").unwrap();
    let p = |a: Option<&str>, e: Option<&str>| Projection::parse(a, e).unwrap();
    assert!(p(None, None).includes("members", &reg, group));
    assert!(!p(None, Some("members")).includes("members", &reg, group));
    assert!(!p(Some("displayName"), None).includes("members", &reg, group));
    assert!(p(Some("members.value"), None).includes("MEMBERS", &reg, group));
    assert!(p(Some(GROUP_URN), None).includes("members", &reg, group));
    assert!(p(Some("userName"), None).includes("id", &reg, user));
    assert!(!p(None, None).includes("password", &reg, user));
    assert!(!p(None, None).includes("nope", &reg, user));
    assert!(p(None, Some("emails")).includes("groups", &reg, user));
}
