//! The web admin (`/ui/`, issue 14): pages rendered on the server from
//! templates compiled into the binary (`templates/`), one stylesheet and
//! one small script (`assets/`), no build step. Operators log in with an
//! admin token; every page calls the same [`crate::ops`] as the admin API,
//! with the token's scopes, and every change is audited as that token.
//!
//! Every answer carries a Content-Security-Policy that allows no inline
//! script and no other origin, refuses framing, and is not cached; every
//! form is checked against the session's CSRF token and, where the
//! browser says, its origin ([`session`]).

pub mod audit;
pub mod chart;
pub mod directory;
pub mod domain_claims;
pub mod domains;
pub mod error;
pub mod events;
pub mod login;
pub mod page;
pub mod session;
pub mod settings;
pub mod setup;
pub mod tenants;
pub mod tokens;
pub mod webhooks;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use self::error::UiError;
use crate::state::AppState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The web admin's routes, to be merged at the root.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(tenants::front_page))
        .route("/ui/login", get(login::login_page).post(login::log_in))
        .route("/ui/logout", post(login::log_out))
        .route("/ui/tenants", get(tenants::list_tenants).post(tenants::create_tenant))
        .route("/ui/tenants/{slug}", get(tokens::tenant_page))
        .route("/ui/tenants/{slug}/tokens", post(tokens::create_token))
        .route("/ui/tenants/{slug}/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/ui/tenants/{slug}/tokens/{id}/rotate", post(tokens::rotate_token))
        .route("/ui/tenants/{slug}/domains", get(domains::domains_page).post(domains::add_domain))
        .route("/ui/tenants/{slug}/domains/{domain}/verify", post(domains::verify_domain))
        .route("/ui/tenants/{slug}/domains/{domain}/remove", post(domains::remove_domain))
        .route("/ui/tenants/{slug}/users", get(directory::users_page))
        .route("/ui/tenants/{slug}/users/{id}", get(directory::user_page))
        .route("/ui/tenants/{slug}/groups", get(directory::groups_page))
        .route("/ui/tenants/{slug}/groups/{id}", get(directory::group_page))
        .route("/ui/tenants/{slug}/settings", get(settings::settings_page).post(settings::save_settings))
        .route("/ui/tenants/{slug}/audit", get(audit::audit_page))
        .route("/ui/tenants/{slug}/audit/export", get(audit::export))
        .route("/ui/webhooks", get(webhooks::list_page))
        .route("/ui/webhooks/{id}", get(webhooks::webhook_page))
        .route("/ui/webhooks/{id}/ping", post(webhooks::ping))
        .route("/ui/webhooks/{id}/enable", post(webhooks::enable))
        .route("/ui/webhooks/{id}/disable", post(webhooks::disable))
        .route("/ui/webhooks/{id}/replay", post(webhooks::replay))
        .route("/ui/tenants/{slug}/events", get(events::events_page))
        .route("/ui/tenants/{slug}/events/poll", get(events::poll))
        .route("/ui/assets/ui.css", get(stylesheet))
        .route("/ui/assets/ui.js", get(script))
        .route("/ui/{*rest}", axum::routing::any(unknown_page))
        .merge(setup_router())
        .layer(middleware::from_fn(same_origin_forms))
        .layer(middleware::from_fn(security_headers))
}

/// The pages a setup link opens (`/setup/…`), without a referrer.
fn setup_router() -> Router<AppState> {
    Router::new()
        .route("/setup/", get(setup::home))
        .route("/setup/token", post(setup::generate_token))
        .route("/setup/domains", post(setup::claim_domain))
        .route("/setup/domains/{domain}/verify", post(setup::check_domain))
        .route("/setup/idp/{idp}", get(setup::idp_guide))
        .route("/setup/{secret}", get(setup::open_link))
        .layer(middleware::from_fn(setup::no_referrer))
}

async fn unknown_page() -> UiError {
    UiError::new(404, "Not found", "There is no such page.")
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/ui.css"))
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("assets/ui.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Compiled in: the same for the life of the binary.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    resp
}

/// The headers of every page: no inline script, no framing, no sniffing,
/// no caching of pages (they show secrets once and a tenant's people), and
/// no referrer beyond this origin.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    resp
}

/// A form posted from another site is refused before anything reads it:
/// by `Sec-Fetch-Site` where the browser sends it, else by `Origin`
/// against `Host`. (The CSRF token is checked too; this is the second
/// lock.)
async fn same_origin_forms(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD && !session::same_origin(req.headers()) {
        return UiError::new(403, "Refused", "This form was sent from another site.").into_response();
    }
    next.run(req).await
}
