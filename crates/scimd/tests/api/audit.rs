//! The audit log (DESIGN §2, §3) as a running scimd writes it, read back
//! with `scimd audit list`: every change with who asked, every refused
//! write on its own (the write itself rolled back whole), and never a
//! password or a token.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// The entries of one method and path, newest first.
fn entries<'a>(audit: &'a [Value], method: &str, path: &str) -> Vec<&'a Value> {
    audit.iter().filter(|e| e["method"] == method && e["path"] == path).collect()
}

#[tokio::test]
async fn a_change_is_recorded_with_its_token_and_diff() {
    let app = TestServer::spawn().await;
    let token_id = app.cli_json(&["token", "list", "--tenant", "acme"])[0]["id"].as_str().unwrap().to_owned();
    let user =
        app.create_user_with(json!({"userName": "audited", "title": "Engineer", "password": "Pa55-w0rd!x"})).await;
    let id = user["id"].as_str().unwrap();
    app.patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "title", "value": "Manager"}]))
        .await
        .expect(200);
    let audit = app.audit();
    let created = entries(&audit, "POST", "/scim/v2/acme/Users");
    assert_eq!(created.len(), 1, "{audit:?}");
    let created = created[0];
    assert_eq!(created["status"], 201);
    assert_eq!(created["token"], token_id.as_str());
    assert_eq!(created["resource_type"], "User");
    assert_eq!(created["resource_id"], id);
    assert_eq!(created["detail"]["after"]["userName"], "audited");
    assert_eq!(created["detail"]["passwordChanged"], true);
    assert!(created["remote_addr"].as_str().is_some_and(|a| a.starts_with("127.0.0.1:")), "{created}");
    assert!(created["request_id"].as_str().is_some_and(|r| !r.is_empty()), "{created}");
    let patched = entries(&audit, "PATCH", &format!("/scim/v2/acme/Users/{id}"));
    assert_eq!(patched.len(), 1, "{audit:?}");
    assert_eq!(patched[0]["detail"], json!({"before": {"title": "Engineer"}, "after": {"title": "Manager"}}));
    let text = Value::Array(audit.clone()).to_string();
    assert!(!text.contains("Pa55-w0rd!x"), "a password in the audit log: {text}");
    assert!(!text.contains(&app.tenant.token), "a token in the audit log: {text}");
    // Reads are not audited.
    app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(app.audit().len(), audit.len());
}

#[tokio::test]
async fn a_refused_write_is_recorded_alone_and_leaves_nothing_else() {
    let app = TestServer::spawn().await;
    let events_before = app.last_event();
    // Refused by validation: no userName.
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "displayName": "nameless"})).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    // Refused by uniqueness, after a successful create.
    app.create_user("taken").await;
    let dup = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "TAKEN"})).await;
    assert_scim_error(&dup, 409, Some("uniqueness"));
    // Refused before any token is known.
    let anon = send(with_json(app.http.post(app.url("/Users")), &json!({"userName": "anon"}))).await;
    assert_eq!(anon.status.as_u16(), 401);

    // Refusals without a token are counted, and written once a window.
    let audit = eventually(Duration::from_secs(30), "the counted 401", || async {
        let audit = app.audit();
        audit.iter().any(|e| e["status"] == 401).then_some(audit)
    })
    .await;
    let posts = entries(&audit, "POST", "/scim/v2/acme/Users");
    let statuses: Vec<&Value> = posts.iter().map(|e| &e["status"]).collect();
    assert_eq!(statuses, [&json!(401), &json!(409), &json!(201), &json!(400)], "newest first: {audit:?}");
    let (unauthenticated, conflict, invalid) = (posts[0], posts[1], posts[3]);
    assert_eq!(unauthenticated["token"], Value::Null);
    assert_eq!(unauthenticated["detail"]["error"], "missing bearer token");
    assert_eq!(unauthenticated["detail"]["count"], 1);
    assert_eq!(conflict["detail"]["scimType"], "uniqueness");
    assert!(conflict["token"].is_string());
    assert_eq!(invalid["detail"]["scimType"], "invalidValue");
    assert!(invalid["detail"]["error"].as_str().is_some_and(|d| d.contains("userName")), "{invalid}");
    assert_eq!(invalid["resource_type"], "User");
    // The refused writes left no resource and no event; only the create did.
    assert_eq!(app.list("/Users", &[]).await.expect(200).total(), 1);
    let events = app.events(events_before);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["user.created"]);
    // Another tenant's log holds none of it.
    let other = app.cli_json(&["audit", "list", "--tenant", "other"]);
    assert_eq!(other, json!([]));
}

#[tokio::test]
async fn a_refused_bulk_operation_is_recorded_with_its_index() {
    let app = TestServer::spawn().await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER_SCHEMA], "userName": "bulk-ok"}},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [USER_SCHEMA]}},
        ]
    });
    let r = send(with_json(app.req(Method::POST, "/Bulk"), &body)).await.expect(200);
    assert_eq!(r.body["Operations"][1]["status"], "400", "{}", r.text);
    let audit = app.audit();
    let posts = entries(&audit, "POST", "/scim/v2/acme/Users");
    assert_eq!(posts.len(), 2, "{audit:?}");
    assert_eq!(posts[0]["status"], 400);
    assert_eq!(posts[0]["detail"]["bulkOperation"], 1);
    assert_eq!(posts[1]["status"], 201);
    // The bulk request's own request id ties both entries to it.
    assert_eq!(posts[0]["request_id"], posts[1]["request_id"]);
}

/// Nobody without a token can grow the log: a flood of refused requests is
/// one entry per source and window, with the count.
#[tokio::test]
async fn refusals_without_a_token_are_counted_not_written_each() {
    let app = TestServer::spawn().await;
    let before = app.audit().len();
    let http = &app.http;
    let floods = (0..200).map(|i| {
        let body = json!({"schemas": [USER_SCHEMA], "userName": format!("u{i}")});
        send(with_json(http.post(app.url("/Users")).bearer_auth("scimd_not-a-real-token"), &body))
    });
    for r in join_all(floods).await {
        assert_eq!(r.status.as_u16(), 401, "{}", r.text);
    }
    let counted = eventually(Duration::from_secs(30), "the counted refusals", || async {
        let audit = app.audit();
        let counted: Vec<Value> = audit.into_iter().filter(|e| e["status"] == 401).collect();
        let n: u64 = counted.iter().map(|e| e["detail"]["count"].as_u64().unwrap()).sum();
        (n == 200).then_some(counted)
    })
    .await;
    // A few windows at most, never one entry per request.
    assert!(counted.len() <= 5, "{} entries for 200 refusals", counted.len());
    assert!(app.audit().len() - before <= 5);
    let e = &counted[0];
    assert!(e["remote_addr"].as_str().is_some_and(|a| a == "127.0.0.1"), "{e}");
    assert_eq!(e["detail"]["error"], "the token is not valid for this URL: check the URL and the token");
}
