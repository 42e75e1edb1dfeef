//! The tenants: the list (searched by slug or name) and creating one.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::UiError;
use super::page::{Nav, render, when};
use super::session::UiAdmin;
use crate::ops::admin_tokens::Scope;
use crate::state::AppState;

/// A tenant as the list shows it.
struct Row {
    slug: String,
    name: String,
    created: String,
    suspended: bool,
}

#[derive(Template)]
#[template(path = "tenants.html")]
struct TenantsPage {
    nav: Option<Nav>,
    csrf: String,
    query: String,
    tenants: Vec<Row>,
    can_write: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// The front page: the tenants.
pub async fn front_page(state: State<AppState>, ui: UiAdmin) -> Result<Response, UiError> {
    list_tenants(state, ui, Query(Search::default())).await
}

pub async fn list_tenants(
    State(state): State<AppState>,
    ui: UiAdmin,
    Query(search): Query<Search>,
) -> Result<Response, UiError> {
    page(&state, &ui, search.q.trim(), None).await
}

async fn page(state: &AppState, ui: &UiAdmin, query: &str, error: Option<String>) -> Result<Response, UiError> {
    ui.require(Scope::TenantsRead)?;
    let needle = query.to_lowercase();
    let mut tenants: Vec<Row> = state
        .ops
        .list_tenants()
        .await?
        .into_iter()
        .filter(|t| ui.admin.principal.may_act_on(t))
        .filter(|t| needle.is_empty() || t.slug.contains(&needle) || t.name.to_lowercase().contains(&needle))
        .map(|t| Row { created: when(t.created), suspended: t.settings.suspended, slug: t.slug, name: t.name })
        .collect();
    tenants.sort_by(|a, b| a.slug.cmp(&b.slug));
    let can_write = ui.admin.principal.allows(Scope::TenantsWrite) && !ui.admin.principal.is_limited();
    let page =
        TenantsPage { nav: Some(ui.nav()), csrf: ui.csrf.clone(), query: query.to_owned(), tenants, can_write, error };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct NewTenant {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

/// Creates a tenant and opens its page; a refusal (a slug taken or not
/// valid) shows the list again with why.
pub async fn create_tenant(
    State(state): State<AppState>,
    ui: UiAdmin,
    Form(form): Form<NewTenant>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf)?;
    ui.require(Scope::TenantsWrite)?;
    if ui.admin.principal.is_limited() {
        return Err(UiError::new(403, "Refused", "A token limited to some tenants cannot create tenants."));
    }
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    match state.ops.create_tenant(form.slug.trim(), name).await {
        Ok(tenant) => {
            let audit = ui.admin.audit.clone();
            state
                .ops
                .record_admin_change(Some(tenant.id), audit, 201, json!({"tenant": {"created": tenant.slug}}))
                .await;
            Ok(Redirect::to(&format!("/ui/tenants/{}", tenant.slug)).into_response())
        }
        Err(crate::ops::OpError::Refused(e)) => {
            let mut resp = page(&state, &ui, "", Some(e.detail)).await?;
            *resp.status_mut() =
                axum::http::StatusCode::from_u16(e.status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}
