//! The PostgreSQL backend (DESIGN §3, §8): for several scimd nodes on one
//! database. The same tables, rules and contract as SQLite's; what differs
//! is how PostgreSQL is driven:
//!
//! - **Connections** come from a pool (deadpool-postgres over
//!   tokio-postgres; `docs/architecture.md` has the measurement behind the
//!   choice), each statement prepared once per connection. Reads and
//!   writes are async on the runtime's workers: no thread of our own.
//! - **Writes** are transactions at READ COMMITTED. Concurrent writers of
//!   one resource queue on its row (`SELECT … FOR UPDATE`); uniqueness is
//!   the unique indexes', so two nodes racing for one userName get one
//!   201 and one 409.
//! - **Events** are inserted unnumbered in the write's transaction and
//!   numbered after commit by the sequencer (`sequencer.rs`), so that the
//!   per-tenant `seq` and the global `position` are gapless and in the
//!   order commits became visible, across nodes.
//! - **Other nodes' changes** arrive by LISTEN/NOTIFY (`scimd_events`,
//!   `scimd_changes`): feed readers and the delivery worker wake on the
//!   first, the server's caches of tenants and credentials are dropped on
//!   the second ([`crate::Store::changes`]).
//!
//! Files by subject, as in `sqlite/`; `sql.rs` is PostgreSQL's pushdown
//! dialect, `convert.rs` maps values and errors, `connection.rs` reads the
//! URL (TLS by `sslmode`) and makes the pool.

mod activity;
mod admin_tokens;
mod audit;
pub(crate) mod connection;
mod convert;
mod copy;
mod credentials;
mod domains;
mod events;
mod group_names;
mod list;
mod members;
mod migrate;
mod oauth;
mod resources;
mod sequencer;
mod server_settings;
mod setup_links;
mod sql;
mod statistics;
mod tenants;
mod tokens;
mod totals;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    AdminTokenInfo, AuditEntry, AuditQuery, AuditRecord, CreateResource, DeleteResource, Domain, DomainChange, Erasure,
    EventRecord, GroupRef, ListPage, ListQuery, Member, NewAdminToken, NewDomain, NewOAuthClient, NewSetupLink,
    NewToken, OAuthClient, ResourceKind, Result, Revocation, SetupLink, SharedGroupName, SigningKey, Store, StoreError,
    StoreOptions, StoredResource, Tenant, TenantSettings, TokenInfo, UpdateResource,
};

/// The channel a node's sequencer announces newly numbered events on.
pub(crate) const EVENTS_CHANNEL: &str = "scimd_events";
/// The channel every change to tenants, tokens, OAuth clients, signing
/// keys and admin tokens is announced on (caches drop what they hold).
pub(crate) const CHANGES_CHANNEL: &str = "scimd_changes";

/// The PostgreSQL implementation of [`Store`].
pub struct PgStore {
    pool: Pool,
    options: StoreOptions,
    sequencer: Arc<sequencer::Sequencer>,
    /// Bumped when events are numbered (here or, by NOTIFY, on another
    /// node): feed readers and the delivery worker wake on it.
    committed: watch::Receiver<u64>,
    /// Bumped when another node (or this one) changed credentials, tenants
    /// or keys.
    changed: watch::Receiver<u64>,
    changed_signal: Arc<watch::Sender<u64>>,
    _listener: Arc<listener::Listener>,
    statistics: Arc<statistics::Statistics>,
    totals: totals::Totals,
}

mod listener;

/// Opens the database at `url` (`postgres://…`), migrates it and starts
/// this node's sequencer and listener.
pub async fn open(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(PgStore::open(url, options).await?))
}

impl PgStore {
    pub async fn open(url: &str, options: StoreOptions) -> Result<Self> {
        let pool = connection::pool(url, options.pool_size)?;
        {
            let mut c = pool.get().await.map_err(|e| match StoreError::from(e) {
                StoreError::Busy(m) => StoreError::Config(format!("cannot reach the database: {m}")),
                other => other,
            })?;
            migrate::check(&c).await?;
            migrate::run(&mut c).await?;
        }
        let (signal, committed) = watch::channel(0u64);
        let signal = Arc::new(signal);
        let (changed_signal, changed) = watch::channel(0u64);
        let changed_signal = Arc::new(changed_signal);
        let sequencer = sequencer::Sequencer::start(pool.clone(), Arc::clone(&signal));
        let listener = listener::Listener::start(url.to_owned(), Arc::clone(&signal), Arc::clone(&changed_signal));
        let statistics = statistics::Statistics::start(pool.clone());
        Ok(PgStore {
            pool,
            options,
            sequencer,
            committed,
            changed,
            changed_signal,
            _listener: listener,
            statistics,
            totals: totals::Totals::default(),
        })
    }

    /// A connection from the pool (`Busy` when none comes within 5 s).
    pub(crate) async fn conn(&self) -> Result<Object> {
        Ok(self.pool.get().await?)
    }

    /// After a commit that wrote events: the sequencer numbers them.
    pub(crate) fn wrote(&self) {
        self.totals.changed();
        self.sequencer.wake();
        self.statistics.wake();
    }

    /// Numbers every event committed so far (readers of the feed call it
    /// first, so that they see their own writes' events at once).
    pub(crate) async fn catch_up(&self) -> Result<()> {
        self.sequencer.catch_up().await
    }

