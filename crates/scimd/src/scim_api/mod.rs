//! The SCIM 2.0 protocol (RFC 7644) under `/scim/v2/{tenant}/`: resources
//! (Users, Groups), bulk, search, discovery, and SCIM-shaped answers for
//! unknown routes (404), wrong methods (405) and endpoints not offered yet
//! (501). Handlers extract the request and call [`crate::ops`]; errors are
//! RFC 7644 §3.12 bodies ([`error`]).

pub mod bulk;
pub mod cursor;
pub mod discovery;
pub mod error;
pub mod etag;
pub mod json;
pub mod kinds;
pub mod list;
pub mod members_json;
pub mod params;
pub mod render;
pub mod resources;
pub mod response;
pub mod search;
pub mod tenancy;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{any, get, post};
use scim_core::ScimError;

use self::error::ApiError;
use self::kinds::{Groups, Kind, Users};
use self::tenancy::{require_token, resolve_tenant};
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let protected = Router::new()
        .merge(resource_routes::<Users>())
        .merge(resource_routes::<Groups>())
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

/// The routes of one resource type: its endpoint, `/.search` under it, and
/// its resources by id.
fn resource_routes<K: Kind>() -> Router<AppState> {
    let base = format!("/scim/v2/{{tenant}}/{}", K::KIND.endpoint());
    Router::new()
        .route(&base, get(list::list_resources::<K>).post(resources::create_resource::<K>))
        .route(&format!("{base}/.search"), post(search::search_kind::<K>))
        .route(
            &format!("{base}/{{id}}"),
            get(resources::get_resource::<K>)
                .put(resources::replace_resource::<K>)
                .patch(resources::patch_resource::<K>)
                .delete(resources::delete_resource::<K>),
        )
}

/// `/Me` (RFC 7644 §3.11) is not offered yet.
async fn not_implemented() -> ApiError {
    ScimError::new(501, None, "this endpoint is not implemented by this server").into()
}

/// Any path no route matches.
pub async fn unknown_route() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// A known path with a method it does not allow.
pub async fn method_not_allowed() -> Response {
    let err = ScimError::new(405, None, "method not allowed on this endpoint");
    response::scim_response(StatusCode::METHOD_NOT_ALLOWED, &err.to_json())
}
