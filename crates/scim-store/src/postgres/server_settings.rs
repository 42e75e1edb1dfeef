//! STUB: not ported yet (replaced whole by its port).
#![allow(unused_variables)]

use std::collections::HashMap;

use uuid::Uuid;

use super::PgStore;
use crate::*;

impl PgStore {
    pub(crate) async fn server_setting_impl(&self, key: &str) -> Result<Option<String>> {
        Err(StoreError::Internal("not ported: server_setting".into()))
    }
    pub(crate) async fn set_server_setting_impl(&self, key: &str, value: &str) -> Result<()> {
        Err(StoreError::Internal("not ported: set_server_setting".into()))
    }
}
