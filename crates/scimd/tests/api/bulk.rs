//! `POST /Bulk` (RFC 7644 §3.7): bulkId references (§3.7.2) and circular
//! ones (§3.7.1), `failOnErrors`, per-operation results (§3.7.3), the limits
//! of §3.7.4 as the ServiceProviderConfig advertises them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

fn bulk_request(ops: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": ops})
}

/// POSTs a bulk request, asserts the 200 BulkResponse, returns its
/// operations.
async fn bulk_ok(app: &TestServer, body: &Value) -> Vec<Value> {
    let r = app.post("/Bulk", body).await.expect(200);
    assert_eq!(r.body["schemas"], json!([BULK_RESPONSE]), "{}", r.text);
    r.body["Operations"].as_array().unwrap_or_else(|| panic!("no Operations: {}", r.text)).clone()
}

fn user_op(bulk_id: &str, user_name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id,
           "data": {"schemas": [USER_SCHEMA], "userName": user_name}})
}

/// The id at the end of an operation's `location`, which must be an
/// absolute URL of `endpoint`.
fn id_from_location(app: &TestServer, op: &Value, endpoint: &str) -> String {
    let loc = op["location"].as_str().unwrap_or_else(|| panic!("no location: {op}"));
    let prefix = app.url(&format!("/{endpoint}/"));
    assert!(loc.starts_with(&prefix), "location {loc} is not under {prefix}");
    loc[prefix.len()..].to_string()
}

async fn spc(app: &TestServer) -> Value {
    app.get("/ServiceProviderConfig").await.expect(200).body
}

#[tokio::test]
async fn rfc_tour_guides_user_and_group_by_bulk_id() {
    let app = TestServer::spawn().await;
    // The group comes first in the request: it must still run after the
    // user it references, and the results stay in request order.
    let ops = bulk_ok(
        &app,
        &bulk_request(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Tour Guides",
                      "members": [{"type": "User", "value": "bulkId:qwerty"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "qwerty",
             "data": {"schemas": [USER_SCHEMA], "userName": "Alice"}},
        ])),
    )
    .await;
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert_eq!(
        (&ops[0]["bulkId"], &ops[0]["method"], &ops[0]["status"]),
        (&json!("ytrewq"), &json!("POST"), &json!("201"))
    );
    assert_eq!((&ops[1]["bulkId"], &ops[1]["status"]), (&json!("qwerty"), &json!("201")));
    for op in &ops {
        let v = op["version"].as_str().unwrap_or_else(|| panic!("no version: {op}"));
        assert!(v.starts_with("W/\"") && v.ends_with('"'), "version is a weak ETag: {v}");
        assert!(op.get("response").is_none(), "no body for a success: {op}");
    }
    let gid = id_from_location(&app, &ops[0], "Groups");
    let uid = id_from_location(&app, &ops[1], "Users");

    let g = app.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(g.body["displayName"], "Tour Guides");
    assert_eq!(member_values(&g.body), vec![uid.clone()]);
    assert_eq!(g.etag(), ops[0]["version"].as_str().unwrap(), "version is the group's ETag");
    let u = app.get(&format!("/Users/{uid}")).await.expect(200);
    assert_eq!(u.body["userName"], "Alice");
    assert_eq!(group_values(&u.body), vec![gid]);
}

#[tokio::test]
async fn circular_bulk_id_references_are_resolved() {
    let app = TestServer::spawn().await;
    // RFC 7644 §3.7.1: Group A contains Group B, which contains Group A.
    let ops = bulk_ok(
        &app,
        &bulk_request(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "a",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Group A",
                      "members": [{"type": "Group", "value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Group B",
                      "members": [{"type": "Group", "value": "bulkId:a"}]}},
        ])),
    )
    .await;
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert!(ops.iter().all(|o| o["status"] == "201"), "{ops:?}");
    let a = id_from_location(&app, &ops[0], "Groups");
    let b = id_from_location(&app, &ops[1], "Groups");
    let ga = app.get(&format!("/Groups/{a}")).await.expect(200);
    let gb = app.get(&format!("/Groups/{b}")).await.expect(200);
    assert_eq!(member_values(&ga.body), vec![b.clone()], "A contains B: {}", ga.text);
    assert_eq!(member_values(&gb.body), vec![a.clone()], "B contains A: {}", gb.text);
    // Each reported version is the resource's current one.
    assert_eq!(ga.etag(), ops[0]["version"].as_str().unwrap());
    assert_eq!(gb.etag(), ops[1]["version"].as_str().unwrap());
}

