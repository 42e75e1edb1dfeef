//! A tenant's users and groups as the host application sees them: lists
//! searched with a SCIM filter or plain text and narrowed to active,
//! deactivated or deleted, a user with its groups, a group with its
//! members a page at a time. The lists, views and cursors are the admin
//! API's ([`crate::admin_api::directory_view`]): keyset pages, so the last
//! page of a 100,000-member group costs what the first does.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use scim_store::{ResourceKind, Visibility};
use serde::Deserialize;

use super::error::UiError;
use super::page::{Nav, render};
use super::session::UiAdmin;
use crate::admin_api::directory_view::{self as view, GroupView, MemberView, UserView};
use crate::ops::admin_tokens::Scope;
use crate::ops::{OpError, Ops, TenantCtx};
use crate::state::AppState;

/// Users or groups on one page of a list.
const PAGE: u32 = 50;
/// Members on one page of a group.
const MEMBERS_PAGE: u32 = 100;

/// A list's search, state and page, from the query string.
#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    cursor: Option<String>,
}

/// Which rows a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    All,
    Active,
    Deactivated,
    Deleted,
}

impl Shown {
    fn parse(s: &str) -> Shown {
        match s {
            "active" => Shown::Active,
            "deactivated" => Shown::Deactivated,
            "deleted" => Shown::Deleted,
            _ => Shown::All,
        }
    }

    fn seen(self) -> Visibility {
        match self {
            Shown::All => Visibility::WithDeleted,
            Shown::Active | Shown::Deactivated => Visibility::Live,
            Shown::Deleted => Visibility::OnlyDeleted,
        }
    }
}

/// The SCIM filter a search stands for: the text itself when it is a
/// filter for `kind` (or looks like one: it quotes a value, so a mistake
/// is shown rather than searched for), else a plain-text search of the
/// names; narrowed by the state for users (`active` absent counts as
/// active, as SCIM says).
fn search_filter(
    ops: &Ops,
    ctx: &TenantCtx,
    kind: ResourceKind,
    q: &str,
    state: Shown,
) -> Result<Option<String>, String> {
    let q = q.trim();
    let text = if q.is_empty() {
        None
    } else {
        match ops.directory_filter(ctx, kind, q) {
            Ok(_) => Some(format!("({q})")),
            Err(OpError::Refused(e)) if q.contains('"') => return Err(e.detail),
            Err(_) => {
                let lit = serde_json::Value::String(q.to_owned()).to_string();
                Some(match kind {
                    ResourceKind::User => format!(
                        "(userName co {lit} or displayName co {lit} or name.formatted co {lit} or externalId eq {lit})"
                    ),
                    ResourceKind::Group => format!("(displayName co {lit} or externalId eq {lit})"),
                })
            }
        }
    };
    let by_state = match (kind, state) {
        (ResourceKind::User, Shown::Active) => Some("not (active eq false)"),
        (ResourceKind::User, Shown::Deactivated) => Some("active eq false"),
        _ => None,
    };
    Ok(match (text, by_state) {
        (Some(t), Some(s)) => Some(format!("{t} and {s}")),
        (Some(t), None) => Some(t),
        (None, Some(s)) => Some(s.to_owned()),
        (None, None) => None,
    })
}

#[derive(Template)]
#[template(path = "directory.html")]
struct ListPage {
    nav: Option<Nav>,
    slug: String,
    name: String,
    tab: &'static str,
    users: Vec<UserView>,
    groups: Vec<GroupView>,
    q: String,
    state: &'static str,
    /// The link to the next page, if any.
    next: Option<String>,
    error: Option<String>,
}

/// A query string's value, percent-encoded.
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn state_name(state: Shown) -> &'static str {
    match state {
        Shown::All => "",
        Shown::Active => "active",
        Shown::Deactivated => "deactivated",
        Shown::Deleted => "deleted",
    }
}

