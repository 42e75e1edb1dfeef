//! What only SQLite's files show: another process's writes seen by a
//! running store, concurrent opens of a new file, the WAL kept bounded, and
//! another process's write lock. (Concurrent writes that stay
//! all-or-nothing and derived columns kept right are in the contract
//! suite.)

use std::sync::Arc;

use scim_core::filter::parse_filter;
use scim_core::schema::SchemaRegistry;
use scim_store::{CreateResource, ListQuery, ResourceKind, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

use crate::{create, ctx, file, user_doc};

async fn names(store: &Arc<dyn Store>, tenant: Uuid, filter: &str) -> Vec<String> {
    let schemas = std::sync::Arc::new(SchemaRegistry::standard());
    let filter = parse_filter(filter).unwrap();
    let q = ListQuery {
        after: None,
        with_groups: false,
        filter: Some(&filter),
        sort_by: None,
        sort_order: Default::default(),
        start_index: 1,
        count: 100,
        schemas: &schemas,
    };
    let page = store.list_resources(tenant, ResourceKind::User, &q).await.unwrap();
    page.resources.iter().map(|r| r.doc["userName"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn reads_see_other_processes_writes() {
    let (server, tenant, db) = file().await;
    // Warm a read connection so that it holds a snapshot.
    assert!(server.token_by_hash(&[9; 32]).await.unwrap().is_none());
    let user = create(&server, tenant.id, ResourceKind::User, user_doc("warm")).await;
    assert!(server.get_resource(tenant.id, ResourceKind::User, user.id).await.unwrap().is_some());

    let cli = scim_store::open(&db.url()).await.unwrap();
    let token = scim_store::NewToken {
        tenant: tenant.id,
        name: "second".into(),
        prefix: "scimd_x".into(),
        hash: [7; 32],
        scopes: vec![],
        expires: None,
        replaces: None,
    };
    cli.create_token(token).await.unwrap();
    assert!(server.token_by_hash(&[7; 32]).await.unwrap().is_some(), "a CLI token works at once");
    cli.create_tenant("later", "Later").await.unwrap();
    assert!(server.tenant_by_slug("later").await.unwrap().is_some(), "a CLI tenant is found at once");

    let theirs = create(&cli, tenant.id, ResourceKind::User, user_doc("theirs")).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while server.get_resource(tenant.id, ResourceKind::User, theirs.id).await.unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "another process's write stays invisible");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The server's own writes are visible to its very next read.
    for i in 0..20 {
        let u = create(&server, tenant.id, ResourceKind::User, user_doc(&format!("own{i}"))).await;
        assert!(server.get_resource(tenant.id, ResourceKind::User, u.id).await.unwrap().is_some());
    }
}

/// The server and the CLI starting at once on a new file: the migrations
/// run once, and both open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opens_migrate_once() {
    let db = crate::TempDb::new();
    let url = db.url();
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { scim_store::open(&url).await.map(|_| ()) })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap();
    }
    let store = scim_store::open(&url).await.unwrap();
    store.create_tenant("acme", "Acme").await.unwrap();
}

/// Readers keep snapshots between reads; they must not keep SQLite from
/// starting the WAL over: under a steady mix of writes and reads the WAL
/// file stays near the checkpoint threshold (about 4 MB) instead of growing
/// with every write.
#[tokio::test]
async fn the_wal_stays_bounded_while_readers_hold_snapshots() {
    let (store, tenant, db) = file().await;
    let mut doc = user_doc("x");
    doc["displayName"] = json!("a display name long enough to fill pages ".repeat(20));
    for i in 0..3000 {
        doc["userName"] = json!(format!("user{i}"));
        let user = create(&store, tenant.id, ResourceKind::User, doc.clone()).await;
        assert!(store.get_resource(tenant.id, ResourceKind::User, user.id).await.unwrap().is_some());
    }
    let mut wal = db.0.clone().into_os_string();
    wal.push("-wal");
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(size < 16 * 1024 * 1024, "the WAL grew to {size} bytes");
}

/// Another process holding the write lock past the busy timeout makes a
/// write fail as `Busy` (the server's 503, worth a retry), not as an
/// internal error, and it leaves nothing behind; reads go on meanwhile.
#[tokio::test]
async fn a_write_blocked_by_another_process_is_busy() {
    let (store, tenant, db) = file().await;
    let before = create(&store, tenant.id, ResourceKind::User, user_doc("before")).await;
    let other = rusqlite::Connection::open(&db.0).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let write = CreateResource {
        tenant: tenant.id,
        kind: ResourceKind::User,
        doc: user_doc("blocked"),
        members: vec![],
        password_hash: None,
        audit: ctx("POST"),
    };
    let err = store.create_resource(write).await.unwrap_err();
    assert!(matches!(err, StoreError::Busy(_)), "{err:?}");
    assert!(store.get_resource(tenant.id, ResourceKind::User, before.id).await.unwrap().is_some());
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(names(&store, tenant.id, "userName pr").await, vec!["before".to_owned()]);
}

/// Two stores on one file (the server and the CLI, each with its own write
/// connection and writer thread) writing one tenant's events at once: the
/// database's write lock orders them, so the tenant's sequence stays
/// gapless and agrees with the global positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_on_one_file_keep_the_sequences() {
    let (first, tenant, db) = file().await;
    let second = scim_store::open(&db.url()).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = Arc::clone(if i % 2 == 0 { &first } else { &second });
        tasks.push(tokio::spawn(async move {
            let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("u{i}")});
            let write = CreateResource {
                tenant: tenant.id,
                kind: ResourceKind::User,
                doc,
                password_hash: None,
                members: vec![],
                audit: ctx("POST"),
            };
            store.create_resource(write).await.map(|r| r.id)
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        created.push(task.await.unwrap().unwrap());
    }
    let events = first.list_events(tenant.id, 0, 1000).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=60).collect::<Vec<_>>());
    assert!(events.windows(2).all(|w| w[0].position < w[1].position), "positions follow the sequence");
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.resource_id).collect();
    ids.sort();
    created.sort();
    assert_eq!(ids, created, "one event per acknowledged write");
}
