//! What only the SQLite file shows: data that survive reopening it, and the
//! live counts its triggers keep (migration 0003), checked against the
//! rows themselves. The behaviour every backend shares is in the contract
//! suite (`tests/contract/`).

use scim_store::{DeletePolicy, DeleteResource, ResourceKind, UpdateResource};
use serde_json::json;
use uuid::Uuid;

use crate::{churn, create, ctx, file, user_doc};

fn update(tenant: Uuid, id: Uuid, version: i64, doc: serde_json::Value) -> UpdateResource {
    UpdateResource {
        tenant,
        kind: ResourceKind::User,
        id,
        expected_version: Some(version),
        doc: Some(doc),
        password_hash: None,
        member_changes: vec![],
        audit: ctx("PUT"),
    }
}

fn delete(tenant: Uuid, id: Uuid, policy: DeletePolicy) -> DeleteResource {
    DeleteResource { tenant, kind: ResourceKind::User, id, expected_version: None, policy, audit: ctx("DELETE") }
}

#[tokio::test]
async fn the_data_survive_reopening_the_file() {
    let (store, tenant, db) = file().await;
    let created = create(&store, tenant.id, ResourceKind::User, user_doc("bjensen")).await;
    let mut doc = user_doc("bjensen");
    doc["title"] = json!("Tour Guide");
    let updated = store.update_resource(update(tenant.id, created.id, 1, doc)).await.unwrap();
    drop(store);
    let store = scim_store::open(&db.url()).await.unwrap();
    let got = store.get_resource(tenant.id, ResourceKind::User, created.id).await.unwrap().unwrap();
    assert_eq!(got, updated);
    assert_eq!(store.tenant_by_id(tenant.id).await.unwrap(), Some(tenant));
}

/// Every (tenant, kind, kept count, real count), read beside the store.
fn counts(db: &crate::TempDb) -> Vec<(Vec<u8>, String, i64, i64)> {
    let c = rusqlite::Connection::open(&db.0).unwrap();
    let mut stmt = c
        .prepare(
            "SELECT k.tenant, k.kind, k.live, (SELECT COUNT(*) FROM resources r \
             WHERE r.tenant = k.tenant AND r.kind = k.kind AND r.deleted_at IS NULL) \
             FROM resource_counts k ORDER BY k.tenant, k.kind",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}

#[tokio::test]
async fn live_counts_follow_creates_soft_and_hard_deletes_and_a_failed_write() {
    let (store, acme, db) = file().await;
    churn(&store, acme.id).await;
    let got = counts(&db);
    assert_eq!(got.len(), 3, "{got:?}");
    for (_, kind, kept, real) in &got {
        assert_eq!(kept, real, "{kind}: {got:?}");
    }
    let mut kept: Vec<i64> = got.iter().map(|g| g.2).collect();
    kept.sort_unstable();
    assert_eq!(kept, vec![1, 1, 5], "acme: 5 users, 1 group; other: 1 user");
}

#[tokio::test]
async fn migration_0003_counts_what_an_older_database_holds() {
    let (store, tenant, db) = file().await;
    for n in 0..4 {
        create(&store, tenant.id, ResourceKind::User, user_doc(&format!("u{n}"))).await;
    }
    let u = create(&store, tenant.id, ResourceKind::User, user_doc("gone")).await;
    store.delete_resource(delete(tenant.id, u.id, DeletePolicy::Soft)).await.unwrap();
    drop(store);
    // Back to schema version 2, as a build before the counts left it.
    crate::files::back_to_schema_3(&db);
    let c = rusqlite::Connection::open(&db.0).unwrap();
    c.execute_batch(
        "DROP TRIGGER resource_counts_insert; DROP TRIGGER resource_counts_delete; \
         DROP TRIGGER resource_counts_soft_delete; DROP TABLE resource_counts; PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(c);
    let store = scim_store::open(&db.url()).await.unwrap();
    create(&store, tenant.id, ResourceKind::User, user_doc("after")).await;
    let got = counts(&db);
    assert_eq!(got.iter().map(|g| (g.2, g.3)).collect::<Vec<_>>(), vec![(5, 5)], "{got:?}");
}

/// A tenant's claimed domains go with it (`ON DELETE CASCADE`): deleting a
/// tenant is never blocked by them. No store call deletes a tenant yet, so
/// the row is deleted beside the store.
#[tokio::test]
async fn domains_go_with_their_tenant() {
    let (store, tenant, db) = file().await;
    let new = scim_store::NewDomain {
        tenant: tenant.id,
        domain: "example.com".into(),
        include_subdomains: false,
        txt_value: "v".into(),
    };
    store.add_domain(new).await.unwrap();
    let c = rusqlite::Connection::open(&db.0).unwrap();
    c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;").unwrap();
    c.execute("DELETE FROM tenants WHERE id = ?", [tenant.id]).unwrap();
    drop(c);
    assert!(store.domains_named(&["example.com".into()]).await.unwrap().is_empty());
}
