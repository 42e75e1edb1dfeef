//! Verified domains (issue 11 item 5) over the admin API and the CLI:
//! claims and their refusals, verification against a DNS server on
//! loopback (`--dns-server`), manual verification, the background
//! re-check, another tenant's verified domain and the override, and the
//! enforcement of verified domains on SCIM writes (create, PUT, PATCH,
//! Bulk; deactivation and DELETE always work).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{assert_problem, secret};
use crate::dns_server::DnsServer;
use crate::helpers::*;

/// A [`TestServer`] whose scimd looks TXT records up at a DNS server of
/// the test's own, with `env` added to the test environment.
pub(crate) async fn spawn_with_dns(env: &[(&str, &str)]) -> (TestServer, DnsServer) {
    let dns = DnsServer::start().await;
    let mut app = TestServer::spawn().await;
    if let Some(s) = app.server.take() {
        s.stop();
    }
    let mut all = TEST_ENV.to_vec();
    all.extend_from_slice(env);
    let addr = dns.addr.to_string();
    let server = ServerProcess::start_with(&app.database, app.dir.path(), &["--dns-server", &addr], &all);
    app.base = format!("http://{}", server.addr);
    app.server = Some(server);
    (app, dns)
}

fn writer(app: &TestServer) -> String {
    secret(&app.admin_token(&["--scope", "tenants:read", "--scope", "tenants:write"]))
}

fn audit_of(app: &TestServer, slug: &str) -> Vec<Value> {
    let v = app.cli_json(&["audit", "list", "--tenant", slug, "--limit", "1000"]);
    v.as_array().cloned().unwrap()
}

#[tokio::test]
async fn domains_are_claimed_listed_read_changed_and_removed() {
    let app = TestServer::spawn().await;
    let token = writer(&app);
    let t = Some(token.as_str());

    let created = app
        .admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": " Example.COM. "})))
        .await
        .expect(201);
    let d = &created.body;
    assert_eq!(d["domain"], "example.com");
    assert_eq!(d["state"], "pending");
    assert_eq!(d["txt_name"], "_scimd-challenge.example.com");
    assert!(d["txt_value"].as_str().unwrap().starts_with("scimd-verification="), "{d}");
    assert_eq!(d["include_subdomains"], false);
    assert!(d["created"].is_string() && d.get("verified_at").is_none(), "{d}");
    assert!(created.header("location").is_some_and(|l| l.ends_with("/admin/v1/tenants/acme/domains/example.com")));
    let other = json!({"domain": "corp.example.org", "include_subdomains": true});
    app.admin(Method::POST, "/tenants/acme/domains", t, Some(other)).await.expect(201);

    let list = app.admin(Method::GET, "/tenants/acme/domains", t, None).await.expect(200);
    let names: Vec<&str> =
        list.body["items"].as_array().unwrap().iter().map(|d| d["domain"].as_str().unwrap()).collect();
    assert_eq!(names, ["corp.example.org", "example.com"]);
    let got = app.admin(Method::GET, "/tenants/acme/domains/EXAMPLE.com", t, None).await.expect(200);
    assert_eq!(got.body, created.body);
    // Another tenant sees none of them.
    let theirs = app.admin(Method::GET, "/tenants/other/domains", t, None).await.expect(200);
    assert_eq!(theirs.body["items"], json!([]));

    let patched = app
        .admin(Method::PATCH, "/tenants/acme/domains/example.com", t, Some(json!({"include_subdomains": true})))
        .await
        .expect(200);
    assert_eq!(patched.body["include_subdomains"], true);

    // Refusals.
    assert_problem(&app.admin(Method::GET, "/tenants/acme/domains", None, None).await, 401, "unauthorized");
    let reader = secret(&app.admin_token(&["--scope", "tenants:read"]));
    app.admin(Method::GET, "/tenants/acme/domains/example.com", Some(&reader), None).await.expect(200);
    let denied = app.admin(Method::POST, "/tenants/acme/domains", Some(&reader), Some(json!({"domain": "x.io"}))).await;
    assert_problem(&denied, 403, "insufficient-scope");
    let denied = app.admin(Method::DELETE, "/tenants/acme/domains/example.com", Some(&reader), None).await;
    assert_problem(&denied, 403, "insufficient-scope");
    let limited = secret(&app.admin_token(&["--scope", "admin", "--tenant", "other"]));
    let hidden = app.admin(Method::GET, "/tenants/acme/domains", Some(&limited), None).await;
    assert_problem(&hidden, 404, "not-found");
    assert_problem(&app.admin(Method::GET, "/tenants/nope/domains", t, None).await, 404, "not-found");
    assert_problem(&app.admin(Method::GET, "/tenants/acme/domains/nope.io", t, None).await, 404, "not-found");
    let dup = app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "example.com"}))).await;
    assert_problem(&dup, 409, "conflict");
    for bad in ["localhost", "exa mple.com", "-a.example.com", "1.2.3.4", ""] {
        let r = app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": bad}))).await;
        assert_problem(&r, 422, "invalid-value");
    }
    for consumer in ["gmail.com", "GMX.de", "eu.mail.ru", "proton.me"] {
        let r = app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": consumer}))).await;
        assert_problem(&r, 422, "consumer-domain");
        assert!(r.body["detail"].as_str().unwrap().contains("consumer mail domain"), "{}", r.text);
    }
    let unknown = app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "a.io", "x": 1}))).await;
    assert_problem(&unknown, 400, "invalid-body");

    app.admin(Method::DELETE, "/tenants/acme/domains/example.com", t, None).await.expect(204);
    assert_problem(&app.admin(Method::GET, "/tenants/acme/domains/example.com", t, None).await, 404, "not-found");
    assert_problem(&app.admin(Method::DELETE, "/tenants/acme/domains/example.com", t, None).await, 404, "not-found");

    // Every change is on record with the admin token; never a secret.
    let audit = audit_of(&app, "acme");
    let details: Vec<String> = audit.iter().map(|e| e.to_string()).collect();
    for what in ["\"added\":\"example.com\"", "\"changed\":\"example.com\"", "\"removed\":\"example.com\""] {
        assert!(details.iter().any(|d| d.contains(what)), "no audit entry with {what}: {details:#?}");
    }
    assert!(!details.iter().any(|d| d.contains(&token)));
}

