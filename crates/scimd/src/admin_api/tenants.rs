//! `/admin/v1/tenants`: create, list (cursor paging, in slug order) and
//! read tenants. Handlers are thin: authenticate, check the scope, call
//! [`crate::ops`], shape the answer.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scim_core::resource::format_datetime;
use scim_core::schema::UnknownExtensions;
use scim_store::{AuditContext, DeletePolicy, Tenant, TenantSettings};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::Admin;
use super::body::json_body;
use super::problem::{AuthRefusals, Problem};
use super::tenant_auth::{AuthChangeBody, AuthView, present};
use crate::ops::admin_tokens::Scope;
use crate::ops::{Ops, Precondition, TenantCtx};
use crate::state::AppState;

/// The largest per-tenant rate a tenant's settings may name.
const MAX_RATE_LIMIT: u32 = 1_000_000;

/// A tenant as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    /// The tenant's name in URLs.
    pub slug: String,
    pub name: String,
    /// The SCIM base URL to give the identity provider.
    pub scim_url: String,
    /// RFC 3339.
    pub created: String,
    /// The settings' version: the ETag is `W/"<version>"`.
    pub settings_version: i64,
    pub settings: SettingsView,
}

/// A tenant's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// What a SCIM DELETE does: `soft` (hidden, kept for the audit) or `hard` (erased).
    #[schema(value_type = String, pattern = "^(soft|hard)$")]
    pub delete_policy: DeletePolicy,
    /// What a body may do with an extension URN no schema declares: `reject` or `keep`.
    #[schema(value_type = String, pattern = "^(reject|keep)$")]
    pub unknown_extensions: UnknownExtensions,
    /// Requests a second the tenant may make (0: no limit); absent: the server's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// Whether group displayNames are unique in the tenant, case-insensitively.
    pub unique_group_names: bool,
    /// How many custom schema extensions the tenant has.
    pub extensions: usize,
    /// Provisioning stopped: authenticated SCIM resource requests are 403.
    pub suspended: bool,
    pub auth: AuthView,
    /// New user addresses must be in the tenant's verified domains.
    pub enforce_domains: bool,
}

impl SettingsView {
    fn of(s: &TenantSettings) -> SettingsView {
        SettingsView {
            delete_policy: s.delete_policy,
            unknown_extensions: s.unknown_extensions,
            rate_limit: s.rate_limit,
            unique_group_names: s.unique_group_names,
            extensions: s.extensions.len(),
            suspended: s.suspended,
            auth: AuthView::of(&s.auth),
            enforce_domains: s.enforce_domains,
        }
    }
}

/// A partial change of a tenant's settings (JSON merge patch, RFC 7396):
/// fields left out stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// `soft` or `hard`.
    #[schema(value_type = Option<String>, pattern = "^(soft|hard)$")]
    pub delete_policy: Option<DeletePolicy>,
    /// `reject` or `keep`.
    #[schema(value_type = Option<String>, pattern = "^(reject|keep)$")]
    pub unknown_extensions: Option<UnknownExtensions>,
    /// A number (0: no limit), or `null` to follow the server's default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 1_000_000)]
    pub rate_limit: Option<Option<u32>>,
    pub unique_group_names: Option<bool>,
    /// `true` stops provisioning (SCIM resource requests answer 403), `false` resumes it.
    pub suspended: Option<bool>,
    /// How SCIM callers authenticate: scimd tokens, JWTs, or both.
    pub auth: Option<AuthChangeBody>,
    /// `true`: a User's new userName (when email-shaped) or email value
    /// outside the verified domains is `400 invalidValue`.
    pub enforce_domains: Option<bool>,
}

impl TenantView {
    /// The tenant as the admin API (and `scimd tenant show`) shows it.
    pub fn of(ops: &Ops, t: &Tenant) -> TenantView {
        TenantView {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            scim_url: ops.scim_url(&t.slug),
            created: format_datetime(t.created),
            settings_version: t.settings_version,
            settings: SettingsView::of(&t.settings),
        }
    }
}

/// The body of `POST /admin/v1/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Lowercase a-z, 0-9 and '-', 1 to 63 characters.
    #[schema(pattern = "^[a-z0-9-]{1,63}$")]
    pub slug: String,
    /// Display name (default: the slug).
    pub name: Option<String>,
}

/// A page of tenants.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantPage {
    pub items: Vec<TenantView>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Paging of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

