//! One attempt of one delivery over HTTP (issue 12): a Standard Webhooks
//! POST of the event envelope, signed anew at each attempt, or the RFC
//! 8935 push of its Security Event Tokens; what came back (the status, the
//! latency, the first KiB of the answer) and what it means.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use scim_store::webhooks::Attempt;

use super::backoff::parse_retry_after;
use super::egress::Egress;
use super::set::{PushOutcome, classify_push_response};
use super::signature::{WebhookSecret, signature_header};

/// The longest an endpoint may take to answer (the Standard Webhooks
/// spec's recommendation, and the issue's).
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an answer is kept with the attempt.
pub const KEPT_RESPONSE: usize = 1024;

/// What an attempt means for its delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Delivered,
    /// Try again later; `retry_after` when the endpoint said when (429,
    /// 503 with `Retry-After`).
    Retry {
        retry_after: Option<Duration>,
    },
    /// Not worth retrying unchanged (an RFC 8935 `err`): dead-lettered.
    Permanent(String),
    /// `410 Gone`: the endpoint asks to be disabled.
    Gone,
}

/// An attempt's record and its verdict.
pub struct Sent {
    pub attempt: Attempt,
    pub verdict: Verdict,
}

/// Reads at most [`KEPT_RESPONSE`] bytes of the answer (the rest is not
/// read: a huge answer costs nothing).
async fn head_of(mut resp: reqwest::Response) -> Vec<u8> {
    let mut kept = Vec::new();
    while kept.len() < KEPT_RESPONSE {
        match resp.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(KEPT_RESPONSE - kept.len())]),
            _ => break,
        }
    }
    kept
}

/// The record of an attempt that got an answer.
fn answered(at: time::OffsetDateTime, started: Instant, status: u16, kept: &[u8], error: Option<String>) -> Attempt {
    Attempt {
        at,
        status: Some(status),
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        response: Some(String::from_utf8_lossy(kept).into_owned()),
        error,
    }
}

/// The record of an attempt that got no answer: `e`'s chain says why
/// (refused address, timeout, TLS); never a secret: the request carries
/// none in its URL.
fn failed(at: time::OffsetDateTime, started: Instant, e: &dyn std::error::Error) -> Sent {
    let mut why = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        why.push_str(": ");
        why.push_str(&s.to_string());
        source = s.source();
    }
    why.truncate(why.floor_char_boundary(KEPT_RESPONSE));
    Sent {
        attempt: Attempt {
            at,
            status: None,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            response: None,
            error: Some(why),
        },
        verdict: Verdict::Retry { retry_after: None },
    }
}

/// What a status means for a Standard Webhooks delivery.
fn verdict_of(status: u16, headers: &HeaderMap) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        410 => Verdict::Gone,
        429 | 503 => Verdict::Retry {
            retry_after: headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, time::OffsetDateTime::now_utc())),
        },
        _ => Verdict::Retry { retry_after: None },
    }
}

/// POSTs `body` (an event envelope, or a ping) to `url`, signed with every
/// secret in `secrets` (two during a rotation's overlap).
pub async fn post_signed(
    egress: &Egress,
    url: &str,
    secrets: &[&WebhookSecret],
    message_id: &str,
    body: Vec<u8>,
) -> Sent {
    let at = time::OffsetDateTime::now_utc();
    let timestamp = at.unix_timestamp();
    let signature = signature_header(secrets, message_id, timestamp, &body);
    let started = Instant::now();
    let req = match egress.post(url) {
        Ok(req) => req,
        Err(e) => return failed(at, started, &e),
    };
    let req = req
        .header(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body);
    match req.send().await {
        Err(e) => failed(at, started, &e),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let verdict = verdict_of(status, resp.headers());
            let kept = head_of(resp).await;
            Sent { attempt: answered(at, started, status, &kept, None), verdict }
        }
    }
}

/// Pushes Security Event Tokens one after the other (RFC 8935 §2): all
/// must be accepted; the first refusal decides.
pub async fn push_sets(egress: &Egress, url: &str, authorization: Option<&str>, sets: &[String]) -> Sent {
    let at = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let mut last: Option<(u16, Vec<u8>)> = None;
    for set in sets {
        let mut req = match egress.post(url) {
            Ok(req) => req,
            Err(e) => return failed(at, started, &e),
        };
        req = req
            .header(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/secevent+jwt"))
            .header(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"))
            .body(set.clone());
        if let Some(a) = authorization {
            req = req.header(reqwest::header::AUTHORIZATION, a);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return failed(at, started, &e),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let kept = head_of(resp).await;
        let verdict = match status {
            410 => Verdict::Gone,
            429 | 503 => verdict_of(status, &headers),
            _ => match classify_push_response(status, &kept) {
                PushOutcome::Delivered => Verdict::Delivered,
                PushOutcome::Permanent { err, description } => Verdict::Permanent(match description {
                    Some(d) => format!("{err}: {d}"),
                    None => err,
                }),
                PushOutcome::Retry => Verdict::Retry { retry_after: None },
            },
        };
        if verdict != Verdict::Delivered {
            let error = match &verdict {
                Verdict::Permanent(why) => Some(why.clone()),
                _ => None,
            };
            return Sent { attempt: answered(at, started, status, &kept, error), verdict };
        }
        last = Some((status, kept));
    }
    let (status, kept) = last.unwrap_or((202, Vec::new()));
    Sent { attempt: answered(at, started, status, &kept, None), verdict: Verdict::Delivered }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_mean_what_the_spec_says() {
        let none = HeaderMap::new();
        assert_eq!(verdict_of(200, &none), Verdict::Delivered);
        assert_eq!(verdict_of(204, &none), Verdict::Delivered);
        assert_eq!(verdict_of(410, &none), Verdict::Gone);
        assert_eq!(verdict_of(500, &none), Verdict::Retry { retry_after: None });
        assert_eq!(verdict_of(301, &none), Verdict::Retry { retry_after: None }, "redirects are not followed");
        let mut later = HeaderMap::new();
        later.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(verdict_of(429, &later), Verdict::Retry { retry_after: Some(Duration::from_secs(120)) });
        assert_eq!(verdict_of(503, &later), Verdict::Retry { retry_after: Some(Duration::from_secs(120)) });
        assert_eq!(verdict_of(500, &later), Verdict::Retry { retry_after: None }, "only on 429 and 503");
    }
}
