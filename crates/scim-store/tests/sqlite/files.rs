//! The database file itself: a schema from an earlier build migrated with
//! its data (0004: event order and settings versions; 0006: group name
//! keys), a missing file created only when asked, and readiness probed on
//! the file, not on what open connections hold.

use scim_store::{ResourceKind, TenantSettings};

use crate::{TempDb, create, file, group_doc, user_doc};

/// Undoes the migrations after 0004 (0012 setup links, 0011 webhooks,
/// 0009 domains, 0008 OAuth clients
/// and signing keys, 0007 admin tokens, 0006, 0005) on a closed database,
/// as a build before them left the file.
pub fn back_to_schema_5(db: &TempDb) {
    let c = rusqlite::Connection::open(&db.0).unwrap();
    c.execute_batch(
        "ALTER TABLE tokens DROP COLUMN last_user_agent; DROP TABLE setup_links; DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries; DROP TABLE webhook_endpoints; \
         ALTER TABLE events DROP COLUMN actor; \
         DROP TABLE domains; DROP TABLE oauth_clients; DROP TABLE signing_keys; \
         ALTER TABLE audit_log DROP COLUMN subject; \
         DROP TABLE admin_tokens; ALTER TABLE audit_log DROP COLUMN admin_token; ALTER TABLE tokens DROP COLUMN replaces; \
         DROP INDEX resources_group_name_live; ALTER TABLE resources DROP COLUMN group_name_key; \
         DROP TABLE server_settings; PRAGMA user_version = 4;",
    )
    .unwrap();
}

/// Undoes migrations 0008 to 0004 on a closed database, as a build before
/// them left the file (the events in their order, without positions or
/// counters).
pub fn back_to_schema_3(db: &TempDb) {
    back_to_schema_5(db);
    let c = rusqlite::Connection::open(&db.0).unwrap();
    c.execute_batch(
        "CREATE TABLE old_events (tenant BLOB NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL UNIQUE, \
           event_type TEXT NOT NULL, resource_id BLOB NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, \
           PRIMARY KEY (tenant, seq)); \
         INSERT INTO old_events SELECT tenant, seq, id, event_type, resource_id, at, data FROM events ORDER BY position; \
         DROP TABLE events; ALTER TABLE old_events RENAME TO events; \
         ALTER TABLE tenants DROP COLUMN settings_version; PRAGMA user_version = 3;",
    )
    .unwrap();
}

/// Groups that shared a name before migration 0006: the oldest holder of
/// each name gets the key, the others none, and every group keeps working;
/// a new group cannot take the name.
#[tokio::test]
async fn migration_0006_keys_the_oldest_holder_of_each_name() {
    let (store, acme, db) = file().await;
    let t = store.tenant_by_id(acme.id).await.unwrap().unwrap();
    let off = TenantSettings { unique_group_names: false, ..t.settings.clone() };
    store.update_tenant_settings(acme.id, t.settings_version, &off).await.unwrap();
    let first = create(&store, acme.id, ResourceKind::Group, group_doc("Sales")).await;
    let second = create(&store, acme.id, ResourceKind::Group, group_doc("SALES")).await;
    let solo = create(&store, acme.id, ResourceKind::Group, group_doc("Solo")).await;
    store.update_tenant_settings(acme.id, t.settings_version + 1, &t.settings).await.unwrap();
    drop(store);
    back_to_schema_5(&db);
    let store = scim_store::open(&db.url()).await.unwrap();
    let c = rusqlite::Connection::open(&db.0).unwrap();
    let key = |id: uuid::Uuid| -> Option<String> {
        c.query_row("SELECT group_name_key FROM resources WHERE id = ?", [id], |r| r.get(0)).unwrap()
    };
    assert_eq!(key(first.id).as_deref(), Some("sales"));
    assert_eq!(key(second.id), None);
    assert_eq!(key(solo.id).as_deref(), Some("solo"));
    let w = scim_store::CreateResource {
        tenant: acme.id,
        kind: ResourceKind::Group,
        doc: group_doc("sales"),
        password_hash: None,
        members: vec![],
        audit: crate::ctx("POST"),
    };
    assert!(matches!(store.create_resource(w).await, Err(scim_store::StoreError::Uniqueness(_))));
}

/// A database an earlier build left at schema version 3: migration 0004
/// keeps every event (its per-tenant numbers, and its order as global
/// positions), the numbers go on after each tenant's last event, and each
/// tenant has settings version 1.
#[tokio::test]
async fn migration_0004_keeps_event_order_and_counters() {
    let (store, acme, db) = file().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    for (i, tenant) in [acme.id, other.id, acme.id].into_iter().enumerate() {
        create(&store, tenant, ResourceKind::User, user_doc(&format!("u{i}"))).await;
    }
    let before = store.list_all_events(0, 100).await.unwrap();
    drop(store);
    back_to_schema_3(&db);
    let store = scim_store::open(&db.url()).await.unwrap();
    let after = store.list_all_events(0, 100).await.unwrap();
    let key = |e: &scim_store::EventRecord| (e.id, e.tenant, e.seq, e.event_type);
    assert_eq!(after.iter().map(key).collect::<Vec<_>>(), before.iter().map(key).collect::<Vec<_>>());
    assert!(after.windows(2).all(|w| w[0].position < w[1].position));
    // The numbers go on from the last event of each tenant.
    create(&store, acme.id, ResourceKind::User, user_doc("next")).await;
    let seqs: Vec<i64> = store.list_events(acme.id, 0, 100).await.unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let t = store.tenant_by_id(other.id).await.unwrap().unwrap();
    assert_eq!(t.settings_version, 1);
    store.update_tenant_settings(other.id, 1, &TenantSettings::default()).await.unwrap();
}

/// A store opened with `create: false` refuses a file that is not there,
/// naming it, and creates nothing; one that is there opens as usual.
#[tokio::test]
async fn a_missing_database_is_created_only_when_asked() {
    let db = TempDb::new();
    let no_create = scim_store::StoreOptions { create: false, ..Default::default() };
    match scim_store::open_with(&db.url(), no_create).await {
        Err(scim_store::StoreError::NoDatabase(path)) => assert_eq!(path, db.0.display().to_string()),
        other => panic!("expected NoDatabase, got {:?}", other.err()),
    }
    assert!(!db.0.exists());
    drop(scim_store::open(&db.url()).await.unwrap());
    scim_store::open_with(&db.url(), no_create).await.unwrap();
    let bare = scim_store::open_with("scimd.db", no_create).await.err().unwrap().to_string();
    assert!(bare.contains("sqlite://scimd.db"), "{bare}");
}

/// `ping` reads the file as it is now: moved away, the store is not ready,
/// whatever its open connections still hold; back in place, it is.
#[tokio::test]
async fn ping_probes_the_file_itself() {
    let (store, tenant, db) = file().await;
    store.ping().await.unwrap();
    let aside = db.0.with_extension("moved");
    std::fs::rename(&db.0, &aside).unwrap();
    assert!(store.ping().await.is_err(), "ready without its file");
    // A read that needs a new connection fails too, rather than read (or
    // create) an empty database in the file's place.
    let _ = store.tenant_by_id(tenant.id).await;
    assert!(!db.0.exists(), "a new database was created in the moved file's place");
    std::fs::rename(&aside, &db.0).unwrap();
    store.ping().await.unwrap();
}
