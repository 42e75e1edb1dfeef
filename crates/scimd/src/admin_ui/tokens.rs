//! A tenant's page: its SCIM base URL and its SCIM tokens — issue one
//! (the secret shown once, on the answer to the form, never in a URL),
//! rotate one (the old secret stops at once), revoke one.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use scim_store::Revocation;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::chart;
use super::error::UiError;
use super::page::{Nav, render, when, when_or_dash};
use super::session::{CsrfForm, UiAdmin};
use crate::ops::TenantCtx;
use crate::ops::admin_tokens::Scope;
use crate::ops::tokens::IssuedToken;
use crate::ops::user_agent::identity_provider;
use crate::state::AppState;

/// The longest expiry the form takes: ten years, as the admin API.
const MAX_DAYS: u64 = 3650;

struct TokenRow {
    id: Uuid,
    name: String,
    prefix: String,
    created: String,
    expires: String,
    last_used: String,
    /// The last request's User-Agent, and the identity provider it names.
    last_user_agent: Option<String>,
    identity_provider: Option<&'static str>,
    revoked: bool,
    expired: bool,
}

/// A secret just issued, shown once.
struct Issued {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "tenant.html")]
struct TenantPage {
    nav: Option<Nav>,
    csrf: String,
    slug: String,
    name: String,
    scim_url: String,
    tokens: Vec<TokenRow>,
    issued: Option<Issued>,
    can_write: bool,
    /// The activity chart (SVG, rendered by [`super::chart`]).
    chart: String,
    /// The chart's hours in words, for the table under it.
    hours: Vec<(String, String)>,
    error: Option<String>,
}

/// Hours the activity chart shows.
const CHART_HOURS: u32 = 48;

async fn tenant(state: &AppState, ui: &UiAdmin, slug: &str) -> Result<std::sync::Arc<TenantCtx>, UiError> {
    Ok(ui.admin.tenant(&state.ops, slug).await?)
}

async fn page(
    state: &AppState,
    ui: &UiAdmin,
    ctx: &TenantCtx,
    issued: Option<Issued>,
    error: Option<String>,
) -> Result<Response, UiError> {
    let now = OffsetDateTime::now_utc();
    let tokens = state
        .ops
        .list_tokens(&ctx.tenant)
        .await?
        .iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created: when(t.created),
            expires: when_or_dash(t.expires),
            last_used: when_or_dash(t.last_used),
            last_user_agent: t.last_user_agent.clone(),
            identity_provider: t.last_user_agent.as_deref().and_then(identity_provider),
            revoked: t.revoked.is_some(),
            expired: t.expires.is_some_and(|e| e <= now),
        })
        .collect();
    let counts = state.ops.activity(ctx, now - time::Duration::hours(i64::from(CHART_HOURS))).await?;
    let bars = chart::bars(&counts, now, CHART_HOURS);
    let hours = bars.iter().rev().filter(|b| b.total() > 0).map(|b| (when(b.hour), b.words())).collect();
    let page = TenantPage {
        nav: Some(ui.nav()),
        csrf: ui.csrf.clone(),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        scim_url: state.ops.scim_url(&ctx.tenant.slug),
        tokens,
        issued,
        can_write: ui.admin.principal.allows(Scope::TenantsWrite),
        chart: chart::svg(&bars),
        hours,
        error,
    };
    Ok(render(&page))
}

pub async fn tenant_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    ui.require(Scope::TenantsRead)?;
    let ctx = tenant(&state, &ui, &slug).await?;
    page(&state, &ui, &ctx, None, None).await
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// Days until it expires; empty: never.
    #[serde(default)]
    expires_in_days: String,
}

/// The page with the new secret, shown once (201; not cached, not in a URL).
async fn issued(state: &AppState, ui: &UiAdmin, ctx: &TenantCtx, token: IssuedToken) -> Result<Response, UiError> {
    let shown = Issued { name: token.info.name.clone(), secret: token.secret };
    let mut resp = page(state, ui, ctx, Some(shown), None).await?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

pub async fn create_token(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Form(form): Form<NewToken>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let days = form.expires_in_days.trim();
    let expires_in = if days.is_empty() {
        None
    } else {
        match days.parse::<u64>() {
            Ok(d) if (1..=MAX_DAYS).contains(&d) => Some(Duration::from_secs(d * 86_400)),
            _ => {
                let why = format!("The expiry is a whole number of days from 1 to {MAX_DAYS}, or empty for never.");
                let mut resp = page(&state, &ui, &ctx, None, Some(why)).await?;
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                return Ok(resp);
            }
        }
    };
    let name = Some(form.name.trim()).filter(|n| !n.is_empty()).unwrap_or("default");
    let token = state.ops.issue_token(&ctx.tenant, name, expires_in).await?;
    let detail = json!({"token": {"created": token.info.id, "name": token.info.name}});
    state.ops.record_admin_change(Some(ctx.tenant.id), ui.admin.audit.clone(), 201, detail).await;
    issued(&state, &ui, &ctx, token).await
}

fn token_id(id: &str) -> Result<Uuid, UiError> {
    Uuid::parse_str(id).map_err(|_| UiError::new(404, "Not found", "There is no such token."))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let id = token_id(&id)?;
    match state.ops.revoke_token(&ctx.tenant, id).await? {
        Revocation::Revoked => {
            let detail = json!({"token": {"revoked": id}});
            state.ops.record_admin_change(Some(ctx.tenant.id), ui.admin.audit.clone(), 200, detail).await;
        }
        Revocation::AlreadyRevoked(_) => {}
        Revocation::NotFound => return Err(UiError::new(404, "Not found", "There is no such token.")),
    }
    // After a post, a page to reload safely.
    Ok(Redirect::to(&format!("/ui/tenants/{}", ctx.tenant.slug)).into_response())
}

pub async fn rotate_token(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_change(&state, &slug, &form.csrf).await?;
    let id = token_id(&id)?;
    let token = state.ops.rotate_token(&ctx.tenant, id, Duration::ZERO).await?;
    let detail = json!({"token": {"rotated": id, "to": token.info.id, "overlap_seconds": 0}});
    state.ops.record_admin_change(Some(ctx.tenant.id), ui.admin.audit.clone(), 201, detail).await;
    issued(&state, &ui, &ctx, token).await
}
