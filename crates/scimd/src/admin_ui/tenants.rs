//! The tenants: the list (searched by slug or name) and creating one.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::UiError;
use std::collections::HashMap;

use scim_store::Tenant;
use scim_store::activity::TenantHealth;
use time::OffsetDateTime;
use uuid::Uuid;

use super::page::{Nav, render, when, when_or_dash};
use super::session::UiAdmin;
use crate::ops::activity::{Attention, HEALTH_WINDOW, attention};
use crate::ops::admin_tokens::Scope;
use crate::state::AppState;

/// A tenant as the list shows it.
struct Row {
    slug: String,
    name: String,
    created: String,
    suspended: bool,
    last_request: String,
}

/// A tenant that needs a look, and why, in words.
struct Flag {
    slug: String,
    name: String,
    why: String,
    failing: bool,
}

fn why(a: &Attention) -> (String, bool) {
    let window = HEALTH_WINDOW.whole_hours();
    match a {
        Attention::Failing { failed, refused } => {
            (format!("{failed} requests failed and {refused} were refused in the last {window} hours"), true)
        }
        Attention::Refused { refused } => (
            format!(
                "{refused} requests refused in the last {window} hours: something to change in the identity provider"
            ),
            true,
        ),
        Attention::Quiet { last } => (format!("quiet: no request since {}", when(*last)), false),
    }
}

#[derive(Template)]
#[template(path = "tenants.html")]
struct TenantsPage {
    nav: Option<Nav>,
    csrf: String,
    query: String,
    tenants: Vec<Row>,
    attention: Vec<Flag>,
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
    let now = OffsetDateTime::now_utc();
    let health: HashMap<Uuid, TenantHealth> =
        state.ops.tenant_health(now).await?.into_iter().map(|h| (h.tenant, h)).collect();
    let visible: Vec<Tenant> =
        state.ops.list_tenants().await?.into_iter().filter(|t| ui.admin.principal.may_act_on(t)).collect();
    let mut attention: Vec<Flag> = visible
        .iter()
        .filter(|t| !t.settings.suspended)
        .filter_map(|t| {
            let (why, failing) = why(&attention(health.get(&t.id)?, now)?);
            Some(Flag { slug: t.slug.clone(), name: t.name.clone(), why, failing })
        })
        .collect();
    attention.sort_by(|a, b| b.failing.cmp(&a.failing).then_with(|| a.slug.cmp(&b.slug)));
    let mut tenants: Vec<Row> = visible
        .into_iter()
        .filter(|t| needle.is_empty() || t.slug.contains(&needle) || t.name.to_lowercase().contains(&needle))
        .map(|t| Row {
            created: when(t.created),
            suspended: t.settings.suspended,
            last_request: when_or_dash(health.get(&t.id).and_then(|h| h.last_request)),
            slug: t.slug,
            name: t.name,
        })
        .collect();
    tenants.sort_by(|a, b| a.slug.cmp(&b.slug));
    let can_write = ui.admin.principal.allows(Scope::TenantsWrite) && !ui.admin.principal.is_limited();
    let page = TenantsPage {
        nav: Some(ui.nav()),
        csrf: ui.csrf.clone(),
        query: query.to_owned(),
        tenants,
        attention,
        can_write,
        error,
    };
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
