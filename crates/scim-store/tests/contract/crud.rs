//! Create, read, update, delete: versions, uniqueness, audit and events.

use scim_store::{
    CreateResource, DeletePolicy, DeleteResource, ResourceKind, StoreError, TenantSettings, UpdateResource,
};
use serde_json::json;
use uuid::Uuid;

use scim_core::schema::SchemaRegistry;

use crate::{Backend, churn, contract, create, ctx, group_doc, query, user_doc};

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

async fn create_get_update_round_trip(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let created = create(&store, tenant.id, ResourceKind::User, user_doc("bjensen")).await;
    assert_eq!(created.version, 1);
    assert_eq!(created.created, created.last_modified);
    let got = store.get_resource(tenant.id, ResourceKind::User, created.id).await.unwrap().unwrap();
    assert_eq!(got, created);
    assert!(store.get_resource(tenant.id, ResourceKind::Group, created.id).await.unwrap().is_none(), "wrong kind");
    let other = store.create_tenant("other", "Other").await.unwrap();
    assert!(store.get_resource(other.id, ResourceKind::User, created.id).await.unwrap().is_none(), "other tenant");

    let mut doc = user_doc("bjensen");
    doc["title"] = json!("Tour Guide");
    let updated = store.update_resource(update(tenant.id, created.id, 1, doc.clone())).await.unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.doc, doc);
    assert!(updated.last_modified >= created.last_modified);
    assert_eq!(updated.created, created.created);
    let got = store.get_resource(tenant.id, ResourceKind::User, created.id).await.unwrap().unwrap();
    assert_eq!(got, updated);
}

async fn user_name_is_unique_case_insensitively_and_refusal_writes_nothing(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let first = create(&store, tenant.id, ResourceKind::User, user_doc("BJensen@example.com")).await;
    let audit_before = store.list_audit(tenant.id, 100).await.unwrap().len();
    let events_before = store.list_events(tenant.id, 0, 100).await.unwrap().len();
    let err = store
        .create_resource(CreateResource {
            tenant: tenant.id,
            kind: ResourceKind::User,
            doc: user_doc("bjensen@EXAMPLE.com"),
            password_hash: None,
            members: vec![],
            audit: ctx("POST"),
        })
        .await
        .unwrap_err();
    match err {
        StoreError::Uniqueness(msg) => assert_eq!(msg, "userName \"bjensen@EXAMPLE.com\" is already taken"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.list_audit(tenant.id, 100).await.unwrap().len(), audit_before);
    assert_eq!(store.list_events(tenant.id, 0, 100).await.unwrap().len(), events_before);

    // Renaming another user onto it is refused too, and changes nothing.
    let second = create(&store, tenant.id, ResourceKind::User, user_doc("other")).await;
    let err = store.update_resource(update(tenant.id, second.id, 1, user_doc("BJENSEN@example.com"))).await;
    assert!(matches!(err, Err(StoreError::Uniqueness(_))), "{err:?}");
    let got = store.get_resource(tenant.id, ResourceKind::User, second.id).await.unwrap().unwrap();
    assert_eq!(got.version, 1);

    // Another tenant may use the name; a Group's displayName is not a userName.
    let other = store.create_tenant("other", "Other").await.unwrap();
    create(&store, other.id, ResourceKind::User, user_doc("bjensen@example.com")).await;
    assert_eq!(first.version, 1);
}

async fn group_names_are_unique_per_tenant_where_the_rule_is_on(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let rename = |id: Uuid, name: &str| {
        let mut w = update(tenant.id, id, 0, group_doc(name));
        (w.kind, w.expected_version) = (ResourceKind::Group, None);
        w
    };
    let try_create = |name: &str| {
        store.create_resource(CreateResource {
            tenant: tenant.id,
            kind: ResourceKind::Group,
            doc: group_doc(name),
            password_hash: None,
            members: vec![],
            audit: ctx("POST"),
        })
    };
    let eng = create(&store, tenant.id, ResourceKind::Group, group_doc("Engineering")).await;
    let events_before = store.list_events(tenant.id, 0, 100).await.unwrap().len();
    match try_create("ENGINEERING").await {
        Err(StoreError::Uniqueness(msg)) => {
            assert_eq!(msg, format!("displayName \"ENGINEERING\" is already taken by group {}", eng.id));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.list_events(tenant.id, 0, 100).await.unwrap().len(), events_before, "nothing written");
    // Renaming another group onto the name is refused; the holder may
    // change the case of its own name.
    let ops = create(&store, tenant.id, ResourceKind::Group, group_doc("Ops")).await;
    assert!(matches!(store.update_resource(rename(ops.id, "engineering")).await, Err(StoreError::Uniqueness(_))));
    store.update_resource(rename(eng.id, "ENGINEERING")).await.unwrap();
    // Another tenant, a user's displayName: not the same name space.
    let other = store.create_tenant("other", "Other").await.unwrap();
    create(&store, other.id, ResourceKind::Group, group_doc("Engineering")).await;
    create(&store, tenant.id, ResourceKind::User, json!({"userName": "u", "displayName": "Engineering"})).await;
    // A deleted group frees its name.
    let d = DeleteResource {
        tenant: tenant.id,
        kind: ResourceKind::Group,
        id: eng.id,
        expected_version: None,
        policy: DeletePolicy::Soft,
        audit: ctx("DELETE"),
    };
    store.delete_resource(d).await.unwrap();
    let again = try_create("Engineering").await.unwrap();

    // With the rule off, names may repeat; turned on again, the groups that
    // share a name keep working, and no new group may take it.
    let set = |unique: bool| {
        let store = store.clone();
        async move {
            let t = store.tenant_by_id(tenant.id).await.unwrap().unwrap();
            let settings = TenantSettings { unique_group_names: unique, ..t.settings };
            store.update_tenant_settings(tenant.id, t.settings_version, &settings).await.unwrap();
        }
    };
    set(false).await;
    let twin = try_create("engineering").await.unwrap();
    set(true).await;
    let mut touch = rename(twin.id, "engineering");
    touch.doc = Some(
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "engineering", "externalId": "x"}),
    );
    store.update_resource(touch).await.unwrap();
    store.update_resource(rename(again.id, "Engineering")).await.unwrap();
    match try_create("Engineering").await {
        Err(StoreError::Uniqueness(msg)) => assert!(msg.ends_with(&again.id.to_string()), "the oldest holder: {msg}"),
        other => panic!("{other:?}"),
    }
    let shared = store.shared_group_names(10).await.unwrap();
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!((shared[0].tenant, shared[0].name.as_str(), shared[0].groups), (tenant.id, "engineering", 2));
    // Leaving the name and coming back is a new name: refused.
    store.update_resource(rename(twin.id, "Platform")).await.unwrap();
    assert!(matches!(store.update_resource(rename(twin.id, "engineering")).await, Err(StoreError::Uniqueness(_))));
    assert!(store.shared_group_names(10).await.unwrap().is_empty());
}

