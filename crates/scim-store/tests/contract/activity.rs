//! What the web admin draws (issue 14): a tenant's events per hour by
//! type and its refused and failed requests per hour; every tenant's
//! refusals, failures and last request; a tenant's newest events first.

use scim_store::activity::{Activity, HEALTH_CAP};
use scim_store::{AuditEntry, EventType, NewToken, ResourceKind};
use time::{Duration, OffsetDateTime};

use crate::{Backend, contract, create, ctx, group_doc, user_doc};

fn refusal(tenant: uuid::Uuid, status: u16) -> AuditEntry {
    AuditEntry {
        tenant: Some(tenant),
        context: ctx("POST"),
        resource_kind: None,
        resource_id: None,
        status,
        detail: serde_json::json!({"detail": "no"}),
    }
}

async fn activity_is_counted_per_hour_and_health_per_tenant(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    let before = OffsetDateTime::now_utc() - Duration::hours(1);
    for n in ["ann", "bob", "cat"] {
        create(&store, acme.id, ResourceKind::User, user_doc(n)).await;
    }
    create(&store, acme.id, ResourceKind::Group, group_doc("Sales")).await;
    create(&store, other.id, ResourceKind::User, user_doc("zed")).await;
    for status in [409, 400, 500] {
        store.write_audit(refusal(acme.id, status)).await.unwrap();
    }

    let counts = store.activity(acme.id, before).await.unwrap();
    let total = |what: Activity| counts.iter().filter(|c| c.what == what).map(|c| c.count).sum::<u64>();
    assert_eq!(total(Activity::Event(EventType::UserCreated)), 3, "{counts:?}");
    assert_eq!(total(Activity::Event(EventType::GroupCreated)), 1);
    assert_eq!(total(Activity::Refused), 2);
    assert_eq!(total(Activity::Failed), 1);
    // Hours are whole hours, not in the future.
    let now = OffsetDateTime::now_utc();
    assert!(counts.iter().all(|c| c.hour.minute() == 0
        && c.hour.second() == 0
        && c.hour <= now
        && c.hour > before - Duration::hours(1)));
    // Since later: nothing.
    assert!(store.activity(acme.id, now + Duration::hours(1)).await.unwrap().is_empty());

    // Health: refusals and failures per tenant, and the last token use.
    let token = store
        .create_token(NewToken {
            tenant: acme.id,
            name: "okta".into(),
            prefix: "scimd_AbC".into(),
            hash: [3; 32],
            scopes: vec!["scim".into()],
            expires: None,
            replaces: None,
        })
        .await
        .unwrap();
    let health = store.tenant_health(before).await.unwrap();
    let of = |id| health.iter().find(|h| h.tenant == id).unwrap().clone();
    let (a, o) = (of(acme.id), of(other.id));
    assert_eq!((a.refused, a.failed, a.last_request), (2, 1, None));
    assert_eq!((o.refused, o.failed, o.last_request), (0, 0, None));
    store.touch_token(token.id, None).await.unwrap();
    let a = store.tenant_health(before).await.unwrap().into_iter().find(|h| h.tenant == acme.id).unwrap();
    assert!(a.last_request.is_some_and(|t| t >= before));
    assert!(a.refused <= HEALTH_CAP);
    // Since later: nothing counted.
    let later = store.tenant_health(now + Duration::hours(1)).await.unwrap();
    assert!(later.iter().all(|h| h.refused == 0 && h.failed == 0));

    // The newest events first, only the tenant's own.
    let latest = store.latest_events(acme.id, 2).await.unwrap();
    assert_eq!(latest.len(), 2);
    assert!(latest[0].seq > latest[1].seq);
    assert_eq!(latest[0].event_type, EventType::GroupCreated);
    assert!(latest.iter().all(|e| e.tenant == acme.id));
}

contract! {
    tokio: [activity_is_counted_per_hour_and_health_per_tenant],
}
