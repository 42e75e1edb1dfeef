//! The admin views on SQLite: audit pages among entries that share one
//! millisecond (forced here by writing the time directly), and the plans
//! SQLite picks for them (index ranges, never a sort of the whole log or a
//! walk of a group's members).

use std::collections::HashSet;

use scim_store::{AuditPlace, AuditQuery, ResourceKind};

use crate::{create, file, user_doc};

#[tokio::test]
async fn audit_pages_among_equal_times_neither_skip_nor_repeat() {
    let (store, tenant, db) = file().await;
    for i in 0..25 {
        create(&store, tenant.id, ResourceKind::User, user_doc(&format!("u{i}"))).await;
    }
    let c = rusqlite::Connection::open(&db.0).unwrap();
    // Every entry in the same millisecond but three.
    c.execute("UPDATE audit_log SET at = 1700000000000 WHERE id > 3", []).unwrap();
    let mut seen = Vec::new();
    let mut q = AuditQuery { limit: 4, ..AuditQuery::default() };
    loop {
        let page = store.search_audit(tenant.id, &q).await.unwrap();
        let Some(last) = page.last() else { break };
        q.before = Some(AuditPlace::of(last));
        seen.extend(page.iter().map(|r| (r.at, r.id)));
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first by (time, id): {seen:?}");

    let plan = |sql: &str| -> String {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    };
    let audit = plan(
        "SELECT id FROM audit_log WHERE tenant = x'00' AND at >= 1 AND (at, id) < (5, 5) ORDER BY at DESC, id DESC LIMIT 10",
    );
    assert!(audit.contains("audit_log_tenant_at") && !audit.contains("TEMP B-TREE"), "{audit}");
    let members = plan(
        "SELECT member_id FROM group_members WHERE tenant = x'00' AND group_id = x'01' AND member_id > x'02' \
         ORDER BY member_id LIMIT 10",
    );
    assert!(members.contains("PRIMARY KEY") && !members.contains("TEMP B-TREE"), "{members}");
    let all = plan(
        "SELECT id FROM resources r WHERE r.tenant = x'00' AND r.kind = 'User' AND (r.created, r.id) > (1, x'00') \
         ORDER BY r.created, r.id LIMIT 10",
    );
    assert!(all.contains("resources_all_created") && !all.contains("TEMP B-TREE"), "{all}");
}
