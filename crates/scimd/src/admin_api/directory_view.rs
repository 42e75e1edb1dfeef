//! The host application's view of its users and groups as the admin API
//! and the CLI (`scimd users|groups`) show it: each resource with its
//! flags (`active`, `deleted`) beside its SCIM representation, and pages
//! with an opaque `next_cursor`. The cursors are the SCIM API's
//! ([`crate::scim_api::cursor`], RFC 9865): a keyset after the last
//! resource of a page in the default order (creation, then id), bound to
//! the query (tenant, list, filter); a member list's cursor holds the last
//! member's id, the keyset of the membership table.

use scim_core::resource::format_datetime;
use scim_store::{After, GroupRef, Member, ResourceKind, StoredResource, Visibility};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ops::{OpError, OpResult, Ops, TenantCtx};
use crate::scim_api::cursor::{self, Position, Scope};

/// What the host application knows of a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `false` once the identity provider deactivated the user (SCIM `active: false`).
    pub active: bool,
    /// Soft-deleted: gone for the identity provider (SCIM answers 404), kept here.
    pub deleted: bool,
    /// When it was deleted, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// The groups it belongs to directly (none once deleted).
    pub groups: Vec<GroupRefView>,
    /// The SCIM representation as last stored (RFC 7643), without `groups`.
    #[schema(value_type = Object)]
    pub scim: Value,
}

/// What the host application knows of a group (its members: `…/members`).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: Uuid,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Soft-deleted: gone for the identity provider, kept here.
    pub deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// The SCIM representation as last stored, without `members`.
    #[schema(value_type = Object)]
    pub scim: Value,
}

/// A group a user belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupRefView {
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// A member of a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    /// `User` or `Group`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(User|Group)$")]
    pub kind: &'static str,
    /// As the identity provider sent it, else the member's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    /// Pass as `cursor` (with the same filter) for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A page of groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupView>,
    /// Pass as `cursor` (with the same filter) for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A page of a group's members, in member id order.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberView>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn text(doc: &Value, attr: &str) -> Option<String> {
    doc.get(attr).and_then(Value::as_str).map(str::to_owned)
}

fn deleted_at(r: &StoredResource) -> Option<String> {
    r.deleted.map(format_datetime)
}

impl UserView {
    fn of(ctx: &TenantCtx, r: StoredResource, groups: Vec<GroupRef>) -> UserView {
        UserView {
            id: r.id,
            user_name: text(&r.doc, "userName").unwrap_or_default(),
            display_name: text(&r.doc, "displayName"),
            external_id: text(&r.doc, "externalId"),
            active: r.doc.get("active").and_then(Value::as_bool) != Some(false),
            deleted: r.deleted.is_some(),
            deleted_at: deleted_at(&r),
            groups: groups.into_iter().map(|g| GroupRefView { id: g.value, display_name: g.display }).collect(),
            scim: ctx.composed(&r),
        }
    }
}

impl GroupView {
    fn of(ctx: &TenantCtx, r: StoredResource) -> GroupView {
        GroupView {
            id: r.id,
            display_name: text(&r.doc, "displayName").unwrap_or_default(),
            external_id: text(&r.doc, "externalId"),
            deleted: r.deleted.is_some(),
            deleted_at: deleted_at(&r),
            scim: ctx.composed(&r),
        }
    }
}

impl From<Member> for MemberView {
    fn from(m: Member) -> MemberView {
        MemberView { id: m.value, kind: m.kind.as_str(), display: m.display }
    }
}

/// The query a list's cursor belongs to.
fn scope<'a>(ctx: &TenantCtx, list: &'a str, filter: Option<&'a str>) -> Scope<'a> {
    Scope { tenant: ctx.tenant.id, endpoint: list, filter, sort_by: None, sort_order: None }
}

/// The keyset position of a cursor of `scope`: none for the first page.
fn position(scope: &Scope<'_>, cursor: Option<&str>) -> OpResult<Option<After>> {
    match cursor.map(|c| cursor::decode(scope, c)).transpose().map_err(OpError::Refused)? {
        None | Some(Position::Start) => Ok(None),
        Some(Position::After(a)) => Ok(Some(a)),
        Some(_) => Err(OpError::Refused(cursor::invalid_cursor())),
    }
}

