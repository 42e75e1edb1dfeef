//! The admin API (`/admin/v1`, DESIGN §6): JSON over HTTP for the
//! application that runs scimd, authenticated with admin tokens and
//! scopes, errors as RFC 9457 problem+json, described by an OpenAPI 3.1
//! document generated from the code. Each file holds one subject's
//! handlers; the rules are in [`crate::ops`].

pub mod audit;
pub mod audit_view;
pub mod auth;
pub mod body;
pub mod directory;
pub mod directory_view;
pub mod domains;
pub mod events;
pub mod oauth_clients;
pub mod openapi;
pub mod problem;
pub mod query;
pub mod setup_links;
pub mod streamed;
pub mod tenant_auth;
pub mod tenants;
pub mod tokens;
pub mod webhooks;

use axum::Router;
use axum::routing::{get, post};

use self::problem::Problem;
use crate::state::AppState;

/// The prefix every admin route lives under.
pub const PREFIX: &str = "/admin/v1";

/// The admin API's routes, to be merged at the root.
pub fn router() -> Router<AppState> {
    let routes = Router::new()
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/tenants", get(tenants::list_tenants).post(tenants::create_tenant))
        .route("/tenants/{slug}", get(tenants::get_tenant).patch(tenants::update_tenant).delete(tenants::delete_tenant))
        .route("/tenants/{slug}/tokens", get(tokens::list_tokens).post(tokens::create_token))
        .route("/tenants/{slug}/tokens/{id}", get(tokens::get_token))
        .route("/tenants/{slug}/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/tenants/{slug}/tokens/{id}/rotate", post(tokens::rotate_token))
        .route("/tenants/{slug}/oauth-clients", get(oauth_clients::list_clients).post(oauth_clients::create_client))
        .route("/tenants/{slug}/oauth-clients/{id}/revoke", post(oauth_clients::revoke_client))
        .route("/tenants/{slug}/setup-links", get(setup_links::list_setup_links).post(setup_links::create_setup_link))
        .route("/tenants/{slug}/setup-links/{id}/revoke", post(setup_links::revoke_setup_link))
        .route("/signing-keys", get(oauth_clients::list_signing_keys))
        .route("/signing-keys/rotate", post(oauth_clients::rotate_signing_key))
        .route("/tenants/{slug}/domains", get(domains::list_domains).post(domains::create_domain))
        .route(
            "/tenants/{slug}/domains/{domain}",
            get(domains::get_domain).patch(domains::update_domain).delete(domains::delete_domain),
        )
        .route("/tenants/{slug}/domains/{domain}/verify", post(domains::verify_domain))
        .route("/tenants/{slug}/audit", get(audit::search_audit))
        .route("/tenants/{slug}/audit/export", get(audit::export_audit))
        .route("/tenants/{slug}/events", get(events::read_tenant_events))
        .route("/events", get(events::read_all_events))
        .route("/webhooks", get(webhooks::list_webhooks).post(webhooks::create_webhook))
        .route(
            "/webhooks/{id}",
            get(webhooks::get_webhook).patch(webhooks::update_webhook).delete(webhooks::delete_webhook),
        )
        .route("/webhooks/{id}/enable", post(webhooks::enable_webhook))
        .route("/webhooks/{id}/disable", post(webhooks::disable_webhook))
        .route("/webhooks/{id}/rotate-secret", post(webhooks::rotate_webhook_secret))
        .route("/webhooks/{id}/deliveries", get(webhooks::list_deliveries))
        .route("/webhooks/{id}/replay", post(webhooks::replay_webhook))
        .route("/webhooks/{id}/ping", post(webhooks::ping_webhook))
        .route("/tenants/{slug}/users", get(directory::list_users))
        .route("/tenants/{slug}/users/{id}", get(directory::get_user))
        .route("/tenants/{slug}/groups", get(directory::list_groups))
        .route("/tenants/{slug}/groups/{id}", get(directory::get_group))
        .route("/tenants/{slug}/groups/{id}/members", get(directory::list_group_members))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new().nest(PREFIX, routes)
}

async fn unknown_route() -> Problem {
    Problem::not_found("no such admin API route; see /admin/v1/openapi.json")
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}
