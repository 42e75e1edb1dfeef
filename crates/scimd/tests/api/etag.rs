//! Versions: ETag, If-Match, If-None-Match (RFC 7644 §3.14, RFC 7232).

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn etag_matches_meta_version_and_moves_on_change() {
    let app = TestServer::spawn().await;
    let created = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "e"})).await.expect(201);
    let id = created.id();
    let v1 = created.etag();
    assert!(v1.starts_with("W/\"") && v1.ends_with('"'), "{v1}");
    let get = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(get.etag(), v1);
    assert_eq!(get.body["meta"]["version"], json!(v1));
    let put = app
        .put(&format!("/Users/{id}"), &json!({"schemas": [USER_SCHEMA], "userName": "e", "nickName": "n"}))
        .await
        .expect(200);
    let v2 = put.etag();
    assert_ne!(v1, v2);
    assert_eq!(put.body["meta"]["version"], json!(v2));
    let patch = app
        .patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "nickName", "value": "m"}]))
        .await
        .expect(200);
    let v3 = patch.etag();
    assert!(v3 != v2 && v3 != v1);
    let list = app.list("/Users", &[("filter", "userName eq \"e\"")]).await.expect(200);
    assert_eq!(list.resources()[0]["meta"]["version"], json!(v3));
}

#[tokio::test]
async fn if_none_match_gives_304() {
    let app = TestServer::spawn().await;
    let created = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "e"})).await.expect(201);
    let id = created.id();
    let v1 = created.etag();
    let r = send(app.req(Method::GET, &format!("/Users/{id}")).header("if-none-match", &v1)).await;
    assert_eq!(r.status.as_u16(), 304, "{}", r.text);
    assert!(r.text.is_empty(), "304 has no body");
    assert_eq!(r.header("etag"), Some(v1.as_str()));
    let r = send(app.req(Method::GET, &format!("/Users/{id}")).header("if-none-match", "W/\"9999\"")).await;
    r.expect(200);
    app.patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "nickName", "value": "m"}]))
        .await
        .expect(200);
    let r = send(app.req(Method::GET, &format!("/Users/{id}")).header("if-none-match", &v1)).await;
    assert_eq!(r.status.as_u16(), 200, "stale If-None-Match returns the resource");
    assert_eq!(r.body["nickName"], "m");
}

#[tokio::test]
async fn if_match_guards_put_patch_delete() {
    let app = TestServer::spawn().await;
    let created = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "e"})).await.expect(201);
    let id = created.id();
    let path = format!("/Users/{id}");
    let v1 = created.etag();
    let stale = "W/\"9999\"";
    let body = json!({"schemas": [USER_SCHEMA], "userName": "e", "nickName": "put"});

    let r = send(with_json(app.req(Method::PUT, &path).header("if-match", stale), &body)).await;
    assert_scim_error(&r, 412, None);
    let patch =
        json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "nickName", "value": "patched"}]});
    let r = send(with_json(app.req(Method::PATCH, &path).header("if-match", stale), &patch)).await;
    assert_scim_error(&r, 412, None);
    let r = send(app.req(Method::DELETE, &path).header("if-match", stale)).await;
    assert_scim_error(&r, 412, None);
    let get = app.get(&path).await.expect(200);
    assert_eq!(get.etag(), v1, "refused requests change nothing");
    assert!(get.body.get("nickName").is_none());

    let r = send(with_json(app.req(Method::PUT, &path).header("if-match", &v1), &body)).await.expect(200);
    let v2 = r.etag();
    // v1 is stale now.
    let r = send(with_json(app.req(Method::PATCH, &path).header("if-match", &v1), &patch)).await;
    assert_scim_error(&r, 412, None);
    let r = send(with_json(app.req(Method::PATCH, &path).header("if-match", &v2), &patch)).await.expect(200);
    assert_eq!(r.body["nickName"], "patched");
    let v3 = r.etag();
    let r = send(with_json(app.req(Method::PATCH, &path).header("if-match", "*"), &patch)).await;
    assert_eq!(r.status.as_u16(), 200, "If-Match: * matches any version: {}", r.text);
    let r = send(app.req(Method::DELETE, &path).header("if-match", &v2)).await;
    assert_scim_error(&r, 412, None);
    let current = app.get(&path).await.etag();
    assert_eq!(current, v3, "a refused DELETE changes nothing");
    send(app.req(Method::DELETE, &path).header("if-match", &current)).await.expect(204);
    assert_scim_error(&app.get(&path).await, 404, None);
}

#[tokio::test]
async fn membership_changes_bump_the_group_version() {
    let app = TestServer::spawn().await;
    let uid = app.create_user("m").await["id"].as_str().unwrap().to_string();
    let g = app.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "G"})).await.expect(201);
    let gid = g.id();
    let v1 = g.etag();
    let stale = "W/\"9999\"";
    let add =
        json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]});
    let r = send(with_json(app.req(Method::PATCH, &format!("/Groups/{gid}")).header("if-match", stale), &add)).await;
    assert_scim_error(&r, 412, None);
    let r = send(with_json(app.req(Method::PATCH, &format!("/Groups/{gid}")).header("if-match", &v1), &add)).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    let v2 = app.get(&format!("/Groups/{gid}")).await.expect(200).etag();
    assert_ne!(v1, v2, "a member change is a change of the group");
    assert_eq!(r.header("etag"), Some(v2.as_str()), "the 204's ETag is the new version");
}
