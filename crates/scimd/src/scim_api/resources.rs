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
use scim_store::{
    AuditContext, CreateResource, DeleteResource, ResourceKind, StoreError, StoredResource, UpdateResource,
};
use serde_json::Value;
use uuid::Uuid;

use super::etag::{self, Precondition};
use super::json::ScimBody;
use super::list::{Params, list_resources};
use super::render::{
    Head, compose, group_values, not_found, parse_id, render_one, render_with, resource_response, resource_type,
    set_etag,
};
use super::search::search_kind;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::password::hash_optional;
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
    let created = create(&state, &caller, K::KIND, &body).await?;
    let head = Head::of(&created.stored);
    let body = render_one(&state, ctx, rt, &projection, created.stored, created.with_members).await?;
    Ok(resource_response(StatusCode::CREATED, ctx, head, &body))
}

/// A resource just created by [`create`].
pub(crate) struct Created {
    pub stored: StoredResource,
    /// A Group created with members: only then are they worth reading back.
    pub with_members: bool,
}

/// Creates a resource from a request body (RFC 7644 §3.3): validation,
/// password hash, a Group's initial membership rows, audit and outbox in
/// the store's one transaction. Shared by `POST /{endpoint}` and Bulk.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    kind: ResourceKind,
    body: &Value,
) -> Result<Created, ApiError> {
    let ctx = &caller.tenant;
    let rt = resource_type(ctx, kind)?;
    let prepared = resource::prepare(body, Mode::Create, &ctx.registry, rt)?;
    let password_hash = hash_optional(prepared.password).await?;
    let members = match kind {
        ResourceKind::Group => prepared.members.unwrap_or_default(),
        ResourceKind::User => Vec::new(),
    };
    // A new User belongs to no group yet.
    let with_members = !members.is_empty();
    let stored = state
        .store
        .create_resource(CreateResource {
            tenant: ctx.tenant.id,
            kind,
            doc: prepared.doc,
            password_hash,
            members,
            audit: audit_of(caller),
        })
        .await?;
    Ok(Created { stored, with_members })
}

/// The store's audit context of a caller's write.
fn audit_of(caller: &Caller) -> AuditContext {
    let mut audit = caller.audit.clone();
    audit.token = Some(caller.token);
    audit
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
    // A User's groups come with the row in one store call when the response
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
    let stored = replace(&state, &caller, K::KIND, id, if_match.as_ref(), &body).await?;
    let head = Head::of(&stored);
    let body = render_one(&state, ctx, rt, &projection, stored, true).await?;
    Ok(resource_response(StatusCode::OK, ctx, head, &body))
}

/// Replaces resource `id` with a request body (RFC 7644 §3.5.1), checking
/// `if_match` (RFC 7644 §3.14). Shared by `PUT /{endpoint}/{id}` and Bulk.
pub(crate) async fn replace(
    state: &AppState,
    caller: &Caller,
    kind: ResourceKind,
    id: Uuid,
    if_match: Option<&Precondition>,
    body: &Value,
) -> Result<StoredResource, ApiError> {
    let ctx = &caller.tenant;
    let rt = resource_type(ctx, kind)?;
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let existing = fetch(state, ctx, kind, id).await?;
        check_if_match(if_match, existing.version)?;
        let full = compose(ctx, &existing);
        let prepared = resource::prepare(body, Mode::Replace { existing: &full }, &ctx.registry, rt)?;
        let member_changes = match kind {
            ResourceKind::Group => vec![MemberChange::ReplaceAll(prepared.members.unwrap_or_default())],
            ResourceKind::User => Vec::new(),
        };
        let write = UpdateResource {
            tenant: ctx.tenant.id,
            kind,
            id,
            expected_version: Some(existing.version),
            doc: Some(prepared.doc),
            password_hash: hash_optional(prepared.password).await?,
            member_changes,
            audit: audit_of(caller),
        };
        match state.store.update_resource(write).await {
            Ok(stored) => return Ok(stored),
            Err(StoreError::VersionMismatch { .. }) if if_match.is_none() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_much_contention(kind))
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
    let stored = apply_patch(&state, &caller, K::KIND, id, if_match.as_ref(), &body).await?;
    if K::KIND == ResourceKind::Group && !raw.wants_projection() {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        set_etag(&mut resp, stored.version);
        return Ok(resp);
    }
    let head = Head::of(&stored);
    let body = render_one(&state, ctx, rt, &projection, stored, true).await?;
    Ok(resource_response(StatusCode::OK, ctx, head, &body))
}

