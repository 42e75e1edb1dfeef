//! Turning stored resources into SCIM responses (RFC 7643 §3, RFC 7644
//! §3.4.1, §3.9): `schemas`, `id`, attributes, `meta` (absolute location,
//! weak version), the derived `groups` (User) or `members` (Group) — loaded
//! in one batch per page and only when the projection keeps them — and then
//! the projection itself.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use scim_core::ScimError;
use scim_core::projection::Projection;
use scim_core::resource::{self, Meta};
use scim_core::schema::ResourceType;
use scim_store::{GroupRef, ResourceKind, StoredResource};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::etag::etag;
use super::json::scim_response_sized;
use super::members_json::{MemberFields, Rendered, members_json};
use crate::error::ApiError;
use crate::state::{AppState, LARGE_MEMBER_LIST, TenantCtx};

/// The URL segment of a resource type.
pub fn endpoint(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "Users",
        ResourceKind::Group => "Groups",
    }
}

/// The derived, read-only attribute of a resource type.
fn derived_attr(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "groups",
        ResourceKind::Group => "members",
    }
}

pub fn resource_type(ctx: &TenantCtx, kind: ResourceKind) -> Result<&ResourceType, ApiError> {
    ctx.registry
        .resource_type(kind.as_str())
        .ok_or_else(|| ApiError::internal(format!("the schema registry has no {} resource type", kind.as_str())))
}

pub fn location(ctx: &TenantCtx, kind: ResourceKind, id: Uuid) -> String {
    format!("{}/{}/{}", ctx.base_url, endpoint(kind), id)
}

/// The full document without derived attributes (a copy: PUT and PATCH
/// compare the result with the stored document).
pub fn compose(ctx: &TenantCtx, stored: &StoredResource) -> Value {
    resource::compose(stored.doc.clone(), &stored.id.to_string(), &meta_of(ctx, stored))
}

fn meta_of(ctx: &TenantCtx, stored: &StoredResource) -> Meta {
    Meta {
        resource_type: stored.kind.as_str().to_owned(),
        created: stored.created,
        last_modified: stored.last_modified,
        location: Some(location(ctx, stored.kind, stored.id)),
        version: etag(stored.version),
    }
}

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
    let mut derived = if load_derived && projection.includes(derived_attr(kind), &ctx.registry, rt) {
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
        && let Ok(loc) = HeaderValue::from_str(&location(ctx, head.kind, head.id))
    {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

pub fn set_etag(resp: &mut Response, version: i64) {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
}

/// The id of a resource in the path; a malformed id names no resource (404).
pub fn parse_id(s: &str, kind: ResourceKind) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| not_found(kind))
}

pub fn not_found(kind: ResourceKind) -> ApiError {
    ApiError::Scim(ScimError::not_found(format!("no such {}", kind.as_str())))
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
    let tenant = ctx.tenant.id;
    let mut out = HashMap::with_capacity(ids.len());
    match kind {
        ResourceKind::User => {
            for (user, groups) in state.store.groups_of(tenant, ids).await? {
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
            let large = state.store.count_members(tenant, ids, LARGE_MEMBER_LIST).await? >= LARGE_MEMBER_LIST;
            let permit = if large {
                let slots = Arc::clone(&state.member_renders);
                Some(slots.acquire_owned().await.map_err(|_| ApiError::internal("shutting down"))?)
            } else {
                None
            };
            let members = state.store.members_of(tenant, ids).await?;
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
    let values = groups
        .into_iter()
        .map(|g| {
            let mut m = Map::new();
            m.insert("value".into(), Value::String(g.value.to_string()));
            m.insert("$ref".into(), Value::String(location(ctx, ResourceKind::Group, g.value)));
            if let Some(d) = g.display {
                m.insert("display".into(), Value::String(d));
            }
            m.insert("type".into(), Value::String("direct".into()));
            Value::Object(m)
        })
        .collect();
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
    let meta = meta_of(ctx, &stored);
    let mut full = resource::compose(stored.doc, &stored.id.to_string(), &meta);
    let members = match derived {
        Some(Derived::Groups(values)) => {
            if let Value::Object(map) = &mut full {
                insert_before_meta(map, derived_attr(stored.kind), values);
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
