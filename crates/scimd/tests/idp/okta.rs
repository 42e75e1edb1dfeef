//! Okta: the requests of Okta's "SCIM 2.0 Protocol Reference" (lookup before
//! create, create, PUT updates, PATCH/PUT (de)activation, Push Groups) and of
//! its "SCIM 2.0 Spec Test" (Runscope) suite.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use crate::helpers::*;

const PAGE: &str = "&startIndex=1&count=100";

/// Okta's create body: `groups: []`, a password, `locale`, the Okta user id
/// as `externalId`, plus enterprise attributes from the app profile.
fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true,
        ENTERPRISE_SCHEMA: {"employeeNumber": "1001", "department": "Engineering"}
    })
}

/// The body Okta PUTs: what it read back, with its changes, `id`, `groups`
/// and `meta` included.
fn okta_put(id: &str, user_name: &str, active: bool) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": id,
        "userName": user_name,
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "emails": [{"primary": true, "value": user_name, "type": "work", "display": user_name}],
        "displayName": "Another User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "active": active,
        "groups": [],
        "meta": {"resourceType": "User"},
        ENTERPRISE_SCHEMA: {"employeeNumber": "1001", "department": "Platform", "costCenter": "42"}
    })
}

#[tokio::test]
async fn user_lifecycle() {
    let app = TestServer::spawn().await;
    let name = "test.user@okta.local";

    // Determine if the user already exists.
    assert_list(&find_user(&app, name, PAGE).await, 0);
    // Create.
    let r = app.post("/Users", &okta_user(name)).await.expect(201);
    let id = r.id();
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["userName"], name);
    assert_eq!(r.body["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["department"], "Engineering");
    assert!(r.body.get("password").is_none(), "password is returned never: {}", r.text);
    let path = format!("/Users/{id}");

    // The lookup now finds it; Runscope checks it case-insensitively too.
    let f = find_user(&app, name, PAGE).await;
    assert_list(&f, 1);
    assert_eq!(ids(&f), vec![id.clone()]);
    let f = find_user(&app, &name.to_uppercase(), PAGE).await;
    assert_eq!(ids(&f), vec![id.clone()], "userName is caseExact false: {}", f.text);

    // Retrieve a specific user.
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body["id"], json!(id));
    assert_eq!(g.body["name"]["givenName"], "Test");

    // Update (PUT) with the full profile, enterprise attributes included.
    let r = app.put(&path, &okta_put(&id, name, true)).await.expect(200);
    assert_eq!(r.body["name"]["middleName"], "Excited");
    assert_eq!(r.body["displayName"], "Another User");
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["department"], "Platform");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["costCenter"], "42");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["employeeNumber"], "1001");
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body[ENTERPRISE_SCHEMA]["costCenter"], "42", "PUT kept the extension: {}", g.text);
    assert_eq!(g.body["locale"], "en-US");

    // Deactivate by PATCH (no path, value object).
    let r = app.patch(&path, &patch_body(json!([{"op": "replace", "value": {"active": false}}]))).await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body["active"], false);
    assert_eq!(g.body["name"]["middleName"], "Excited", "deactivation keeps the data");
    // Still found by the lookup, so Okta links it instead of creating a second one.
    let f = find_user(&app, name, PAGE).await;
    assert_list(&f, 1);
    assert_eq!(f.resources()[0]["active"], false);
    assert_eq!(ids(&f), vec![id.clone()]);
    // A create for the same userName (deactivated) is a uniqueness conflict.
    assert_refused(&app.post("/Users", &okta_user(name)).await, 409, Some("uniqueness"), "POST existing (inactive)");

    // Reactivate by PATCH: same id, data kept.
    let r = app.patch(&path, &patch_body(json!([{"op": "replace", "value": {"active": true}}]))).await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body["active"], true);
    assert_eq!(g.body["id"], json!(id));
    assert_eq!(g.body[ENTERPRISE_SCHEMA]["costCenter"], "42");
    // A create for the same userName (active) is a uniqueness conflict.
    assert_refused(&app.post("/Users", &okta_user(name)).await, 409, Some("uniqueness"), "POST existing (active)");

    // AIW apps deactivate and reactivate with PUT.
    let r = app.put(&path, &okta_put(&id, name, false)).await.expect(200);
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["department"], "Platform");
    assert_eq!(find_user(&app, name, PAGE).await.resources()[0]["active"], false);
    let r = app.put(&path, &okta_put(&id, name, true)).await.expect(200);
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["id"], json!(id));
    assert_eq!(r.body["name"]["middleName"], "Excited");
}

