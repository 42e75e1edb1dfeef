//! `parse_patch_request` and `parse_patch_path`: message structure, letter
//! case, and every parse-time error.

use serde_json::json;

use super::body;
use crate::ScimType;
use crate::patch::{PATCH_OP_URN, PatchOpKind, parse_patch_path, parse_patch_request};

fn parse_err(b: serde_json::Value, scim_type: ScimType) -> String {
    let e = parse_patch_request(&b).unwrap_err();
    assert_eq!((e.status, e.scim_type), (400, Some(scim_type)), "{e}");
    e.detail
}

#[test]
fn accepts_any_case_of_ops_and_member_names() {
    let b = json!({
        "SCHEMAS": ["URN:ietf:params:scim:api:messages:2.0:patchop"],
        "operations": [
            {"op": "Replace", "path": "active", "value": false},
            {"OP": "ADD", "Path": "emails", "Value": [{"value": "a@b.c"}]},
            {"op": "remove", "path": "nickName"},
            {"op": "replace", "path": null, "value": {"title": "x"}}
        ]
    });
    let ops = parse_patch_request(&b).unwrap();
    let kinds: Vec<PatchOpKind> = ops.iter().map(|o| o.op).collect();
    assert_eq!(kinds, [PatchOpKind::Replace, PatchOpKind::Add, PatchOpKind::Remove, PatchOpKind::Replace]);
    assert_eq!(ops[1].value, Some(json!([{"value": "a@b.c"}])));
    assert_eq!(ops[1].path.as_ref().map(|p| p.attr.attr.as_str()), Some("emails"));
    assert!(ops[3].path.is_none());
}

#[test]
fn parses_value_paths() {
    let p = parse_patch_path("emails[type eq \"work\"].value").unwrap();
    assert_eq!(p.attr.attr, "emails");
    assert!(p.filter.is_some());
    assert_eq!(p.sub_attr.as_deref(), Some("value"));
    // A "]" inside a string does not close the filter.
    let p = parse_patch_path("emails[value eq \"a]b\"]").unwrap();
    assert!(p.filter.is_some() && p.sub_attr.is_none());
    let p = parse_patch_path("urn:ietf:params:scim:schemas:core:2.0:User:addresses[type eq \"work\"].streetAddress")
        .unwrap();
    assert_eq!(p.attr.urn.as_deref(), Some("urn:ietf:params:scim:schemas:core:2.0:User"));
    assert_eq!(p.sub_attr.as_deref(), Some("streetAddress"));
    let p = parse_patch_path("name.givenName").unwrap();
    assert_eq!((p.attr.sub_attr.as_deref(), p.filter.is_none()), (Some("givenName"), true));
}

#[test]
fn malformed_paths_are_invalid_path() {
    for bad in [
        "",
        "a.b.c",
        "emails[type eq \"work\"",
        "emails[type eq \"work\"]value",
        "emails[type eq \"work\"].value.x",
        "emails[type zz \"work\"]",
        "emails[]",
        "name.givenName[type eq \"x\"]",
        "1emails",
        // Found by the fuzzer: a multi-byte character across byte 4.
        "abc\u{316}def",
        "urn\u{316}:x",
    ] {
        let e = parse_patch_path(bad).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{bad}: {e}");
        let d = parse_err(
            body(json!([{"op": "remove", "path": "title"}, {"op": "remove", "path": bad}])),
            ScimType::InvalidPath,
        );
        assert!(d.contains("operation 1"), "{d}");
    }
    let d = parse_err(body(json!([{"op": "replace", "path": 7, "value": 1}])), ScimType::InvalidPath);
    assert!(d.contains("operation 0"), "{d}");
}

#[test]
fn message_structure_errors_are_invalid_syntax() {
    let ops = json!([{"op": "remove", "path": "title"}]);
    parse_err(json!({"Operations": ops}), ScimType::InvalidSyntax);
    parse_err(
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": ops}),
        ScimType::InvalidSyntax,
    );
    parse_err(json!({"schemas": PATCH_OP_URN, "Operations": ops}), ScimType::InvalidSyntax);
    parse_err(json!({"schemas": [PATCH_OP_URN]}), ScimType::InvalidSyntax);
    parse_err(json!({"schemas": [PATCH_OP_URN], "Operations": []}), ScimType::InvalidSyntax);
    parse_err(json!({"schemas": [PATCH_OP_URN], "Operations": {"op": "add"}}), ScimType::InvalidSyntax);
    parse_err(json!([1, 2]), ScimType::InvalidSyntax);
    let d = parse_err(
        body(json!([{"op": "remove", "path": "title"}, {"op": "move", "path": "title"}])),
        ScimType::InvalidSyntax,
    );
    assert!(d.contains("operation 1") && d.contains("move"), "{d}");
    parse_err(body(json!([{"op": 1, "path": "title"}])), ScimType::InvalidSyntax);
    parse_err(body(json!([{"path": "title"}])), ScimType::InvalidSyntax);
    parse_err(body(json!(["add"])), ScimType::InvalidSyntax);
    let many: Vec<_> = (0..10_001).map(|_| json!({"op": "remove", "path": "title"})).collect();
    let d = parse_err(body(json!(many)), ScimType::InvalidSyntax);
    assert!(d.contains("10000"), "{d}");
    let ok: Vec<_> = (0..10_000).map(|_| json!({"op": "remove", "path": "title"})).collect();
    assert_eq!(parse_patch_request(&body(json!(ok))).map(|o| o.len()), Ok(10_000));
}

#[test]
fn missing_value_and_missing_remove_path() {
    // RFC 7644 §3.12 Table 9: invalidValue is "A required value was missing".
    let d = parse_err(body(json!([{"op": "add", "path": "title"}])), ScimType::InvalidValue);
    assert!(d.contains("operation 0"), "{d}");
    parse_err(body(json!([{"op": "replace"}])), ScimType::InvalidValue);
    parse_err(body(json!([{"op": "add", "value": "x"}])), ScimType::InvalidValue);
    parse_err(body(json!([{"op": "replace", "value": [{"title": "x"}]}])), ScimType::InvalidValue);
    // RFC 7644 §3.5.2.2: remove without a path is noTarget.
    let d = parse_err(body(json!([{"op": "remove", "value": {"title": "x"}}])), ScimType::NoTarget);
    assert!(d.contains("operation 0"), "{d}");
    // `"value": null` is a value (unassign), not a missing one.
    assert!(parse_patch_request(&body(json!([{"op": "replace", "path": "title", "value": null}]))).is_ok());
}
