//! The outbox (DESIGN §7): the per-tenant sequence is gapless and in commit
//! order however many writers commit at once, the global position orders
//! every tenant's events by commit, both feeds page, and a write that fails
//! leaves no event.

use std::collections::HashMap;
use std::sync::Arc;

use scim_store::{CreateResource, EventType, ResourceKind, StoreError};
use uuid::Uuid;

use crate::{Backend, contract, create, ctx, user_doc};

/// Many writers across two tenants at once, some of them refused: each
/// tenant's sequence is 1..=n with no gap, each event's resource committed,
/// and the global positions order all events consistently with each
/// tenant's sequence.
async fn sequences_stay_gapless_under_concurrent_writers(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..80 {
        let store = Arc::clone(&store);
        let tenant = if i % 2 == 0 { acme.id } else { other.id };
        tasks.push(tokio::spawn(async move {
            // Every fifth name is taken twice: one of the two is refused.
            let name = if i % 5 == 0 { format!("dup{}", i % 10) } else { format!("u{i}") };
            let write = CreateResource {
                tenant,
                kind: ResourceKind::User,
                doc: user_doc(&name),
                password_hash: None,
                members: vec![],
                audit: ctx("POST"),
            };
            store.create_resource(write).await
        }));
    }
    let mut created: HashMap<Uuid, usize> = HashMap::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(r) => *created.entry(r.id).or_default() += 1,
            Err(StoreError::Uniqueness(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    let mut all = Vec::new();
    for tenant in [acme.id, other.id] {
        let events = store.list_events(tenant, 0, 1000).await.unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "gapless from 1");
        assert!(events.iter().all(|e| e.tenant == tenant && e.event_type == EventType::UserCreated));
        // Per-tenant order and global order agree.
        assert!(events.windows(2).all(|w| w[0].position < w[1].position), "{events:?}");
        all.extend(events);
    }
    assert_eq!(all.len(), created.len(), "one event per resource created, none for a refusal");
    assert!(all.iter().all(|e| created.contains_key(&e.resource_id)));
    let global = store.list_all_events(0, 1000).await.unwrap();
    assert_eq!(global.len(), all.len());
    assert!(global.windows(2).all(|w| w[0].position < w[1].position), "strictly increasing");
}

/// Both feeds page from a cursor, and never show one tenant's events as
/// another's.
async fn feeds_page_from_their_cursors(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    for i in 0..5 {
        create(&store, acme.id, ResourceKind::User, user_doc(&format!("a{i}"))).await;
        create(&store, other.id, ResourceKind::User, user_doc(&format!("o{i}"))).await;
    }
    let page1 = store.list_events(acme.id, 0, 2).await.unwrap();
    let page2 = store.list_events(acme.id, page1[1].seq, 2).await.unwrap();
    let rest = store.list_events(acme.id, page2[1].seq, 100).await.unwrap();
    let seqs: Vec<i64> = page1.iter().chain(&page2).chain(&rest).map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert!(store.list_events(acme.id, 5, 100).await.unwrap().is_empty());

    let all = store.list_all_events(0, 100).await.unwrap();
    assert_eq!(all.len(), 10);
    // Alternating commits, alternating tenants.
    let tenants: Vec<Uuid> = all.iter().map(|e| e.tenant).collect();
    assert_eq!(tenants, [acme.id, other.id].repeat(5));
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = store.list_all_events(after, 3).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.position;
        walked.extend(page.into_iter().map(|e| e.id));
    }
    assert_eq!(walked, all.iter().map(|e| e.id).collect::<Vec<_>>());
    // Ids are unique, and the same in both feeds.
    let acme_ids: Vec<Uuid> = store.list_events(acme.id, 0, 100).await.unwrap().iter().map(|e| e.id).collect();
    let from_all: Vec<Uuid> = all.iter().filter(|e| e.tenant == acme.id).map(|e| e.id).collect();
    assert_eq!(acme_ids, from_all);
}

/// Retention deletes old events but keeps each tenant's newest (its next
/// number follows it), so a tenant's retained events stay a gapless run;
/// the horizons tell a reader resuming below them that it missed events.
/// Events carry the tenant's slug and the caller.
async fn retention_keeps_each_tenants_newest_and_moves_the_horizons(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    for i in 0..5 {
        create(&store, acme.id, ResourceKind::User, user_doc(&format!("a{i}"))).await;
    }
    for i in 0..3 {
        create(&store, other.id, ResourceKind::User, user_doc(&format!("o{i}"))).await;
    }
    let first = store.list_events(acme.id, 0, 1).await.unwrap();
    assert_eq!(first[0].tenant_slug.as_deref(), Some(acme.slug.as_str()));
    assert_eq!(first[0].actor["type"], "system", "{:?}", first[0].actor);
    assert_eq!(store.event_horizon(Some(acme.id)).await.unwrap(), 0);
    assert_eq!(store.event_horizon(None).await.unwrap(), 0);
    let all_before = store.list_all_events(0, 100).await.unwrap();

    // Nothing is older than a minute ago.
    let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    assert_eq!(store.prune_events(past, 100).await.unwrap(), 0);
    let future = time::OffsetDateTime::now_utc() + time::Duration::seconds(5);
    let mut deleted = 0;
    loop {
        let n = store.prune_events(future, 2).await.unwrap();
        if n == 0 {
            break;
        }
        deleted += n;
    }
    assert_eq!(deleted, 6, "all but each tenant's newest");
    let seqs = |t: Uuid| {
        let store = Arc::clone(&store);
        async move { store.list_events(t, 0, 100).await.unwrap().iter().map(|e| e.seq).collect::<Vec<_>>() }
    };
    assert_eq!(seqs(acme.id).await, [5]);
    assert_eq!(seqs(other.id).await, [3]);
    assert_eq!(store.event_horizon(Some(acme.id)).await.unwrap(), 4);
    assert_eq!(store.event_horizon(Some(other.id)).await.unwrap(), 2);
    let horizon = store.event_horizon(None).await.unwrap();
    let kept: Vec<i64> = store.list_all_events(0, 100).await.unwrap().iter().map(|e| e.position).collect();
    let gone: Vec<i64> = all_before.iter().map(|e| e.position).filter(|p| !kept.contains(p)).collect();
    assert_eq!(horizon, *gone.iter().max().unwrap());
    // The next write continues the run.
    create(&store, acme.id, ResourceKind::User, user_doc("after")).await;
    assert_eq!(seqs(acme.id).await, [5, 6]);
    assert_eq!(store.event_horizon(Some(acme.id)).await.unwrap(), 4);
}

contract! {
    tokio: [feeds_page_from_their_cursors, retention_keeps_each_tenants_newest_and_moves_the_horizons],
    threaded: [sequences_stay_gapless_under_concurrent_writers],
}
