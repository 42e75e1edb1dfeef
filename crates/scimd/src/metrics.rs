//! Prometheus metrics (DESIGN §8): the recorder, the per-request layer and
//! `GET /metrics`.
//!
//! Labels are bounded on purpose: a request is labelled with its route
//! template (`/scim/v2/{tenant}/Users/{id}`), never its path, and never a
//! tenant, token or resource id, so neither cardinality nor anything a
//! tenant owns reaches the scrape. `/metrics` needs no token, like
//! `/healthz`; where the listener is public, keep it from the internet at the
//! proxy (README, "Operation").
//!
//! Metrics:
//! - `scimd_http_requests_total{method,route,status}` (counter; status
//!   `cancelled` for a request that timed out or whose client went away)
//! - `scimd_http_request_duration_seconds{method,route}` (histogram)
//! - `scimd_http_requests_in_flight` (gauge)
//! - `scimd_store_write_batch_jobs`, `scimd_store_write_batch_seconds`
//!   (histograms, recorded by the SQLite writer: writes per group commit and
//!   how long each batch took to commit)
//! - `scimd_build_info{version}` (gauge, always 1)

use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const REQUESTS: &str = "scimd_http_requests_total";
const DURATION: &str = "scimd_http_request_duration_seconds";
const IN_FLIGHT: &str = "scimd_http_requests_in_flight";

/// Latency buckets from 0.5 ms (a point read) to 10 s (a 100,000-member
/// group, a deep page), in seconds.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Writes per group commit of the SQLite writer (it takes at most 256).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process-wide recorder, installed on first use. One per process: the
/// `metrics` macros write to a global recorder.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.into()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full("scimd_store_write_batch_seconds".into()), LATENCY_BUCKETS)
            })
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("scimd_store_write_batch_jobs".into()), BATCH_BUCKETS))
            // Only fails on an empty bucket list, which these are not.
            .unwrap_or_default()
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: /metrics will be empty");
        }
        metrics::describe_counter!(REQUESTS, "HTTP requests answered, by method, route template and status");
        metrics::describe_histogram!(DURATION, metrics::Unit::Seconds, "Time to answer an HTTP request");
        metrics::describe_gauge!(IN_FLIGHT, "HTTP requests being answered");
        metrics::describe_histogram!("scimd_store_write_batch_jobs", "Writes committed together by the SQLite writer");
        metrics::describe_histogram!(
            "scimd_store_write_batch_seconds",
            metrics::Unit::Seconds,
            "Time the SQLite writer took to run and commit one batch"
        );
        metrics::gauge!("scimd_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

/// Installs the recorder and drains its histograms every second (the
/// exporter without its HTTP listener leaves that to us; until then it keeps
/// each sample, 8 bytes a request).
pub fn start() {
    let handle = handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

/// `GET /metrics`: the Prometheus text exposition format.
pub async fn render() -> Response {
    let mut resp = handle().render().into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}

/// Counts and times every request, labelled by its method, its route
/// template (`unmatched` for paths no route serves) and its status;
/// `cancelled` when it ended without an answer from here (the request
/// timeout answered 408, or the client went away).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut tracked = Tracked::start(method_label(req.method()), route);
    let resp = next.run(req).await;
    tracked.finish(Some(resp.status()));
    resp
}

/// The method as a label: the standard ones by name, any other (a client
/// may send any token) as `other`, so that labels stay few.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A request being answered: in the in-flight gauge until dropped, recorded
/// once, as `cancelled` if dropped unfinished.
struct Tracked {
    method: &'static str,
    route: Option<MatchedPath>,
    started: Instant,
    in_flight: metrics::Gauge,
    done: bool,
}

impl Tracked {
    fn start(method: &'static str, route: Option<MatchedPath>) -> Tracked {
        // One handle for the process: the macro hashes its key on each call.
        static GAUGE: OnceLock<metrics::Gauge> = OnceLock::new();
        let in_flight = GAUGE.get_or_init(|| metrics::gauge!(IN_FLIGHT)).clone();
        in_flight.increment(1.0);
        Tracked { method, route, started: Instant::now(), in_flight, done: false }
    }

    fn finish(&mut self, status: Option<StatusCode>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let route = self.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        let (requests, duration) = handles(self.method, route, status.map_or(0, |s| s.as_u16()));
        duration.record(self.started.elapsed().as_secs_f64());
        requests.increment(1);
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.finish(None);
        self.in_flight.decrement(1.0);
    }
}

type Handles = (metrics::Counter, metrics::Histogram);
/// By (method, status), then by route: looked up with the route as `&str`,
/// so a request that finds its handles allocates nothing.
type HandleCache = RwLock<HashMap<(&'static str, u16), HashMap<Box<str>, Handles>>>;

/// The counter and histogram of one method, route and status (0:
/// cancelled). Cached: the `metrics` macros build and hash a labelled key on
/// every call, which cost about a tenth of a point read. Every label is
/// from a small set (methods above, the router's templates, statuses).
fn handles(method: &'static str, route: &str, status: u16) -> Handles {
    static CACHE: OnceLock<HandleCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(h) = cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(method, status))
        .and_then(|by_route| by_route.get(route))
    {
        return h.clone();
    }
    let label = if status == 0 { "cancelled".to_owned() } else { status.to_string() };
    let h = (
        metrics::counter!(REQUESTS, "method" => method, "route" => route.to_owned(), "status" => label),
        metrics::histogram!(DURATION, "method" => method, "route" => route.to_owned()),
    );
    let mut map = cache.write().unwrap_or_else(PoisonError::into_inner);
    map.entry((method, status)).or_default().insert(route.into(), h.clone());
    h
}
