//! Tests for RFC 7644 §3.7: the RFC's printed Bulk examples, then bad shapes.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::*;
use crate::ScimType;
use crate::error::ScimError;
use crate::patch::PATCH_OP_URN;
use crate::schema::{ENTERPRISE_USER_URN, GROUP_URN, USER_URN};

fn limits() -> BulkLimits {
    BulkLimits::default()
}

fn parse(body: Value) -> BulkRequest {
    parse_bulk_request(&body, &limits()).unwrap()
}

fn parse_err(body: Value) -> ScimError {
    parse_bulk_request(&body, &limits()).unwrap_err()
}

fn request(ops: Value) -> Value {
    json!({ "schemas": [BULK_REQUEST_URN], "Operations": ops })
}

/// The bulk request of RFC 7644 §3.7.3 (add, update, remove users).
fn rfc_mixed_request() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            { "method": "POST", "path": "/Users", "bulkId": "qwerty",
              "data": { "schemas": [USER_URN], "userName": "Alice" } },
            { "method": "PUT", "path": "/Users/b7c14771-226c-4d05-8860-134711653041",
              "version": "W/\"3694e05e9dff591\"",
              "data": { "schemas": [USER_URN], "id": "b7c14771-226c-4d05-8860-134711653041", "userName": "Bob" } },
            { "method": "PATCH", "path": "/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc",
              "version": "W/\"edac3253e2c0ef2\"",
              "data": { "schemas": [PATCH_OP_URN], "Operations": [
                  { "op": "remove", "path": "nickName" },
                  { "op": "replace", "path": "userName", "value": "Dave" } ] } },
            { "method": "DELETE", "path": "/Users/e9025315-6bea-44e1-899c-1e07454e468b",
              "version": "W/\"0ee8add0a938e1a\"" }
        ]
    })
}

#[test]
fn rfc_mixed_request_parses_and_runs_in_request_order() {
    let req = parse(rfc_mixed_request());
    assert_eq!(req.fail_on_errors, Some(1));
    let ops = &req.operations;
    assert_eq!(ops.len(), 4);
    assert_eq!(ops[0].method, BulkMethod::Post);
    assert_eq!(ops[0].bulk_id.as_deref(), Some("qwerty"));
    assert_eq!((ops[0].resource_endpoint.as_str(), ops[0].target.as_deref()), ("Users", None));
    assert_eq!(ops[1].method, BulkMethod::Put);
    assert_eq!(ops[1].target.as_deref(), Some("b7c14771-226c-4d05-8860-134711653041"));
    assert_eq!(ops[1].version.as_deref(), Some("W/\"3694e05e9dff591\""));
    assert_eq!(ops[2].data.as_ref().unwrap()["Operations"][1]["value"], "Dave");
    assert_eq!((ops[3].method, ops[3].data.is_none()), (BulkMethod::Delete, true));
    assert_eq!(ops[3].index, 3);
    assert_eq!(execution_order(ops), vec![Step::Run(0), Step::Run(1), Step::Run(2), Step::Run(3)]);
}

#[test]
fn rfc_mixed_response() {
    let req = parse(rfc_mixed_request());
    let ops = &req.operations;
    let base = "https://example.com/v2/Users";
    let results = [
        BulkOpResult::success(
            &ops[0],
            201,
            Some(format!("{base}/92b725cd9465")),
            Some("W/\"oY4m4wn58tkVjJxK\"".into()),
        ),
        BulkOpResult::success(
            &ops[1],
            200,
            Some(format!("{base}/b7c14771-226c-4d05-8860-134711653041")),
            Some("W/\"huJj29dMNgu3WXPD\"".into()),
        ),
        BulkOpResult::success(
            &ops[2],
            200,
            Some(format!("{base}/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc")),
            Some("W/\"huJj29dMNgu3WXPD\"".into()),
        ),
        BulkOpResult::success(&ops[3], 204, Some(format!("{base}/e9025315-6bea-44e1-899c-1e07454e468b")), None),
    ];
    let expected = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
        "Operations": [
            { "location": "https://example.com/v2/Users/92b725cd9465", "method": "POST", "bulkId": "qwerty",
              "version": "W/\"oY4m4wn58tkVjJxK\"", "status": "201" },
            { "location": "https://example.com/v2/Users/b7c14771-226c-4d05-8860-134711653041", "method": "PUT",
              "version": "W/\"huJj29dMNgu3WXPD\"", "status": "200" },
            { "location": "https://example.com/v2/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc", "method": "PATCH",
              "version": "W/\"huJj29dMNgu3WXPD\"", "status": "200" },
            { "location": "https://example.com/v2/Users/e9025315-6bea-44e1-899c-1e07454e468b", "method": "DELETE",
              "status": "204" }
        ]
    });
    assert_eq!(bulk_response_json(&results), expected);
    assert!(results.iter().all(|r| !r.is_error()));
}

