//! `scimd serve` (DESIGN §8): binds, runs first-start setup, assembles the
//! routers and the operational layers (request id, tracing, body limit,
//! timeout, metrics), serves plain HTTP or native TLS (rustls with ring), and shuts
//! down gracefully on SIGTERM/SIGINT, finishing in-flight requests.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Request, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_server::Handle;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::access_log;
use crate::admin_api;
use crate::admin_ui;
use crate::auth::token_endpoint;
use crate::client_addr;
use crate::config::{Config, open_store, redact_url};
use crate::connections;
use crate::delivery::ssf_metadata;
use crate::first_run;
use crate::limits;
use crate::metrics;
use crate::ops::Ops;
use crate::ops::domains::RecheckPolicy;
use crate::rate_limit::Rate;
use crate::scim_api;
use crate::secrets_key;
use crate::state::{AppState, BulkSettings, RateLimits};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config, true).await?;
    let listener =
        std::net::TcpListener::bind(&config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let public_base = config.public_base(Some(addr));
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            // `no-provider` build: choose ring explicitly (an error only means
            // a provider is already installed).
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .with_context(|| format!("cannot load TLS certificate {} / key", cert.display()))?,
            )
        }
        _ => None,
    };

    let sealing = secrets_key::load(&config)?;
    let ops = Ops::new(store, public_base)
        .with_max_values(config.max_multi_values)
        .with_max_work(config.max_request_work)
        .with_sealing_key(sealing)
        .with_loopback_jwks(config.jwks_allow_loopback_http)
        .with_dns(config.dns())
        .with_webhook_policy(config.webhook_policy())
        .with_audit_retention_days(config.audit_retention_days);
    // The CLI prints SCIM URLs with the URL the server really serves at.
    ops.record_public_base().await?;
    // The key access tokens are signed with, from the first start on.
    ops.ensure_signing_key().await?;
    first_run::ensure_default_tenant(&ops).await?;
    warn_about_public_url(ops.public_base());
    tracing::info!(database = %redact_url(&config.database_url), %addr, public_url = %ops.public_base(), "starting");

    metrics::start();
    let rate_limits = RateLimits::new(
        Rate::new(config.rate_limit_per_tenant, config.rate_limit_tenant_burst),
        Rate::new(config.rate_limit_per_source, config.rate_limit_source_burst),
    )
    .with_client_rate(Rate::new(config.rate_limit_per_client, config.rate_limit_client_burst));
    let bulk = BulkSettings { limits: config.bulk_limits(), time: config.bulk_time() };
    let state = AppState::new(ops, config.max_page_size, bulk, rate_limits);
    tokio::spawn(flush_refusals(state.clone(), Duration::from_secs(config.audit_refusal_window_secs)));
    if config.audit_retention_days > 0 {
        tokio::spawn(prune_audit(state.clone(), Duration::from_secs(config.audit_retention_days * 86_400)));
    }
    crate::delivery::worker::start(state.clone())?;
    if config.event_retention_days > 0 {
        tokio::spawn(prune_events(state.clone(), Duration::from_secs(config.event_retention_days * 86_400)));
    }
    if config.domain_check_interval_secs > 0 {
        let policy = RecheckPolicy {
            every: Duration::from_secs(config.domain_check_interval_secs),
            give_up_after: Duration::from_secs(config.domain_check_days.saturating_mul(86_400)),
            batch: DOMAIN_CHECK_BATCH,
        };
        tokio::spawn(recheck_domains(state.clone(), policy));
    }
    tokio::spawn({
        let state = state.clone();
        async move { state.ops.report_shared_group_names().await }
    });
    tokio::spawn({
        let state = state.clone();
        async move { state.ops.forget_on_changes().await }
    });
    let on_exit = state.clone();
    let in_flight = connections::InFlight::default();
    let counted = in_flight.clone();
    let router = app(state, &config).layer(middleware::from_fn(move |req, next| counted.clone().track(req, next)));
    // Before routing: a base URL pasted with a trailing slash gives
    // `…/scim/v2/acme//Users`, which should reach `/Users`.
    let app =
        tower::ServiceBuilder::new().map_request(limits::collapse_slashes::<hyper::body::Incoming>).service(router);
    let app = axum::ServiceExt::<axum::http::Request<hyper::body::Incoming>>::into_make_service_with_connect_info::<
        SocketAddr,
    >(app);

    let handle: Handle<SocketAddr> = Handle::new();
    tokio::spawn(shutdown_on_signal(
        stop_signal(),
        handle.clone(),
        Duration::from_secs(config.shutdown_grace_secs),
        in_flight,
    ));

    // The one line scripts and tests wait for; stdout is flushed so a pipe
    // reader sees it at once.
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "scimd listening on {}://{addr}", config.scheme())?;
        out.flush()?;
    }
    let limit = config.connection_limit();
    tracing::info!(max_connections = limit, "serving");
    let mut server = axum_server::from_tcp(listener)?
        .handle(handle)
        // A new connection sends its first request head within this, or is
        // closed: half-sent requests and silent sockets cannot pile up.
        .first_request_timeout(Duration::from_secs(config.header_read_timeout_secs));
    // Later request heads on a kept-alive connection, and the connection's
    // idle time between requests, are bounded by hyper's header timer.
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(config.keep_alive_secs));
    let limited = connections::Limited::new(axum_server::accept::DefaultAcceptor, limit);
    match tls {
        Some(tls) => {
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(limited);
            server.acceptor(acceptor).serve(app).await?
        }
        None => server.acceptor(limited).serve(app).await?,
    }
    // What was counted since the last flush goes on record too.
    on_exit.ops.flush_refusals().await;
    tracing::info!("stopped");
    Ok(())
}