/// A page of `kind` with soft-deleted ones, and the next page's cursor.
async fn resources(
    ops: &Ops,
    ctx: &TenantCtx,
    kind: ResourceKind,
    seen: Visibility,
    filter: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> OpResult<(scim_store::ListPage, Option<String>)> {
    let filter = filter.filter(|f| !f.trim().is_empty());
    // A cursor belongs to the rows it was read from, too.
    let list = match seen {
        Visibility::WithDeleted => format!("admin/{}", kind.endpoint()),
        Visibility::Live => format!("admin/{}/live", kind.endpoint()),
        Visibility::OnlyDeleted => format!("admin/{}/deleted", kind.endpoint()),
    };
    let scope = scope(ctx, &list, filter);
    let after = position(&scope, cursor)?;
    let parsed = filter.map(|f| ops.directory_filter(ctx, kind, f)).transpose()?;
    let page = ops.list_directory(ctx, kind, seen, parsed.as_ref(), after, limit).await?;
    let next = match (page.more, page.resources.last()) {
        (true, Some(last)) => Some(cursor::encode(&scope, Position::After(After::of(last)))),
        _ => None,
    };
    Ok((page, next))
}

/// A page of users among the rows `seen` names (the admin API: deactivated
/// and soft-deleted ones too) matching `filter` (SCIM filter language),
/// from `cursor`.
pub async fn users(
    ops: &Ops,
    ctx: &TenantCtx,
    seen: Visibility,
    filter: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> OpResult<UserPage> {
    let (page, next_cursor) = resources(ops, ctx, ResourceKind::User, seen, filter, cursor, limit).await?;
    let mut groups = match page.groups {
        Some(g) => g,
        None => ops.groups_of(ctx, &page.resources.iter().map(|r| r.id).collect::<Vec<_>>()).await?,
    };
    let items = page
        .resources
        .into_iter()
        .map(|r| {
            let g = groups.remove(&r.id).unwrap_or_default();
            UserView::of(ctx, r, g)
        })
        .collect();
    Ok(UserPage { items, next_cursor })
}

/// A page of groups among the rows `seen` names matching `filter`, from `cursor`.
pub async fn groups(
    ops: &Ops,
    ctx: &TenantCtx,
    seen: Visibility,
    filter: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> OpResult<GroupPage> {
    let (page, next_cursor) = resources(ops, ctx, ResourceKind::Group, seen, filter, cursor, limit).await?;
    let items = page.resources.into_iter().map(|r| GroupView::of(ctx, r)).collect();
    Ok(GroupPage { items, next_cursor })
}

/// An id from a path or an argument; anything else names no resource (404).
pub fn resource_id(raw: &str, kind: ResourceKind) -> OpResult<Uuid> {
    Uuid::try_parse(raw.trim()).map_err(|_| OpError::no_such(kind))
}

/// One user, live or soft-deleted, with its groups.
pub async fn user(ops: &Ops, ctx: &TenantCtx, id: &str) -> OpResult<UserView> {
    let (user, groups) = ops.directory_user(ctx, resource_id(id, ResourceKind::User)?).await?;
    Ok(UserView::of(ctx, user, groups))
}

/// One group, live or soft-deleted.
pub async fn group(ops: &Ops, ctx: &TenantCtx, id: &str) -> OpResult<GroupView> {
    let group = ops.directory_resource(ctx, ResourceKind::Group, resource_id(id, ResourceKind::Group)?).await?;
    Ok(GroupView::of(ctx, group))
}

/// A page of a group's members from `cursor`. The cursor holds the last
/// member's id (in the cursor format's keyset place, at time zero).
pub async fn members(
    ops: &Ops,
    ctx: &TenantCtx,
    group: &str,
    cursor: Option<&str>,
    limit: u32,
) -> OpResult<MemberPage> {
    let group = resource_id(group, ResourceKind::Group)?;
    let list = format!("admin/Groups/{group}/members");
    let scope = scope(ctx, &list, None);
    let after = position(&scope, cursor)?.map(|a| a.id);
    let (members, more) = ops.directory_members(ctx, group, after, limit).await?;
    let next_cursor = match (more, members.last()) {
        (true, Some(last)) => {
            Some(cursor::encode(&scope, Position::After(After { created: OffsetDateTime::UNIX_EPOCH, id: last.value })))
        }
        _ => None,
    };
    Ok(MemberPage { items: members.into_iter().map(MemberView::from).collect(), next_cursor })
}