async fn list(
    state: AppState,
    ui: UiAdmin,
    slug: String,
    params: ListParams,
    kind: ResourceKind,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::TenantsRead).await?;
    let shown = Shown::parse(&params.state);
    let tab = match kind {
        ResourceKind::User => "users",
        ResourceKind::Group => "groups",
    };
    let mut page = ListPage {
        nav: Some(ui.nav()),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        tab,
        users: Vec::new(),
        groups: Vec::new(),
        q: params.q.clone(),
        state: state_name(shown),
        next: None,
        error: None,
    };
    let filter = match search_filter(&state.ops, &ctx, kind, &params.q, shown) {
        Ok(f) => f,
        Err(why) => {
            page.error = Some(format!("That filter does not work: {why}"));
            return Ok(render(&page));
        }
    };
    let (seen, cursor) = (shown.seen(), params.cursor.as_deref());
    let read = match kind {
        ResourceKind::User => view::users(&state.ops, &ctx, seen, filter.as_deref(), cursor, PAGE)
            .await
            .map(|p| (p.next_cursor, p.items, Vec::new())),
        ResourceKind::Group => view::groups(&state.ops, &ctx, seen, filter.as_deref(), cursor, PAGE)
            .await
            .map(|p| (p.next_cursor, Vec::new(), p.items)),
    };
    let next_cursor = match read {
        Ok((next, users, groups)) => {
            (page.users, page.groups) = (users, groups);
            next
        }
        // A filter the tenant's schemas refuse, a cursor of another query.
        Err(OpError::Refused(e)) => {
            page.error = Some(e.detail);
            None
        }
        Err(e) => return Err(e.into()),
    };
    page.next = next_cursor.map(|c| {
        format!("/ui/tenants/{}/{tab}?q={}&state={}&cursor={}", ctx.tenant.slug, enc(&params.q), page.state, enc(&c))
    });
    Ok(render(&page))
}

pub async fn users_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, UiError> {
    list(state, ui, slug, params, ResourceKind::User).await
}

pub async fn groups_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, UiError> {
    list(state, ui, slug, params, ResourceKind::Group).await
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    nav: Option<Nav>,
    slug: String,
    name: String,
    tab: &'static str,
    user: UserView,
    scim: String,
    error: Option<String>,
}

pub async fn user_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::TenantsRead).await?;
    let user = view::user(&state.ops, &ctx, &id).await?;
    let scim = serde_json::to_string_pretty(&user.scim).unwrap_or_default();
    let page = UserPage {
        nav: Some(ui.nav()),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        tab: "users",
        user,
        scim,
        error: None,
    };
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
pub struct MemberParams {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    nav: Option<Nav>,
    slug: String,
    name: String,
    tab: &'static str,
    group: GroupView,
    members: Vec<MemberView>,
    /// Whether this is a later page of the members.
    later: bool,
    next: Option<String>,
    scim: String,
    error: Option<String>,
}

pub async fn group_page(
    State(state): State<AppState>,
    ui: UiAdmin,
    Path((slug, id)): Path<(String, String)>,
    Query(params): Query<MemberParams>,
) -> Result<Response, UiError> {
    let ctx = ui.tenant_to_see(&state, &slug, Scope::TenantsRead).await?;
    let group = view::group(&state.ops, &ctx, &id).await?;
    let cursor = params.cursor.as_deref().filter(|c| !c.is_empty());
    let members = view::members(&state.ops, &ctx, &id, cursor, MEMBERS_PAGE).await?;
    let next =
        members.next_cursor.map(|c| format!("/ui/tenants/{}/groups/{}?cursor={}", ctx.tenant.slug, group.id, enc(&c)));
    let scim = serde_json::to_string_pretty(&group.scim).unwrap_or_default();
    let page = GroupPage {
        nav: Some(ui.nav()),
        slug: ctx.tenant.slug.clone(),
        name: ctx.tenant.name.clone(),
        tab: "groups",
        group,
        members: members.items,
        later: cursor.is_some(),
        next,
        scim,
        error: None,
    };
    Ok(render(&page))
}