#[tokio::test]
async fn runscope_spec_test() {
    let app = TestServer::spawn().await;
    // "Test Users endpoint": a list with integer paging fields.
    let r = raw(&app, Method::GET, "/Users?count=1&startIndex=1", None).await.expect(200);
    assert_list(&r, 0);
    // "Test invalid User by username".
    assert_list(&find_user(&app, "invalidUser@example.com", "").await, 0);
    // "Test invalid User by ID": an id that is not even a UUID is 404.
    let r = app.get("/Users/010101001010101").await;
    assert_scim_error(&r, 404, None);
    // "Create Okta user with realistic values", "Verify that user was created".
    let name = "Runscope23Jfy4nX@atko.com";
    let body = json!({"schemas": [USER_SCHEMA], "userName": name,
        "name": {"givenName": "Runscope", "familyName": "Tester"},
        "emails": [{"primary": true, "value": name, "type": "work"}],
        "displayName": "Runscope Tester", "active": true});
    let r = app.post("/Users", &body).await.expect(201);
    let id = r.id();
    let g = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(g.body["userName"], name);
    // "Expect failure when recreating user with same values".
    assert_refused(&app.post("/Users", &body).await, 409, Some("uniqueness"), "recreate");
    // "Username Case Sensitivity Check".
    let f = find_user(&app, &name.to_lowercase(), "").await;
    assert_eq!(ids(&f), vec![id], "{}", f.text);
    // "Optional Test: Verify Groups endpoint".
    assert_list(&raw(&app, Method::GET, "/Groups?count=1&startIndex=1", None).await.expect(200), 0);
}

#[tokio::test]
async fn import_pages_are_stable() {
    let app = TestServer::spawn().await;
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(app.create_user(&format!("import{i}@okta.local")).await["id"].as_str().unwrap().to_string());
    }
    // Okta imports page by page with startIndex/count and expects the same
    // order whatever the page size.
    let mut seen = Vec::new();
    for start in [1, 3, 5] {
        let r = raw(&app, Method::GET, &format!("/Users?startIndex={start}&count=2"), None).await.expect(200);
        assert_eq!(r.total(), 5);
        assert_eq!(r.body["startIndex"], json!(start));
        seen.extend(ids(&r));
    }
    let whole = ids(&raw(&app, Method::GET, "/Users?startIndex=1&count=100", None).await.expect(200));
    assert_eq!(seen, whole, "pages concatenate to the full list in the same order");
    assert_eq!(sorted(&seen), sorted(&all));
}

