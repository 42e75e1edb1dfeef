//! A tenant's verified domains: claim one (pending, with the TXT record
//! to publish), check it now against DNS, give it up. The rows, claims and
//! checks are [`super::domain_claims`]'s (the setup pages share them); the
//! rules are in [`crate::ops::domains`], as for the admin API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::domain_claims::{self, DomainRow, NewDomain, refused};
use super::error::UiError;
use super::page::{Nav, render};
use super::session::{CsrfForm, UiAdmin};
use crate::ops::TenantCtx;
use crate::ops::admin_tokens::Scope;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    nav: Option<Nav>,
    csrf: String,
    slug: String,
    name: String,
    domains: Vec<DomainRow>,
    /// Where the forms of `domain_claims.html` post.
    domain_action: String,
    can_write: bool,
    can_remove: bool,
    error: Option<String>,
}

async fn page(state: &AppState, ui: &UiAdmin, ctx: &TenantCtx, error: Option<UiError>) -> Result<Response, UiError> {
    let status =
        error.as_ref().map_or(StatusCode::OK, |e| StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST));
    let can_write = ui.admin.principal.allows(Scope::TenantsWrite);
    let page = DomainsPage {
        nav: Some(ui.nav()),
        csrf: ui.csrf.clone(),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        domains: domain_claims::rows(state, &ctx.tenant).await?,
        domain_action: format!("/ui/tenants/{}/domains", ctx.tenant.slug),
        can_write,
        can_remove: can_write,
        error: error.map(|e| e.detail),
    };
    Ok((status, render(&page)).into_response())
}

fn back(slug: &str) -> Response {
    Redirect::to(&format!("/ui/tenants/{slug}/domains")).into_response()
}

pub async fn domains_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::TenantsRead).await?;
    page(&state, &ui, &ctx, None).await
}

pub async fn add_domain(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Form(form): Form<NewDomain>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    match domain_claims::claim(&state, &ctx.tenant, &form, ui.admin.audit.clone()).await? {
        Ok(()) => Ok(back(&ctx.tenant.slug)),
        Err(shown) => page(&state, &ui, &ctx, Some(shown)).await,
    }
}

pub async fn verify_domain(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, domain)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    domain_claims::check(&state, &ctx.tenant, &domain, ui.admin.audit.clone()).await?;
    Ok(back(&ctx.tenant.slug))
}

pub async fn remove_domain(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, domain)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let removed = state.ops.remove_domain(&ctx.tenant, &domain).await.map_err(refused)?;
    let detail = json!({"domain": {"removed": removed.domain}});
    state.ops.record_admin_change(Some(ctx.tenant.id), ui.admin.audit.clone(), 200, detail).await;
    Ok(back(&ctx.tenant.slug))
}
