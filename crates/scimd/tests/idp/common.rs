//! Small helpers the IdP replays share: raw request lines (IdPs encode their
//! query strings themselves), list lookups and "never a 500" checks.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Percent-encodes a query value the way IdPs do (`%20`, `%22`, …).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A request to `path_and_query` (relative to the tenant's SCIM base URL),
/// sent exactly as written.
pub async fn raw(app: &TestServer, method: Method, path_and_query: &str, body: Option<&Value>) -> Resp {
    let rb = app.req(method, path_and_query);
    match body {
        Some(b) => send(with_json(rb, b)).await,
        None => send(rb).await,
    }
}

/// `GET /Users?filter=userName eq "<name>"` with IdP-style encoding and
/// the extra query `suffix` (e.g. `&startIndex=1&count=100`).
pub async fn find_user(app: &TestServer, user_name: &str, suffix: &str) -> Resp {
    let q = format!("/Users?filter={}{suffix}", enc(&format!("userName eq \"{user_name}\"")));
    raw(app, Method::GET, &q, None).await.expect(200)
}

/// A PatchOp body.
pub fn patch_body(ops: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

/// Asserts a list response with `n` results and integer paging fields.
#[track_caller]
pub fn assert_list(resp: &Resp, n: u64) {
    assert!(
        resp.body["schemas"].as_array().is_some_and(|s| s.iter().any(|v| v == LIST_SCHEMA)),
        "not a ListResponse: {}",
        resp.text
    );
    assert_eq!(resp.total(), n, "totalResults: {}", resp.text);
    assert_eq!(resp.resources().len() as u64, n, "Resources: {}", resp.text);
    // Okta: "itemsPerPage, startIndex and totalResults need to be exchanged as integers".
    assert!(resp.body["startIndex"].is_u64(), "startIndex must be an integer: {}", resp.text);
    assert!(resp.body["itemsPerPage"].is_u64(), "itemsPerPage must be an integer: {}", resp.text);
}

/// Asserts an RFC 7644 §3.12 error with `status` (and, when given, the
/// scimType), and that the server is still alive: a bad shape must never
/// cost a 500 or the process.
#[track_caller]
pub fn assert_refused(resp: &Resp, status: u16, scim_type: Option<&str>, what: &str) {
    assert!(resp.status.as_u16() < 500, "{what}: server error {} {}", resp.status, resp.text);
    assert_eq!(resp.status.as_u16(), status, "{what}: {}", resp.text);
    assert_scim_error(resp, status, scim_type);
}

/// The value of the `emails` element with `type`.
pub fn email_of_type(user: &Value, ty: &str) -> Option<String> {
    user["emails"].as_array()?.iter().find(|e| e["type"] == ty).and_then(|e| e["value"].as_str()).map(str::to_string)
}

/// Member values of a group, read back with GET (sorted).
pub async fn members_of(app: &TestServer, gid: &str) -> Vec<String> {
    member_values(&app.get(&format!("/Groups/{gid}")).await.expect(200).body)
}
