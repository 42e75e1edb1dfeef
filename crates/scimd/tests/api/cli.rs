//! The administration commands as an operator meets them: they never create
//! a database, print the SCIM URLs the server really serves at, and say so
//! when a command changes nothing.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

#[test]
fn commands_other_than_init_never_create_a_database() {
    // A SQLite file: a PostgreSQL database is never created by scimd.
    let dir = TempDir::new();
    let missing = sqlite_database_url(dir.path());
    for args in [&["tenant", "list"][..], &["tenant", "create", "acme"], &["token", "list", "--tenant", "acme"]] {
        let err = cli_fails(&missing, args);
        assert!(err.contains("there is no database at"), "{args:?}: {err}");
        assert!(err.contains("--database") && err.contains("SCIMD_DATABASE_URL"), "how to point at one: {err}");
        assert!(err.contains("scimd init"), "how to create one: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file was created");

    let out = cli(&missing, &["init"]);
    assert!(out.contains("is ready"), "{out}");
    assert!(dir.path().join("scimd.db").exists());
    // Running it again on the existing database is harmless.
    cli(&missing, &["init"]);
    assert_eq!(cli_json(&missing, &["tenant", "list"]), Value::Array(vec![]));
}

#[test]
fn a_bare_path_is_answered_with_the_url_meant() {
    let err = cli_fails("b.db", &["tenant", "list"]);
    assert!(err.contains("sqlite://b.db"), "{err}");
    assert!(!std::path::Path::new("b.db").exists());
}

#[test]
fn urls_printed_are_the_servers_own() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    cli(&database, &["init"]);
    // Before any server ran, the URL is a guess, and the CLI says so.
    let out = std::process::Command::new(scimd_bin())
        .args(["tenant", "create", "early", "--json", "--database", &database])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no server has started"), "{out:?}");

    let server = ServerProcess::start(&database, dir.path(), &[]);
    let created = cli_json(&database, &["tenant", "create", "acme"]);
    assert_eq!(created["scim_url"], format!("http://{}/scim/v2/acme", server.addr));
    let token = cli_json(&database, &["token", "create", "--tenant", "acme"]);
    assert_eq!(token["scim_url"], format!("http://{}/scim/v2/acme", server.addr));
    let listed = cli_json(&database, &["tenant", "list"]);
    let urls: Vec<&str> = listed.as_array().unwrap().iter().map(|t| t["scim_url"].as_str().unwrap()).collect();
    assert!(urls.iter().all(|u| u.starts_with(&format!("http://{}/", server.addr))), "{urls:?}");
    // An explicit URL wins.
    let given = cli_json(&database, &["tenant", "list", "--public-url", "https://scim.example.com/"]);
    assert_eq!(given[1]["scim_url"], "https://scim.example.com/scim/v2/acme");
    server.stop();

    // A server behind a proxy: its public URL is what the CLI prints.
    let server = ServerProcess::start(&database, dir.path(), &["--public-url", "https://id.example.org"]);
    let token = cli_json(&database, &["token", "create", "--tenant", "acme"]);
    assert_eq!(token["scim_url"], "https://id.example.org/scim/v2/acme");
    server.stop();
}

#[test]
fn listening_everywhere_without_a_public_url_warns() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    let server = ServerProcess::start(&database, dir.path(), &["--listen", "0.0.0.0:0"]);
    let log = server.log();
    assert!(log.contains("0.0.0.0 is not an address clients can use"), "{log}");
    assert!(log.contains("--public-url"), "{log}");
    server.stop();
    let server = ServerProcess::start(&database, dir.path(), &["--public-url", "https://scim.example.com"]);
    assert!(!server.log().contains("not an address clients can use"));
}