fn etag(t: &Tenant) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"{}\"", t.settings_version)).unwrap_or(HeaderValue::from_static("W/\"0\""))
}

fn with_etag(status: StatusCode, ops: &Ops, t: &Tenant) -> Response {
    let mut resp = (status, Json(TenantView::of(ops, t))).into_response();
    resp.headers_mut().insert(header::ETAG, etag(t));
    resp
}

/// Creates a tenant.
#[utoipa::path(
    post, path = "/admin/v1/tenants", tag = "tenants",
    request_body(content = NewTenant, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = TenantView,
         headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed slug", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn create_tenant(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    if admin.principal.is_limited() {
        return Err(Problem::tenant_not_allowed("a token limited to some tenants cannot create tenants"));
    }
    let new: NewTenant = json_body(&headers, &body)?;
    let ops = &state.ops;
    let tenant = ops.create_tenant(&new.slug, new.name.as_deref()).await?;
    ops.record_admin_change(Some(tenant.id), admin.audit, 201, json!({"tenant": {"created": tenant.slug}})).await;
    let mut resp = with_etag(StatusCode::CREATED, ops, &tenant);
    if let Ok(location) = HeaderValue::from_str(&format!("{}/admin/v1/tenants/{}", ops.public_base(), tenant.slug)) {
        resp.headers_mut().insert(header::LOCATION, location);
    }
    Ok(resp)
}

/// Lists the tenants the token may see, in slug order.
#[utoipa::path(
    get, path = "/admin/v1/tenants", tag = "tenants",
    params(PageParams),
    responses(
        (status = 200, description = "A page of tenants", body = TenantPage),
        (status = 422, description = "A limit out of range or a cursor that is not one", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_tenants(
    State(state): State<AppState>,
    admin: Admin,
    page: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<TenantPage>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let Query(page) = page.map_err(|_| {
        Problem::new(
            422,
            "invalid-value",
            "Invalid value",
            format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
        )
    })?;
    let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::new(422, "invalid-value", "Invalid value", format!("limit must be 1 to {MAX_LIMIT}")));
    }
    let after = match page.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c)?),
    };
    let mut tenants: Vec<Tenant> =
        state.ops.list_tenants().await?.into_iter().filter(|t| admin.principal.may_act_on(t)).collect();
    tenants.sort_by(|a, b| a.slug.cmp(&b.slug));
    let rest: Vec<&Tenant> = tenants.iter().filter(|t| after.as_deref().is_none_or(|a| t.slug.as_str() > a)).collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let items: Vec<TenantView> = rest.iter().take(limit).map(|t| TenantView::of(&state.ops, t)).collect();
    let next_cursor = (rest.len() > limit).then(|| items.last().map(|t| URL_SAFE_NO_PAD.encode(&t.slug))).flatten();
    Ok(Json(TenantPage { items, next_cursor }))
}

fn decode_cursor(c: &str) -> Result<String, Problem> {
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Problem::new(422, "invalid-cursor", "Invalid cursor", "the cursor is not one this server gave"))
}

/// One tenant.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}", tag = "tenants",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant", body = TenantView, headers(("ETag" = String))),
        (status = 404, description = "No such tenant (or not one the token may see)", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn get_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    Ok(with_etag(StatusCode::OK, &state.ops, &ctx.tenant))
}

