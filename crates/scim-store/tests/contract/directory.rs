//! The host application's view of its resources (the admin API's users
//! and groups): lists and reads that include soft-deleted resources with
//! the time of their deletion, through the same list machinery (filters,
//! keyset) as SCIM; and a group's members paged by a keyset on the member
//! id, which neither skips nor repeats a member when the group changes
//! between pages.

use std::collections::HashSet;
use std::sync::Arc;

use scim_core::patch::MemberChange;
use scim_core::schema::SchemaRegistry;
use scim_store::{After, DeletePolicy, DeleteResource, ResourceKind, Store, UpdateResource, Visibility};
use uuid::Uuid;

use crate::{Backend, contract, create, create_with, ctx, group_doc, member, query, user_doc};

async fn delete(store: &Arc<dyn Store>, tenant: Uuid, id: Uuid, policy: DeletePolicy) {
    let d =
        DeleteResource { tenant, kind: ResourceKind::User, id, expected_version: None, policy, audit: ctx("DELETE") };
    store.delete_resource(d).await.unwrap();
}

async fn soft_deleted_resources_are_listed_and_read_with_their_deleted_time(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let schemas = Arc::new(SchemaRegistry::standard());
    let users: Vec<_> = {
        let mut v = Vec::new();
        for n in ["ann", "bob", "cat", "dan"] {
            v.push(create(&store, tenant.id, ResourceKind::User, user_doc(n)).await);
        }
        v
    };
    delete(&store, tenant.id, users[1].id, DeletePolicy::Soft).await;
    delete(&store, tenant.id, users[2].id, DeletePolicy::Hard).await;
    // The soft-deleted userName is free again for SCIM.
    let again = create(&store, tenant.id, ResourceKind::User, user_doc("bob")).await;

    let live = store.list_resources(tenant.id, ResourceKind::User, &query(&schemas, None, 100)).await.unwrap();
    assert_eq!(live.resources.len(), 3);
    let all = store
        .list_resources_seen(tenant.id, ResourceKind::User, Visibility::WithDeleted, &query(&schemas, None, 100))
        .await
        .unwrap();
    let ids: Vec<Uuid> = all.resources.iter().map(|r| r.id).collect();
    assert_eq!(ids, [users[0].id, users[1].id, users[3].id, again.id], "default order, hard-deleted gone");
    let deleted: Vec<bool> = all.resources.iter().map(|r| r.deleted.is_some()).collect();
    assert_eq!(deleted, [false, true, false, false]);
    assert!(live.resources.iter().all(|r| r.deleted.is_none()));

    // Filters (SQL and evaluator) and the keyset, as for SCIM lists.
    let filter = scim_core::filter::parse_filter(r#"userName eq "bob""#).unwrap();
    let bobs = store
        .list_resources_seen(
            tenant.id,
            ResourceKind::User,
            Visibility::WithDeleted,
            &query(&schemas, Some(&filter), 100),
        )
        .await
        .unwrap();
    assert_eq!(bobs.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [users[1].id, again.id]);
    let filter = scim_core::filter::parse_filter(r#"title pr or userName ew "b""#).unwrap();
    let evaluated = store
        .list_resources_seen(
            tenant.id,
            ResourceKind::User,
            Visibility::WithDeleted,
            &query(&schemas, Some(&filter), 100),
        )
        .await
        .unwrap();
    assert_eq!(evaluated.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [users[1].id, again.id]);
    let mut q = query(&schemas, None, 2);
    let first = store.list_resources_seen(tenant.id, ResourceKind::User, Visibility::WithDeleted, &q).await.unwrap();
    assert!(first.more);
    q.after = first.resources.last().map(After::of);
    let second = store.list_resources_seen(tenant.id, ResourceKind::User, Visibility::WithDeleted, &q).await.unwrap();
    assert_eq!(second.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [users[3].id, again.id]);
    assert!(!second.more);

    // Only the soft-deleted ones (filtered too), or only the live ones.
    let gone = store
        .list_resources_seen(tenant.id, ResourceKind::User, Visibility::OnlyDeleted, &query(&schemas, None, 100))
        .await
        .unwrap();
    assert_eq!(gone.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [users[1].id]);
    let filter = scim_core::filter::parse_filter(r#"userName eq "bob""#).unwrap();
    let gone_bobs = store
        .list_resources_seen(
            tenant.id,
            ResourceKind::User,
            Visibility::OnlyDeleted,
            &query(&schemas, Some(&filter), 100),
        )
        .await
        .unwrap();
    assert_eq!(gone_bobs.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [users[1].id]);
    let live_bobs = store
        .list_resources_seen(tenant.id, ResourceKind::User, Visibility::Live, &query(&schemas, Some(&filter), 100))
        .await
        .unwrap();
    assert_eq!(live_bobs.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [again.id]);

    // Read by id: live and soft-deleted; hard-deleted and other kinds not.
    let read = |id| {
        let store = store.clone();
        async move { store.get_resource_with_deleted(tenant.id, ResourceKind::User, id).await.unwrap() }
    };
    assert!(read(users[0].id).await.is_some_and(|r| r.deleted.is_none()));
    let soft = read(users[1].id).await.unwrap();
    assert!(soft.deleted.is_some());
    assert_eq!(soft.doc["userName"], "bob");
    assert!(read(users[2].id).await.is_none());
    assert!(
        store.get_resource(tenant.id, ResourceKind::User, users[1].id).await.unwrap().is_none(),
        "SCIM still hides it"
    );
    assert!(store.get_resource_with_deleted(tenant.id, ResourceKind::Group, users[0].id).await.unwrap().is_none());
    let other = store.create_tenant("other", "Other").await.unwrap();
    assert!(store.get_resource_with_deleted(other.id, ResourceKind::User, users[0].id).await.unwrap().is_none());
}

/// Pages of a few hundred members, seven at a time, give each member
/// exactly once in id order; members removed behind the position and added
/// during the walk shift nothing (an offset would skip one).
async fn members_page_by_a_keyset_on_the_member_id(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let mut ids = Vec::new();
    for i in 0..300 {
        ids.push(create(&store, tenant.id, ResourceKind::User, user_doc(&format!("m{i}"))).await.id);
    }
    let group =
        create_with(&store, tenant.id, ResourceKind::Group, group_doc("big"), ids.iter().map(|i| member(*i)).collect())
            .await;
    let empty = create(&store, tenant.id, ResourceKind::Group, group_doc("empty")).await;
    assert!(store.list_members(tenant.id, empty.id, None, 10).await.unwrap().is_empty());

    let mut seen: Vec<Uuid> = Vec::new();
    let mut after = None;
    let mut pages = 0;
    let mut late = None;
    loop {
        let page = store.list_members(tenant.id, group.id, after, 7).await.unwrap();
        assert!(page.len() <= 7);
        pages += 1;
        if pages == 3 {
            // Between pages: a member already seen leaves, a new one joins.
            let joined = create(&store, tenant.id, ResourceKind::User, user_doc("late")).await.id;
            let change = UpdateResource {
                tenant: tenant.id,
                kind: ResourceKind::Group,
                id: group.id,
                expected_version: None,
                doc: None,
                password_hash: None,
                member_changes: vec![
                    MemberChange::Remove(vec![seen[0].to_string()]),
                    MemberChange::Add(vec![member(joined)]),
                ],
                audit: ctx("PATCH"),
            };
            store.update_resource(change).await.unwrap();
            late = Some(joined);
        }
        let Some(last) = page.last() else { break };
        after = Some(last.value);
        assert!(page.iter().all(|m| m.kind == ResourceKind::User && m.display.is_some()), "{page:?}");
        seen.extend(page.iter().map(|m| m.value));
    }
    let mut expected = ids.clone();
    expected.extend(late);
    expected.sort();
    assert_eq!(seen, expected, "every member once, in id order, the late one too");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
}

contract! {
    tokio: [
        soft_deleted_resources_are_listed_and_read_with_their_deleted_time,
        members_page_by_a_keyset_on_the_member_id,
    ],
}
