//! The server's shared state: the store, limits, and the small in-memory
//! caches that keep the hot path free of repeated look-ups.
//!
//! Both caches (token hash → token, tenant slug → tenant with its schema
//! registry) keep an entry for [`CACHE_TTL`]: a token revoked with
//! `scimd token revoke` (or a tenant's changed settings, such as a schema
//! added with `scimd schema add`) takes effect on a running server within
//! those 5 seconds.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use scim_core::ScimError;
use scim_core::bulk::BulkLimits;
use scim_core::schema::{SchemaRegistry, parse_extension_schema};
use scim_store::{Store, Tenant, TenantExtension, TenantSettings, TokenInfo};
use uuid::Uuid;

pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// `touch_token` (last-used time) is written at most this often per token,
/// so reads never cost a write.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);
/// Large group member lists rendered at once: one of 100,000 members holds
/// ~25 MB while it is read and written; others wait their turn.
const MEMBER_RENDERS: usize = 2;

/// Member lists from this size on (about 1.5 MB of JSON) count as large.
pub const LARGE_MEMBER_LIST: u64 = 10_000;

/// Past this many entries, expired ones are swept on insert.
const CACHE_SWEEP_AT: usize = 10_000;

/// A tenant as requests need it.
#[derive(Debug)]
pub struct TenantCtx {
    pub tenant: Tenant,
    /// Shared: the store's scan threads evaluate filters with it.
    pub registry: Arc<SchemaRegistry>,
    /// `<public_url>/scim/v2/<slug>`, no trailing slash.
    pub base_url: String,
}

/// Entries with the time they were loaded.
type Cache<K, V> = RwLock<HashMap<K, (Instant, Arc<V>)>>;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    /// Public base URL, no trailing slash.
    pub public_base: String,
    pub max_page_size: u64,
    /// What `/Bulk` enforces and the ServiceProviderConfig advertises.
    pub bulk: BulkLimits,
    /// Large group member lists being rendered at once (see `render::load`).
    pub member_renders: Arc<tokio::sync::Semaphore>,
    tenants: Cache<String, TenantCtx>,
    tokens: Cache<[u8; 32], TokenInfo>,
    touched: Mutex<HashMap<Uuid, Instant>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, public_base: String, max_page_size: u64, bulk: BulkLimits) -> Self {
        AppState(Arc::new(Inner {
            store,
            public_base,
            max_page_size,
            bulk,
            member_renders: Arc::new(tokio::sync::Semaphore::new(MEMBER_RENDERS)),
            tenants: RwLock::default(),
            tokens: RwLock::default(),
            touched: Mutex::default(),
        }))
    }

    /// The tenant with this slug, from the cache or the store.
    pub async fn tenant(&self, slug: &str) -> Result<Option<Arc<TenantCtx>>, scim_store::StoreError> {
        let now = Instant::now();
        if let Some(ctx) = cached(&self.tenants, slug, now) {
            return Ok(Some(ctx));
        }
        let Some(tenant) = self.store.tenant_by_slug(slug).await? else {
            return Ok(None);
        };
        let (registry, skipped) = tenant_registry(&tenant.settings);
        // A stored schema that no longer loads (hand-edited, or refused by a
        // newer scimd) must not take the tenant down: it is left out, and
        // said so on every load until someone fixes or removes it.
        for (i, e) in &skipped {
            let urn = tenant.settings.extensions.get(*i).and_then(declared_urn).unwrap_or("(no id)");
            tracing::warn!(tenant = %tenant.slug, schema = %urn, error = %e.detail, "schema extension skipped");
        }
        let base_url = format!("{}/scim/v2/{}", self.public_base, tenant.slug);
        let ctx = Arc::new(TenantCtx { base_url, registry: Arc::new(registry), tenant });
        if let Ok(mut map) = self.tenants.write() {
            sweep(&mut map, now);
            map.insert(slug.to_owned(), (now, ctx.clone()));
        }
        Ok(Some(ctx))
    }

    /// The token whose secret hashes to `hash`, from the cache or the store
    /// (revoked or not: the caller checks).
    pub async fn token(&self, hash: &[u8; 32]) -> Result<Option<Arc<TokenInfo>>, scim_store::StoreError> {
        let now = Instant::now();
        if let Some(info) = cached(&self.tokens, hash, now) {
            return Ok(Some(info));
        }
        // Misses are not cached: a flood of random tokens must not evict the
        // real ones, and it costs an indexed look-up each.
        let Some(info) = self.store.token_by_hash(hash).await? else {
            return Ok(None);
        };
        let info = Arc::new(info);
        if let Ok(mut map) = self.tokens.write() {
            sweep(&mut map, now);
            map.insert(*hash, (now, info.clone()));
        }
        Ok(Some(info))
    }

    /// Records the token's use in the background, at most once a minute.
    pub fn touch_token(&self, token: Uuid) {
        let now = Instant::now();
        let due = match self.touched.lock() {
            Ok(mut map) => {
                let due = map.get(&token).is_none_or(|at| now.duration_since(*at) >= TOUCH_INTERVAL);
                if due {
                    if map.len() >= CACHE_SWEEP_AT {
                        map.retain(|_, at| now.duration_since(*at) < TOUCH_INTERVAL);
                    }
                    map.insert(token, now);
                }
                due
            }
            Err(_) => false,
        };
        if due {
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_token(token).await {
                    tracing::warn!(error = %e, %token, "could not record token use");
                }
            });
        }
    }
}

