//! Authentication and tenant isolation (DESIGN §6; RFC 7644 §2, RFC 6750 §3).

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::*;

/// Every SCIM route that needs a token, with a body where one is needed.
fn routes(user_id: &str, group_id: &str) -> Vec<(Method, String, Option<Value>)> {
    let user = json!({"schemas": [USER_SCHEMA], "userName": "intruder"});
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "intruders"});
    let patch =
        json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": "pwned"}]});
    let search = json!({"schemas": [SEARCH_SCHEMA]});
    vec![
        (Method::GET, "/Users".into(), None),
        (Method::POST, "/Users".into(), Some(user.clone())),
        (Method::GET, format!("/Users/{user_id}"), None),
        (Method::PUT, format!("/Users/{user_id}"), Some(user)),
        (Method::PATCH, format!("/Users/{user_id}"), Some(patch.clone())),
        (Method::DELETE, format!("/Users/{user_id}"), None),
        (Method::GET, "/Groups".into(), None),
        (Method::POST, "/Groups".into(), Some(group.clone())),
        (Method::GET, format!("/Groups/{group_id}"), None),
        (Method::PUT, format!("/Groups/{group_id}"), Some(group)),
        (Method::PATCH, format!("/Groups/{group_id}"), Some(patch)),
        (Method::DELETE, format!("/Groups/{group_id}"), None),
        (Method::POST, "/.search".into(), Some(search.clone())),
        (Method::POST, "/Users/.search".into(), Some(search.clone())),
        (Method::POST, "/Groups/.search".into(), Some(search)),
    ]
}

fn request(app: &TestServer, method: &Method, path: &str, body: &Option<Value>) -> RequestBuilder {
    let rb = app.http.request(method.clone(), app.url(path)).header("accept", SCIM_JSON);
    match body {
        Some(b) => with_json(rb, b),
        None => rb,
    }
}

#[track_caller]
fn assert_401(r: &Resp, what: &str) {
    assert_eq!(r.status.as_u16(), 401, "{what}: {}", r.text);
    let www = r.header("www-authenticate").unwrap_or_else(|| panic!("{what}: 401 without WWW-Authenticate"));
    assert!(www.to_ascii_lowercase().starts_with("bearer"), "{what}: WWW-Authenticate {www}");
    assert_scim_error(r, 401, None);
}

#[tokio::test]
async fn every_route_refuses_missing_bad_and_other_tenant_tokens() {
    let app = TestServer::spawn().await;
    let uid = app.create_user("victim").await["id"].as_str().unwrap().to_string();
    let gid = app.create_group("Victims", &[&uid]).await["id"].as_str().unwrap().to_string();
    let bogus = "scimd_".to_string() + &"A".repeat(43);
    let truncated = app.tenant.token[..app.tenant.token.len() - 1].to_string();
    for (method, path, body) in routes(&uid, &gid) {
        let what = format!("{method} {path}");
        assert_401(&send(request(&app, &method, &path, &body)).await, &format!("{what} without token"));
        for (label, token) in
            [("bogus", bogus.as_str()), ("truncated", truncated.as_str()), ("other tenant's", app.other.token.as_str())]
        {
            let r = send(request(&app, &method, &path, &body).bearer_auth(token)).await;
            assert_401(&r, &format!("{what} with {label} token"));
        }
        let r = send(request(&app, &method, &path, &body).basic_auth("acme", Some(&app.tenant.token))).await;
        assert_401(&r, &format!("{what} with Basic auth"));
    }
    // Nothing changed.
    let u = app.get(&format!("/Users/{uid}")).await.expect(200);
    assert_eq!(u.body["userName"], "victim");
    let g = app.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(g.body["displayName"], "Victims");
    assert_eq!(member_values(&g.body), vec![uid]);
    assert_eq!(app.get("/Users").await.expect(200).total(), 1);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let app = TestServer::spawn().await;
    let r = send(app.http.get(app.url("/Users")).header("authorization", format!("bearer {}", app.tenant.token))).await;
    r.expect(200);
}

