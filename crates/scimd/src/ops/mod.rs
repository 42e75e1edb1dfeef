//! The operations of scimd (DESIGN §2): every use case that changes or
//! reads tenants, tokens, schemas and resources, written once and called by
//! every surface — the SCIM handlers and Bulk (`scim_api`), the CLI, and
//! next the admin API and the web UI. A surface extracts its input, calls
//! an operation and maps the result; the rules live here and below (in
//! scim-core and scim-store).
//!
//! [`Ops`] holds the store and the small caches that keep the hot path
//! free of repeated look-ups (tenants with their schema registries, tokens
//! by hash); each subject adds its operations to it in its own file.

pub mod activity;
pub mod admin_tokens;
pub mod audit;
pub mod audit_search;
mod cache;
pub mod deliveries;
pub mod directory;
pub mod dns;
pub mod domain_names;
pub mod domain_rule;
pub mod domains;
pub mod error;
pub mod events;
pub mod oauth;
pub mod password;
pub mod precondition;
pub mod resources;
mod retry;
pub mod schemas;
pub mod setup_links;
pub mod signing_keys;
pub mod slug;
pub mod tenant_auth;
pub mod tenants;
pub mod tokens;
pub mod ui_sessions;
pub mod user_agent;
pub mod webhooks;
pub mod work;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use scim_store::{OAuthClient, Store, TokenInfo};
use uuid::Uuid;

use self::cache::TtlCache;
pub use self::error::{OpError, OpResult};
pub use self::precondition::Precondition;
use self::signing_keys::KeyRing;
pub use self::tenants::TenantCtx;
use crate::auth::jwks::JwksCache;
use crate::sealing::SealingKey;

/// The operations, over one store.
/// The server setting holding the public base URL.
const PUBLIC_URL_KEY: &str = "public_url";

pub struct Ops {
    store: Arc<dyn Store>,
    /// The externally visible base URL, no trailing slash (for SCIM URLs).
    public_base: String,
    tenants: TtlCache<String, TenantCtx>,
    /// Slugs found to name no tenant, for a second: an unknown tenant is
    /// answered from memory like a known one (no timing to tell them apart).
    unknown_tenants: TtlCache<String, ()>,
    tokens: TtlCache<[u8; 32], TokenInfo>,
    /// When each token's use was last recorded, and a key of the
    /// User-Agent it was recorded with (see `tokens.rs`).
    touched: Mutex<HashMap<Uuid, (Instant, u64)>>,
    /// Refusals counted for the audit log (see `audit.rs`).
    refusals: audit::Tally,
    /// The most values a multi-valued attribute may hold (tenants'
    /// registries are built with it).
    max_values: usize,
    /// The most units of work one write may take (see `work.rs`).
    max_work: u64,
    /// Seals the secrets scimd reads back (`None`: none configured, and
    /// what needs one fails).
    sealing: Option<Arc<SealingKey>>,
    /// Tenants' issuer keys (see `auth/jwks.rs`).
    jwks: JwksCache,
    /// OAuth clients by id, for a second (see `oauth.rs`).
    clients: TtlCache<Uuid, OAuthClient>,
    /// scimd's signing keys, for a second (see `signing_keys.rs`).
    key_ring: TtlCache<(), KeyRing>,
    /// Whether JWKS URLs may be plain HTTP to this machine (`tenant_auth.rs`).
    loopback_jwks: bool,
    /// JWTs validated within the last second, by hash (see `tenant_auth.rs`).
    validated_jwts: TtlCache<[u8; 32], (Uuid, tenant_auth::JwtCaller)>,
    /// Where TXT records are looked up (see `domains.rs`).
    dns: dns::Dns,
    /// Tenants' verified domains, for those that enforce them (see `domains.rs`).
    verified_domains: TtlCache<Uuid, domain_rule::VerifiedDomains>,
    /// Days audit entries are kept (see `audit_search.rs`).
    audit_retention_days: u64,
    /// How outbound webhook calls may go (see `webhooks.rs`).
    webhook_policy: webhooks::WebhookPolicy,
}