#[tokio::test]
async fn dns_verification_says_why_a_domain_is_pending() {
    let (app, dns) = spawn_with_dns(&[]).await;
    let token = writer(&app);
    let t = Some(token.as_str());
    let d = app
        .admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "example.com"})))
        .await
        .expect(201)
        .body;
    let (name, value) = (d["txt_name"].as_str().unwrap().to_owned(), d["txt_value"].as_str().unwrap().to_owned());
    let verify = || app.admin(Method::POST, "/tenants/acme/domains/example.com/verify", t, None);

    let r = verify().await.expect(200);
    assert_eq!(r.body["state"], "pending", "{}", r.text);
    assert!(r.body["last_result"].as_str().unwrap().contains("no TXT record"), "{}", r.text);
    assert!(r.body["last_checked"].is_string());

    dns.set_txt(&name, &["v=spf1 -all", "scimd-verification=somebody-else"]);
    let r = verify().await.expect(200);
    assert_eq!(r.body["state"], "pending", "{}", r.text);
    assert!(r.body["last_result"].as_str().unwrap().contains("different value"), "{}", r.text);

    dns.fail(&name);
    let r = verify().await.expect(200);
    assert_eq!(r.body["state"], "pending", "{}", r.text);
    assert!(r.body["last_result"].as_str().unwrap().contains("DNS look-up"), "{}", r.text);

    dns.set_txt(&name, &["v=spf1 -all", &value]);
    let r = verify().await.expect(200);
    assert_eq!(r.body["state"], "verified", "{}", r.text);
    assert_eq!(r.body["verified_by"], "dns");
    assert!(r.body["verified_at"].is_string());
    // Verified stays verified, also when the record goes.
    dns.fail(&name);
    let again = verify().await.expect(200);
    assert_eq!((&again.body["state"], &again.body["verified_at"]), (&json!("verified"), &r.body["verified_at"]));

    // Manual verification, over the API and the CLI.
    app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "manual.example.org"})))
        .await
        .expect(201);
    let r = app
        .admin(Method::POST, "/tenants/acme/domains/manual.example.org/verify", t, Some(json!({"manual": true})))
        .await
        .expect(200);
    assert_eq!((&r.body["state"], &r.body["verified_by"]), (&json!("verified"), &json!("manual")));
    let bad =
        app.admin(Method::POST, "/tenants/acme/domains/example.com/verify", t, Some(json!({"manual": "yes"}))).await;
    assert_problem(&bad, 400, "invalid-body");
    let added = app.cli_json(&["domain", "add", "--tenant", "acme", "cli.example.net", "--include-subdomains"]);
    assert_eq!((&added["state"], &added["include_subdomains"]), (&json!("pending"), &json!(true)));
    let dns_flag = dns.addr.to_string();
    let checked = app.cli_json(&["domain", "verify", "--tenant", "acme", "cli.example.net", "--dns-server", &dns_flag]);
    assert!(checked["last_result"].as_str().unwrap().contains("no TXT record"), "{checked}");
    let manual = app.cli_json(&["domain", "verify", "--tenant", "acme", "cli.example.net", "--manual"]);
    assert_eq!(manual["verified_by"], "manual");
    let listed = app.cli_json(&["domain", "list", "--tenant", "acme"]);
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["domain"].as_str().unwrap(), d["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("cli.example.net", "verified"), ("example.com", "verified"), ("manual.example.org", "verified")]
    );
    app.cli(&["domain", "remove", "--tenant", "acme", "cli.example.net"]);
    let err = cli_fails(&app.database, &["domain", "add", "--tenant", "acme", "hotmail.com"]);
    assert!(err.contains("consumer mail domain"), "{err}");

    let audit = audit_of(&app, "acme").iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
    assert!(audit.contains("\"verify\":\"example.com\"") && audit.contains("\"manual\":true"), "{audit}");
}