/// Requests as tenant `other`, on its own URLs, with its own token.
fn as_other(app: &TestServer, method: Method, path: &str) -> RequestBuilder {
    app.http.request(method, app.url_for("other", path)).bearer_auth(&app.other.token).header("accept", SCIM_JSON)
}

#[tokio::test]
async fn tenants_do_not_see_each_other() {
    let app = TestServer::spawn().await;
    // Same userName in both tenants: uniqueness is per tenant.
    let mine = app.create_user("same@example.com").await["id"].as_str().unwrap().to_string();
    let theirs = send(with_json(
        as_other(&app, Method::POST, "/Users"),
        &json!({"schemas": [USER_SCHEMA], "userName": "same@example.com", "displayName": "Theirs"}),
    ))
    .await
    .expect(201);
    let theirs_id = theirs.id();
    assert_ne!(mine, theirs_id);
    let their_group = send(with_json(
        as_other(&app, Method::POST, "/Groups"),
        &json!({"schemas": [GROUP_SCHEMA], "displayName": "Theirs", "members": [{"value": theirs_id}]}),
    ))
    .await
    .expect(201)
    .id();

    // Lists and searches only show the tenant's own resources.
    let list = app.get("/Users").await.expect(200);
    assert_eq!(ids(&list), vec![mine.clone()]);
    assert_eq!(app.get("/Groups").await.expect(200).total(), 0);
    let root = app.post("/.search", &json!({"schemas": [SEARCH_SCHEMA]})).await.expect(200);
    assert_eq!(ids(&root), vec![mine.clone()]);
    let f = app.list("/Users", &[("filter", "displayName eq \"Theirs\"")]).await.expect(200);
    assert_eq!(f.total(), 0);
    let f = app.list("/Groups", &[("filter", &format!("members eq \"{theirs_id}\""))]).await.expect(200);
    assert_eq!(f.total(), 0);

    // B's ids are 404 under A, with A's valid token, on every verb.
    for path in [format!("/Users/{theirs_id}"), format!("/Groups/{their_group}")] {
        assert_scim_error(&app.get(&path).await, 404, None);
        let p = app.patch_ops(&path, json!([{"op": "replace", "path": "displayName", "value": "pwned"}])).await;
        assert_scim_error(&p, 404, None);
        assert_scim_error(&app.delete(&path).await, 404, None);
    }
    let put = app.put(&format!("/Users/{theirs_id}"), &json!({"schemas": [USER_SCHEMA], "userName": "pwned"})).await;
    assert_scim_error(&put, 404, None);
    let put =
        app.put(&format!("/Groups/{their_group}"), &json!({"schemas": [GROUP_SCHEMA], "displayName": "pwned"})).await;
    assert_scim_error(&put, 404, None);
    // B's user cannot become a member of A's group.
    let g = app
        .post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Mine", "members": [{"value": theirs_id}]}))
        .await;
    assert_scim_error(&g, 400, Some("invalidValue"));
    let gid = app.create_group("Mine", &[]).await["id"].as_str().unwrap().to_string();
    let p = app
        .patch_ops(
            &format!("/Groups/{gid}"),
            json!([{"op": "add", "path": "members", "value": [{"value": theirs_id}]}]),
        )
        .await;
    assert_scim_error(&p, 400, Some("invalidValue"));

    // B's resources are intact.
    let r = send(as_other(&app, Method::GET, &format!("/Users/{theirs_id}"))).await.expect(200);
    assert_eq!(r.body["displayName"], "Theirs");
    let r = send(as_other(&app, Method::GET, &format!("/Groups/{their_group}"))).await.expect(200);
    assert_eq!(r.body["displayName"], "Theirs");
    assert_eq!(member_values(&r.body), vec![theirs_id.clone()]);
    let r = send(as_other(&app, Method::GET, "/Users")).await.expect(200);
    assert_eq!(ids(&r), vec![theirs_id]);
}

