//! `split_member_operations`: every `MemberChange` and its errors.

use serde_json::json;

use super::parse;
use crate::ScimType;
use crate::patch::{MemberChange, PatchOpKind, split_member_operations};

fn split(ops: serde_json::Value) -> (Vec<crate::patch::PatchOperation>, Vec<MemberChange>) {
    match split_member_operations(parse(ops)) {
        Ok(r) => r,
        Err(e) => panic!("split failed: {e}"),
    }
}

#[test]
fn path_operations_become_member_changes() {
    let (rest, m) = split(json!([
        {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members", "value": {"Value": "a", "display": "A"}},
        {"op": "add", "path": "Members", "value": "b"},
        {"op": "replace", "path": "members", "value": [{"value": "c"}]},
        {"op": "replace", "path": "members", "value": []},
        {"op": "remove", "path": "members", "value": {"value": "a"}},
        {"op": "remove", "path": "members", "value": ["b", {"value": "c"}]},
        {"op": "remove", "path": "members[value eq \"x\" or value eq \"y\"]"},
        {"op": "remove", "path": "members[type eq \"Group\"]"},
        {"op": "replace", "path": "displayName", "value": "G"}
    ]));
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].value, Some(json!("G")));
    assert_eq!(m.len(), 8);
    assert_eq!(m[0], MemberChange::Add(vec![json!({"value": "a", "display": "A"})]));
    assert_eq!(m[1], MemberChange::Add(vec![json!({"value": "b"})]));
    assert_eq!(m[2], MemberChange::ReplaceAll(vec![json!({"value": "c"})]));
    assert_eq!(m[3], MemberChange::ReplaceAll(vec![]));
    assert_eq!(m[4], MemberChange::Remove(vec!["a".to_owned()]));
    assert_eq!(m[5], MemberChange::Remove(vec!["b".to_owned(), "c".to_owned()]));
    assert_eq!(m[6], MemberChange::Remove(vec!["x".to_owned(), "y".to_owned()]));
    assert!(matches!(&m[7], MemberChange::RemoveMatching(_)));
}

#[test]
fn no_path_value_objects_are_split() {
    let (rest, m) = split(json!([
        {"op": "add", "value": {"MEMBERS": [{"value": "a"}], "displayName": "G"}},
        {"op": "replace", "value": {"members": [{"value": "b"}]}},
        {"op": "replace", "value": {"externalId": "e"}}
    ]));
    assert_eq!(
        m,
        vec![MemberChange::Add(vec![json!({"value": "a"})]), MemberChange::ReplaceAll(vec![json!({"value": "b"})])]
    );
    // The members-only op is dropped; the others keep their remaining keys.
    assert_eq!(rest.len(), 2);
    assert_eq!((rest[0].op, rest[0].value.clone()), (PatchOpKind::Add, Some(json!({"displayName": "G"}))));
    assert_eq!(rest[1].value, Some(json!({"externalId": "e"})));
}

#[test]
fn member_filters_and_sub_attributes_on_add_or_replace_are_invalid_path() {
    for ops in [
        json!([{"op": "add", "path": "members[value eq \"a\"]", "value": {"value": "a"}}]),
        json!([{"op": "replace", "path": "members[value eq \"a\"].display", "value": "A"}]),
        json!([{"op": "replace", "path": "members.display", "value": "A"}]),
        json!([{"op": "remove", "path": "members[value eq \"a\"].display"}]),
    ] {
        let e = split_member_operations(parse(ops)).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{e}");
        assert!(e.detail.contains("operation 0"), "{}", e.detail);
    }
}

#[test]
fn bad_member_values_are_invalid_value() {
    for v in [json!([{"display": "no value"}]), json!([{"value": 7}]), json!([3]), json!(""), json!([{"value": ""}])] {
        for op in ["add", "replace", "remove"] {
            let e = split_member_operations(parse(json!([{"op": op, "path": "members", "value": v}]))).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{op} {v}: {e}");
        }
        let e = split_member_operations(parse(json!([{"op": "add", "value": {"members": v}}]))).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{e}");
    }
}
