//! Tenant-declared schema extensions (RFC 7643 §3.3, §7) end to end:
//! `scimd schema …` on the store, picked up by the running server, then
//! discovery, validation, storage, filters, PATCH with URN paths,
//! projection, tenant isolation, and the unknown-extension policy.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";
const ODD: &str = "urn:example:odd:1.0:User";

fn acme_schema() -> Value {
    json!({
        "id": ACME,
        "name": "AcmeUser",
        "description": "Acme's extra attributes",
        "attributes": [
            { "name": "costCenter", "type": "string" },
            { "name": "level", "type": "integer" },
            { "name": "badge", "type": "complex", "subAttributes": [{ "name": "number" }, { "name": "site" }] }
        ]
    })
}

/// Writes `schema` to a file and declares it on the User type of `tenant`.
fn add_schema(server: &TestServer, tenant: &str, schema: &Value, extra: &[&str]) -> Value {
    static N: AtomicU64 = AtomicU64::new(0);
    let file = server.dir.path().join(format!("schema-{}.json", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&file, schema.to_string()).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let mut args = vec!["schema", "add", "--tenant", tenant, "--resource-type", "User", "--file", &file];
    args.extend_from_slice(extra);
    server.cli_json(&args)
}

/// Polls `GET path` (with the tenant's token: its extensions show only to
/// its callers) until `done` holds, for at most a little longer than the
/// server's 5-second tenant cache.
async fn wait_for(server: &TestServer, path: &str, done: impl Fn(&Resp) -> bool) -> Resp {
    let deadline = Instant::now() + Duration::from_secs(7);
    loop {
        let r = server.get(path).await;
        if done(&r) || Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn urns(resp: &Resp) -> Vec<String> {
    resp.resources().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

async fn post_user(server: &TestServer, body: Value) -> Resp {
    server.post("/Users", &body).await
}

#[tokio::test]
async fn a_declared_extension_works_like_core_attributes() {
    let server = TestServer::spawn().await;
    // Load the tenant into the server's cache first, so that the change
    // below has to reach it through the cache's expiry.
    let before = server.get("/Schemas").await.expect(200);
    assert!(!urns(&before).contains(&ACME.to_owned()));

    let added = add_schema(&server, "acme", &acme_schema(), &[]);
    assert_eq!(added["id"], ACME);
    assert_eq!(added["attributes"], json!(["costCenter", "level", "badge"]));

    let schema = wait_for(&server, &format!("/Schemas/{ACME}"), |r| r.status == 200).await.expect(200);
    assert_eq!(schema.body["name"], "AcmeUser");
    assert_eq!(schema.body["attributes"][1]["type"], "integer");
    assert!(urns(&server.get("/Schemas").await.expect(200)).contains(&ACME.to_owned()));
    // Without the tenant's token, discovery shows the standard schemas.
    let anonymous = send(server.http.get(server.url("/Schemas"))).await.expect(200);
    assert!(!urns(&anonymous).contains(&ACME.to_owned()), "{}", anonymous.text);
    assert!(urns(&anonymous).contains(&USER_SCHEMA.to_owned()));
    let wrong = send(server.http.get(server.url("/Schemas")).bearer_auth(&server.other.token)).await.expect(200);
    assert!(!urns(&wrong).contains(&ACME.to_owned()), "another tenant's token sees no extension");
    let anonymous_rt = send(server.http.get(server.url("/ResourceTypes/User"))).await.expect(200);
    assert_eq!(anonymous_rt.body["schemaExtensions"].as_array().unwrap().len(), 1, "{}", anonymous_rt.text);
    let rt = server.get("/ResourceTypes/User").await.expect(200);
    assert!(
        rt.body["schemaExtensions"].as_array().unwrap().contains(&json!({ "schema": ACME, "required": false })),
        "{}",
        rt.text
    );

    // Validated, stored and returned.
    let created = post_user(
        &server,
        json!({ "schemas": [USER_SCHEMA, ACME], "userName": "ann",
                ACME: { "COSTCENTER": "x", "level": 3, "badge": { "number": "b-1" } } }),
    )
    .await
    .expect(201);
    assert_eq!(created.body[ACME], json!({ "costCenter": "x", "level": 3, "badge": { "number": "b-1" } }));
    assert_eq!(created.body["schemas"], json!([USER_SCHEMA, ACME]));
    let id = created.id();
    let got = server.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(got.body[ACME]["costCenter"], "x");
    // Fully-qualified keys are accepted as well.
    let bob =
        post_user(&server, json!({ "schemas": [USER_SCHEMA], "userName": "bob", format!("{ACME}:costCenter"): "y" }))
            .await
            .expect(201);
    assert_eq!(bob.body[ACME], json!({ "costCenter": "y" }));

    let wrong =
        post_user(&server, json!({ "schemas": [USER_SCHEMA, ACME], "userName": "cy", ACME: { "level": "high" } }))
            .await;
    assert_scim_error(&wrong, 400, Some("invalidValue"));
    assert!(wrong.text.contains("level"), "{}", wrong.text);
    let unknown_attr =
        post_user(&server, json!({ "schemas": [USER_SCHEMA, ACME], "userName": "cy", ACME: { "floor": 2 } })).await;
    assert_scim_error(&unknown_attr, 400, Some("invalidSyntax"));

    // Filters on extension attributes (evaluated in memory: no index).
    let hits = server.list("/Users", &[("filter", &format!("{ACME}:costCenter eq \"X\""))]).await.expect(200);
    assert_eq!(ids(&hits), [id.as_str()]);
    let hits = server.list("/Users", &[("filter", &format!("{ACME}:level gt 2"))]).await.expect(200);
    assert_eq!(ids(&hits), [id.as_str()]);
    let hits = server.list("/Users", &[("filter", &format!("{ACME}:badge.number pr"))]).await.expect(200);
    assert_eq!(ids(&hits), [id.as_str()]);

    // PATCH with URN paths, then the filter sees the new value.
    let patched = server
        .patch_ops(
            &format!("/Users/{id}"),
            json!([
                { "op": "replace", "path": format!("{ACME}:costCenter"), "value": "z" },
                { "op": "add", "path": format!("{ACME}:badge.site"), "value": "HQ" },
                { "op": "remove", "path": format!("{ACME}:level") }
            ]),
        )
        .await
        .expect(200);
    assert_eq!(patched.body[ACME], json!({ "costCenter": "z", "badge": { "number": "b-1", "site": "HQ" } }));
    let bad_patch = server
        .patch_ops(&format!("/Users/{id}"), json!([{ "op": "replace", "path": format!("{ACME}:level"), "value": [1] }]))
        .await;
    assert_scim_error(&bad_patch, 400, Some("invalidValue"));
    let hits = server.list("/Users", &[("filter", &format!("{ACME}:costCenter eq \"z\""))]).await.expect(200);
    assert_eq!(ids(&hits), [id.as_str()]);

    // Projection: the URN names the whole extension, a path one attribute.
    let only = server.list(&format!("/Users/{id}"), &[("attributes", &format!("{ACME}:costCenter"))]).await.expect(200);
    assert_eq!(only.body[ACME], json!({ "costCenter": "z" }));
    assert!(only.body.get("userName").is_none(), "{}", only.text);
    let whole = server.list(&format!("/Users/{id}"), &[("attributes", ACME)]).await.expect(200);
    assert_eq!(whole.body[ACME]["badge"]["site"], "HQ");
    let without = server.list(&format!("/Users/{id}"), &[("excludedAttributes", ACME)]).await.expect(200);
    assert!(without.body.get(ACME).is_none(), "{}", without.text);
    assert_eq!(without.body["userName"], "ann");

    // Undeclared URNs are still refused here, and the other tenant has
    // none of this.
    let odd = post_user(&server, json!({ "schemas": [USER_SCHEMA], "userName": "dee", ODD: { "k": "v" } })).await;
    assert_scim_error(&odd, 400, Some("invalidValue"));
    assert!(odd.text.contains(ACME), "the error lists the declared extensions: {}", odd.text);
    let other = send(server.http.get(server.url_for("other", "/Schemas"))).await.expect(200);
    assert!(!urns(&other).contains(&ACME.to_owned()), "{}", other.text);
    let other_rt = send(server.http.get(server.url_for("other", "/ResourceTypes/User"))).await.expect(200);
    assert_eq!(other_rt.body["schemaExtensions"].as_array().unwrap().len(), 1, "{}", other_rt.text);
    let refused = send(with_json(
        server.http.post(server.url_for("other", "/Users")).bearer_auth(&server.other.token),
        &json!({ "schemas": [USER_SCHEMA, ACME], "userName": "eve", ACME: { "costCenter": "x" } }),
    ))
    .await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
}

#[tokio::test]
async fn the_cli_validates_lists_and_removes_extensions() {
    let mut server = TestServer::spawn().await;
    add_schema(&server, "acme", &acme_schema(), &["--required"]);

    let file = server.dir.path().join("again.json");
    std::fs::write(&file, acme_schema().to_string()).unwrap();
    let file = file.to_str().unwrap();
    let add = ["schema", "add", "--tenant", "acme", "--resource-type", "Group", "--file", file];
    let err = cli_fails(&server.database, &add);
    assert!(err.contains("already declares"), "{err}");
    let bad = server.dir.path().join("bad.json");
    std::fs::write(
        &bad,
        json!({ "id": ACME.replace("acme", "b"), "attributes": [{ "name": "x", "type": "number" }] }).to_string(),
    )
    .unwrap();
    let err = cli_fails(
        &server.database,
        &["schema", "add", "--tenant", "acme", "--resource-type", "User", "--file", bad.to_str().unwrap()],
    );
    assert!(err.contains("\"x\".type"), "the error names the attribute: {err}");
    let std = server.dir.path().join("std.json");
    std::fs::write(&std, json!({ "id": ENTERPRISE_SCHEMA, "attributes": [{ "name": "x" }] }).to_string()).unwrap();
    let err = cli_fails(
        &server.database,
        &["schema", "add", "--tenant", "acme", "--resource-type", "User", "--file", std.to_str().unwrap()],
    );
    assert!(err.contains("standard SCIM URN"), "{err}");

    let list = server.cli_json(&["schema", "list", "--tenant", "acme"]);
    assert_eq!(list["unknown_extensions"], "reject");
    let exts = list["extensions"].as_array().unwrap();
    assert_eq!(exts.len(), 1, "{list}");
    assert_eq!((exts[0]["id"].clone(), exts[0]["required"].clone()), (json!(ACME), json!(true)));
    assert_eq!(exts[0]["error"], Value::Null);
    assert_eq!(server.cli_json(&["schema", "list", "--tenant", "other"])["extensions"], json!([]));

    server.restart().await;
    let rt = server.get("/ResourceTypes/User").await.expect(200);
    assert!(rt.body["schemaExtensions"].as_array().unwrap().contains(&json!({ "schema": ACME, "required": true })));
    // Required: a user without it is refused.
    let missing = post_user(&server, json!({ "schemas": [USER_SCHEMA], "userName": "ann" })).await;
    assert_scim_error(&missing, 400, Some("invalidValue"));
    let ann =
        post_user(&server, json!({ "schemas": [USER_SCHEMA, ACME], "userName": "ann", ACME: { "costCenter": "x" } }))
            .await
            .expect(201)
            .id();

    let err = cli_fails(&server.database, &["schema", "remove", "--tenant", "acme", "urn:example:nope:1.0:User"]);
    assert!(err.contains("declares no schema extension"), "{err}");
    server.cli(&["schema", "remove", "--tenant", "acme", &ACME.to_uppercase()]);
    assert_eq!(server.cli_json(&["schema", "list", "--tenant", "acme"])["extensions"], json!([]));
    server.restart().await;
    assert_eq!(server.get(&format!("/Schemas/{ACME}")).await.status, 404);
    // The data stays, is returned as stored, and writes that leave it
    // alone still succeed; new data under the removed URN is refused.
    let got = server.get(&format!("/Users/{ann}")).await.expect(200);
    assert_eq!(got.body[ACME], json!({ "costCenter": "x" }));
    let patched = server
        .patch_ops(&format!("/Users/{ann}"), json!([{ "op": "replace", "path": "displayName", "value": "Ann" }]))
        .await
        .expect(200);
    assert_eq!(patched.body[ACME], json!({ "costCenter": "x" }));
    let mut put = got.body.clone();
    put["displayName"] = json!("Ann B");
    server.put(&format!("/Users/{ann}"), &put).await.expect(200);
    let new =
        post_user(&server, json!({ "schemas": [USER_SCHEMA, ACME], "userName": "bob", ACME: { "costCenter": "y" } }))
            .await;
    assert_scim_error(&new, 400, Some("invalidValue"));
}

#[tokio::test]
async fn unknown_extensions_are_refused_by_default_and_kept_when_the_tenant_says_so() {
    let mut server = TestServer::spawn().await;
    let body = json!({ "schemas": [USER_SCHEMA, ODD], "userName": "ann",
                       ODD: { "Anything": [1, { "goes": true }], "level": "3" } });
    let refused = post_user(&server, body.clone()).await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(refused.text.contains(ODD), "{}", refused.text);

    let out = server.cli(&["schema", "unknown-extensions", "--tenant", "acme", "keep"]);
    assert!(out.contains("keep"), "{out}");
    assert_eq!(server.cli_json(&["schema", "list", "--tenant", "acme"])["unknown_extensions"], "keep");
    server.restart().await;

    let created = post_user(&server, body.clone()).await.expect(201);
    assert_eq!(created.body[ODD], body[ODD], "kept verbatim: {}", created.text);
    assert_eq!(created.body["schemas"], json!([USER_SCHEMA, ODD]));
    let id = created.id();
    let got = server.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(got.body[ODD], body[ODD]);
    // Not filterable: the server knows nothing of its attributes.
    let filtered = server.list("/Users", &[("filter", &format!("{ODD}:level eq \"3\""))]).await;
    assert_scim_error(&filtered, 400, Some("invalidFilter"));
    // Other changes keep it.
    let patched = server
        .patch_ops(&format!("/Users/{id}"), json!([{ "op": "replace", "path": "displayName", "value": "Ann" }]))
        .await
        .expect(200);
    assert_eq!(patched.body[ODD], body[ODD]);
    // The declared extensions are still validated.
    let bad =
        post_user(&server, json!({ "schemas": [USER_SCHEMA], "userName": "bob", ENTERPRISE_SCHEMA: { "floor": 1 } }))
            .await;
    assert_scim_error(&bad, 400, Some("invalidSyntax"));

    // The setting is per tenant.
    let other =
        send(with_json(server.http.post(server.url_for("other", "/Users")).bearer_auth(&server.other.token), &body))
            .await;
    assert_scim_error(&other, 400, Some("invalidValue"));
    server.assert_alive().await;
}
