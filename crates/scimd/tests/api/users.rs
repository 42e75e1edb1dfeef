//! Users end to end: create, read, replace (PUT), deactivate, delete
//! (RFC 7644 §3.3, §3.4.1, §3.5.1, §3.6; RFC 7643 §4.1).

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn create_returns_201_with_id_meta_location_and_etag() {
    let app = TestServer::spawn().await;
    let r = app.post("/Users", &rfc7643_user_body()).await.expect(201);
    let ct = r.header("content-type").unwrap_or("");
    assert!(ct.starts_with(SCIM_JSON), "content-type: {ct}");
    let id = r.id();
    let body = &r.body;
    assert_eq!(body["userName"], "bjensen@example.com");
    assert_eq!(body["name"]["familyName"], "Jensen");
    assert_eq!(body["externalId"], "701984");
    assert!(body["schemas"].as_array().unwrap().contains(&json!(USER_SCHEMA)));
    assert_eq!(body["meta"]["resourceType"], "User");
    assert!(body["meta"]["created"].is_string() && body["meta"]["lastModified"].is_string(), "{body}");
    let location = body["meta"]["location"].as_str().unwrap();
    assert!(location.ends_with(&format!("/scim/v2/acme/Users/{id}")), "meta.location {location}");
    assert!(location.starts_with("http"), "meta.location must be absolute: {location}");
    assert_eq!(r.header("location"), Some(location), "Location header = meta.location");
    let etag = r.etag();
    assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "weak ETag: {etag}");
    assert_eq!(body["meta"]["version"], json!(etag));
    assert!(body.get("password").is_none(), "password returned: {body}");

    let g = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(g.body["userName"], "bjensen@example.com");
    assert_eq!(g.body["emails"].as_array().unwrap().len(), 2);
    assert_eq!(g.body["meta"]["created"], body["meta"]["created"]);
    assert_eq!(g.etag(), etag);
}

#[tokio::test]
async fn client_supplied_id_meta_and_groups_are_ignored() {
    let app = TestServer::spawn().await;
    let mut u = rfc7643_user_body();
    u["id"] = json!("my-own-id");
    u["meta"] = json!({"resourceType": "Group", "version": "W/\"999\""});
    u["groups"] = json!([{"value": "0195f5d0-0000-7000-8000-000000000000"}]);
    let r = app.post("/Users", &u).await.expect(201);
    assert_ne!(r.body["id"], "my-own-id", "id is readOnly and assigned by the server");
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert_ne!(r.body["meta"]["version"], "W/\"999\"");
    assert!(group_values(&r.body).is_empty(), "groups is readOnly: {}", r.text);
}

#[tokio::test]
async fn application_json_is_accepted_too() {
    let app = TestServer::spawn().await;
    let r = send(
        app.req(reqwest::Method::POST, "/Users")
            .header("content-type", "application/json")
            .body(json!({"schemas": [USER_SCHEMA], "userName": "plainjson"}).to_string()),
    )
    .await;
    r.expect(201);
}

#[tokio::test]
async fn password_is_never_returned() {
    let app = TestServer::spawn().await;
    let created = app.post("/Users", &rfc7643_user_body()).await.expect(201);
    let id = created.id();
    assert!(!created.text.contains("t1meMa$heen"));
    assert!(created.body.get("password").is_none());
    let get = app.get(&format!("/Users/{id}")).await.expect(200);
    assert!(get.body.get("password").is_none() && !get.text.contains("t1meMa$heen"), "{}", get.text);
    // Even when asked for by name (returned: never).
    let asked = app.list(&format!("/Users/{id}"), &[("attributes", "password,userName")]).await.expect(200);
    assert!(asked.body.get("password").is_none(), "{}", asked.text);
    let list = app.list("/Users", &[("attributes", "password")]).await.expect(200);
    assert!(!list.text.contains("t1meMa$heen") && !list.text.contains("\"password\""), "{}", list.text);
    let mut replaced = rfc7643_user_body();
    replaced["password"] = json!("n3wPa$$word");
    let put = app.put(&format!("/Users/{id}"), &replaced).await.expect(200);
    assert!(put.body.get("password").is_none() && !put.text.contains("n3wPa$$word"), "{}", put.text);
    let patch = app
        .patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "password", "value": "an0ther!"}]))
        .await
        .expect(200);
    assert!(patch.body.get("password").is_none() && !patch.text.contains("an0ther!"), "{}", patch.text);
    // Filtering on a returned:never attribute must not leak it either.
    let f = app.list("/Users", &[("filter", "password pr")]).await;
    assert!(!f.text.contains("an0ther!"), "{}", f.text);
}

