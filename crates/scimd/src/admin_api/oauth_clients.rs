//! `/admin/v1/tenants/{slug}/oauth-clients`: a tenant's OAuth 2.0 clients
//! (RFC 6749 §2, client credentials) — register one (`client_id` and
//! `client_secret`, the secret shown once), list, revoke (its live access
//! tokens are refused within a second) — and `/admin/v1/signing-keys`:
//! the keys scimd signs access tokens with, listed and rotated.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::resource::format_datetime;
use scim_store::{OAuthClient, Revocation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Admin;
use super::body::json_body;
use super::problem::{AuthRefusals, Problem};
use crate::auth::token_endpoint::TOKEN_PATH;
use crate::ops::admin_tokens::Scope;
use crate::state::AppState;

/// An OAuth client as the admin API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    /// The `client_id` to give the token endpoint.
    pub client_id: Uuid,
    pub name: String,
    /// The visible start of the secret.
    pub prefix: String,
    /// The scopes it may be granted.
    pub scopes: Vec<String>,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

impl From<&OAuthClient> for ClientView {
    fn from(c: &OAuthClient) -> ClientView {
        ClientView {
            client_id: c.id,
            name: c.name.clone(),
            prefix: c.prefix.clone(),
            scopes: c.scopes.clone(),
            created: format_datetime(c.created),
            last_used: c.last_used.map(format_datetime),
            revoked: c.revoked.map(format_datetime),
        }
    }
}

/// A client just registered: the secret (once) and where to use it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredClientView {
    #[serde(flatten)]
    pub client: ClientView,
    /// Shown only in this answer.
    pub client_secret: String,
    /// The token endpoint to ask for access tokens.
    pub token_endpoint: String,
    /// The SCIM base URL the access tokens are valid on.
    pub scim_url: String,
}

/// The body of `POST …/oauth-clients`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// A label (default: `default`).
    pub name: Option<String>,
    /// The scopes it may be granted (default: `["admin"]`).
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A tenant's clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub items: Vec<ClientView>,
}

/// Registers an OAuth client for the tenant.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/oauth-clients", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = NewClient, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; the secret is in `client_secret`, shown only now", body = RegisteredClientView, headers(("Location" = String))),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A scope or name that is not one", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn create_client(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let new: NewClient = json_body(&headers, &body)?;
    let name = new.name.as_deref().unwrap_or("default");
    let registered = state.ops.register_oauth_client(&ctx.tenant, name, &new.scopes).await?;
    let c = &registered.client;
    let detail = json!({"oauth_client": {"created": c.id, "name": c.name, "scopes": c.scopes}});
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 201, detail).await;
    let base = state.ops.public_base();
    let view = RegisteredClientView {
        client: ClientView::from(c),
        client_secret: registered.secret.clone(),
        token_endpoint: format!("{base}{TOKEN_PATH}"),
        scim_url: state.ops.scim_url(&ctx.tenant.slug),
    };
    let mut resp = (StatusCode::CREATED, Json(view)).into_response();
    let location = format!("{base}/admin/v1/tenants/{}/oauth-clients/{}", ctx.tenant.slug, c.id);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Lists the tenant's OAuth clients, oldest first.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/oauth-clients", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant's clients", body = ClientList),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_clients(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<ClientList>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let items = state.ops.list_oauth_clients(&ctx.tenant).await?.iter().map(ClientView::from).collect();
    Ok(Json(ClientList { items }))
}

/// Revokes a client: no more tokens, and its live access tokens are
/// refused within a second. Revoking again answers the same.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/oauth-clients/{client_id}/revoke", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug"), ("client_id" = Uuid, Path, description = "The client's id")),
    responses(
        (status = 200, description = "Revoked (now or before)", body = ClientView),
        (status = 404, description = "No such tenant or client", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn revoke_client(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<ClientView>, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let no_such = || Problem::not_found("no such OAuth client in this tenant");
    let id = Uuid::parse_str(&id).map_err(|_| no_such())?;
    let outcome = state.ops.revoke_oauth_client(&ctx.tenant, id).await?;
    if outcome == Revocation::Revoked {
        let detail = json!({"oauth_client": {"revoked": id}});
        state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 200, detail).await;
    }
    let clients = state.ops.list_oauth_clients(&ctx.tenant).await?;
    clients.iter().find(|c| c.id == id).map(|c| Json(ClientView::from(c))).ok_or_else(no_such)
}

/// A signing key as the admin API shows it: its public half.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyView {
    pub kid: String,
    pub alg: String,
    pub created: String,
    /// When it stopped signing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<String>,
    /// Whether `/.well-known/jwks.json` still publishes it.
    pub published: bool,
    #[schema(value_type = Object)]
    pub public_jwk: serde_json::Value,
}

/// scimd's signing keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyList {
    pub items: Vec<SigningKeyView>,
}

async fn key_list(state: &AppState) -> Result<SigningKeyList, Problem> {
    let keys = state.ops.list_signing_keys().await?;
    let items = keys
        .into_iter()
        .map(|(k, published)| SigningKeyView {
            kid: k.kid,
            alg: k.alg,
            created: format_datetime(k.created),
            retired: k.retired.map(format_datetime),
            published,
            public_jwk: k.public_jwk,
        })
        .collect();
    Ok(SigningKeyList { items })
}

/// The keys scimd signs access tokens with, newest first.
#[utoipa::path(
    get, path = "/admin/v1/signing-keys", tag = "oauth",
    responses((status = 200, description = "The keys, newest first", body = SigningKeyList), AuthRefusals),
    security(("admin_token" = ["admin"]))
)]
pub async fn list_signing_keys(State(state): State<AppState>, admin: Admin) -> Result<Json<SigningKeyList>, Problem> {
    admin.require(Scope::Admin)?;
    server_wide(&admin)?;
    Ok(Json(key_list(&state).await?))
}

/// Puts a new signing key in use; the one before keeps being published
/// until the tokens it signed have expired.
#[utoipa::path(
    post, path = "/admin/v1/signing-keys/rotate", tag = "oauth",
    responses((status = 200, description = "The keys after the rotation, the new one first", body = SigningKeyList), AuthRefusals),
    security(("admin_token" = ["admin"]))
)]
pub async fn rotate_signing_key(State(state): State<AppState>, admin: Admin) -> Result<Json<SigningKeyList>, Problem> {
    admin.require(Scope::Admin)?;
    server_wide(&admin)?;
    let kid = state.ops.rotate_signing_key().await?;
    state.ops.record_admin_change(None, admin.audit, 200, json!({"signing_key": {"rotated_to": kid}})).await;
    Ok(Json(key_list(&state).await?))
}

/// The signing keys serve every tenant: a token limited to some cannot
/// touch them.
fn server_wide(admin: &Admin) -> Result<(), Problem> {
    if admin.principal.is_limited() {
        return Err(Problem::tenant_not_allowed("a token limited to some tenants cannot manage the signing keys"));
    }
    Ok(())
}
