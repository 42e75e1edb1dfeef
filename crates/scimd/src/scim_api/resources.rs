//! The resource endpoints shared by Users and Groups (RFC 7644 §3.3 POST,
//! §3.4.1 GET, §3.5.1 PUT, §3.5.2 PATCH, §3.6 DELETE, §3.14 ETags), written
//! once and instantiated per resource type by [`Kind`].

use axum::Router;
use axum::extract::{RawPathParams, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use scim_core::ScimError;
use scim_core::patch::{self, MemberChange};
use scim_core::resource::{self, Mode};
use scim_store::{CreateResource, DeleteResource, ResourceKind, StoreError, StoredResource, UpdateResource};
use uuid::Uuid;

use super::etag::{self, Precondition};
use super::json::ScimBody;
use super::list::{Params, list_resources};
use super::render::{
    compose, group_values, not_found, parse_id, render_one, render_with, resource_response, resource_type, set_etag,
};
use super::search::search_kind;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::password::hash_password;
use crate::state::{AppState, TenantCtx};

/// How often a write computed from a stale read is recomputed before the
/// request gives up (only without `If-Match`; with it, staleness is 412).
const MAX_WRITE_ATTEMPTS: usize = 5;

/// A SCIM resource type served by the shared handlers.
pub trait Kind: Send + Sync + 'static {
    const KIND: ResourceKind;
    /// The endpoint, `Users` or `Groups`.
    const ENDPOINT: &'static str;
}

/// The routes of one resource type.
pub fn router<K: Kind>() -> Router<AppState> {
    let base = format!("/scim/v2/{{tenant}}/{}", K::ENDPOINT);
    Router::new()
        .route(&base, get(list_resources::<K>).post(create_resource::<K>))
        .route(&format!("{base}/.search"), post(search_kind::<K>))
        .route(
            &format!("{base}/{{id}}"),
            get(get_resource::<K>).put(replace_resource::<K>).patch(patch_resource::<K>).delete(delete_resource::<K>),
        )
}

/// The `{id}` path parameter (404 when it is not a UUID).
fn path_id(params: &RawPathParams, kind: ResourceKind) -> Result<Uuid, ApiError> {
    let raw = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v).ok_or_else(|| not_found(kind))?;
    parse_id(raw, kind)
}

async fn fetch(state: &AppState, ctx: &TenantCtx, kind: ResourceKind, id: Uuid) -> Result<StoredResource, ApiError> {
    state.store.get_resource(ctx.tenant.id, kind, id).await?.ok_or_else(|| not_found(kind))
}

fn check_if_match(pre: Option<&Precondition>, current: i64) -> Result<(), ApiError> {
    match pre {
        Some(p) if !p.matches(current) => Err(ApiError::precondition_failed(current)),
        _ => Ok(()),
    }
}

fn too_much_contention(kind: ResourceKind) -> ApiError {
    ApiError::Scim(ScimError::new(
        409,
        None,
        format!("the {} was changed concurrently too often; retry the request", kind.as_str()),
    ))
}

/// `POST /Users`, `POST /Groups` (RFC 7644 §3.3): 201 with Location and ETag.
pub async fn create_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    Params(raw): Params,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let rt = resource_type(ctx, K::KIND)?;
    let projection = raw.projection()?;
    let prepared = resource::prepare(&body, Mode::Create, &ctx.registry, rt)?;
    let password_hash = prepared.password.as_deref().map(hash_password);
    let members = match K::KIND {
        ResourceKind::Group => prepared.members.unwrap_or_default(),
        ResourceKind::User => Vec::new(),
    };
    // A new User belongs to no group yet; a new Group's members are worth
    // reading back only when it was created with some.
    let load_derived = !members.is_empty();
    let mut audit = caller.audit;
    audit.token = Some(caller.token);
    let stored = state
        .store
        .create_resource(CreateResource {
            tenant: ctx.tenant.id,
            kind: K::KIND,
            doc: prepared.doc,
            password_hash,
            members,
            audit,
        })
        .await?;
    let body = render_one(&state, ctx, rt, &projection, &stored, load_derived).await?;
    Ok(resource_response(StatusCode::CREATED, ctx, &stored, &body))
}

/// `GET /Users/{id}` (RFC 7644 §3.4.1), with `If-None-Match` → 304.
pub async fn get_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: RawPathParams,
    Params(raw): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let rt = resource_type(ctx, K::KIND)?;
    let projection = raw.projection()?;
    let if_none_match = etag::if_none_match(&headers)?;
    // A User's groups come with the row in one round trip when the response
    // carries them (the common `GET /Users/{id}`).
    let (stored, groups) = if K::KIND == ResourceKind::User && projection.includes("groups", &ctx.registry, rt) {
        let (user, groups) =
            state.store.get_user_with_groups(ctx.tenant.id, id).await?.ok_or_else(|| not_found(K::KIND))?;
        (user, Some(groups))
    } else {
        (fetch(&state, ctx, K::KIND, id).await?, None)
    };
    if if_none_match.is_some_and(|p| p.matches(stored.version)) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        set_etag(&mut resp, stored.version);
        return Ok(resp);
    }
    let body = match groups {
        Some(groups) => render_with(ctx, rt, &projection, &stored, group_values(ctx, groups)),
        None => render_one(&state, ctx, rt, &projection, &stored, true).await?,
    };
    Ok(resource_response(StatusCode::OK, ctx, &stored, &body))
}

