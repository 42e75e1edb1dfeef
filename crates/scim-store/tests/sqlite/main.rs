//! Integration tests of the SQLite store, against temporary database
//! files. One test binary (link time); modules by subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod crud;
mod list;
mod members;
mod perf;
mod props;
mod tenants;
mod writes;

use std::path::PathBuf;
use std::sync::Arc;

use scim_store::{AuditContext, CreateResource, ResourceKind, Store, StoredResource, Tenant};
use serde_json::{Value, json};
use uuid::Uuid;

/// A temporary database file, removed (with its WAL files) on drop.
pub struct TempDb(pub PathBuf);

impl Default for TempDb {
    fn default() -> Self {
        Self::new()
    }
}

impl TempDb {
    pub fn new() -> Self {
        TempDb(std::env::temp_dir().join(format!("scim-store-test-{}.db", Uuid::now_v7())))
    }
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A fresh file-backed store with one tenant.
pub async fn file() -> (Arc<dyn Store>, Tenant, TempDb) {
    let db = TempDb::new();
    let store = scim_store::open(&db.url()).await.unwrap();
    let tenant = store.create_tenant("acme", "Acme").await.unwrap();
    (store, tenant, db)
}

pub fn ctx(method: &str) -> AuditContext {
    AuditContext {
        token: None,
        remote_addr: Some("127.0.0.1".into()),
        method: method.into(),
        path: "/scim/v2/acme/Users".into(),
        request_id: Some("req-1".into()),
    }
}

pub fn user_doc(user_name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name})
}

pub fn group_doc(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
}

pub async fn create(store: &Arc<dyn Store>, tenant: Uuid, kind: ResourceKind, doc: Value) -> StoredResource {
    create_with(store, tenant, kind, doc, Vec::new()).await
}

pub async fn create_with(
    store: &Arc<dyn Store>,
    tenant: Uuid,
    kind: ResourceKind,
    doc: Value,
    members: Vec<Value>,
) -> StoredResource {
    store
        .create_resource(CreateResource { tenant, kind, doc, password_hash: None, members, audit: ctx("POST") })
        .await
        .unwrap()
}

pub fn member(id: Uuid) -> Value {
    json!({"value": id.to_string()})
}

/// A member value with the `display` a client sends along (Okta does).
pub fn member_named(id: Uuid, display: &str) -> Value {
    json!({"value": id.to_string(), "display": display})
}
