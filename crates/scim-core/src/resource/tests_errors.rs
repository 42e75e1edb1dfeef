//! Tests of `prepare` on input that must be refused, each with the status,
//! `scimType` and attribute path of RFC 7644 §3.12.

use serde_json::{Value, json};

use super::tests::{EXT, group, refused, user};
use super::*;
use crate::ScimType::{InvalidSyntax, InvalidValue};
use crate::schema::USER_URN;
use crate::test_fixtures::{rfc7643_group, rfc7643_user};

fn u(extra: Value) -> Value {
    let mut base = json!({"schemas": [USER_URN], "userName": "bjensen"});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[test]
fn body_must_be_an_object() {
    for body in [json!(null), json!([]), json!("x"), json!(1), json!(true)] {
        refused(user(body), InvalidSyntax, "JSON object");
    }
}

#[test]
fn schemas_are_required_and_checked() {
    refused(user(json!({"userName": "a"})), InvalidSyntax, "schemas is required");
    refused(user(json!({"schemas": null, "userName": "a"})), InvalidSyntax, "schemas is required");
    refused(user(json!({"schemas": USER_URN, "userName": "a"})), InvalidSyntax, "array");
    refused(user(json!({"schemas": [1], "userName": "a"})), InvalidSyntax, "schemas[0]");
    refused(user(json!({"schemas": [EXT], "userName": "a"})), InvalidValue, "must contain");
    refused(
        user(json!({"schemas": [USER_URN, "urn:x:y"], "userName": "a", "urn:x:y": {"a": 1}})),
        InvalidValue,
        "urn:x:y",
    );
    // An unknown URN listed without any data is ignored (Entra's legacy
    // group schema URI) and left out of the stored `schemas`.
    let legacy = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
    let p =
        group(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", legacy], "displayName": "g"})).unwrap();
    assert_eq!(p.doc["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:Group"]));
    refused(group(json!({"schemas": [USER_URN], "displayName": "a"})), InvalidValue, "must contain");
}

#[test]
fn unknown_attributes_and_extensions() {
    refused(user(u(json!({"nope": 1, "alsoNope": 2}))), InvalidSyntax, "nope, alsoNope");
    refused(user(u(json!({EXT: {"badAttr": "x"}}))), InvalidSyntax, &format!("{EXT}:badAttr"));
    refused(user(u(json!({"urn:acme:ext:1.0:User": {"a": 1}}))), InvalidValue, "urn:acme:ext:1.0:User");
    refused(user(u(json!({"urn:acme:ext:1.0:User:a": 1}))), InvalidValue, "not a schema extension");
    refused(user(u(json!({"urn:": 1}))), InvalidValue, "not a schema extension");
    refused(user(u(json!({"userName": "a", "USERNAME": "b"}))), InvalidSyntax, "more than once");
    refused(user(u(json!({EXT: "x"}))), InvalidValue, "JSON object");
    // Group has no extensions and no userName.
    refused(
        group(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g", "userName": "x"})),
        InvalidSyntax,
        "userName",
    );
}

#[test]
fn wrong_types_name_the_path() {
    let cases = [
        (json!({"userName": 5}), "userName must be a string"),
        (json!({"active": "yes"}), "active must be a boolean"),
        (json!({"active": 1}), "active must be a boolean"),
        (
            json!({"emails": [{"value": "a"}, {"value": "b", "primary": "maybe"}]}),
            "emails[1].primary must be a boolean",
        ),
        (json!({"name": "Bob"}), "name must be a complex value"),
        (json!({"name": {"givenName": {"deep": {"deeper": 1}}}}), "name.givenName must be a string"),
        (json!({"emails": [["a"]]}), "emails[0] must be a single value"),
        (json!({"emails": ["a@example.com"]}), "emails[0] must be a complex value"),
        (json!({"displayName": ["a"]}), "displayName is single-valued"),
        (json!({"profileUrl": 3}), "profileUrl must be a reference"),
        (json!({"photos": [{"value": false}]}), "photos[0].value must be a reference"),
        (json!({"x509Certificates": [{"value": "not base64!"}]}), "x509Certificates[0].value must be base64"),
        (json!({"x509Certificates": [{"value": 12}]}), "x509Certificates[0].value must be a base64 string"),
        (json!({EXT: {"manager": {"value": 7}}}), &format!("{EXT}:manager.value must be a string")),
        (json!({EXT: {"manager": "boss"}}), &format!("{EXT}:manager must be a complex value")),
        (json!({"externalId": true}), "externalId must be a string"),
    ];
    for (extra, detail) in cases {
        refused(user(u(extra)), InvalidValue, detail);
    }
}

#[test]
fn integer_decimal_and_datetime_types() {
    let mut reg = SchemaRegistry::standard();
    let urn = "urn:example:params:scim:schemas:extension:types:2.0:User";
    let ext = crate::schema::Schema {
        id: urn.into(),
        name: "Types".into(),
        description: "Types".into(),
        attributes: vec![
            AttributeDef::new("n", crate::schema::AttrType::Integer),
            AttributeDef::new("d", crate::schema::AttrType::Decimal),
            AttributeDef::new("t", crate::schema::AttrType::DateTime),
        ],
    };
    reg.add_extension("User", ext, false).unwrap();
    let rt = reg.resource_type("User").unwrap().clone();
    let run =
        |attrs: Value| prepare(&json!({"schemas": [USER_URN], "userName": "a", urn: attrs}), Mode::Create, &reg, &rt);
    let ok = run(json!({"n": 3.0, "d": 2.5, "t": "2008-01-23T04:56:22+01:00"})).unwrap();
    assert_eq!(ok.doc[urn], json!({"n": 3, "d": 2.5, "t": "2008-01-23T04:56:22+01:00"}));
    refused(run(json!({"n": 2.5})), InvalidValue, &format!("{urn}:n must be an integer"));
    refused(run(json!({"n": "3"})), InvalidValue, &format!("{urn}:n must be an integer"));
    refused(run(json!({"n": 1e300})), InvalidValue, &format!("{urn}:n must be an integer"));
    refused(run(json!({"d": "2.5"})), InvalidValue, &format!("{urn}:d must be a decimal"));
    refused(run(json!({"t": "yesterday"})), InvalidValue, &format!("{urn}:t must be an RFC 3339"));
    refused(run(json!({"t": "2008-01-23"})), InvalidValue, &format!("{urn}:t must be an RFC 3339"));
    refused(run(json!({"t": 0})), InvalidValue, &format!("{urn}:t must be a dateTime"));
}

#[test]
fn duplicate_primaries() {
    let emails = json!([{"value": "a", "primary": true}, {"value": "b", "primary": "true"}]);
    refused(user(u(json!({"emails": emails}))), InvalidValue, "emails has 2 values with \"primary\": true");
    let addrs = json!([{"locality": "x", "primary": true}, {"locality": "y", "primary": true}]);
    refused(user(u(json!({"addresses": addrs}))), InvalidValue, "addresses has 2");
    assert!(user(u(json!({"emails": [{"value": "a", "primary": true}, {"value": "b", "primary": false}]}))).is_ok());
}

#[test]
fn required_attributes() {
    refused(user(json!({"schemas": [USER_URN]})), InvalidValue, "userName is required");
    refused(user(json!({"schemas": [USER_URN], "userName": null})), InvalidValue, "userName is required");
    refused(user(json!({"schemas": [USER_URN], "userName": ""})), InvalidValue, "userName must not be empty");
    refused(user(json!({"schemas": [USER_URN], "userName": "  "})), InvalidValue, "userName must not be empty");
    let g = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "members": []});
    refused(group(g), InvalidValue, "displayName is required");
}