/// §3.7.3: with failOnErrors 1, the failed POST of "Alice" stops the job:
/// the response holds that error and nothing after it.
#[test]
fn rfc_fail_on_errors_stops_after_the_first_error() {
    let req = parse(rfc_mixed_request());
    let mut results = Vec::new();
    let mut errors = 0;
    for step in execution_order(&req.operations) {
        let Step::Run(i) = step else { panic!("unexpected {step:?}") };
        let op = &req.operations[i];
        let r = if i == 0 {
            let e = ScimError::invalid_syntax("Request is unparsable, syntactically incorrect, or violates schema.");
            BulkOpResult::failure(op, None, &e)
        } else {
            BulkOpResult::success(op, 200, None, None)
        };
        errors += u32::from(r.is_error());
        results.push(r);
        if should_stop(req.fail_on_errors, errors) {
            break;
        }
    }
    let expected = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
        "Operations": [
            { "method": "POST", "bulkId": "qwerty", "status": "400",
              "response": {
                  "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                  "scimType": "invalidSyntax",
                  "detail": "Request is unparsable, syntactically incorrect, or violates schema.",
                  "status": "400" } }
        ]
    });
    assert_eq!(bulk_response_json(&results), expected);
}

/// §3.7.3: without failOnErrors every operation runs and reports its error.
#[test]
fn rfc_all_operations_failed_response() {
    let mut body = rfc_mixed_request();
    body.as_object_mut().unwrap().remove("failOnErrors");
    let req = parse(body);
    assert_eq!(req.fail_on_errors, None);
    let ops = &req.operations;
    let loc = |i: usize| Some(format!("https://example.com/v2/Users/{}", ops[i].target.as_deref().unwrap()));
    let syntax = ScimError::invalid_syntax("Request is unparsable, syntactically incorrect, or violates schema.");
    let stale = ScimError::new(412, None, "Failed to update. Resource changed on the server.");
    let gone = ScimError::not_found("Resource e9025315-6bea-44e1-899c-1e07454e468b not found");
    let results = vec![
        BulkOpResult::failure(&ops[0], None, &syntax),
        BulkOpResult::failure(&ops[1], loc(1), &stale),
        BulkOpResult::failure(&ops[2], loc(2), &stale),
        BulkOpResult::failure(&ops[3], loc(3), &gone),
    ];
    assert!(!should_stop(req.fail_on_errors, 4));
    let json = bulk_response_json(&results);
    let statuses: Vec<&str> =
        json["Operations"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["400", "412", "412", "404"]);
    assert_eq!(json["Operations"][3]["response"]["status"], "404");
    assert!(json["Operations"][3]["response"].get("scimType").is_none());
    assert_eq!(json["Operations"][1]["location"], "https://example.com/v2/Users/b7c14771-226c-4d05-8860-134711653041");
    assert!(json["Operations"][0].get("location").is_none());
}

/// §3.7.2: a User "Alice" and a Group "Tour Guides" with Alice as member.
fn rfc_group_with_user_member(user_first: bool) -> Value {
    let user = json!({ "method": "POST", "path": "/Users", "bulkId": "qwerty",
                       "data": { "schemas": [USER_URN], "userName": "Alice" } });
    let group = json!({ "method": "POST", "path": "/Groups", "bulkId": "ytrewq",
                        "data": { "schemas": [GROUP_URN], "displayName": "Tour Guides",
                                  "members": [{ "type": "User", "value": "bulkId:qwerty" }] } });
    request(if user_first { json!([user, group]) } else { json!([group, user]) })
}

#[test]
fn rfc_bulk_id_reference_runs_the_user_first_and_resolves() {
    let req = parse(rfc_group_with_user_member(true));
    assert_eq!(references(&req.operations[1]), ["qwerty"]);
    assert_eq!(execution_order(&req.operations), vec![Step::Run(0), Step::Run(1)]);
    let resolved = HashMap::from([("qwerty".to_owned(), "92b725cd9465".to_owned())]);
    let mut data = req.operations[1].data.clone().unwrap();
    resolve_bulk_ids(&mut data, &resolved).unwrap();
    assert_eq!(data["members"], json!([{ "type": "User", "value": "92b725cd9465" }]));
    assert_eq!(data["displayName"], "Tour Guides");

    // The same request with the Group first: the User still runs first.
    let req = parse(rfc_group_with_user_member(false));
    assert_eq!(execution_order(&req.operations), vec![Step::Run(1), Step::Run(0)]);
}

