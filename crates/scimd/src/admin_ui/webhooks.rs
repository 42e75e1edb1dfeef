//! The webhook endpoints: each one's state (enabled, failing since when,
//! disabled and why), its recent deliveries with their attempts, a dead
//! delivery sent again, a range of events replayed, a signed ping sent now,
//! and the endpoint enabled or disabled. Endpoints are registered through
//! the admin API (their secret is shown once there). Everything goes
//! through the admin API's own lookups and [`crate::ops`], scope
//! `webhooks:write`, audited as the admin token.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use scim_store::webhooks::{DeliveryQuery, DeliveryState, Webhook};
use serde::Deserialize;
use uuid::Uuid;

use super::error::UiError;
use super::page::{Nav, form_instant, render};
use super::session::{CsrfForm, UiAdmin};
use crate::admin_api::webhooks::{DeliveryView, PingView, WebhookView, find, may_manage, view_of};
use crate::ops::admin_tokens::Scope;
use crate::ops::audit_search::instant;
use crate::ops::webhooks::{ReplayRequest, WebhookSpec};
use crate::state::AppState;

/// Deliveries on one page.
const PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage {
    nav: Option<Nav>,
    endpoints: Vec<WebhookView>,
}

pub async fn list_page(State(state): State<AppState>, ui: UiAdmin) -> Result<Response, UiError> {
    ui.require(Scope::WebhooksWrite)?;
    let mut endpoints = Vec::new();
    for w in state.ops.webhooks().await?.iter().filter(|w| may_manage(&ui.admin, w)) {
        endpoints.push(view_of(&state.ops, w).await?);
    }
    Ok(render(&ListPage { nav: Some(ui.nav()), endpoints }))
}

/// A delivery as a row, with its tenant by slug.
struct Row {
    d: DeliveryView,
    tenant: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct EndpointPage {
    nav: Option<Nav>,
    csrf: String,
    w: WebhookView,
    tenants: String,
    types: String,
    rows: Vec<Row>,
    state: String,
    next: Option<String>,
    ping: Option<PingView>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DeliveryParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    queued: Option<u64>,
}

/// `"all"` or a list, in words.
fn listed(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join(", "),
        other => other.as_str().unwrap_or("all").to_owned(),
    }
}

async fn endpoint_page(
    state: &AppState,
    ui: &UiAdmin,
    w: &Webhook,
    params: &DeliveryParams,
    ping: Option<PingView>,
    error: Option<String>,
) -> Result<Response, UiError> {
    let view = view_of(&state.ops, w).await?;
    let shown = DeliveryState::parse(&params.state);
    let before = params.before.trim().parse::<i64>().ok();
    let records = state.ops.webhook_deliveries(w.id, DeliveryQuery { state: shown, before, limit: PAGE }).await?;
    let slugs: HashMap<Uuid, String> = state.ops.list_tenants().await?.into_iter().map(|t| (t.id, t.slug)).collect();
    let next = (records.len() == PAGE as usize)
        .then(|| records.last())
        .flatten()
        .map(|d| format!("/ui/webhooks/{}?state={}&before={}", w.id, shown.map_or("", |s| s.as_str()), d.id));
    let rows = records
        .iter()
        .map(|d| Row { tenant: slugs.get(&d.tenant).cloned().unwrap_or_default(), d: DeliveryView::from(d) })
        .collect();
    let page = EndpointPage {
        nav: Some(ui.nav()),
        csrf: ui.csrf.clone(),
        tenants: listed(&view.tenants),
        types: listed(&view.types),
        w: view,
        rows,
        state: shown.map_or("", |s| s.as_str()).to_owned(),
        next,
        ping,
        notice: params.queued.map(|n| format!("{n} deliveries queued again, in order.")),
        error,
    };
    Ok(render(&page))
}

async fn endpoint(state: &AppState, ui: &UiAdmin, id: &str) -> Result<Webhook, UiError> {
    ui.require(Scope::WebhooksWrite)?;
    Ok(find(state, &ui.admin, id).await?)
}

pub async fn webhook_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(id): Path<String>,
    Query(params): Query<DeliveryParams>,
) -> Result<Response, UiError> {
    let w = endpoint(&state, &ui, &id).await?;
    endpoint_page(&state, &ui, &w, &params, None, None).await
}

/// Sends a signed test message now and shows what the endpoint answered.
pub async fn ping(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf)?;
    let w = endpoint(&state, &ui, &id).await?;
    let sent = crate::delivery::ping::ping(&state.ops, &w).await?;
    endpoint_page(&state, &ui, &w, &DeliveryParams::default(), Some(PingView::from(sent)), None).await
}

async fn set_enabled(state: AppState, ui: UiAdmin, id: String, csrf: &str, enabled: bool) -> Result<Response, UiError> {
    ui.check_csrf(csrf)?;
    let w = endpoint(&state, &ui, &id).await?;
    let spec = WebhookSpec { enabled: Some(enabled), ..WebhookSpec::default() };
    state.ops.update_webhook(w.id, spec, ui.admin.audit.clone()).await?;
    Ok(Redirect::to(&format!("/ui/webhooks/{}", w.id)).into_response())
}

pub async fn enable(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    set_enabled(state, ui, id, &form.csrf, true).await
}

pub async fn disable(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    set_enabled(state, ui, id, &form.csrf, false).await
}

/// A replay: one tenant's sequence numbers (a delivery's "send again"
/// sends its own), or a time range (`datetime-local`, UTC).
#[derive(Deserialize)]
pub struct ReplayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    from_sequence: String,
    #[serde(default)]
    to_sequence: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

fn replay_request(form: &ReplayForm) -> Result<ReplayRequest, UiError> {
    let bad = |why: &str| UiError::new(422, "Not replayed", why);
    if !form.tenant.trim().is_empty() {
        let seq = |s: &str| s.trim().parse::<i64>().map_err(|_| bad("The sequence numbers are whole numbers."));
        let from = seq(&form.from_sequence)?;
        let to = if form.to_sequence.trim().is_empty() { from } else { seq(&form.to_sequence)? };
        return Ok(ReplayRequest::Sequences { tenant: form.tenant.trim().to_owned(), from, to });
    }
    let (Some(since), Some(until)) = (form_instant(&form.since), form_instant(&form.until)) else {
        return Err(bad("Give the time range to deliver again: from and until."));
    };
    Ok(ReplayRequest::Time { since: instant("since", &since)?, until: instant("until", &until)? })
}

pub async fn replay(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(id): Path<String>,
    Form(form): Form<ReplayForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf)?;
    let w = endpoint(&state, &ui, &id).await?;
    let req = match replay_request(&form) {
        Ok(r) => r,
        Err(e) => {
            let mut resp = endpoint_page(&state, &ui, &w, &DeliveryParams::default(), None, Some(e.detail)).await?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(resp);
        }
    };
    if let ReplayRequest::Sequences { tenant, .. } = &req {
        // Only a tenant this admin token may see.
        ui.admin.tenant(&state.ops, tenant).await?;
    }
    match state.ops.replay_webhook(w.id, req, ui.admin.audit.clone()).await {
        Ok(queued) => Ok(Redirect::to(&format!("/ui/webhooks/{}?queued={queued}", w.id)).into_response()),
        Err(crate::ops::OpError::Refused(e)) => {
            let mut resp = endpoint_page(&state, &ui, &w, &DeliveryParams::default(), None, Some(e.detail)).await?;
            *resp.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}