#[test]
fn bad_members() {
    let with = |m: Value| {
        let mut g = rfc7643_group();
        g["members"] = m;
        group(g)
    };
    refused(with(json!([{"display": "x"}])), InvalidValue, "members[0].value is required");
    refused(with(json!([{"value": 5}])), InvalidValue, "members[0].value must be a string");
    refused(with(json!([{"value": "a"}, {"value": ""}])), InvalidValue, "members[1].value must not be empty");
    refused(
        with(json!([{"value": "a", "type": "Device"}])),
        InvalidValue,
        "members[0].type must be \"User\" or \"Group\"",
    );
    refused(with(json!([{"value": "a", "type": 1}])), InvalidValue, "members[0].type");
    refused(with(json!([{"value": "a", "display": []}])), InvalidValue, "members[0].display must be a string");
    refused(with(json!([7])), InvalidValue, "members[0] must be an object");
    refused(with(json!([{"value": "x".repeat(MAX_STRING_BYTES + 1)}])), InvalidValue, "members[0].value is");
}

#[test]
fn huge_strings_are_refused_and_not_echoed() {
    let huge = "x".repeat(MAX_STRING_BYTES + 1);
    let e = refused(user(u(json!({"displayName": huge}))), InvalidValue, "displayName is 65537 bytes");
    assert!(e.detail.len() < 200);
    refused(user(u(json!({"emails": [{"value": huge}]}))), InvalidValue, "emails[0].value is");
    let e = refused(user(u(json!({huge.clone(): 1}))), InvalidSyntax, "unknown attribute");
    assert!(e.detail.len() < 300, "unknown names are quoted short");
    assert!(user(u(json!({"displayName": "x".repeat(MAX_STRING_BYTES)}))).is_ok());
}

