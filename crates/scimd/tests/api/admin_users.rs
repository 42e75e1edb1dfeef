//! The host application's view of its users and groups through the admin
//! API (`GET /admin/v1/tenants/{slug}/users`, `…/users/{id}`, `…/groups`,
//! `…/groups/{id}`, `…/groups/{id}/members`): deactivated and soft-deleted
//! users with their flags, SCIM filters, cursor pages, a user's groups, a
//! large group's members paged by a keyset, refusals, and the CLI's
//! `scimd users|groups` printing the same.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{assert_problem, secret};
use crate::helpers::*;

/// Every page of `path` (which has a query string), following `next_cursor`.
async fn walk(app: &TestServer, token: &str, path: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let r = app.admin(Method::GET, &format!("{path}&cursor={cursor}"), Some(token), None).await.expect(200);
        pages += 1;
        out.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return (out, pages),
        }
    }
}

fn id_list(items: &[Value]) -> Vec<String> {
    items.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn users_and_groups_as_the_host_application_sees_them() {
    let app = TestServer::spawn().await;
    let alice = app.create_user_with(json!({"userName": "alice", "displayName": "Alice A"})).await;
    let bob = app.create_user("bob").await;
    let carol = app.create_user("carol").await;
    let (alice, bob, carol) =
        (alice["id"].as_str().unwrap(), bob["id"].as_str().unwrap(), carol["id"].as_str().unwrap());
    app.patch_ops(&format!("/Users/{bob}"), json!([{"op": "replace", "path": "active", "value": false}]))
        .await
        .expect(200);
    let eng = app.create_group("eng", &[alice, bob, carol]).await;
    let eng = eng["id"].as_str().unwrap();
    app.delete(&format!("/Users/{carol}")).await.expect(204);
    app.get(&format!("/Users/{carol}")).await.expect(404);
    let reader = secret(&app.admin_token(&["--name", "host", "--scope", "tenants:read"]));

    // Deactivated and soft-deleted users are listed, with their flags.
    let list = app.admin(Method::GET, "/tenants/acme/users", Some(&reader), None).await.expect(200);
    let users = list.body["items"].as_array().unwrap();
    assert_eq!(id_list(users), [alice, bob, carol], "{}", list.text);
    assert!(list.body.get("next_cursor").is_none());
    let flags: Vec<(bool, bool)> =
        users.iter().map(|u| (u["active"].as_bool().unwrap(), u["deleted"].as_bool().unwrap())).collect();
    assert_eq!(flags, [(true, false), (false, false), (true, true)]);
    assert!(users[2]["deleted_at"].is_string() && users[0].get("deleted_at").is_none());
    assert_eq!(users[0]["user_name"], "alice");
    assert_eq!(users[0]["display_name"], "Alice A");
    assert_eq!(users[0]["groups"], json!([{"id": eng, "display_name": "eng"}]));
    assert_eq!(users[2]["groups"], json!([]), "a delete removes the memberships");
    assert_eq!(users[0]["scim"]["userName"], "alice");
    assert_eq!(users[0]["scim"]["meta"]["resourceType"], "User");

    // Filters in the SCIM language.
    let get_ids = |query: &'static str| {
        let app = &app;
        let reader = reader.clone();
        async move {
            let r = app.admin(Method::GET, &format!("/tenants/acme/users?{query}"), Some(&reader), None).await;
            id_list(r.expect(200).body["items"].as_array().unwrap())
        }
    };
    assert_eq!(get_ids("filter=active%20eq%20false").await, [bob]);
    assert_eq!(get_ids("filter=userName%20eq%20%22CAROL%22").await, [carol], "a deleted user is found");
    assert_eq!(get_ids("filter=userName%20sw%20%22a%22%20or%20title%20pr").await, [alice]);
    // Pages of one, each user once.
    let (paged, pages) = walk(&app, &reader, "/tenants/acme/users?limit=1").await;
    assert_eq!((id_list(&paged), pages), (vec![alice.to_owned(), bob.to_owned(), carol.to_owned()], 3));

    // One user with its groups; the soft-deleted one too.
    let a = app.admin(Method::GET, &format!("/tenants/acme/users/{alice}"), Some(&reader), None).await.expect(200);
    assert_eq!(a.body["groups"], json!([{"id": eng, "display_name": "eng"}]));
    assert_eq!(a.body["deleted"], false);
    let c = app.admin(Method::GET, &format!("/tenants/acme/users/{carol}"), Some(&reader), None).await.expect(200);
    assert_eq!((c.body["deleted"].as_bool(), c.body["user_name"].as_str()), (Some(true), Some("carol")));

    // Groups and their members.
    let groups = app.admin(Method::GET, "/tenants/acme/groups", Some(&reader), None).await.expect(200);
    assert_eq!(id_list(groups.body["items"].as_array().unwrap()), [eng]);
    assert_eq!(groups.body["items"][0]["display_name"], "eng");
    let g = app.admin(Method::GET, &format!("/tenants/acme/groups/{eng}"), Some(&reader), None).await.expect(200);
    assert_eq!((g.body["deleted"].as_bool(), g.body["scim"].get("members")), (Some(false), None));
    let members =
        app.admin(Method::GET, &format!("/tenants/acme/groups/{eng}/members"), Some(&reader), None).await.expect(200);
    let mut expected = vec![alice.to_owned(), bob.to_owned()];
    expected.sort();
    assert_eq!(id_list(members.body["items"].as_array().unwrap()), expected, "the deleted member left");
    assert_eq!(members.body["items"][0]["type"], "User");

    // The CLI prints the same.
    let cli = app.cli_json(&["users", "list", "--tenant", "acme"]);
    assert_eq!(cli["items"], list.body["items"]);
    let cli = app.cli_json(&["users", "list", "--tenant", "acme", "--filter", "active eq false"]);
    assert_eq!(id_list(cli["items"].as_array().unwrap()), [bob]);
    let shown = app.cli_json(&["users", "show", "--tenant", "acme", alice]);
    assert_eq!(shown, a.body);
    let cli = app.cli_json(&["groups", "members", "--tenant", "acme", eng]);
    assert_eq!(cli, members.body);
}

