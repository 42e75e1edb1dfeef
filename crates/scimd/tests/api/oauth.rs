//! OAuth 2.0 client credentials (issue 11 item 9, seed 003): clients
//! registered over the admin API, `/oauth2/token` in the seed's shape and
//! with HTTP Basic, every RFC 6749 §5.2 error, the access token used on
//! the tenant's SCIM URL (and no other), the JWKS it verifies with, key
//! rotation, and revocation refusing live tokens within a second.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn admin_token(app: &TestServer) -> String {
    let v = app.cli_json(&["admin-token", "create", "--scope", "admin"]);
    v["token"].as_str().unwrap().to_owned()
}

async fn admin(app: &TestServer, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut rb = app.http.request(method, format!("{}/admin/v1{path}", app.base)).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_string());
    }
    send(rb).await
}

async fn token_request(app: &TestServer, form: &str, basic: Option<&str>) -> Resp {
    let mut rb = app
        .http
        .post(format!("{}/oauth2/token", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(b) = basic {
        rb = rb.header("authorization", format!("Basic {b}"));
    }
    send(rb).await
}

#[track_caller]
fn assert_oauth_error(r: &Resp, status: u16, error: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.body["error"], error, "{}", r.text);
    assert!(r.body["error_description"].is_string(), "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

fn header_of(jwt: &str) -> Value {
    let head = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap()
}

#[tokio::test]
async fn the_client_credentials_flow_works_end_to_end_in_the_seeds_shape() {
    let app = TestServer::spawn().await;
    let root = admin_token(&app);
    let created =
        admin(&app, Method::POST, "/tenants/acme/oauth-clients", &root, Some(json!({"name": "nauthera"}))).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created.body["scopes"], json!(["admin"]));
    assert!(created.header("location").unwrap().ends_with(&format!("/oauth-clients/{id}")));
    assert_eq!(created.body["token_endpoint"], format!("{}/oauth2/token", app.base));
    let listed = admin(&app, Method::GET, "/tenants/acme/oauth-clients", &root, None).await.expect(200);
    assert_eq!(listed.body["items"][0]["client_id"], id.as_str());
    assert!(!listed.text.contains(&secret), "a list never shows the secret");

    // The seed: curl -X POST …/oauth2/token -d "grant_type=client_credentials&client_id=…&client_secret=…&scope=admin"
    let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=admin");
    let granted = token_request(&app, &form, None).await.expect(200);
    assert_eq!(granted.header("cache-control"), Some("no-store"));
    assert_eq!(granted.header("pragma"), Some("no-cache"));
    assert_eq!((granted.body["token_type"].as_str(), granted.body["scope"].as_str()), (Some("Bearer"), Some("admin")));
    assert_eq!(granted.body["expires_in"], 3600);
    let access = granted.body["access_token"].as_str().unwrap().to_owned();
    let header = header_of(&access);
    assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("at+jwt"), Some("EdDSA")), "{header}");

    // Valid on acme's SCIM URL (whatever its mode), not on another tenant's.
    let users = send(app.http.get(app.url("/Users")).bearer_auth(&access)).await.expect(200);
    assert_eq!(users.body["totalResults"], 0);
    let elsewhere = send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&access)).await;
    assert_scim_error(&elsewhere, 401, None);
    let nowhere = send(app.http.get(app.url_for("nowhere", "/Users")).bearer_auth(&access)).await;
    assert_eq!((elsewhere.status, &elsewhere.body), (nowhere.status, &nowhere.body), "no tenant to tell apart");
    // The JWKS publishes the key that signed it.
    let jwks = send(app.http.get(format!("{}/.well-known/jwks.json", app.base))).await.expect(200);
    let kids: Vec<&str> = jwks.body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [header["kid"].as_str().unwrap()]);
    assert!(jwks.body["keys"][0].get("d").is_none(), "only the public half");
    let meta = send(app.http.get(format!("{}/.well-known/oauth-authorization-server", app.base))).await.expect(200);
    assert_eq!(meta.body["token_endpoint"], format!("{}/oauth2/token", app.base));

    // HTTP Basic, credentials form-urlencoded before base64 (RFC 6749 §2.3.1).
    let basic = STANDARD.encode(format!("{id}:{secret}"));
    token_request(&app, "grant_type=client_credentials", Some(&basic)).await.expect(200);
    // Both ways at once: invalid_request.
    let both = format!("grant_type=client_credentials&client_secret={secret}");
    assert_oauth_error(&token_request(&app, &both, Some(&basic)).await, 400, "invalid_request");
    // A wrong secret, an unknown client, nothing: invalid_client, 401 with WWW-Authenticate.
    for form in [
        format!("grant_type=client_credentials&client_id={id}&client_secret=scimd_wrong"),
        format!("grant_type=client_credentials&client_id={}&client_secret={secret}", uuid::Uuid::now_v7()),
        "grant_type=client_credentials&client_id=not-a-client&client_secret=x".to_owned(),
        "grant_type=client_credentials".to_owned(),
    ] {
        let r = token_request(&app, &form, None).await;
        assert_oauth_error(&r, 401, "invalid_client");
        assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with("Basic")), "{:?}", r.headers);
    }
    let wrong_basic = STANDARD.encode(format!("{id}:nope"));
    assert_oauth_error(
        &token_request(&app, "grant_type=client_credentials", Some(&wrong_basic)).await,
        401,
        "invalid_client",
    );
    // Grant type and scope.
    let creds = format!("client_id={id}&client_secret={secret}");
    assert_oauth_error(
        &token_request(&app, &format!("grant_type=password&{creds}"), None).await,
        400,
        "unsupported_grant_type",
    );
    assert_oauth_error(&token_request(&app, &creds, None).await, 400, "invalid_request");
    let superuser = format!("grant_type=client_credentials&{creds}&scope=admin%20superuser");
    assert_oauth_error(&token_request(&app, &superuser, None).await, 400, "invalid_scope");
    let twice = format!("grant_type=client_credentials&{creds}&scope=admin&scope=admin");
    assert_oauth_error(&token_request(&app, &twice, None).await, 400, "invalid_request");
    let json_body =
        send(app.http.post(format!("{}/oauth2/token", app.base)).header("content-type", "application/json").body("{}"))
            .await;
    assert_oauth_error(&json_body, 400, "invalid_request");

    // Rotation: new tokens carry the new kid; the old token keeps working
    // (its key stays published until it has expired).
    let rotated = admin(&app, Method::POST, "/signing-keys/rotate", &root, None).await.expect(200);
    let keys = rotated.body["items"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{}", rotated.text);
    assert!(keys[0]["retired"].is_null() && keys[1]["retired"].is_string() && keys[1]["published"] == true);
    let fresh = token_request(&app, &form, None).await.expect(200);
    let fresh = fresh.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(header_of(&fresh)["kid"], keys[0]["kid"]);
    send(app.http.get(app.url("/Users")).bearer_auth(&access)).await.expect(200);
    send(app.http.get(app.url("/Users")).bearer_auth(&fresh)).await.expect(200);
    let jwks = send(app.http.get(format!("{}/.well-known/jwks.json", app.base))).await.expect(200);
    assert_eq!(jwks.body["keys"].as_array().unwrap().len(), 2);

    // Revoking the client refuses its live tokens within a second.
    admin(&app, Method::POST, &format!("/tenants/acme/oauth-clients/{id}/revoke"), &root, None).await.expect(200);
    let start = Instant::now();
    eventually(Duration::from_millis(1500), "the revoked client's token refused", || async {
        let r = send(app.http.get(app.url("/Users")).bearer_auth(&fresh)).await;
        (r.status.as_u16() == 401).then_some(())
    })
    .await;
    assert!(start.elapsed() < Duration::from_millis(1500));
    assert_oauth_error(&token_request(&app, &form, None).await, 401, "invalid_client");
}