#[test]
fn nul_characters_are_refused_and_other_control_characters_kept() {
    refused(user(u(json!({"displayName": "a\u{0}b"}))), InvalidValue, "displayName holds the character U+0000");
    refused(user(u(json!({"emails": [{"value": "\u{0}"}]}))), InvalidValue, "emails[0].value holds");
    let members = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g", "members": [{"value": "a", "display": "x\u{0}"}]});
    refused(group(members), InvalidValue, "members[0].display holds");
    let kept =
        user(u(json!({"addresses": [{"formatted": "100 Universal City Plaza\nHollywood, CA\t91608"}]}))).unwrap();
    assert_eq!(kept.doc["addresses"][0]["formatted"], "100 Universal City Plaza\nHollywood, CA\t91608");
}

#[test]
fn deep_nesting_is_refused_or_dropped_without_recursion() {
    let mut deep = json!("leaf");
    for _ in 0..100 {
        deep = json!({"a": [deep]});
    }
    refused(user(u(json!({"displayName": deep.clone()}))), InvalidValue, "displayName must be a string");
    refused(user(u(json!({"emails": [{"value": deep.clone()}]}))), InvalidValue, "emails[0].value must be a string");
    // Unknown sub-attributes are dropped, however deep.
    assert_eq!(user(u(json!({"name": {"x": deep}}))).unwrap().doc.get("name"), None);
}

#[test]
fn password_never_in_doc() {
    let p = user(u(json!({"PassWord": "s3cret"}))).unwrap();
    assert_eq!(p.password.as_deref(), Some("s3cret"));
    assert!(!p.doc.to_string().contains("s3cret"));
    refused(user(u(json!({"password": 1234}))), InvalidValue, "password must be a string");
    let p = user(rfc7643_user()).unwrap();
    assert!(p.doc.get("password").is_none());
}

#[test]
fn multi_valued_attributes_are_capped() {
    let reg = SchemaRegistry::standard();
    let rt = reg.resource_type("User").unwrap();
    let emails: Vec<Value> = (0..1001).map(|i| json!({"value": format!("u{i}@example.com")})).collect();
    let body = json!({"schemas": [USER_URN], "userName": "many", "emails": emails});
    let err = prepare(&body, Mode::Create, &reg, rt).unwrap_err();
    assert_eq!((err.status, err.scim_type), (400, Some(InvalidValue)));
    assert!(err.detail.contains("emails") && err.detail.contains("1000"), "{}", err.detail);
    // The limit is the registry's; a thousand is fine by default.
    let fine = json!({"schemas": [USER_URN], "userName": "many", "emails": &emails[..1000]});
    prepare(&fine, Mode::Create, &reg, rt).unwrap();
    let small = SchemaRegistry::standard().with_max_values(2);
    let rt = small.resource_type("User").unwrap();
    let three = json!({"schemas": [USER_URN], "userName": "p", "phoneNumbers": [{"value": "1"}, {"value": "2"}, {"value": "3"}]});
    let err = prepare(&three, Mode::Create, &small, rt).unwrap_err();
    assert!(err.detail.contains("phoneNumbers has 3 values; at most 2"), "{}", err.detail);
}
