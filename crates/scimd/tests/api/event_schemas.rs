//! The event catalogue as documented (`docs/events.md`,
//! `docs/events/schemas/<type>.json`) is the one scimd sends: every event
//! of a run producing all ten types validates against its type's schema,
//! every type has a schema and a section with an example in the docs, and
//! every example validates too.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::secret;
use crate::helpers::*;

const TYPES: [&str; 10] = [
    "user.created",
    "user.updated",
    "user.deactivated",
    "user.reactivated",
    "user.deleted",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.member_added",
    "group.member_removed",
];

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

fn schema(t: &str) -> Value {
    let path = docs().join(format!("events/schemas/{t}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))).unwrap()
}

/// The subset of JSON Schema (2020-12) the event schemas use: `type`
/// (one or a list), `required`, `properties`, `additionalProperties:
/// false`, `const`, `enum`, `items`, `minimum`, `allOf`, `$ref` to
/// `#/$defs/…`, and `format: uuid | date-time`. Errors name the place.
fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("unsupported $ref {r}"));
        validate(root, &root["$defs"][name], v, at, errors);
    }
    for sub in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        validate(root, sub, v, at, errors);
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(t) = schema.get("type") {
        let kinds: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = kinds.iter().any(|k| match *k {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            other => panic!("unsupported type {other}"),
        });
        if !ok {
            errors.push(format!("{at}: {v} is not {kinds:?}"));
            return;
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64())
        && n < min
    {
        errors.push(format!("{at}: {n} < {min}"));
    }
    match (schema.get("format").and_then(Value::as_str), v.as_str()) {
        (Some("uuid"), Some(s)) if uuid::Uuid::parse_str(s).is_err() => errors.push(format!("{at}: {s} is no uuid")),
        (Some("date-time"), Some(s))
            if time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_err() =>
        {
            errors.push(format!("{at}: {s} is no RFC 3339 date-time"))
        }
        _ => {}
    }
    if let Some(obj) = v.as_object() {
        for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                errors.push(format!("{at}: {r} is missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, val, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: {k} is not allowed"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            validate(root, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

fn check(event: &Value) -> Vec<String> {
    let t = event["type"].as_str().unwrap();
    let s = schema(t);
    let mut errors = Vec::new();
    validate(&s, &s, event, t, &mut errors);
    errors
}

#[test]
fn the_validator_refuses_what_it_should() {
    let good = json!({
        "id": "0193a1b2-0000-7000-8000-000000000001", "type": "group.member_added",
        "tenant": {"id": "0193a1b2-0000-7000-8000-000000000002", "slug": "acme"}, "sequence": 3,
        "occurred_at": "2026-12-05T01:02:03.456Z", "actor": {"type": "cli"},
        "data": {"group": {"id": "0193a1b2-0000-7000-8000-000000000003", "displayName": "Ops"},
                 "member": {"value": "0193a1b2-0000-7000-8000-000000000004", "type": "User"}},
    });
    assert_eq!(check(&good), Vec::<String>::new());
    for (path, bad) in [
        ("/sequence", json!(0)),
        ("/id", json!("not-a-uuid")),
        ("/actor/type", json!("root")),
        ("/data/member/type", json!("Robot")),
        ("/occurred_at", json!("yesterday")),
        ("/extra", json!(1)),
    ] {
        let mut e = good.clone();
        match e.pointer_mut(path) {
            Some(slot) => *slot = bad,
            None => {
                e.as_object_mut().unwrap().insert("extra".into(), bad);
            }
        }
        assert!(!check(&e).is_empty(), "{path} should be refused");
    }
}

/// The ```json block after each `### <type>` heading of docs/events.md.
fn examples() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(docs().join("events.md")).unwrap();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut block: Option<String> = None;
    for line in text.lines() {
        if let Some(b) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                let t = current.take().unwrap();
                out.push((t, serde_json::from_str(b).unwrap_or_else(|e| panic!("example does not parse: {e}"))));
                block = None;
            } else {
                b.push_str(line);
                b.push('\n');
            }
        } else if let Some(h) = line.strip_prefix("### `") {
            current = h.strip_suffix('`').filter(|t| TYPES.contains(t)).map(str::to_owned);
        } else if current.is_some() && line.trim() == "```json" {
            block = Some(String::new());
        }
    }
    out
}

#[test]
fn every_type_has_a_schema_and_a_valid_example_in_the_docs() {
    let examples = examples();
    let documented: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(documented, TYPES, "one section with an example per type, in catalogue order");
    for (t, e) in &examples {
        assert_eq!(e["type"], t.as_str());
        assert_eq!(check(e), Vec::<String>::new(), "the example of {t}");
    }
}

#[tokio::test]
async fn every_event_scimd_sends_matches_its_schema() {
    let app = TestServer::spawn().await;
    let reader = secret(&app.admin_token(&["--name", "feed", "--scope", "events:read"]));
    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let u = app
        .create_user_with(json!({
            "schemas": [USER_SCHEMA, ENT], "userName": "schema.user", "name": {"givenName": "S", "familyName": "U"},
            "emails": [{"value": "s@acme.test", "type": "work", "primary": true}], "password": "Secret-123!",
            ENT: {"department": "Eng"},
        }))
        .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    let upath = format!("/Users/{uid}");
    app.patch_ops(&upath, json!([{"op": "replace", "path": "name.givenName", "value": "T"}])).await.expect(200);
    app.patch_ops(&upath, json!([{"op": "replace", "path": "active", "value": false}])).await.expect(200);
    app.patch_ops(&upath, json!([{"op": "replace", "path": "active", "value": true}])).await.expect(200);
    let g = app.create_group("Schema Group", &[&uid]).await;
    let gpath = format!("/Groups/{}", g["id"].as_str().unwrap());
    app.patch_ops(&gpath, json!([{"op": "replace", "path": "displayName", "value": "Renamed"}])).await.expect(204);
    app.patch_ops(&gpath, json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}])).await.expect(204);
    app.delete(&gpath).await.expect(204);
    app.delete(&upath).await.expect(204);

    let page = app.admin(Method::GET, "/tenants/acme/events", Some(&reader), None).await;
    let events = page.body["events"].as_array().unwrap();
    let mut seen: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    seen.sort();
    seen.dedup();
    let mut all = TYPES.to_vec();
    all.sort();
    assert_eq!(seen, all, "the run produces every type");
    for e in events {
        assert_eq!(check(e), Vec::<String>::new(), "{e}");
        assert!(!e.to_string().contains("Secret-123!"));
    }
    let created = &events[0];
    assert_eq!(
        created["data"]["changed"],
        json!(["emails", "name.familyName", "name.givenName", "password", format!("{ENT}:department"), "userName"])
    );
}