#[tokio::test]
async fn a_token_without_the_tenants_scope_is_403_and_clients_are_per_tenant() {
    let app = TestServer::spawn().await;
    let root = admin_token(&app);
    let reader =
        admin(&app, Method::POST, "/tenants/acme/oauth-clients", &root, Some(json!({"scopes": ["scim:read"]})))
            .await
            .expect(201);
    let bad = admin(&app, Method::POST, "/tenants/acme/oauth-clients", &root, Some(json!({"scopes": ["a b"]}))).await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.text);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        reader.body["client_id"].as_str().unwrap(),
        reader.body["client_secret"].as_str().unwrap()
    );
    let granted = token_request(&app, &form, None).await.expect(200);
    assert_eq!(granted.body["scope"], "scim:read");
    let access = granted.body["access_token"].as_str().unwrap();
    let r = send(app.http.get(app.url("/Users")).bearer_auth(access)).await;
    assert_scim_error(&r, 403, None);
    assert!(r.header("www-authenticate").unwrap().contains("insufficient_scope"));
    // Another tenant's admin cannot see or revoke acme's clients.
    let other_admin = app.cli_json(&["admin-token", "create", "--scope", "admin", "--tenant", "other"]);
    let other_admin = other_admin["token"].as_str().unwrap();
    let path = format!("/tenants/acme/oauth-clients/{}/revoke", reader.body["client_id"].as_str().unwrap());
    assert_eq!(admin(&app, Method::POST, &path, other_admin, None).await.status.as_u16(), 404);
    let path = format!("/tenants/other/oauth-clients/{}/revoke", reader.body["client_id"].as_str().unwrap());
    assert_eq!(admin(&app, Method::POST, &path, other_admin, None).await.status.as_u16(), 404);
    assert_eq!(admin(&app, Method::POST, "/signing-keys/rotate", other_admin, None).await.status.as_u16(), 403);
    // The CLI registers and lists the same way.
    let cli = app.cli_json(&["oauth-client", "create", "--tenant", "other", "--scope", "admin"]);
    assert!(cli["client_secret"].as_str().unwrap().starts_with("scimd_"), "{cli}");
    let listed = app.cli_json(&["oauth-client", "list", "--tenant", "other"]);
    assert_eq!(listed[0]["client_id"], cli["client_id"]);
    let keys = app.cli_json(&["signing-key", "list"]);
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    // Revoked by the CLI from another process: its token, validated and
    // remembered by the server, is refused within a second all the same.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        cli["client_id"].as_str().unwrap(),
        cli["client_secret"].as_str().unwrap()
    );
    let access = token_request(&app, &form, None).await.expect(200).body["access_token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&access)).await.expect(200);
    }
    app.cli(&["oauth-client", "revoke", "--tenant", "other", cli["client_id"].as_str().unwrap()]);
    let start = Instant::now();
    eventually(Duration::from_millis(1500), "the CLI-revoked client's token refused", || async {
        let r = send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&access)).await;
        (r.status.as_u16() == 401).then_some(())
    })
    .await;
    assert!(start.elapsed() < Duration::from_millis(1500));
}
