//! What only the SQLite backend has, against temporary database files:
//! reopening a file, migrations of older files, other processes on the same
//! file, locks, the WAL, readiness of the file itself, and a figures
//! printer. Behaviour every backend shares is in the contract suite
//! (`tests/contract/`). One test binary (link time); modules by subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_views;
mod crud;
mod files;
mod perf;
mod writes;

use std::sync::Arc;

use scim_store::{Store, Tenant};

#[path = "../common/mod.rs"]
mod common;
pub use common::*;

/// A fresh file-backed store with one tenant.
pub async fn file() -> (Arc<dyn Store>, Tenant, TempDb) {
    let db = TempDb::new();
    let store = scim_store::open(&db.url()).await.unwrap();
    let tenant = store.create_tenant("acme", "Acme").await.unwrap();
    (store, tenant, db)
}
