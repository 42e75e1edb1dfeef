//! JumpCloud ("Identity Management using a Custom SCIM Integration"): the
//! connection test creates a test user and a test group and deletes both;
//! users are looked up by userName, created, updated and deactivated;
//! groups are created with their members (empty groups are not pushed),
//! renamed with a top-level `replace` without path, members changed with
//! value lists, and deleted.

use serde_json::{Value, json};

use crate::common::*;
use crate::helpers::*;

fn jc_user(user_name: &str, first: &str, last: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": format!("jc-{first}"),
        "name": {"givenName": first, "familyName": last},
        "displayName": format!("{first} {last}"),
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true
    })
}

#[tokio::test]
async fn connection_test_creates_and_deletes_a_test_user_and_group() {
    let app = TestServer::spawn().await;
    let test_mail = "jc-test-user@acme.example";
    assert_list(&find_user(&app, test_mail, "").await, 0);
    let uid = app.post("/Users", &jc_user(test_mail, "JumpCloud", "Test")).await.expect(201).id();
    let gid = app
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "JumpCloud Test Group", "members": [{"value": uid}]}),
        )
        .await
        .expect(201)
        .id();
    app.delete(&format!("/Groups/{gid}")).await.expect(204);
    app.delete(&format!("/Users/{uid}")).await.expect(204);
    assert_scim_error(&app.get(&format!("/Groups/{gid}")).await, 404, None);
    assert_scim_error(&app.get(&format!("/Users/{uid}")).await, 404, None);
    // Nothing left behind: a real activation right after can use the same name.
    app.post("/Users", &jc_user(test_mail, "JumpCloud", "Test")).await.expect(201);
}

#[tokio::test]
async fn user_and_group_cycle() {
    let app = TestServer::spawn().await;
    let name = "grace.hopper@acme.example";
    assert_list(&find_user(&app, name, "").await, 0);
    let r = app.post("/Users", &jc_user(name, "Grace", "Hopper")).await.expect(201);
    let id = r.id();
    let path = format!("/Users/{id}");
    let id2 = app.post("/Users", &jc_user("alan.turing@acme.example", "Alan", "Turing")).await.expect(201).id();

    // Update: full replace.
    let mut body = jc_user(name, "Grace", "Hopper");
    body["title"] = json!("Rear Admiral");
    body["id"] = json!(id);
    let r = app.put(&path, &body).await.expect(200);
    assert_eq!(r.body["title"], "Rear Admiral");

    // A group pushed with its members.
    let r = app
        .post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Compilers", "members": [{"value": id}]}))
        .await
        .expect(201);
    let gid = r.id();
    let gpath = format!("/Groups/{gid}");
    assert_eq!(member_values(&r.body), vec![id.clone()]);

    // Rename: top-level replace without path, id repeated in the value.
    let r = app
        .patch(&gpath, &patch_body(json!([{"op": "replace", "value": {"id": gid, "displayName": "Compiler Team"}}])))
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    let g = app.get(&gpath).await.expect(200);
    assert_eq!(g.body["displayName"], "Compiler Team");
    assert_eq!(member_values(&g.body), vec![id.clone()], "the rename kept the members");

    // Members added and removed with value lists.
    let r = app.patch(&gpath, &patch_body(json!([{"op": "add", "path": "members", "value": [{"value": id2}]}]))).await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, sorted(&[id.clone(), id2.clone()]));
    let r =
        app.patch(&gpath, &patch_body(json!([{"op": "remove", "path": "members", "value": [{"value": id}]}]))).await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, vec![id2.clone()]);

    // Deactivation (the user was unbound from the app): PATCH active false,
    // then the same with PUT; the user stays with its data.
    let r =
        app.patch(&path, &patch_body(json!([{"op": "replace", "path": "active", "value": false}]))).await.expect(200);
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["title"], "Rear Admiral");
    let mut body = jc_user("alan.turing@acme.example", "Alan", "Turing");
    body["active"] = json!(false);
    let r = app.put(&format!("/Users/{id2}"), &body).await.expect(200);
    assert_eq!(r.body["active"], false);
    assert_eq!(members_of(&app, &gid).await, vec![id2.clone()], "deactivation keeps memberships");
    let f = find_user(&app, name, "").await;
    assert_eq!(f.resources()[0]["active"], false, "{}", f.text);

    // Group deleted in JumpCloud, then the user.
    app.delete(&gpath).await.expect(204);
    assert_scim_error(&app.get(&gpath).await, 404, None);
    app.delete(&path).await.expect(204);
    assert_scim_error(&app.get(&path).await, 404, None);
    app.get(&format!("/Users/{id2}")).await.expect(200);
}

#[tokio::test]
async fn bad_shapes_get_rfc_errors() {
    let mut app = TestServer::spawn().await;
    let gid = app.create_group("G", &[]).await["id"].as_str().unwrap().to_string();
    let gpath = format!("/Groups/{gid}");
    // displayName of the wrong type in a no-path replace.
    let r = app.patch(&gpath, &patch_body(json!([{"op": "replace", "value": {"displayName": 7}}]))).await;
    assert_refused(&r, 400, Some("invalidValue"), "numeric displayName");
    // Removing the required displayName.
    let r = app.patch(&gpath, &patch_body(json!([{"op": "remove", "path": "displayName"}]))).await;
    assert_refused(&r, 400, None, "remove displayName");
    // A group without displayName.
    let r = app.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "members": []})).await;
    assert_refused(&r, 400, None, "group without displayName");
    // A patch for a group that does not exist.
    let r = app
        .patch(
            "/Groups/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee",
            &patch_body(json!([{"op": "replace", "value": {"displayName": "X"}}])),
        )
        .await;
    assert_refused(&r, 404, None, "PATCH unknown group");
    assert_eq!(app.get(&gpath).await.expect(200).body["displayName"], "G");
    app.assert_alive().await;
}
