//! `GET /.well-known/ssf-configuration`: scimd as an OpenID Shared
//! Signals Framework transmitter (SSF 1.0 §7.1): its issuer (the same as
//! in the OAuth metadata and in every SET's `iss`), the JWKS its SETs are
//! signed with, push delivery (RFC 8935) and the event types it sends.
//! Streams are configured as webhook endpoints with `format: "set"`
//! through the admin API, not through SSF's stream management.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::set::{CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_ENABLED, RISC_ACCOUNT_PURGED};
use crate::auth::token_endpoint::JWKS_PATH;
use crate::ops::oauth::issuer_of;
use crate::state::AppState;

pub const SSF_CONFIGURATION_PATH: &str = "/.well-known/ssf-configuration";

pub async fn ssf_configuration(State(state): State<AppState>) -> Response {
    let base = state.ops.public_base();
    Json(json!({
        "spec_version": "1_0",
        "issuer": issuer_of(base),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "delivery_methods_supported": ["urn:ietf:rfc:8935"],
        "events_supported": [CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_ENABLED, RISC_ACCOUNT_PURGED],
    }))
    .into_response()
}
