//! The SQLite backend (embedded default, DESIGN §3).
//!
//! One database file in WAL mode, reached two ways:
//!
//! - **Reads** run on the calling thread, on a connection from a small pool
//!   ([`connection::Readers`]). Point reads (a resource by id, a token by
//!   hash, a list pinned by `userName eq`) take microseconds, less than
//!   handing them to another thread would cost. Reads whose cost grows with
//!   the data (pages, filtered counts, member lists, in-memory filtering) go through
//!   [`SqliteStore::scan`] to a small fixed pool of scan threads
//!   (`scans.rs`), so that they never hold up the runtime's workers.
//! - **Writes** go to one writer thread that owns the write connection and
//!   commits the writes that queue up together (group commit, see
//!   `writer.rs`), each still all-or-nothing. A third thread copies the WAL
//!   back into the database file (`checkpoint.rs`).
//!
//! Why rusqlite and not sqlx's SQLite driver (DESIGN §9 names sqlx): sqlx
//! runs each SQLite connection on its own thread and hands every statement
//! to it over a channel. Under load, perf showed a third of scimd's CPU in
//! the futex waits and wake-ups of those hand-offs (GET by id over 100,000
//! users: ~18k req/s, against 25k wanted). Both crates link SQLite, so only
//! one of them is used for it. (For PostgreSQL, measured, tokio-postgres
//! beat sqlx too: see docs/architecture.md.)
//!
//! The operations live by subject: `tenants.rs`, `tokens.rs`,
//! `resources.rs` (get/create/update/delete), `members.rs`, `list.rs`,
//! `audit.rs`, `events.rs`; `sql.rs` builds statements with bound values
//! and is SQLite's pushdown dialect, `convert.rs` maps values and errors.
//! Only SQL lives here: which events, what the audit says, the derived
//! columns, the membership and list rules and the filter algebra come from
//! the backend-neutral modules of this crate.

mod activity;
mod admin_tokens;
mod audit;
mod checkpoint;
pub(crate) mod connection;
mod convert;
pub(crate) mod copy;
mod credentials;
mod domains;
mod events;
mod group_names;
mod list;
mod members;
mod migrate;
mod oauth;
mod resources;
mod scans;
mod server_settings;
mod setup_links;
mod sql;
mod tenants;
mod tokens;
mod webhooks;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use async_trait::async_trait;
use rusqlite::Connection;
use uuid::Uuid;

use self::connection::{ReadKind, Readers};
use self::scans::Scans;
use self::writer::Writer;
use crate::{
    AdminTokenInfo, AuditEntry, AuditQuery, AuditRecord, CreateResource, DeleteResource, Domain, DomainChange, Erasure,
    EventRecord, GroupRef, ListPage, ListQuery, Member, NewAdminToken, NewDomain, NewOAuthClient, NewSetupLink,
    NewToken, OAuthClient, ResourceKind, Result, Revocation, SetupLink, SharedGroupName, SigningKey, Store, StoreError,
    StoreOptions, StoredResource, Tenant, TenantSettings, TokenInfo, UpdateResource,
};

/// Scans one tenant may run at once (see [`SqliteStore::scan`]): one per
/// CPU, at least two. More only adds threads and page caches.
fn concurrent_scans() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    readers: Arc<Readers>,
    scans: Scans,
    writer: Writer,
    options: StoreOptions,
    /// Bumped after each commit of the writer thread: waiting feed readers
    /// and the delivery worker wake on it.
    committed: tokio::sync::watch::Receiver<u64>,
}

