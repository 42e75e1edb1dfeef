//! The delivery worker's way to the store (issue 12): fan-out, claims,
//! outcomes, leases, the backlog. The rules of sending are
//! `crate::delivery`'s; these only pass through, so that no surface
//! reaches the store but through `Ops`.

use std::time::Duration;

use scim_store::webhooks::{ClaimedDelivery, DeliveryBacklog, DeliveryOutcome};
use uuid::Uuid;

use super::Ops;
use super::error::OpResult;

impl Ops {
    /// Queues each enabled endpoint's new events; how many deliveries.
    pub async fn fan_out_webhooks(&self) -> OpResult<u64> {
        Ok(self.store.fan_out_webhooks().await?)
    }

    pub async fn claim_deliveries(&self, slots: Vec<(Uuid, u32)>, lease: Duration) -> OpResult<Vec<ClaimedDelivery>> {
        Ok(self.store.claim_deliveries(slots, lease).await?)
    }

    pub async fn finish_deliveries(&self, outcomes: Vec<DeliveryOutcome>) -> OpResult<()> {
        Ok(self.store.finish_deliveries(outcomes).await?)
    }

    pub async fn release_delivery_leases(&self) -> OpResult<u64> {
        Ok(self.store.release_delivery_leases().await?)
    }

    pub async fn delivery_backlog(&self) -> OpResult<DeliveryBacklog> {
        Ok(self.store.delivery_backlog().await?)
    }

    /// Changes after each commit of this process that changed rows.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.store.commits()
    }
}