async fn soft_delete_hides_and_frees_the_user_name_hard_delete_erases(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let u = create(&store, tenant.id, ResourceKind::User, user_doc("alice")).await;
    store.delete_resource(delete(tenant.id, u.id, DeletePolicy::Soft)).await.unwrap();
    assert!(store.get_resource(tenant.id, ResourceKind::User, u.id).await.unwrap().is_none());
    let err = store.delete_resource(delete(tenant.id, u.id, DeletePolicy::Soft)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound));
    let again = create(&store, tenant.id, ResourceKind::User, user_doc("ALICE")).await;
    assert_ne!(again.id, u.id);
    let err = store.update_resource(update(tenant.id, u.id, 2, user_doc("x"))).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "a deleted user cannot be updated");

    store.delete_resource(delete(tenant.id, again.id, DeletePolicy::Hard)).await.unwrap();
    assert!(store.get_resource(tenant.id, ResourceKind::User, again.id).await.unwrap().is_none());
    let events = store.list_events(tenant.id, 0, 100).await.unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["user.created", "user.deleted", "user.created", "user.deleted"]);
    // The deleted event carries the last state.
    assert_eq!(events[1].data["resource"]["userName"], json!("alice"));
    assert_eq!(events[1].data["resource"]["id"], json!(u.id.to_string()));
}

async fn versions_are_checked_on_update_and_delete(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let u = create(&store, tenant.id, ResourceKind::User, user_doc("carol")).await;
    let err = store.update_resource(update(tenant.id, u.id, 7, user_doc("carol2"))).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { current: 1 }), "{err:?}");
    let mut d = delete(tenant.id, u.id, DeletePolicy::Soft);
    d.expected_version = Some(3);
    assert!(matches!(store.delete_resource(d).await, Err(StoreError::VersionMismatch { current: 1 })));
    let mut d = delete(tenant.id, u.id, DeletePolicy::Soft);
    d.expected_version = Some(1);
    store.delete_resource(d).await.unwrap();
}

