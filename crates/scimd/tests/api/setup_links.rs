//! Self-serve setup links over the admin API (issue 14): issued with a
//! URL shown once, an expiry (24 h by default, at most 7 days) and what
//! they allow; listed without their secret; revoked once; scoped and
//! tenant-bound like every admin call; audited.

use reqwest::Method;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::admin::{assert_problem, secret};
use crate::helpers::*;

fn at(v: &serde_json::Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn a_setup_link_is_issued_once_listed_without_its_secret_and_revoked() {
    let app = TestServer::spawn().await;
    let writer = secret(&app.admin_token(&["--scope", "tenants:read", "--scope", "tenants:write"]));
    let r = app.admin(Method::POST, "/tenants/acme/setup-links", Some(&writer), Some(json!({}))).await.expect(201);
    let link = r.body.clone();
    let url = link["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/setup/scimd_", app.base)), "{url}");
    assert_eq!(link["allow"], json!(["scim", "domains"]));
    let life = at(&link["expires"]) - at(&link["created"]);
    assert!((life.whole_seconds() - 86_400).abs() <= 2, "24 hours by default: {life}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let id = link["id"].as_str().unwrap().to_owned();
    assert!(r.header("location").unwrap().ends_with(&format!("/admin/v1/tenants/acme/setup-links/{id}")));
    let secret_part = url.rsplit('/').next().unwrap().to_owned();
    assert!(secret_part.starts_with(link["prefix"].as_str().unwrap()), "{link}");

    // No body at all, or `null`: the defaults too.
    for body in [None, Some(serde_json::Value::Null)] {
        let r = app.admin(Method::POST, "/tenants/acme/setup-links", Some(&writer), body).await.expect(201);
        assert_eq!(r.body["allow"], json!(["scim", "domains"]), "{}", r.text);
    }

    // One week, only domains.
    let week = app
        .admin(
            Method::POST,
            "/tenants/acme/setup-links",
            Some(&writer),
            Some(json!({"expires_in": 604_800, "allow": ["domains"]})),
        )
        .await
        .expect(201);
    assert_eq!(week.body["allow"], json!(["domains"]));

    // Listed, oldest first, never with the secret.
    let list = app.admin(Method::GET, "/tenants/acme/setup-links", Some(&writer), None).await.expect(200);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["id"], id.as_str());
    assert!(!list.text.contains(&secret_part) && !list.text.contains("\"url\""), "{}", list.text);
    // Not another tenant's.
    let other = app.admin(Method::GET, "/tenants/other/setup-links", Some(&writer), None).await.expect(200);
    assert_eq!(other.body["items"], json!([]));

    // Revoked once; again answers the same; not through another tenant.
    let path = format!("/tenants/acme/setup-links/{id}/revoke");
    let elsewhere =
        app.admin(Method::POST, &format!("/tenants/other/setup-links/{id}/revoke"), Some(&writer), None).await;
    assert_problem(&elsewhere, 404, "not-found");
    let first = app.admin(Method::POST, &path, Some(&writer), None).await.expect(200);
    assert!(first.body["revoked"].is_string(), "{}", first.text);
    let again = app.admin(Method::POST, &path, Some(&writer), None).await.expect(200);
    assert_eq!(again.body["revoked"], first.body["revoked"]);

    // Audited as the admin token.
    let audit = app.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "100"]).to_string();
    assert!(audit.contains("setup_link") && audit.contains(&id), "{audit}");
    assert!(!audit.contains(&secret_part), "the audit never holds the link's secret");
}

#[tokio::test]
async fn bad_setup_link_requests_are_refused_and_nothing_is_issued() {
    let app = TestServer::spawn().await;
    let writer = secret(&app.admin_token(&["--scope", "tenants:read", "--scope", "tenants:write"]));
    let reader = secret(&app.admin_token(&["--scope", "tenants:read"]));
    for (body, status, kind) in [
        (json!({"expires_in": 604_801}), 422, "invalid-value"),
        (json!({"expires_in": 0}), 422, "invalid-value"),
        (json!({"allow": ["admin"]}), 422, "invalid-value"),
        (json!({"allow": []}), 422, "invalid-value"),
        (json!({"expires_in": "soon"}), 400, "invalid-body"),
        (json!({"url": "https://example.com"}), 400, "invalid-body"),
    ] {
        let r = app.admin(Method::POST, "/tenants/acme/setup-links", Some(&writer), Some(body.clone())).await;
        assert_problem(&r, status, kind);
    }
    let r = app.admin(Method::POST, "/tenants/acme/setup-links", Some(&reader), Some(json!({}))).await;
    assert_problem(&r, 403, "insufficient-scope");
    let r = app.admin(Method::POST, "/tenants/nope/setup-links", Some(&writer), Some(json!({}))).await;
    assert_problem(&r, 404, "not-found");
    let list = app.admin(Method::GET, "/tenants/acme/setup-links", Some(&writer), None).await.expect(200);
    assert_eq!(list.body["items"], json!([]), "nothing issued");
}