#[tokio::test]
async fn put_replaces_the_whole_resource() {
    let app = TestServer::spawn().await;
    let created = app.post("/Users", &rfc7643_user_body()).await.expect(201);
    let id = created.id();
    let replacement = json!({
        "schemas": [USER_SCHEMA],
        "id": id,
        "userName": "bjensen@example.com",
        "displayName": "Barbara",
        "nickName": "Babs"
    });
    let put = app.put(&format!("/Users/{id}"), &replacement).await.expect(200);
    assert_eq!(put.body["displayName"], "Barbara");
    assert_eq!(put.body["nickName"], "Babs");
    // Omitted readWrite attributes are cleared (RFC 7644 §3.5.1).
    for gone in ["name", "emails", "externalId"] {
        assert!(put.body.get(gone).is_none(), "{gone} survived the PUT: {}", put.text);
    }
    assert_eq!(put.body["id"], json!(id));
    assert_eq!(put.body["meta"]["created"], created.body["meta"]["created"], "meta.created is immutable");
    assert_ne!(put.etag(), created.etag(), "PUT bumps the version");
    let get = app.get(&format!("/Users/{id}")).await.expect(200);
    assert!(get.body.get("emails").is_none(), "{}", get.text);
    assert_eq!(get.body["nickName"], "Babs");
    assert_eq!(get.etag(), put.etag());
}

#[tokio::test]
async fn put_can_rename_and_ignores_a_different_body_id() {
    let app = TestServer::spawn().await;
    let id = app.create_user("alice").await["id"].as_str().unwrap().to_string();
    // RFC 7644 §3.5.1: readOnly values in a PUT body "SHALL be ignored".
    let put = app
        .put(&format!("/Users/{id}"), &json!({"schemas": [USER_SCHEMA], "id": "something-else", "userName": "alice2"}))
        .await
        .expect(200);
    assert_eq!(put.body["id"], json!(id));
    assert_eq!(put.body["userName"], "alice2");
    // The old name is free again, the new one is taken.
    app.create_user("alice").await;
    let dup = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "ALICE2"})).await;
    assert_scim_error(&dup, 409, Some("uniqueness"));
}

#[tokio::test]
async fn put_to_an_existing_username_is_409() {
    let app = TestServer::spawn().await;
    app.create_user("taken").await;
    let id = app.create_user("mine").await["id"].as_str().unwrap().to_string();
    let r = app.put(&format!("/Users/{id}"), &json!({"schemas": [USER_SCHEMA], "userName": "Taken"})).await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    let get = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(get.body["userName"], "mine", "a refused PUT changes nothing");
}

#[tokio::test]
async fn username_is_unique_case_insensitively() {
    let app = TestServer::spawn().await;
    app.create_user("BJensen").await;
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "bjensen"})).await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    let list = app.list("/Users", &[("filter", "userName eq \"bjensen\"")]).await.expect(200);
    assert_eq!(list.total(), 1);
    assert_eq!(user_names(&list), vec!["BJensen"], "userName keeps the case it was given");
}

#[tokio::test]
async fn deactivate_and_reactivate_keep_the_data() {
    let app = TestServer::spawn().await;
    let created = app.post("/Users", &rfc7643_user_body()).await.expect(201);
    let id = created.id();
    let mut off = rfc7643_user_body();
    off["active"] = json!(false);
    let put = app.put(&format!("/Users/{id}"), &off).await.expect(200);
    assert_eq!(put.body["active"], false);
    let get = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(get.body["active"], false, "a deactivated user stays readable");
    assert_eq!(get.body["name"]["givenName"], "Barbara");
    assert_eq!(get.body["emails"].as_array().unwrap().len(), 2);
    let inactive = app.list("/Users", &[("filter", "active eq false")]).await.expect(200);
    assert_eq!(ids(&inactive), vec![id.clone()]);
    let on = app
        .patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "active", "value": true}]))
        .await
        .expect(200);
    assert_eq!(on.body["active"], true);
    assert_eq!(on.body["displayName"], "Babs Jensen");
    assert_eq!(on.body["emails"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn delete_is_204_then_404_and_frees_the_username() {
    let app = TestServer::spawn().await;
    let id = app.create_user("leaver").await["id"].as_str().unwrap().to_string();
    let d = app.delete(&format!("/Users/{id}")).await.expect(204);
    assert!(d.text.is_empty(), "204 has no body: {}", d.text);
    assert_scim_error(&app.get(&format!("/Users/{id}")).await, 404, None);
    assert_scim_error(&app.delete(&format!("/Users/{id}")).await, 404, None);
    assert_scim_error(
        &app.put(&format!("/Users/{id}"), &json!({"schemas": [USER_SCHEMA], "userName": "leaver"})).await,
        404,
        None,
    );
    assert_scim_error(
        &app.patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "displayName", "value": "x"}])).await,
        404,
        None,
    );
    let list = app.list("/Users", &[("filter", "userName eq \"leaver\"")]).await.expect(200);
    assert_eq!(list.total(), 0, "deleted users are not listed");
    let again = app.create_user("leaver").await;
    assert_ne!(again["id"], json!(id));
}

