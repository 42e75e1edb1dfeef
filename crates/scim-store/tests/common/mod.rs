//! Fixtures both store test binaries use (the contract suite and the
//! SQLite tests): audit contexts, documents, and shorthands for creating
//! and listing resources.
// Each binary uses its own part of these.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use scim_core::schema::SchemaRegistry;
use scim_store::{
    AuditContext, CreateResource, DeletePolicy, DeleteResource, ListQuery, ResourceKind, Store, StoreError,
    StoredResource, Tenant,
};
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

/// The PostgreSQL server the tests use: `SCIMD_TEST_POSTGRES_URL`, else
/// the local one (`scripts/postgres.sh` starts it).
pub fn postgres_url() -> String {
    std::env::var("SCIMD_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Runs `sql` on the test server with psql; panics, saying why, when it
/// cannot (no server is a failure, not a skip).
pub fn psql(sql: &str) {
    let out = std::process::Command::new("psql")
        .args([postgres_url().as_str(), "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql (PostgreSQL's client) must be installed: scripts/postgres.sh installs it");
    assert!(
        out.status.success(),
        "psql {sql:?} failed (is PostgreSQL running? scripts/postgres.sh starts it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh schema on the test server, dropped (with all it holds) on drop.
pub struct PgSchema(pub String);

impl Default for PgSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl PgSchema {
    pub fn new() -> Self {
        let name = format!("scimd_test_{}", Uuid::now_v7().simple());
        psql(&format!("CREATE SCHEMA {name}"));
        PgSchema(name)
    }
    /// The server's URL with this schema as the search path.
    pub fn url(&self) -> String {
        let base = postgres_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-c%20search_path%3D{}", self.0)
    }
}

impl Drop for PgSchema {
    /// On a thread of its own, not waited for: a test's runtime may still
    /// hold a transaction open in the schema (its rollback is sent when the
    /// runtime next runs), which the drop has to wait for.
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0);
        std::thread::spawn(move || {
            let _ = std::process::Command::new("psql").args([postgres_url().as_str(), "-qAtc", &sql]).output();
        });
    }
}

pub fn ctx(method: &str) -> AuditContext {
    AuditContext {
        token: None,
        admin_token: None,
        subject: None,
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

/// The userNames a filter selects, in the default order.
pub async fn names(store: &Arc<dyn Store>, tenant: Uuid, filter: &str) -> Vec<String> {
    let schemas = Arc::new(SchemaRegistry::standard());
    let filter = scim_core::filter::parse_filter(filter).unwrap();
    let q = query(&schemas, Some(&filter), 1000);
    let page = store.list_resources(tenant, ResourceKind::User, &q).await.unwrap();
    page.resources.iter().map(|r| r.doc["userName"].as_str().unwrap_or_default().to_owned()).collect()
}

/// A list query of the first `count` in the default order.
pub fn query<'a>(
    schemas: &'a Arc<SchemaRegistry>,
    filter: Option<&'a scim_core::filter::Filter>,
    count: u64,
) -> ListQuery<'a> {
    ListQuery {
        filter,
        sort_by: None,
        sort_order: Default::default(),
        start_index: 1,
        count,
        after: None,
        schemas,
        with_groups: false,
    }
}

/// Creates, soft and hard deletes and a refused write across two tenants,
/// for the tests of totals: afterwards `acme` holds 5 live users and 1
/// group, `other` (returned) 1 user.
pub async fn churn(store: &Arc<dyn Store>, acme: Uuid) -> Tenant {
    let other = store.create_tenant("other", "Other").await.unwrap();
    let mut users = Vec::new();
    for n in 0..6 {
        users.push(create(store, acme, ResourceKind::User, user_doc(&format!("u{n}"))).await);
    }
    create(store, other.id, ResourceKind::User, user_doc("u0")).await;
    create(store, acme, ResourceKind::Group, json!({"displayName": "g"})).await;
    for (user, policy) in [(&users[0], DeletePolicy::Soft), (&users[1], DeletePolicy::Hard)] {
        let delete = DeleteResource {
            tenant: acme,
            kind: ResourceKind::User,
            id: user.id,
            expected_version: None,
            policy,
            audit: ctx("DELETE"),
        };
        store.delete_resource(delete).await.unwrap();
    }
    // A duplicate userName is refused: its rolled-back insert counts nothing.
    let dup = CreateResource {
        tenant: acme,
        kind: ResourceKind::User,
        doc: user_doc("u2"),
        members: vec![],
        password_hash: None,
        audit: ctx("POST"),
    };
    assert!(matches!(store.create_resource(dup).await, Err(StoreError::Uniqueness(_))));
    // A soft-deleted name can be used again: a new resource, counted.
    create(store, acme, ResourceKind::User, user_doc("u0")).await;
    other
}
