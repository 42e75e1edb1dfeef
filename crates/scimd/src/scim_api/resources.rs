//! The single-resource endpoints shared by Users and Groups (RFC 7644 §3.3
//! POST, §3.4.1 GET, §3.5.1 PUT, §3.5.2 PATCH, §3.6 DELETE, §3.14 ETags),
//! written once and instantiated per resource type by [`Kind`]: extract,
//! call [`crate::ops`], render.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use scim_store::ResourceKind;
use uuid::Uuid;

use super::error::ApiError;
use super::etag::{self, set_etag};
use super::json::ScimBody;
use super::kinds::Kind;
use super::params::{Params, PathParams, resource_id};
use super::render::{Head, group_values, render_one, render_with, resource_response};
use super::tenancy::Caller;
use crate::ops::OpError;
use crate::state::AppState;

/// The `{id}` path parameter (404 when it is not a UUID).
fn path_id(params: &PathParams, kind: ResourceKind) -> Result<Uuid, OpError> {
    resource_id(params.get("id"), kind)
}

/// `POST /Users`, `POST /Groups` (RFC 7644 §3.3): 201 with Location and ETag.
pub async fn create_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    Params(raw): Params,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let rt = ctx.resource_type(K::KIND)?;
    let projection = raw.projection()?;
    let created = state.ops.create_resource(ctx, &caller.audit, K::KIND, &body).await?;
    let head = Head::of(&created.stored);
    let body = render_one(&state, ctx, rt, &projection, created.stored, created.with_members).await?;
    Ok(resource_response(StatusCode::CREATED, ctx, head, &body))
}

/// `GET /Users/{id}` (RFC 7644 §3.4.1), with `If-None-Match` → 304.
pub async fn get_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: PathParams,
    Params(raw): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let rt = ctx.resource_type(K::KIND)?;
    let projection = raw.projection()?;
    let if_none_match = etag::if_none_match(&headers)?;
    // A User's groups come with the row in one store call when the response
    // carries them (the common `GET /Users/{id}`).
    let (stored, groups) = if K::KIND == ResourceKind::User && projection.includes("groups", &ctx.registry, rt) {
        let (user, groups) = state.ops.get_user_with_groups(ctx, id).await?;
        (user, Some(groups))
    } else {
        (state.ops.get_resource(ctx, K::KIND, id).await?, None)
    };
    if if_none_match.is_some_and(|p| p.matches(stored.version)) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        set_etag(&mut resp, stored.version);
        return Ok(resp);
    }
    let head = Head::of(&stored);
    let body = match groups {
        Some(groups) => render_with(ctx, rt, &projection, stored, group_values(ctx, groups)),
        None => render_one(&state, ctx, rt, &projection, stored, true).await?,
    };
    Ok(resource_response(StatusCode::OK, ctx, head, &body))
}

/// `PUT /Users/{id}` (RFC 7644 §3.5.1): replaces the resource; for a Group
/// also its whole membership (absent `members` is an empty group).
pub async fn replace_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: PathParams,
    Params(raw): Params,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let rt = ctx.resource_type(K::KIND)?;
    let projection = raw.projection()?;
    let if_match = etag::if_match(&headers)?;
    let stored = state.ops.replace_resource(ctx, &caller.audit, K::KIND, id, if_match.as_ref(), &body).await?;
    let head = Head::of(&stored);
    let body = render_one(&state, ctx, rt, &projection, stored, true).await?;
    Ok(resource_response(StatusCode::OK, ctx, head, &body))
}

/// `PATCH /Users/{id}` (RFC 7644 §3.5.2). Users answer 200 with the
/// resource; Groups 204, or 200 when `attributes`/`excludedAttributes` ask
/// for the resource (so adding a member never loads all members).
pub async fn patch_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: PathParams,
    Params(raw): Params,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let rt = ctx.resource_type(K::KIND)?;
    let projection = raw.projection()?;
    let if_match = etag::if_match(&headers)?;
    let stored = state.ops.patch_resource(ctx, &caller.audit, K::KIND, id, if_match.as_ref(), &body).await?;
    if K::KIND == ResourceKind::Group && !raw.wants_projection() {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        set_etag(&mut resp, stored.version);
        return Ok(resp);
    }
    let head = Head::of(&stored);
    let body = render_one(&state, ctx, rt, &projection, stored, true).await?;
    Ok(resource_response(StatusCode::OK, ctx, head, &body))
}

/// `DELETE /Users/{id}` (RFC 7644 §3.6): 204, per the tenant's delete
/// policy (DESIGN §5).
pub async fn delete_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: PathParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(&path, K::KIND)?;
    let if_match = etag::if_match(&headers)?;
    state.ops.delete_resource(&caller.tenant, &caller.audit, K::KIND, id, if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
