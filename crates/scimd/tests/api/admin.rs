//! The admin API (`/admin/v1`): admin tokens made by the CLI while the
//! server runs, their scopes, tenant limits, expiry, revocation and
//! rotation; tenants created, listed and read; RFC 9457 problems; the
//! OpenAPI document.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const PROBLEM: &str = "application/problem+json";

impl TestServer {
    /// An admin token made with `scimd admin-token create` and these flags.
    pub(crate) fn admin_token(&self, flags: &[&str]) -> Value {
        let mut args = vec!["admin-token", "create"];
        args.extend_from_slice(flags);
        let v = self.cli_json(&args);
        assert!(v["token"].as_str().is_some_and(|t| t.starts_with("scimd_")), "{v}");
        v
    }

    /// An admin API request with `token` (none: no Authorization header).
    pub(crate) async fn admin(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut rb = self.http.request(method, format!("{}/admin/v1{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b.to_string());
        }
        send(rb).await
    }
}

/// Asserts an RFC 9457 problem with this status and `type`.
#[track_caller]
pub(crate) fn assert_problem(r: &Resp, status: u16, kind: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(PROBLEM), "{}", r.text);
    assert_eq!(r.body["type"], json!(format!("urn:scimd:problem:{kind}")), "{}", r.text);
    assert_eq!(r.body["status"], json!(status), "{}", r.text);
    assert!(r.body["title"].is_string() && r.body["detail"].is_string(), "{}", r.text);
}

