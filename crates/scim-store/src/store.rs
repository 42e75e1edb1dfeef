//! The storage contract: the [`Store`] trait every backend implements and
//! the server talks to. Every write is one transaction holding the
//! resource row(s), the membership rows, the audit entry and the outbox
//! events, or nothing (DESIGN §2, §3). The behaviour behind each method is
//! pinned down once, for every backend, by the contract suite
//! (`tests/contract/`): a new method gets its test there.

use std::collections::HashMap;

use async_trait::async_trait;
use uuid::Uuid;

use crate::{
    AdminTokenInfo, AuditEntry, AuditQuery, AuditRecord, CreateResource, DeleteResource, Domain, DomainChange, Erasure,
    EventRecord, GroupRef, ListPage, ListQuery, Member, NewAdminToken, NewDomain, NewOAuthClient, NewSetupLink,
    NewToken, OAuthClient, ResourceKind, Result, Revocation, SetupLink, SharedGroupName, SigningKey, StoredResource,
    Tenant, TenantSettings, TokenInfo, UpdateResource, Visibility,
};

/// The storage operations of scimd. Implementations are cheap to share
/// (`Arc<dyn Store>`) and safe to call from many tasks at once.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database can be read now, from the database itself and
    /// not from anything cached (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    // ---- server settings -----------------------------------------------
    /// The value recorded under `key`, if any: facts one process of the
    /// server leaves for the others (the public URL it serves at).
    async fn server_setting(&self, key: &str) -> Result<Option<String>>;
    /// Records `value` under `key`, replacing what was there.
    async fn set_server_setting(&self, key: &str, value: &str) -> Result<()>;

    // ---- tenants -------------------------------------------------------
    /// Creates a tenant; `StoreError::Conflict` if the slug is taken.
    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>>;
    async fn tenant_by_id(&self, id: Uuid) -> Result<Option<Tenant>>;
    /// All tenants, oldest first.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
    /// Erases a tenant and everything it holds: tokens, resources,
    /// memberships, events and audit entries. Large tenants go in batches,
    /// each its own short write, so that other tenants' writes are not
    /// held up; the tokens go first, and the tenant row last, so an
    /// interrupted erasure leaves a tenant nobody can write to, which a
    /// second call finishes. `NotFound` when there is no such tenant.
    async fn erase_tenant(&self, tenant: Uuid) -> Result<Erasure>;
    /// Replaces a tenant's settings if their version is still
    /// `expected_version` (compare-and-set), giving them the next version;
    /// `VersionMismatch` with the current version otherwise, `NotFound` for
    /// no such tenant.
    async fn update_tenant_settings(
        &self,
        tenant: Uuid,
        expected_version: i64,
        settings: &TenantSettings,
    ) -> Result<Tenant>;

    // ---- tokens --------------------------------------------------------
    /// Stores a token (only its SHA-256 hash and visible prefix);
    /// `Conflict` for a hash already stored, `NotFound` for no such tenant.
    async fn create_token(&self, token: NewToken) -> Result<TokenInfo>;
    /// The token whose secret hashes to `hash`, revoked or not (the caller
    /// checks revocation, expiry and tenant, and compares in constant time).
    async fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>>;
    /// A tenant's tokens, oldest first.
    async fn list_tokens(&self, tenant: Uuid) -> Result<Vec<TokenInfo>>;
    /// Marks a token revoked, keeping the time of an earlier revocation.
    async fn revoke_token(&self, tenant: Uuid, token: Uuid) -> Result<Revocation>;
    /// Makes one of a tenant's tokens expire at `at`, unless it expires
    /// earlier already (the end of a rotation's overlap); `NotFound` for no
    /// such token in that tenant.
    async fn expire_token(&self, tenant: Uuid, token: Uuid, at: time::OffsetDateTime) -> Result<()>;
    /// Records that the token was used now, by a request whose User-Agent
    /// was `user_agent` (kept as given: the caller bounds it; `None` clears
    /// the last one). Callers decide how often.
    async fn touch_token(&self, token: Uuid, user_agent: Option<String>) -> Result<()>;

    // ---- admin tokens (the admin API) ----------------------------------
    /// Stores an admin token (only its hash and visible prefix); `Conflict`
    /// for a hash already stored.
    async fn create_admin_token(&self, token: NewAdminToken) -> Result<AdminTokenInfo>;
    /// The admin token whose secret hashes to `hash`, revoked or not, read
    /// from the database itself (so a token made or revoked by another
    /// process counts at once).
    async fn admin_token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<AdminTokenInfo>>;
    /// Every admin token, oldest first.
    async fn list_admin_tokens(&self) -> Result<Vec<AdminTokenInfo>>;
    /// Marks an admin token revoked, keeping the time of an earlier revocation.
    async fn revoke_admin_token(&self, token: Uuid) -> Result<Revocation>;
    /// Makes an admin token expire at `at`, unless it expires earlier
    /// already (the end of a rotation's overlap); `NotFound` for no such token.
    async fn expire_admin_token(&self, token: Uuid, at: time::OffsetDateTime) -> Result<()>;
    /// Records that the admin token was used now.
    async fn touch_admin_token(&self, token: Uuid) -> Result<()>;

    /// Stores a new OAuth client of a tenant.
    async fn create_oauth_client(&self, client: NewOAuthClient) -> Result<OAuthClient>;
    /// The client with this `client_id`, revoked or not (the caller checks).
    async fn oauth_client(&self, id: Uuid) -> Result<Option<OAuthClient>>;
    /// A tenant's clients, oldest first.
    async fn list_oauth_clients(&self, tenant: Uuid) -> Result<Vec<OAuthClient>>;
    /// Revokes one of a tenant's clients (like [`Self::revoke_token`]).
    async fn revoke_oauth_client(&self, tenant: Uuid, id: Uuid) -> Result<Revocation>;
    /// Records that a client was just issued a token.
    async fn touch_oauth_client(&self, id: Uuid) -> Result<()>;

    /// Stores a new setup link of a tenant (`NotFound` without the tenant).
    async fn create_setup_link(&self, link: NewSetupLink) -> Result<SetupLink>;
    /// The setup link whose secret has this hash, revoked or expired or not
    /// (the caller checks).
    async fn setup_link_by_hash(&self, hash: &[u8; 32]) -> Result<Option<SetupLink>>;
    /// A tenant's setup links, oldest first.
    async fn list_setup_links(&self, tenant: Uuid) -> Result<Vec<SetupLink>>;
    /// Revokes one of a tenant's setup links (like [`Self::revoke_token`]).
    async fn revoke_setup_link(&self, tenant: Uuid, id: Uuid) -> Result<Revocation>;
    /// Records that a setup link was just used.
    async fn touch_setup_link(&self, id: Uuid) -> Result<()>;

    /// Stores a new signing key and retires, at the same instant and in
    /// the same transaction, the one that was in use: once there is a key,
    /// exactly one is in use.
    async fn add_signing_key(&self, key: SigningKey) -> Result<()>;
    /// Every signing key, newest first (retired ones included).
    async fn signing_keys(&self) -> Result<Vec<SigningKey>>;
    /// Deletes the keys retired before `retired_before`; how many.
    async fn drop_signing_keys(&self, retired_before: time::OffsetDateTime) -> Result<u64>;
    // ---- verified domains ---------------------------------------------
    /// Claims a domain for a tenant; `Conflict` if the tenant claims it
    /// already, `NotFound` for no such tenant.
    async fn add_domain(&self, domain: NewDomain) -> Result<Domain>;
    /// A tenant's domains, in domain order.
    async fn list_domains(&self, tenant: Uuid) -> Result<Vec<Domain>>;
    async fn get_domain(&self, tenant: Uuid, domain: &str) -> Result<Option<Domain>>;
    /// Changes a claimed domain (see [`DomainChange`]); `NotFound` if the
    /// tenant does not claim it.
    async fn update_domain(&self, tenant: Uuid, domain: &str, change: DomainChange) -> Result<Domain>;
    /// Gives up a claim; whether there was one.
    async fn remove_domain(&self, tenant: Uuid, domain: &str) -> Result<bool>;
    /// Every tenant's claims on any of `names`, verified or not.
    async fn domains_named(&self, names: &[String]) -> Result<Vec<Domain>>;
    /// Up to `limit` pending domains created at or after `created_after`
    /// and not checked since `checked_before` (never checked first, then
    /// the least recently checked): the background re-check's round.
    async fn pending_domains(
        &self,
        created_after: time::OffsetDateTime,
        checked_before: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Domain>>;

    /// Group names shared by more than one live group of a tenant (kept
    /// from before the name rule applied), at most `limit`.
    async fn shared_group_names(&self, limit: u32) -> Result<Vec<SharedGroupName>>;

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
    /// audit entry and outbox event in one transaction. `Uniqueness` for a
    /// userName another live user has, and, where the tenant's
    /// `unique_group_names` is on, for a group displayName another live
    /// group has (case-insensitively; the message names that group's id).
    async fn create_resource(&self, write: CreateResource) -> Result<StoredResource>;
    /// Replaces a resource's document and/or changes its membership, with
    /// optimistic concurrency on `expected_version`, in one transaction.
    /// The same uniqueness as a create for a new userName or group name; a
    /// group that shared its name before the rule applied keeps it.
    async fn update_resource(&self, write: UpdateResource) -> Result<StoredResource>;
    /// Deletes per `policy` (soft: hidden, kept for audit; hard: erased),
    /// removing the resource's memberships, in one transaction.
    async fn delete_resource(&self, write: DeleteResource) -> Result<()>;
    /// Lists live resources matching a query (filter, sort, page).
    async fn list_resources(&self, tenant: Uuid, kind: ResourceKind, query: &ListQuery<'_>) -> Result<ListPage>;
    /// Members of each group in `groups` (`display` as the client sent it,
    /// else the member's current name).
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
    /// Deletes up to `limit` of the oldest audit entries written before
    /// `before` (retention); how many it deleted. Callers repeat until 0.
    async fn prune_audit(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64>;

    // ---- events (outbox) ------------------------------------------------
    /// Events of a tenant with sequence number greater than `after`, in
    /// sequence order.
    async fn list_events(&self, tenant: Uuid, after: i64, limit: u32) -> Result<Vec<EventRecord>>;
    /// Events of every tenant with a global position greater than `after`,
    /// in position (commit) order: the all-tenants feed's cursor.
    async fn list_all_events(&self, after: i64, limit: u32) -> Result<Vec<EventRecord>>;
    /// Deletes up to `limit` of the oldest events written before `before`
    /// (retention), keeping each tenant's newest; how many it deleted.
    /// Callers repeat until 0.
    async fn prune_events(&self, before: time::OffsetDateTime, limit: u32) -> Result<u64>;
    /// The cursor at or below which events may be gone (retention): for a
    /// tenant's feed a sequence number, for the all-tenants feed (`None`)
    /// a position. A reader resuming below it has missed events.
    async fn event_horizon(&self, tenant: Option<Uuid>) -> Result<i64>;
    /// A tenant's newest `limit` events, newest first (where a live tail
    /// starts).
    async fn latest_events(&self, tenant: Uuid, limit: u32) -> Result<Vec<EventRecord>>;

    // ---- the web admin's pictures ------------------------------------------
    /// A tenant's events per hour and type, and its refused and failed
    /// requests per hour, since `since`; in no particular order.
    async fn activity(&self, tenant: Uuid, since: time::OffsetDateTime) -> Result<Vec<crate::activity::HourCount>>;
    /// Every tenant's refusals and failures since `since` and the last use
    /// of its SCIM tokens.
    async fn tenant_health(&self, since: time::OffsetDateTime) -> Result<Vec<crate::activity::TenantHealth>>;
    // ---- webhooks (issue 12) ---------------------------------------------
    /// Registers an endpoint; it receives the events committed from now on.
    async fn create_webhook(&self, new: crate::webhooks::NewWebhook) -> Result<crate::webhooks::Webhook>;
    /// Every endpoint, oldest first (read fresh: the CLI changes them).
    async fn webhooks(&self) -> Result<Vec<crate::webhooks::Webhook>>;
    async fn webhook(&self, id: Uuid) -> Result<Option<crate::webhooks::Webhook>>;
    /// Changes an endpoint; [`crate::StoreError::NotFound`] when there is none.
    async fn update_webhook(
        &self,
        id: Uuid,
        change: crate::webhooks::WebhookChange,
    ) -> Result<crate::webhooks::Webhook>;
    /// Deletes an endpoint with its deliveries and their attempts.
    async fn delete_webhook(&self, id: Uuid) -> Result<()>;
    /// Queues, for every enabled endpoint, the events committed after its
    /// cursor that it selects (one write); how many deliveries.
    async fn fan_out_webhooks(&self) -> Result<u64>;
    /// Claims, for each `(endpoint, n)`, up to `n` due deliveries that are
    /// first in line for their resource, leased for `lease`.
    async fn claim_deliveries(
        &self,
        slots: Vec<(Uuid, u32)>,
        lease: std::time::Duration,
    ) -> Result<Vec<crate::webhooks::ClaimedDelivery>>;
    /// Records attempts and what follows them, in one write.
    async fn finish_deliveries(&self, outcomes: Vec<crate::webhooks::DeliveryOutcome>) -> Result<()>;
    /// Releases the leases no node holds any more, when a node starts; how
    /// many. On SQLite every lease (its one node is the one starting, so
    /// none is being sent); on PostgreSQL only expired ones (other nodes
    /// may be sending the rest).
    async fn release_delivery_leases(&self) -> Result<u64>;
    /// An endpoint's deliveries, newest first, with their latest attempts.
    async fn webhook_deliveries(
        &self,
        endpoint: Uuid,
        q: crate::webhooks::DeliveryQuery,
    ) -> Result<Vec<crate::webhooks::DeliveryRecord>>;
    /// Queues the events of `range` the endpoint selects again, in order;
    /// how many.
    async fn replay_webhook(&self, endpoint: Uuid, range: crate::webhooks::ReplayRange) -> Result<u64>;
    /// Pending deliveries, the oldest's age, disabled endpoints.
    async fn delivery_backlog(&self) -> Result<crate::webhooks::DeliveryBacklog>;

    /// Changes after each write this process commits that changed rows (a
    /// counter): feed
    /// readers waiting for events and the delivery worker wake on it.
    /// Commits of other processes or nodes are not signalled; whoever
    /// waits also looks again on a timer.
    fn commits(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Changes whenever tenants, tokens, OAuth clients, admin tokens or
    /// signing keys were changed by another node (PostgreSQL: within a
    /// second, by LISTEN/NOTIFY): the server drops its caches of them. The
    /// default never changes: on SQLite all writers but the CLI are this
    /// process, and the caches' short lifetimes cover the CLI.
    fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        tokio::sync::watch::channel(0).1
    }

    // ---- the admin views (audit search, the host application's view) ----
    /// A tenant's audit entries matching `query`, newest first (time, then
    /// row id, descending), at most `query.limit`, after `query.before`.
    async fn search_audit(&self, tenant: Uuid, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
    /// [`Self::list_resources`] over the rows `seen` names: the live ones,
    /// the soft-deleted ones too (each with its `deleted` time), or only
    /// those; in the same default order and keyset. `total` is not counted
    /// with deleted rows (0): this view pages by cursor only.
    async fn list_resources_seen(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        seen: Visibility,
        query: &ListQuery<'_>,
    ) -> Result<ListPage>;
    /// A resource, live or soft-deleted.
    async fn get_resource_with_deleted(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>>;
    /// A page of one group's members in member id order, after the member
    /// `after`, at most `limit`: a keyset on the membership table's key, so
    /// a page of a group of 100,000 costs what a page of a small one does.
    async fn list_members(&self, tenant: Uuid, group: Uuid, after: Option<Uuid>, limit: u32) -> Result<Vec<Member>>;
}