#[test]
fn tenant_set_and_token_revoke_say_when_nothing_changed() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    cli(&database, &["init"]);
    cli(&database, &["tenant", "create", "acme"]);
    let err = cli_fails(&database, &["tenant", "set", "acme"]);
    assert!(err.contains("nothing changed") && err.contains("--delete-policy"), "{err}");
    let out = cli(&database, &["tenant", "set", "acme", "--delete-policy", "soft"]);
    assert!(out.starts_with("Nothing changed"), "soft is already the policy: {out}");
    let out = cli(&database, &["tenant", "set", "acme", "--delete-policy", "hard", "--rate-limit", "50"]);
    assert!(out.starts_with("Updated tenant acme") && out.contains("hard") && out.contains("50/s"), "{out}");
    let out = cli(&database, &["tenant", "set", "acme", "--rate-limit", "50"]);
    assert!(out.starts_with("Nothing changed"), "{out}");
    let listed = cli_json(&database, &["tenant", "list"]);
    assert_eq!(listed[0]["delete_policy"], "hard");

    let token = cli_json(&database, &["token", "create", "--tenant", "acme"]);
    let id = token["id"].as_str().unwrap();
    let out = cli(&database, &["token", "revoke", "--tenant", "acme", id]);
    assert_eq!(out.trim(), format!("Revoked token {id}"));
    let out = cli(&database, &["token", "revoke", "--tenant", "acme", id]);
    assert!(out.contains("already revoked"), "{out}");
    let err = cli_fails(&database, &["token", "revoke", "--tenant", "acme", "0190c5a8-0000-7000-8000-000000000000"]);
    assert!(err.contains("no token"), "{err}");
}

#[test]
fn every_flag_says_its_default_or_variable() {
    for command in [&["serve"][..], &["init"], &["tenant", "create"], &["tenant", "set"], &["token", "create"]] {
        let out = std::process::Command::new(scimd_bin()).args(command).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(help.contains("[env: SCIMD_DATABASE_URL=") && help.contains("default:"), "{command:?}:\n{help}");
    }
    let serve = String::from_utf8_lossy(
        &std::process::Command::new(scimd_bin()).args(["serve", "--help"]).output().unwrap().stdout,
    )
    .into_owned();
    for var in ["SCIMD_LISTEN", "SCIMD_PUBLIC_URL", "SCIMD_TLS_CERT", "SCIMD_CONFIG"] {
        assert!(serve.contains(var), "serve --help names {var}:\n{serve}");
    }
    // Flags appear only where they do something: audit prints no URL.
    let audit = String::from_utf8_lossy(
        &std::process::Command::new(scimd_bin()).args(["audit", "list", "--help"]).output().unwrap().stdout,
    )
    .into_owned();
    assert!(!audit.contains("--public-url"), "{audit}");
}

#[tokio::test]
async fn token_rotate_keeps_the_old_secret_for_the_overlap() {
    let app = TestServer::spawn().await;
    let made = app.cli_json(&["token", "create", "--tenant", "acme", "--name", "okta"]);
    let old = made["token"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    let rotated = app.cli_json(&["token", "rotate", "--tenant", "acme", &id, "--overlap", "1"]);
    let new = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated["replaces"], serde_json::json!(id));
    assert_eq!(rotated["name"], "okta");
    assert!(rotated["scim_url"].as_str().unwrap().ends_with("/scim/v2/acme"));
    let server = &app;
    let status =
        |t: String| async move { send(server.http.get(server.url("/Users")).bearer_auth(t)).await.status.as_u16() };
    assert_eq!(status(old.clone()).await, 200);
    assert_eq!(status(new.clone()).await, 200);
    // Past the overlap (and the server's one-second token cache): only the new one.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(status(old).await, 401);
    assert_eq!(status(new).await, 200);
    let err = cli_fails(&app.database, &["token", "rotate", "--tenant", "acme", &id]);
    assert!(err.contains("revoked or expired"), "{err}");
}

/// The secrets key is generated beside the database at the first start,
/// readable by scimd's user only; a server started later with another key
/// stops at once, saying why, rather than fail every token request.
#[test]
fn a_server_with_another_secrets_key_stops_at_start() {
    // SQLite: the key file beside the database (PostgreSQL has none).
    let dir = TempDir::new();
    let database = sqlite_database_url(dir.path());
    cli(&database, &["init"]);
    ServerProcess::start(&database, dir.path(), &[]).stop();
    let key_file = dir.path().join("scimd.db.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let keys = cli_json(&database, &["signing-key", "list"]);
    assert_eq!(keys.as_array().unwrap().len(), 1, "the first start made a signing key: {keys}");
    // The same key again: starts.
    ServerProcess::start(&database, dir.path(), &[]).stop();
    // Another key: stops, naming the remedy.
    std::fs::write(&key_file, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n").unwrap();
    let mut child = std::process::Command::new(scimd_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the server started with the wrong secrets key");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(err.contains("signing-key rotate") && err.contains("another secrets key"), "{err}");
}
