//! `/admin/v1/tenants/{slug}/tokens`: a tenant's SCIM bearer tokens —
//! issue one (the secret in `token`, shown once), list, read, revoke, and
//! rotate with an overlap during which the old secret still works.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::resource::format_datetime;
use scim_store::TokenInfo;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Admin;
use super::body::{at_most, json_body, seconds};
use super::problem::{AuthRefusals, Problem};
use crate::ops::admin_tokens::Scope;
use crate::ops::tokens::IssuedToken;
use crate::state::AppState;

/// The longest expiry a token can be issued with: ten years.
const MAX_EXPIRES_IN: u64 = 315_360_000;
/// The longest overlap of a rotation: 30 days.
const MAX_OVERLAP: u64 = 2_592_000;

/// A SCIM token as the admin API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The visible start of the secret, to tell tokens apart.
    pub prefix: String,
    /// RFC 3339 times; absent when not set.
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    /// The `User-Agent` of the request that last recorded a use (at most
    /// 200 characters, control characters removed); absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// The token this one replaced (a rotation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Uuid>,
}

impl From<&TokenInfo> for TokenView {
    fn from(t: &TokenInfo) -> TokenView {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created: format_datetime(t.created),
            expires: t.expires.map(format_datetime),
            last_used: t.last_used.map(format_datetime),
            last_user_agent: t.last_user_agent.clone(),
            revoked: t.revoked.map(format_datetime),
            replaces: t.replaces,
        }
    }
}

/// A token just issued: its representation, the secret (once) and the
/// SCIM URL it is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTokenView {
    #[serde(flatten)]
    pub token: TokenView,
    /// The secret, `scimd_…`: shown only in this answer.
    #[serde(rename = "token")]
    pub secret: String,
    pub scim_url: String,
}

/// The body of `POST …/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label, e.g. the identity provider's name (default: `default`).
    pub name: Option<String>,
    /// Seconds until it expires, at most ten years (default: never).
    #[serde(default, deserialize_with = "seconds")]
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 315_360_000)]
    pub expires_in: Option<u64>,
}

/// The body of `POST …/tokens/{id}/rotate`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Seconds the old secret keeps working, at most 30 days (default 0:
    /// it stops at once).
    #[serde(default, deserialize_with = "seconds")]
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 2_592_000)]
    pub overlap_seconds: Option<u64>,
}

/// A tenant's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

fn issued(state: &AppState, slug: &str, issued: &IssuedToken) -> Response {
    let view = IssuedTokenView {
        token: TokenView::from(&issued.info),
        secret: issued.secret.clone(),
        scim_url: state.ops.scim_url(slug),
    };
    let mut resp = (StatusCode::CREATED, Json(view)).into_response();
    let location = format!("{}/admin/v1/tenants/{slug}/tokens/{}", state.ops.public_base(), issued.info.id);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    // A secret must not be kept by a cache on the way (RFC 6749 §5.1 asks the same of token answers).
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Issues a SCIM token for the tenant.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/tokens", tag = "tokens",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = NewToken, content_type = "application/json"),
    responses(
        (status = 201, description = "Issued; the secret is in `token`, shown only now", body = IssuedTokenView, headers(("Location" = String))),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An expiry past ten years", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn create_token(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let new: NewToken = json_body(&headers, &body)?;
    let name = new.name.as_deref().unwrap_or("default");
    let expires_in = at_most("expires_in", new.expires_in, MAX_EXPIRES_IN)?;
    let token = state.ops.issue_token(&ctx.tenant, name, expires_in.map(Duration::from_secs)).await?;
    let detail = json!({"token": {"created": token.info.id, "name": token.info.name}});
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 201, detail).await;
    Ok(issued(&state, &ctx.tenant.slug, &token))
}

/// Lists the tenant's tokens, oldest first.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/tokens", tag = "tokens",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant's tokens", body = TokenList),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<TokenList>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let items = state.ops.list_tokens(&ctx.tenant).await?.iter().map(TokenView::from).collect();
    Ok(Json(TokenList { items }))
}

/// One of the tenant's tokens.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/tokens/{id}", tag = "tokens",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token", body = TokenView),
        (status = 404, description = "No such tenant or token", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn get_token(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<TokenView>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let id = token_id(&id)?;
    Ok(Json(find_token(&state, &ctx.tenant, id).await?))
}

/// Revokes one of the tenant's tokens: refused within a second by every
/// server. Revoking again answers the same, with the first time.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/tokens/{id}/revoke", tag = "tokens",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 200, description = "Revoked (now or before)", body = TokenView),
        (status = 404, description = "No such tenant or token", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<TokenView>, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let id = token_id(&id)?;
    let outcome = state.ops.revoke_token(&ctx.tenant, id).await?;
    if outcome == scim_store::Revocation::Revoked {
        state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 200, json!({"token": {"revoked": id}})).await;
    }
    Ok(Json(find_token(&state, &ctx.tenant, id).await?))
}

/// Issues a new secret in place of a token; the old one keeps working for
/// `overlap_seconds`, then stops.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/tokens/{id}/rotate", tag = "tokens",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The token's id")),
    request_body(content = Rotation, content_type = "application/json"),
    responses(
        (status = 201, description = "The new token; the secret is in `token`, shown only now", body = IssuedTokenView, headers(("Location" = String))),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant or token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The token is revoked or expired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An overlap past 30 days", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn rotate_token(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let id = token_id(&id)?;
    let rotation: Rotation = if body.is_empty() { Rotation::default() } else { json_body(&headers, &body)? };
    let overlap = Duration::from_secs(at_most("overlap_seconds", rotation.overlap_seconds, MAX_OVERLAP)?.unwrap_or(0));
    let token = state.ops.rotate_token(&ctx.tenant, id, overlap).await?;
    let detail = json!({"token": {"rotated": id, "to": token.info.id, "overlap_seconds": overlap.as_secs()}});
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 201, detail).await;
    Ok(issued(&state, &ctx.tenant.slug, &token))
}

/// One of `tenant`'s tokens as shown, or 404.
async fn find_token(state: &AppState, tenant: &scim_store::Tenant, id: Uuid) -> Result<TokenView, Problem> {
    let tokens = state.ops.list_tokens(tenant).await?;
    tokens.iter().find(|t| t.id == id).map(TokenView::from).ok_or_else(|| no_such_token(id))
}

fn token_id(s: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(s).map_err(|_| no_such_token_text(s))
}

fn no_such_token(id: Uuid) -> Problem {
    Problem::not_found(format!("no token {id} in this tenant"))
}

fn no_such_token_text(s: &str) -> Problem {
    Problem::not_found(format!("no token {:?} in this tenant", crate::ops::audit::bounded(s, 64)))
}
