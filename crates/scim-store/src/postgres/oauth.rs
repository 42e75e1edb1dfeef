//! STUB: not ported yet (replaced whole by its port).
#![allow(unused_variables)]

use std::collections::HashMap;

use uuid::Uuid;

use super::PgStore;
use crate::*;

impl PgStore {
    pub(crate) async fn create_oauth_client_impl(&self, client: NewOAuthClient) -> Result<OAuthClient> {
        Err(StoreError::Internal("not ported: create_oauth_client".into()))
    }
    pub(crate) async fn oauth_client_impl(&self, id: Uuid) -> Result<Option<OAuthClient>> {
        Err(StoreError::Internal("not ported: oauth_client".into()))
    }
    pub(crate) async fn list_oauth_clients_impl(&self, tenant: Uuid) -> Result<Vec<OAuthClient>> {
        Err(StoreError::Internal("not ported: list_oauth_clients".into()))
    }
    pub(crate) async fn revoke_oauth_client_impl(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        Err(StoreError::Internal("not ported: revoke_oauth_client".into()))
    }
    pub(crate) async fn touch_oauth_client_impl(&self, id: Uuid) -> Result<()> {
        Err(StoreError::Internal("not ported: touch_oauth_client".into()))
    }
    pub(crate) async fn add_signing_key_impl(&self, key: SigningKey) -> Result<()> {
        Err(StoreError::Internal("not ported: add_signing_key".into()))
    }
    pub(crate) async fn signing_keys_impl(&self) -> Result<Vec<SigningKey>> {
        Err(StoreError::Internal("not ported: signing_keys".into()))
    }
    pub(crate) async fn drop_signing_keys_impl(&self, retired_before: time::OffsetDateTime) -> Result<u64> {
        Err(StoreError::Internal("not ported: drop_signing_keys".into()))
    }
}
