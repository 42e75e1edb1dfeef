//! The live tail of a tenant's events: the newest ones on the page, then
//! each new one as it commits. The page's script asks
//! `…/events/poll?after=<sequence>`, a long poll of the event feed
//! ([`crate::ops::events`], the admin API's), and adds rows with
//! `textContent` (what an identity provider sent is never markup).
//! Scope `events:read`.

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use scim_store::EventRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::UiError;
use super::page::{Nav, render, when};
use super::session::UiAdmin;
use crate::ops::admin_tokens::Scope;
use crate::ops::events::{FeedQuery, FeedRead, FeedScope};
use crate::state::AppState;

/// Events on the page when it opens.
const SHOWN: u32 = 50;
/// How long one poll waits for an event.
const WAIT: Duration = Duration::from_secs(25);

/// An event as a row of the tail.
#[derive(Debug, Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub at: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What it is about, in a few words.
    pub summary: String,
    /// The page of the resource it is about.
    pub link: String,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

/// An event in a few words: the user's or group's name, or which member
/// joined or left which group.
pub fn summary(e: &EventRecord) -> String {
    let d = &e.data;
    if let Some(member) = text(d, &["member", "value"]) {
        let group = text(d, &["group", "displayName"]).unwrap_or("a group");
        let kind = text(d, &["member", "type"]).unwrap_or("member");
        return format!("{kind} {member} — {group}");
    }
    let r = &d["resource"];
    text(r, &["userName"])
        .or_else(|| text(r, &["displayName"]))
        .map_or_else(|| e.resource_id.to_string(), str::to_owned)
}

fn row(slug: &str, e: &EventRecord) -> EventRow {
    let kind = e.event_type.as_str();
    let (list, id) = match text(&e.data, &["member", "value"]) {
        Some(_) => ("groups", text(&e.data, &["group", "id"]).map_or_else(|| e.resource_id.to_string(), str::to_owned)),
        None if kind.starts_with("group.") => ("groups", e.resource_id.to_string()),
        None => ("users", e.resource_id.to_string()),
    };
    EventRow { seq: e.seq, at: when(e.at), kind, summary: summary(e), link: format!("/ui/tenants/{slug}/{list}/{id}") }
}

#[derive(Template)]
#[template(path = "events.html")]
struct TailPage {
    nav: Option<Nav>,
    slug: String,
    name: String,
    tab: &'static str,
    rows: Vec<EventRow>,
    after: i64,
    error: Option<String>,
}

pub async fn events_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::EventsRead).await?;
    let latest = state.ops.latest_events(&ctx.tenant, SHOWN).await?;
    let after = latest.first().map_or(0, |e| e.seq);
    let rows = latest.iter().map(|e| row(&ctx.tenant.slug, e)).collect();
    Ok(render(&TailPage {
        nav: Some(ui.nav()),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        tab: "events",
        rows,
        after,
        error: None,
    }))
}

#[derive(Deserialize)]
pub struct Poll {
    #[serde(default)]
    after: i64,
}

/// The events after `after`, oldest first, and where to ask next.
#[derive(Debug, Serialize)]
pub struct PollAnswer {
    pub events: Vec<EventRow>,
    pub next: i64,
    /// Events were pruned by retention before they could be shown.
    pub missed: bool,
}

pub async fn poll(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Query(p): Query<Poll>,
) -> Result<Json<PollAnswer>, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::EventsRead).await?;
    let mut q = FeedQuery { after: Some(p.after.max(0)), limit: 100, types: Vec::new(), wait: WAIT };
    let mut missed = false;
    loop {
        match state.ops.read_feed(FeedScope::Tenant(&ctx.tenant), &q).await? {
            FeedRead::Page { events, next_cursor } => {
                let events = events.iter().map(|e| row(&ctx.tenant.slug, e)).collect();
                return Ok(Json(PollAnswer { events, next: next_cursor, missed }));
            }
            FeedRead::Gone { oldest_cursor } => {
                missed = true;
                q.after = Some(oldest_cursor);
            }
        }
    }
}
