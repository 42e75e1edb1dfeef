//! STUB: not ported yet (replaced whole by its port).
#![allow(unused_variables)]

use std::collections::HashMap;

use uuid::Uuid;

use super::PgStore;
use crate::*;

impl PgStore {
    pub(crate) async fn create_token_impl(&self, token: NewToken) -> Result<TokenInfo> {
        Err(StoreError::Internal("not ported: create_token".into()))
    }
    pub(crate) async fn token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>> {
        Err(StoreError::Internal("not ported: token_by_hash".into()))
    }
    pub(crate) async fn list_tokens_impl(&self, tenant: Uuid) -> Result<Vec<TokenInfo>> {
        Err(StoreError::Internal("not ported: list_tokens".into()))
    }
    pub(crate) async fn revoke_token_impl(&self, tenant: Uuid, token: Uuid) -> Result<Revocation> {
        Err(StoreError::Internal("not ported: revoke_token".into()))
    }
    pub(crate) async fn expire_token_impl(&self, tenant: Uuid, token: Uuid, at: time::OffsetDateTime) -> Result<()> {
        Err(StoreError::Internal("not ported: expire_token".into()))
    }
    pub(crate) async fn touch_token_impl(&self, token: Uuid) -> Result<()> {
        Err(StoreError::Internal("not ported: touch_token".into()))
    }
}
