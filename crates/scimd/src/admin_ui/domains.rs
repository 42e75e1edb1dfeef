//! A tenant's verified domains: claim one (pending, with the TXT record
//! to publish), check it now against DNS, give it up. The rules are in
//! [`crate::ops::domains`], as for the admin API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::UiError;
use super::page::{Nav, render, when, when_or_dash};
use super::session::{CsrfForm, UiAdmin};
use crate::admin_api::problem::Problem;
use crate::ops::TenantCtx;
use crate::ops::admin_tokens::Scope;
use crate::ops::domain_names::txt_name;
use crate::ops::domains::{DomainError, DomainRequest};
use crate::state::AppState;

struct DomainRow {
    domain: String,
    verified: bool,
    verified_at: String,
    verified_by: &'static str,
    txt_name: String,
    txt_value: String,
    include_subdomains: bool,
    last_checked: String,
    last_result: Option<String>,
}

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    nav: Option<Nav>,
    csrf: String,
    slug: String,
    name: String,
    domains: Vec<DomainRow>,
    can_write: bool,
    error: Option<String>,
}

fn refused(e: DomainError) -> UiError {
    UiError::from(Problem::from(e))
}

async fn page(
    state: &AppState,
    ui: &UiAdmin,
    ctx: &TenantCtx,
    error: Option<(u16, String)>,
) -> Result<Response, UiError> {
    let domains = state
        .ops
        .list_domains(&ctx.tenant)
        .await?
        .into_iter()
        .map(|d| DomainRow {
            verified: d.is_verified(),
            verified_at: when_or_dash(d.verified_at),
            verified_by: d.verified_by.map_or("", |b| b.as_str()),
            txt_name: txt_name(&d.domain),
            include_subdomains: d.include_subdomains,
            last_checked: d.last_checked.map(when).unwrap_or_default(),
            last_result: d.last_result,
            txt_value: d.txt_value,
            domain: d.domain,
        })
        .collect();
    let status =
        error.as_ref().map_or(StatusCode::OK, |(s, _)| StatusCode::from_u16(*s).unwrap_or(StatusCode::BAD_REQUEST));
    let page = DomainsPage {
        nav: Some(ui.nav()),
        csrf: ui.csrf.clone(),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        domains,
        can_write: ui.admin.principal.allows(Scope::TenantsWrite),
        error: error.map(|(_, e)| e),
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

#[derive(Deserialize)]
pub struct NewDomain {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    include_subdomains: Option<String>,
}

pub async fn add_domain(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Form(form): Form<NewDomain>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let include_subdomains = form.include_subdomains.is_some();
    let req = DomainRequest { domain: form.domain.trim(), include_subdomains, override_verified: false };
    match state.ops.add_domain(&ctx.tenant, req).await {
        Ok(added) => {
            let d = &added.domain;
            let detail = json!({"domain": {"added": d.domain, "include_subdomains": d.include_subdomains}});
            state.ops.record_admin_change(Some(ctx.tenant.id), ui.admin.audit.clone(), 201, detail).await;
            Ok(back(&ctx.tenant.slug))
        }
        Err(DomainError::Op(e)) => Err(e.into()),
        Err(e) => {
            let shown = refused(e);
            page(&state, &ui, &ctx, Some((shown.status, shown.detail))).await
        }
    }
}

pub async fn verify_domain(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, domain)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let before = state.ops.domain(&ctx.tenant, &domain).await.map_err(refused)?;
    let after = state.ops.verify_domain(&ctx.tenant, &before.domain, false).await.map_err(refused)?;
    if after != before {
        let detail = json!({"domain": {
            "verify": after.domain,
            "manual": false,
            "state": if after.is_verified() { "verified" } else { "pending" },
            "result": after.last_result,
        }});
        state.ops.record_admin_change(Some(ctx.tenant.id), ui.admin.audit.clone(), 200, detail).await;
    }
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
