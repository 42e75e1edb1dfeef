//! The SCIM 2.0 protocol (RFC 7644) under `/scim/v2/{tenant}/`: resources
//! (Users, Groups), bulk, search, discovery, and SCIM-shaped answers for
//! unknown routes (404), wrong methods (405) and endpoints not offered yet
//! (501).

pub mod bulk;
pub mod cursor;
pub mod discovery;
pub mod etag;
pub mod groups;
pub mod json;
pub mod list;
pub mod members_json;
pub mod render;
pub mod resources;
pub mod search;
pub mod users;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{any, post};
use scim_core::ScimError;

use crate::auth::{require_token, resolve_tenant};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let protected = Router::new()
        .merge(users::router())
        .merge(groups::router())
        .route("/scim/v2/{tenant}/.search", post(search::search_root))
        .route("/scim/v2/{tenant}/Bulk", post(bulk::bulk))
        .route_layer(from_fn_with_state(state.clone(), require_token));
    Router::new()
        .merge(protected)
        .merge(discovery::router())
        .route("/scim/v2/{tenant}/Me", any(not_implemented))
        .route("/scim/v2/{tenant}/Me/{*rest}", any(not_implemented))
        .route_layer(from_fn_with_state(state.clone(), resolve_tenant))
}

/// `/Me` (RFC 7644 §3.11) is not offered yet.
async fn not_implemented() -> ApiError {
    ApiError::Scim(ScimError::new(501, None, "this endpoint is not implemented by this server"))
}

/// Any path no route matches.
pub async fn unknown_route() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// A known path with a method it does not allow.
pub async fn method_not_allowed() -> Response {
    let err = ScimError::new(405, None, "method not allowed on this endpoint");
    json::scim_response(StatusCode::METHOD_NOT_ALLOWED, &err.to_json())
}