/// Opens the SQLite database at `url` (creating it if missing and
/// `options.create`) and migrates it.
pub async fn open(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>> {
    if !options.create {
        let path = connection::path_of(url)?;
        if !path.exists() {
            return Err(StoreError::NoDatabase(path.display().to_string()));
        }
    }
    let mut store = SqliteStore::open(url).await?;
    store.options = options;
    Ok(Arc::new(store))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path`),
    /// migrates it and starts the writer thread.
    pub async fn open(url: &str) -> Result<Self> {
        let path = connection::path_of(url)?;
        let commits = Arc::new(AtomicU64::new(0));
        let per_tenant = concurrent_scans();
        // Twice as many scan threads as one tenant may use: the others
        // always find one free (see `scans.rs`).
        let scan_threads = 2 * per_tenant;
        // Point reads run on the runtime's workers: about one per CPU.
        let readers = Arc::new(Readers::new(path.clone(), Arc::clone(&commits), per_tenant, scan_threads));
        let (for_writer, for_checkpoints) = (Arc::downgrade(&readers), Arc::downgrade(&readers));
        let (signal, committed) = tokio::sync::watch::channel(0u64);
        let writer = tokio::task::spawn_blocking(move || -> Result<Writer> {
            let mut conn = connection::open(&path, connection::WRITER_CACHE_KIB)?;
            connection::check_writable(&conn, &path)?;
            migrate::run(&mut conn)?;
            let writer = Writer::start(conn, commits, signal, for_writer)?;
            checkpoint::start(&path, for_checkpoints)?;
            Ok(writer)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("opening the database: {e}")))??;
        let scans = Scans::start(scan_threads, per_tenant)?;
        Ok(SqliteStore { readers, scans, writer, options: StoreOptions::default(), committed })
    }

    /// A read of bounded cost (one row, or a few by an index), on this
    /// thread. It sees every write this process acknowledged before it.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.readers.with(ReadKind::Point, f)
    }

    /// A point read that also sees what other processes committed: for
    /// tenants and tokens, which the CLI changes (the server caches them,
    /// so this is off the hot path).
    pub(crate) fn read_fresh<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.readers.with(ReadKind::PointFresh, f)
    }

    /// A read whose cost grows with the data, on a fresh snapshot, on a
    /// scan thread (see `scans.rs`), for `tenant` (nil for none): at most
    /// [`concurrent_scans`] of one tenant's run at once, tenants take turns,
    /// and waiting scans hold no thread.
    pub(crate) async fn scan<T, F>(&self, tenant: Uuid, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        self.scans.run(tenant, move || readers.with(ReadKind::Scan, f)).await
    }

    /// A write: `f` runs in a transaction on the writer thread; its result
    /// is returned once committed, and an error rolls back all it wrote.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.write(f).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        let readers = Arc::clone(&self.readers);
        self.scans.run(Uuid::nil(), move || readers.probe()).await
    }

    async fn server_setting(&self, key: &str) -> Result<Option<String>> {
        self.server_setting_impl(key)
    }
    async fn set_server_setting(&self, key: &str, value: &str) -> Result<()> {
        self.set_server_setting_impl(key, value).await
    }

    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant> {
        self.create_tenant_impl(slug, name).await
    }
    async fn erase_tenant(&self, tenant: Uuid) -> Result<Erasure> {
        self.erase_tenant_impl(tenant).await
    }
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        self.tenant_by_slug_impl(slug)
    }
    async fn tenant_by_id(&self, id: Uuid) -> Result<Option<Tenant>> {
        self.tenant_by_id_impl(id)
    }
    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.list_tenants_impl().await
    }
    async fn update_tenant_settings(&self, tenant: Uuid, expected: i64, settings: &TenantSettings) -> Result<Tenant> {
        self.update_tenant_settings_impl(tenant, expected, settings).await
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenInfo> {
        self.create_token_impl(token).await
    }
    async fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>> {
        self.token_by_hash_impl(hash)
    }
    async fn list_tokens(&self, tenant: Uuid) -> Result<Vec<TokenInfo>> {
        self.list_tokens_impl(tenant).await
    }
    async fn revoke_token(&self, tenant: Uuid, token: Uuid) -> Result<Revocation> {
        self.revoke_token_impl(tenant, token).await
    }
    async fn expire_token(&self, tenant: Uuid, token: Uuid, at: time::OffsetDateTime) -> Result<()> {
        self.expire_token_impl(tenant, token, at).await
    }
    async fn touch_token(&self, token: Uuid, user_agent: Option<String>) -> Result<()> {
        self.touch_token_impl(token, user_agent).await
    }

    async fn create_admin_token(&self, token: NewAdminToken) -> Result<AdminTokenInfo> {
        self.create_admin_token_impl(token).await
    }
    async fn admin_token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<AdminTokenInfo>> {
        self.admin_token_by_hash_impl(hash)
    }
    async fn list_admin_tokens(&self) -> Result<Vec<AdminTokenInfo>> {
        self.list_admin_tokens_impl()
    }
    async fn revoke_admin_token(&self, token: Uuid) -> Result<Revocation> {
        self.revoke_admin_token_impl(token).await
    }
    async fn expire_admin_token(&self, token: Uuid, at: time::OffsetDateTime) -> Result<()> {
        self.expire_admin_token_impl(token, at).await
    }
    async fn touch_admin_token(&self, token: Uuid) -> Result<()> {
        self.touch_admin_token_impl(token).await
    }

    async fn create_setup_link(&self, link: NewSetupLink) -> Result<SetupLink> {
        self.create_setup_link_impl(link).await
    }
    async fn setup_link_by_hash(&self, hash: &[u8; 32]) -> Result<Option<SetupLink>> {
        self.setup_link_by_hash_impl(hash)
    }
    async fn list_setup_links(&self, tenant: Uuid) -> Result<Vec<SetupLink>> {
        self.list_setup_links_impl(tenant).await
    }
    async fn revoke_setup_link(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        self.revoke_setup_link_impl(tenant, id).await
    }
    async fn touch_setup_link(&self, id: Uuid) -> Result<()> {
        self.touch_setup_link_impl(id).await
    }
    async fn create_oauth_client(&self, client: NewOAuthClient) -> Result<OAuthClient> {
        self.create_oauth_client_impl(client).await
    }
    async fn oauth_client(&self, id: Uuid) -> Result<Option<OAuthClient>> {
        self.oauth_client_impl(id)
    }
    async fn list_oauth_clients(&self, tenant: Uuid) -> Result<Vec<OAuthClient>> {
        self.list_oauth_clients_impl(tenant).await
    }
    async fn revoke_oauth_client(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        self.revoke_oauth_client_impl(tenant, id).await
    }
    async fn touch_oauth_client(&self, id: Uuid) -> Result<()> {
        self.touch_oauth_client_impl(id).await
    }
    async fn add_signing_key(&self, key: SigningKey) -> Result<()> {
        self.add_signing_key_impl(key).await
    }
    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        self.signing_keys_impl().await
    }
    async fn drop_signing_keys(&self, retired_before: time::OffsetDateTime) -> Result<u64> {
        self.drop_signing_keys_impl(retired_before).await
    }
    async fn add_domain(&self, domain: NewDomain) -> Result<Domain> {
        self.add_domain_impl(domain).await
    }
    async fn list_domains(&self, tenant: Uuid) -> Result<Vec<Domain>> {
        self.list_domains_impl(tenant)
    }
    async fn get_domain(&self, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
        self.get_domain_impl(tenant, domain)
    }
    async fn update_domain(&self, tenant: Uuid, domain: &str, change: DomainChange) -> Result<Domain> {
        self.update_domain_impl(tenant, domain, change).await
    }
    async fn remove_domain(&self, tenant: Uuid, domain: &str) -> Result<bool> {
        self.remove_domain_impl(tenant, domain).await
    }
    async fn domains_named(&self, names: &[String]) -> Result<Vec<Domain>> {
        self.domains_named_impl(names)
    }
    async fn pending_domains(
        &self,
        created_after: time::OffsetDateTime,
        checked_before: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Domain>> {
        self.pending_domains_impl(created_after, checked_before, limit).await
    }

    async fn shared_group_names(&self, limit: u32) -> Result<Vec<SharedGroupName>> {
        self.shared_group_names_impl(limit).await
    }

    async fn get_resource(&self, tenant: Uuid, kind: ResourceKind, id: Uuid) -> Result<Option<StoredResource>> {
        self.get_resource_impl(tenant, kind, id)
    }
    async fn get_user_with_groups(&self, tenant: Uuid, id: Uuid) -> Result<Option<(StoredResource, Vec<GroupRef>)>> {
        self.get_user_with_groups_impl(tenant, id)
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
        self.list_resources_impl(tenant, kind, query, crate::list::Visibility::Live).await
    }
    async fn members_of(&self, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
        let groups = groups.to_vec();
        self.scan(tenant, move |c| members::members_of(c, tenant, &groups)).await
    }
    async fn count_members(&self, tenant: Uuid, groups: &[Uuid], at_most: u64) -> Result<u64> {
        // At most `at_most` index entries in all: a point read.
        self.read(|c| members::count_members(c, tenant, groups, at_most))
    }
    async fn groups_of(&self, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
        self.read(|c| members::groups_of(c, tenant, users))
    }

    async fn write_audit(&self, entry: AuditEntry) -> Result<()> {
        self.write(move |c| audit::insert(c, &entry, convert::now())).await
    }
    async fn list_audit(&self, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>> {
        self.scan(tenant, move |c| audit::list(c, tenant, limit)).await
    }
    async fn prune_audit(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64> {
        self.write(move |c| audit::prune(c, before, limit)).await
    }

    async fn list_events(&self, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.scan(tenant, move |c| events::list(c, tenant, after, limit)).await
    }
    async fn prune_events(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64> {
        self.write(move |c| events::prune(c, before, limit)).await
    }

    async fn event_horizon(&self, tenant: Option<Uuid>) -> Result<i64> {
        self.read_fresh(|c| events::horizon(c, tenant))
    }
    async fn latest_events(&self, tenant: Uuid, limit: u32) -> Result<Vec<EventRecord>> {
        self.read_fresh(|c| events::latest(c, tenant, limit))
    }
    async fn activity(&self, tenant: Uuid, since: time::OffsetDateTime) -> Result<Vec<crate::activity::HourCount>> {
        self.scan(tenant, move |c| activity::per_hour(c, tenant, since)).await
    }
    async fn tenant_health(&self, since: time::OffsetDateTime) -> Result<Vec<crate::activity::TenantHealth>> {
        self.scan(Uuid::nil(), move |c| activity::health(c, since)).await
    }

    async fn create_webhook(&self, new: crate::webhooks::NewWebhook) -> Result<crate::webhooks::Webhook> {
        self.create_webhook_impl(new).await
    }
    async fn webhooks(&self) -> Result<Vec<crate::webhooks::Webhook>> {
        self.webhooks_impl()
    }
    async fn webhook(&self, id: Uuid) -> Result<Option<crate::webhooks::Webhook>> {
        self.webhook_impl(id)
    }
    async fn update_webhook(
        &self,
        id: Uuid,
        change: crate::webhooks::WebhookChange,
    ) -> Result<crate::webhooks::Webhook> {
        self.update_webhook_impl(id, change).await
    }
    async fn delete_webhook(&self, id: Uuid) -> Result<()> {
        self.delete_webhook_impl(id).await
    }
    async fn fan_out_webhooks(&self) -> Result<u64> {
        self.fan_out_webhooks_impl().await
    }
    async fn claim_deliveries(
        &self,
        slots: Vec<(Uuid, u32)>,
        lease: std::time::Duration,
    ) -> Result<Vec<crate::webhooks::ClaimedDelivery>> {
        self.claim_deliveries_impl(slots, lease).await
    }
    async fn finish_deliveries(&self, outcomes: Vec<crate::webhooks::DeliveryOutcome>) -> Result<()> {
        self.finish_deliveries_impl(outcomes).await
    }
    async fn release_delivery_leases(&self) -> Result<u64> {
        self.release_delivery_leases_impl().await
    }
    async fn webhook_deliveries(
        &self,
        endpoint: Uuid,
        q: crate::webhooks::DeliveryQuery,
    ) -> Result<Vec<crate::webhooks::DeliveryRecord>> {
        self.webhook_deliveries_impl(endpoint, q).await
    }
    async fn replay_webhook(&self, endpoint: Uuid, range: crate::webhooks::ReplayRange) -> Result<u64> {
        self.replay_webhook_impl(endpoint, range).await
    }
    async fn delivery_backlog(&self) -> Result<crate::webhooks::DeliveryBacklog> {
        self.delivery_backlog_impl()
    }

    fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.committed.clone()
    }

    async fn list_all_events(&self, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.scan(Uuid::nil(), move |c| events::list_all(c, after, limit)).await
    }

    async fn search_audit(&self, tenant: Uuid, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let query = query.clone();
        self.scan(tenant, move |c| audit::search(c, tenant, &query)).await
    }
    async fn list_resources_seen(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        seen: crate::Visibility,
        query: &ListQuery<'_>,
    ) -> Result<ListPage> {
        self.list_resources_impl(tenant, kind, query, seen).await
    }
    async fn get_resource_with_deleted(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>> {
        self.read(|c| resources::get_with_deleted(c, tenant, kind, id))
    }
    async fn list_members(&self, tenant: Uuid, group: Uuid, after: Option<Uuid>, limit: u32) -> Result<Vec<Member>> {
        // At most `limit` entries of the membership key: a point read.
        self.read(|c| members::page(c, tenant, group, after, limit))
    }
}
