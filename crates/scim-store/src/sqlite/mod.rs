//! The SQLite backend (embedded default, DESIGN §3).
//!
//! Two pools on one database file in WAL mode: several read connections, and
//! a single write connection on which every write is one `BEGIN IMMEDIATE`
//! transaction, so writers queue in the pool instead of meeting
//! `SQLITE_BUSY`. An in-memory database (`sqlite::memory:`, for tests) is
//! served by one connection for both, since it lives only as long as it.
//!
//! The operations live by subject: `tenants.rs`, `tokens.rs`,
//! `resources.rs` (get/create/update/delete), `members.rs`, `list.rs` with
//! `filter_sql.rs`, `audit.rs`, `events.rs`.

mod audit;
mod convert;
mod derive;
mod events;
mod filter_sql;
mod list;
mod members;
mod resources;
mod tenants;
mod tokens;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use crate::{
    AuditEntry, AuditRecord, CreateResource, DeleteResource, EventRecord, GroupRef, ListPage, ListQuery, Member,
    NewToken, ResourceKind, Result, Store, StoreError, StoredResource, Tenant, TenantSettings, TokenInfo,
    UpdateResource,
};

/// Read connections for a file database. Reads never block each other or
/// the writer in WAL mode; more than a few buys nothing on small machines.
const READ_CONNECTIONS: u32 = 4;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    /// Last `last_used` written per token (ms), to debounce `touch_token`.
    touched: Mutex<HashMap<Uuid, i64>>,
}

/// Opens (creating if needed) the SQLite database at `url` and migrates it.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(url).await?))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and migrates it.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Normal)
            // 8 MiB of page cache per connection (SQLite's default is 2 MiB):
            // point reads over a large tenant stay in memory.
            .pragma("cache_size", "-8192");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let base = SqlitePoolOptions::new()
            // A connection is only ever broken with the database itself;
            // pinging it before each use would double the cost of a read.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30));
        let store = if in_memory {
            // Shared-cache memory databases vanish with their last
            // connection and lock per table: one connection, kept forever.
            let pool = base
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            SqliteStore { read: pool.clone(), write: pool, touched: Mutex::default() }
        } else {
            let options = options.journal_mode(SqliteJournalMode::Wal);
            let write = base.clone().max_connections(1).min_connections(1).connect_with(options.clone()).await?;
            let read = base.max_connections(READ_CONNECTIONS).connect_with(options).await?;
            SqliteStore { read, write, touched: Mutex::default() }
        };
        sqlx::migrate!("./migrations/sqlite").run(&store.write).await?;
        Ok(store)
    }

    /// Starts a write transaction. `IMMEDIATE` takes the write lock at once,
    /// so a transaction never fails half-way on a lock upgrade.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant> {
        self.create_tenant_impl(slug, name).await
    }
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        self.tenant_by_slug_impl(slug).await
    }
    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.list_tenants_impl().await
    }
    async fn update_tenant_settings(&self, tenant: Uuid, settings: &TenantSettings) -> Result<()> {
        self.update_tenant_settings_impl(tenant, settings).await
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenInfo> {
        self.create_token_impl(token).await
    }
    async fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>> {
        self.token_by_hash_impl(hash).await
    }
    async fn list_tokens(&self, tenant: Uuid) -> Result<Vec<TokenInfo>> {
        self.list_tokens_impl(tenant).await
    }
    async fn revoke_token(&self, tenant: Uuid, token: Uuid) -> Result<bool> {
        self.revoke_token_impl(tenant, token).await
    }
    async fn touch_token(&self, token: Uuid) -> Result<()> {
        self.touch_token_impl(token).await
    }

    async fn get_resource(&self, tenant: Uuid, kind: ResourceKind, id: Uuid) -> Result<Option<StoredResource>> {
        self.get_resource_impl(tenant, kind, id).await
    }
    async fn get_user_with_groups(&self, tenant: Uuid, id: Uuid) -> Result<Option<(StoredResource, Vec<GroupRef>)>> {
        self.get_user_with_groups_impl(tenant, id).await
    }
    async fn create_resource(&self, write: CreateResource) -> Result<StoredResource> {
        self.create_resource_impl(write).await
    }
    async fn update_resource(&self, write: UpdateResource) -> Result<StoredResource> {
        self.update_resource_impl(write).await
    }
    async fn delete_resource(&self, write: DeleteResource) -> Result<()> {
        self.delete_resource_impl(write).await
    }
    async fn list_resources(&self, tenant: Uuid, kind: ResourceKind, query: &ListQuery<'_>) -> Result<ListPage> {
        self.list_resources_impl(tenant, kind, query).await
    }
    async fn members_of(&self, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
        members::members_of(&self.read, tenant, groups).await
    }
    async fn groups_of(&self, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
        members::groups_of(&self.read, tenant, users).await
    }

    async fn write_audit(&self, entry: AuditEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        audit::insert(&mut tx, &entry, convert::now()).await?;
        tx.commit().await?;
        Ok(())
    }
    async fn list_audit(&self, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>> {
        audit::list(&self.read, tenant, limit).await
    }

    async fn list_events(&self, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        events::list(&self.read, tenant, after, limit).await
    }
}
