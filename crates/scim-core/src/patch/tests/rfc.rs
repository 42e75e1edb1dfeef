//! Every PATCH example printed in RFC 7644 §3.5.2.1–§3.5.2.3.

use serde_json::json;

use super::{BJENSEN, changes, full_user, group, run};
use crate::patch::tests::parse;
use crate::patch::{MemberChange, split_member_operations};

const BABS_REF: &str = "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646";
const JAMES: &str = "08e1d05d-121c-4561-8b96-473d93df9210";

// §3.5.2.1: "add a member to a group".
#[test]
fn add_member_to_group() {
    let mut g = group();
    g.as_object_mut().map(|o| o.shift_remove("members"));
    let ops = json!([{
        "op": "add",
        "path": "members",
        "value": [{"display": "Babs Jensen", "$ref": BABS_REF, "value": BJENSEN}]
    }]);
    changes(&mut g, ops.clone());
    assert_eq!(g["members"], json!([{"display": "Babs Jensen", "$ref": BABS_REF, "value": BJENSEN}]));
    let (rest, members) = split_member_operations(parse(ops)).unwrap();
    assert!(rest.is_empty());
    assert_eq!(
        members,
        vec![MemberChange::Add(vec![json!({"display": "Babs Jensen", "$ref": BABS_REF, "value": BJENSEN})])]
    );
}

// §3.5.2.1: no path, the value object's attributes are added ("nickname" in
// the RFC's own spelling resolves to nickName).
#[test]
fn add_without_path_adds_each_attribute() {
    let mut u = full_user();
    u.as_object_mut().map(|o| o.shift_remove("nickName"));
    changes(
        &mut u,
        json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "babs@example.net", "type": "other"}], "nickname": "Babs"}}]),
    );
    assert_eq!(u["nickName"], "Babs");
    assert!(u.get("nickname").is_none());
    let emails = u["emails"].as_array().unwrap();
    // babs@jensen.org was already there: no duplicate.
    assert_eq!(emails.len(), 3);
    assert_eq!(emails[2], json!({"value": "babs@example.net", "type": "other"}));
}

// §3.5.2.2: "remove all members of a group".
#[test]
fn remove_all_members() {
    let mut g = group();
    changes(&mut g, json!([{"op": "remove", "path": "members"}]));
    assert!(g.get("members").is_none());
    let (_, m) = split_member_operations(parse(json!([{"op": "remove", "path": "members"}]))).unwrap();
    assert_eq!(m, vec![MemberChange::RemoveAll]);
}

// §3.5.2.2: "remove a single member from a group".
#[test]
fn remove_single_member() {
    let mut g = group();
    let ops = json!([{"op": "remove", "path": format!("members[value eq \"{BJENSEN}\"]")}]);
    changes(&mut g, ops.clone());
    let members = g["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["value"], "902c246b-6245-4190-8e05-00816be7344a");
    let (_, m) = split_member_operations(parse(ops)).unwrap();
    assert_eq!(m, vec![MemberChange::Remove(vec![BJENSEN.to_owned()])]);
}

// §3.5.2.2: remove values of a complex multi-valued attribute by filter.
#[test]
fn remove_emails_by_filter() {
    let mut u = full_user();
    changes(&mut u, json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]));
    assert_eq!(u["emails"], json!([{"value": "babs@jensen.org", "type": "home"}]));
}

// §3.5.2.2: "replace all of the members of a group with a different members
// list" as a remove followed by an add.
#[test]
fn remove_then_add_members() {
    let mut g = group();
    let ops = json!([
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [
            {"display": "Babs Jensen", "$ref": BABS_REF, "value": BJENSEN},
            {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210", "value": JAMES}
        ]}
    ]);
    changes(&mut g, ops.clone());
    let ids: Vec<&str> = g["members"].as_array().unwrap().iter().filter_map(|m| m["value"].as_str()).collect();
    assert_eq!(ids, vec![BJENSEN, JAMES]);
    let (_, m) = split_member_operations(parse(ops)).unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0], MemberChange::RemoveAll);
    assert!(matches!(&m[1], MemberChange::Add(v) if v.len() == 2));
}

// §3.5.2.3: replace all members.
#[test]
fn replace_members() {
    let mut g = group();
    let ops = json!([{"op": "replace", "path": "members", "value": [
        {"display": "Babs Jensen", "$ref": BABS_REF, "value": BJENSEN},
        {"display": "James Smith", "value": JAMES}
    ]}]);
    changes(&mut g, ops.clone());
    assert_eq!(g["members"][1], json!({"display": "James Smith", "value": JAMES}));
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    let (_, m) = split_member_operations(parse(ops)).unwrap();
    assert!(matches!(&m[..], [MemberChange::ReplaceAll(v)] if v.len() == 2));
}

// §3.5.2.3: replace a whole value selected by filter.
#[test]
fn replace_work_address() {
    let mut u = full_user();
    let home = u["addresses"][1].clone();
    let new = json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    });
    changes(&mut u, json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": new.clone()}]));
    assert_eq!(u["addresses"][0], new);
    assert_eq!(u["addresses"][1], home);
}

// §3.5.2.3: replace one sub-attribute of the selected values.
#[test]
fn replace_work_street_address() {
    let mut u = full_user();
    changes(
        &mut u,
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
    );
    assert_eq!(u["addresses"][0]["streetAddress"], "1010 Broadway Ave");
    assert_eq!(u["addresses"][0]["locality"], "Hollywood");
    assert_eq!(u["addresses"][1]["streetAddress"], "456 Hollywood Blvd");
}

// §3.5.2.3: no path: "emails" replaced as a whole, nickName set.
#[test]
fn replace_without_path() {
    let mut u = full_user();
    u["nickName"] = json!("Barbie");
    let emails = json!([
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"}
    ]);
    u["emails"] = json!([{"value": "old@example.com", "type": "other"}]);
    changes(&mut u, json!([{"op": "replace", "value": {"emails": emails.clone(), "nickName": "Babs"}}]));
    assert_eq!(u["emails"], emails);
    assert_eq!(u["nickName"], "Babs");
}

// §3.5.2.1/§3.5.2.3 on single-valued and complex attributes.
#[test]
fn replace_and_add_on_simple_and_complex_attributes() {
    let mut u = full_user();
    changes(&mut u, json!([{"op": "replace", "path": "name.familyName", "value": "Jensen-Smith"}]));
    assert_eq!(u["name"]["familyName"], "Jensen-Smith");
    assert_eq!(u["name"]["givenName"], "Barbara");
    // A complex value merges: sub-attributes not given are left unchanged.
    changes(&mut u, json!([{"op": "add", "path": "name", "value": {"givenName": "Babs"}}]));
    assert_eq!(u["name"]["givenName"], "Babs");
    assert_eq!(u["name"]["middleName"], "Jane");
    // Adding a value that is already there changes nothing.
    assert_eq!(run(&mut u, json!([{"op": "add", "path": "title", "value": "Tour Guide"}])), Ok(false));
}

// §3.5.2: setting one value's primary to true makes the others non-primary.
#[test]
fn primary_true_clears_other_primaries() {
    let mut u = full_user();
    changes(&mut u, json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]));
    assert_eq!(u["emails"][1]["primary"], true);
    assert_eq!(u["emails"][0]["primary"], false);
    let mut u = full_user();
    changes(
        &mut u,
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}]),
    );
    assert_eq!(u["emails"][0]["primary"], false);
    assert_eq!(u["emails"][2]["primary"], true);
    // Elements that never had `primary` do not gain it.
    assert!(u["emails"][1].get("primary").is_none());
}