/// §3.7.1: Group A has Group B as member and B has A. The RFC's expected
/// outcome is both groups created, each a member of the other.
#[test]
fn rfc_circular_reference_is_resolved_with_a_deferred_patch() {
    let req = parse(request(json!([
        { "method": "POST", "path": "/Groups", "bulkId": "qwerty",
          "data": { "schemas": [GROUP_URN], "displayName": "Group A",
                    "members": [{ "type": "Group", "value": "bulkId:ytrewq" }] } },
        { "method": "POST", "path": "/Groups", "bulkId": "ytrewq",
          "data": { "schemas": [GROUP_URN], "displayName": "Group B",
                    "members": [{ "type": "Group", "value": "bulkId:qwerty" }] } }
    ])));
    let plan = execution_order(&req.operations);
    assert_eq!(
        plan,
        vec![
            Step::RunPartial { index: 0, data: json!({ "schemas": [GROUP_URN], "displayName": "Group A" }) },
            Step::Run(1),
            Step::Complete {
                index: 0,
                patch: json!({ "schemas": [PATCH_OP_URN], "Operations": [
                    { "op": "add", "path": "members", "value": [{ "type": "Group", "value": "bulkId:ytrewq" }] }
                ] }),
            },
        ]
    );
    // Run it: A gets an id, B is created with A as member, then A gets B.
    let mut resolved = HashMap::from([("qwerty".to_owned(), "a-id".to_owned())]);
    let mut b = req.operations[1].data.clone().unwrap();
    resolve_bulk_ids(&mut b, &resolved).unwrap();
    assert_eq!(b["members"][0]["value"], "a-id");
    resolved.insert("ytrewq".into(), "b-id".into());
    let Step::Complete { mut patch, .. } = plan[2].clone() else { panic!() };
    resolve_bulk_ids(&mut patch, &resolved).unwrap();
    assert_eq!(patch["Operations"][0]["value"][0]["value"], "b-id");
}

#[test]
fn cycle_through_an_extension_and_a_self_reference() {
    let req = parse(request(json!([
        { "method": "POST", "path": "/Users", "bulkId": "a",
          "data": { "schemas": [USER_URN, ENTERPRISE_USER_URN], "userName": "a",
                    ENTERPRISE_USER_URN: { "department": "R&D", "manager": { "value": "bulkId:b" } } } },
        { "method": "POST", "path": "/Users", "bulkId": "b",
          "data": { "schemas": [USER_URN, ENTERPRISE_USER_URN], "userName": "b",
                    ENTERPRISE_USER_URN: { "manager": { "value": "bulkId:a" } } } },
        { "method": "POST", "path": "/Groups", "bulkId": "g",
          "data": { "schemas": [GROUP_URN], "displayName": "g",
                    "members": [{ "value": "bulkId:g" }, { "value": "existing-id" }] } }
    ])));
    let plan = execution_order(&req.operations);
    assert_eq!(plan.len(), 5, "{plan:#?}");
    let Step::RunPartial { index: 0, data } = &plan[0] else { panic!("{plan:#?}") };
    assert_eq!(data[ENTERPRISE_USER_URN], json!({ "department": "R&D" }));
    assert_eq!(plan[1], Step::Run(1));
    let Step::Complete { index: 0, patch } = &plan[2] else { panic!("{plan:#?}") };
    assert_eq!(patch["Operations"][0]["path"], format!("{ENTERPRISE_USER_URN}:manager"));
    assert_eq!(patch["Operations"][0]["value"], json!({ "value": "bulkId:b" }));
    // The group that contains itself: created with its other member, then
    // completed right after.
    let Step::RunPartial { index: 2, data } = &plan[3] else { panic!("{plan:#?}") };
    assert_eq!(data["members"], json!([{ "value": "existing-id" }]));
    let Step::Complete { index: 2, patch } = &plan[4] else { panic!("{plan:#?}") };
    assert_eq!(patch["Operations"][0]["value"], json!([{ "value": "bulkId:g" }]));
}

