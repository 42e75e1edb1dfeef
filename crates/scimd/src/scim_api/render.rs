//! Turning stored resources into SCIM responses (RFC 7643 §3, RFC 7644
//! §3.4.1, §3.9): `schemas`, `id`, attributes, `meta` (absolute location,
//! weak version), the derived `groups` (User) or `members` (Group) — loaded
//! in one batch per page and only when the projection keeps them — and then
//! the projection itself.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use scim_core::projection::Projection;
use scim_core::schema::ResourceType;
use scim_store::{GroupRef, ResourceKind, StoredResource};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::ApiError;
use super::etag::set_etag;
use super::members_json::{MemberFields, Rendered, members_json};
use super::response::scim_response_sized;
use crate::ops::TenantCtx;
use crate::state::{AppState, LARGE_MEMBER_LIST};

/// What a single-resource response's headers need (`ETag`, `Location`),
/// taken before the resource's document is moved into the body.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    kind: ResourceKind,
    id: Uuid,
    version: i64,
}

impl Head {
    pub fn of(stored: &StoredResource) -> Head {
        Head { kind: stored.kind, id: stored.id, version: stored.version }
    }
}

/// A derived attribute of a resource, loaded for its response.
pub enum Derived {
    /// A User's `groups`.
    Groups(Value),
    /// A Group's `members`, already projected, as JSON text.
    Members(Box<RawValue>),
}

/// Renders resources of one kind for a response: composes each, adds the
/// derived attribute (one store call for the whole slice, none when the
/// projection drops it or `load_derived` is false), applies the projection.
pub async fn render_all(
    state: &AppState,
    ctx: &TenantCtx,
    rt: &ResourceType,
    projection: &Projection,
    resources: Vec<StoredResource>,
    load_derived: bool,
) -> Result<Vec<Rendered>, ApiError> {
    let Some(first) = resources.first() else { return Ok(Vec::new()) };
    let kind = first.kind;
    let mut derived = if load_derived && projection.includes(kind.derived_attr(), &ctx.registry, rt) {
        let ids: Vec<Uuid> = resources.iter().map(|r| r.id).collect();
        load(state, ctx, kind, &ids, projection, rt).await?
    } else {
        HashMap::new()
    };
    Ok(resources
        .into_iter()
        .map(|stored| {
            let values = derived.remove(&stored.id);
            render_with(ctx, rt, projection, stored, values)
        })
        .collect())
}

/// [`render_all`] for one resource.
pub async fn render_one(
    state: &AppState,
    ctx: &TenantCtx,
    rt: &ResourceType,
    projection: &Projection,
    stored: StoredResource,
    load_derived: bool,
) -> Result<Rendered, ApiError> {
    let mut all = render_all(state, ctx, rt, projection, vec![stored], load_derived).await?;
    all.pop().ok_or_else(|| ApiError::internal("rendering a resource produced nothing"))
}

/// A single-resource response: the body, `ETag`, and `Location` (on 201).
pub fn resource_response(status: StatusCode, ctx: &TenantCtx, head: Head, body: &Rendered) -> Response {
    let mut resp = scim_response_sized(status, body, body.members_len());
    set_etag(&mut resp, head.version);
    if status == StatusCode::CREATED
        && let Ok(loc) = HeaderValue::from_str(&ctx.location(head.kind, head.id))
    {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

/// The derived attribute's values per resource.
async fn load(
    state: &AppState,
    ctx: &TenantCtx,
    kind: ResourceKind,
    ids: &[Uuid],
    projection: &Projection,
    rt: &ResourceType,
) -> Result<HashMap<Uuid, Derived>, ApiError> {
    let mut out = HashMap::with_capacity(ids.len());
    match kind {
        ResourceKind::User => {
            for (user, groups) in state.ops.groups_of(ctx, ids).await? {
                if let Some(values) = group_values(ctx, groups) {
                    out.insert(user, values);
                }
            }
        }
        ResourceKind::Group => {
            let Some(fields) = MemberFields::of(projection, &ctx.registry, rt) else { return Ok(out) };
            // Memory is bounded by how many large member lists are held at
            // once: one of 100,000 members is ~25 MB while it is read and
            // written. Small ones (most groups) do not queue behind them.
            let large = state.ops.count_members(ctx, ids, LARGE_MEMBER_LIST).await? >= LARGE_MEMBER_LIST;
            let permit = if large {
                let slots = Arc::clone(&state.member_renders);
                Some(slots.acquire_owned().await.map_err(|_| ApiError::internal("shutting down"))?)
            } else {
                None
            };
            let members = state.ops.members_of(ctx, ids).await?;
            let base_url = ctx.base_url.clone();
            let write = move || -> Vec<(Uuid, Box<RawValue>)> {
                let written = members
                    .into_iter()
                    .filter_map(|(group, list)| Some((group, members_json(&list, fields, &base_url)?)))
                    .collect();
                // Held until the list is written, even if the request is
                // dropped meanwhile (a blocking task runs to its end).
                drop(permit);
                written
            };
            // Writing 100,000 members takes tens of milliseconds: not on a
            // runtime worker. A small list costs less than the hand-off.
            let written = if large {
                tokio::task::spawn_blocking(write)
                    .await
                    .map_err(|e| ApiError::internal(format!("writing members: {e}")))?
            } else {
                write()
            };
            out.extend(written.into_iter().map(|(group, raw)| (group, Derived::Members(raw))));
        }
    }
    Ok(out)
}

/// A User's derived `groups` value (RFC 7643 §4.1.2); `None` when empty.
pub fn group_values(ctx: &TenantCtx, groups: Vec<GroupRef>) -> Option<Derived> {
    if groups.is_empty() {
        return None;
    }
    let values = groups.iter().map(|g| g.to_value(Some(&ctx.base_url))).collect();
    Some(Derived::Groups(Value::Array(values)))
}

/// Renders one resource whose derived attribute the caller already has.
pub fn render_with(
    ctx: &TenantCtx,
    rt: &ResourceType,
    projection: &Projection,
    stored: StoredResource,
    derived: Option<Derived>,
) -> Rendered {
    let kind = stored.kind;
    let location = ctx.location(kind, stored.id);
    let mut full = stored.into_composed(Some(location));
    let members = match derived {
        Some(Derived::Groups(values)) => {
            if let Value::Object(map) = &mut full {
                insert_before_meta(map, kind.derived_attr(), values);
            }
            None
        }
        Some(Derived::Members(raw)) => Some(raw),
        None => None,
    };
    Rendered { doc: projection.apply(full, &ctx.registry, rt), members }
}

/// Inserts `key` so that `meta` stays last, as RFC 7643 prints resources.
fn insert_before_meta(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.remove("meta") {
        Some(meta) => {
            map.insert(key.to_owned(), value);
            map.insert("meta".into(), meta);
        }
        None => {
            map.insert(key.to_owned(), value);
        }
    }
}
