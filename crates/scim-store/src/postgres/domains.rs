//! STUB: not ported yet (replaced whole by its port).
#![allow(unused_variables)]

use std::collections::HashMap;

use uuid::Uuid;

use super::PgStore;
use crate::*;

impl PgStore {
    pub(crate) async fn add_domain_impl(&self, domain: NewDomain) -> Result<Domain> {
        Err(StoreError::Internal("not ported: add_domain".into()))
    }
    pub(crate) async fn list_domains_impl(&self, tenant: Uuid) -> Result<Vec<Domain>> {
        Err(StoreError::Internal("not ported: list_domains".into()))
    }
    pub(crate) async fn get_domain_impl(&self, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
        Err(StoreError::Internal("not ported: get_domain".into()))
    }
    pub(crate) async fn update_domain_impl(&self, tenant: Uuid, domain: &str, change: DomainChange) -> Result<Domain> {
        Err(StoreError::Internal("not ported: update_domain".into()))
    }
    pub(crate) async fn remove_domain_impl(&self, tenant: Uuid, domain: &str) -> Result<bool> {
        Err(StoreError::Internal("not ported: remove_domain".into()))
    }
    pub(crate) async fn domains_named_impl(&self, names: &[String]) -> Result<Vec<Domain>> {
        Err(StoreError::Internal("not ported: domains_named".into()))
    }
    pub(crate) async fn pending_domains_impl(&self, created_after: time::OffsetDateTime, checked_before: time::OffsetDateTime, limit: u32) -> Result<Vec<Domain>> {
        Err(StoreError::Internal("not ported: pending_domains".into()))
    }
}
