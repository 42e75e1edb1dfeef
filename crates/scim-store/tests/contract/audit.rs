//! The audit entry each change writes in its own transaction (DESIGN §3):
//! who asked, what it was about, the outcome and what changed; never a
//! password; each tenant's log its own.

use scim_core::patch::MemberChange;
use scim_store::{DeletePolicy, DeleteResource, ResourceKind, UpdateResource};
use serde_json::json;

use crate::{Backend, contract, create, create_with, ctx, group_doc, member, user_doc};

async fn each_change_records_its_context_and_what_changed(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    let user = create(&store, tenant.id, ResourceKind::User, user_doc("ann")).await;
    let group = create_with(&store, tenant.id, ResourceKind::Group, group_doc("team"), vec![member(user.id)]).await;
    let mut context = ctx("PATCH");
    context.path = format!("/scim/v2/acme/Groups/{}", group.id);
    let renamed = store
        .update_resource(UpdateResource {
            tenant: tenant.id,
            kind: ResourceKind::Group,
            id: group.id,
            expected_version: Some(group.version),
            doc: Some(group_doc("Team")),
            password_hash: None,
            member_changes: vec![MemberChange::RemoveAll],
            audit: context.clone(),
        })
        .await
        .unwrap();
    assert_eq!(renamed.version, group.version + 1);
    store
        .delete_resource(DeleteResource {
            tenant: tenant.id,
            kind: ResourceKind::User,
            id: user.id,
            expected_version: None,
            policy: DeletePolicy::Hard,
            audit: ctx("DELETE"),
        })
        .await
        .unwrap();

    let log = store.list_audit(tenant.id, 100).await.unwrap();
    let statuses: Vec<u16> = log.iter().map(|r| r.entry.status).collect();
    assert_eq!(statuses, [204, 200, 201, 201], "newest first");
    assert!(log.windows(2).all(|w| w[0].at >= w[1].at && w[0].id > w[1].id));
    let (deleted, patched, group_created, user_created) = (&log[0].entry, &log[1].entry, &log[2].entry, &log[3].entry);
    assert_eq!(deleted.detail, json!({"policy": "hard", "removedFromGroups": []}));
    assert_eq!((deleted.resource_kind, deleted.resource_id), (Some(ResourceKind::User), Some(user.id)));
    assert_eq!(patched.context, context);
    assert_eq!(patched.detail["before"], json!({"displayName": "team"}));
    assert_eq!(patched.detail["after"], json!({"displayName": "Team"}));
    assert_eq!(patched.detail["members"]["removed"], json!([user.id.to_string()]));
    assert_eq!(patched.detail["members"]["removedCount"], 1);
    assert_eq!(group_created.detail["members"]["added"], json!([user.id.to_string()]));
    assert_eq!(user_created.tenant, Some(tenant.id));
    assert_eq!(user_created.context, ctx("POST"));
    assert!(store.list_audit(other.id, 100).await.unwrap().is_empty(), "another tenant's log is its own");
}

/// A password set on a user shows as `passwordChanged`; neither the
/// password hash nor the password is in the entry.
async fn passwords_never_reach_the_log(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let user = create(&store, tenant.id, ResourceKind::User, user_doc("pat")).await;
    let mut doc = user_doc("pat");
    doc["password"] = json!("plain-text-should-never-be-stored");
    store
        .update_resource(UpdateResource {
            tenant: tenant.id,
            kind: ResourceKind::User,
            id: user.id,
            expected_version: Some(1),
            doc: Some(doc),
            password_hash: Some("$argon2id$v=19$secret-hash".into()),
            member_changes: vec![],
            audit: ctx("PUT"),
        })
        .await
        .unwrap();
    let log = store.list_audit(tenant.id, 1).await.unwrap();
    let text = log[0].entry.detail.to_string();
    assert_eq!(log[0].entry.detail["passwordChanged"], true);
    assert!(!text.contains("plain-text") && !text.contains("argon2"), "{text}");
}

/// Retention: the oldest entries before a time go, in batches, newer ones
/// and other tenants' newer ones stay.
async fn old_entries_are_pruned_in_batches(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    for i in 0..5 {
        create(&store, tenant.id, ResourceKind::User, user_doc(&format!("u{i}"))).await;
    }
    let cut = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(5);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    create(&store, tenant.id, ResourceKind::User, user_doc("kept")).await;
    assert_eq!(store.prune_audit(cut, 2).await.unwrap(), 2, "a batch of at most 2");
    assert_eq!(store.prune_audit(cut, 100).await.unwrap(), 3);
    assert_eq!(store.prune_audit(cut, 100).await.unwrap(), 0, "nothing older left");
    let left = store.list_audit(tenant.id, 100).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].entry.detail["after"]["userName"], "kept");
}

contract! {
    tokio: [
        each_change_records_its_context_and_what_changed,
        passwords_never_reach_the_log,
        old_entries_are_pruned_in_batches,
    ],
}