/// A group of a few hundred members, paged seven at a time: each member
/// exactly once, in id order; a cursor of another list is refused.
#[tokio::test]
async fn a_large_groups_members_page_by_keyset() {
    let app = TestServer::spawn().await;
    let mut ids = Vec::new();
    for chunk in 0..6 {
        let creates = (0..50).map(|i| {
            let body = json!({"schemas": [USER_SCHEMA], "userName": format!("m{chunk}-{i}")});
            send(with_json(app.req(Method::POST, "/Users"), &body))
        });
        for r in join_all(creates).await {
            ids.push(r.expect(201).id());
        }
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let big = app.create_group("big", &refs).await;
    let big = big["id"].as_str().unwrap();
    let reader = secret(&app.admin_token(&["--name", "host", "--scope", "tenants:read"]));
    let (members, pages) = walk(&app, &reader, &format!("/tenants/acme/groups/{big}/members?limit=7")).await;
    assert_eq!(pages, 300 / 7 + 1);
    let got = id_list(&members);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 300, "each member once");
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "in member id order");

    // A cursor belongs to its list.
    let first =
        app.admin(Method::GET, &format!("/tenants/acme/groups/{big}/members?limit=7"), Some(&reader), None).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let users = app.admin(Method::GET, &format!("/tenants/acme/users?cursor={cursor}"), Some(&reader), None).await;
    assert_problem(&users, 422, "invalid-cursor");
}

#[tokio::test]
async fn directory_refusals() {
    let app = TestServer::spawn().await;
    let user = app.create_user("someone").await;
    let id = user["id"].as_str().unwrap();
    let reader = secret(&app.admin_token(&["--name", "host", "--scope", "tenants:read"]));
    let auditor = secret(&app.admin_token(&["--name", "auditor", "--scope", "audit:read"]));
    let group = app.create_group("g", &[]).await;
    let gid = group["id"].as_str().unwrap();
    for path in [
        "/tenants/acme/users".to_owned(),
        format!("/tenants/acme/users/{id}"),
        "/tenants/acme/groups".to_owned(),
        format!("/tenants/acme/groups/{gid}"),
        format!("/tenants/acme/groups/{gid}/members"),
    ] {
        assert_problem(&app.admin(Method::GET, &path, None, None).await, 401, "unauthorized");
        let denied = app.admin(Method::GET, &path, Some(&auditor), None).await;
        assert_problem(&denied, 403, "insufficient-scope");
        assert_eq!(denied.body["required_scope"], "tenants:read");
        let unknown = path.replace("acme", "nope");
        assert_problem(&app.admin(Method::GET, &unknown, Some(&reader), None).await, 404, "not-found");
    }
    let nobody = "0190c5a8-0000-7000-8000-000000000000";
    for path in [
        format!("/tenants/acme/users/{nobody}"),
        "/tenants/acme/users/not-an-id".to_owned(),
        format!("/tenants/acme/users/{gid}"),
        format!("/tenants/acme/groups/{id}"),
        format!("/tenants/acme/groups/{nobody}/members"),
        format!("/tenants/other/users/{id}"),
    ] {
        assert_problem(&app.admin(Method::GET, &path, Some(&reader), None).await, 404, "not-found");
    }
    for (query, kind) in [
        ("filter=userName%20eq", "invalid-filter"),
        ("filter=nosuch%20eq%20%22x%22", "invalid-filter"),
        ("cursor=garbage", "invalid-cursor"),
        ("limit=0", "invalid-value"),
        ("limit=abc", "invalid-value"),
    ] {
        let r = app.admin(Method::GET, &format!("/tenants/acme/users?{query}"), Some(&reader), None).await;
        assert_problem(&r, 422, kind);
    }
    let r = app.admin(Method::GET, &format!("/tenants/acme/groups/{gid}/members?cursor=x"), Some(&reader), None).await;
    assert_problem(&r, 422, "invalid-cursor");
    // A cursor of one filter is not one of another.
    app.create_user("someone-else").await;
    let page = app.admin(Method::GET, "/tenants/acme/users?limit=1", Some(&reader), None).await.expect(200);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let other = format!("/tenants/acme/users?limit=1&filter=active%20pr&cursor={cursor}");
    assert_problem(&app.admin(Method::GET, &other, Some(&reader), None).await, 422, "invalid-cursor");
}