    /// After a commit that changed tenants, credentials or keys: every
    /// node (this one at once) drops what it caches of them.
    pub(crate) async fn announce_change(&self, c: &Object) {
        self.changed_signal.send_modify(|n| *n += 1);
        if let Err(e) = sql::exec(c, &format!("NOTIFY {CHANGES_CHANNEL}"), &[]).await {
            tracing::warn!(error = %e, "could not announce a change to the other nodes");
        }
    }

    async fn ping_impl(&self) -> Result<()> {
        let c = self.conn().await?;
        sql::one(&c, "SELECT 1", &[]).await.map(drop)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        self.ping_impl().await
    }
    async fn server_setting(&self, key: &str) -> Result<Option<String>> {
        self.server_setting_impl(key).await
    }
    async fn set_server_setting(&self, key: &str, value: &str) -> Result<()> {
        self.set_server_setting_impl(key, value).await
    }
    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant> {
        self.create_tenant_impl(slug, name).await
    }
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        self.tenant_by_slug_impl(slug).await
    }
    async fn tenant_by_id(&self, id: Uuid) -> Result<Option<Tenant>> {
        self.tenant_by_id_impl(id).await
    }
    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.list_tenants_impl().await
    }
    async fn erase_tenant(&self, tenant: Uuid) -> Result<Erasure> {
        self.erase_tenant_impl(tenant).await
    }
    async fn update_tenant_settings(
        &self,
        tenant: Uuid,
        expected_version: i64,
        settings: &TenantSettings,
    ) -> Result<Tenant> {
        self.update_tenant_settings_impl(tenant, expected_version, settings).await
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
        self.admin_token_by_hash_impl(hash).await
    }
    async fn list_admin_tokens(&self) -> Result<Vec<AdminTokenInfo>> {
        self.list_admin_tokens_impl().await
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
        self.setup_link_by_hash_impl(hash).await
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
        self.oauth_client_impl(id).await
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
        self.list_domains_impl(tenant).await
    }
    async fn get_domain(&self, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
        self.get_domain_impl(tenant, domain).await
    }
    async fn update_domain(&self, tenant: Uuid, domain: &str, change: DomainChange) -> Result<Domain> {
        self.update_domain_impl(tenant, domain, change).await
    }
    async fn remove_domain(&self, tenant: Uuid, domain: &str) -> Result<bool> {
        self.remove_domain_impl(tenant, domain).await
    }
    async fn domains_named(&self, names: &[String]) -> Result<Vec<Domain>> {
        self.domains_named_impl(names).await
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
        self.members_of_impl(tenant, groups).await
    }
    async fn count_members(&self, tenant: Uuid, groups: &[Uuid], at_most: u64) -> Result<u64> {
        self.count_members_impl(tenant, groups, at_most).await
    }
    async fn groups_of(&self, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
        self.groups_of_impl(tenant, users).await
    }
    async fn write_audit(&self, entry: AuditEntry) -> Result<()> {
        self.write_audit_impl(entry).await
    }
    async fn list_audit(&self, tenant: Uuid, limit: u32) -> Result<Vec<AuditRecord>> {
        self.list_audit_impl(tenant, limit).await
    }
    async fn prune_audit(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64> {
        self.prune_audit_impl(before, limit).await
    }
    async fn list_events(&self, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.list_events_impl(tenant, after, limit).await
    }
    async fn list_all_events(&self, after: i64, limit: u32) -> Result<Vec<EventRecord>> {
        self.list_all_events_impl(after, limit).await
    }
    async fn prune_events(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64> {
        self.prune_events_impl(before, limit).await
    }
    async fn event_horizon(&self, tenant: Option<Uuid>) -> Result<i64> {
        self.event_horizon_impl(tenant).await
    }
    async fn latest_events(&self, tenant: Uuid, limit: u32) -> Result<Vec<EventRecord>> {
        self.latest_events_impl(tenant, limit).await
    }
    async fn activity(&self, tenant: Uuid, since: time::OffsetDateTime) -> Result<Vec<crate::activity::HourCount>> {
        self.activity_impl(tenant, since).await
    }
    async fn tenant_health(&self, since: time::OffsetDateTime) -> Result<Vec<crate::activity::TenantHealth>> {
        self.tenant_health_impl(since).await
    }
    async fn create_webhook(&self, new: crate::webhooks::NewWebhook) -> Result<crate::webhooks::Webhook> {
        self.create_webhook_impl(new).await
    }
    async fn webhooks(&self) -> Result<Vec<crate::webhooks::Webhook>> {
        self.webhooks_impl().await
    }
    async fn webhook(&self, id: Uuid) -> Result<Option<crate::webhooks::Webhook>> {
        self.webhook_impl(id).await
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
        self.delivery_backlog_impl().await
    }
    async fn search_audit(&self, tenant: Uuid, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        self.search_audit_impl(tenant, query).await
    }
    async fn list_resources_seen(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        seen: crate::Visibility,
        query: &ListQuery<'_>,
    ) -> Result<ListPage> {
        self.list_resources_seen_impl(tenant, kind, seen, query).await
    }
    async fn get_resource_with_deleted(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>> {
        self.get_resource_with_deleted_impl(tenant, kind, id).await
    }
    async fn list_members(&self, tenant: Uuid, group: Uuid, after: Option<Uuid>, limit: u32) -> Result<Vec<Member>> {
        self.list_members_impl(tenant, group, after, limit).await
    }

    fn commits(&self) -> watch::Receiver<u64> {
        self.committed.clone()
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changed.clone()
    }
}