#[test]
fn path_targets_wait_for_their_post_and_resolve() {
    let req = parse(request(json!([
        { "method": "PATCH", "path": "/Users/bulkId:u",
          "data": { "schemas": [PATCH_OP_URN], "Operations": [{ "op": "replace", "path": "active", "value": false }] } },
        { "method": "DELETE", "path": "/Groups/some-group" },
        { "method": "POST", "path": "/Users", "bulkId": "u", "data": { "schemas": [USER_URN], "userName": "u" } }
    ])));
    assert_eq!(req.operations[0].target.as_deref(), Some("bulkId:u"));
    assert_eq!(execution_order(&req.operations), vec![Step::Run(1), Step::Run(2), Step::Run(0)]);
    let resolved = HashMap::from([("u".to_owned(), "real".to_owned())]);
    assert_eq!(resolve_target("bulkId:u", &resolved).unwrap(), "real");
    assert_eq!(resolve_target("plain-id", &resolved).unwrap(), "plain-id");
    assert_eq!(resolve_target("bulkId:nope", &resolved).unwrap_err(), "nope");
}

#[test]
fn unknown_bulk_id_fails_only_that_operation() {
    let req = parse(request(json!([
        { "method": "POST", "path": "/Groups", "bulkId": "g",
          "data": { "schemas": [GROUP_URN], "displayName": "g", "members": [{ "value": "bulkId:ghost" }] } },
        { "method": "POST", "path": "/Users", "bulkId": "u", "data": { "schemas": [USER_URN], "userName": "u" } },
        { "method": "DELETE", "path": "/Users/bulkId:g" }
    ])));
    let plan = execution_order(&req.operations);
    assert_eq!(plan.len(), 3);
    let Step::Fail { index: 0, error } = &plan[0] else { panic!("{plan:#?}") };
    assert_eq!((error.status, error.scim_type), (400, Some(ScimType::InvalidValue)));
    assert!(error.detail.contains("Operations[0]") && error.detail.contains("bulkId:ghost"), "{}", error.detail);
    assert_eq!(plan[1..], [Step::Run(1), Step::Run(2)]);
    // At run time the DELETE cannot resolve g: the server reports 409.
    let err = resolve_target("bulkId:g", &HashMap::from([("u".into(), "x".into())])).unwrap_err();
    let e = unresolved_bulk_id(2, &err);
    assert_eq!((e.status, e.scim_type), (409, None));
    assert!(e.detail.contains("Operations[2]") && e.detail.contains("bulkId:g"), "{}", e.detail);
}

#[test]
fn resolve_reports_the_first_unresolved_bulk_id() {
    let mut data = json!({ "a": ["bulkId:x", { "b": "bulkId:y" }], "c": "not bulkId:z", "d": 1 });
    let resolved = HashMap::from([("x".to_owned(), "1".to_owned())]);
    assert_eq!(resolve_bulk_ids(&mut data, &resolved).unwrap_err(), "y");
    assert_eq!(data["a"][0], "1");
    assert_eq!(data["c"], "not bulkId:z");
}

#[test]
fn should_stop_counts_errors() {
    assert!(!should_stop(None, 1000));
    assert!(!should_stop(Some(2), 1));
    assert!(should_stop(Some(2), 2));
    assert!(should_stop(Some(1), 1));
}

#[test]
fn too_many_operations_is_413_naming_max_operations() {
    let small = BulkLimits { max_operations: 2, max_payload_bytes: 100 };
    let op = json!({ "method": "DELETE", "path": "/Users/x" });
    let e = parse_bulk_request(&request(json!([op, op, op])), &small).unwrap_err();
    assert_eq!((e.status, e.scim_type), (413, None));
    assert_eq!(e.detail, "The number of operations exceeds the maxOperations value (2).");
    assert!(parse_bulk_request(&request(json!([op, op])), &small).is_ok());
    // The RFC 7644 §3.7.4 example body.
    let e = payload_too_large(&BulkLimits::default());
    assert_eq!(
        e.to_json(),
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "413",
            "detail": "The size of the bulk operation exceeds the maxPayloadSize (1048576)."
        })
    );
}

