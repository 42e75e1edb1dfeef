//! `scimd migrate-store` (SQLite to PostgreSQL and back: the same users,
//! groups, members, tokens, audit, events and webhooks, the copy checked
//! table by table; a target with data refused) and `scimd backup` (a copy
//! of a running server's SQLite file that another server starts on).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::secret;
use crate::helpers::*;
use crate::receiver::{Receiver, signature_matches};

const WAIT: Duration = Duration::from_secs(30);

/// What the SCIM API shows of both tenants, with the server's own address
/// (in `meta.location` and `$ref`) taken out.
async fn scim_view(s: &TestServer) -> Value {
    let mut view = json!({});
    for path in ["/Users", "/Groups"] {
        let r = s.list(path, &[("count", "100")]).await.expect(200);
        view[path] = serde_json::from_str(&r.text.replace(&s.base, "BASE")).unwrap();
        let other =
            send(s.http.get(s.url_for(&s.other.slug, path)).bearer_auth(&s.other.token).header("accept", SCIM_JSON))
                .await
                .expect(200);
        view[format!("other{path}")] = serde_json::from_str(&other.text.replace(&s.base, "BASE")).unwrap();
    }
    view
}

/// What the CLI shows of the store: the tenant's events, audit log and
/// tokens, and the webhooks.
fn cli_view(s: &TestServer) -> Value {
    json!({
        "events": s.events(0),
        "audit": s.audit(),
        "tokens": s.cli_json(&["token", "list", "--tenant", "acme"]),
        "webhooks": s.cli_json(&["webhook", "list"]),
    })
}

/// Stops the server, points `s` at `database` and starts one there with
/// the secrets key of the first database.
fn move_to(s: &mut TestServer, database: &str, key: &str) {
    if let Some(server) = s.server.take() {
        server.stop();
    }
    s.database = database.to_owned();
    let mut env = TEST_ENV.to_vec();
    env.push(("SCIMD_SECRETS_KEY", key));
    let server = ServerProcess::start_with(database, s.dir.path(), &[], &env);
    s.base = format!("http://{}", server.addr);
    s.server = Some(server);
}

#[tokio::test]
async fn migrate_store_copies_sqlite_to_postgres_and_back() {
    let mut s = TestServer::spawn_sqlite().await;
    let sqlite = s.database.clone();
    let key = std::fs::read_to_string(s.dir.path().join("scimd.db.key")).unwrap().trim().to_owned();

    // A webhook that receives every event, users, a group with members, a
    // deactivation and a deletion (audit and events for each).
    let rx = Receiver::start().await;
    let admin = secret(&s.admin_token(&["--name", "hooks", "--scope", "webhooks:write"]));
    let hook = s.admin(Method::POST, "/webhooks", Some(&admin), Some(json!({"url": rx.url}))).await;
    assert_eq!(hook.status.as_u16(), 201, "{}", hook.text);
    let hook_secret = hook.body["secret"].as_str().unwrap().to_owned();
    let alice = s
        .create_user_with(json!({"userName": "alice", "emails": [{"value": "alice@example.com", "primary": true}],
            "name": {"givenName": "Alice", "familyName": "Liddell"}, "externalId": "a-1"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = s.create_user("bob").await["id"].as_str().unwrap().to_owned();
    let carol = s.create_user("carol").await["id"].as_str().unwrap().to_owned();
    let group = s.create_group("Engineering", &[&alice, &bob]).await["id"].as_str().unwrap().to_owned();
    s.patch_ops(&format!("/Users/{bob}"), json!([{"op": "replace", "path": "active", "value": false}]))
        .await
        .expect(200);
    s.delete(&format!("/Users/{carol}")).await.expect(204);
    // Two groups that share a name, made while the rule was off: they keep
    // it once the rule is back on.
    s.cli(&["tenant", "set", "acme", "--unique-group-names", "off"]);
    s.create_group("Ops", &[]).await;
    eventually(WAIT, "the rule off", || async {
        let r = s.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Ops"})).await;
        (r.status.as_u16() == 201).then_some(())
    })
    .await;
    s.cli(&["tenant", "set", "acme", "--unique-group-names", "on"]);
    let events = s.events(0).len();
    eventually(WAIT, "every event delivered", || async { (rx.accepted().len() >= events).then_some(()) }).await;
    let on_sqlite = scim_view(&s).await;
    assert_eq!(on_sqlite["/Users"]["totalResults"], 2, "{on_sqlite}");
    // The token's last User-Agent comes along too (a new client is
    // recorded within seconds of its requests, not on the first).
    eventually(WAIT, "the User-Agent recorded", || async {
        let rb =
            s.http.get(s.url("/Groups")).bearer_auth(&s.tenant.token).header("user-agent", "Okta SCIM Client 1.0.0");
        send(rb).await.expect(200);
        let tokens = s.cli_json(&["token", "list", "--tenant", "acme"]).to_string();
        tokens.contains("Okta SCIM Client 1.0.0").then_some(())
    })
    .await;
    s.server.take().unwrap().stop();
    let cli_on_sqlite = cli_view(&s);
    assert!(cli_on_sqlite["tokens"].to_string().contains("Okta SCIM Client 1.0.0"), "{cli_on_sqlite}");
    assert!(cli_on_sqlite["audit"].as_array().unwrap().len() >= 6, "{cli_on_sqlite}");

    // SQLite to PostgreSQL: every table checked.
    let pg = postgres_database_url(s.dir.path());
    // Small batches: every table is read and written in several.
    let out = cli(&sqlite, &["migrate-store", "--to", &pg, "--batch", "2"]);
    assert!(out.contains("every table matches the source"), "{out}");
    for table in ["tenants", "tokens", "resources", "group_members", "audit_log", "events", "webhook_endpoints"] {
        let line = out.lines().find(|l| l.starts_with(table)).unwrap_or_else(|| panic!("no {table} in {out}"));
        assert!(line.ends_with(" ok"), "{line}");
    }
    s.database = pg.clone();
    assert_eq!(cli_view(&s), cli_on_sqlite, "the CLI reads the same store on PostgreSQL");

    // A server on the copy: the same users, groups and members under the
    // same ids, the old tokens work.
    move_to(&mut s, &pg, &key);
    assert_eq!(scim_view(&s).await, on_sqlite);
    let g = s.get(&format!("/Groups/{group}")).await.expect(200).body;
    assert_eq!(member_values(&g), sorted(&[alice.clone(), bob.clone()]));
    assert_eq!(group_values(&s.get(&format!("/Users/{alice}")).await.expect(200).body), vec![group.clone()]);
    // The group's name is still taken; the events go on from where they
    // were, and reach the webhook signed with its copied secret.
    let again = s.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "engineering"})).await;
    assert_scim_error(&again, 409, Some("uniqueness"));
    let ops = s.list("/Groups", &[("filter", "displayName eq \"Ops\"")]).await.expect(200);
    assert_eq!(ops.total(), 2, "both groups named Ops came along: {}", ops.text);
    let third = s.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "ops"})).await;
    assert_scim_error(&third, 409, Some("uniqueness"));
    let last = s.last_event();
    let dave = s.create_user("dave").await["id"].as_str().unwrap().to_owned();
    let after = s.events(last);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["sequence"], last + 1);
    let delivered = eventually(WAIT, "dave's event delivered", || async {
        rx.accepted().into_iter().find(|r| r.json()["data"]["resource"]["id"] == dave.as_str())
    })
    .await;
    assert!(signature_matches(&hook_secret, &delivered), "signed with the copied secret");
    let on_pg = scim_view(&s).await;
    s.server.take().unwrap().stop();
    let cli_on_pg = cli_view(&s);

    // A target with data is refused, whichever backend.
    let refused = cli_fails(&pg, &["migrate-store", "--to", &sqlite]);
    assert!(refused.contains("not empty"), "{refused}");
    let refused = cli_fails(&sqlite, &["migrate-store", "--to", &pg]);
    assert!(refused.contains("not empty") && refused.contains("tenant"), "{refused}");

    // And back, PostgreSQL to a new SQLite file: the same again.
    let back_dir = TempDir::new();
    let back = sqlite_database_url(back_dir.path());
    let out = cli(&pg, &["migrate-store", "--to", &back, "--batch", "3"]);
    assert!(out.contains("every table matches the source"), "{out}");
    s.database = back.clone();
    assert_eq!(cli_view(&s), cli_on_pg);
    move_to(&mut s, &back, &key);
    assert_eq!(scim_view(&s).await, on_pg);
    let last = s.last_event();
    s.create_user("erin").await;
    assert_eq!(s.events(last)[0]["sequence"], last + 1);
}

