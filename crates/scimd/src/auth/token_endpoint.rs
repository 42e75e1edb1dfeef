//! The OAuth 2.0 token endpoint (RFC 6749 §3.2, §4.4 client credentials)
//! and scimd's published keys (`/.well-known/jwks.json`, RFC 7517) and
//! authorization server metadata (RFC 8414).
//!
//! `POST /oauth2/token` takes a form body. The client authenticates with
//! HTTP Basic — `client_id` and `client_secret` form-urlencoded, then
//! joined by `:` and base64-encoded (RFC 6749 §2.3.1) — or with both in
//! the body; both ways at once is `invalid_request`. Answers are RFC 6749
//! §5.1 tokens and §5.2 errors, never cached (`Cache-Control: no-store`,
//! `Pragma: no-cache`). Requests are rate-limited per source address and
//! per client id (`rate_limit_per_client`).

use std::collections::HashMap;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use uuid::Uuid;

use crate::client_addr::ClientAddr;
use crate::ops::oauth::{GrantError, issuer_of};
use crate::state::AppState;

pub const TOKEN_PATH: &str = "/oauth2/token";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// The largest token request read: a few short parameters.
const MAX_BODY: usize = 8 * 1024;

/// An RFC 6749 §5.2 error answer. The description keeps to the characters
/// §5.2 allows (it may quote what the client sent).
fn oauth_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> Response {
    let description: String = description
        .into()
        .chars()
        .take(200)
        .map(|c| if c == ' ' || c == '!' || (c.is_ascii_graphic() && c != '"' && c != '\\') { c } else { '?' })
        .collect();
    let body = json!({ "error": error, "error_description": description });
    let mut resp = (status, Json(body)).into_response();
    no_store(resp.headers_mut());
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"scimd\""));
    }
    resp
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn invalid_request(description: impl Into<String>) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_client() -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed")
}

fn too_many(wait: std::time::Duration) -> Response {
    let mut resp = oauth_error(StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable", "too many token requests");
    let secs = wait.as_secs().max(1);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The form's parameters; a parameter given twice is an error, one sent
/// empty counts as not sent (§3.2).
pub fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() {
            continue;
        }
        if params.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(format!("the parameter {k} is given more than once"));
        }
    }
    Ok(params)
}

/// The client id and secret of an `Authorization: Basic` header (§2.3.1:
/// each form-urlencoded before joining); `Err` for a malformed one.
pub fn basic_credentials(header: &str) -> Result<Option<(String, String)>, String> {
    let Some((scheme, rest)) = header.split_once(' ') else { return Ok(None) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| "the Basic credentials are not base64".to_owned())?;
    let text = String::from_utf8(decoded).map_err(|_| "the Basic credentials are not UTF-8".to_owned())?;
    let (id, secret) = text.split_once(':').ok_or("the Basic credentials have no ':'")?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Ok(Some((unescape(id).unwrap_or_default(), unescape(secret).unwrap_or_default())))
}

/// `POST /oauth2/token`.
pub async fn issue_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientAddr>>,
    body: Bytes,
) -> Response {
    let source = client.map(|c| c.0.ip);
    if let Err(wait) = state.rate_limits.sources.take(&source, state.rate_limits.source_rate, Instant::now()) {
        return too_many(wait);
    }
    let form_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form_type {
        return invalid_request("send the parameters as application/x-www-form-urlencoded");
    }
    if body.len() > MAX_BODY {
        return invalid_request("the request is too large");
    }
    let params = match parse_form(&body) {
        Ok(p) => p,
        Err(e) => return invalid_request(e),
    };
    let basic = match headers.get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Err(_)) => return invalid_client(),
        Some(Ok(h)) => match basic_credentials(h) {
            Ok(c) => c,
            Err(e) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", e),
        },
    };
    let in_body = (params.get("client_id"), params.get("client_secret"));
    let (client_id, secret) = match (basic, in_body) {
        (Some(_), (_, Some(_))) => {
            return invalid_request(
                "authenticate the client one way: HTTP Basic or client_secret in the body, not both",
            );
        }
        (Some((id, _)), (Some(body_id), None)) if *body_id != id => {
            return invalid_request("client_id in the body differs from the one in the Authorization header");
        }
        (Some((id, secret)), _) => (id, secret),
        (None, (Some(id), Some(secret))) => (id.clone(), secret.clone()),
        (None, _) => return invalid_client(),
    };
    match params.get("grant_type").map(String::as_str) {
        None => return invalid_request("grant_type is missing"),
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
    }
    // Per client and source: someone who knows a client_id (it is in the
    // client's tokens) cannot use up the client's own rate.
    if let Ok(id) = Uuid::parse_str(&client_id)
        && let Err(wait) = state.rate_limits.clients.take(&(id, source), state.rate_limits.client_rate, Instant::now())
    {
        return too_many(wait);
    }
    let scope = params.get("scope").map(String::as_str);
    match state.ops.grant_client_credentials(&client_id, &secret, scope).await {
        Ok(Ok(token)) => {
            metrics::counter!("scimd_access_tokens_issued_total").increment(1);
            let body = json!({
                "access_token": token.token,
                "token_type": "Bearer",
                "expires_in": token.expires_in,
                "scope": token.scope,
            });
            let mut resp = (StatusCode::OK, Json(body)).into_response();
            no_store(resp.headers_mut());
            resp
        }
        Ok(Err(GrantError::InvalidClient)) => invalid_client(),
        Ok(Err(GrantError::InvalidScope(why))) => oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", why),
        Ok(Err(GrantError::Unavailable)) => unavailable(),
        Err(e) => {
            tracing::warn!(error = %e, "the token endpoint could not issue a token");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    let mut resp = oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again in a moment");
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

/// `GET /.well-known/jwks.json`: the keys scimd's access tokens are signed
/// with, a retired one until its tokens have expired.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.ops.key_ring().await {
        Ok(ring) => {
            let mut resp = Json(ring.jwks.clone()).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
            resp
        }
        Err(e) => crate::scim_api::error::ApiError::from(e).into_response(),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let base = state.ops.public_base();
    Json(json!({
        "issuer": issuer_of(base),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_urlencoded_before_base64() {
        // RFC 6749 §2.3.1: "a b" and "p:w%" encode as a+b and p%3Aw%25.
        let header = format!("Basic {}", STANDARD.encode("a+b:p%3Aw%25"));
        assert_eq!(basic_credentials(&header).unwrap(), Some(("a b".into(), "p:w%".into())));
        assert_eq!(basic_credentials("Bearer x").unwrap(), None);
        assert!(basic_credentials("Basic !!!").is_err());
        assert!(basic_credentials(&format!("basic {}", STANDARD.encode("no-colon"))).is_err());
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let p = parse_form(b"grant_type=client_credentials&scope=admin+read&client_secret=").unwrap();
        assert_eq!(p["scope"], "admin read");
        assert!(!p.contains_key("client_secret"), "empty is not sent");
        assert!(parse_form(b"scope=a&scope=b").unwrap_err().contains("scope"));
    }
}