#[tokio::test]
async fn pending_domains_are_verified_in_the_background() {
    let (app, dns) = spawn_with_dns(&[("SCIMD_DOMAIN_CHECK_INTERVAL_SECS", "1")]).await;
    let token = writer(&app);
    let t = Some(token.as_str());
    let d = app
        .admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "later.example.com"})))
        .await
        .expect(201)
        .body;
    // Looked at without anyone asking: still pending, and why.
    eventually(Duration::from_secs(20), "a background check", || async {
        let r = app.admin(Method::GET, "/tenants/acme/domains/later.example.com", t, None).await;
        r.body["last_result"].as_str().is_some_and(|s| s.contains("no TXT record")).then_some(())
    })
    .await;
    dns.set_txt(d["txt_name"].as_str().unwrap(), &[d["txt_value"].as_str().unwrap()]);
    let verified = eventually(Duration::from_secs(20), "verified in the background", || async {
        let r = app.admin(Method::GET, "/tenants/acme/domains/later.example.com", t, None).await;
        (r.body["state"] == "verified").then_some(r.body)
    })
    .await;
    assert_eq!(verified["verified_by"], "dns");
    let audit = audit_of(&app, "acme").iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
    assert!(audit.contains("\"background\":true"), "{audit}");
}

#[tokio::test]
async fn a_domain_another_tenant_verified_needs_the_override() {
    let app = TestServer::spawn().await;
    app.cli(&["tenant", "create", "initech"]);
    let token = writer(&app);
    let t = Some(token.as_str());
    let (app, token) = (&app, &token);
    let claim = move |slug: &'static str, body: Value| {
        let path = format!("/tenants/{slug}/domains");
        async move { app.admin(Method::POST, &path, Some(token), Some(body)).await }
    };
    // Pending claims do not stand in anyone's way.
    claim("initech", json!({"domain": "example.com", "include_subdomains": true})).await.expect(201);
    claim("acme", json!({"domain": "pending-race.example.com"})).await.expect(201);
    app.admin(Method::POST, "/tenants/initech/domains/example.com/verify", t, Some(json!({"manual": true})))
        .await
        .expect(200);

    let r = claim("acme", json!({"domain": "example.com"})).await;
    assert_problem(&r, 409, "domain-verified-elsewhere");
    assert!(r.body["detail"].as_str().unwrap().contains("another tenant has verified example.com"), "{}", r.text);
    assert!(!r.text.contains("initech"), "the other tenant is not named: {}", r.text);
    // Its subdomains too, since it covers them.
    assert_problem(&claim("acme", json!({"domain": "eu.example.com"})).await, 409, "domain-verified-elsewhere");
    let err = cli_fails(&app.database, &["domain", "add", "--tenant", "acme", "example.com"]);
    assert!(err.contains("override"), "{err}");

    // The operator overrides: claimed, and on record.
    let r = claim("acme", json!({"domain": "example.com", "override": true})).await.expect(201);
    assert_eq!(r.body["state"], "pending");
    let audit = audit_of(app, "acme").iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
    assert!(audit.contains("\"verified_by_another_tenant\":\"example.com\""), "{audit}");
}