async fn unchanged_document_keeps_the_version_and_writes_nothing(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let u = create(&store, tenant.id, ResourceKind::User, user_doc("dave")).await;
    let same = store.update_resource(update(tenant.id, u.id, 1, user_doc("dave"))).await.unwrap();
    assert_eq!(same, u);
    assert_eq!(store.list_events(tenant.id, 0, 100).await.unwrap().len(), 1);
    assert_eq!(store.list_audit(tenant.id, 100).await.unwrap().len(), 1);
}

async fn each_change_writes_its_audit_diff_and_event_in_order(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let mut doc = user_doc("erin");
    doc["active"] = json!(true);
    let u = create(&store, tenant.id, ResourceKind::User, doc.clone()).await;
    doc["active"] = json!(false);
    let mut w = update(tenant.id, u.id, 1, doc.clone());
    w.password_hash = Some("$argon2id$hash".into());
    let u2 = store.update_resource(w).await.unwrap();
    assert_eq!(u2.version, 2);
    doc["active"] = json!(true);
    store.update_resource(update(tenant.id, u.id, 2, doc.clone())).await.unwrap();
    doc["title"] = json!("Boss");
    store.update_resource(update(tenant.id, u.id, 3, doc.clone())).await.unwrap();

    let events = store.list_events(tenant.id, 0, 100).await.unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["user.created", "user.deactivated", "user.reactivated", "user.updated"]);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(events.iter().all(|e| e.resource_id == u.id && e.tenant == tenant.id));
    assert_eq!(events[3].data["resource"]["title"], json!("Boss"));
    assert_eq!(events[3].data["resource"]["meta"]["version"], json!("W/\"4\""));
    let after2 = store.list_events(tenant.id, 2, 100).await.unwrap();
    assert_eq!(after2.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(store.list_events(tenant.id, 0, 2).await.unwrap().len(), 2);

    let audit = store.list_audit(tenant.id, 100).await.unwrap();
    assert_eq!(audit.len(), 4);
    assert_eq!(audit[0].entry.detail, json!({"before": {}, "after": {"title": "Boss"}}));
    assert_eq!(audit[0].entry.status, 200);
    assert_eq!(audit[0].entry.resource_id, Some(u.id));
    assert_eq!(audit[2].entry.detail["passwordChanged"], json!(true));
    assert_eq!(audit[2].entry.detail["before"], json!({"active": true}));
    assert!(!audit[2].entry.detail.to_string().contains("argon2"), "no password hash in the audit");
    assert_eq!(audit[3].entry.status, 201);
    assert_eq!(audit[3].entry.detail["after"]["userName"], json!("erin"));
}

async fn a_password_only_change_bumps_the_version(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let u = create(&store, tenant.id, ResourceKind::User, user_doc("frank")).await;
    let mut w = update(tenant.id, u.id, 1, user_doc("frank"));
    w.doc = None;
    w.password_hash = Some("h".into());
    let u2 = store.update_resource(w).await.unwrap();
    assert_eq!(u2.version, 2);
    assert_eq!(u2.doc, u.doc);
}

/// The unfiltered totals (which a backend may keep rather than count)
/// follow creates, soft and hard deletes and a refused write, per tenant and
/// kind; `count = 0` asks for the total alone.
async fn totals_follow_creates_deletes_and_a_failed_write(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = churn(&store, acme.id).await;
    let schemas = std::sync::Arc::new(SchemaRegistry::standard());
    let total = async |tenant: Uuid, kind: ResourceKind, count: u64| {
        store.list_resources(tenant, kind, &query(&schemas, None, count)).await.unwrap().total
    };
    for count in [0, 2, 100] {
        assert_eq!(total(acme.id, ResourceKind::User, count).await, 5, "count={count}");
        assert_eq!(total(acme.id, ResourceKind::Group, count).await, 1);
        assert_eq!(total(other.id, ResourceKind::User, count).await, 1);
        assert_eq!(total(other.id, ResourceKind::Group, count).await, 0);
    }
}

contract! {
    tokio: [
        create_get_update_round_trip,
        user_name_is_unique_case_insensitively_and_refusal_writes_nothing,
        group_names_are_unique_per_tenant_where_the_rule_is_on,
        soft_delete_hides_and_frees_the_user_name_hard_delete_erases,
        versions_are_checked_on_update_and_delete,
        unchanged_document_keeps_the_version_and_writes_nothing,
        each_change_writes_its_audit_diff_and_event_in_order,
        a_password_only_change_bumps_the_version,
        totals_follow_creates_deletes_and_a_failed_write,
    ],
}