/// `PUT /Users/{id}` (RFC 7644 §3.5.1): replaces the resource; for a Group
/// also its whole membership (absent `members` is an empty group).
pub async fn replace_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: RawPathParams,
    Params(raw): Params,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let rt = resource_type(ctx, K::KIND)?;
    let projection = raw.projection()?;
    let if_match = etag::if_match(&headers)?;
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let existing = fetch(&state, ctx, K::KIND, id).await?;
        check_if_match(if_match.as_ref(), existing.version)?;
        let full = compose(ctx, &existing);
        let prepared = resource::prepare(&body, Mode::Replace { existing: &full }, &ctx.registry, rt)?;
        let member_changes = match K::KIND {
            ResourceKind::Group => vec![MemberChange::ReplaceAll(prepared.members.unwrap_or_default())],
            ResourceKind::User => Vec::new(),
        };
        let mut audit = caller.audit.clone();
        audit.token = Some(caller.token);
        let write = UpdateResource {
            tenant: ctx.tenant.id,
            kind: K::KIND,
            id,
            expected_version: existing.version,
            doc: Some(prepared.doc),
            password_hash: prepared.password.as_deref().map(hash_password),
            member_changes,
            audit,
        };
        match state.store.update_resource(write).await {
            Ok(stored) => {
                let body = render_one(&state, ctx, rt, &projection, &stored, true).await?;
                return Ok(resource_response(StatusCode::OK, ctx, &stored, &body));
            }
            Err(StoreError::VersionMismatch { .. }) if if_match.is_none() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_much_contention(K::KIND))
}

/// `PATCH /Users/{id}` (RFC 7644 §3.5.2). Group `members` operations go to
/// the store as membership changes, so they cost the same for any group
/// size; a PATCH that changes nothing writes nothing. Users answer 200 with
/// the resource; Groups 204, or 200 when `attributes`/`excludedAttributes`
/// ask for the resource (so adding a member never loads all members).
pub async fn patch_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: RawPathParams,
    Params(raw): Params,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let rt = resource_type(ctx, K::KIND)?;
    let projection = raw.projection()?;
    let if_match = etag::if_match(&headers)?;
    let ops = patch::parse_patch_request(&body)?;
    let (ops, member_changes) = match K::KIND {
        ResourceKind::Group => patch::split_member_operations(ops)?,
        ResourceKind::User => (ops, Vec::new()),
    };
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let existing = fetch(&state, ctx, K::KIND, id).await?;
        check_if_match(if_match.as_ref(), existing.version)?;
        let mut new_doc = None;
        let mut password_hash = None;
        if !ops.is_empty() {
            let original = compose(ctx, &existing);
            let mut patched = original.clone();
            if patch::apply(&mut patched, &ops, &ctx.registry, rt)? {
                let prepared = resource::prepare(&patched, Mode::Patched { existing: &original }, &ctx.registry, rt)?;
                password_hash = prepared.password.as_deref().map(hash_password);
                if prepared.doc != existing.doc || password_hash.is_some() {
                    new_doc = Some(prepared.doc);
                }
            }
        }
        let stored = if new_doc.is_none() && password_hash.is_none() && member_changes.is_empty() {
            existing
        } else {
            let mut audit = caller.audit.clone();
            audit.token = Some(caller.token);
            let write = UpdateResource {
                tenant: ctx.tenant.id,
                kind: K::KIND,
                id,
                expected_version: existing.version,
                doc: new_doc,
                password_hash,
                member_changes: member_changes.clone(),
                audit,
            };
            match state.store.update_resource(write).await {
                Ok(stored) => stored,
                Err(StoreError::VersionMismatch { .. }) if if_match.is_none() => continue,
                Err(e) => return Err(e.into()),
            }
        };
        if K::KIND == ResourceKind::Group && !raw.wants_projection() {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            set_etag(&mut resp, stored.version);
            return Ok(resp);
        }
        let body = render_one(&state, ctx, rt, &projection, &stored, true).await?;
        return Ok(resource_response(StatusCode::OK, ctx, &stored, &body));
    }
    Err(too_much_contention(K::KIND))
}

/// `DELETE /Users/{id}` (RFC 7644 §3.6): 204, per the tenant's delete
/// policy (DESIGN §5).
pub async fn delete_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: RawPathParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ctx = &caller.tenant;
    let id = path_id(&path, K::KIND)?;
    let expected_version = match etag::if_match(&headers)? {
        None | Some(Precondition::Any) => None,
        Some(p) => match p.single() {
            Some(v) => Some(v),
            // A list of tags: find out which version is current first.
            None => {
                let existing = fetch(&state, ctx, K::KIND, id).await?;
                check_if_match(Some(&p), existing.version)?;
                Some(existing.version)
            }
        },
    };
    let mut audit = caller.audit;
    audit.token = Some(caller.token);
    let result = state
        .store
        .delete_resource(DeleteResource {
            tenant: ctx.tenant.id,
            kind: K::KIND,
            id,
            expected_version,
            policy: ctx.tenant.settings.delete_policy,
            audit,
        })
        .await;
    match result {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::NotFound) => Err(not_found(K::KIND)),
        Err(e) => Err(e.into()),
    }
}