#[tokio::test]
async fn failures_are_reported_per_operation() {
    let app = TestServer::spawn().await;
    app.create_user("alice").await;
    let ops = bulk_ok(
        &app,
        &bulk_request(json!([
            user_op("dup", "ALICE"),
            user_op("ok", "bob"),
            {"method": "POST", "path": "/Groups", "bulkId": "g1",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Needs dup",
                      "members": [{"value": "bulkId:dup"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "g2",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Needs nobody",
                      "members": [{"value": "bulkId:nowhere"}]}},
            {"method": "PATCH", "path": "/Users/bulkId:ok",
             "data": {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": "Bob"}]}},
            {"method": "DELETE", "path": "/Users/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"},
        ])),
    )
    .await;
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["409", "201", "409", "400", "200", "404"], "{ops:?}");

    // Duplicate userName (case-insensitive): 409 uniqueness, an RFC 7644
    // §3.12 body, no location for a failed POST.
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness", "{}", ops[0]);
    assert_eq!(ops[0]["response"]["status"], "409");
    assert!(ops[0]["response"]["schemas"].as_array().is_some_and(|s| s.contains(&json!(ERROR_SCHEMA))));
    assert!(ops[0].get("location").is_none(), "{}", ops[0]);
    // A member whose bulkId failed: the group fails too, and is not created.
    assert!(ops[2]["response"]["detail"].as_str().is_some_and(|d| d.contains("bulkId:dup")), "{}", ops[2]);
    assert_eq!(ops[3]["response"]["scimType"], "invalidValue", "{}", ops[3]);
    let groups = app.get("/Groups").await.expect(200);
    assert_eq!(groups.total(), 0, "no group was created: {}", groups.text);
    // A path with a bulkId targets the created user.
    let bob = id_from_location(&app, &ops[1], "Users");
    assert_eq!(id_from_location(&app, &ops[4], "Users"), bob);
    let u = app.get(&format!("/Users/{bob}")).await.expect(200);
    assert_eq!(u.body["displayName"], "Bob");
    assert_eq!(u.etag(), ops[4]["version"].as_str().unwrap());
    assert!(ops[5]["location"].as_str().is_some_and(|l| l.ends_with("/Users/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee")));
}

#[tokio::test]
async fn fail_on_errors_stops_processing() {
    let app = TestServer::spawn().await;
    app.create_user("taken").await;
    let mut body = bulk_request(json!([
        user_op("u1", "first"),
        user_op("u2", "taken"),
        user_op("u3", "third"),
        user_op("u4", "taken"),
        user_op("u5", "fifth"),
    ]));
    body["failOnErrors"] = json!(2);
    let ops = bulk_ok(&app, &body).await;
    // Stops after the second error: u5 is neither run nor reported.
    let ids: Vec<&str> = ops.iter().map(|o| o["bulkId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["u1", "u2", "u3", "u4"], "{ops:?}");
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "409", "201", "409"]);
    let fifth = app.list("/Users", &[("filter", "userName eq \"fifth\"")]).await.expect(200);
    assert_eq!(fifth.total(), 0, "u5 was not run: {}", fifth.text);
    let third = app.list("/Users", &[("filter", "userName eq \"third\"")]).await.expect(200);
    assert_eq!(third.total(), 1, "bulk is not atomic: u3 stays");

    // failOnErrors 1: the first error ends it.
    let mut body = bulk_request(json!([user_op("x1", "taken"), user_op("x2", "sixth")]));
    body["failOnErrors"] = json!(1);
    let ops = bulk_ok(&app, &body).await;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0]["status"], "409");
}