#[tokio::test]
async fn cli_tokens_list_revoke_and_new_tokens() {
    let app = TestServer::spawn().await;
    // A second token works immediately.
    let created = app.cli_json(&["token", "create", "--tenant", "acme", "--name", "second"]);
    let token = created["token"].as_str().unwrap().to_string();
    let token_id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["tenant"], "acme");
    assert!(token.starts_with(created["prefix"].as_str().unwrap()), "{created}");
    assert!(created["scim_url"].as_str().unwrap().ends_with("/scim/v2/acme"), "{created}");
    let r = send(app.http.get(app.url("/Users")).bearer_auth(&token)).await;
    r.expect(200);

    let list = app.cli_json(&["token", "list", "--tenant", "acme"]);
    let text = list.to_string();
    assert!(text.contains(&token_id), "token list shows the new token: {text}");
    assert!(!text.contains(&token), "token list never shows a secret: {text}");
    let tenants = app.cli_json(&["tenant", "list"]).to_string();
    assert!(tenants.contains("acme") && tenants.contains("other"), "{tenants}");

    app.cli(&["token", "revoke", "--tenant", "acme", &token_id]);
    let refused = eventually(Duration::from_secs(30), "the revoked token refused", || async {
        let r = send(app.http.get(app.url("/Users")).bearer_auth(&token)).await;
        if r.status.as_u16() == 200 { None } else { Some(r) }
    })
    .await;
    assert_401(&refused, "revoked token");
    // The first token is unaffected.
    app.get("/Users").await.expect(200);
}

#[tokio::test]
async fn discovery_needs_no_token_but_healthz_and_errors_stay_separate() {
    let app = TestServer::spawn().await;
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        send(app.http.get(app.url(path))).await.expect(200);
        // Discovery ignores credentials: a bad token changes nothing.
        let r = send(app.http.get(app.url(path)).bearer_auth("scimd_bad")).await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.text);
    }
}

/// Guessing slugs tells nothing: a path naming no tenant is answered
/// exactly like a known tenant with a wrong token, with and without one,
/// and its discovery shows the standard schemas like any tenant's.
#[tokio::test]
async fn an_unknown_tenant_is_answered_like_a_wrong_token() {
    let app = TestServer::spawn().await;
    let shape = |r: &Resp| {
        let headers: Vec<(String, String)> = ["content-type", "www-authenticate", "retry-after"]
            .iter()
            .map(|h| (h.to_string(), r.header(h).unwrap_or("").to_owned()))
            .collect();
        (r.status.as_u16(), headers, r.text.clone())
    };
    let routes = [
        (Method::GET, "/Users"),
        (Method::GET, "/Groups/0190c5a8-0000-7000-8000-000000000000"),
        (Method::POST, "/Bulk"),
        (Method::POST, "/Users/.search"),
    ];
    for (method, path) in routes {
        let to = |tenant: &str| app.http.request(method.clone(), app.url_for(tenant, path));
        let known_wrong = send(to("acme").bearer_auth(&app.other.token)).await;
        let unknown = send(to("ghost").bearer_auth(&app.other.token)).await;
        assert_401(&unknown, path);
        assert_eq!(shape(&unknown), shape(&known_wrong), "{method} {path}");
        assert!(unknown.text.contains("check the URL and the token"), "{}", unknown.text);
        let known_none = send(to("acme")).await;
        let unknown_none = send(to("ghost")).await;
        assert_eq!(shape(&unknown_none), shape(&known_none), "{method} {path} without a token");
    }
    let known = send(app.http.get(app.url("/Schemas"))).await.expect(200);
    let unknown = send(app.http.get(app.url_for("ghost", "/Schemas"))).await.expect(200);
    assert_eq!(known.body["totalResults"], unknown.body["totalResults"]);
    let spc = send(app.http.get(app.url_for("ghost", "/ServiceProviderConfig"))).await.expect(200);
    assert!(spc.body["meta"]["location"].as_str().unwrap().ends_with("/scim/v2/ghost/ServiceProviderConfig"));
    // The server log names the unknown slug, for whoever sets up the IdP.
    let log = app.server.as_ref().unwrap().log();
    assert!(log.contains("ghost") && log.contains("does not exist"), "no log line about the unknown tenant");
}
