//! Group membership: changes, validation, events, derived display.

use scim_core::filter::parse_filter;
use scim_core::patch::MemberChange;
use scim_store::{DeletePolicy, DeleteResource, ResourceKind, StoreError, StoredResource, UpdateResource};
use serde_json::json;
use uuid::Uuid;

use crate::{Backend, contract, create, create_with, ctx, group_doc, member, member_named, user_doc};

fn change(tenant: Uuid, g: &StoredResource, changes: Vec<MemberChange>) -> UpdateResource {
    UpdateResource {
        tenant,
        kind: ResourceKind::Group,
        id: g.id,
        expected_version: Some(g.version),
        doc: None,
        password_hash: None,
        member_changes: changes,
        audit: ctx("PATCH"),
    }
}

async fn ids_of(store: &std::sync::Arc<dyn scim_store::Store>, tenant: Uuid, g: Uuid) -> Vec<Uuid> {
    let mut all = store.members_of(tenant, &[g]).await.unwrap();
    all.remove(&g).unwrap_or_default().into_iter().map(|m| m.value).collect()
}

async fn add_remove_replace_and_events(b: Backend) {
    let (store, t, _db) = b.fresh().await;
    let a = create(&store, t.id, ResourceKind::User, user_doc("a")).await;
    let b = create(&store, t.id, ResourceKind::User, user_doc("b")).await;
    let c = create(&store, t.id, ResourceKind::User, user_doc("c")).await;
    let g = create_with(&store, t.id, ResourceKind::Group, group_doc("G"), vec![member(a.id)]).await;
    assert_eq!(ids_of(&store, t.id, g.id).await, [a.id]);

    let g = store
        .update_resource(change(t.id, &g, vec![MemberChange::Add(vec![member(b.id), member(c.id)])]))
        .await
        .unwrap();
    assert_eq!(g.version, 2);
    assert_eq!(ids_of(&store, t.id, g.id).await, [a.id, b.id, c.id]);

    let g = store
        .update_resource(change(t.id, &g, vec![MemberChange::Remove(vec![b.id.to_string(), "junk".into()])]))
        .await
        .unwrap();
    assert_eq!(ids_of(&store, t.id, g.id).await, [a.id, c.id]);

    let g = store
        .update_resource(change(t.id, &g, vec![MemberChange::ReplaceAll(vec![member(b.id), member(c.id)])]))
        .await
        .unwrap();
    assert_eq!(ids_of(&store, t.id, g.id).await, [b.id, c.id]);

    let g = store.update_resource(change(t.id, &g, vec![MemberChange::RemoveAll])).await.unwrap();
    assert!(ids_of(&store, t.id, g.id).await.is_empty());
    assert_eq!(g.version, 5);

    let events = store.list_events(t.id, 0, 100).await.unwrap();
    let got: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.resource_id == g.id)
        .map(|e| (e.event_type.as_str().to_owned(), e.data["member"]["value"].as_str().unwrap_or("").to_owned()))
        .collect();
    let ev = |t: &str, u: &StoredResource| (t.to_owned(), u.id.to_string());
    let expected = vec![
        ("group.created".to_owned(), String::new()),
        ev("group.member_added", &a),
        ev("group.member_added", &b),
        ev("group.member_added", &c),
        ev("group.member_removed", &b),
        ev("group.member_removed", &a),
        ev("group.member_added", &b),
        ev("group.member_removed", &b),
        ev("group.member_removed", &c),
    ];
    assert_eq!(got, expected);
    assert_eq!(events.last().unwrap().data["member"]["type"], json!("User"));
    let audit = store.list_audit(t.id, 1).await.unwrap();
    assert_eq!(audit[0].entry.detail["members"]["removedCount"], json!(2));
}

