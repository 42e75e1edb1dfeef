//! Webhook endpoints and deliveries (issue 12): an endpoint receives the
//! events committed after it was registered that it selects; deliveries of
//! one resource are claimed one at a time, in order, while other resources
//! go in parallel; a failing delivery holds back only its resource, and a
//! dead letter no longer does; leases, replays, and the backlog.

use std::time::Duration;

use scim_store::webhooks::{
    Attempt, DeliveryOutcome, DeliveryQuery, DeliveryState, NewWebhook, Next, ReplayRange, Selection, WebhookChange,
    WebhookFormat,
};
use scim_store::{EventType, ResourceKind, UpdateResource};
use uuid::Uuid;

use crate::{Backend, contract, create, ctx, user_doc};

fn new_webhook(tenants: Selection<Uuid>, types: Selection<EventType>) -> NewWebhook {
    NewWebhook {
        id: Uuid::now_v7(),
        url: "https://receiver.example/hook".into(),
        tenants,
        types,
        format: WebhookFormat::Json,
        description: "test".into(),
        audience: None,
        subject_format: None,
        authorization_sealed: None,
        secret_sealed: "sealed".into(),
        max_in_flight: 16,
    }
}

fn outcome(delivery: i64, endpoint: Uuid, status: u16, next: Next) -> DeliveryOutcome {
    DeliveryOutcome {
        delivery,
        endpoint,
        attempt: Attempt {
            at: time::OffsetDateTime::now_utc(),
            status: Some(status),
            latency_ms: 3,
            response: Some("ok".into()),
            error: None,
        },
        next,
    }
}

const LEASE: Duration = Duration::from_secs(30);

