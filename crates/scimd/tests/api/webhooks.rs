//! Webhooks (issue 12) against a receiver in the test process: every
//! event delivered, signed (checked by an independent verifier), in each
//! resource's order; a receiver that is down then up; rotation with both
//! signatures; 410 disables; replay; SSRF refusal; SIGKILL mid-delivery;
//! Security Event Tokens verified with the published JWKS.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{assert_problem, secret};
use crate::helpers::*;
use crate::receiver::{Behaviour, Received, Receiver, signature_matches};

const WAIT: Duration = Duration::from_secs(30);

/// Registers an endpoint; its id and secret.
async fn register(app: &TestServer, token: &str, body: Value) -> (String, String) {
    let r = app.admin(Method::POST, "/webhooks", Some(token), Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let s = r.body["secret"].as_str().unwrap().to_owned();
    assert!(s.starts_with("whsec_"), "{s}");
    (r.body["webhook"]["id"].as_str().unwrap().to_owned(), s)
}

fn writer(app: &TestServer) -> String {
    secret(&app.admin_token(&["--name", "hooks", "--scope", "webhooks:write", "--scope", "events:read"]))
}

/// Waits until the receiver accepted `n` requests.
async fn accepted(rx: &Receiver, n: usize) -> Vec<Received> {
    eventually(WAIT, &format!("{n} deliveries"), || async {
        let got = rx.accepted();
        (got.len() >= n).then_some(got)
    })
    .await
}

/// Waits until the endpoint's delivery log holds `n` deliveries matching
/// `query` (e.g. `?state=delivered`) that satisfy `done`: the worker records
/// finished attempts in batches, so the log trails the receiver a little.
async fn deliveries(
    app: &TestServer,
    token: &str,
    id: &str,
    query: &str,
    n: usize,
    done: impl Fn(&Value) -> bool,
) -> Resp {
    eventually(WAIT, &format!("{n} deliveries{query} on record"), || async {
        let d = app.admin(Method::GET, &format!("/webhooks/{id}/deliveries{query}"), Some(token), None).await;
        let items = d.body["items"].as_array().unwrap();
        (items.len() == n && items.iter().all(&done)).then_some(d)
    })
    .await
}

/// The tenant's feed, as the admin API gives it.
async fn feed(app: &TestServer, token: &str) -> Vec<Value> {
    let r = app.admin(Method::GET, "/tenants/acme/events?limit=1000", Some(token), None).await;
    r.body["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_event_is_delivered_signed_and_in_each_resources_order() {
    let app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    let token = writer(&app);
    let (_, whsec) =
        register(&app, &token, json!({"url": rx.url, "tenants": ["acme"], "description": "all of acme"})).await;
    let u = app.create_user("hook.user").await;
    let uid = u["id"].as_str().unwrap().to_owned();
    let upath = format!("/Users/{uid}");
    app.patch_ops(&upath, json!([{"op": "replace", "path": "title", "value": "Eng"}])).await.expect(200);
    app.patch_ops(&upath, json!([{"op": "replace", "path": "active", "value": false}])).await.expect(200);
    let v = app.create_user("hook.other").await;
    let g = app.create_group("Hookers", &[&uid, v["id"].as_str().unwrap()]).await;
    app.delete(&upath).await.expect(204);
    // Another tenant's change is not sent.
    send(with_json(
        app.http.post(app.url_for("other", "/Users")).bearer_auth(&app.other.token),
        &json!({"schemas": [USER_SCHEMA], "userName": "elsewhere"}),
    ))
    .await
    .expect(201);

    let events = feed(&app, &token).await;
    assert_eq!(events.len(), 9, "{events:?}");
    let got = accepted(&rx, events.len()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), events.len(), "nothing more, nothing twice");
    let by_id: HashMap<String, &Received> = got.iter().map(|r| (r.header("webhook-id").to_owned(), r)).collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for e in &events {
        let r = by_id.get(e["id"].as_str().unwrap()).unwrap_or_else(|| panic!("not delivered: {e}"));
        assert_eq!(&r.json(), e, "the body is the feed's envelope");
        assert!(signature_matches(&whsec, r), "signature of {e}");
        assert_eq!(r.header("content-type"), "application/json");
        let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
        assert!((now - ts).abs() < 60, "{ts}");
        assert!(!signature_matches("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", r), "another secret does not verify");
    }
    // Per resource, in sequence order.
    let mut last: HashMap<String, i64> = HashMap::new();
    for r in &got {
        let e = r.json();
        let resource = e["data"]["resource"]["id"].as_str().or(e["data"]["group"]["id"].as_str()).unwrap().to_owned();
        let seq = e["sequence"].as_i64().unwrap();
        let before = last.insert(resource.clone(), seq);
        assert!(before.is_none_or(|b| b < seq), "{resource}: {before:?} then {seq}");
    }
    assert!(got.iter().any(|r| r.json()["data"]["group"]["id"] == g["id"]));
    // Every attempt is on record.
    let hooks = app.admin(Method::GET, "/webhooks", Some(&token), None).await;
    let id = hooks.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(hooks.body["items"][0]["tenants"], json!(["acme"]));
    let d = deliveries(&app, &token, &id, "", 9, |i| i["state"] == "delivered").await;
    let items = d.body["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["attempts"] == 1), "{}", d.text);
    assert_eq!(items[0]["attempt_log"][0]["status"], 204);
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_every_event_once_it_is_up() {
    let app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    rx.set(Behaviour { status: 503, retry_after: Some("1".into()), ..Behaviour::default() });
    let token = writer(&app);
    let (id, _) = register(&app, &token, json!({"url": rx.url})).await;
    for i in 0..5 {
        app.create_user(&format!("down{i}")).await;
    }
    eventually(WAIT, "refused attempts", || async { (rx.received().len() >= 5).then_some(()) }).await;
    let d = deliveries(&app, &token, &id, "?state=pending", 5, |i| i["last_status"] == 503).await;
    assert!(d.body["items"].as_array().unwrap().iter().all(|i| i["attempts"].as_u64().unwrap() >= 1), "{}", d.text);
    tokio::time::sleep(Duration::from_secs(2)).await;
    rx.set(Behaviour::default());
    let got = accepted(&rx, 5).await;
    let mut names: Vec<String> =
        got.iter().map(|r| r.json()["data"]["resource"]["userName"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names, ["down0", "down1", "down2", "down3", "down4"]);
    let d = deliveries(&app, &token, &id, "?state=delivered", 5, |_| true).await;
    let items = d.body["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["attempts"].as_u64().unwrap() >= 2), "{}", d.text);
}

#[tokio::test]
async fn a_rotation_signs_with_both_secrets_during_the_overlap() {
    let app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    let token = writer(&app);
    let (id, old) = register(&app, &token, json!({"url": rx.url})).await;
    app.create_user("before.rotation").await;
    let first = accepted(&rx, 1).await;
    assert_eq!(first[0].header("webhook-signature").split(' ').count(), 1);
    let r = app
        .admin(
            Method::POST,
            &format!("/webhooks/{id}/rotate-secret"),
            Some(&token),
            Some(json!({"overlap_seconds": 3600})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(r.body["webhook"]["previous_secret_until"].is_string());
    app.create_user("after.rotation").await;
    let got = accepted(&rx, 2).await;
    let second = &got[1];
    assert_eq!(second.header("webhook-signature").split(' ').count(), 2, "{:?}", second.headers);
    assert!(signature_matches(&old, second) && signature_matches(&new, second));
    // No overlap: the old secret stops at once.
    let r = app
        .admin(
            Method::POST,
            &format!("/webhooks/{id}/rotate-secret"),
            Some(&token),
            Some(json!({"overlap_seconds": 0})),
        )
        .await;
    let newest = r.body["secret"].as_str().unwrap().to_owned();
    app.create_user("after.second.rotation").await;
    let got = accepted(&rx, 3).await;
    assert!(signature_matches(&newest, &got[2]) && !signature_matches(&new, &got[2]));
    // Secrets are never shown again.
    let shown = app.admin(Method::GET, &format!("/webhooks/{id}"), Some(&token), None).await;
    assert!(!shown.text.contains("whsec_"), "{}", shown.text);
}

#[tokio::test]
async fn a_410_disables_the_endpoint_and_enabling_it_resumes() {
    let app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    rx.set(Behaviour { status: 410, ..Behaviour::default() });
    let token = writer(&app);
    let (id, _) = register(&app, &token, json!({"url": rx.url})).await;
    app.create_user("gone1").await;
    let w = eventually(WAIT, "disabled", || async {
        let w = app.admin(Method::GET, &format!("/webhooks/{id}"), Some(&token), None).await;
        (w.body["enabled"] == false).then_some(w)
    })
    .await;
    assert!(w.body["disabled_reason"].as_str().unwrap().contains("410"), "{}", w.text);
    app.create_user("gone2").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.received().len(), 1, "nothing is sent to a disabled endpoint");
    // Visible on /metrics: the disabled endpoint, and its held delivery (what
    // came after it is queued when it is enabled).
    let metrics = eventually(WAIT, "webhook metrics", || async {
        let m = send(app.http.get(format!("{}/metrics", app.base))).await.text;
        m.contains("scimd_webhook_disabled_endpoints 1").then_some(m)
    })
    .await;
    assert!(metrics.contains("scimd_webhook_backlog 1"), "the held delivery: {metrics}");
    assert!(metrics.contains("scimd_webhook_oldest_pending_seconds"), "{metrics}");
    rx.set(Behaviour::default());
    let r = app.admin(Method::POST, &format!("/webhooks/{id}/enable"), Some(&token), None).await;
    assert_eq!(r.body["enabled"], true, "{}", r.text);
    assert!(r.body.get("disabled_reason").is_none());
    let got = accepted(&rx, 2).await;
    let mut names: Vec<String> =
        got.iter().map(|r| r.json()["data"]["resource"]["userName"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["gone1", "gone2"], "the held event, and the one committed while disabled");
}

#[tokio::test]
async fn a_replay_sends_a_range_again_in_order_with_the_same_ids() {
    let app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    let token = writer(&app);
    let (id, whsec) = register(&app, &token, json!({"url": rx.url, "types": ["user.created"]})).await;
    for i in 0..4 {
        app.create_user(&format!("rp{i}")).await;
    }
    let first = accepted(&rx, 4).await;
    let r = app
        .admin(
            Method::POST,
            &format!("/webhooks/{id}/replay"),
            Some(&token),
            Some(json!({"tenant": "acme", "from_sequence": 2, "to_sequence": 3})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.text);
    assert_eq!(r.body["queued"], 2);
    let got = accepted(&rx, 6).await;
    // Different resources go in parallel: compare by sequence.
    let by_seq = |rs: &[Received]| -> HashMap<i64, (String, Vec<u8>)> {
        rs.iter()
            .map(|r| (r.json()["sequence"].as_i64().unwrap(), (r.header("webhook-id").to_owned(), r.body.clone())))
            .collect()
    };
    let (original, replayed) = (by_seq(&first), by_seq(&got[4..]));
    assert_eq!(replayed.keys().copied().collect::<std::collections::BTreeSet<_>>(), [2, 3].into());
    for seq in [2, 3] {
        assert_eq!(replayed[&seq], original[&seq], "the same webhook-id and envelope");
    }
    assert!(got[4..].iter().all(|r| signature_matches(&whsec, r)));
    for bad in [
        json!({}),
        json!({"tenant": "acme", "from_sequence": 3, "to_sequence": 2}),
        json!({"since": "yesterday", "until": "today"}),
    ] {
        let r = app.admin(Method::POST, &format!("/webhooks/{id}/replay"), Some(&token), Some(bad.clone())).await;
        assert_problem(&r, 422, "invalid-value");
    }
    // The ping: signed, not a delivery.
    let p = app.admin(Method::POST, &format!("/webhooks/{id}/ping"), Some(&token), None).await;
    assert_eq!(p.body["delivered"], true, "{}", p.text);
    let ping = rx.received().pop().unwrap();
    assert_eq!(ping.json()["type"], "webhook.ping");
    assert!(signature_matches(&whsec, &ping));
}

#[tokio::test]
async fn the_admin_api_checks_registrations_and_scopes() {
    let app = TestServer::spawn().await;
    let token = writer(&app);
    let reader = secret(&app.admin_token(&["--name", "reader", "--scope", "events:read"]));
    let limited = secret(&app.admin_token(&["--name", "acme", "--scope", "webhooks:write", "--tenant", "acme"]));
    let url = "http://127.0.0.1:9/hook";
    for bad in [
        json!({}),
        json!({"url": "ftp://x.test/"}),
        json!({"url": "not a url"}),
        json!({"url": url, "tenants": ["nope"]}),
        json!({"url": url, "types": ["user.renamed"]}),
        json!({"url": url, "types": []}),
        json!({"url": url, "format": "xml"}),
        json!({"url": url, "format": "set", "types": ["group.created"]}),
        json!({"url": url, "max_in_flight": 0}),
    ] {
        let r = app.admin(Method::POST, "/webhooks", Some(&token), Some(bad.clone())).await;
        assert_problem(&r, 422, "invalid-value");
    }
    let unknown = app.admin(Method::POST, "/webhooks", Some(&token), Some(json!({"url": url, "colour": "red"}))).await;
    assert_problem(&unknown, 400, "invalid-body");
    assert_problem(&app.admin(Method::GET, "/webhooks", Some(&reader), None).await, 403, "insufficient-scope");
    let all = app.admin(Method::POST, "/webhooks", Some(&limited), Some(json!({"url": url}))).await;
    assert_problem(&all, 403, "tenant-not-allowed");
    let (mine, _) = register(&app, &limited, json!({"url": url, "tenants": ["acme"]})).await;
    let (theirs, _) = register(&app, &token, json!({"url": url})).await;
    let listed = app.admin(Method::GET, "/webhooks", Some(&limited), None).await;
    let ids: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine.as_str()]);
    assert_problem(
        &app.admin(Method::GET, &format!("/webhooks/{theirs}"), Some(&limited), None).await,
        404,
        "not-found",
    );
    // Changes, and a delete.
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/webhooks/{theirs}"),
            Some(&token),
            Some(json!({"description": "x", "max_in_flight": 4})),
        )
        .await;
    assert_eq!((patched.body["description"].as_str(), patched.body["max_in_flight"].as_u64()), (Some("x"), Some(4)));
    let fmt =
        app.admin(Method::PATCH, &format!("/webhooks/{theirs}"), Some(&token), Some(json!({"format": "set"}))).await;
    assert_problem(&fmt, 422, "invalid-value");
    let del = app.admin(Method::DELETE, &format!("/webhooks/{theirs}"), Some(&token), None).await;
    assert_eq!(del.status.as_u16(), 204);
    assert_problem(&app.admin(Method::GET, &format!("/webhooks/{theirs}"), Some(&token), None).await, 404, "not-found");
    assert_problem(&app.admin(Method::GET, "/webhooks/not-an-id", Some(&token), None).await, 404, "not-found");
    // The CLI sees the same endpoints.
    let cli = app.cli_json(&["webhook", "list"]);
    assert_eq!(cli["items"][0]["id"], mine.as_str());
}

/// Without `--allow-private-webhooks`, a URL naming a private address is
/// refused at registration, and a name that resolves to one is refused
/// on connection (recorded on the delivery).
#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let mut app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    let token = writer(&app);
    // Registered while private addresses were allowed: refused at each
    // call once they no longer are.
    let (earlier, _) = register(&app, &token, json!({"url": rx.url})).await;
    if let Some(s) = app.server.take() {
        s.stop();
    }
    let env: Vec<(&str, &str)> =
        TEST_ENV.iter().copied().filter(|(k, _)| *k != "SCIMD_ALLOW_PRIVATE_WEBHOOKS").collect();
    let server = ServerProcess::start_with(&app.database, app.dir.path(), &[], &env);
    app.base = format!("http://{}", server.addr);
    app.server = Some(server);
    let literal = app.admin(Method::POST, "/webhooks", Some(&token), Some(json!({"url": rx.url}))).await;
    assert_problem(&literal, 422, "invalid-value");
    assert!(literal.body["detail"].as_str().unwrap().contains("private"), "{}", literal.text);
    let metadata = app
        .admin(Method::POST, "/webhooks", Some(&token), Some(json!({"url": "http://169.254.169.254/latest/meta-data"})))
        .await;
    assert_problem(&metadata, 422, "invalid-value");
    let by_name = rx.url.replace("127.0.0.1", "localhost");
    let (id, _) = register(&app, &token, json!({"url": by_name})).await;
    app.create_user("ssrf").await;
    for id in [id, earlier] {
        let d = eventually(WAIT, "a refused attempt", || async {
            let d = app.admin(Method::GET, &format!("/webhooks/{id}/deliveries"), Some(&token), None).await;
            d.body["items"][0]["last_error"].as_str().is_some().then_some(d)
        })
        .await;
        assert!(d.body["items"][0]["last_error"].as_str().unwrap().contains("loopback, private"), "{}", d.text);
    }
    assert!(rx.received().is_empty(), "nothing reached the receiver");
}

/// SIGKILL while deliveries are in flight: after a restart every event is
/// delivered at least once, a repeat with the same `webhook-id` and body.
#[tokio::test]
async fn a_kill_mid_delivery_loses_nothing() {
    let mut app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    rx.set(Behaviour { delay: Duration::from_millis(800), ..Behaviour::default() });
    let token = writer(&app);
    register(&app, &token, json!({"url": rx.url})).await;
    for i in 0..12 {
        app.create_user(&format!("k{i}")).await;
    }
    let events = feed(&app, &token).await;
    eventually(WAIT, "deliveries in flight", || async { (!rx.received().is_empty()).then_some(()) }).await;
    app.server.take().unwrap().stop(); // SIGKILL
    rx.set(Behaviour::default());
    app.restart().await;
    let got = eventually(WAIT, "every event", || async {
        let got = rx.accepted();
        let ids: std::collections::HashSet<String> = got.iter().map(|r| r.header("webhook-id").to_owned()).collect();
        (ids.len() >= events.len()).then_some(got)
    })
    .await;
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    for r in &got {
        let id = r.header("webhook-id").to_owned();
        assert_eq!(r.json()["id"], id.as_str());
        if let Some(before) = bodies.insert(id, r.body.clone()) {
            assert_eq!(before, r.body, "a repeat is the same event");
        }
    }
    for e in &events {
        assert!(bodies.contains_key(e["id"].as_str().unwrap()), "lost: {e}");
    }
}

/// A `set` endpoint gets RFC 8417 SETs (RFC 8935 push), verified here with
/// scimd's published JWKS; a `400 {"err": …}` dead-letters with the code.
#[tokio::test]
async fn security_event_tokens_are_signed_with_the_published_key() {
    let app = TestServer::spawn().await;
    let rx = Receiver::start().await;
    rx.set(Behaviour { status: 202, ..Behaviour::default() });
    let token = writer(&app);
    let (id, _) = register(
        &app,
        &token,
        json!({"url": rx.url, "format": "set", "audience": "https://rp.test", "authorization": "Bearer push-secret"}),
    )
    .await;
    let shown = app.admin(Method::GET, &format!("/webhooks/{id}"), Some(&token), None).await;
    assert_eq!(shown.body["types"], json!(["user.deactivated", "user.reactivated", "user.deleted"]));
    assert_eq!(shown.body["authorization_set"], true);
    assert!(!shown.text.contains("push-secret"));
    let u = app
        .create_user_with(json!({"userName": "set.user", "emails": [{"value": "s@acme.test", "primary": true}]}))
        .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    app.patch_ops(&format!("/Users/{uid}"), json!([{"op": "replace", "path": "active", "value": false}]))
        .await
        .expect(200);
    let got = accepted(&rx, 2).await;
    let jwks = send(app.http.get(format!("{}/.well-known/jwks.json", app.base))).await.body;
    let ssf = send(app.http.get(format!("{}/.well-known/ssf-configuration", app.base))).await.body;
    let oauth = send(app.http.get(format!("{}/.well-known/oauth-authorization-server", app.base))).await.body;
    assert_eq!(ssf["issuer"], oauth["issuer"]);
    assert_eq!(ssf["delivery_methods_supported"], json!(["urn:ietf:rfc:8935"]));
    let mut kinds = Vec::new();
    for r in &got {
        assert_eq!(r.header("content-type"), "application/secevent+jwt");
        assert_eq!(r.header("authorization"), "Bearer push-secret");
        let text = String::from_utf8(r.body.clone()).unwrap();
        let header = jsonwebtoken::decode_header(&text).unwrap();
        assert_eq!(header.typ.as_deref(), Some("secevent+jwt"));
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref())
            .expect("signed with a published key");
        let key = jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        v.set_audience(&["https://rp.test"]);
        v.set_issuer(&[ssf["issuer"].as_str().unwrap()]);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let claims = jsonwebtoken::decode::<Value>(&text, &key, &v).unwrap().claims;
        assert!(claims.get("exp").is_none());
        assert_eq!(claims["sub_id"], json!({"format": "opaque", "id": uid}));
        let events = claims["events"].as_object().unwrap();
        assert_eq!(events.len(), 1);
        kinds.push(events.keys().next().unwrap().clone());
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
            "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
        ]
    );
    // A permanent refusal: dead-lettered with its code, not retried.
    rx.set(Behaviour {
        status: 400,
        body: r#"{"err":"invalid_audience","description":"no"}"#.into(),
        ..Behaviour::default()
    });
    app.delete(&format!("/Users/{uid}")).await.expect(204);
    let d = eventually(WAIT, "a dead letter", || async {
        let d = app.admin(Method::GET, &format!("/webhooks/{id}/deliveries?state=dead"), Some(&token), None).await;
        (!d.body["items"].as_array().unwrap().is_empty()).then_some(d)
    })
    .await;
    assert!(d.body["items"][0]["last_error"].as_str().unwrap().contains("invalid_audience"), "{}", d.text);
    assert_eq!(d.body["items"][0]["attempts"], 1);
}