async fn idempotent_add_keeps_the_version(b: Backend) {
    let (store, t, _db) = b.fresh().await;
    let a = create(&store, t.id, ResourceKind::User, user_doc("a")).await;
    let g = create_with(&store, t.id, ResourceKind::Group, group_doc("G"), vec![member(a.id)]).await;
    let same = store.update_resource(change(t.id, &g, vec![MemberChange::Add(vec![member(a.id)])])).await.unwrap();
    assert_eq!(same.version, 1);
    let same = store
        .update_resource(change(t.id, &g, vec![MemberChange::Remove(vec![Uuid::now_v7().to_string()])]))
        .await
        .unwrap();
    assert_eq!(same.version, 1);
    assert_eq!(store.list_events(t.id, 0, 100).await.unwrap().len(), 3, "user, group, one member_added");
}

async fn unknown_deleted_foreign_and_self_members_are_refused_atomically(b: Backend) {
    let (store, t, _db) = b.fresh().await;
    let a = create(&store, t.id, ResourceKind::User, user_doc("a")).await;
    let gone = create(&store, t.id, ResourceKind::User, user_doc("gone")).await;
    store
        .delete_resource(DeleteResource {
            tenant: t.id,
            kind: ResourceKind::User,
            id: gone.id,
            expected_version: None,
            policy: DeletePolicy::Soft,
            audit: ctx("DELETE"),
        })
        .await
        .unwrap();
    let other = store.create_tenant("other", "Other").await.unwrap();
    let foreign = create(&store, other.id, ResourceKind::User, user_doc("f")).await;
    let g = create(&store, t.id, ResourceKind::Group, group_doc("G")).await;
    for bad in [Uuid::now_v7(), gone.id, foreign.id] {
        // Batched (two members) and single-member paths both refuse.
        for values in [vec![member(a.id), member(bad)], vec![member(bad)]] {
            let err = store.update_resource(change(t.id, &g, vec![MemberChange::Add(values)])).await.unwrap_err();
            assert!(matches!(&err, StoreError::UnknownMember(v) if *v == bad.to_string()), "{err:?}");
        }
    }
    let err = store.update_resource(change(t.id, &g, vec![MemberChange::Add(vec![json!({"value": "nope"})])])).await;
    assert!(matches!(err, Err(StoreError::UnknownMember(v)) if v == "nope"));
    let err = store.update_resource(change(t.id, &g, vec![MemberChange::Add(vec![member(g.id)])])).await.unwrap_err();
    assert!(matches!(err, StoreError::Scim(_)), "{err:?}");
    assert!(ids_of(&store, t.id, g.id).await.is_empty(), "nothing of the failed changes was kept");
    let now = store.get_resource(t.id, ResourceKind::Group, g.id).await.unwrap().unwrap();
    assert_eq!(now.version, 1);
}

async fn remove_matching_evaluates_on_member_rows(b: Backend) {
    let (store, t, _db) = b.fresh().await;
    let a = create(&store, t.id, ResourceKind::User, user_doc("a")).await;
    let b = create(&store, t.id, ResourceKind::User, user_doc("b")).await;
    let sub = create(&store, t.id, ResourceKind::Group, group_doc("Sub")).await;
    let g = create_with(
        &store,
        t.id,
        ResourceKind::Group,
        group_doc("G"),
        vec![member(a.id), member_named(b.id, "B"), member(sub.id)],
    )
    .await;
    // The Entra form: `members[value eq "…"]`, upper-cased id (value is not caseExact).
    let f = parse_filter(&format!("value eq \"{}\"", a.id.to_string().to_uppercase())).unwrap();
    let g = store.update_resource(change(t.id, &g, vec![MemberChange::RemoveMatching(f)])).await.unwrap();
    assert_eq!(ids_of(&store, t.id, g.id).await, [b.id, sub.id]);
    let f = parse_filter("type eq \"Group\"").unwrap();
    let g = store.update_resource(change(t.id, &g, vec![MemberChange::RemoveMatching(f)])).await.unwrap();
    assert_eq!(ids_of(&store, t.id, g.id).await, [b.id]);
    let f = parse_filter("display eq \"B\"").unwrap();
    store.update_resource(change(t.id, &g, vec![MemberChange::RemoveMatching(f)])).await.unwrap();
    assert!(ids_of(&store, t.id, g.id).await.is_empty());
}

