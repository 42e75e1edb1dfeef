//! The write path: concurrent writes share transactions (group commit) yet
//! each stays all-or-nothing; updates keep every derived column right.

use std::sync::Arc;

use scim_core::filter::parse_filter;
use scim_core::schema::SchemaRegistry;
use scim_store::{CreateResource, ListQuery, ResourceKind, Store, StoreError, UpdateResource};
use serde_json::json;
use uuid::Uuid;

use crate::{create, ctx, file, user_doc};

/// 60 creates at once, 20 userNames three times each: exactly one of each
/// name wins, the losers leave no row, no audit entry and no event, and
/// the winners' writes are all there (whichever batch they shared).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_fail_alone() {
    let (store, tenant, _db) = file().await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                             "userName": format!("user{}", i % 20)});
            let write = CreateResource {
                tenant: tenant.id,
                kind: ResourceKind::User,
                doc,
                password_hash: None,
                members: vec![],
                audit: ctx("POST"),
            };
            store.create_resource(write).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::Uniqueness(msg)) => assert!(msg.contains("user"), "{msg}"),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(won, 20);
    let schemas = std::sync::Arc::new(SchemaRegistry::standard());
    let q = ListQuery {
        after: None,
        with_groups: false,
        filter: None,
        sort_by: None,
        sort_order: Default::default(),
        start_index: 1,
        count: 0,
        schemas: &schemas,
    };
    assert_eq!(store.list_resources(tenant.id, ResourceKind::User, &q).await.unwrap().total, 20);
    let events = store.list_events(tenant.id, 0, 1000).await.unwrap();
    assert_eq!(events.len(), 20);
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>(), "event sequence numbers stay gapless");
    assert_eq!(store.list_audit(tenant.id, 1000).await.unwrap().len(), 20);
}

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

/// An update writes only the derived columns that changed; whichever
/// changed, every indexed filter answers from the new document.
#[tokio::test]
async fn updates_keep_derived_columns_in_step() {
    let (store, tenant, _db) = file().await;
    let mut doc = user_doc("ann");
    doc["displayName"] = json!("Ann");
    doc["emails"] = json!([{"value": "ann@example.com", "primary": true}]);
    let user = create(&store, tenant.id, ResourceKind::User, doc.clone()).await;
    let update = |version: i64, doc: serde_json::Value| UpdateResource {
        tenant: tenant.id,
        kind: ResourceKind::User,
        id: user.id,
        expected_version: Some(version),
        doc: Some(doc),
        password_hash: None,
        member_changes: vec![],
        audit: ctx("PATCH"),
    };

    doc["displayName"] = json!("Ann B");
    let v2 = store.update_resource(update(1, doc.clone())).await.unwrap();
    assert_eq!(names(&store, tenant.id, r#"displayName eq "ann b""#).await, ["ann"]);
    assert!(names(&store, tenant.id, r#"displayName eq "Ann""#).await.is_empty());
    assert_eq!(names(&store, tenant.id, r#"userName eq "ANN""#).await, ["ann"]);
    assert_eq!(names(&store, tenant.id, r#"emails.value eq "ann@example.com""#).await, ["ann"]);

    doc["userName"] = json!("anne");
    doc["emails"] = json!([{"value": "anne@example.org"}]);
    doc["externalId"] = json!("X-1");
    store.update_resource(update(v2.version, doc)).await.unwrap();
    assert!(names(&store, tenant.id, r#"userName eq "ann""#).await.is_empty());
    assert_eq!(names(&store, tenant.id, r#"userName eq "anne""#).await, ["anne"]);
    assert_eq!(names(&store, tenant.id, r#"emails.value eq "anne@example.org""#).await, ["anne"]);
    assert!(names(&store, tenant.id, r#"emails.value eq "ann@example.com""#).await.is_empty());
    assert_eq!(names(&store, tenant.id, r#"externalId eq "X-1""#).await, ["anne"]);
    assert_eq!(names(&store, tenant.id, r#"displayName eq "Ann B""#).await, ["anne"]);
    // The old name is free again: the unique index was updated too.
    create(&store, tenant.id, ResourceKind::User, user_doc("ann")).await;
}

/// A second process on the same file (the CLI beside a running server):
/// tokens and tenants it creates are seen at once, resources within the
/// readers' snapshot age (a second), and the server's own writes at once.
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
    let started = std::time::Instant::now();
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
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "gave up before the busy timeout");
    assert!(store.get_resource(tenant.id, ResourceKind::User, before.id).await.unwrap().is_some());
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(names(&store, tenant.id, "userName pr").await, vec!["before".to_owned()]);
}
