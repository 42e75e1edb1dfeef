//! Every error the protocol defines, with its RFC 7644 §3.12 body, and the
//! server still answering afterwards.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn invalid_json_is_400_invalid_syntax() {
    let mut app = TestServer::spawn().await;
    for body in ["{", "not json", "[1,2", "{\"userName\": }", ""] {
        let r = send(app.req(Method::POST, "/Users").header("content-type", SCIM_JSON).body(body)).await;
        assert_scim_error(&r, 400, Some("invalidSyntax"));
    }
    let r = send(app.req(Method::POST, "/Users").header("content-type", SCIM_JSON).body("[]")).await;
    assert_scim_error(&r, 400, None);
    let id = app.create_user("someone").await["id"].as_str().unwrap().to_string();
    let r = send(app.req(Method::PATCH, &format!("/Users/{id}")).header("content-type", SCIM_JSON).body("{oops")).await;
    assert_scim_error(&r, 400, Some("invalidSyntax"));
    let r = send(app.req(Method::PUT, &format!("/Users/{id}")).header("content-type", SCIM_JSON).body("{oops")).await;
    assert_scim_error(&r, 400, Some("invalidSyntax"));
    app.assert_alive().await;
}

#[tokio::test]
async fn wrong_types_and_missing_required_are_400_invalid_value() {
    let mut app = TestServer::spawn().await;
    let cases = [
        json!({"schemas": [USER_SCHEMA]}),
        json!({"schemas": [USER_SCHEMA], "userName": ""}),
        json!({"schemas": [USER_SCHEMA], "userName": 123}),
        json!({"schemas": [USER_SCHEMA], "userName": null}),
        json!({"schemas": [USER_SCHEMA], "userName": "x", "active": "maybe"}),
        json!({"schemas": [USER_SCHEMA], "userName": "x", "name": "not an object"}),
        json!({"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": 5}]}),
        json!({"schemas": [USER_SCHEMA], "userName": "x", "meta": {"created": 7}, "displayName": ["a"]}),
    ];
    for body in cases {
        let r = app.post("/Users", &body).await;
        assert!(r.status.as_u16() == 400, "{body} → {} {}", r.status, r.text);
        assert_scim_error(&r, 400, Some("invalidValue"));
    }
    let r = app.post("/Groups", &json!({"schemas": [GROUP_SCHEMA]})).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let r = app.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "g", "members": "nope"})).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let list = app.get("/Users").await.expect(200);
    assert_eq!(list.total(), 0, "nothing refused was created: {}", list.text);
    app.assert_alive().await;
}