async fn members_and_groups_show_current_names_and_deletion_cleans_up(b: Backend) {
    let (store, t, _db) = b.fresh().await;
    let mut doc = user_doc("jdoe");
    let a = create(&store, t.id, ResourceKind::User, doc.clone()).await;
    let g1 = create_with(&store, t.id, ResourceKind::Group, group_doc("One"), vec![member_named(a.id, "jdoe")]).await;
    let g2 = create_with(
        &store,
        t.id,
        ResourceKind::Group,
        group_doc("Two"),
        vec![member(a.id), member_named(g1.id, "One")],
    )
    .await;

    let m = store.members_of(t.id, &[g1.id, g2.id]).await.unwrap();
    assert_eq!(m[&g1.id].len(), 1);
    assert_eq!(m[&g1.id][0].display.as_deref(), Some("jdoe"));
    assert_eq!(m[&g2.id].iter().map(|x| x.kind).collect::<Vec<_>>(), [ResourceKind::User, ResourceKind::Group]);
    assert_eq!(m[&g2.id][1].display.as_deref(), Some("One"));

    doc["displayName"] = json!("Jane Doe");
    let upd = UpdateResource {
        tenant: t.id,
        kind: ResourceKind::User,
        id: a.id,
        expected_version: Some(1),
        doc: Some(doc),
        password_hash: None,
        member_changes: vec![],
        audit: ctx("PUT"),
    };
    store.update_resource(upd).await.unwrap();
    // A member's display is what the client sent, not re-derived; one sent
    // without a display shows the member's current name. A group's display
    // in a user's `groups` is the group's current name.
    let m = store.members_of(t.id, &[g1.id]).await.unwrap();
    assert_eq!(m[&g1.id][0].display.as_deref(), Some("jdoe"));
    let m = store.members_of(t.id, &[g2.id]).await.unwrap();
    assert_eq!(m[&g2.id][0].display.as_deref(), Some("Jane Doe"), "sent without a display: its current name");
    let gs = store.groups_of(t.id, &[a.id, g1.id]).await.unwrap();
    assert_eq!(gs[&a.id].iter().map(|r| r.value).collect::<Vec<_>>(), [g1.id, g2.id]);
    assert_eq!(gs[&a.id][1].display.as_deref(), Some("Two"));
    assert_eq!(gs[&g1.id].len(), 1, "nested group");
    // The one-round-trip read agrees with `get_resource` + `groups_of`.
    let (user, groups) = store.get_user_with_groups(t.id, a.id).await.unwrap().expect("user exists");
    assert_eq!(user, store.get_resource(t.id, ResourceKind::User, a.id).await.unwrap().unwrap());
    assert_eq!(groups, gs[&a.id]);
    assert!(store.get_user_with_groups(t.id, g1.id).await.unwrap().is_none(), "a group is not a user");
    // A page of users asked `with_groups` carries the same groups.
    let schemas = std::sync::Arc::new(scim_core::schema::SchemaRegistry::standard());
    let q = scim_store::ListQuery {
        after: None,
        filter: None,
        sort_by: None,
        sort_order: Default::default(),
        start_index: 1,
        count: 10,
        schemas: &schemas,
        with_groups: true,
    };
    let page = store.list_resources(t.id, ResourceKind::User, &q).await.unwrap();
    let listed = page.groups.expect("an exact query reads groups with the page");
    assert_eq!(listed[&a.id], gs[&a.id]);

    store
        .delete_resource(DeleteResource {
            tenant: t.id,
            kind: ResourceKind::User,
            id: a.id,
            expected_version: None,
            policy: DeletePolicy::Soft,
            audit: ctx("DELETE"),
        })
        .await
        .unwrap();
    let m = store.members_of(t.id, &[g1.id, g2.id]).await.unwrap();
    assert!(!m.contains_key(&g1.id));
    assert_eq!(m[&g2.id].len(), 1);
    let g1_now = store.get_resource(t.id, ResourceKind::Group, g1.id).await.unwrap().unwrap();
    assert_eq!(g1_now.version, 2, "a group that lost a member has a new version");
    let events = store.list_events(t.id, 0, 100).await.unwrap();
    let tail: Vec<&str> = events.iter().rev().take(3).map(|e| e.event_type.as_str()).collect();
    assert_eq!(tail, ["user.deleted", "group.member_removed", "group.member_removed"]);

    // Deleting a group removes its rows both ways.
    store
        .delete_resource(DeleteResource {
            tenant: t.id,
            kind: ResourceKind::Group,
            id: g1.id,
            expected_version: None,
            policy: DeletePolicy::Hard,
            audit: ctx("DELETE"),
        })
        .await
        .unwrap();
    assert!(store.members_of(t.id, &[g2.id]).await.unwrap().is_empty());
}