pub(crate) fn secret(v: &Value) -> String {
    v["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn admin_tokens_authenticate_and_scopes_decide() {
    let app = TestServer::spawn().await;
    // No token, a malformed header, a wrong token, a SCIM token: 401 with WWW-Authenticate.
    let none = app.admin(Method::GET, "/tenants", None, None).await;
    assert_problem(&none, 401, "unauthorized");
    assert!(none.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")), "{:?}", none.headers);
    let basic =
        send(app.http.get(format!("{}/admin/v1/tenants", app.base)).header("authorization", "Basic YTpi")).await;
    assert_problem(&basic, 401, "unauthorized");
    assert_problem(&app.admin(Method::GET, "/tenants", Some("scimd_nope"), None).await, 401, "unauthorized");
    let scim = app.tenant.token.clone();
    assert_problem(&app.admin(Method::GET, "/tenants", Some(&scim), None).await, 401, "unauthorized");

    // Made by the CLI while the server runs: works at once.
    let reader = secret(&app.admin_token(&["--name", "reader", "--scope", "tenants:read"]));
    let list = app.admin(Method::GET, "/tenants", Some(&reader), None).await.expect(200);
    let slugs: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["acme", "other"]);
    // A missing scope is 403, naming it.
    let denied = app.admin(Method::POST, "/tenants", Some(&reader), Some(json!({"slug": "new"}))).await;
    assert_problem(&denied, 403, "insufficient-scope");
    assert_eq!(denied.body["required_scope"], "tenants:write");
    assert!(denied.header("www-authenticate").is_some_and(|v| v.contains("insufficient_scope")));
    // An unknown scope cannot be issued.
    let err = cli_fails(&app.database, &["admin-token", "create", "--scope", "root"]);
    assert!(err.contains("unknown scope") && err.contains("tenants:read"), "{err}");

    // Revoked from another process: refused at once.
    let made = app.admin_token(&["--scope", "admin"]);
    let admin = secret(&made);
    app.admin(Method::GET, "/tenants/acme", Some(&admin), None).await.expect(200);
    let id = made["id"].as_str().unwrap();
    assert!(app.cli(&["admin-token", "revoke", id]).contains("Revoked"));
    assert_problem(&app.admin(Method::GET, "/tenants/acme", Some(&admin), None).await, 401, "unauthorized");
    assert!(app.cli(&["admin-token", "revoke", id]).contains("already revoked"));

    // Expiry.
    let brief = secret(&app.admin_token(&["--scope", "admin", "--expires-in", "1"]));
    app.admin(Method::GET, "/tenants", Some(&brief), None).await.expect(200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = app.admin(Method::GET, "/tenants", Some(&brief), None).await;
    assert_problem(&expired, 401, "unauthorized");
    assert!(expired.body["detail"].as_str().unwrap().contains("expired"));

    // The list shows tokens, never secrets.
    let listed = app.cli(&["admin-token", "list", "--json"]);
    assert!(!listed.contains(&admin) && !listed.contains(&reader), "{listed}");
    assert_eq!(serde_json::from_str::<Value>(&listed).unwrap().as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_for_the_overlap_only() {
    let app = TestServer::spawn().await;
    let made = app.admin_token(&["--name", "host", "--scope", "tenants:read"]);
    let old = secret(&made);
    let id = made["id"].as_str().unwrap();
    let rotated = app.cli_json(&["admin-token", "rotate", id, "--overlap", "2"]);
    let new = secret(&rotated);
    assert_ne!(new, old);
    assert_eq!(rotated["replaces"], json!(id));
    assert_eq!(rotated["scopes"], json!(["tenants:read"]));
    app.admin(Method::GET, "/tenants", Some(&old), None).await.expect(200);
    app.admin(Method::GET, "/tenants", Some(&new), None).await.expect(200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_problem(&app.admin(Method::GET, "/tenants", Some(&old), None).await, 401, "unauthorized");
    app.admin(Method::GET, "/tenants", Some(&new), None).await.expect(200);
    // The old one cannot be rotated again.
    let err = cli_fails(&app.database, &["admin-token", "rotate", id]);
    assert!(err.contains("revoked or expired"), "{err}");
}

#[tokio::test]
async fn tenants_are_created_listed_and_read_and_changes_audited() {
    let app = TestServer::spawn().await;
    let made = app.admin_token(&["--scope", "tenants:read", "--scope", "tenants:write"]);
    let token = secret(&made);
    let t = Some(token.as_str());

    let created = app.admin(Method::POST, "/tenants", t, Some(json!({"slug": "globex", "name": "Globex"}))).await;
    let created = created.expect(201);
    assert_eq!(created.body["slug"], "globex");
    assert_eq!(created.body["name"], "Globex");
    let scim_url = created.body["scim_url"].as_str().unwrap().to_owned();
    assert!(scim_url.ends_with("/scim/v2/globex"), "{scim_url}");
    assert!(created.header("location").is_some_and(|l| l.ends_with("/admin/v1/tenants/globex")));
    assert!(created.header("etag").is_some_and(|e| e.starts_with("W/\"")));
    let got = app.admin(Method::GET, "/tenants/globex", t, None).await.expect(200);
    assert_eq!(got.body, created.body);
    // The new tenant's SCIM URL works with a token the CLI makes for it.
    let scim = app.cli_json(&["token", "create", "--tenant", "globex"]);
    let r = send(app.http.get(format!("{scim_url}/Users")).bearer_auth(scim["token"].as_str().unwrap())).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);

    // Refusals, each a problem.
    let dup = app.admin(Method::POST, "/tenants", t, Some(json!({"slug": "globex"}))).await;
    assert_problem(&dup, 409, "conflict");
    let bad = app.admin(Method::POST, "/tenants", t, Some(json!({"slug": "Not A Slug"}))).await;
    assert_problem(&bad, 422, "invalid-value");
    let unknown_field = app.admin(Method::POST, "/tenants", t, Some(json!({"slug": "x", "owner": "me"}))).await;
    assert_problem(&unknown_field, 400, "invalid-body");
    let raw = |content_type: &'static str, body: &'static str| {
        send(
            app.http
                .post(format!("{}/admin/v1/tenants", app.base))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(body),
        )
    };
    assert_problem(&raw("text/plain", "slug=x").await, 415, "unsupported-media-type");
    let broken = raw("application/json", "{").await;
    assert_problem(&broken, 400, "invalid-body");
    assert_problem(&app.admin(Method::GET, "/tenants/nope", t, None).await, 404, "not-found");
    assert_problem(&app.admin(Method::GET, "/nothing/here", t, None).await, 404, "not-found");
    assert_problem(&app.admin(Method::DELETE, "/tenants", t, None).await, 405, "method-not-allowed");
    // Nothing refused was created.
    let all = app.admin(Method::GET, "/tenants", t, None).await.expect(200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3, "{}", all.text);

    // Cursor paging walks every tenant once, in slug order.
    for slug in ["a-one", "b-two", "c-three"] {
        app.admin(Method::POST, "/tenants", t, Some(json!({"slug": slug}))).await.expect(201);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.admin(Method::GET, &format!("/tenants?limit=2&cursor={cursor}"), t, None).await.expect(200);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["slug"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["a-one", "acme", "b-two", "c-three", "globex", "other"]);
    assert_problem(&app.admin(Method::GET, "/tenants?limit=0", t, None).await, 422, "invalid-value");
    assert_problem(&app.admin(Method::GET, "/tenants?cursor=%%%", t, None).await, 422, "invalid-cursor");

    // The creation is audited in the new tenant's log, naming the admin
    // token and never a secret.
    let log = app.cli_json(&["audit", "list", "--tenant", "globex"]);
    let entry = &log.as_array().unwrap()[0];
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["admin_token"], made["id"], "{entry}");
    assert!(!log.to_string().contains(&token));
}

#[tokio::test]
async fn a_token_limited_to_a_tenant_sees_only_that_tenant() {
    let app = TestServer::spawn().await;
    let limited = secret(&app.admin_token(&["--scope", "admin", "--tenant", "acme"]));
    let l = Some(limited.as_str());
    let list = app.admin(Method::GET, "/tenants", l, None).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["slug"], "acme");
    app.admin(Method::GET, "/tenants/acme", l, None).await.expect(200);
    // The other tenant does not exist for it.
    assert_problem(&app.admin(Method::GET, "/tenants/other", l, None).await, 404, "not-found");
    let create = app.admin(Method::POST, "/tenants", l, Some(json!({"slug": "mine"}))).await;
    assert_problem(&create, 403, "tenant-not-allowed");
    let err = cli_fails(&app.database, &["admin-token", "create", "--tenant", "nope"]);
    assert!(err.contains("nope"), "{err}");
}

#[tokio::test]
async fn the_openapi_document_is_public_and_names_every_route() {
    let app = TestServer::spawn().await;
    let doc = app.admin(Method::GET, "/openapi.json", None, None).await.expect(200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc.text);
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/admin/v1/tenants", &["get", "post"][..]),
        ("/admin/v1/tenants/{slug}", &["get", "patch"][..]),
        ("/admin/v1/tenants/{slug}/tokens", &["get", "post"][..]),
        ("/admin/v1/tenants/{slug}/tokens/{id}", &["get"][..]),
        ("/admin/v1/tenants/{slug}/tokens/{id}/revoke", &["post"][..]),
        ("/admin/v1/tenants/{slug}/tokens/{id}/rotate", &["post"][..]),
    ] {
        for m in methods {
            let op = &paths[path][m];
            assert!(op.is_object(), "{path} {m} missing");
            for status in ["401", "429"] {
                assert!(op["responses"][status].is_object(), "{path} {m} documents no {status}");
            }
            assert!(op["security"][0]["admin_token"].is_array(), "{path} {m} names no scope");
        }
    }
    assert_eq!(doc.body["components"]["securitySchemes"]["admin_token"]["scheme"], "bearer");
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn guessing_admin_tokens_is_rate_limited_per_source() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    let env = [("SCIMD_RATE_LIMIT_PER_SOURCE", "1"), ("SCIMD_RATE_LIMIT_SOURCE_BURST", "3")];
    let server = ServerProcess::start_with(&database, dir.path(), &[], &env);
    let token = cli_json(&database, &["admin-token", "create", "--scope", "tenants:read"]);
    let http = http_client();
    let url = format!("http://{}/admin/v1/tenants", server.addr);
    for _ in 0..3 {
        assert_problem(&send(http.get(&url).bearer_auth("scimd_guess")).await, 401, "unauthorized");
    }
    let limited = send(http.get(&url).bearer_auth("scimd_guess")).await;
    assert_problem(&limited, 429, "rate-limited");
    assert!(limited.header("retry-after").is_some());
    // A valid token is not held back by its address's refusals.
    send(http.get(&url).bearer_auth(token["token"].as_str().unwrap())).await.expect(200);
}

#[tokio::test]
async fn scim_tokens_are_issued_listed_rotated_and_revoked_over_http() {
    let app = TestServer::spawn().await;
    let admin = secret(&app.admin_token(&["--scope", "tenants:read", "--scope", "tenants:write"]));
    let a = Some(admin.as_str());
    let made = app.admin(Method::POST, "/tenants/acme/tokens", a, Some(json!({"name": "okta"}))).await.expect(201);
    let scim = made.body["token"].as_str().unwrap().to_owned();
    let id = made.body["id"].as_str().unwrap().to_owned();
    assert_eq!(made.body["name"], "okta");
    assert!(scim.starts_with(made.body["prefix"].as_str().unwrap()));
    assert!(made.body["scim_url"].as_str().unwrap().ends_with("/scim/v2/acme"));
    assert!(made.header("location").is_some_and(|l| l.ends_with(&format!("/tenants/acme/tokens/{id}"))));
    assert_eq!(made.header("cache-control"), Some("no-store"));
    // It works on its tenant's SCIM URL, and only there.
    let users =
        |token: String, tenant: &'static str| send(app.http.get(app.url_for(tenant, "/Users")).bearer_auth(token));
    assert_eq!(users(scim.clone(), "acme").await.status.as_u16(), 200);
    assert_eq!(users(scim.clone(), "other").await.status.as_u16(), 401);

    // Listed and read without secrets.
    let list = app.admin(Method::GET, "/tenants/acme/tokens", a, None).await.expect(200);
    assert!(!list.text.contains(&scim), "{}", list.text);
    let names: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["tests", "okta"]);
    let one = app.admin(Method::GET, &format!("/tenants/acme/tokens/{id}"), a, None).await.expect(200);
    assert_eq!(one.body["id"], json!(id));
    assert!(one.body.get("token").is_none());
    assert_problem(&app.admin(Method::GET, "/tenants/acme/tokens/not-an-id", a, None).await, 404, "not-found");
    assert_problem(&app.admin(Method::GET, &format!("/tenants/other/tokens/{id}"), a, None).await, 404, "not-found");

    // Rotation: both secrets work during the overlap, then only the new one.
    let path = format!("/tenants/acme/tokens/{id}/rotate");
    let rotated = app.admin(Method::POST, &path, a, Some(json!({"overlap_seconds": 1}))).await.expect(201);
    let new = rotated.body["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated.body["replaces"], json!(id));
    assert_eq!(users(scim.clone(), "acme").await.status.as_u16(), 200);
    assert_eq!(users(new.clone(), "acme").await.status.as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(users(scim.clone(), "acme").await.status.as_u16(), 401);
    assert_eq!(users(new.clone(), "acme").await.status.as_u16(), 200);
    assert_problem(&app.admin(Method::POST, &path, a, None).await, 409, "conflict");

    // Revoked by the CLI in another process: refused within a second.
    let new_id = rotated.body["id"].as_str().unwrap().to_owned();
    app.cli(&["token", "revoke", "--tenant", "acme", &new_id]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(users(new.clone(), "acme").await.status.as_u16(), 401);
    // Revoked over HTTP: at once; again: the same answer, the first time kept.
    let tests_id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
    let revoke = format!("/tenants/acme/tokens/{tests_id}/revoke");
    let first = app.admin(Method::POST, &revoke, a, None).await.expect(200);
    assert!(first.body["revoked"].is_string());
    assert_eq!(users(app.tenant.token.clone(), "acme").await.status.as_u16(), 401);
    let again = app.admin(Method::POST, &revoke, a, None).await.expect(200);
    assert_eq!(again.body["revoked"], first.body["revoked"]);

    // Each change is audited, never with a secret.
    let log = app.cli_json(&["audit", "list", "--tenant", "acme"]).to_string();
    for s in [&admin, &scim, &new] {
        assert!(!log.contains(s.as_str()), "a secret in the audit log");
    }
    assert!(log.contains("rotated") && log.contains("revoked"), "{log}");
    // Expiry set at issue.
    let brief = app.admin(Method::POST, "/tenants/acme/tokens", a, Some(json!({"expires_in": 3600}))).await.expect(201);
    assert!(brief.body["expires"].is_string());
    // A reader cannot issue.
    let reader = secret(&app.admin_token(&["--scope", "tenants:read"]));
    let denied = app.admin(Method::POST, "/tenants/acme/tokens", Some(&reader), Some(json!({}))).await;
    assert_problem(&denied, 403, "insufficient-scope");
}

#[tokio::test]
async fn settings_change_by_partial_json_and_a_stale_etag_is_412() {
    let app = TestServer::spawn().await;
    let admin = secret(&app.admin_token(&["--scope", "tenants:write", "--scope", "tenants:read"]));
    let patch = |body: &'static str, if_match: Option<String>| {
        let mut rb = app
            .http
            .patch(format!("{}/admin/v1/tenants/acme", app.base))
            .bearer_auth(&admin)
            .header("content-type", "application/merge-patch+json")
            .body(body);
        if let Some(tag) = if_match {
            rb = rb.header("if-match", tag);
        }
        send(rb)
    };
    let before = app.admin(Method::GET, "/tenants/acme", Some(&admin), None).await.expect(200);
    assert_eq!(before.body["settings"]["delete_policy"], "soft");
    let etag = before.etag();

    let changed = patch(r#"{"delete_policy": "hard", "rate_limit": 50}"#, Some(etag.clone())).await.expect(200);
    assert_eq!(changed.body["settings"]["delete_policy"], "hard");
    assert_eq!(changed.body["settings"]["rate_limit"], 50);
    assert_eq!(changed.body["settings"]["unique_group_names"], true, "left out, left alone");
    assert_ne!(changed.etag(), etag);
    // The setting is in force: a SCIM DELETE now erases.
    let id = app.create_user("gone").await["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/Users/{id}")).await.expect(204);
    app.create_user("gone").await;

    // Two admins edited from the same version: the second is 412.
    let stale = patch(r#"{"unique_group_names": false}"#, Some(etag.clone())).await;
    assert_problem(&stale, 412, "precondition-failed");
    let unchanged = app.admin(Method::GET, "/tenants/acme", Some(&admin), None).await.expect(200);
    assert_eq!(unchanged.body["settings"]["unique_group_names"], true);
    // Without If-Match the change applies to whatever is current; null
    // returns the rate limit to the server's default.
    let cleared = patch(r#"{"rate_limit": null}"#, None).await.expect(200);
    assert!(cleared.body["settings"].get("rate_limit").is_none(), "{}", cleared.text);
    assert_eq!(cleared.body["settings"]["delete_policy"], "hard");
    // Refusals.
    assert_problem(&patch(r#"{"delete_policy": "shred"}"#, None).await, 400, "invalid-body");
    assert_problem(&patch(r#"{"owner": "me"}"#, None).await, 400, "invalid-body");
    assert_problem(&patch(r#"{}"#, Some("garbage".into())).await, 400, "invalid-request");
    let reader = secret(&app.admin_token(&["--scope", "tenants:read"]));
    let denied = app.admin(Method::PATCH, "/tenants/acme", Some(&reader), Some(json!({"delete_policy": "soft"}))).await;
    assert_problem(&denied, 403, "insufficient-scope");
    // Audited with before and after.
    let log = app.cli_json(&["audit", "list", "--tenant", "acme"]).to_string();
    assert!(log.contains(r#""before""#) && log.contains(r#""after""#), "{log}");
}

#[tokio::test]
async fn a_suspended_tenant_refuses_provisioning_after_authentication() {
    let app = TestServer::spawn().await;
    let admin = secret(&app.admin_token(&["--scope", "tenants:write", "--scope", "tenants:read"]));
    let a = Some(admin.as_str());
    let id = app.create_user("before").await["id"].as_str().unwrap().to_owned();
    let on = app.admin(Method::PATCH, "/tenants/acme", a, Some(json!({"suspended": true}))).await.expect(200);
    assert_eq!(on.body["settings"]["suspended"], true);

    // With a valid token: 403, saying why, for reads and writes, and nothing written.
    let r = app.get("/Users").await;
    assert_scim_error(&r, 403, None);
    assert!(r.body["detail"].as_str().unwrap().contains("suspended"), "{}", r.text);
    assert_scim_error(&app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "during"})).await, 403, None);
    assert_scim_error(&app.delete(&format!("/Users/{id}")).await, 403, None);
    // Without one, or with a wrong one: 401 as always (suspension is not revealed).
    let anonymous = send(app.http.get(app.url("/Users")).bearer_auth("scimd_wrong")).await;
    assert_scim_error(&anonymous, 401, None);
    // Discovery still answers; the other tenant is untouched.
    send(app.req(Method::GET, "/ServiceProviderConfig")).await.expect(200);
    send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&app.other.token)).await.expect(200);

    // Resumed (here by the CLI): provisioning works again, nothing was lost or added.
    assert!(app.cli(&["tenant", "set", "acme", "--suspended", "off"]).contains("Updated"));
    eventually(Duration::from_secs(10), "the tenant resumed", || async {
        (app.get("/Users").await.status.as_u16() == 200).then_some(())
    })
    .await;
    assert_eq!(user_names(&app.get("/Users").await), ["before"]);
}

#[tokio::test]
async fn a_tenant_is_erased_only_when_confirmed_and_then_is_gone() {
    let app = TestServer::spawn().await;
    let admin = secret(&app.admin_token(&["--scope", "tenants:write", "--scope", "tenants:read"]));
    let reader = secret(&app.admin_token(&["--scope", "tenants:read"]));
    let user = app.create_user("erased@example.com").await;
    let id = user["id"].as_str().unwrap().to_owned();
    app.create_group("team", &[&id]).await;
    let others = app.http.get(app.url_for("other", "/Users")).bearer_auth(&app.other.token);
    let others = send(others).await.expect(200);

    // Scope, confirmation, tenant: each refused with its problem, nothing erased.
    // The CLI shows a tenant exactly as the admin API does.
    let api = app.admin(Method::GET, "/tenants/acme", Some(&reader), None).await.expect(200);
    assert_eq!(app.cli_json(&["tenant", "show", "acme"]), api.body);
    let path = "/tenants/acme?confirm=acme";
    assert_problem(&app.admin(Method::DELETE, path, Some(&reader), None).await, 403, "insufficient-scope");
    for unconfirmed in ["/tenants/acme", "/tenants/acme?confirm=other", "/tenants/acme?confirm="] {
        let r = app.admin(Method::DELETE, unconfirmed, Some(&admin), None).await;
        assert_problem(&r, 422, "invalid-value");
        assert!(r.body["detail"].as_str().unwrap().contains("confirm=acme"), "{}", r.text);
    }
    assert_problem(
        &app.admin(Method::DELETE, "/tenants/nope?confirm=nope", Some(&admin), None).await,
        404,
        "not-found",
    );
    app.get(&format!("/Users/{id}")).await.expect(200);

    let erased = app.admin(Method::DELETE, path, Some(&admin), None).await;
    assert_eq!(erased.status.as_u16(), 204, "{}", erased.text);
    // Gone at once for the admin API, and the token with it.
    assert_problem(&app.admin(Method::GET, "/tenants/acme", Some(&admin), None).await, 404, "not-found");
    let r = app.get(&format!("/Users/{id}")).await;
    assert_scim_error(&r, 401, None);
    // The other tenant is untouched.
    let still = send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&app.other.token)).await.expect(200);
    assert_eq!(still.body, others.body);
    // The slug can be taken again, and the new tenant starts empty.
    app.admin(Method::POST, "/tenants", Some(&admin), Some(json!({"slug": "acme"}))).await.expect(201);
    let fresh = app.cli_json(&["token", "create", "--tenant", "acme"]);
    let list = app.http.get(app.url("/Users")).bearer_auth(fresh["token"].as_str().unwrap());
    assert_eq!(send(list).await.expect(200).total(), 0);
    // The CLI erases too, with the same confirmation.
    let err = cli_fails(&app.database, &["tenant", "delete", "acme", "--confirm", "acm"]);
    assert!(err.contains("confirm=acme"), "{err}");
    let out = app.cli_json(&["tenant", "delete", "acme", "--confirm", "acme"]);
    assert_eq!(out["erased"], "acme", "{out}");
    // Erased by another process: the server's token cache forgets within a
    // second, its tenant cache within its lifetime (5 s).
    let fresh = fresh["token"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(2), "the erased tenant's token refused", || async {
        let r = send(app.http.get(app.url("/Users")).bearer_auth(&fresh)).await;
        (r.status.as_u16() == 401).then_some(())
    })
    .await;
    eventually(Duration::from_secs(7), "the erased tenant gone", || async {
        let r = app.admin(Method::GET, "/tenants/acme", Some(&admin), None).await;
        (r.status.as_u16() == 404).then_some(())
    })
    .await;
}
