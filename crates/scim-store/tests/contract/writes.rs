//! The write path: concurrent writes share transactions (group commit) yet
//! each stays all-or-nothing; updates keep every derived column right.

use std::sync::Arc;

use scim_core::schema::SchemaRegistry;
use scim_store::{CreateResource, ListQuery, ResourceKind, StoreError, UpdateResource};
use serde_json::json;

use crate::{Backend, contract, create, ctx, names, user_doc};

/// 60 creates at once, 20 userNames three times each: exactly one of each
/// name wins, the losers leave no row, no audit entry and no event, and
/// the winners' writes are all there (whichever batch they shared).
async fn concurrent_writes_fail_alone(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
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

/// An update writes only the derived columns that changed; whichever
/// changed, every indexed filter answers from the new document.
async fn updates_keep_derived_columns_in_step(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
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

contract! {
    tokio: [updates_keep_derived_columns_in_step],
    threaded: [concurrent_writes_fail_alone],
}
