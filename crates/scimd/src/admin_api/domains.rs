//! `/admin/v1/tenants/{slug}/domains`: a tenant's verified domains (issue
//! 11 item 5) — claim one (pending, with the TXT record to publish), list,
//! read, verify (DNS, or `manual`), change whether it covers subdomains,
//! give it up. Handlers are thin: the rules are in
//! [`crate::ops::domains`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::resource::format_datetime;
use scim_store::Domain;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::auth::Admin;
use super::body::json_body;
use super::problem::{AuthRefusals, Problem};
use crate::ops::admin_tokens::Scope;
use crate::ops::domain_names::txt_name;
use crate::ops::domains::{DomainError, DomainRequest};
use crate::state::AppState;

/// A domain a tenant claims, as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainView {
    /// Normalised: lower case, no trailing dot.
    pub domain: String,
    /// `pending` until verified, then `verified`.
    #[schema(pattern = "^(pending|verified)$")]
    pub state: &'static str,
    /// The name to publish the TXT record under: `_scimd-challenge.<domain>`.
    pub txt_name: String,
    /// The value the TXT record must hold: `scimd-verification=<random>`.
    pub txt_value: String,
    /// Whether the verified domain also covers its subdomains.
    pub include_subdomains: bool,
    /// RFC 3339.
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// `dns` or `manual`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(dns|manual)$")]
    pub verified_by: Option<&'static str>,
    /// The last verification attempt (an explicit verify or the background re-check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
    /// Its outcome in plain words: why a domain is still pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_result: Option<String>,
}

impl From<&Domain> for DomainView {
    fn from(d: &Domain) -> DomainView {
        DomainView {
            domain: d.domain.clone(),
            state: if d.is_verified() { "verified" } else { "pending" },
            txt_name: txt_name(&d.domain),
            txt_value: d.txt_value.clone(),
            include_subdomains: d.include_subdomains,
            created: format_datetime(d.created),
            verified_at: d.verified_at.map(format_datetime),
            verified_by: d.verified_by.map(|b| b.as_str()),
            last_checked: d.last_checked.map(format_datetime),
            last_result: d.last_result.clone(),
        }
    }
}

/// The body of `POST …/domains`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDomain {
    /// A hostname of at least two labels (an internationalised one in its `xn--` form).
    #[schema(min_length = 1, max_length = 254)]
    pub domain: String,
    /// Whether, once verified, it also covers its subdomains (default false).
    pub include_subdomains: Option<bool>,
    /// Claim it even though another tenant has verified it (audited).
    #[serde(rename = "override")]
    pub override_verified: Option<bool>,
}

/// The body of `POST …/domains/{domain}/verify` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// `true`: an operator checked control by other means; no DNS look-up.
    pub manual: Option<bool>,
}

/// The body of `PATCH …/domains/{domain}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainChange {
    pub include_subdomains: bool,
}

/// A tenant's domains, in domain order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainList {
    pub items: Vec<DomainView>,
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Problem {
        let detail = e.to_string();
        match e {
            DomainError::Invalid(_) => Problem::new(422, "invalid-value", "Invalid value", detail),
            DomainError::Consumer { .. } => Problem::new(422, "consumer-domain", "Consumer mail domain", detail),
            DomainError::VerifiedElsewhere { .. } => {
                Problem::new(409, "domain-verified-elsewhere", "Verified by another tenant", detail)
            }
            DomainError::AlreadyClaimed(_) => Problem::new(409, "conflict", "Conflict", detail),
            DomainError::NotFound(_) => Problem::not_found(detail),
            DomainError::Op(e) => Problem::from(e),
        }
    }
}

fn location(state: &AppState, slug: &str, domain: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{}/admin/v1/tenants/{slug}/domains/{domain}", state.ops.public_base())).ok()
}

/// Claims a domain for the tenant: pending until its TXT record is found
/// (or an operator verifies it manually).
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/domains", tag = "domains",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = NewDomain, content_type = "application/json"),
    responses(
        (status = 201, description = "Claimed, pending; publish `txt_value` at `txt_name`", body = DomainView,
         headers(("Location" = String))),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant claims it already (`conflict`), or another tenant has verified it \
         (`domain-verified-elsewhere`; `override` claims it anyway)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a hostname of two labels or more (`invalid-value`), or a consumer mail \
         domain (`consumer-domain`)", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn create_domain(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let new: NewDomain = json_body(&headers, &body)?;
    let req = DomainRequest {
        domain: &new.domain,
        include_subdomains: new.include_subdomains.unwrap_or(false),
        override_verified: new.override_verified.unwrap_or(false),
    };
    let added = state.ops.add_domain(&ctx.tenant, req).await?;
    let d = &added.domain;
    let mut detail = json!({"domain": {"added": d.domain, "include_subdomains": d.include_subdomains}});
    if let Some(held) = &added.overrode {
        detail["domain"]["override"] = json!({"verified_by_another_tenant": held});
    }
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 201, detail).await;
    let mut resp = (StatusCode::CREATED, Json(DomainView::from(d))).into_response();
    if let Some(l) = location(&state, &ctx.tenant.slug, &d.domain) {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    Ok(resp)
}