#[tokio::test]
async fn enterprise_extension_round_trips() {
    let app = TestServer::spawn().await;
    let manager = app.create_user("boss").await;
    let mid = manager["id"].as_str().unwrap();
    let u = app
        .create_user_with(json!({
            "userName": "worker",
            ENTERPRISE_SCHEMA: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": mid}}
        }))
        .await;
    assert!(u["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE_SCHEMA)), "{u}");
    assert_eq!(u[ENTERPRISE_SCHEMA]["employeeNumber"], "701984");
    assert_eq!(u[ENTERPRISE_SCHEMA]["manager"]["value"], json!(mid));
    let list =
        app.list("/Users", &[("filter", &format!("{ENTERPRISE_SCHEMA}:manager.value eq \"{mid}\""))]).await.expect(200);
    assert_eq!(user_names(&list), vec!["worker"]);
}

#[tokio::test]
async fn list_users_returns_a_list_response() {
    let app = TestServer::spawn().await;
    app.create_user("one").await;
    app.create_user("two").await;
    let r = app.get("/Users").await.expect(200);
    assert_eq!(r.body["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(r.total(), 2);
    assert_eq!(r.body["startIndex"], 1);
    assert_eq!(r.body["itemsPerPage"], 2);
    assert_eq!(sorted(&user_names(&r)), vec!["one", "two"]);
    for res in r.resources() {
        assert!(res["meta"]["location"].as_str().is_some_and(|l| l.contains("/Users/")), "{res}");
    }
}

#[tokio::test]
async fn username_uniqueness_and_filters_fold_non_ascii_case() {
    let app = TestServer::spawn().await;
    app.create_user("Émile.Zoë@example.com").await;
    let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "émile.zoë@EXAMPLE.com"})).await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    let f = app.list("/Users", &[("filter", "userName eq \"ÉMILE.ZOË@example.com\"")]).await.expect(200);
    assert_eq!(f.total(), 1, "{}", f.text);
}

#[tokio::test]
async fn attributes_apply_to_write_responses() {
    let app = TestServer::spawn().await;
    // RFC 7644 §3.9: attributes/excludedAttributes on POST, PUT and PATCH.
    let r = send(with_json(
        app.req(reqwest::Method::POST, "/Users").query(&[("attributes", "userName")]),
        &json!({"schemas": [USER_SCHEMA], "userName": "proj", "displayName": "Projected", "title": "T"}),
    ))
    .await
    .expect(201);
    assert_eq!(r.body["userName"], "proj");
    assert!(r.body["id"].is_string());
    assert!(r.body.get("displayName").is_none() && r.body.get("title").is_none(), "{}", r.text);
    let id = r.id();
    let r = send(with_json(
        app.req(reqwest::Method::PUT, &format!("/Users/{id}")).query(&[("excludedAttributes", "title")]),
        &json!({"schemas": [USER_SCHEMA], "userName": "proj", "displayName": "Projected", "title": "T"}),
    ))
    .await
    .expect(200);
    assert_eq!(r.body["displayName"], "Projected");
    assert!(r.body.get("title").is_none(), "{}", r.text);
    // The resource itself is whole.
    assert_eq!(app.get(&format!("/Users/{id}")).await.body["title"], "T");
}

#[tokio::test]
async fn concurrent_creates_of_one_username_make_one_user() {
    let app = TestServer::spawn().await;
    let body = json!({"schemas": [USER_SCHEMA], "userName": "racer"});
    let answers = join_all((0..12).map(|i| {
        let mut b = body.clone();
        if i % 2 == 1 {
            b["userName"] = json!("RACER");
        }
        send(with_json(app.req(reqwest::Method::POST, "/Users"), &b))
    }))
    .await;
    let created = answers.iter().filter(|r| r.status.as_u16() == 201).count();
    assert_eq!(created, 1, "statuses: {:?}", answers.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>());
    for r in answers.iter().filter(|r| r.status.as_u16() != 201) {
        assert_scim_error(r, 409, Some("uniqueness"));
    }
    assert_eq!(app.list("/Users", &[("filter", "userName eq \"racer\"")]).await.expect(200).total(), 1);
}

#[tokio::test]
async fn hard_delete_policy_set_by_the_cli() {
    let app = TestServer::spawn().await;
    let tenants = app.cli_json(&["tenant", "list"]);
    let acme = tenants.as_array().unwrap().iter().find(|t| t["slug"] == app.tenant.slug.as_str()).unwrap().clone();
    assert_eq!(acme["delete_policy"], "soft", "soft is the default: {acme}");
    app.cli(&["tenant", "set", &app.tenant.slug, "--delete-policy", "hard"]);
    let tenants = app.cli_json(&["tenant", "list"]);
    let acme = tenants.as_array().unwrap().iter().find(|t| t["slug"] == app.tenant.slug.as_str()).unwrap().clone();
    assert_eq!(acme["delete_policy"], "hard", "{acme}");
    // Erased or hidden, the resource is gone for SCIM and its userName free.
    let id = app.create_user("hard.delete@example.com").await["id"].as_str().unwrap().to_string();
    app.delete(&format!("/Users/{id}")).await.expect(204);
    app.get(&format!("/Users/{id}")).await.expect(404);
    app.create_user("hard.delete@example.com").await;
}