#[tokio::test]
async fn enforced_domains_refuse_new_addresses_outside_them() {
    let app = TestServer::spawn().await;
    let token = writer(&app);
    let t = Some(token.as_str());
    // Before enforcement: anything goes.
    let legacy = app
        .create_user_with(
            json!({"userName": "old@legacy.net", "emails": [{"value": "old@legacy.net", "primary": true}]}),
        )
        .await;
    let legacy_path = format!("/Users/{}", legacy["id"].as_str().unwrap());
    app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "example.com"}))).await.expect(201);
    app.admin(Method::POST, "/tenants/acme/domains/example.com/verify", t, Some(json!({"manual": true})))
        .await
        .expect(200);
    // A pending domain counts for nothing.
    app.admin(Method::POST, "/tenants/acme/domains", t, Some(json!({"domain": "pending.io"}))).await.expect(201);
    let on = app.admin(Method::PATCH, "/tenants/acme", t, Some(json!({"enforce_domains": true}))).await.expect(200);
    assert_eq!(on.body["settings"]["enforce_domains"], true);

    // Create.
    app.create_user("alice@Example.com").await;
    app.create_user("jdoe").await;
    let refused = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "bob@gmail.com"})).await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(refused.body["detail"].as_str().unwrap().contains("\"gmail.com\""), "{}", refused.text);
    let refused = app
        .post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "carol", "emails": [{"value": "c@pending.io"}]}))
        .await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(refused.body["detail"].as_str().unwrap().contains("emails domain \"pending.io\""), "{}", refused.text);
    // Subdomains only once the domain includes them.
    let sub = json!({"schemas": [USER_SCHEMA], "userName": "dan@eu.example.com"});
    assert_scim_error(&app.post("/Users", &sub).await, 400, Some("invalidValue"));
    app.admin(Method::PATCH, "/tenants/acme/domains/example.com", t, Some(json!({"include_subdomains": true})))
        .await
        .expect(200);
    app.post("/Users", &sub).await.expect(201);

    // PUT: the values it had are fine, a new one is not.
    let mut put = json!({"schemas": [USER_SCHEMA], "userName": "old@legacy.net", "displayName": "Old Timer",
                         "emails": [{"value": "OLD@legacy.net", "primary": true}]});
    app.put(&legacy_path, &put).await.expect(200);
    put["emails"] = json!([{"value": "old@legacy.net"}, {"value": "new@elsewhere.org"}]);
    let refused = app.put(&legacy_path, &put).await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(refused.body["detail"].as_str().unwrap().contains("elsewhere.org"), "{}", refused.text);

    // PATCH: another attribute and deactivation work; a new userName or email does not.
    app.patch_ops(&legacy_path, json!([{"op": "replace", "path": "title", "value": "Boss"}])).await.expect(200);
    let off = app.patch_ops(&legacy_path, json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_eq!(off.expect(200).body["active"], false);
    let refused =
        app.patch_ops(&legacy_path, json!([{"op": "replace", "path": "userName", "value": "x@legacy.net"}])).await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(refused.body["detail"].as_str().unwrap().contains("userName domain \"legacy.net\""), "{}", refused.text);
    let refused = app
        .patch_ops(&legacy_path, json!([{"op": "add", "path": "emails", "value": [{"value": "y@other.org"}]}]))
        .await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    app.patch_ops(&legacy_path, json!([{"op": "replace", "path": "userName", "value": "old@example.com"}]))
        .await
        .expect(200);

    // Bulk goes through the same rule.
    let bulk = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER_SCHEMA], "userName": "e@example.com"}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [USER_SCHEMA], "userName": "f@yahoo.com"}},
    ]});
    let ops = app.post("/Bulk", &bulk).await.expect(200).body["Operations"].clone();
    assert_eq!(ops[0]["status"], "201", "{ops}");
    assert_eq!(ops[1]["status"], "400", "{ops}");
    assert_eq!(ops[1]["response"]["scimType"], "invalidValue", "{ops}");

    // DELETE always works.
    app.delete(&legacy_path).await.expect(204);

    // Refusals are on record, naming the domain.
    let audit = app.audit();
    assert!(
        audit.iter().any(|e| e.to_string().contains("gmail.com") && e["status"] == 400),
        "no refusal naming gmail.com: {audit:#?}"
    );

    // Off again (the CLI, another process): seen by the server within its tenant cache's life.
    assert!(app.cli(&["tenant", "set", "acme", "--enforce-domains", "off"]).contains("delete policy"));
    eventually(Duration::from_secs(10), "enforcement off", || async {
        let r = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "bob@gmail.com"})).await;
        (r.status.as_u16() == 201).then_some(())
    })
    .await;
}
