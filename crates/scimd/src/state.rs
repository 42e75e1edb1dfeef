//! The server's shared state: the operations (with their store and
//! caches) and the limits requests are served within.

use std::ops::Deref;
use std::sync::Arc;

use std::net::IpAddr;

use scim_core::bulk::BulkLimits;
use uuid::Uuid;

use crate::ops::Ops;
use crate::rate_limit::{Limiter, Rate};

/// Large group member lists rendered at once: one of 100,000 members holds
/// ~25 MB while it is read and written; others wait their turn.
const MEMBER_RENDERS: usize = 2;

/// Member lists from this size on (about 1.5 MB of JSON) count as large.
pub const LARGE_MEMBER_LIST: u64 = 10_000;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub ops: Ops,
    pub max_page_size: u64,
    /// What `/Bulk` enforces and the ServiceProviderConfig advertises.
    pub bulk: BulkLimits,
    /// How long a Bulk request starts new operations (short of the request
    /// time limit, so that its answer always comes).
    pub bulk_time: std::time::Duration,
    /// Large group member lists being rendered at once (see
    /// `scim_api::render`).
    pub member_renders: Arc<tokio::sync::Semaphore>,
    pub rate_limits: RateLimits,
}

/// What `/Bulk` allows: its limits, and how long it starts operations.
pub struct BulkSettings {
    pub limits: BulkLimits,
    pub time: std::time::Duration,
}

/// The request rates the SCIM API allows (see [`crate::rate_limit`]).
pub struct RateLimits {
    /// Per tenant, for requests with a valid token; a tenant's settings
    /// may set its own rate.
    pub tenants: Limiter<Uuid>,
    pub tenant_rate: Rate,
    /// Per source address, for requests without a valid token.
    pub sources: Limiter<Option<IpAddr>>,
    pub source_rate: Rate,
    /// Per OAuth client id and source address, at the token endpoint.
    pub clients: Limiter<(Uuid, Option<IpAddr>)>,
    pub client_rate: Rate,
}

impl RateLimits {
    /// With this rate per OAuth client at the token endpoint.
    pub fn with_client_rate(mut self, rate: Rate) -> Self {
        self.client_rate = rate;
        self
    }

    pub fn new(tenant_rate: Rate, source_rate: Rate) -> Self {
        RateLimits {
            tenants: Limiter::default(),
            tenant_rate,
            sources: Limiter::default(),
            source_rate,
            clients: Limiter::default(),
            client_rate: Rate::new(5, 20),
        }
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(ops: Ops, max_page_size: u64, bulk: BulkSettings, rate_limits: RateLimits) -> Self {
        AppState(Arc::new(Inner {
            ops,
            max_page_size,
            bulk: bulk.limits,
            bulk_time: bulk.time,
            member_renders: Arc::new(tokio::sync::Semaphore::new(MEMBER_RENDERS)),
            rate_limits,
        }))
    }
}