/// Applies a PatchOp request body to resource `id` (RFC 7644 §3.5.2),
/// checking `if_match` (RFC 7644 §3.14); returns the resource as stored
/// afterwards. Shared by `PATCH /{endpoint}/{id}` and Bulk.
pub(crate) async fn apply_patch(
    state: &AppState,
    caller: &Caller,
    kind: ResourceKind,
    id: Uuid,
    if_match: Option<&Precondition>,
    body: &Value,
) -> Result<StoredResource, ApiError> {
    let ctx = &caller.tenant;
    let rt = resource_type(ctx, kind)?;
    let ops = patch::parse_patch_request(body)?;
    let (ops, member_changes) = match kind {
        ResourceKind::Group => patch::split_member_operations(ops)?,
        ResourceKind::User => (ops, Vec::new()),
    };
    if ops.is_empty() && !member_changes.is_empty() {
        return patch_members(state, caller, kind, id, if_match, member_changes).await;
    }
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let existing = fetch(state, ctx, kind, id).await?;
        check_if_match(if_match, existing.version)?;
        let mut new_doc = None;
        let mut password_hash = None;
        if !ops.is_empty() {
            let original = compose(ctx, &existing);
            let mut patched = original.clone();
            if patch::apply(&mut patched, &ops, &ctx.registry, rt)? {
                let prepared = resource::prepare(&patched, Mode::Patched { existing: &original }, &ctx.registry, rt)?;
                password_hash = hash_optional(prepared.password).await?;
                if prepared.doc != existing.doc || password_hash.is_some() {
                    new_doc = Some(prepared.doc);
                }
            }
        }
        if new_doc.is_none() && password_hash.is_none() && member_changes.is_empty() {
            return Ok(existing);
        }
        let write = UpdateResource {
            tenant: ctx.tenant.id,
            kind,
            id,
            expected_version: Some(existing.version),
            doc: new_doc,
            password_hash,
            member_changes: member_changes.clone(),
            audit: audit_of(caller),
        };
        match state.store.update_resource(write).await {
            Ok(stored) => return Ok(stored),
            Err(StoreError::VersionMismatch { .. }) if if_match.is_none() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_much_contention(kind))
}

/// The version an unconditional-read write must find, from If-Match: none
/// (or `*`), the one tag given, or — for a list of tags — the current version
/// once it is known to be among them (RFC 7644 §3.14).
async fn expected_version(
    state: &AppState,
    ctx: &TenantCtx,
    kind: ResourceKind,
    id: Uuid,
    if_match: Option<&Precondition>,
) -> Result<Option<i64>, ApiError> {
    Ok(match if_match {
        None | Some(Precondition::Any) => None,
        Some(p) => match p.single() {
            Some(v) => Some(v),
            None => {
                let existing = fetch(state, ctx, kind, id).await?;
                check_if_match(Some(p), existing.version)?;
                Some(existing.version)
            }
        },
    })
}

/// A PATCH that only changes a Group's membership: written without reading
/// the group first (membership changes commute), so adding one member costs
/// one statement per member whatever the group's size, and concurrent adds
/// never conflict. An If-Match with one tag is checked by the store; a list
/// of tags needs the current version first.
async fn patch_members(
    state: &AppState,
    caller: &Caller,
    kind: ResourceKind,
    id: Uuid,
    if_match: Option<&Precondition>,
    member_changes: Vec<patch::MemberChange>,
) -> Result<StoredResource, ApiError> {
    let ctx = &caller.tenant;
    let expected_version = expected_version(state, ctx, kind, id, if_match).await?;
    let write = UpdateResource {
        tenant: ctx.tenant.id,
        kind,
        id,
        expected_version,
        doc: None,
        password_hash: None,
        member_changes,
        audit: audit_of(caller),
    };
    match state.store.update_resource(write).await {
        Ok(stored) => Ok(stored),
        Err(StoreError::NotFound) => Err(not_found(kind)),
        Err(StoreError::VersionMismatch { current }) => Err(ApiError::precondition_failed(current)),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /Users/{id}` (RFC 7644 §3.6): 204, per the tenant's delete
/// policy (DESIGN §5).
pub async fn delete_resource<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    path: RawPathParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(&path, K::KIND)?;
    let if_match = etag::if_match(&headers)?;
    delete(&state, &caller, K::KIND, id, if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes resource `id` (RFC 7644 §3.6) per the tenant's delete policy,
/// checking `if_match` (RFC 7644 §3.14). Shared by `DELETE` and Bulk.
pub(crate) async fn delete(
    state: &AppState,
    caller: &Caller,
    kind: ResourceKind,
    id: Uuid,
    if_match: Option<&Precondition>,
) -> Result<(), ApiError> {
    let ctx = &caller.tenant;
    let expected_version = expected_version(state, ctx, kind, id, if_match).await?;
    let result = state
        .store
        .delete_resource(DeleteResource {
            tenant: ctx.tenant.id,
            kind,
            id,
            expected_version,
            policy: ctx.tenant.settings.delete_policy,
            audit: audit_of(caller),
        })
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(not_found(kind)),
        Err(e) => Err(e.into()),
    }
}
