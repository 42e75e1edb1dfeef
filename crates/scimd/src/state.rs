//! The server's shared state: the store, limits, and the small in-memory
//! caches that keep the hot path free of repeated look-ups.
//!
//! Both caches (token hash → token, tenant slug → tenant with its schema
//! registry) keep an entry for [`CACHE_TTL`]: a token revoked with
//! `scimd token revoke` (or a tenant's changed settings) takes effect on a
//! running server within those 5 seconds.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use scim_core::schema::SchemaRegistry;
use scim_store::{Store, Tenant, TokenInfo};
use uuid::Uuid;

pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// `touch_token` (last-used time) is written at most this often per token,
/// so reads never cost a write.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);
/// Past this many entries, expired ones are swept on insert.
const CACHE_SWEEP_AT: usize = 10_000;

/// A tenant as requests need it.
#[derive(Debug)]
pub struct TenantCtx {
    pub tenant: Tenant,
    pub registry: SchemaRegistry,
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
    pub max_body_bytes: usize,
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
    pub fn new(store: Arc<dyn Store>, public_base: String, max_page_size: u64, max_body_bytes: usize) -> Self {
        AppState(Arc::new(Inner {
            store,
            public_base,
            max_page_size,
            max_body_bytes,
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
        // Custom schema extensions per tenant come later; every tenant
        // serves the standard schemas for now.
        let ctx = Arc::new(TenantCtx {
            base_url: format!("{}/scim/v2/{}", self.public_base, tenant.slug),
            registry: SchemaRegistry::standard(),
            tenant,
        });
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