/// Changes a tenant's settings: a partial JSON object of the settings
/// fields. With `If-Match`, a settings version other than the one named is
/// 412 (two admins editing at once cannot lose each other's change).
#[utoipa::path(
    patch, path = "/admin/v1/tenants/{slug}", tag = "tenants",
    params(
        ("slug" = String, Path, description = "The tenant's slug"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change was made from, e.g. W/\"3\"",
         pattern = r#"^(\*|(W/)?"[0-9]+")$"#),
    ),
    request_body(content = SettingsChange, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The tenant as changed (or unchanged)", body = TenantView, headers(("ETag" = String))),
        (status = 400, description = "Not JSON, unknown fields, or a malformed If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Settings that do not hold together (e.g. JWT mode without an issuer)", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn update_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let change: SettingsChange = json_body(&headers, &body)?;
    // The body is checked whole before If-Match: an invalid change is 422
    // whatever the version it names.
    check_settings_change(&change)?;
    let if_version = match headers.get(header::IF_MATCH) {
        None => None,
        Some(v) => {
            let v = v.to_str().map_err(|_| Problem::invalid_body("If-Match is not an entity tag"))?;
            let pre = Precondition::parse(v).map_err(Problem::from)?;
            match pre.single() {
                Some(version) => Some(version),
                // `*`, or a list: checked against the current version here.
                None if pre.matches(ctx.tenant.settings_version) => Some(ctx.tenant.settings_version),
                None => {
                    return Err(Problem::from(crate::ops::OpError::precondition_failed(ctx.tenant.settings_version)));
                }
            }
        }
    };
    let updated = change_settings(&state, admin.audit, &ctx, if_version, change).await?;
    Ok(with_etag(StatusCode::OK, &state.ops, &updated))
}

/// 422 for a settings change that cannot be right whatever the settings
/// are now: a rate past the largest, an HS256 secret too short.
pub fn check_settings_change(change: &SettingsChange) -> Result<(), Problem> {
    if let Some(Some(r)) = change.rate_limit
        && r > MAX_RATE_LIMIT
    {
        return Err(Problem::new(
            422,
            "invalid-value",
            "Invalid value",
            format!("rate_limit is at most {MAX_RATE_LIMIT} requests a second (0: no limit)"),
        ));
    }
    if let Some(Some(secret)) = change.auth.as_ref().and_then(|a| a.hs256_secret.as_ref())
        && !crate::ops::tenant_auth::long_enough(&secret.0)
    {
        return Err(Problem::from(crate::ops::tenant_auth::too_short()));
    }
    Ok(())
}

/// Changes a tenant's settings (the admin API's PATCH and the web
/// admin's settings form): checked, applied by compare-and-set (against
/// `if_version` when given), and audited as `who` with the settings before
/// and after when anything changed.
pub async fn change_settings(
    state: &AppState,
    who: AuditContext,
    ctx: &TenantCtx,
    if_version: Option<i64>,
    change: SettingsChange,
) -> Result<Tenant, Problem> {
    check_settings_change(&change)?;
    let before = ctx.tenant.settings.clone();
    let auth_change = change.auth.map(crate::ops::tenant_auth::AuthChange::from);
    let updated = state
        .ops
        .update_settings(&ctx.tenant.slug, if_version, |settings| {
            if let Some(p) = change.delete_policy {
                settings.delete_policy = p;
            }
            if let Some(u) = change.unknown_extensions {
                settings.unknown_extensions = u;
            }
            if let Some(r) = change.rate_limit {
                settings.rate_limit = r;
            }
            if let Some(u) = change.unique_group_names {
                settings.unique_group_names = u;
            }
            if let Some(on) = change.suspended {
                settings.suspended = on;
            }
            if let Some(auth) = &auth_change {
                state.ops.change_auth(&ctx.tenant, &mut settings.auth, auth.clone())?;
            }
            if let Some(on) = change.enforce_domains {
                settings.enforce_domains = on;
            }
            Ok(())
        })
        .await?;
    if updated.settings != before {
        // The secret itself is never shown; that it changed is.
        let secret_changed = updated.settings.auth.hs256_secret != before.auth.hs256_secret;
        let detail = json!({"settings": {
            "version": updated.settings_version,
            "before": serde_json::to_value(SettingsView::of(&before)).unwrap_or_default(),
            "after": serde_json::to_value(SettingsView::of(&updated.settings)).unwrap_or_default(),
            "hs256_secret_changed": secret_changed,
        }});
        state.ops.record_admin_change(Some(updated.id), who, 200, detail).await;
    }
    Ok(updated)
}

/// `?confirm=` of a tenant's erasure.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfirmParams {
    /// The tenant's slug again: erasure cannot be undone.
    pub confirm: Option<String>,
}

/// Erases a tenant and all its data: tokens, users, groups, memberships,
/// events and audit entries. The erasure itself is audited (as a server
/// entry, which outlives the tenant).
#[utoipa::path(
    delete, path = "/admin/v1/tenants/{slug}", tag = "tenants",
    params(("slug" = String, Path, description = "The tenant's slug"), ConfirmParams),
    responses(
        (status = 204, description = "Erased"),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "confirm does not repeat the slug", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:write"]))
)]
pub async fn delete_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    confirm: Result<Query<ConfirmParams>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    admin.require(Scope::TenantsWrite)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let confirm = confirm.ok().and_then(|Query(c)| c.confirm);
    state.ops.erase_tenant(&ctx.tenant.slug, confirm.as_deref(), admin.audit).await?;
    Ok(StatusCode::NO_CONTENT)
}