async fn deliveries_keep_each_resources_order(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    // Committed before the endpoint: not sent.
    create(&store, acme.id, ResourceKind::User, user_doc("early")).await;
    let hook = store.create_webhook(new_webhook(Selection::Only(vec![acme.id]), Selection::all())).await.unwrap();
    let only_deletes = store
        .create_webhook(new_webhook(Selection::all(), Selection::Only(vec![EventType::UserDeleted])))
        .await
        .unwrap();
    let u1 = create(&store, acme.id, ResourceKind::User, user_doc("u1")).await;
    let u2 = create(&store, acme.id, ResourceKind::User, user_doc("u2")).await;
    create(&store, other.id, ResourceKind::User, user_doc("elsewhere")).await;
    for title in ["a", "b"] {
        let mut doc = user_doc("u1");
        doc["title"] = title.into();
        store
            .update_resource(UpdateResource {
                tenant: acme.id,
                kind: ResourceKind::User,
                id: u1.id,
                expected_version: None,
                doc: Some(doc),
                password_hash: None,
                member_changes: vec![],
                audit: ctx("PUT"),
            })
            .await
            .unwrap();
    }
    assert_eq!(store.fan_out_webhooks().await.unwrap(), 4, "u1 created + 2 updates, u2 created; none for 'other'");
    assert_eq!(store.fan_out_webhooks().await.unwrap(), 0, "the cursor moved");

    // One per resource at a time: u1's first event and u2's.
    let first = store.claim_deliveries(vec![(hook.id, 10), (only_deletes.id, 10)], LEASE).await.unwrap();
    let resources: Vec<Uuid> = first.iter().map(|d| d.event.as_ref().unwrap().resource_id).collect();
    assert_eq!(resources, [u1.id, u2.id]);
    assert_eq!(first[0].event.as_ref().unwrap().event_type, EventType::UserCreated);
    assert_eq!(first[0].event.as_ref().unwrap().tenant_slug.as_deref(), Some("acme"));
    // Leased: nothing more to claim until they finish.
    assert!(store.claim_deliveries(vec![(hook.id, 10)], LEASE).await.unwrap().is_empty());

    // u1's first fails and will be retried later; u2's succeeds.
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    store
        .finish_deliveries(vec![
            outcome(first[0].id, hook.id, 500, Next::RetryAt(later)),
            outcome(first[1].id, hook.id, 204, Next::Delivered),
        ])
        .await
        .unwrap();
    assert!(
        store.claim_deliveries(vec![(hook.id, 10)], LEASE).await.unwrap().is_empty(),
        "u1's later events wait behind its failing one"
    );
    let hooked = store.webhook(hook.id).await.unwrap().unwrap();
    assert!(hooked.failing_since.is_none(), "the latest attempt succeeded");

    // Dead-lettered: u1's next event goes on; the dead letter stays listed.
    let retry = store.claim_deliveries(vec![(hook.id, 10)], LEASE).await.unwrap();
    assert!(retry.is_empty());
    store.finish_deliveries(vec![outcome(first[0].id, hook.id, 500, Next::Dead)]).await.unwrap();
    assert!(store.webhook(hook.id).await.unwrap().unwrap().failing_since.is_some(), "failing since then");
    let next = store.claim_deliveries(vec![(hook.id, 10)], LEASE).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].event.as_ref().unwrap().event_type, EventType::UserUpdated);
    assert_eq!(next[0].event.as_ref().unwrap().data["resource"]["title"], "a");
    store.finish_deliveries(vec![outcome(next[0].id, hook.id, 200, Next::Delivered)]).await.unwrap();
    assert!(store.webhook(hook.id).await.unwrap().unwrap().failing_since.is_none(), "a success ends the streak");

    let dead = store
        .webhook_deliveries(hook.id, DeliveryQuery { state: Some(DeliveryState::Dead), before: None, limit: 10 })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].attempt_log.len(), 2);
    assert_eq!(dead[0].attempt_log[0].status, Some(500));
    assert_eq!(dead[0].event_type, Some(EventType::UserCreated));

    // A lease that ends (a node died mid-delivery) can be claimed again;
    // releasing the leases at start does the same at once: on SQLite every
    // lease (its one node is the one starting), on PostgreSQL only those
    // whose time ran out (other nodes may be sending the rest).
    let last = store.claim_deliveries(vec![(hook.id, 10)], Duration::ZERO).await.unwrap();
    assert_eq!(last.len(), 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = store.claim_deliveries(vec![(hook.id, 10)], Duration::from_secs(1)).await.unwrap();
    assert_eq!(again.iter().map(|d| d.id).collect::<Vec<_>>(), [last[0].id]);
    assert_eq!(again[0].attempts, 0);
    if b == Backend::Postgres {
        assert_eq!(store.release_delivery_leases().await.unwrap(), 0, "a live lease stays");
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    assert_eq!(store.release_delivery_leases().await.unwrap(), 1);
    let backlog = store.delivery_backlog().await.unwrap();
    assert_eq!(backlog.pending, 1);
    assert!(backlog.oldest_pending.is_some());

    // Replay u1's events by sequence: queued again, in order.
    let seqs: Vec<i64> = store.list_events(acme.id, 0, 100).await.unwrap().iter().map(|e| e.seq).collect();
    let queued = store
        .replay_webhook(hook.id, ReplayRange::Sequences { tenant: acme.id, from: seqs[0], to: *seqs.last().unwrap() })
        .await
        .unwrap();
    assert_eq!(queued, 5, "every acme event, the early one too");
    let listed = store.webhook_deliveries(hook.id, DeliveryQuery { limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(listed.iter().filter(|d| d.replay).count(), 5);

    // Disabled endpoints are not fanned out to; enabling catches up.
    let disabled =
        store.update_webhook(hook.id, WebhookChange { enabled: Some(false), ..Default::default() }).await.unwrap();
    assert!(!disabled.enabled && disabled.disabled_reason.is_some());
    create(&store, acme.id, ResourceKind::User, user_doc("while.disabled")).await;
    store.fan_out_webhooks().await.unwrap();
    assert_eq!(store.delivery_backlog().await.unwrap().disabled_endpoints, 1);
    let enabled =
        store.update_webhook(hook.id, WebhookChange { enabled: Some(true), ..Default::default() }).await.unwrap();
    assert!(enabled.enabled && enabled.disabled_reason.is_none());
    assert_eq!(store.fan_out_webhooks().await.unwrap(), 1);
    store.delete_webhook(hook.id).await.unwrap();
    assert!(store.webhook(hook.id).await.unwrap().is_none());
    assert_eq!(store.webhooks().await.unwrap().len(), 1);
}

contract! {
    tokio: [deliveries_keep_each_resources_order],
}
