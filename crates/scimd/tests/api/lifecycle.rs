//! The process around the protocol (DESIGN §8): readiness that reflects the
//! database, a graceful stop that finishes what it started, and native TLS.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn readyz_reflects_the_database() {
    let app = TestServer::spawn_sqlite().await;
    let ready = || async { send(app.http.get(format!("{}/readyz", app.base))).await };
    assert_eq!(ready().await.status.as_u16(), 200);
    // The database file goes away under the running server (a volume
    // unmounted, a file moved): whatever connections scimd holds open, it
    // is not ready.
    let file = std::path::PathBuf::from(app.database.trim_start_matches("sqlite://"));
    let aside = file.with_extension("moved");
    std::fs::rename(&file, &aside).unwrap();
    let r = ready().await;
    assert_eq!(r.status.as_u16(), 503, "{}", r.text);
    let healthz = send(app.http.get(format!("{}/healthz", app.base))).await;
    assert_eq!(healthz.status.as_u16(), 200, "the process itself is up");
    std::fs::rename(&aside, &file).unwrap();
    assert_eq!(ready().await.status.as_u16(), 200);
}

/// Sends a POST whose body arrives in two parts; returns the open stream
/// after the first part.
fn start_slow_post(addr: &str, path: &str, token: &str, body: &[u8], first: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..first]).unwrap();
    stream.flush().unwrap();
    stream
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    cli(&database, &["init"]);
    cli(&database, &["tenant", "create", "acme"]);
    let token = cli_json(&database, &["token", "create", "--tenant", "acme"])["token"].as_str().unwrap().to_owned();
    // Debug logs say when a request has started (tower-http's trace layer).
    let mut server = ServerProcess::start_with(&database, dir.path(), &[], &[("RUST_LOG", "info,tower_http=debug")]);
    let body = serde_json::to_vec(&json!({"schemas": [USER_SCHEMA], "userName": "in-flight"})).unwrap();
    let mut stream = start_slow_post(&server.addr, "/scim/v2/acme/Users", &token, &body, 10);
    eventually(Duration::from_secs(30), "the request started", || async {
        server.log().contains("started processing request").then_some(())
    })
    .await;
    let killed = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    eventually(Duration::from_secs(30), "shutdown begun", || async {
        server.log().contains("shutting down").then_some(())
    })
    .await;
    // The rest of the body, after the signal: the request is still served.
    stream.write_all(&body[10..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = server.wait_exit(Duration::from_secs(30)).expect("scimd did not exit after SIGTERM");
    assert!(status.success(), "{status:?}");
    // And it was committed.
    let server = ServerProcess::start(&database, dir.path(), &[]);
    let r = send(
        http_client()
            .get(format!("http://{}/scim/v2/acme/Users", server.addr))
            .query(&[("filter", "userName eq \"in-flight\"")])
            .bearer_auth(&token),
    )
    .await
    .expect(200);
    assert_eq!(r.total(), 1);
}

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let (cert, key) = (format!("{fixtures}/test-cert.pem"), format!("{fixtures}/test-key.pem"));
    let server = ServerProcess::start(&database, dir.path(), &["--tls-cert", &cert, "--tls-key", &key]);
    let listening = server.stdout_lines.last().unwrap();
    assert!(listening.starts_with("scimd listening on https://"), "{listening}");
    let url = server.stdout_lines.iter().find_map(|l| l.strip_prefix("SCIM base URL: ")).unwrap().to_owned();
    assert!(url.starts_with("https://"), "{url}");
    let token = server.stdout_lines.iter().find_map(|l| l.strip_prefix("SCIM token: ")).unwrap().to_owned();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(format!("{fixtures}/test-ca.pem")).unwrap()).unwrap();
    let https = reqwest::Client::builder().add_root_certificate(ca).timeout(Duration::from_secs(30)).build().unwrap();
    let r = send(with_json(
        https.post(format!("{url}/Users")).bearer_auth(&token),
        &json!({"schemas": [USER_SCHEMA], "userName": "tls"}),
    ))
    .await
    .expect(201);
    assert!(r.body["meta"]["location"].as_str().unwrap().starts_with("https://"), "{}", r.text);
    // A client that does not trust the certificate is refused.
    let untrusted = http_client().get(format!("{url}/ServiceProviderConfig")).send().await;
    assert!(untrusted.is_err(), "an untrusted certificate was accepted");
    // Plain HTTP on the TLS port gets no SCIM answer.
    let plain = http_client().get(format!("http://{}/healthz", server.addr)).send().await;
    assert!(!plain.is_ok_and(|r| r.status().is_success()), "plain HTTP answered on the TLS port");
}

/// A database scimd cannot write (here an immutable file) stops the start
/// with a clear message, rather than a server whose every write fails.
#[tokio::test]
async fn a_database_that_cannot_be_written_refuses_the_start() {
    let dir = TempDir::new();
    let database = sqlite_database_url(dir.path());
    cli(&database, &["init"]);
    cli(&database, &["tenant", "create", "acme"]);
    let file = dir.path().join("scimd.db");
    let chattr = |flag: &str| std::process::Command::new("chattr").arg(flag).arg(&file).status();
    assert!(chattr("+i").is_ok_and(|s| s.success()), "chattr +i is needed to make the file unwritable");
    let out = std::process::Command::new(scimd_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let _ = chattr("-i");
    assert!(!out.status.success(), "scimd started on a database it cannot write");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be written"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}

/// An unknown `SCIMD_*` variable is a warning naming the nearest known one
/// (a rolling upgrade may set one an older node does not know); the tests'
/// own `SCIMD_TEST_*` are not warned about.
#[tokio::test]
async fn an_unknown_environment_variable_is_named_with_the_nearest_known_one() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    let env = [("SCIMD_MAX_PAGE_SIZ", "5"), ("SCIMD_TEST_SOMETHING", "x")];
    let server = ServerProcess::start_with(&database, dir.path(), &[], &env);
    let log = server.log();
    assert!(log.contains("SCIMD_MAX_PAGE_SIZ") && log.contains("SCIMD_MAX_PAGE_SIZE"), "{log}");
    assert!(!log.contains("SCIMD_TEST_SOMETHING"), "{log}");
}
