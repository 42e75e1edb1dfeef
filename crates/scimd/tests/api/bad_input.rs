//! A sweep of bad input over raw HTTP, as probing sends it: malformed and
//! deeply nested JSON, invalid UTF-8, huge numbers and filters, odd paths,
//! methods, headers and query parameters, on every SCIM endpoint. Each gets
//! an answer below 500; every refusal under `/scim/v2/` is an RFC 7644 §3.12
//! error body; and afterwards the server is alive and nothing was created,
//! changed or deleted. (`errors.rs` covers each error's exact status and
//! scimType; this is about surviving what no client should send.)

use std::io::Write;

use serde_json::{Value, json};

use crate::helpers::*;

/// One request as raw bytes; the status, headers and body of the answer.
fn raw(addr: &str, method: &str, target: &[u8], headers: &[(&str, &[u8])], body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut req = Vec::new();
    req.extend_from_slice(method.as_bytes());
    req.push(b' ');
    req.extend_from_slice(target);
    req.extend_from_slice(b" HTTP/1.1\r\nhost: test\r\nconnection: close\r\n");
    for (name, value) in headers {
        req.extend_from_slice(name.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(value);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    let mut s = connect(addr);
    // The server may answer and close before reading a whole bad request.
    let _ = s.write_all(&req);
    let answer = read_to_close(&mut s);
    let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((answer.as_str(), ""));
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|h| h.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {method} {}: {answer:?}", String::from_utf8_lossy(target)));
    let head = head.to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") { unchunk(rest) } else { rest.as_bytes().to_vec() };
    (status, head, body)
}

/// Decodes a chunked body (the answers here are small).
fn unchunk(mut rest: &str) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || after.len() < n {
            break;
        }
        out.extend_from_slice(&after.as_bytes()[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

struct Probe {
    what: String,
    method: &'static str,
    target: Vec<u8>,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
}

fn probe(what: impl Into<String>, method: &'static str, target: impl AsRef<[u8]>, body: impl AsRef<[u8]>) -> Probe {
    Probe {
        what: what.into(),
        method,
        target: target.as_ref().to_vec(),
        headers: vec![("content-type", SCIM_JSON.as_bytes().to_vec())],
        body: body.as_ref().to_vec(),
    }
}

fn deep_array(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_object(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// Every request no client should send, on the tenant `acme` with its
/// token (added by the caller unless a probe sets its own Authorization).
fn probes(user: &str, group: &str) -> Vec<Probe> {
    let t = "/scim/v2/acme";
    let mut out = Vec::new();
    // Bodies.
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("invalid UTF-8 in a string", b"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"\xff\xfe\"}".to_vec()),
        ("invalid UTF-8 as a key", b"{\"\xc3\x28\":1}".to_vec()),
        ("a lone surrogate escape", br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\ud800"}"#.to_vec()),
        ("deep arrays", deep_array(100_000).into_bytes()),
        ("deep objects", deep_object(50_000).into_bytes()),
        ("deep value inside a User", format!(r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"d","title":{}}}"#, deep_array(10_000)).into_bytes()),
        ("a huge exponent", br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","title":1e999999}"#.to_vec()),
        ("a huge integer", format!(r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","x":{}}}"#, "9".repeat(5000)).into_bytes()),
        ("NUL bytes", b"{\"userName\":\"a\0b\"\0}".to_vec()),
        ("a NUL escape in userName", br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a\u0000"}"#.to_vec()),
        ("a JSON string", br#""just a string""#.to_vec()),
        ("null", b"null".to_vec()),
        ("trailing garbage", br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"tg"} trailing"#.to_vec()),
        ("a BOM", b"\xef\xbb\xbf{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"bom\",\"active\":\"x\"}".to_vec()),
        ("ten thousand unknown attributes", {
            let attrs: Vec<String> = (0..10_000).map(|i| format!("\"x{i}\":{i}")).collect();
            format!(r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"wide",{}}}"#, attrs.join(",")).into_bytes()
        }),
        ("an unknown extension schema", br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:x:evil"],"userName":"ext","urn:x:evil":{"a":1}}"#.to_vec()),
    ];
    for (what, body) in bodies {
        out.push(probe(format!("POST /Users, {what}"), "POST", format!("{t}/Users"), &body));
        out.push(probe(format!("PUT /Users/id, {what}"), "PUT", format!("{t}/Users/{user}"), &body));
        out.push(probe(format!("PATCH /Groups/id, {what}"), "PATCH", format!("{t}/Groups/{group}"), &body));
        out.push(probe(format!("POST /Bulk, {what}"), "POST", format!("{t}/Bulk"), &body));
        out.push(probe(format!("POST /.search, {what}"), "POST", format!("{t}/Users/.search"), &body));
    }
    // Malformed SCIM messages.
    let patch = |ops: Value| json!({"schemas": [PATCH_SCHEMA], "Operations": ops}).to_string();
    for (what, body) in [
        (
            "a PATCH path of a deep filter",
            patch(
                json!([{"op": "remove", "path": format!("emails[{}value eq \"x\"{}]", "(".repeat(5000), ")".repeat(5000))}]),
            ),
        ),
        ("a PATCH with a path of 100 KB", patch(json!([{"op": "replace", "path": "a.".repeat(50_000), "value": 1}]))),
        ("a PATCH value holding U+0000", patch(json!([{"op": "replace", "path": "displayName", "value": "a\u{0}"}]))),
        ("a PATCH op that is a number", patch(json!([{"op": 7, "path": "title"}]))),
        (
            "PATCH Operations that are an object",
            json!({"schemas": [PATCH_SCHEMA], "Operations": {"op": "add"}}).to_string(),
        ),
        (
            "a PATCH of id and meta",
            patch(
                json!([{"op": "replace", "path": "id", "value": "x"}, {"op": "replace", "path": "meta.version", "value": "x"}]),
            ),
        ),
    ] {
        out.push(probe(format!("PATCH /Users/id, {what}"), "PATCH", format!("{t}/Users/{user}"), &body));
    }
    let bulk = |ops: Value| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}).to_string()
    };
    for (what, body) in [
        ("a Bulk GET", bulk(json!([{"method": "GET", "path": "/Users"}]))),
        ("a Bulk path outside the tenant", bulk(json!([{"method": "DELETE", "path": "/../../other/Users/x"}]))),
        ("a Bulk bulkId cycle that cannot be created", bulk(json!([
            {"method": "POST", "bulkId": "a", "path": "/Groups", "data": {"schemas": [GROUP_SCHEMA], "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "bulkId": "b", "path": "/Groups", "data": {"schemas": [GROUP_SCHEMA], "members": [{"value": "bulkId:a"}]}}]))),
        ("a Bulk reference to an unknown bulkId", bulk(json!([{"method": "PATCH", "path": format!("/Groups/{group}"), "data": {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:nope"}]}]}}]))),
        ("Bulk data that is a string", bulk(json!([{"method": "POST", "path": "/Users", "data": "x"}]))),
        ("a Bulk failOnErrors of -1", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "failOnErrors": -1, "Operations": [{"method": "DELETE", "path": "/Users/nope"}]}).to_string()),
    ] {
        out.push(probe(format!("POST /Bulk, {what}"), "POST", format!("{t}/Bulk"), &body));
    }
    // Query parameters.
    let long_literal = format!("userName eq \"{}\"", "x".repeat(60_000));
    let many_attrs = (0..5000).map(|i| format!("a{i}")).collect::<Vec<_>>().join(",");
    for q in [
        "count=-1".to_string(),
        "count=99999999999999999999999".into(),
        "startIndex=abc".into(),
        "startIndex=0&count=0".into(),
        "sortBy=emails%5B&sortOrder=sideways".into(),
        "sortBy=urn:x:nope:attr".into(),
        "filter=".into(),
        "filter=%FF%FE".into(),
        "filter=userName%20eq%20%22%00%22".into(),
        format!("filter={}", long_literal.replace(' ', "%20").replace('"', "%22")),
        format!("attributes={many_attrs}"),
        "excludedAttributes=id,schemas,meta".into(),
        "cursor=%%%%".into(),
        "cursor&count=5".into(),
        "count=5&count=6&filter=a&filter=b".into(),
    ] {
        out.push(probe(format!("GET /Users?{}", &q[..q.len().min(60)]), "GET", format!("{t}/Users?{q}"), b""));
    }
    // Paths and methods.
    for path in [
        format!("{t}/Users/../../other/Users"),
        format!("{t}/Users/%2e%2e/%2e%2e/other/Users"),
        format!("{t}/Users/{user}/extra/segments"),
        format!("{t}/Users/{}", "a".repeat(8000)),
        format!("{t}/Users/%00"),
        format!("{t}/Schemas/urn:x:%FF"),
        format!("{t}/ResourceTypes/Nope"),
        "/scim/v2/%00/Users".to_string(),
        "/scim/v2/ACME/Users".to_string(),
        "/scim/v2//Users".to_string(),
        "/scim/v2/acme%2fother/Users".to_string(),
        format!("/scim/v2/{}/Users", "t".repeat(5000)),
    ] {
        out.push(probe(format!("GET {}", &path[..path.len().min(60)]), "GET", path, b""));
    }
    for method in ["OPTIONS", "TRACE", "PROPFIND", "CONNECT", "HEAD"] {
        out.push(probe(format!("{method} /Users"), method, format!("{t}/Users"), b""));
    }
    out.push(probe("DELETE /Users without an id", "DELETE", format!("{t}/Users"), b""));
    out.push(probe("PUT /Groups without an id", "PUT", format!("{t}/Groups"), b"{}"));
    out.push(probe("absolute-form target", "GET", format!("http://evil.example{t}/Users"), b""));
    // Headers.
    let mut p = probe("POST /Users as text/plain", "POST", format!("{t}/Users"), br#"{"userName":"tp"}"#);
    p.headers = vec![("content-type", b"text/plain".to_vec())];
    out.push(p);
    let mut p = probe("POST /Users with a content type of 4 KB", "POST", format!("{t}/Users"), b"{}");
    p.headers = vec![("content-type", format!("application/scim+json; {}", "a=b; ".repeat(700)).into_bytes())];
    out.push(p);
    for (what, auth) in [
        ("an empty bearer", b"Bearer ".to_vec()),
        ("Basic credentials", b"Basic YWRtaW46YWRtaW4=".to_vec()),
        ("a bearer of 16 KB", format!("Bearer {}", "A".repeat(16 * 1024)).into_bytes()),
        ("a bearer with raw non-ASCII bytes", b"Bearer scimd_\xff\xfe\x80".to_vec()),
        ("two bearers", b"Bearer a, Bearer b".to_vec()),
    ] {
        let mut p = probe(format!("POST /Users with {what}"), "POST", format!("{t}/Users"), br#"{"userName":"auth"}"#);
        p.headers.push(("authorization", auth));
        out.push(p);
    }
    for (what, name, value) in [
        ("an If-Match of garbage", "if-match", b"\"\xff".to_vec()),
        ("an If-None-Match list of 2,000 tags", "if-none-match", vec!["W/\"x\""; 2000].join(", ").into_bytes()),
        ("a request id of 10 KB", "x-request-id", "r".repeat(10_000).into_bytes()),
        ("a forwarded chain of 2,000 hops", "x-forwarded-for", vec!["10.0.0.1"; 2000].join(", ").into_bytes()),
    ] {
        let mut p = probe(
            format!("PATCH /Users/id with {what}"),
            "PATCH",
            format!("{t}/Users/{user}"),
            patch(json!([{"op": "replace", "path": "title", "value": "kept"}])),
        );
        p.headers.push((name, value));
        out.push(p);
    }
    out
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_loses_nothing() {
    let mut app = TestServer::spawn().await;
    let user = app
        .create_user_with(json!({"userName": "keeper", "title": "kept", "emails": [{"value": "k@example.com"}]}))
        .await;
    let uid = user["id"].as_str().unwrap().to_owned();
    let group = app.create_group("Keepers", &[&uid]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let user_etag = app.get(&format!("/Users/{uid}")).await.expect(200).etag();
    let group_etag = app.get(&format!("/Groups/{gid}")).await.expect(200).etag();
    let events_before = app.last_event();
    let addr = app.server.as_ref().unwrap().addr.clone();
    let bearer = format!("Bearer {}", app.tenant.token);

    let probes = probes(&uid, &gid);
    assert!(probes.len() > 100, "{} probes", probes.len());
    let mut accepted = Vec::new();
    for p in probes {
        let mut headers: Vec<(&str, &[u8])> = p.headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        if !headers.iter().any(|(n, _)| *n == "authorization") {
            headers.push(("authorization", bearer.as_bytes()));
        }
        let addr = addr.clone();
        let (method, target, body) = (p.method, p.target.clone(), p.body.clone());
        let headers: Vec<(String, Vec<u8>)> = headers.into_iter().map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
        let (status, head, answer) = tokio::task::spawn_blocking(move || {
            let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
            raw(&addr, method, &target, &headers, &body)
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&answer);
        let shown = &text[..text.len().min(300)];
        assert!(status < 500, "{}: {status} {shown}", p.what);
        let scim_path = p.target.starts_with(b"/scim/v2/");
        if status >= 400 && scim_path && p.method != "HEAD" {
            let body: Value = serde_json::from_slice(&answer)
                .unwrap_or_else(|_| panic!("{}: {status} without a JSON body: {shown}", p.what));
            assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{}: {status} {shown}", p.what);
            assert_eq!(body["status"], json!(status.to_string()), "{}: {shown}", p.what);
            assert!(head.contains("content-type: application/scim+json"), "{}: {head}", p.what);
        }
        if status < 300 && p.method != "GET" && p.method != "HEAD" {
            accepted.push(format!("{} → {status}", p.what));
        }
        app.assert_alive().await;
    }

    // Nothing was created, changed or deleted by what was refused; the few
    // probes a server may accept (an unknown attribute ignored, a Bulk of
    // failing operations answered 200) changed nothing either.
    let users = app.get("/Users").await.expect(200);
    assert_eq!(user_names(&users), ["keeper"], "accepted: {accepted:?}");
    assert_eq!(app.get("/Groups").await.expect(200).total(), 1, "accepted: {accepted:?}");
    assert_eq!(app.get(&format!("/Users/{uid}")).await.expect(200).etag(), user_etag, "accepted: {accepted:?}");
    assert_eq!(app.get(&format!("/Groups/{gid}")).await.expect(200).etag(), group_etag, "accepted: {accepted:?}");
    assert_eq!(app.last_event(), events_before, "no event was emitted; accepted: {accepted:?}");
    // The other tenant saw nothing of it.
    let other = send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&app.other.token)).await.expect(200);
    assert_eq!(other.total(), 0);
}
