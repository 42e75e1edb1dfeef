//! A tenant's settings: what a SCIM DELETE does, whether users must be in
//! the verified domains, whether provisioning is suspended, group name
//! uniqueness, and how SCIM callers authenticate (scimd tokens, an
//! issuer's JWTs, or both). Saved through the admin API's own change
//! ([`crate::admin_api::tenants::change_settings`]): the same checks, the
//! same compare-and-set against the version the form was opened at, the
//! same audit entry.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use scim_store::{AuthMode, DeletePolicy, Tenant};
use serde::Deserialize;

use super::error::UiError;
use super::page::{Nav, render};
use super::session::UiAdmin;
use crate::admin_api::tenant_auth::AuthChangeBody;
use crate::admin_api::tenants::{SettingsChange, change_settings};
use crate::ops::admin_tokens::Scope;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    csrf: String,
    slug: String,
    name: String,
    tab: &'static str,
    version: i64,
    hard_delete: bool,
    enforce_domains: bool,
    suspended: bool,
    unique_group_names: bool,
    mode: &'static str,
    issuer: String,
    audience: String,
    jwks_url: String,
    can_write: bool,
    saved: bool,
    error: Option<String>,
}

fn mode_name(m: AuthMode) -> &'static str {
    match m {
        AuthMode::Token => "token",
        AuthMode::Jwt => "jwt",
        AuthMode::Both => "both",
    }
}

fn page(ui: &UiAdmin, t: &Tenant, saved: bool, error: Option<String>) -> SettingsPage {
    let s = &t.settings;
    SettingsPage {
        nav: Some(ui.nav()),
        csrf: ui.csrf.clone(),
        slug: t.slug.clone(),
        name: t.name.clone(),
        tab: "settings",
        version: t.settings_version,
        hard_delete: s.delete_policy == DeletePolicy::Hard,
        enforce_domains: s.enforce_domains,
        suspended: s.suspended,
        unique_group_names: s.unique_group_names,
        mode: mode_name(s.auth.mode),
        issuer: s.auth.issuer.clone().unwrap_or_default(),
        audience: s.auth.audience.clone().unwrap_or_default(),
        jwks_url: s.auth.jwks_url.clone().unwrap_or_default(),
        can_write: ui.admin.principal.allows(Scope::TenantsWrite),
        saved,
        error,
    }
}

#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn settings_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::TenantsRead).await?;
    Ok(render(&page(&ui, &ctx.tenant, q.saved.is_some(), None)))
}

/// The form as sent: a checkbox left unticked is not sent at all.
#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    delete_policy: String,
    #[serde(default)]
    enforce_domains: Option<String>,
    #[serde(default)]
    suspended: Option<String>,
    #[serde(default)]
    unique_group_names: Option<String>,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    jwks_url: String,
}

/// A text field's change: `None` when it says what is stored, else the
/// new value (empty: none).
fn field(sent: &str, now: Option<&String>) -> Option<Option<String>> {
    let sent = Some(sent.trim().to_owned()).filter(|s| !s.is_empty());
    (sent.as_ref() != now).then_some(sent)
}

/// The change the form asks of the settings `t` has now.
fn change_of(form: &SettingsForm, t: &Tenant) -> Result<SettingsChange, String> {
    let delete_policy = match form.delete_policy.as_str() {
        "soft" => DeletePolicy::Soft,
        "hard" => DeletePolicy::Hard,
        _ => return Err("Choose what a delete does: keep (soft) or erase (hard).".to_owned()),
    };
    let mode = match form.mode.as_str() {
        "token" => AuthMode::Token,
        "jwt" => AuthMode::Jwt,
        "both" => AuthMode::Both,
        _ => return Err("Choose how the identity provider authenticates.".to_owned()),
    };
    let a = &t.settings.auth;
    let auth = AuthChangeBody {
        mode: (mode != a.mode).then_some(mode),
        issuer: field(&form.issuer, a.issuer.as_ref()),
        audience: field(&form.audience, a.audience.as_ref()),
        jwks_url: field(&form.jwks_url, a.jwks_url.as_ref()),
        ..AuthChangeBody::default()
    };
    let auth_changes =
        auth.mode.is_some() || auth.issuer.is_some() || auth.audience.is_some() || auth.jwks_url.is_some();
    Ok(SettingsChange {
        delete_policy: Some(delete_policy),
        enforce_domains: Some(form.enforce_domains.is_some()),
        suspended: Some(form.suspended.is_some()),
        unique_group_names: Some(form.unique_group_names.is_some()),
        auth: auth_changes.then_some(auth),
        ..SettingsChange::default()
    })
}

/// Saves the form against the version it was opened at: a change made
/// meanwhile by someone else is not overwritten (the page says so and
/// shows the settings as they are now).
pub async fn save_settings(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let refused = |status: StatusCode, why: String, t: &Tenant| {
        let mut resp = render(&page(&ui, t, false, Some(why)));
        *resp.status_mut() = status;
        resp
    };
    let Ok(version) = form.version.trim().parse::<i64>() else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "The form is incomplete: reload the page.".to_owned(),
            &ctx.tenant,
        ));
    };
    let change = match change_of(&form, &ctx.tenant) {
        Ok(c) => c,
        Err(why) => return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, why, &ctx.tenant)),
    };
    match change_settings(&state, ui.admin.audit.clone(), &ctx, Some(version), change).await {
        Ok(t) => Ok(Redirect::to(&format!("/ui/tenants/{}/settings?saved=1", t.slug)).into_response()),
        Err(p) if p.status == 412 => {
            let now = state.ops.require_tenant(&ctx.tenant.slug).await?;
            let why =
                "Someone changed these settings since you opened the page: here they are now; make your change again.";
            Ok(refused(StatusCode::PRECONDITION_FAILED, why.to_owned(), &now.tenant))
        }
        Err(p) if p.status < 500 => {
            Ok(refused(StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST), p.detail, &ctx.tenant))
        }
        Err(p) => Err(p.into()),
    }
}
