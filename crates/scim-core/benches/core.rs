//! Criterion benchmarks of the hot paths of scim-core: filter parsing and
//! evaluation (RFC 7644 §3.4.2.2) and PATCH parse + apply (RFC 7644 §3.5.2).
//!
//! `cargo bench -p scim-core --bench core`; numbers are for comparison
//! between commits on one machine, never asserted anywhere.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use scim_core::filter::{matches, parse_filter};
use scim_core::patch::{apply, parse_patch_request};
use scim_core::schema::SchemaRegistry;
use serde_json::{Value, json};

/// Filters as identity providers send them: Entra's user lookup, Okta's
/// group-membership check, and a compound query with a value path.
const FILTERS: &[(&str, &str)] = &[
    ("username_eq", "userName eq \"Test_User_dfeef4c5-5681-4387-b016-bdf221e82081\""),
    ("members_value_path", "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"),
    (
        "compound",
        "(userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]) or \
         (title pr and not (active eq false)) and meta.lastModified gt \"2011-05-13T04:42:34Z\"",
    ),
];

/// The full User of RFC 7643 §8.2 (with the §8.3 enterprise extension).
fn user() -> Value {
    serde_json::from_str(include_str!("../testdata/rfc7643-8.2-user.json")).expect("the RFC 7643 §8.2 fixture is JSON")
}

/// A Group with 100 members, as the document `apply` would see it when a
/// server keeps members inline (scimd splits them off; this bounds the cost).
fn group() -> Value {
    let members: Vec<Value> =
        (0..100).map(|i| json!({"value": format!("00000000-0000-0000-0000-{i:012}"), "type": "User"})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": members,
        "meta": {"resourceType": "Group"}
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn bench_filters(c: &mut Criterion) {
    let reg = SchemaRegistry::standard();
    let mut g = c.benchmark_group("filter");
    for (name, text) in FILTERS {
        g.bench_function(format!("parse/{name}"), |b| b.iter(|| parse_filter(black_box(text))));
    }
    let Some(rt) = reg.resource_type("User") else { return };
    let doc = user();
    for (name, text) in FILTERS {
        let Ok(f) = parse_filter(text) else { continue };
        g.bench_function(format!("matches_user/{name}"), |b| b.iter(|| matches(black_box(&f), &doc, &reg, rt)));
    }
    g.finish();
}

fn bench_patch(c: &mut Criterion) {
    let reg = SchemaRegistry::standard();
    let (Some(user_rt), Some(group_rt)) = (reg.resource_type("User"), reg.resource_type("Group")) else { return };
    let cases = [
        (
            "entra_user_replace",
            user(),
            user_rt,
            patch(json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                {"op": "Replace", "value": {"displayName": "New Name",
                  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Finance"}}
            ])),
        ),
        (
            "group_add_member",
            group(),
            group_rt,
            patch(json!([{"op": "Add", "path": "members",
                          "value": [{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs"}]}])),
        ),
        (
            "group_remove_member_by_filter",
            group(),
            group_rt,
            patch(json!([{"op": "Remove", "path": "members[value eq \"00000000-0000-0000-0000-000000000050\"]"}])),
        ),
    ];
    let mut g = c.benchmark_group("patch");
    for (name, doc, rt, body) in &cases {
        // A case that fails would measure the error path: say so loudly.
        let mut d = doc.clone();
        if let Err(e) = parse_patch_request(body).and_then(|ops| apply(&mut d, &ops, &reg, rt)) {
            eprintln!("patch/{name} fails, its figure is meaningless: {e}");
        }
        g.bench_function(format!("parse_apply/{name}"), |b| {
            b.iter(|| {
                let mut d = doc.clone();
                let changed = parse_patch_request(black_box(body)).and_then(|ops| apply(&mut d, &ops, &reg, rt));
                black_box((changed, d))
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench_filters, bench_patch
}
criterion_main!(benches);
