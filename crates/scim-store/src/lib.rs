//! Storage for scimd: the [`Store`] trait the server talks to, and its
//! backends (SQLite, embedded default; PostgreSQL later). Every write is one
//! transaction holding the resource row(s), the membership rows, the audit
//! entry and the outbox event (DESIGN §2, §3).
//!
//! The store speaks SCIM documents (`serde_json::Value` as normalised by
//! `scim_core::resource::prepare`) and derives its indexed columns
//! (lower-cased userName, externalId, displayName, primary email, active)
//! from them itself, so callers cannot get them out of step.
#![forbid(unsafe_code)]

mod error;
mod model;
pub mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

pub use error::StoreError;
pub use model::*;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage operations of scimd. Implementations are cheap to share
/// (`Arc<dyn Store>`) and safe to call from many tasks at once.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap liveness check of the database (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    // ---- tenants -------------------------------------------------------
    /// Creates a tenant; `StoreError::Conflict` if the slug is taken.
    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
    async fn update_tenant_settings(&self, tenant: Uuid, settings: &TenantSettings) -> Result<()>;

    // ---- tokens --------------------------------------------------------
    /// Stores a token (only its SHA-256 hash and visible prefix).
    async fn create_token(&self, token: NewToken) -> Result<TokenInfo>;
    /// The token whose secret hashes to `hash`, revoked or not (the caller
    /// checks revocation, expiry and tenant, and compares in constant time).
    async fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>>;
    async fn list_tokens(&self, tenant: Uuid) -> Result<Vec<TokenInfo>>;
    /// Marks a token revoked; `false` if no such token in that tenant.
    async fn revoke_token(&self, tenant: Uuid, token: Uuid) -> Result<bool>;
    /// Records that the token was used now.
    async fn touch_token(&self, token: Uuid) -> Result<()>;

    // ---- resources -----------------------------------------------------
    /// A live (not deleted) resource.
    async fn get_resource(&self, tenant: Uuid, kind: ResourceKind, id: Uuid) -> Result<Option<StoredResource>>;
    /// A live User together with the groups it belongs to (its derived
    /// `groups` attribute), read from one snapshot in one call to the
    /// store; the default makes two calls.
    async fn get_user_with_groups(&self, tenant: Uuid, id: Uuid) -> Result<Option<(StoredResource, Vec<GroupRef>)>> {
        let Some(user) = self.get_resource(tenant, ResourceKind::User, id).await? else {
            return Ok(None);
        };
        let groups = self.groups_of(tenant, &[id]).await?.remove(&id).unwrap_or_default();
        Ok(Some((user, groups)))
    }
    /// Creates a resource (and, for a Group, its initial members) with its
    /// audit entry and outbox event in one transaction.
    async fn create_resource(&self, write: CreateResource) -> Result<StoredResource>;
    /// Replaces a resource's document and/or changes its membership, with
    /// optimistic concurrency on `expected_version`, in one transaction.
    async fn update_resource(&self, write: UpdateResource) -> Result<StoredResource>;
    /// Deletes per `policy` (soft: hidden, kept for audit; hard: erased),
    /// removing the resource's memberships, in one transaction.
    async fn delete_resource(&self, write: DeleteResource) -> Result<()>;
    /// Lists live resources matching a query (filter, sort, page).
    async fn list_resources(&self, tenant: Uuid, kind: ResourceKind, query: &ListQuery<'_>) -> Result<ListPage>;
    /// Members of each group in `groups` (`display` as the client sent it).
    async fn members_of(&self, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>>;
    /// How many members `groups` have together, counted up to `at_most`
    /// (so that it costs little however large they are): whether a member
    /// list is large before reading it.
    async fn count_members(&self, tenant: Uuid, groups: &[Uuid], at_most: u64) -> Result<u64>;
    /// The groups each user in `users` belongs to directly.
    async fn groups_of(&self, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>>;

    // ---- audit ---------------------------------------------------------
    /// Writes an audit entry in a transaction of its own (for refused or
    /// failed requests, after their rollback).
    async fn write_audit(&self, entry: AuditEntry) -> Result<()>;
    /// Most recent audit entries of a tenant, newest first.
    async fn list_audit(&self, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>>;

    // ---- events (outbox) ------------------------------------------------
    /// Events of a tenant with sequence number greater than `after`.
    async fn list_events(&self, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>>;
}

/// Opens the store named by `url`: `sqlite://path` (created if missing).
/// Applies migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        sqlite::open(url).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err(StoreError::Config("the PostgreSQL backend is not available in this build yet; use sqlite://".into()))
    } else {
        Err(StoreError::Config(format!("unsupported database URL scheme in {:?}", url.split(':').next().unwrap_or(""))))
    }
}