#[tokio::test]
async fn patch_errors() {
    let mut app = TestServer::spawn().await;
    let id = app
        .create_user_with(
            json!({"userName": "p", "displayName": "P", "emails": [{"value": "p@x.org", "type": "work"}]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/Users/{id}");
    // Malformed path.
    let r = app.patch_ops(&path, json!([{"op": "replace", "path": "emails[type eq", "value": "x"}])).await;
    assert_scim_error(&r, 400, Some("invalidPath"));
    // remove without a path (§3.5.2.2).
    let r = app.patch_ops(&path, json!([{"op": "remove"}])).await;
    assert_scim_error(&r, 400, Some("noTarget"));
    // replace through a value filter that matches nothing (§3.5.2.3). A filter
    // made only of `eq` tests creates the element instead (Entra; see patch.rs).
    let r = app
        .patch_ops(&path, json!([{"op": "replace", "path": "emails[type co \"hom\"].value", "value": "h@x.org"}]))
        .await;
    assert_scim_error(&r, 400, Some("noTarget"));
    let r = app.patch_ops(&path, json!([{"op": "replace", "path": "emails[value eq \"nobody@x.org\" or type eq \"x\"]", "value": {"value": "h@x.org"}}])).await;
    assert_scim_error(&r, 400, Some("noTarget"));
    // readOnly attribute.
    let r = app.patch_ops(&path, json!([{"op": "replace", "path": "groups", "value": [{"value": id}]}])).await;
    assert_scim_error(&r, 400, Some("mutability"));
    // Unknown op.
    let r = app.patch_ops(&path, json!([{"op": "frobnicate", "path": "displayName", "value": "x"}])).await;
    assert_scim_error(&r, 400, None);
    // Wrong value type.
    let r = app.patch_ops(&path, json!([{"op": "replace", "path": "active", "value": "perhaps"}])).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    // No Operations.
    let r = app.patch(&path, &json!({"schemas": [PATCH_SCHEMA]})).await;
    assert_scim_error(&r, 400, None);
    // Atomicity: the good first op is not applied when the second fails.
    let r = app
        .patch_ops(&path, json!([{"op": "replace", "path": "displayName", "value": "Changed"}, {"op": "remove"}]))
        .await;
    assert_scim_error(&r, 400, Some("noTarget"));
    let get = app.get(&path).await.expect(200);
    assert_eq!(get.body["displayName"], "P", "a failed PATCH is rolled back whole");
    app.assert_alive().await;
}

#[tokio::test]
async fn not_found_is_404_with_body() {
    let mut app = TestServer::spawn().await;
    let missing = "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee";
    for path in [format!("/Users/{missing}"), format!("/Groups/{missing}"), "/Users/not-a-uuid".to_string()] {
        assert_scim_error(&app.get(&path).await, 404, None);
        assert_scim_error(&app.delete(&path).await, 404, None);
        let p = app.patch_ops(&path, json!([{"op": "replace", "path": "displayName", "value": "x"}])).await;
        assert_scim_error(&p, 404, None);
    }
    let put = app.put(&format!("/Users/{missing}"), &json!({"schemas": [USER_SCHEMA], "userName": "x"})).await;
    assert_scim_error(&put, 404, None);
    let put = app.put(&format!("/Groups/{missing}"), &json!({"schemas": [GROUP_SCHEMA], "displayName": "x"})).await;
    assert_scim_error(&put, 404, None);
    // A user id is not a group id.
    let uid = app.create_user("u").await["id"].as_str().unwrap().to_string();
    assert_scim_error(&app.get(&format!("/Groups/{uid}")).await, 404, None);
    app.assert_alive().await;
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let mut app = TestServer::spawn().await;
    let r = app.get("/Nope").await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.text);
    let r = send(app.http.get(format!("{}/definitely/not/here", app.base))).await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.text);
    app.assert_alive().await;
}

#[tokio::test]
async fn conflict_is_409_uniqueness() {
    let app = TestServer::spawn().await;
    app.create_user("dup").await;
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "DUP"})).await;
    assert_scim_error(&r, 409, Some("uniqueness"));
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let mut app = TestServer::spawn().await;
    let big = "x".repeat(2 * 1024 * 1024);
    let body = json!({"schemas": [USER_SCHEMA], "userName": "big", "displayName": big});
    // The server answers 413 from Content-Length without reading the body and
    // closes the connection; a client still writing may then see a broken
    // pipe instead of the answer. Try a few times: at least one attempt must
    // read the 413, and none may get anything else.
    let mut answered = None;
    for _ in 0..5 {
        match with_json(app.req(Method::POST, "/Users"), &body).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                answered = Some((status, text));
                break;
            }
            Err(e) => assert!(e.is_request() || e.is_body(), "unexpected client error: {e}"),
        }
    }
    let (status, text) = answered.expect("no attempt read the server's answer");
    assert_eq!(status, 413, "{}", &text[..text.len().min(300)]);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        assert_eq!(v["status"], "413", "{text}");
    }
    // A body just under the limit passes the body limit (a single string that
    // long is refused by the attribute limit instead, with a SCIM 400).
    let under = json!({"schemas": [USER_SCHEMA], "userName": "medium", "displayName": "y".repeat(900 * 1024)});
    let r = app.post("/Users", &under).await;
    assert_ne!(r.status.as_u16(), 413, "900 KiB is under the 1 MiB default");
    assert!(r.status.is_success() || r.status.as_u16() == 400, "{}", r.status);
    let many: Vec<_> =
        (0..2000).map(|i| json!({"value": format!("{i}-{}@example.com", "z".repeat(300)), "type": "other"})).collect();
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "many", "emails": many})).await;
    assert_ne!(r.status.as_u16(), 413, "~700 KiB body: {}", &r.text[..r.text.len().min(300)]);
    app.assert_alive().await;
}

#[tokio::test]
async fn me_is_501() {
    let mut app = TestServer::spawn().await;
    assert_scim_error(&app.get("/Me").await, 501, None);
    app.assert_alive().await;
}