/// Membership changes commute: without an expected version they apply to
/// whatever version is current (no read-modify-write race), while a stale
/// expected version is still refused.
async fn member_changes_without_expected_version_apply_to_the_current_version(b: Backend) {
    let (store, t, _db) = b.fresh().await;
    let a = create(&store, t.id, ResourceKind::User, user_doc("a")).await;
    let b = create(&store, t.id, ResourceKind::User, user_doc("b")).await;
    let g = create_with(&store, t.id, ResourceKind::Group, group_doc("G"), vec![]).await;
    let stale = g.clone();
    let g2 = store.update_resource(change(t.id, &g, vec![MemberChange::Add(vec![member(a.id)])])).await.unwrap();
    assert_eq!(g2.version, g.version + 1);
    let err = store.update_resource(change(t.id, &stale, vec![MemberChange::Add(vec![member(b.id)])])).await;
    assert!(matches!(err, Err(StoreError::VersionMismatch { current }) if current == g2.version));
    let mut unconditional = change(t.id, &stale, vec![MemberChange::Add(vec![member(b.id)])]);
    unconditional.expected_version = None;
    let g3 = store.update_resource(unconditional).await.unwrap();
    assert_eq!(g3.version, g2.version + 1);
    assert_eq!(ids_of(&store, t.id, g.id).await.len(), 2);
}

async fn count_members_counts_up_to_a_bound(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let mut users = Vec::new();
    for n in 0..5 {
        users.push(create(&store, tenant.id, ResourceKind::User, user_doc(&format!("c{n}"))).await.id);
    }
    let five: Vec<_> = users.iter().map(|u| member(*u)).collect();
    let g1 = create_with(&store, tenant.id, ResourceKind::Group, group_doc("five"), five).await.id;
    let g2 =
        create_with(&store, tenant.id, ResourceKind::Group, group_doc("two"), vec![member(users[0]), member(users[1])])
            .await
            .id;
    let empty = create(&store, tenant.id, ResourceKind::Group, group_doc("none")).await.id;
    let count = |groups: Vec<Uuid>, at_most| {
        let store = store.clone();
        async move { store.count_members(tenant.id, &groups, at_most).await.unwrap() }
    };
    assert_eq!(count(vec![g1, g2, empty], 100).await, 7);
    assert_eq!(count(vec![g1], 3).await, 3);
    assert_eq!(count(vec![g2, g1], 4).await, 4);
    assert_eq!(count(vec![empty], 10).await, 0);
    // Another tenant's view of the same group is empty.
    let other = store.create_tenant("other", "Other").await.unwrap();
    assert_eq!(store.count_members(other.id, &[g1], 100).await.unwrap(), 0);
}

contract! {
    tokio: [
        add_remove_replace_and_events,
        idempotent_add_keeps_the_version,
        unknown_deleted_foreign_and_self_members_are_refused_atomically,
        remove_matching_evaluates_on_member_rows,
        members_and_groups_show_current_names_and_deletion_cleans_up,
        member_changes_without_expected_version_apply_to_the_current_version,
        count_members_counts_up_to_a_bound,
    ],
}