/// Lists the tenant's domains, in domain order.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/domains", tag = "domains",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant's domains", body = DomainList),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_domains(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<DomainList>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let items = state.ops.list_domains(&ctx.tenant).await?.iter().map(DomainView::from).collect();
    Ok(Json(DomainList { items }))
}

/// One of the tenant's domains.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/domains/{domain}", tag = "domains",
    params(("slug" = String, Path, description = "The tenant's slug"), ("domain" = String, Path, description = "The domain")),
    responses(
        (status = 200, description = "The domain", body = DomainView),
        (status = 404, description = "No such tenant, or the tenant does not claim it", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn get_domain(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, domain)): Path<(String, String)>,
) -> Result<Json<DomainView>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    Ok(Json(DomainView::from(&state.ops.domain(&ctx.tenant, &domain).await?)))
}

/// Verifies a pending domain: looks its TXT record up, or with
/// `{"manual": true}` records that an operator checked by other means.
/// Answers the domain: `verified`, or `pending` with the reason in
/// `last_result`. A verified domain is answered as it is.
#[utoipa::path(
    post, path = "/admin/v1/tenants/{slug}/domains/{domain}/verify", tag = "domains",
    params(("slug" = String, Path, description = "The tenant's slug"), ("domain" = String, Path, description = "The domain")),
    request_body(content = Option<Verification>, content_type = "application/json"),
    responses(
        (status = 200, description = "The domain after the attempt: `verified`, or `pending` with `last_result`", body = DomainView),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant, or the tenant does not claim it", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body not sent as JSON", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn verify_domain(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, domain)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DomainView>, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let verification: Verification =
        if body.is_empty() { Verification::default() } else { json_body(&headers, &body)? };
    let manual = verification.manual.unwrap_or(false);
    let before = state.ops.domain(&ctx.tenant, &domain).await?;
    let after = state.ops.verify_domain(&ctx.tenant, &before.domain, manual).await?;
    if after != before {
        let detail = json!({"domain": {
            "verify": after.domain,
            "manual": manual,
            "state": if after.is_verified() { "verified" } else { "pending" },
            "result": after.last_result,
        }});
        state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 200, detail).await;
    }
    Ok(Json(DomainView::from(&after)))
}

/// Changes whether the domain covers its subdomains.
#[utoipa::path(
    patch, path = "/admin/v1/tenants/{slug}/domains/{domain}", tag = "domains",
    params(("slug" = String, Path, description = "The tenant's slug"), ("domain" = String, Path, description = "The domain")),
    request_body(content = DomainChange, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The domain as changed (or unchanged)", body = DomainView),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant, or the tenant does not claim it", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn update_domain(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, domain)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DomainView>, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let change: DomainChange = json_body(&headers, &body)?;
    let before = state.ops.domain(&ctx.tenant, &domain).await?;
    if before.include_subdomains == change.include_subdomains {
        return Ok(Json(DomainView::from(&before)));
    }
    let after = state.ops.set_include_subdomains(&ctx.tenant, &before.domain, change.include_subdomains).await?;
    let detail = json!({"domain": {"changed": after.domain, "include_subdomains": after.include_subdomains}});
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 200, detail).await;
    Ok(Json(DomainView::from(&after)))
}

/// Gives a domain up. Users already in it stay as they are; with
/// enforcement on, new addresses in it are refused from now on.
#[utoipa::path(
    delete, path = "/admin/v1/tenants/{slug}/domains/{domain}", tag = "domains",
    params(("slug" = String, Path, description = "The tenant's slug"), ("domain" = String, Path, description = "The domain")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such tenant, or the tenant does not claim it", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn delete_domain(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, domain)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let removed = state.ops.remove_domain(&ctx.tenant, &domain).await?;
    let detail = json!({"domain": {"removed": removed.domain, "was": if removed.is_verified() { "verified" } else { "pending" }}});
    state.ops.record_admin_change(Some(ctx.tenant.id), admin.audit, 204, detail).await;
    Ok(StatusCode::NO_CONTENT)
}
