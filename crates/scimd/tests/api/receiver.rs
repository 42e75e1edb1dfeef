//! A webhook receiver inside the test process: an axum server on a loopback
//! port that records every request (headers, body, what it answered) and
//! answers as the test says (a status, `Retry-After`, a body, a delay).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// How the receiver answers.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
    pub delay: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour { status: 204, retry_after: None, body: String::new(), delay: Duration::ZERO }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn receive(axum::extract::State(s): axum::extract::State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let b = s.behaviour.lock().unwrap().clone();
    if !b.delay.is_zero() {
        tokio::time::sleep(b.delay).await;
    }
    let headers = headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
    s.got.lock().unwrap().push(Received { headers, body: body.to_vec(), status: b.status });
    let mut resp = (StatusCode::from_u16(b.status).unwrap(), b.body).into_response();
    if let Some(after) = b.retry_after {
        resp.headers_mut().insert("retry-after", after.parse().unwrap());
    }
    resp
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        let app = axum::Router::new().fallback(receive).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url: format!("http://{addr}/hook"), shared }
    }

    pub fn set(&self, b: Behaviour) {
        *self.shared.behaviour.lock().unwrap() = b;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.got.lock().unwrap().clone()
    }

    /// The requests it accepted.
    pub fn accepted(&self) -> Vec<Received> {
        self.received().into_iter().filter(Received::accepted).collect()
    }
}

/// An independent Standard Webhooks verifier (not scimd's code): the key
/// is the base64 after `whsec_`; any `v1,` signature may match.
pub fn signature_matches(secret: &str, r: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let signed = format!("{}.{}.", r.header("webhook-id"), r.header("webhook-timestamp"));
    let mut content = signed.into_bytes();
    content.extend_from_slice(&r.body);
    r.header("webhook-signature").split(' ').any(|sig| {
        sig.strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|tag| ring::hmac::verify(&key, &content, &tag).is_ok())
    })
}
