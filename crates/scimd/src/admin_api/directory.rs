//! `/admin/v1/tenants/{slug}/users` and `…/groups`: the host application's
//! view of a tenant's users and groups, deactivated and soft-deleted ones
//! included (SCIM hides the deleted), filtered in the SCIM filter language,
//! paged by cursor; a group's members paged by a keyset on the member id.
//! Scope `tenants:read`. The views and cursors are [`super::directory_view`]'s.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Admin;
use super::directory_view::{self as view, GroupPage, GroupView, MemberPage, UserPage, UserView};
use super::problem::{AuthRefusals, Problem};
use super::query;
use crate::ops::admin_tokens::Scope;
use crate::ops::directory::MAX_LIMIT;
use crate::state::AppState;
use scim_store::Visibility;

/// A list's filter and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryParams {
    /// A SCIM filter (RFC 7644 §3.4.2.2), e.g. `userName sw "a"` or `active eq false`.
    pub filter: Option<String>,
    /// The `next_cursor` of the previous page (send the same filter).
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// A member list's page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Members per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// Lists a tenant's users, deactivated and soft-deleted ones included, in
/// creation order.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/users", tag = "directory",
    params(("slug" = String, Path, description = "The tenant's slug"), DirectoryParams),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 400, description = "A filter that would examine more users than the server allows (narrow it with an indexed attribute)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant (or not one the token may see)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter that does not parse or names no attribute, a limit out of range, or a cursor this server did not give for this query", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_users(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    params: Result<Query<DirectoryParams>, QueryRejection>,
) -> Result<Json<UserPage>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let Query(p) = params.map_err(|e| query::malformed(&e))?;
    let limit = query::limit(p.limit.as_deref(), MAX_LIMIT)?;
    Ok(Json(
        view::users(&state.ops, &ctx, Visibility::WithDeleted, p.filter.as_deref(), p.cursor.as_deref(), limit).await?,
    ))
}

/// Lists a tenant's groups, soft-deleted ones included, in creation order.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/groups", tag = "directory",
    params(("slug" = String, Path, description = "The tenant's slug"), DirectoryParams),
    responses(
        (status = 200, description = "A page of groups", body = GroupPage),
        (status = 400, description = "A filter that would examine more groups than the server allows", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant (or not one the token may see)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter that does not parse or names no attribute, a limit out of range, or a cursor this server did not give for this query", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_groups(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    params: Result<Query<DirectoryParams>, QueryRejection>,
) -> Result<Json<GroupPage>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let Query(p) = params.map_err(|e| query::malformed(&e))?;
    let limit = query::limit(p.limit.as_deref(), MAX_LIMIT)?;
    Ok(Json(
        view::groups(&state.ops, &ctx, Visibility::WithDeleted, p.filter.as_deref(), p.cursor.as_deref(), limit)
            .await?,
    ))
}

/// One user, live, deactivated or soft-deleted, with its groups.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/users/{id}", tag = "directory",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such tenant or user (a hard-deleted user is gone)", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn get_user(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<UserView>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    Ok(Json(view::user(&state.ops, &ctx, &id).await?))
}

/// One group, live or soft-deleted.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/groups/{id}", tag = "directory",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = String, Path, description = "The group's id")),
    responses(
        (status = 200, description = "The group (its members: …/members)", body = GroupView),
        (status = 404, description = "No such tenant or group", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn get_group(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<GroupView>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    Ok(Json(view::group(&state.ops, &ctx, &id).await?))
}

/// A group's members, in member id order, a page at a time: a page of a
/// group of 100,000 costs what a page of a small one does.
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/groups/{id}/members", tag = "directory",
    params(("slug" = String, Path, description = "The tenant's slug"), ("id" = String, Path, description = "The group's id"), MemberParams),
    responses(
        (status = 200, description = "A page of members", body = MemberPage),
        (status = 404, description = "No such tenant or group", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit out of range, or a cursor this server did not give for this group", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["tenants:read"]))
)]
pub async fn list_group_members(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
    params: Result<Query<MemberParams>, QueryRejection>,
) -> Result<Json<MemberPage>, Problem> {
    admin.require(Scope::TenantsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let Query(p) = params.map_err(|e| query::malformed(&e))?;
    let limit = query::limit(p.limit.as_deref(), MAX_LIMIT)?;
    Ok(Json(view::members(&state.ops, &ctx, &id, p.cursor.as_deref(), limit).await?))
}