#[test]
fn bad_request_shapes() {
    let user = json!({ "schemas": [USER_URN], "userName": "u" });
    let cases: Vec<(Value, ScimType, &str)> = vec![
        (json!({ "Operations": [] }), ScimType::InvalidSyntax, "schemas must contain"),
        (json!({ "schemas": [USER_URN], "Operations": [] }), ScimType::InvalidSyntax, "schemas must contain"),
        (json!({ "schemas": [BULK_REQUEST_URN] }), ScimType::InvalidSyntax, "Operations is required"),
        (json!({ "schemas": [BULK_REQUEST_URN], "Operations": {} }), ScimType::InvalidSyntax, "Operations must be"),
        (
            json!({ "schemas": [BULK_REQUEST_URN], "failOnErrors": 0, "Operations": [] }),
            ScimType::InvalidValue,
            "failOnErrors",
        ),
        (
            json!({ "schemas": [BULK_REQUEST_URN], "failOnErrors": "1", "Operations": [] }),
            ScimType::InvalidSyntax,
            "failOnErrors",
        ),
        (
            request(json!([{ "path": "/Users", "bulkId": "a", "data": user }])),
            ScimType::InvalidSyntax,
            "Operations[0].method is required",
        ),
        (
            request(json!([{ "method": "GET", "path": "/Users/x" }])),
            ScimType::InvalidValue,
            "Operations[0].method \"GET\"",
        ),
        (
            request(json!([{ "method": "POST", "path": "/Users", "data": user }])),
            ScimType::InvalidSyntax,
            "Operations[0].bulkId is required",
        ),
        (
            request(json!([{ "method": "POST", "bulkId": "a", "data": user }])),
            ScimType::InvalidSyntax,
            "Operations[0].path is required",
        ),
        (
            request(json!([{ "method": "POST", "path": "/Widgets", "bulkId": "a", "data": user }])),
            ScimType::InvalidPath,
            "\"/Widgets\" does not name",
        ),
        (
            request(json!([{ "method": "POST", "path": "/Users/abc", "bulkId": "a", "data": user }])),
            ScimType::InvalidPath,
            "must be the endpoint /Users",
        ),
        (
            request(json!([{ "method": "PUT", "path": "/Users", "data": user }])),
            ScimType::InvalidPath,
            "must name a resource",
        ),
        (request(json!([{ "method": "DELETE", "path": "/Users/a/b" }])), ScimType::InvalidPath, "more segments"),
        (request(json!([{ "method": "DELETE", "path": "/Users/a?x=1" }])), ScimType::InvalidPath, "query"),
        (
            request(json!([{ "method": "POST", "path": "/Users", "bulkId": "a" }])),
            ScimType::InvalidSyntax,
            "Operations[0].data is required",
        ),
        (
            request(json!([{ "method": "PATCH", "path": "/Users/x", "data": [] }])),
            ScimType::InvalidSyntax,
            "Operations[0].data must be",
        ),
        (
            request(json!([{ "method": "PUT", "path": "/Users/x", "version": 3, "data": user }])),
            ScimType::InvalidSyntax,
            "version",
        ),
        (request(json!(["DELETE /Users/x"])), ScimType::InvalidSyntax, "Operations[0] must be"),
        (
            request(json!([
                { "method": "POST", "path": "/Users", "bulkId": "dup", "data": user },
                { "method": "DELETE", "path": "/Users/x" },
                { "method": "POST", "path": "/Groups", "bulkId": "dup", "data": { "displayName": "g" } }
            ])),
            ScimType::InvalidValue,
            "Operations[2].bulkId \"dup\" is already used by Operations[0]",
        ),
    ];
    for (body, ty, needle) in cases {
        let e = parse_err(body.clone());
        assert_eq!((e.status, e.scim_type), (400, Some(ty)), "{body}: {}", e.detail);
        assert!(e.detail.contains(needle), "{body}: {}", e.detail);
    }
    assert_eq!(parse_err(json!([])).scim_type, Some(ScimType::InvalidSyntax));
}

#[test]
fn lenient_spellings_are_accepted() {
    let req = parse(json!({
        "schemas": [BULK_REQUEST_URN],
        "operations": [
            { "Method": "post", "PATH": "users", "bulkid": "a", "Data": { "userName": "a" } },
            { "method": "Delete", "path": "/GROUPS/g1/", "data": { "ignored": true } }
        ]
    }));
    let ops = &req.operations;
    assert_eq!((ops[0].method, ops[0].resource_endpoint.as_str()), (BulkMethod::Post, "Users"));
    assert_eq!((ops[1].method, ops[1].resource_endpoint.as_str()), (BulkMethod::Delete, "Groups"));
    assert_eq!((ops[1].target.as_deref(), ops[1].data.is_none()), (Some("g1"), true));
    assert!(parse(request(json!([]))).operations.is_empty());
}
