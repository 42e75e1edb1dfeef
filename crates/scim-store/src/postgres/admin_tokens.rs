//! STUB: not ported yet (replaced whole by its port).
#![allow(unused_variables)]

use std::collections::HashMap;

use uuid::Uuid;

use super::PgStore;
use crate::*;

impl PgStore {
    pub(crate) async fn create_admin_token_impl(&self, token: NewAdminToken) -> Result<AdminTokenInfo> {
        Err(StoreError::Internal("not ported: create_admin_token".into()))
    }
    pub(crate) async fn admin_token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<AdminTokenInfo>> {
        Err(StoreError::Internal("not ported: admin_token_by_hash".into()))
    }
    pub(crate) async fn list_admin_tokens_impl(&self) -> Result<Vec<AdminTokenInfo>> {
        Err(StoreError::Internal("not ported: list_admin_tokens".into()))
    }
    pub(crate) async fn revoke_admin_token_impl(&self, token: Uuid) -> Result<Revocation> {
        Err(StoreError::Internal("not ported: revoke_admin_token".into()))
    }
    pub(crate) async fn expire_admin_token_impl(&self, token: Uuid, at: time::OffsetDateTime) -> Result<()> {
        Err(StoreError::Internal("not ported: expire_admin_token".into()))
    }
    pub(crate) async fn touch_admin_token_impl(&self, token: Uuid) -> Result<()> {
        Err(StoreError::Internal("not ported: touch_admin_token".into()))
    }
}