#[tokio::test]
async fn backup_copies_a_running_sqlite_server() {
    let s = TestServer::spawn_sqlite().await;
    let alice = s.create_user("alice").await["id"].as_str().unwrap().to_owned();
    s.create_group("Admins", &[&alice]).await;
    let before = scim_view(&s).await;

    // While the server runs (and writes).
    let dir = TempDir::new();
    let file = dir.path().join("scimd.db");
    let writes = async {
        for i in 0..20 {
            s.create_user(&format!("during-{i}")).await;
        }
    };
    let file_arg = file.to_str().unwrap().to_owned();
    let backup = tokio::task::spawn_blocking({
        let database = s.database.clone();
        move || cli(&database, &["backup", "--to", &file_arg])
    });
    let (out, ()) = tokio::join!(backup, writes);
    let out = out.unwrap();
    assert!(out.contains("Backed up") && out.contains(" bytes)"), "{out}");
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(out.contains(&format!("({size} bytes)")), "{out}");
    // An existing file is never overwritten; PostgreSQL is pointed to pg_dump.
    let refused = cli_fails(&s.database, &["backup", "--to", file.to_str().unwrap()]);
    assert!(refused.contains("exists"), "{refused}");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), size);
    let pg_dir = TempDir::new();
    let pg = postgres_database_url(pg_dir.path());
    let refused = cli_fails(&pg, &["backup", "--to", dir.path().join("pg.db").to_str().unwrap()]);
    assert!(refused.contains("pg_dump"), "{refused}");

    // A second server starts on the copy: what was there before the backup
    // is there, with the same token.
    std::fs::copy(s.dir.path().join("scimd.db.key"), dir.path().join("scimd.db.key")).unwrap();
    let copy = sqlite_database_url(dir.path());
    let second = ServerProcess::start_with(&copy, dir.path(), &[], TEST_ENV);
    let base = format!("http://{}", second.addr);
    let users =
        send(s.http.get(format!("{base}/scim/v2/acme/Users")).bearer_auth(&s.tenant.token).query(&[("count", "100")]))
            .await
            .expect(200);
    let names = user_names(&users);
    assert!(names.contains(&"alice".to_owned()), "{names:?}");
    let taken = names.iter().filter(|n| n.starts_with("during-")).count();
    assert!(names.len() == 1 + taken, "{names:?}");
    let groups =
        send(s.http.get(format!("{base}/scim/v2/acme/Groups")).bearer_auth(&s.tenant.token).query(&[("count", "100")]))
            .await
            .expect(200);
    let expected: Value = serde_json::from_str(&before["/Groups"].to_string().replace("BASE", &base)).unwrap();
    assert_eq!(groups.body, expected);
    second.stop();
}
