//! Data survives a restart; the first-run tenant and token are printed once.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn first_run_prints_url_and_token_once() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    let server = ServerProcess::start(&database, dir.path(), &[]);
    let lines = server.stdout_lines.clone();
    assert_eq!(lines.len(), 3, "first run prints the URL, the token, then the listening line: {lines:?}");
    let url_line = lines.iter().find(|l| l.starts_with("SCIM base URL: ")).expect("SCIM base URL line");
    assert!(url_line.ends_with("/scim/v2/default"), "{url_line}");
    let token = lines.iter().find_map(|l| l.strip_prefix("SCIM token: ")).expect("SCIM token line").trim().to_string();
    assert!(token.starts_with("scimd_") && token.len() >= 6 + 43, "≥256-bit secret: {token}");
    let log = server.log();
    assert!(!log.contains(&token), "the token must not be logged");

    let http = http_client();
    let base = format!("http://{}/scim/v2/default", server.addr);
    let r = send(with_json(
        http.request(Method::POST, format!("{base}/Users")).bearer_auth(&token),
        &json!({"schemas": [USER_SCHEMA], "userName": "first"}),
    ))
    .await
    .expect(201);
    let id = r.id();
    server.stop();

    let server = ServerProcess::start(&database, dir.path(), &[]);
    assert_eq!(server.stdout_lines.len(), 1, "second start prints only the listening line: {:?}", server.stdout_lines);
    assert!(!server.stdout_lines[0].contains("SCIM token"));
    let base = format!("http://{}/scim/v2/default", server.addr);
    let r = send(http.get(format!("{base}/Users/{id}")).bearer_auth(&token)).await.expect(200);
    assert_eq!(r.body["userName"], "first");
    server.stop();
}

#[tokio::test]
async fn public_url_is_used_for_locations() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    cli(&database, &["init"]);
    cli(&database, &["tenant", "create", "acme"]);
    let token = cli_json(&database, &["token", "create", "--tenant", "acme"])["token"].as_str().unwrap().to_string();
    let server = ServerProcess::start(&database, dir.path(), &["--public-url", "https://scim.example.com"]);
    let http = http_client();
    let r = send(with_json(
        http.request(Method::POST, format!("http://{}/scim/v2/acme/Users", server.addr)).bearer_auth(&token),
        &json!({"schemas": [USER_SCHEMA], "userName": "loc"}),
    ))
    .await
    .expect(201);
    let id = r.id();
    assert_eq!(r.body["meta"]["location"], json!(format!("https://scim.example.com/scim/v2/acme/Users/{id}")));
    assert_eq!(r.header("location"), Some(format!("https://scim.example.com/scim/v2/acme/Users/{id}").as_str()));
}

#[tokio::test]
async fn resources_memberships_and_versions_survive_a_restart() {
    let mut app = TestServer::spawn_sqlite().await;
    let u1 = app
        .post(
            "/Users",
            &json!({"schemas": [USER_SCHEMA], "userName": "keep", "displayName": "Keep Me",
        "emails": [{"value": "keep@example.com", "type": "work", "primary": true}], "password": "s3cret!"}),
        )
        .await
        .expect(201);
    let u1_id = u1.id();
    let gone = app.create_user("gone").await["id"].as_str().unwrap().to_string();
    app.delete(&format!("/Users/{gone}")).await.expect(204);
    let g = app.create_group("Survivors", &[&u1_id]).await;
    let gid = g["id"].as_str().unwrap().to_string();
    let before_user = app.get(&format!("/Users/{u1_id}")).await.expect(200);
    let before_group = app.get(&format!("/Groups/{gid}")).await.expect(200);
    let lines = app.restart().await;
    assert_eq!(lines.len(), 1, "a restart prints only the listening line: {lines:?}");

    let after_user = app.get(&format!("/Users/{u1_id}")).await.expect(200);
    assert_eq!(after_user.etag(), before_user.etag());
    for key in ["userName", "displayName", "emails", "id"] {
        assert_eq!(after_user.body[key], before_user.body[key], "{key} after restart");
    }
    // $ref carries the origin, which changed with the port: compare the rest.
    assert_eq!(group_values(&after_user.body), vec![gid.clone()]);
    assert_eq!(after_user.body["groups"][0]["display"], "Survivors");
    assert_eq!(after_user.body["meta"]["created"], before_user.body["meta"]["created"]);
    let after_group = app.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(member_values(&after_group.body), vec![u1_id.clone()]);
    assert_eq!(after_group.etag(), before_group.etag());
    assert_scim_error(&app.get(&format!("/Users/{gone}")).await, 404, None);
    let dup = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "KEEP"})).await;
    assert_scim_error(&dup, 409, Some("uniqueness"));
    app.create_user("gone").await;
    // The other tenant's token still belongs to the other tenant.
    let r = send(app.http.get(app.url("/Users")).bearer_auth(&app.other.token)).await;
    assert_eq!(r.status.as_u16(), 401);
    let mut db = std::fs::read(app.dir.path().join("scimd.db")).unwrap();
    db.extend(std::fs::read(app.dir.path().join("scimd.db-wal")).unwrap_or_default());
    let needle = b"s3cret!";
    assert!(!db.windows(needle.len()).any(|w| w == needle), "the password is stored in plain text");
    let tok = app.tenant.token.as_bytes();
    assert!(!db.windows(tok.len()).any(|w| w == tok), "the token is stored in plain text");
}