#[tokio::test]
async fn push_groups() {
    let app = TestServer::spawn().await;
    let u1 = app.create_user("u1@okta.local").await["id"].as_str().unwrap().to_string();
    let u2 = app.create_user("u2@okta.local").await["id"].as_str().unwrap().to_string();
    let u3 = app.create_user("u3@okta.local").await["id"].as_str().unwrap().to_string();

    // Create (empty, as documented) and with members.
    let r = app.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []})).await;
    let r = r.expect(201);
    assert_eq!(r.body["displayName"], "Test SCIMv2");
    let empty = r.id();
    let r = app
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Okta Pushed",
                "members": [{"value": u1, "display": "u1@okta.local"}, {"value": u2, "display": "u2@okta.local"}]}),
        )
        .await
        .expect(201);
    let gid = r.id();
    assert_eq!(member_values(&r.body), sorted(&[u1.clone(), u2.clone()]));
    let gpath = format!("/Groups/{gid}");

    // Import and retrieve.
    let l = raw(&app, Method::GET, "/Groups?startIndex=1&count=100", None).await.expect(200);
    assert_list(&l, 2);
    assert_eq!(sorted(&ids(&l)), sorted(&[empty.clone(), gid.clone()]));
    assert_eq!(members_of(&app, &gid).await, sorted(&[u1.clone(), u2.clone()]));

    // Membership update: remove by filter and add with display in one request.
    let r = app
        .patch(
            &gpath,
            &patch_body(json!([
                {"op": "remove", "path": format!("members[value eq \"{u1}\"]")},
                {"op": "add", "path": "members", "value": [{"value": u3, "display": "u3@okta.local"}]}
            ])),
        )
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, sorted(&[u2.clone(), u3.clone()]));

    // Rename: a no-path replace whose value repeats the group's own id.
    let r = app
        .patch(&gpath, &patch_body(json!([{"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv20"}}])))
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "rename with id in the value: {}", r.text);
    let g = app.get(&gpath).await.expect(200);
    assert_eq!(g.body["displayName"], "Test SCIMv20");
    assert_eq!(g.body["id"], json!(gid));
    assert_eq!(member_values(&g.body), sorted(&[u2.clone(), u3.clone()]), "a rename keeps the members");
    let u = app.get(&format!("/Users/{u2}")).await.expect(200);
    assert_eq!(u.body["groups"][0]["display"], "Test SCIMv20", "{}", u.text);

    // A profile PUT carries `"groups": []` (readOnly, RFC 7643 §4.1.2): it
    // must not take the user out of its pushed groups.
    app.put(&format!("/Users/{u2}"), &okta_put(&u2, "u2@okta.local", true)).await.expect(200);
    assert_eq!(
        members_of(&app, &gid).await,
        sorted(&[u2.clone(), u3.clone()]),
        "a user PUT with groups: [] kept the membership"
    );

    // Full push of the membership with replace.
    let r = app
        .patch(
            &gpath,
            &patch_body(json!([{"op": "replace", "path": "members", "value": [
                {"value": u1, "display": "u1@okta.local"}, {"value": u3, "display": "u3@okta.local"}]}])),
        )
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, sorted(&[u1.clone(), u3.clone()]));

    // AIW apps PUT the whole group with its full member list.
    let r = app
        .put(
            &gpath,
            &json!({"schemas": [GROUP_SCHEMA], "id": gid, "displayName": "Test SCIMv21",
                "members": [{"value": u2, "display": "u2@okta.local"}, {"value": u3, "display": "u3@okta.local"}],
                "meta": {"resourceType": "Group"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Test SCIMv21");
    assert_eq!(member_values(&r.body), sorted(&[u2.clone(), u3.clone()]));
    assert!(group_values(&app.get(&format!("/Users/{u1}")).await.body).is_empty());

    // Unlink pushed group → "Delete the group in the target app".
    app.delete(&gpath).await.expect(204);
    assert_scim_error(&app.get(&gpath).await, 404, None);
    assert!(group_values(&app.get(&format!("/Users/{u2}")).await.body).is_empty());
    // The users themselves stay.
    app.get(&format!("/Users/{u2}")).await.expect(200);
}

#[tokio::test]
async fn bad_shapes_get_rfc_errors() {
    let mut app = TestServer::spawn().await;
    let id = app.create_user_with(json!({"userName": "bad@okta.local", "active": true})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gid = app.create_group("G", &[&id]).await["id"].as_str().unwrap().to_string();

    // Rename whose value carries a different id: id is readOnly (RFC 7644 §3.5.2).
    let r = app
        .patch(
            &format!("/Groups/{gid}"),
            &patch_body(
                json!([{"op": "replace", "value": {"id": "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", "displayName": "X"}}]),
            ),
        )
        .await;
    assert_refused(&r, 400, Some("mutability"), "changing a group's id");
    assert_eq!(app.get(&format!("/Groups/{gid}")).await.expect(200).body["displayName"], "G");

    // PUT without the required userName.
    let r = app.put(&format!("/Users/{id}"), &json!({"schemas": [USER_SCHEMA], "active": false})).await;
    assert_refused(&r, 400, None, "PUT without userName");
    // userName of the wrong type.
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": 42})).await;
    assert_refused(&r, 400, Some("invalidValue"), "numeric userName");
    // Broken JSON.
    let r = send(app.req(Method::POST, "/Users").header("content-type", SCIM_JSON).body("{\"userName\": ")).await;
    assert_refused(&r, 400, Some("invalidSyntax"), "truncated JSON");
    // A filter operator that does not exist.
    let r = raw(&app, Method::GET, &format!("/Users?filter={}{PAGE}", enc("userName equals \"x\"")), None).await;
    assert_refused(&r, 400, Some("invalidFilter"), "unknown filter operator");
    // PUT to a group that does not exist.
    let r = app
        .put("/Groups/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Nope"}))
        .await;
    assert_refused(&r, 404, None, "PUT unknown group");

    let g = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(g.body["active"], true, "nothing refused changed the user");
    app.assert_alive().await;
}
