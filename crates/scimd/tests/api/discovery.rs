//! Discovery endpoints, reachable without a token (RFC 7644 §4; RFC 7643 §5–§7).

use serde_json::{Value, json};

use crate::helpers::*;

async fn anon_get(app: &TestServer, path: &str) -> Resp {
    send(app.http.get(app.url(path)).header("accept", SCIM_JSON)).await
}

fn attr<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .unwrap_or_else(|| panic!("schema without attributes: {schema}"))
        .iter()
        .find(|a| a["name"] == json!(name))
        .unwrap_or_else(|| panic!("no attribute {name} in {}", schema["id"]))
}

#[tokio::test]
async fn service_provider_config() {
    let app = TestServer::spawn().await;
    let r = anon_get(&app, "/ServiceProviderConfig").await.expect(200);
    assert!(r.header("content-type").unwrap_or("").starts_with(SCIM_JSON));
    let b = &r.body;
    assert_eq!(b["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]));
    assert_eq!(b["patch"]["supported"], true);
    assert_eq!(b["bulk"]["supported"], true, "/Bulk is served");
    assert_eq!(b["filter"]["supported"], true);
    assert!(b["filter"]["maxResults"].as_u64().is_some_and(|n| n > 0), "{b}");
    assert_eq!(b["sort"]["supported"], true);
    assert_eq!(b["etag"]["supported"], true);
    assert!(b["changePassword"]["supported"].is_boolean());
    let schemes = b["authenticationSchemes"].as_array().expect("authenticationSchemes");
    assert!(schemes.iter().any(|s| s["type"] == "oauthbearertoken"), "{b}");
    for s in schemes {
        assert!(s["name"].is_string() && s["description"].is_string(), "{s}");
    }
    // With a token it works the same.
    app.get("/ServiceProviderConfig").await.expect(200);
    // The other tenant's discovery too.
    send(app.http.get(app.url_for("other", "/ServiceProviderConfig"))).await.expect(200);
}

#[tokio::test]
async fn resource_types() {
    let app = TestServer::spawn().await;
    let r = anon_get(&app, "/ResourceTypes").await.expect(200);
    assert_eq!(r.body["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(r.total(), 2);
    let rts = r.resources();
    let user = rts.iter().find(|t| t["name"] == "User").expect("User resource type");
    assert_eq!(user["id"], "User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_SCHEMA);
    assert_eq!(user["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]));
    let ext = user["schemaExtensions"].as_array().expect("schemaExtensions");
    assert!(ext.iter().any(|e| e["schema"] == ENTERPRISE_SCHEMA && e["required"] == false), "{user}");
    assert_eq!(user["meta"]["resourceType"], "ResourceType");
    let group = rts.iter().find(|t| t["name"] == "Group").expect("Group resource type");
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_SCHEMA);

    let one = anon_get(&app, "/ResourceTypes/User").await.expect(200);
    assert_eq!(one.body["name"], "User");
    assert_eq!(one.body["endpoint"], "/Users");
    assert_scim_error(&anon_get(&app, "/ResourceTypes/Nope").await, 404, None);
}

#[tokio::test]
async fn schemas_carry_characteristics() {
    let app = TestServer::spawn().await;
    let r = anon_get(&app, "/Schemas").await.expect(200);
    assert_eq!(r.body["schemas"], json!([LIST_SCHEMA]));
    let mut ids: Vec<String> = r.resources().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    for want in [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA] {
        assert!(ids.contains(&want.to_string()), "{want} missing from {ids:?}");
    }
    let user = anon_get(&app, &format!("/Schemas/{USER_SCHEMA}")).await.expect(200).body;
    assert_eq!(user["id"], USER_SCHEMA);
    assert_eq!(user["name"], "User");
    assert_eq!(user["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"]));
    assert_eq!(user["meta"]["resourceType"], "Schema");
    let un = attr(&user, "userName");
    assert_eq!(un["type"], "string");
    assert_eq!(un["multiValued"], false);
    assert_eq!(un["required"], true);
    assert_eq!(un["caseExact"], false);
    assert_eq!(un["mutability"], "readWrite");
    assert_eq!(un["returned"], "default");
    assert_eq!(un["uniqueness"], "server");
    let pw = attr(&user, "password");
    assert_eq!(pw["returned"], "never");
    assert_eq!(pw["mutability"], "writeOnly");
    let groups = attr(&user, "groups");
    assert_eq!(groups["mutability"], "readOnly");
    assert_eq!(groups["multiValued"], true);
    let emails = attr(&user, "emails");
    assert_eq!(emails["type"], "complex");
    assert_eq!(emails["multiValued"], true);
    let subs = emails["subAttributes"].as_array().expect("emails.subAttributes");
    let value = subs.iter().find(|s| s["name"] == "value").expect("emails.value");
    assert_eq!(value["type"], "string");
    let ty = subs.iter().find(|s| s["name"] == "type").expect("emails.type");
    assert!(ty["canonicalValues"].as_array().is_some_and(|v| v.contains(&json!("work"))), "{ty}");
    let active = attr(&user, "active");
    assert_eq!(active["type"], "boolean");
    // Every attribute states its characteristics.
    for a in user["attributes"].as_array().unwrap() {
        for key in ["name", "type", "multiValued", "required", "mutability", "returned"] {
            assert!(a.get(key).is_some(), "attribute {} lacks {key}", a["name"]);
        }
    }

    let group = anon_get(&app, &format!("/Schemas/{GROUP_SCHEMA}")).await.expect(200).body;
    let members = attr(&group, "members");
    assert_eq!(members["multiValued"], true);
    assert_eq!(attr(&group, "displayName")["required"], true);
    let ent = anon_get(&app, &format!("/Schemas/{ENTERPRISE_SCHEMA}")).await.expect(200).body;
    assert_eq!(attr(&ent, "manager")["type"], "complex");
    assert_scim_error(&anon_get(&app, "/Schemas/urn:nope").await, 404, None);
}

#[tokio::test]
async fn healthz_answers() {
    let app = TestServer::spawn().await;
    let r = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// The value of the sample line that starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_without_tenant_data() {
    let app = TestServer::spawn().await;
    let scrape = || async {
        let r = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "/metrics needs no token");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        r.text().await.unwrap()
    };
    let ok = r#"scimd_http_requests_total{method="GET",route="/scim/v2/{tenant}/Users/{id}",status="404"}"#;
    let before = sample(&scrape().await, ok).unwrap_or(0.0);
    for _ in 0..3 {
        app.get("/Users/00000000-0000-7000-8000-000000000000").await.expect(404);
    }
    let created = app.post("/Users", &json!({"schemas": [USER_SCHEMA], "userName": "metered@example.com"})).await;
    created.expect(201);
    // Methods outside the standard set share one label: a client cannot
    // make series up.
    for m in ["ZZTOP", "ZZBOTTOM"] {
        let odd = reqwest::Method::from_bytes(m.as_bytes()).unwrap();
        app.http.request(odd, format!("{}/healthz", app.base)).send().await.unwrap();
    }
    let text = scrape().await;
    assert!(!text.contains("ZZ"), "{text}");
    let other = r#"scimd_http_requests_total{method="other",route="/healthz",status="405"}"#;
    assert_eq!(sample(&text, other), Some(2.0), "{text}");
    assert_eq!(sample(&text, ok), Some(before + 3.0), "{text}");
    let post = r#"scimd_http_requests_total{method="POST",route="/scim/v2/{tenant}/Users",status="201"}"#;
    assert_eq!(sample(&text, post), Some(1.0), "{text}");
    let count = r#"scimd_http_request_duration_seconds_count{method="POST",route="/scim/v2/{tenant}/Users"}"#;
    assert_eq!(sample(&text, count), Some(1.0), "{text}");
    // SQLite's writer thread reports its group commits (PostgreSQL has none).
    if !on_postgres() {
        assert!(sample(&text, "scimd_store_write_batch_jobs_count").is_some_and(|n| n >= 1.0), "{text}");
    }
    assert!(text.contains("scimd_http_requests_in_flight"), "{text}");
    // Labels are route templates: no tenant slug, token, id or user name.
    for secret in [app.tenant.slug.as_str(), app.tenant.token.as_str(), "metered", "00000000-0000-7000"] {
        assert!(!text.contains(secret), "/metrics mentions {secret}: {text}");
    }
}

/// One access log line per request: method, route template, status,
/// latency, tenant and request id; never the query (a filter can hold an
/// email address).
#[tokio::test]
async fn each_request_has_an_access_log_line_without_its_query() {
    let app = TestServer::spawn().await;
    let r = app.list("/Users", &[("filter", "userName eq \"private.person@example.com\"")]).await.expect(200);
    let id = r.header("x-request-id").unwrap().to_owned();
    let line = eventually(std::time::Duration::from_secs(10), "the access log line", || async {
        let log = app.server.as_ref().unwrap().log();
        log.lines().find(|l| l.contains("scimd::access") && l.contains(&id)).map(str::to_owned)
    })
    .await;
    for part in [
        "\"method\":\"GET\"",
        "\"route\":\"/scim/v2/{tenant}/Users\"",
        "\"status\":\"200\"",
        "\"tenant\":\"acme\"",
        "latency_ms",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    let log = app.server.as_ref().unwrap().log();
    assert!(!log.contains("private.person"), "a query value reached the log");
}