/// The schema registry a tenant's settings describe: the standard schemas,
/// each declared extension in order, and the unknown-extension policy.
/// Declared extensions that do not load are left out and returned with
/// the reason, by their index in `settings.extensions`.
pub fn tenant_registry(settings: &TenantSettings) -> (SchemaRegistry, Vec<(usize, ScimError)>) {
    let mut registry = SchemaRegistry::standard().with_unknown_extensions(settings.unknown_extensions);
    let mut skipped = Vec::new();
    for (i, ext) in settings.extensions.iter().enumerate() {
        let added = parse_extension_schema(&ext.schema)
            .and_then(|schema| registry.add_extension(&ext.resource_type, schema, ext.required));
        if let Err(e) = added {
            skipped.push((i, e));
        }
    }
    (registry, skipped)
}

/// The URN a stored extension declares (its `id`, matched like
/// `parse_extension_schema` does: case-insensitively).
pub fn declared_urn(ext: &TenantExtension) -> Option<&str> {
    ext.schema.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("id")).and_then(|(_, v)| v.as_str())
}

/// A fresh cache entry. Synchronous, so no lock guard can live across an
/// `.await` (which would make the request future `!Send`).
fn cached<K, Q, V>(map: &Cache<K, V>, key: &Q, now: Instant) -> Option<Arc<V>>
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    let map = map.read().ok()?;
    let (at, value) = map.get(key)?;
    (now.duration_since(*at) < CACHE_TTL).then(|| value.clone())
}

fn sweep<K, V>(map: &mut HashMap<K, (Instant, V)>, now: Instant) {
    if map.len() >= CACHE_SWEEP_AT {
        map.retain(|_, (at, _)| now.duration_since(*at) < CACHE_TTL);
    }
}

#[cfg(test)]
mod tests {
    use scim_core::schema::UnknownExtensions;
    use serde_json::json;

    use super::*;

    fn ext(resource_type: &str, schema: serde_json::Value) -> TenantExtension {
        TenantExtension { resource_type: resource_type.into(), required: false, schema }
    }

    #[test]
    fn registry_follows_the_settings_and_skips_what_does_not_load() {
        let good = json!({ "id": "urn:example:acme:1.0:User", "attributes": [{ "name": "costCenter" }] });
        let settings = TenantSettings {
            extensions: vec![
                ext("User", good.clone()),
                ext("Group", json!({ "id": "urn:example:broken:1.0:Group", "attributes": [] })),
                ext("Widget", json!({ "id": "urn:example:w:1.0:W", "attributes": [{ "name": "a" }] })),
                ext("Group", good),
                ext("Group", json!("not a schema")),
            ],
            unknown_extensions: UnknownExtensions::Keep,
            ..TenantSettings::default()
        };
        let (reg, skipped) = tenant_registry(&settings);
        assert_eq!(reg.unknown_extensions(), UnknownExtensions::Keep);
        let user = reg.resource_type("User").unwrap();
        assert!(reg.extension_of(user, "urn:example:acme:1.0:User").is_some());
        let group = reg.resource_type("Group").unwrap();
        assert!(group.extensions.is_empty(), "{:?}", group.extensions);
        let indexes: Vec<usize> = skipped.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [1, 2, 3, 4]);
        assert_eq!(declared_urn(&settings.extensions[1]), Some("urn:example:broken:1.0:Group"));
        assert_eq!(declared_urn(&settings.extensions[4]), None);
        assert!(skipped[1].1.detail.contains("Widget"), "{}", skipped[1].1.detail);
    }
}