impl Ops {
    pub fn new(store: Arc<dyn Store>, public_base: String) -> Self {
        Ops {
            store,
            public_base,
            tenants: TtlCache::default(),
            unknown_tenants: TtlCache::with_ttl(std::time::Duration::from_secs(1)),
            // A revoked token is refused within a second by every process
            // and node (DESIGN §6): a token is read again at most once a second.
            tokens: TtlCache::with_ttl(std::time::Duration::from_secs(1)),
            touched: Mutex::default(),
            refusals: audit::Tally::default(),
            max_values: scim_core::schema::DEFAULT_MAX_VALUES,
            max_work: work::DEFAULT_MAX_WORK,
            sealing: None,
            jwks: JwksCache::default(),
            clients: TtlCache::with_ttl(std::time::Duration::from_secs(1)),
            key_ring: TtlCache::with_ttl(std::time::Duration::from_secs(1)),
            loopback_jwks: false,
            validated_jwts: TtlCache::with_ttl(std::time::Duration::from_secs(1)),
            dns: dns::Dns::default(),
            verified_domains: TtlCache::default(),
            audit_retention_days: 0,
            webhook_policy: webhooks::WebhookPolicy::default(),
        }
    }

    /// Drops every cached tenant, credential, key and verified-domain list:
    /// another node changed one (see [`Self::forget_on_changes`]).
    pub fn forget_cached(&self) {
        self.tenants.invalidate(|_, _| true);
        self.unknown_tenants.invalidate(|_, _| true);
        self.tokens.invalidate(|_, _| true);
        self.clients.invalidate(|_, _| true);
        self.key_ring.invalidate(|_, _| true);
        self.validated_jwts.invalidate(|_, _| true);
        self.verified_domains.invalidate(|_, _| true);
    }

    /// Runs for the life of the server: whenever the store says that
    /// another node changed tenants, credentials or keys (PostgreSQL's
    /// LISTEN/NOTIFY), the caches are dropped, so that a token revoked on
    /// one node is refused by every node within a second. The caches' own
    /// short lifetimes remain the safety net. Returns when the store has no
    /// such signal (SQLite).
    pub async fn forget_on_changes(&self) {
        let mut changes = self.store.changes();
        while changes.changed().await.is_ok() {
            self.forget_cached();
        }
    }

    /// Seals and opens secrets with `key` (see `sealing.rs`).
    pub fn with_sealing_key(mut self, key: SealingKey) -> Self {
        self.sealing = Some(Arc::new(key));
        self
    }

    /// The secrets key, or an error saying there is none.
    fn sealing(&self) -> OpResult<&SealingKey> {
        self.sealing.as_deref().ok_or_else(|| {
            OpError::Refused(scim_core::ScimError::new(
                503,
                None,
                "no secrets key: start the server once (it generates one beside the database), or set \
                 secrets_key or secrets_key_file",
            ))
        })
    }

    /// Looks TXT records up with `dns` (default: the system's resolver).
    pub fn with_dns(mut self, dns: dns::Dns) -> Self {
        self.dns = dns;
        self
    }

    /// Refuses writes estimated at more than `max` units of work.
    pub fn with_max_work(mut self, max: u64) -> Self {
        self.max_work = max;
        self
    }

    /// `400 invalidValue` past [`Self::with_max_work`]'s limit.
    fn check_work(&self, units: u64) -> OpResult<()> {
        if units > self.max_work {
            return Err(OpError::Refused(scim_core::ScimError::invalid_value(format!(
                "the request would take {units} units of work (operations × values examined), more than the \
                 limit of {}: split it into smaller requests",
                self.max_work
            ))));
        }
        Ok(())
    }

    /// Caps multi-valued attributes at `max` values per resource.
    pub fn with_max_values(mut self, max: usize) -> Self {
        self.max_values = max;
        self
    }

    /// The store, for reads with no rule of their own (`/readyz`).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The public base URL, no trailing slash.
    pub fn public_base(&self) -> &str {
        &self.public_base
    }

    /// Records [`Self::public_base`] in the store, for the CLI's URLs.
    pub async fn record_public_base(&self) -> OpResult<()> {
        Ok(self.store.set_server_setting(PUBLIC_URL_KEY, &self.public_base).await?)
    }

    /// The public base URL the server last started with, if it has.
    pub async fn recorded_public_base(store: &dyn Store) -> OpResult<Option<String>> {
        Ok(store.server_setting(PUBLIC_URL_KEY).await?)
    }

    /// The SCIM base URL of a tenant: `<public>/scim/v2/<slug>`.
    pub fn scim_url(&self, slug: &str) -> String {
        format!("{}/scim/v2/{slug}", self.public_base)
    }
}
