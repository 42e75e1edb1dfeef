//! `/admin/v1/tenants/{slug}/setup-links`: self-serve setup links (issue
//! 14) — issue one (its `url` shown once), list, revoke. The link opens
//! the tenant's setup pages without an admin token; every action through
//! it is audited as that link.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::resource::format_datetime;
use scim_store::{Revocation, SetupLink};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Admin;
use super::body::{at_most, json_body, seconds};
use super::problem::{AuthRefusals, Problem};
use crate::ops::admin_tokens::Scope;
use crate::ops::setup_links::{DEFAULT_TTL, MAX_TTL};
use crate::state::AppState;

/// A setup link as the admin API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupLinkView {
    pub id: Uuid,
    /// The visible start of the link's secret, to tell links apart.
    pub prefix: String,
    /// What the link may do: `scim`, `domains`.
    pub allow: Vec<String>,
    /// RFC 3339 times.
    pub created: String,
    pub expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// The admin token that issued it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Uuid>,
}

impl From<&SetupLink> for SetupLinkView {
    fn from(l: &SetupLink) -> SetupLinkView {
        SetupLinkView {
            id: l.id,
            prefix: l.prefix.clone(),
            allow: l.allow.clone(),
            created: format_datetime(l.created),
            expires: format_datetime(l.expires),
            last_used: l.last_used.map(format_datetime),
            revoked: l.revoked.map(format_datetime),
            created_by: l.created_by,
        }
    }
}

/// A link just issued: its representation and its URL (once).
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedSetupLinkView {
    #[serde(flatten)]
    pub link: SetupLinkView,
    /// The link to send: shown only in this answer.
    pub url: String,
}

/// The body of `POST …/setup-links`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSetupLink {
    /// Seconds until it expires: default 86400 (24 hours), at most 604800 (7 days).
    #[serde(default, deserialize_with = "seconds")]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 604_800)]
    pub expires_in: Option<u64>,
    /// What it may do (default both): `scim` (tokens and the IdP guides), `domains`.
    pub allow: Option<Vec<String>>,
}

/// A tenant's setup links.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupLinkList {
    pub items: Vec<SetupLinkView>,
}

/// Issues a setup link for the tenant.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/setup-links", tag = "setup-links",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = Option<NewSetupLink>, content_type = "application/json", description = "Optional: without a body, the defaults (24 hours, both scim and domains)"),
    responses(
        (status = 201, description = "Issued; the link is in `url`, shown only now", body = IssuedSetupLinkView, headers(("Location" = String))),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An expiry out of range, or an unknown `allow`", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn create_setup_link(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    // No body, or JSON `null` (as the OpenAPI document allows): the defaults.
    let new: NewSetupLink = match body.trim_ascii() {
        b"" | b"null" => NewSetupLink::default(),
        _ => json_body(&headers, &body)?,
    };
    let ttl = at_most("expires_in", new.expires_in, MAX_TTL.as_secs())?.map_or(DEFAULT_TTL, Duration::from_secs);
    let allow = new.allow.unwrap_or_else(|| vec!["scim".into(), "domains".into()]);
    let issued = state.ops.issue_setup_link(&ctx.tenant, ttl, &allow, Some(admin.principal.token)).await?;
    let detail = json!({"setup_link": {"created": issued.link.id, "allow": issued.link.allow}});
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 201, detail).await;
    let view = IssuedSetupLinkView { link: SetupLinkView::from(&issued.link), url: issued.url };
    let mut resp = (StatusCode::CREATED, Json(view)).into_response();
    let location =
        format!("{}/admin/v1/tenants/{}/setup-links/{}", state.ops.public_base(), ctx.tenant.slug, issued.link.id);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    // The link is a credential: no cache on the way keeps it.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Lists the tenant's setup links, oldest first.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/setup-links", tag = "setup-links",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant's setup links", body = SetupLinkList),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_setup_links(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<SetupLinkList>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let items = state.ops.list_setup_links(&ctx.tenant).await?.iter().map(SetupLinkView::from).collect();
    Ok(Json(SetupLinkList { items }))
}

/// Revokes a setup link: it stops at once. Revoking again answers the same.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/setup-links/{id}/revoke", tag = "setup-links",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The link's id")),
    responses(
        (status = 200, description = "Revoked (now or before)", body = SetupLinkView),
        (status = 404, description = "No such tenant or link", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn revoke_setup_link(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<SetupLinkView>, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let no_such = || Problem::not_found("no such setup link in this tenant");
    let id = Uuid::parse_str(&id).map_err(|_| no_such())?;
    if state.ops.revoke_setup_link(&ctx.tenant, id).await? == Revocation::Revoked {
        let detail = json!({"setup_link": {"revoked": id}});
        state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 200, detail).await;
    }
    let links = state.ops.list_setup_links(&ctx.tenant).await?;
    links.iter().find(|l| l.id == id).map(|l| Json(SetupLinkView::from(l))).ok_or_else(no_such)
}
