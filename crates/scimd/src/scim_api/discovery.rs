//! Service provider discovery (RFC 7644 §4; RFC 7643 §5-§7): the
//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` of a tenant.
//! They need no token, so an IdP can probe the server before it is set up:
//! without one they show the standard schemas, for any tenant path; the
//! tenant's own extensions show to callers with its token ([`Discovery`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use scim_core::schema::{resource_type_json, schema_json};
use serde_json::{Value, json};

use super::error::ApiError;
use super::list::LIST_RESPONSE_URN;
use super::params::PathParams;
use super::response::scim_response;
use super::tenancy::Discovery;
use crate::state::AppState;

pub const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// The `cursorTimeout` advertised (a day): cursors hold a place in the list,
/// not server state, so they outlive it.
const CURSOR_TIMEOUT_SECS: u64 = 86_400;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/{tenant}/ServiceProviderConfig", get(get_service_provider_config))
        .route("/scim/v2/{tenant}/ResourceTypes", get(list_resource_types))
        .route("/scim/v2/{tenant}/ResourceTypes/{name}", get(get_resource_type))
        .route("/scim/v2/{tenant}/Schemas", get(list_schemas))
        .route("/scim/v2/{tenant}/Schemas/{urn}", get(get_schema))
}

/// What the server really supports (RFC 7643 §5).
/// The bulk limits are the ones `/Bulk` enforces (see [`super::bulk`]).
async fn get_service_provider_config(State(state): State<AppState>, view: Discovery) -> Response {
    let bulk = &state.bulk;
    let body = json!({
        "schemas": [SPC_URN],
        "documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
        "patch": { "supported": true },
        "bulk": { "supported": true, "maxOperations": bulk.max_operations, "maxPayloadSize": bulk.max_payload_bytes },
        "filter": { "supported": true, "maxResults": state.max_page_size },
        // RFC 9865 §4. Cursors are stateless and never expire: the timeout
        // is only the least a client may count on.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": state.max_page_size,
            "maxPageSize": state.max_page_size,
            "cursorTimeout": CURSOR_TIMEOUT_SECS,
        },
        "changePassword": { "supported": true },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token issued by `scimd token create`",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", view.base_url),
        },
    });
    scim_response(StatusCode::OK, &body)
}

fn list_of(resources: Vec<Value>) -> Response {
    let n = resources.len();
    scim_response(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_RESPONSE_URN],
            "totalResults": n,
            "itemsPerPage": n,
            "startIndex": 1,
            "Resources": resources,
        }),
    )
}

async fn list_resource_types(view: Discovery) -> Response {
    list_of(view.registry.resource_types().iter().map(|rt| resource_type_json(rt, &view.base_url)).collect())
}

async fn get_resource_type(view: Discovery, params: PathParams) -> Result<Response, ApiError> {
    let name = params.get("name");
    let rt = view
        .registry
        .resource_types()
        .iter()
        .find(|rt| rt.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| ApiError::not_found(format!("no resource type {name:?}")))?;
    Ok(scim_response(StatusCode::OK, &resource_type_json(rt, &view.base_url)))
}

async fn list_schemas(view: Discovery) -> Response {
    list_of(view.registry.schemas().iter().map(|s| schema_json(s, &view.base_url)).collect())
}

async fn get_schema(view: Discovery, params: PathParams) -> Result<Response, ApiError> {
    let urn = params.get("urn");
    let schema = view.registry.schema(urn).ok_or_else(|| ApiError::not_found(format!("no schema {urn:?}")))?;
    Ok(scim_response(StatusCode::OK, &schema_json(schema, &view.base_url)))
}
