//! The outbox as operations see it (DESIGN §7): the events a tenant's
//! changes wrote, in their per-tenant order, and all tenants' events in
//! commit order (the cursor of the all-tenants feed).

use scim_store::{EventRecord, Tenant};

use super::Ops;
use super::error::OpResult;

impl Ops {
    /// A tenant's events with a sequence number above `after`, in order.
    pub async fn list_events(&self, tenant: &Tenant, after: i64, limit: u32) -> OpResult<Vec<EventRecord>> {
        Ok(self.store.list_events(tenant.id, after, limit).await?)
    }

    /// Every tenant's events with a global position above `after`, in
    /// commit order.
    pub async fn list_all_events(&self, after: i64, limit: u32) -> OpResult<Vec<EventRecord>> {
        Ok(self.store.list_all_events(after, limit).await?)
    }
}