/// The whole HTTP application.
pub fn app(state: AppState, config: &Config) -> Router {
    let request_timeout = Duration::from_secs(config.request_timeout_secs);
    let max_body = config.max_body_bytes;
    let proxies = Arc::new(config.proxies());
    let layers = ServiceBuilder::new()
        .layer(middleware::from_fn(limits::request_id_filter))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Spans and response events at DEBUG: nothing per request at info
        // (no headers, no bodies, ever); server errors at ERROR.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::debug_span!("request", method = %req.method(), path = %req.uri().path(), request_id = id)
                })
                // A 5xx answer is not by itself an error of the server (a
                // 501 for `/Me`, a 503 while another process holds the
                // database): errors are logged where they happen, once
                // per kind (`ops::error`), not once per response.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(move |req, next| limits::time_limit(request_timeout, req, next)));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .route(token_endpoint::TOKEN_PATH, axum::routing::post(token_endpoint::issue_token))
        .route(token_endpoint::JWKS_PATH, get(token_endpoint::jwks))
        .route(token_endpoint::METADATA_PATH, get(token_endpoint::metadata))
        .route(ssf_metadata::SSF_CONFIGURATION_PATH, get(ssf_metadata::ssf_configuration))
        .merge(scim_api::router(&state))
        .merge(admin_api::router())
        .merge(admin_ui::router())
        .fallback(scim_api::unknown_route)
        .method_not_allowed_fallback(scim_api::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(move |req, next| limits::body_limit(max_body, req, next)))
        // Inside the router, where the matched route is known.
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn(access_log::record))
        .with_state(state)
        .layer(layers)
        .layer(middleware::from_fn(move |req, next| client_addr::resolve(Arc::clone(&proxies), req, next)))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.ops.store().ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "store is not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}

/// Writes the refusals counted for the audit log every `window` (see
/// `ops::audit`).
async fn flush_refusals(state: AppState, window: Duration) {
    let mut tick = tokio::time::interval(window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.ops.flush_refusals().await;
    }
}

/// Deletes audit entries older than `keep`, at start and then hourly.
async fn prune_audit(state: AppState, keep: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.ops.prune_audit(keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned audit entries past their retention"),
            Err(e) => tracing::warn!(error = %e, "could not prune the audit log"),
        }
    }
}

/// Deletes events older than `keep` (each tenant's newest stays), at start
/// and then hourly.
async fn prune_events(state: AppState, keep: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.ops.prune_events(keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned events past their retention"),
            Err(e) => tracing::warn!(error = %e, "could not prune the events"),
        }
    }
}

/// Pending domains one background round looks up at most.
const DOMAIN_CHECK_BATCH: u32 = 100;

/// Looks pending verified domains up again, each at most once per
/// `policy.every`, until they verify or `policy.give_up_after` has passed
/// since they were claimed.
async fn recheck_domains(state: AppState, policy: RecheckPolicy) {
    let mut tick = tokio::time::interval(policy.every.min(Duration::from_secs(60)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.ops.recheck_pending_domains(policy).await {
            tracing::warn!(error = %e, "could not re-check pending domains");
        }
    }
}

/// Cloud IdPs (Entra ID, Okta) only provision to public HTTPS endpoints.
fn warn_about_public_url(public_base: &str) {
    if public_base.starts_with("http://") {
        tracing::warn!(public_url = %public_base, "the SCIM URL is plain HTTP: cloud identity providers need HTTPS (use --tls-cert/--tls-key or a TLS proxy and --public-url)");
    }
    let host = public_base.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    let host = if public_base.contains("://[") {
        public_base.split("://[").nth(1).and_then(|h| h.split(']').next()).unwrap_or("")
    } else {
        host
    };
    let ip = host.parse::<std::net::IpAddr>().ok();
    if ip.is_some_and(|ip| ip.is_unspecified()) {
        tracing::warn!(public_url = %public_base, "listening on every interface without --public-url: {host} is not an address clients can use, so SCIM URLs and meta.location will not work; set --public-url (SCIMD_PUBLIC_URL) to the URL your identity provider reaches");
    }
    let loopback = host == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
    if loopback {
        tracing::warn!(public_url = %public_base, "the SCIM URL is a loopback address: identity providers elsewhere cannot reach it (set --public-url)");
    }
}

/// Waits for SIGTERM or SIGINT. The handlers are installed when this is
/// called, not when the future is first polled: the server calls it before
/// it prints that it is listening, so a stop sent as soon as that line
/// appears is a graceful stop, not the signal's default action.
#[cfg(unix)]
fn stop_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn wait(s: std::io::Result<Signal>, name: &'static str) {
        match s {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for {name}");
                std::future::pending::<()>().await;
            }
        }
    }
    let (term, int) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        tokio::select! {
            () = wait(term, "SIGTERM") => {}
            () = wait(int, "SIGINT") => {}
        }
    }
}

#[cfg(not(unix))]
fn stop_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}

async fn shutdown_on_signal(
    stop: impl std::future::Future<Output = ()>,
    handle: Handle<SocketAddr>,
    grace: Duration,
    in_flight: connections::InFlight,
) {
    stop.await;
    tracing::info!("shutting down: finishing in-flight requests");
    handle.graceful_shutdown(Some(grace));
    // New connections are refused now, kept-alive ones close after their
    // current answer. Connections with no request being answered (idle, or
    // a client still sending its request head) are not waited for: once no
    // request is in flight, whatever is left is closed.
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if in_flight.count() == 0 {
            handle.shutdown();
            return;
        }
    }
}
