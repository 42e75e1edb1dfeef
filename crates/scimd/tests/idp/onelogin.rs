//! OneLogin ("SCIM Provisioner with SAML (SCIM v2 Enterprise)"): users from
//! the app's SCIM JSON template (core + enterprise), lookup by userName,
//! updates, suspension as `active: false`, deletion, and group membership
//! sent as member value lists. OneLogin sends no DELETE when a group is
//! removed on its side, so members are removed one by one first.

use serde_json::{Value, json};

use crate::common::*;
use crate::helpers::*;

/// The default SCIM JSON template, filled in.
fn onelogin_user(user_name: &str, first: &str, last: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "userName": user_name,
        "name": {"familyName": last, "givenName": first},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "displayName": format!("{first} {last}"),
        "active": true,
        ENTERPRISE_SCHEMA: {"department": "Support", "organization": "Acme"}
    })
}

#[tokio::test]
async fn user_and_group_cycle() {
    let app = TestServer::spawn().await;
    let name = "ada.lovelace@acme.example";

    // Lookup, create.
    assert_list(&find_user(&app, name, "").await, 0);
    let r = app.post("/Users", &onelogin_user(name, "Ada", "Lovelace")).await.expect(201);
    let id = r.id();
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["organization"], "Acme");
    let path = format!("/Users/{id}");
    assert_eq!(ids(&find_user(&app, name, "").await), vec![id.clone()]);

    // Profile update with the whole template (PUT)…
    let mut body = onelogin_user(name, "Ada", "King");
    body[ENTERPRISE_SCHEMA]["department"] = json!("Analytics");
    let r = app.put(&path, &body).await.expect(200);
    assert_eq!(r.body["name"]["familyName"], "King");
    assert_eq!(r.body["displayName"], "Ada King");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["department"], "Analytics");
    // …and single attributes with PATCH replace.
    let r = app
        .patch(&path, &patch_body(json!([{"op": "replace", "path": "title", "value": "Countess"}])))
        .await
        .expect(200);
    assert_eq!(r.body["title"], "Countess");

    // A second user; a group built from a OneLogin role, members added as
    // a value list (with display), one at a time and several at once.
    let id2 = app.post("/Users", &onelogin_user("charles.babbage@acme.example", "Charles", "Babbage")).await;
    let id2 = id2.expect(201).id();
    let r = app.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Engineers"})).await.expect(201);
    let gid = r.id();
    let gpath = format!("/Groups/{gid}");
    let r = app
        .patch(
            &gpath,
            &patch_body(json!([{"op": "add", "path": "members", "value": [{"value": id, "display": name}]}])),
        )
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    let r = app
        .patch(&gpath, &patch_body(json!([{"op": "add", "path": "members", "value": [{"value": id}, {"value": id2}]}])))
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "adding an existing member again is harmless: {}", r.text);
    assert_eq!(members_of(&app, &gid).await, sorted(&[id.clone(), id2.clone()]));
    let u = app.get(&path).await.expect(200);
    assert_eq!(group_values(&u.body), vec![gid.clone()]);
    assert_eq!(u.body["groups"][0]["display"], "Engineers");

    // Removal with a value list.
    let r =
        app.patch(&gpath, &patch_body(json!([{"op": "remove", "path": "members", "value": [{"value": id2}]}]))).await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, vec![id.clone()]);

    // Suspension: active false; the user and memberships stay.
    let r =
        app.patch(&path, &patch_body(json!([{"op": "replace", "path": "active", "value": false}]))).await.expect(200);
    assert_eq!(r.body["active"], false);
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body["title"], "Countess");
    assert_eq!(group_values(&g.body), vec![gid.clone()], "deactivation keeps group memberships");
    // Unsuspend.
    let r =
        app.patch(&path, &patch_body(json!([{"op": "replace", "path": "active", "value": true}]))).await.expect(200);
    assert_eq!(r.body["active"], true);

    // Deprovisioning action "Delete": DELETE the user; it leaves the group.
    app.delete(&path).await.expect(204);
    assert_scim_error(&app.get(&path).await, 404, None);
    assert!(members_of(&app, &gid).await.is_empty());
    assert_list(&find_user(&app, name, "").await, 0);
}

#[tokio::test]
async fn bad_shapes_get_rfc_errors() {
    let mut app = TestServer::spawn().await;
    let id = app.create_user("bad@acme.example").await["id"].as_str().unwrap().to_string();
    let gid = app.create_group("G", &[]).await["id"].as_str().unwrap().to_string();
    let gpath = format!("/Groups/{gid}");
    // A member value list whose entries lack "value".
    let r =
        app.patch(&gpath, &patch_body(json!([{"op": "add", "path": "members", "value": [{"display": "bad"}]}]))).await;
    assert_refused(&r, 400, None, "member without value");
    // members given as a bare string.
    let r = app.patch(&gpath, &patch_body(json!([{"op": "add", "path": "members", "value": id}]))).await;
    assert!(r.status.as_u16() < 500, "members as a string: {} {}", r.status, r.text);
    // An attribute that does not exist.
    let r = app
        .patch(&format!("/Users/{id}"), &patch_body(json!([{"op": "replace", "path": "nosuchattr", "value": "x"}])))
        .await;
    assert_refused(&r, 400, Some("invalidPath"), "unknown attribute path");
    // emails not a list of objects.
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "x@acme.example", "emails": 5})).await;
    assert_refused(&r, 400, None, "emails as a number");
    app.assert_alive().await;
}
