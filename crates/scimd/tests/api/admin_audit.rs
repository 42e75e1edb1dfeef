//! The admin API's audit search and export (`GET /admin/v1/tenants/{slug}/
//! audit`, `…/audit/export`): filters, newest-first cursor pages without
//! skips or repeats, the NDJSON export equal to the search, the retention,
//! refusals (401, 403 without `audit:read`, 404, 422), and the CLI's
//! `scimd audit search|export` printing the same.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{assert_problem, secret};
use crate::helpers::*;

/// Every page of `query` (without `cursor`), `limit` at a time.
async fn walk(app: &TestServer, token: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/tenants/acme/audit?{query}&limit={limit}&cursor={cursor}");
        let page = app.admin(Method::GET, &path, Some(token), None).await.expect(200);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= limit, "{}", page.text);
        out.extend(items.iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return out,
        }
    }
}

/// The export of `query` as its NDJSON lines.
async fn export(app: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let r = app.admin(Method::GET, &format!("/tenants/acme/audit/export?{query}"), Some(token), None).await.expect(200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert!(r.text.is_empty() || r.text.ends_with('\n'), "{}", r.text);
    r.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn ids(entries: &[Value]) -> Vec<i64> {
    entries.iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn audit_search_filters_pages_and_exports() {
    let app = TestServer::spawn().await;
    let scim_token = app.cli_json(&["token", "list", "--tenant", "acme"])[0]["id"].as_str().unwrap().to_owned();
    let admin = app.admin_token(&["--name", "ops", "--scope", "admin"]);
    let admin_id = admin["id"].as_str().unwrap().to_owned();
    // Changes by the SCIM token, refusals, and an admin change.
    let user = app.create_user_with(json!({"userName": "audited", "password": "Pa55-w0rd!x"})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    for i in 0..12 {
        app.create_user(&format!("u{i}")).await;
    }
    app.patch_ops(&format!("/Users/{id}"), json!([{"op": "replace", "path": "title", "value": "Boss"}]))
        .await
        .expect(200);
    let refused = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "U0"})).await;
    assert_eq!(refused.status.as_u16(), 409);
    app.delete(&format!("/Users/{id}")).await.expect(204);
    app.admin(Method::POST, "/tenants/acme/tokens", Some(&secret(&admin)), Some(json!({"name": "second"})))
        .await
        .expect(201);
    let reader = secret(&app.admin_token(&["--name", "auditor", "--scope", "audit:read"]));

    // Everything, newest first, with the retention the server keeps it for.
    let all = app.admin(Method::GET, "/tenants/acme/audit?limit=1000", Some(&reader), None).await.expect(200);
    assert_eq!(all.body["retention_days"], 400, "the default audit_retention_days");
    assert!(all.body.get("next_cursor").is_none());
    let entries = all.body["items"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 17, "{}", all.text);
    let order: Vec<(String, i64)> =
        entries.iter().map(|e| (e["at"].as_str().unwrap().to_owned(), e["id"].as_i64().unwrap())).collect();
    assert!(order.windows(2).all(|w| w[0] > w[1]), "newest first: {order:?}");
    assert_eq!(entries[0]["admin_token"], admin_id.as_str(), "the admin change is the newest");
    assert_eq!(entries[0]["outcome"], "ok");
    let text = all.text.clone();
    assert!(!text.contains("Pa55-w0rd!x") && !text.contains(&app.tenant.token) && !text.contains(&secret(&admin)));

    // Cursor pages of 4 give each entry once, in the same order.
    let paged = walk(&app, &reader, "", 4).await;
    assert_eq!(ids(&paged), ids(&entries));
    assert_eq!(ids(&paged).into_iter().collect::<HashSet<_>>().len(), entries.len());

    // Filters.
    let about = walk(&app, &reader, &format!("resource={id}"), 2).await;
    let methods: Vec<&str> = about.iter().map(|e| e["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["DELETE", "PATCH", "POST"]);
    let by_scim = walk(&app, &reader, &format!("token={scim_token}"), 5).await;
    assert_eq!(by_scim.len(), 16);
    assert!(by_scim.iter().all(|e| e["token"] == scim_token.as_str()));
    let by_admin = walk(&app, &reader, &format!("token={admin_id}"), 5).await;
    assert_eq!(ids(&by_admin), [entries[0]["id"].as_i64().unwrap()]);
    let refusals = walk(&app, &reader, "outcome=refused", 5).await;
    assert_eq!(refusals.len(), 1);
    assert_eq!((refusals[0]["status"].as_u64(), refusals[0]["outcome"].as_str()), (Some(409), Some("refused")));
    assert!(walk(&app, &reader, "outcome=failed", 5).await.is_empty());
    let pivot = entries[8]["at"].as_str().unwrap();
    let since = walk(&app, &reader, &format!("since={pivot}"), 3).await;
    let until = walk(&app, &reader, &format!("until={pivot}"), 3).await;
    assert_eq!(since.len() + until.len(), entries.len(), "since is inclusive, until exclusive");
    assert!(since.iter().all(|e| e["at"].as_str().unwrap() >= pivot));
    assert!(until.iter().all(|e| e["at"].as_str().unwrap() < pivot));
    let both = walk(&app, &reader, &format!("token={scim_token}&outcome=ok&since={pivot}"), 3).await;
    assert!(both.iter().all(|e| e["token"] == scim_token.as_str() && e["outcome"] == "ok"));

    // The export: the same entries, line by line, for the same filters.
    assert_eq!(export(&app, &reader, "").await, entries);
    assert_eq!(export(&app, &reader, "outcome=refused").await, refusals);
    assert_eq!(export(&app, &reader, &format!("resource={id}")).await, about);
    assert!(export(&app, &reader, "outcome=failed").await.is_empty());

    // The CLI prints the same.
    let cli = app.cli_json(&["audit", "search", "--tenant", "acme", "--limit", "1000"]);
    assert_eq!(cli["items"], json!(entries));
    let cli_export = app.cli(&["audit", "export", "--tenant", "acme", "--outcome", "refused"]);
    let lines: Vec<Value> = cli_export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines, refusals);
}

#[tokio::test]
async fn audit_search_refusals() {
    let app = TestServer::spawn().await;
    app.create_user("someone").await;
    let reader = secret(&app.admin_token(&["--name", "auditor", "--scope", "audit:read"]));
    let tenants_only = secret(&app.admin_token(&["--name", "tenants", "--scope", "tenants:read"]));
    let limited = secret(&app.admin_token(&["--name", "other-only", "--scope", "audit:read", "--tenant", "other"]));
    for path in ["/tenants/acme/audit", "/tenants/acme/audit/export"] {
        assert_problem(&app.admin(Method::GET, path, None, None).await, 401, "unauthorized");
        let denied = app.admin(Method::GET, path, Some(&tenants_only), None).await;
        assert_problem(&denied, 403, "insufficient-scope");
        assert_eq!(denied.body["required_scope"], "audit:read");
        assert_problem(&app.admin(Method::GET, path, Some(&limited), None).await, 404, "not-found");
        let unknown = path.replace("acme", "nope");
        assert_problem(&app.admin(Method::GET, &unknown, Some(&reader), None).await, 404, "not-found");
        for bad in [
            "since=yesterday",
            "until=2026-13-01T00:00:00Z",
            "resource=not-an-id",
            "token=scimd_abc",
            "outcome=maybe",
            "since=1&since=2",
            "until=",
            "outcome=",
        ] {
            let r = app.admin(Method::GET, &format!("{path}?{bad}"), Some(&reader), None).await;
            assert_problem(&r, 422, "invalid-value");
        }
    }
    for bad in ["limit=0", "limit=1001", "limit=x", "limit="] {
        let r = app.admin(Method::GET, &format!("/tenants/acme/audit?{bad}"), Some(&reader), None).await;
        assert_problem(&r, 422, "invalid-value");
    }
    for bad in ["garbage!", "YTEuMTIzLng", "YTEuMS4xLjE"] {
        let r = app.admin(Method::GET, &format!("/tenants/acme/audit?cursor={bad}"), Some(&reader), None).await;
        assert_problem(&r, 422, "invalid-cursor");
    }
    // The CLI refuses the same values, naming them.
    let err = cli_fails(&app.database, &["audit", "search", "--tenant", "acme", "--since", "yesterday"]);
    assert!(err.contains("since must be an RFC 3339"), "{err}");
}