#[tokio::test]
async fn version_mismatch_is_412_per_operation() {
    let app = TestServer::spawn().await;
    let u1 = app.create_user_with(json!({"userName": "u1", "displayName": "One"})).await;
    let u2 = app.create_user("u2").await;
    let u3 = app.create_user("u3").await;
    let (id1, id2, id3) = (u1["id"].as_str().unwrap(), u2["id"].as_str().unwrap(), u3["id"].as_str().unwrap());
    let v2 = u2["meta"]["version"].as_str().unwrap();
    let v3 = u3["meta"]["version"].as_str().unwrap();
    let stale = "W/\"999\"";
    let ops = bulk_ok(
        &app,
        &bulk_request(json!([
            {"method": "PUT", "path": format!("/Users/{id1}"), "version": stale,
             "data": {"schemas": [USER_SCHEMA], "userName": "u1", "displayName": "Changed"}},
            {"method": "PATCH", "path": format!("/Users/{id1}"), "version": stale,
             "data": {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": "Changed"}]}},
            {"method": "DELETE", "path": format!("/Users/{id1}"), "version": stale},
            {"method": "PUT", "path": format!("/Users/{id2}"), "version": v2,
             "data": {"schemas": [USER_SCHEMA], "userName": "u2", "displayName": "Two"}},
            {"method": "DELETE", "path": format!("/Users/{id3}"), "version": v3},
        ])),
    )
    .await;
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["412", "412", "412", "200", "204"], "{ops:?}");
    for op in &ops[..3] {
        assert_eq!(op["response"]["status"], "412", "{op}");
        assert!(op["location"].as_str().is_some_and(|l| l.ends_with(id1)), "{op}");
    }
    let one = app.get(&format!("/Users/{id1}")).await.expect(200);
    assert_eq!(one.body["displayName"], "One", "nothing changed u1");
    let two = app.get(&format!("/Users/{id2}")).await.expect(200);
    assert_eq!(two.body["displayName"], "Two");
    assert_eq!(two.etag(), ops[3]["version"].as_str().unwrap());
    assert_ne!(two.etag(), v2);
    assert_eq!(ops[3]["method"], "PUT");
    assert_eq!(ops[4]["method"], "DELETE");
    assert!(ops[4].get("version").is_none(), "a deleted resource has no version: {}", ops[4]);
    app.get(&format!("/Users/{id3}")).await.expect(404);
}

#[tokio::test]
async fn limits_are_advertised_and_enforced_with_413() {
    let app = TestServer::spawn().await;
    let cfg = spc(&app).await;
    assert_eq!(cfg["bulk"]["supported"], true, "{cfg}");
    let max_ops = cfg["bulk"]["maxOperations"].as_u64().expect("maxOperations");
    let max_bytes = cfg["bulk"]["maxPayloadSize"].as_u64().expect("maxPayloadSize");
    assert_eq!((max_ops, max_bytes), (1000, 1024 * 1024), "the configured defaults");

    // One operation too many: refused whole, nothing runs.
    let ops: Vec<Value> = (0..=max_ops).map(|i| user_op(&format!("b{i}"), &format!("user{i}"))).collect();
    let r = app.post("/Bulk", &bulk_request(Value::Array(ops))).await;
    assert_scim_error(&r, 413, None);
    assert!(r.body.get("scimType").is_none(), "{}", r.text);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains(&max_ops.to_string())), "{}", r.text);
    assert_eq!(app.get("/Users").await.expect(200).total(), 0, "nothing ran");

    // Exactly the limit is fine (and small enough in bytes).
    let ops: Vec<Value> = (0..max_ops).map(|i| user_op(&format!("b{i}"), &format!("user{i}"))).collect();
    let done = bulk_ok(&app, &bulk_request(Value::Array(ops))).await;
    assert_eq!(done.len() as u64, max_ops);
    assert!(done.iter().all(|o| o["status"] == "201"));

    // A body over maxPayloadSize.
    let big = json!({"method": "POST", "path": "/Users", "bulkId": "big",
                     "data": {"schemas": [USER_SCHEMA], "userName": "big", "displayName": "x".repeat(max_bytes as usize)}});
    let r = app.post("/Bulk", &bulk_request(json!([big]))).await;
    assert_scim_error(&r, 413, None);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains(&max_bytes.to_string())), "{}", r.text);
    let big_user = app.list("/Users", &[("filter", "userName eq \"big\"")]).await.expect(200);
    assert_eq!(big_user.total(), 0);
}

#[tokio::test]
async fn malformed_requests_are_refused_whole() {
    let app = TestServer::spawn().await;
    // An unknown endpoint in a path: the whole request is 400 invalidPath,
    // naming the operation, and nothing runs.
    let r = app
        .post(
            "/Bulk",
            &bulk_request(
                json!([user_op("ok", "ok"), {"method": "POST", "path": "/Widgets", "bulkId": "w", "data": {}}]),
            ),
        )
        .await;
    assert_scim_error(&r, 400, Some("invalidPath"));
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("Operations[1]")), "{}", r.text);
    assert_eq!(app.get("/Users").await.expect(200).total(), 0);
    // Without the BulkRequest schema.
    let r = app.post("/Bulk", &json!({"Operations": []})).await;
    assert_scim_error(&r, 400, Some("invalidSyntax"));
    // An empty request is answered with an empty response.
    assert!(bulk_ok(&app, &bulk_request(json!([]))).await.is_empty());
    // Only POST.
    assert_eq!(app.get("/Bulk").await.status.as_u16(), 405);
}

#[tokio::test]
async fn bulk_needs_this_tenants_token() {
    let app = TestServer::spawn().await;
    let body = bulk_request(json!([user_op("u", "intruder")]));
    // The other tenant's token on acme's URL.
    let r =
        send(with_json(app.http.request(Method::POST, app.url("/Bulk")).bearer_auth(&app.other.token), &body)).await;
    assert_scim_error(&r, 401, None);
    let r = send(with_json(app.http.request(Method::POST, app.url("/Bulk")), &body)).await;
    assert_scim_error(&r, 401, None);
    assert_eq!(app.get("/Users").await.expect(200).total(), 0, "nothing ran");

    // Acme's bulk cannot reach the other tenant's resources.
    let theirs = send(with_json(
        app.http.request(Method::POST, app.url_for("other", "/Users")).bearer_auth(&app.other.token),
        &json!({"schemas": [USER_SCHEMA], "userName": "theirs"}),
    ))
    .await
    .expect(201)
    .id();
    let ops = bulk_ok(
        &app,
        &bulk_request(json!([
            {"method": "DELETE", "path": format!("/Users/{theirs}")},
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": theirs}]}},
        ])),
    )
    .await;
    assert_eq!(ops[0]["status"], "404", "{ops:?}");
    assert_eq!(ops[1]["status"], "400", "{ops:?}");
    let still =
        send(app.http.get(app.url_for("other", &format!("/Users/{theirs}"))).bearer_auth(&app.other.token)).await;
    still.expect(200);
}
