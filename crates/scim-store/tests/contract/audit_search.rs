//! Searching a tenant's audit log (`Store::search_audit`): the filters
//! (time range, resource, SCIM or admin token, outcome), newest first, and
//! keyset pages that never skip or repeat an entry, also among entries
//! written in the same millisecond.

use std::collections::HashSet;

use scim_store::{AuditContext, AuditEntry, AuditOutcome, AuditPlace, AuditQuery, ResourceKind, Store};
use serde_json::json;
use uuid::Uuid;

use crate::{Backend, contract, create, ctx, user_doc};

fn entry(tenant: Uuid, context: AuditContext, resource: Option<Uuid>, status: u16) -> AuditEntry {
    AuditEntry {
        tenant: Some(tenant),
        context,
        resource_kind: resource.map(|_| ResourceKind::User),
        resource_id: resource,
        status,
        detail: json!({"n": status}),
    }
}

fn query(limit: u32) -> AuditQuery {
    AuditQuery { limit, ..AuditQuery::default() }
}

/// Every page of `q`, `limit` at a time.
async fn all_pages(store: &std::sync::Arc<dyn Store>, tenant: Uuid, q: &AuditQuery) -> Vec<scim_store::AuditRecord> {
    let mut out = Vec::new();
    let mut q = q.clone();
    loop {
        let page = store.search_audit(tenant, &q).await.unwrap();
        assert!(page.len() <= q.limit as usize);
        let Some(last) = page.last() else { return out };
        q.before = Some(AuditPlace::of(last));
        let short = page.len() < q.limit as usize;
        out.extend(page);
        if short {
            return out;
        }
    }
}

async fn filters_select_and_pages_resume_without_skips_or_repeats(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    let (scim_token, admin_token) = (Uuid::now_v7(), Uuid::now_v7());
    let user = create(&store, tenant.id, ResourceKind::User, user_doc("ann")).await;
    let start = time::OffsetDateTime::now_utc() - time::Duration::milliseconds(1);
    // Written at once: the writer commits them together, many in the same
    // millisecond.
    let writes = (0..60u16).map(|i| {
        let mut c = ctx("POST");
        if i % 3 == 0 {
            c.token = Some(scim_token);
        } else if i % 3 == 1 {
            c.admin_token = Some(admin_token);
        }
        let status = [201, 400, 500][usize::from(i % 4).min(2)];
        let resource = (i % 5 == 0).then_some(user.id);
        let store = store.clone();
        let tenant = tenant.id;
        tokio::spawn(async move { store.write_audit(entry(tenant, c, resource, status)).await.unwrap() })
    });
    for w in writes.collect::<Vec<_>>() {
        w.await.unwrap();
    }
    store.write_audit(entry(other.id, ctx("POST"), None, 201)).await.unwrap();

    let everything = store.search_audit(tenant.id, &query(1000)).await.unwrap();
    assert_eq!(everything.len(), 61, "60 written and the create's own");
    assert!(everything.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first by (time, id)");
    // Pages of 7 give each entry once, in the same order.
    let paged = all_pages(&store, tenant.id, &query(7)).await;
    let ids: Vec<i64> = paged.iter().map(|r| r.id).collect();
    assert_eq!(ids, everything.iter().map(|r| r.id).collect::<Vec<_>>());
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());

    let count = |q: AuditQuery| {
        let store = store.clone();
        async move { all_pages(&store, tenant.id, &q).await }
    };
    let by_token = count(AuditQuery { token: Some(scim_token), ..query(4) }).await;
    assert_eq!(by_token.len(), 20);
    assert!(by_token.iter().all(|r| r.entry.context.token == Some(scim_token)));
    let by_admin = count(AuditQuery { token: Some(admin_token), ..query(4) }).await;
    assert_eq!(by_admin.len(), 20, "the admin token column is searched too");
    assert!(by_admin.iter().all(|r| r.entry.context.admin_token == Some(admin_token)));
    let by_resource = count(AuditQuery { resource: Some(user.id), ..query(5) }).await;
    assert_eq!(by_resource.len(), 13, "12 written and the create");
    for (outcome, n) in [(AuditOutcome::Ok, 1 + 15), (AuditOutcome::Refused, 15), (AuditOutcome::Failed, 30)] {
        let found = count(AuditQuery { outcome: Some(outcome), ..query(6) }).await;
        assert_eq!(found.len(), n, "{outcome:?}");
        assert!(found.iter().all(|r| AuditOutcome::of(r.entry.status) == outcome));
    }
    // since is inclusive, until exclusive.
    let pivot = everything[30].at;
    let newer = count(AuditQuery { since: Some(pivot), ..query(9) }).await;
    let older = count(AuditQuery { until: Some(pivot), ..query(9) }).await;
    assert_eq!(newer.len() + older.len(), 61);
    assert!(newer.iter().all(|r| r.at >= pivot) && older.iter().all(|r| r.at < pivot));
    let none = count(AuditQuery { since: Some(pivot), until: Some(pivot), ..query(9) }).await;
    assert!(none.is_empty());
    assert!(count(AuditQuery { until: Some(start), ..query(9) }).await.len() <= 1, "only the create may be older");
    // Combined, and another tenant's log apart.
    let combined = count(AuditQuery { token: Some(scim_token), outcome: Some(AuditOutcome::Failed), ..query(2) }).await;
    assert!(combined.iter().all(|r| r.entry.context.token == Some(scim_token) && r.entry.status == 500));
    assert_eq!(store.search_audit(other.id, &query(100)).await.unwrap().len(), 1);
}

contract! {
    tokio: [
        filters_select_and_pages_resume_without_skips_or_repeats,
    ],
}
