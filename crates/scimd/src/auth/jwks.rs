//! Tenants' issuer keys fetched from their JWKS URL (RFC 7517), cached.
//!
//! A URL's keys are fetched on first use and kept. They are fetched again
//! when a token names a `kid` they lack — at most once per
//! [`MIN_REFETCH`] per URL, so a flood of made-up `kid`s costs one fetch
//! each 30 s — and when they are older than [`MAX_AGE`]. A fetch that
//! fails keeps the keys there are (an issuer's outage must not lock its
//! callers out). Fetches of one URL never run side by side: callers wait
//! for the one under way. Answers are bounded in time and size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::jwt::{TrustedKey, keys_of_jwks};

/// The least time between two fetches of one URL.
pub const MIN_REFETCH: Duration = Duration::from_secs(30);
/// Keys older than this are fetched again on use.
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// The largest JWKS document read.
const MAX_BYTES: usize = 256 * 1024;
/// URLs remembered at most; past it, the least recently fetched go.
const MAX_URLS: usize = 10_000;

#[derive(Default)]
struct State {
    keys: Option<Arc<[TrustedKey]>>,
    fetched: Option<Instant>,
    /// The last fetch tried, whatever its cause.
    tried: Option<Instant>,
    /// The last fetch caused by an unknown `kid`.
    refetched: Option<Instant>,
}

/// The JWKS cache of the server (one per process).
pub struct JwksCache {
    http: reqwest::Client,
    urls: Mutex<HashMap<String, Arc<tokio::sync::Mutex<State>>>>,
}

impl Default for JwksCache {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("scimd/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        JwksCache { http, urls: Mutex::default() }
    }
}

impl JwksCache {
    /// The keys published at `url`; `unknown_kid`: a token named a key the
    /// cached ones lack, so fetch again unless that was done within
    /// [`MIN_REFETCH`]. An error only when there are no keys at all.
    pub async fn keys(&self, url: &str, unknown_kid: bool) -> Result<Arc<[TrustedKey]>, String> {
        let entry = self.entry(url);
        let mut state = entry.lock().await;
        let now = Instant::now();
        let lately = |at: Option<Instant>| at.is_some_and(|at| now.duration_since(at) < MIN_REFETCH);
        let fresh = state.fetched.is_some_and(|at| now.duration_since(at) < MAX_AGE);
        if let Some(keys) = &state.keys {
            let keep = if unknown_kid {
                lately(state.refetched) || lately(state.tried) && !fresh
            } else {
                fresh || lately(state.tried)
            };
            if keep {
                return Ok(Arc::clone(keys));
            }
        } else if lately(state.tried) {
            return Err(format!("the issuer's keys at {url} could not be fetched; retrying within 30 s"));
        }
        state.tried = Some(now);
        if unknown_kid {
            state.refetched = Some(now);
        }
        match self.fetch(url).await {
            Ok(keys) => {
                let keys: Arc<[TrustedKey]> = keys.into();
                state.keys = Some(Arc::clone(&keys));
                state.fetched = Some(now);
                Ok(keys)
            }
            Err(e) => {
                tracing::warn!(url, error = %e, "could not fetch a JWKS; keeping the keys there were");
                state.keys.clone().ok_or(e)
            }
        }
    }

    fn entry(&self, url: &str) -> Arc<tokio::sync::Mutex<State>> {
        let mut urls = self.urls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if urls.len() >= MAX_URLS && !urls.contains_key(url) {
            // Tenants change issuers rarely; starting over is cheap.
            urls.clear();
        }
        Arc::clone(urls.entry(url.to_owned()).or_default())
    }

    async fn fetch(&self, url: &str) -> Result<Vec<TrustedKey>, String> {
        let mut resp = self.http.get(url).send().await.map_err(|e| format!("fetching {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered {}", resp.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading {url}: {e}"))? {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(format!("{url} sent more than {MAX_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("{url} is not JSON: {e}"))?;
        let (keys, skipped) = keys_of_jwks(&doc);
        for why in &skipped {
            tracing::debug!(url, why, "JWKS key left out");
        }
        if keys.is_empty() {
            return Err(format!("{url} holds no usable signature key ({})", skipped.join("; ")));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU16, Ordering};

    use axum::http::StatusCode;
    use serde_json::json;

    use super::*;

    const JWK: &str =
        r#"{"kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    #[tokio::test]
    async fn keys_are_kept_when_a_refetch_fails_and_refetches_are_rate_limited() {
        let status = Arc::new(AtomicU16::new(200));
        let fetches = Arc::new(AtomicU16::new(0));
        let (s, f) = (Arc::clone(&status), Arc::clone(&fetches));
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (s, f) = (Arc::clone(&s), Arc::clone(&f));
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    let jwk: serde_json::Value = serde_json::from_str(JWK).unwrap_or_default();
                    let code = StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK);
                    (code, axum::Json(json!({ "keys": [jwk] })))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let cache = JwksCache::default();
        assert_eq!(cache.keys(&url, false).await.unwrap().len(), 1);
        assert_eq!(cache.keys(&url, false).await.unwrap().len(), 1);
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "cached");
        // The issuer fails: an unknown kid refetches once, the old keys stay.
        status.store(500, Ordering::SeqCst);
        assert_eq!(cache.keys(&url, true).await.unwrap().len(), 1);
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        for _ in 0..5 {
            assert_eq!(cache.keys(&url, true).await.unwrap().len(), 1);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "at most one refetch per 30 s");
        // A URL that never answered: an error, and no second try at once.
        let dead = "http://127.0.0.1:9/jwks";
        assert!(cache.keys(dead, false).await.is_err());
        assert!(cache.keys(dead, false).await.unwrap_err().contains("retrying"));
    }
}