#[tokio::test]
async fn deep_or_long_filters_are_rejected_cleanly() {
    let mut app = TestServer::spawn().await;
    let deep = format!("{}userName eq \"a\"{}", "(".repeat(2000), ")".repeat(2000));
    let r = app.list("/Users", &[("filter", deep.as_str())]).await;
    assert_scim_error(&r, 400, Some("invalidFilter"));
    let deeper = format!("{}userName eq \"a\"{}", "not (".repeat(100_000), ")".repeat(100_000));
    let r = app.post("/Users/.search", &json!({"schemas": [SEARCH_SCHEMA], "filter": deeper})).await;
    assert_scim_error(&r, 400, Some("invalidFilter"));
    let wide = vec!["userName eq \"a\""; 20_000].join(" or ");
    let r = app.post("/Users/.search", &json!({"schemas": [SEARCH_SCHEMA], "filter": wide})).await;
    assert_scim_error(&r, 400, Some("invalidFilter"));
    app.assert_alive().await;
}

#[tokio::test]
async fn error_responses_are_scim_json() {
    let app = TestServer::spawn().await;
    let r = app.get("/Users/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee").await;
    assert_eq!(r.status.as_u16(), 404);
    let ct = r.header("content-type").unwrap_or("");
    assert!(ct.starts_with(SCIM_JSON), "content-type of an error: {ct}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestServer::spawn().await;
    let ok = app.get("/Users").await.expect(200);
    let missing = app.get("/Users/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee").await;
    let unauth = send(app.http.get(app.url("/Users"))).await;
    for r in [&ok, &missing, &unauth] {
        assert!(
            r.header("x-request-id").is_some_and(|v| !v.is_empty()),
            "no x-request-id on {}: {:?}",
            r.status,
            r.headers
        );
    }
    assert_ne!(ok.header("x-request-id"), missing.header("x-request-id"), "request ids are unique");
}

/// Another process holding the database's write lock (a long transaction
/// in the sqlite3 shell) makes writes answer 503 with Retry-After once the
/// busy timeout passes; reads go on; nothing of the write is kept; and the
/// refusal's audit entry, which needs the same lock, is written once the
/// lock is gone (it does not hold up the answer).
#[tokio::test]
async fn a_write_lock_held_elsewhere_is_503_with_retry_after() {
    let app = TestServer::spawn_sqlite().await;
    app.create_user("before").await;
    let lock = ExternalLock::write_lock(&app.database);
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "blocked"})).await;
    assert_scim_error(&r, 503, None);
    assert_eq!(r.headers["retry-after"], "1");
    app.list("/Users", &[("filter", "userName eq \"before\"")]).await.expect(200);
    // The answer came while the lock is still held (it is released only
    // now): the audit entry did not hold it up.
    lock.release();
    let after = app.list("/Users", &[("filter", "userName eq \"blocked\"")]).await.expect(200);
    assert_eq!(after.total(), 0);
    let refusal = eventually(Duration::from_secs(30), "the 503's audit entry", || async {
        app.audit().into_iter().find(|e| e["status"] == 503)
    })
    .await;
    assert_eq!((refusal["method"].as_str(), refusal["path"].as_str()), (Some("POST"), Some("/scim/v2/acme/Users")));
    app.create_user("after").await;
}

/// A base URL pasted into an identity provider with a trailing slash makes
/// `…/scim/v2/acme//Users`: it reaches `/Users` all the same.
#[tokio::test]
async fn a_base_url_with_a_trailing_slash_works() {
    let app = TestServer::spawn().await;
    let base = app.url("/");
    let created = send(with_json(
        app.http.post(format!("{base}/Users")).bearer_auth(&app.tenant.token),
        &json!({"schemas": [USER_SCHEMA], "userName": "slash"}),
    ))
    .await
    .expect(201);
    let id = created.id();
    let got = send(app.http.get(format!("{base}/Users/{id}?attributes=userName")).bearer_auth(&app.tenant.token))
        .await
        .expect(200);
    assert_eq!(got.body["userName"], "slash");
    assert!(got.body.get("emails").is_none(), "the query string survived: {}", got.text);
    send(app.http.get(format!("{base}/ServiceProviderConfig"))).await.expect(200);
}
