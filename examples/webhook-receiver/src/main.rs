//! A minimal receiver of scimd's webhooks (issue 12), to copy into an
//! application. It
//! - verifies the Standard Webhooks signature: HMAC-SHA256 over
//!   `{webhook-id}.{webhook-timestamp}.{body}` with the bytes after
//!   `whsec_` (base64-decoded) as the key; any of the space-separated
//!   `v1,` signatures may match (two during a secret rotation); compared
//!   in constant time;
//! - refuses a timestamp more than 5 minutes from now (replays);
//! - de-duplicates on `webhook-id` (deliveries are at least once),
//!   remembering the last 10,000 ids;
//! - answers 204 (also for a duplicate), 400 for a bad signature.
//!
//! `WEBHOOK_SECRET=whsec_… LISTEN=127.0.0.1:9000 cargo run -p webhook-receiver`
//! prints one line per event: type, tenant, sequence, and how long after
//! the change it arrived.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a timestamp may be from now, either way.
const TOLERANCE_SECS: i64 = 300;
/// Webhook ids remembered for de-duplication.
const REMEMBERED: usize = 10_000;

#[derive(Clone)]
struct AppState {
    keys: Arc<Vec<Vec<u8>>>,
    seen: Arc<Mutex<Seen>>,
}

/// The last ids seen, bounded.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    /// `true` when `id` is new (and remembers it).
    fn first_time(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        self.ids.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        if self.order.len() > REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

/// The HMAC key of a `whsec_` secret.
fn key_of(secret: &str) -> Result<Vec<u8>, String> {
    let b64 = secret.trim().strip_prefix("whsec_").unwrap_or(secret.trim());
    STANDARD.decode(b64).map_err(|e| format!("the secret is not whsec_ and base64: {e}"))
}

/// Whether any `v1,` signature in `header` is the HMAC of the message under any key.
fn signature_ok(keys: &[Vec<u8>], id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    keys.iter().any(|key| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return false };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        header
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|b| STANDARD.decode(b).ok())
            .any(|given| bool::from(given.as_slice().ct_eq(&expected[..])))
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let (id, ts) = (header(&headers, "webhook-id"), header(&headers, "webhook-timestamp"));
    let Ok(sent_at) = ts.parse::<i64>() else { return StatusCode::BAD_REQUEST };
    let now = time::OffsetDateTime::now_utc();
    if (now.unix_timestamp() - sent_at).abs() > TOLERANCE_SECS {
        return StatusCode::BAD_REQUEST;
    }
    if id.is_empty() || !signature_ok(&state.keys, id, ts, &body, header(&headers, "webhook-signature")) {
        return StatusCode::BAD_REQUEST;
    }
    let first = state.seen.lock().map(|mut s| s.first_time(id)).unwrap_or(true);
    if !first {
        return StatusCode::NO_CONTENT; // Already handled: at-least-once delivery.
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body) else { return StatusCode::BAD_REQUEST };
    // Handle the event here (idempotently, keyed on its id). This example prints it.
    let occurred = event["occurred_at"]
        .as_str()
        .and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok());
    let lag_ms = occurred.map_or(-1, |t| (now - t).whole_milliseconds());
    println!(
        "{} tenant={} sequence={} lag_ms={lag_ms}",
        event["type"].as_str().unwrap_or("?"),
        event["tenant"]["slug"].as_str().unwrap_or("?"),
        event["sequence"],
    );
    StatusCode::NO_CONTENT
}

/// The receiver for these secrets (several while a rotation is under way).
fn app(keys: Vec<Vec<u8>>) -> Router {
    let state = AppState { keys: Arc::new(keys), seen: Arc::default() };
    Router::new().route("/", post(receive)).route("/webhooks", post(receive)).with_state(state)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secrets = std::env::var("WEBHOOK_SECRET").map_err(|_| "set WEBHOOK_SECRET to the endpoint's whsec_ secret")?;
    // Comma-separated: the old and the new secret during a rotation.
    let keys = secrets.split(',').map(key_of).collect::<Result<Vec<_>, _>>()?;
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:9000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("webhook receiver on http://{}/webhooks", listener.local_addr()?);
    axum::serve(listener, app(keys)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn sign(key: &[u8], id: &str, ts: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(format!("{id}.{ts}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    async fn post(receiver: &Router, id: &str, ts: i64, sig: &str, body: &str) -> StatusCode {
        let req = Request::post("/webhooks")
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(Body::from(body.to_owned()))
            .unwrap();
        receiver.clone().oneshot(req).await.unwrap().status()
    }

    #[test]
    fn the_specifications_test_vector_verifies() {
        let key = key_of(SECRET).unwrap();
        let body = r#"{"test": 2432232314}"#;
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert!(signature_ok(
            std::slice::from_ref(&key),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            body.as_bytes(),
            sig
        ));
        assert!(!signature_ok(&[key], "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", body.as_bytes(), sig));
    }

    #[tokio::test]
    async fn signatures_timestamps_and_duplicates() {
        let key = key_of(SECRET).unwrap();
        let receiver = app(vec![key.clone()]);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let body = r#"{"id":"e1","type":"user.created","tenant":{"slug":"acme"},"sequence":1,"occurred_at":"2026-12-05T01:02:03Z"}"#;
        assert_eq!(post(&receiver, "e1", now, &sign(&key, "e1", now, body), body).await, StatusCode::NO_CONTENT);
        // The same id again: accepted, not handled twice.
        assert_eq!(post(&receiver, "e1", now, &sign(&key, "e1", now, body), body).await, StatusCode::NO_CONTENT);
        // A wrong signature, a stale or future timestamp.
        assert_eq!(
            post(&receiver, "e2", now, &sign(b"another key", "e2", now, body), body).await,
            StatusCode::BAD_REQUEST
        );
        let old = now - 301;
        assert_eq!(post(&receiver, "e3", old, &sign(&key, "e3", old, body), body).await, StatusCode::BAD_REQUEST);
        let future = now + 301;
        assert_eq!(post(&receiver, "e4", future, &sign(&key, "e4", future, body), body).await, StatusCode::BAD_REQUEST);
        // A rotation: two signatures, the receiver knows only the new key.
        let new_key = b"a brand new key of thirty-two b!".to_vec();
        let rotated = app(vec![new_key.clone()]);
        let both = format!("{} {}", sign(&key, "e5", now, body), sign(&new_key, "e5", now, body));
        assert_eq!(post(&rotated, "e5", now, &both, body).await, StatusCode::NO_CONTENT);
    }

    #[test]
    fn remembered_ids_are_bounded() {
        let mut seen = Seen::default();
        for i in 0..REMEMBERED + 10 {
            assert!(seen.first_time(&i.to_string()));
        }
        assert_eq!(seen.ids.len(), REMEMBERED);
        assert!(!seen.first_time(&(REMEMBERED + 5).to_string()));
        assert!(seen.first_time("0"), "the oldest were forgotten");
    }
}
