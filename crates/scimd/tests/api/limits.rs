//! Limits that keep the server up for everyone (DESIGN §8): connections
//! that send nothing or half a request are closed, the number of
//! connections is bounded, a body declared too large is refused before it
//! is sent, a request that runs too long gets a SCIM 408, and a client that
//! never finishes its request does not hold up a graceful stop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::*;

/// A server on a fresh database with `env` set, its token and directory.
fn server_with(env: &[(&str, &str)]) -> (ServerProcess, String, TempDir) {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    let server = ServerProcess::start_with(&database, dir.path(), &[], env);
    let token = server.stdout_lines.iter().find_map(|l| l.strip_prefix("SCIM token: ")).unwrap().to_owned();
    (server, token, dir)
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let (server, _, _dir) = server_with(&[("SCIMD_HEADER_READ_TIMEOUT_SECS", "1")]);
    let mut silent = connect(&server.addr);
    let mut half = connect(&server.addr);
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    // Both are closed by the server (read returns end of stream); without
    // the timeout the read would wait out its 60 s and fail.
    let started = Instant::now();
    assert_eq!(read_to_close(&mut silent), "");
    assert_eq!(read_to_close(&mut half), "");
    assert!(started.elapsed() < Duration::from_secs(30), "closed by the read timeout, not the server");
    // A complete request on a new connection is served as ever.
    let ok = send(http_client().get(format!("http://{}/healthz", server.addr))).await;
    assert_eq!(ok.status.as_u16(), 200);
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let (server, _, _dir) = server_with(&[("SCIMD_MAX_CONNECTIONS", "3")]);
    // Three connections, each known to be served (one answered request on
    // it, kept alive): they hold the three slots.
    let held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = connect(&server.addr);
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.ends_with(b"ok") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "closed before answering: {}", String::from_utf8_lossy(&got));
                got.extend_from_slice(&buf[..n]);
            }
            s
        })
        .collect();
    let http = http_client();
    let mut extra = connect(&server.addr);
    extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let answer = read_to_close(&mut extra);
    assert!(answer.is_empty(), "a fourth connection was served: {answer}");
    drop(held);
    let ok = eventually(Duration::from_secs(30), "a slot free again", || async {
        http.get(format!("http://{}/healthz", server.addr)).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_body_declared_too_large_is_refused_before_it_is_sent() {
    let (server, token, _dir) = server_with(&[]);
    let mut s = connect(&server.addr);
    let head = format!(
        "POST /scim/v2/default/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 50000000\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    // No body is sent: the answer comes anyway, and the connection closes.
    let answer = read_to_close(&mut s);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/scim+json"), "{answer}");
    assert!(answer.contains("urn:ietf:params:scim:api:messages:2.0:Error"), "{answer}");
}

#[tokio::test]
async fn a_request_past_its_time_is_a_scim_408() {
    let (server, token, _dir) = server_with(&[("SCIMD_REQUEST_TIMEOUT_SECS", "1")]);
    let mut s = connect(&server.addr);
    let head = format!(
        "POST /scim/v2/default/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"userName\""
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("urn:ietf:params:scim:api:messages:2.0:Error"), "{answer}");
    assert!(answer.contains("\"status\":\"408\""), "{answer}");
}

#[tokio::test]
async fn a_path_that_is_not_utf8_is_a_scim_404() {
    let app = TestServer::spawn().await;
    for path in ["/Users/%FF", "/Groups/%C3%28", "/Schemas/%FF%FE", "/ResourceTypes/%80"] {
        let r = send(app.http.get(app.url(path)).bearer_auth(&app.tenant.token)).await;
        assert_scim_error(&r, 404, None);
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_does_not_hold_up_a_stop() {
    // A long grace period: the stop must not wait for it.
    let (mut server, _, _dir) = server_with(&[("SCIMD_SHUTDOWN_GRACE_SECS", "600")]);
    let mut half = connect(&server.addr);
    half.write_all(b"POST /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let killed = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = server.wait_exit(Duration::from_secs(60)).expect("scimd waited for a client that never finished");
    assert!(status.success(), "{status:?}");
    assert_eq!(read_to_close(&mut half), "");
}

#[tokio::test]
async fn requests_without_a_valid_token_are_rate_limited_per_source() {
    let (server, token, _dir) =
        server_with(&[("SCIMD_RATE_LIMIT_PER_SOURCE", "1"), ("SCIMD_RATE_LIMIT_SOURCE_BURST", "3")]);
    let http = http_client();
    let users = format!("http://{}/scim/v2/default/Users", server.addr);
    for _ in 0..3 {
        assert_eq!(send(http.get(&users).bearer_auth("scimd_wrong")).await.status.as_u16(), 401);
    }
    let limited = send(http.get(&users).bearer_auth("scimd_wrong")).await;
    assert_scim_error(&limited, 429, None);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Discovery without a token counts against the same source.
    let schemas = format!("http://{}/scim/v2/default/Schemas", server.addr);
    assert_eq!(send(http.get(&schemas)).await.status.as_u16(), 429);
    // A valid token is not held back by its address's refusals, and the
    // operational endpoints are never limited.
    for _ in 0..10 {
        assert_eq!(send(http.get(&users).bearer_auth(&token)).await.status.as_u16(), 200);
        assert_eq!(send(http.get(format!("http://{}/healthz", server.addr))).await.status.as_u16(), 200);
    }
    let metrics = send(http.get(format!("http://{}/metrics", server.addr))).await.expect(200);
    assert!(metrics.text.contains("scimd_rate_limited_total 2"), "{}", metrics.text);
}

/// Behind a trusted reverse proxy the per-source limit and the audit log
/// see the forwarded client; from anyone else the header is ignored.
#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_source() {
    let (server, token, dir) = server_with(&[
        ("SCIMD_RATE_LIMIT_PER_SOURCE", "1"),
        ("SCIMD_RATE_LIMIT_SOURCE_BURST", "2"),
        ("SCIMD_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
    ]);
    let http = http_client();
    let users = format!("http://{}/scim/v2/default/Users", server.addr);
    let refused = |client: &'static str| {
        send(http.get(&users).bearer_auth("scimd_wrong").header("x-forwarded-for", format!("{client}, 10.1.2.3")))
    };
    for _ in 0..2 {
        assert_eq!(refused("198.51.100.1").await.status.as_u16(), 401);
    }
    assert_eq!(refused("198.51.100.1").await.status.as_u16(), 429, "that client's burst is spent");
    assert_eq!(refused("198.51.100.2").await.status.as_u16(), 401, "another client behind the proxy is not");

    let created = send(
        http.post(&users)
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .header("x-forwarded-for", "203.0.113.50")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"proxied"}"#),
    )
    .await
    .expect(201);
    let database = database_url(dir.path());
    let audit = cli_json(&database, &["audit", "list", "--tenant", "default"]);
    let entry = audit.as_array().unwrap().iter().find(|e| e["resource_id"] == created.body["id"]).unwrap().clone();
    assert_eq!(entry["remote_addr"], "203.0.113.50", "{entry}");
    server.stop();

    // Without trusted proxies the header changes nothing.
    let server = ServerProcess::start_with(&database, dir.path(), &[], &[("SCIMD_RATE_LIMIT_PER_SOURCE", "0")]);
    let users = format!("http://{}/scim/v2/default/Users", server.addr);
    let created = send(
        http.post(&users)
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .header("x-forwarded-for", "203.0.113.51")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"direct"}"#),
    )
    .await
    .expect(201);
    let audit = cli_json(&database, &["audit", "list", "--tenant", "default"]);
    let entry = audit.as_array().unwrap().iter().find(|e| e["resource_id"] == created.body["id"]).unwrap().clone();
    assert!(entry["remote_addr"].as_str().unwrap().starts_with("127.0.0.1:"), "{entry}");
}

#[tokio::test]
async fn each_tenant_has_its_own_rate() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    cli(&database, &["init"]);
    let tokens: Vec<String> = ["slow", "fast"]
        .iter()
        .map(|t| {
            cli(&database, &["tenant", "create", t]);
            cli_json(&database, &["token", "create", "--tenant", t])["token"].as_str().unwrap().to_owned()
        })
        .collect();
    // `fast` sets its own rate: none.
    cli(&database, &["tenant", "set", "fast", "--rate-limit", "0"]);
    let env = [("SCIMD_RATE_LIMIT_PER_TENANT", "2"), ("SCIMD_RATE_LIMIT_TENANT_BURST", "4")];
    let server = ServerProcess::start_with(&database, dir.path(), &[], &env);
    let http = http_client();
    let get = |tenant: &str, token: &str| {
        send(http.get(format!("http://{}/scim/v2/{tenant}/Users", server.addr)).bearer_auth(token))
    };
    for _ in 0..4 {
        get("slow", &tokens[0]).await.expect(200);
    }
    let limited = get("slow", &tokens[0]).await;
    assert_scim_error(&limited, 429, None);
    assert!(limited.header("retry-after").is_some());
    for _ in 0..50 {
        get("fast", &tokens[1]).await.expect(200);
    }
}

#[tokio::test]
async fn a_client_request_id_is_kept_only_when_short_and_plain() {
    let app = TestServer::spawn().await;
    let plain = "0190c5a8-0000-7000-8000-000000000000";
    let r = send(app.req(reqwest::Method::GET, "/Users").header("x-request-id", plain)).await.expect(200);
    assert_eq!(r.header("x-request-id"), Some(plain));
    for odd in ["x".repeat(300), "has spaces in it".to_owned(), "<script>".to_owned()] {
        let r = send(app.req(reqwest::Method::GET, "/Users").header("x-request-id", &odd)).await.expect(200);
        let id = r.header("x-request-id").unwrap();
        assert_ne!(id, odd);
        assert!(id.len() <= 64 && !id.is_empty(), "a new id: {id}");
    }
}

#[tokio::test]
async fn a_filter_past_the_scan_budget_is_too_many() {
    let (server, token, _dir) = server_with(&[("SCIMD_SCAN_BUDGET", "50")]);
    let http = http_client();
    let base = format!("http://{}/scim/v2/default", server.addr);
    for i in 0..60 {
        let body = serde_json::json!({"schemas": [USER_SCHEMA], "userName": format!("u{i}"), "title": "x"});
        send(with_json(http.post(format!("{base}/Users")).bearer_auth(&token), &body)).await.expect(201);
    }
    let list =
        |filter: &'static str| send(http.get(format!("{base}/Users")).query(&[("filter", filter)]).bearer_auth(&token));
    // A user's groups are not in its document: only the evaluator can say.
    assert_scim_error(&list("groups.display co \"zzz\"").await, 400, Some("tooMany"));
    // Indexed columns, and attributes SQL reads in the stored document,
    // are answered over the same users whatever the budget.
    assert_eq!(list("userName sw \"u1\"").await.expect(200).total(), 11);
    assert_eq!(list("title co \"zzz\"").await.expect(200).total(), 0);
    assert_eq!(list("title eq \"X\" and userName ew \"9\"").await.expect(200).total(), 6);
}

#[tokio::test]
async fn multi_valued_attributes_are_capped() {
    let app = TestServer::spawn().await;
    let emails: Vec<serde_json::Value> =
        (0..1001).map(|i| serde_json::json!({"value": format!("e{i}@example.com")})).collect();
    let r =
        app.post("/Users", &serde_json::json!({"schemas": [USER_SCHEMA], "userName": "many", "emails": emails})).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    assert!(r.text.contains("emails") && r.text.contains("1000"), "{}", r.text);
    // Nor can a PATCH grow a resource past the cap.
    let id = app.create_user_with(serde_json::json!({"userName": "grows", "emails": &emails[..999]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let more =
        serde_json::json!([{"op": "add", "path": "emails", "value": [{"value": "a@x.org"}, {"value": "b@x.org"}]}]);
    let r = app.patch_ops(&format!("/Users/{id}"), more).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    assert_eq!(app.get(&format!("/Users/{id}")).await.expect(200).body["emails"].as_array().unwrap().len(), 999);
}

#[tokio::test]
async fn a_patch_past_the_work_limit_is_refused_whole() {
    let (server, token, _dir) = server_with(&[("SCIMD_MAX_REQUEST_WORK", "1000")]);
    let http = http_client();
    let base = format!("http://{}/scim/v2/default", server.addr);
    let emails: Vec<serde_json::Value> =
        (0..20).map(|i| serde_json::json!({"value": format!("e{i}@example.com")})).collect();
    let body = serde_json::json!({"schemas": [USER_SCHEMA], "userName": "w", "emails": emails});
    let user = send(with_json(http.post(format!("{base}/Users")).bearer_auth(&token), &body)).await.expect(201);
    let id = user.id();
    // 100 operations, each of which may look at 20 emails: over 1,000.
    let ops: Vec<serde_json::Value> = (0..100)
        .map(|i| serde_json::json!({"op": "replace", "path": "emails[value eq \"e1@example.com\"].type", "value": format!("t{i}")}))
        .collect();
    let patch = serde_json::json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
    let r = send(with_json(http.patch(format!("{base}/Users/{id}")).bearer_auth(&token), &patch)).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    assert!(r.text.contains("limit of 1000"), "{}", r.text);
    let after = send(http.get(format!("{base}/Users/{id}")).bearer_auth(&token)).await.expect(200);
    assert_eq!(after.etag(), user.etag(), "nothing of it was applied");
    // A PATCH within the limit is applied.
    let small =
        serde_json::json!({"schemas": [PATCH_SCHEMA], "Operations": &patch["Operations"].as_array().unwrap()[..5]});
    send(with_json(http.patch(format!("{base}/Users/{id}")).bearer_auth(&token), &small)).await.expect(200);
}

/// A Bulk request that reaches its time limit answers 200 with what it did
/// and a 503 "not processed" for each operation it did not start, rather
/// than a bare 408 with most of it committed.
#[tokio::test]
async fn a_bulk_request_out_of_time_reports_what_it_did_not_do() {
    let (server, token, _dir) = server_with(&[("SCIMD_REQUEST_TIMEOUT_SECS", "2")]);
    let http = http_client();
    let base = format!("http://{}/scim/v2/default", server.addr);
    // Passwords make each operation slow (an Argon2id hash each).
    let ops: Vec<serde_json::Value> = (0..200)
        .map(|i| {
            serde_json::json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                "data": {"schemas": [USER_SCHEMA], "userName": format!("bulk{i}"), "password": format!("Pass-{i}-word!")}})
        })
        .collect();
    let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
    let r = send(with_json(http.post(format!("{base}/Bulk")).bearer_auth(&token), &body)).await.expect(200);
    let results = r.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 200, "every operation is accounted for");
    let done = results.iter().filter(|o| o["status"] == "201").count();
    let not_done: Vec<&serde_json::Value> = results.iter().filter(|o| o["status"] == "503").collect();
    assert_eq!(done + not_done.len(), 200, "{}", r.text);
    assert!(done > 0 && !not_done.is_empty(), "{done} done, {} not: the limit was not reached?", not_done.len());
    assert!(not_done[0]["response"]["detail"].as_str().unwrap().contains("not processed"), "{}", not_done[0]);
    assert!(not_done[0]["bulkId"].is_string());
    // Exactly the reported ones exist.
    let listed = send(
        http.get(format!("{base}/Users"))
            .query(&[("filter", "userName sw \"bulk\""), ("count", "0")])
            .bearer_auth(&token),
    )
    .await
    .expect(200);
    assert_eq!(listed.total(), done as u64);
}
