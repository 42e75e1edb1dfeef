//! Verified domains: claims per tenant, verification recorded once, the
//! claims of every tenant on some names, the background round's pending
//! domains.

use scim_store::{DomainChange, DomainCheck, NewDomain, StoreError, VerifiedBy};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{Backend, contract};

fn new(tenant: Uuid, domain: &str) -> NewDomain {
    NewDomain { tenant, domain: domain.into(), include_subdomains: false, txt_value: format!("v-{domain}") }
}

fn check(result: &str, verified: Option<VerifiedBy>) -> DomainChange {
    DomainChange {
        include_subdomains: None,
        check: Some(DomainCheck { at: OffsetDateTime::now_utc(), result: result.into(), verified }),
    }
}

async fn domains_are_claimed_listed_changed_and_removed(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let added = store.add_domain(new(tenant.id, "example.com")).await.unwrap();
    assert_eq!((added.domain.as_str(), added.txt_value.as_str()), ("example.com", "v-example.com"));
    assert!(!added.is_verified() && added.last_checked.is_none() && !added.include_subdomains);
    store.add_domain(new(tenant.id, "a.example.org")).await.unwrap();
    let err = store.add_domain(new(tenant.id, "example.com")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let err = store.add_domain(new(Uuid::now_v7(), "example.com")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let names: Vec<String> = store.list_domains(tenant.id).await.unwrap().into_iter().map(|d| d.domain).collect();
    assert_eq!(names, ["a.example.org", "example.com"]);
    assert_eq!(store.get_domain(tenant.id, "example.com").await.unwrap(), Some(added.clone()));
    assert_eq!(store.get_domain(tenant.id, "nope.com").await.unwrap(), None);

    // A failed check is recorded, and leaves it pending.
    let pending = store.update_domain(tenant.id, "example.com", check("no TXT record", None)).await.unwrap();
    assert_eq!(pending.last_result.as_deref(), Some("no TXT record"));
    assert!(pending.last_checked.is_some() && !pending.is_verified());
    // A verifying check sets the verification once; later checks keep it.
    let verified = store.update_domain(tenant.id, "example.com", check("found", Some(VerifiedBy::Dns))).await.unwrap();
    assert_eq!(verified.verified_by, Some(VerifiedBy::Dns));
    let first = verified.verified_at.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let again = store.update_domain(tenant.id, "example.com", check("manual", Some(VerifiedBy::Manual))).await.unwrap();
    assert_eq!((again.verified_at, again.verified_by), (Some(first), Some(VerifiedBy::Dns)));
    assert_eq!(again.last_result.as_deref(), Some("manual"));
    let wide = DomainChange { include_subdomains: Some(true), check: None };
    let wide = store.update_domain(tenant.id, "example.com", wide).await.unwrap();
    assert!(wide.include_subdomains && wide.is_verified());
    let err = store.update_domain(tenant.id, "nope.com", DomainChange::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    assert!(store.remove_domain(tenant.id, "example.com").await.unwrap());
    assert!(!store.remove_domain(tenant.id, "example.com").await.unwrap());
    assert_eq!(store.get_domain(tenant.id, "example.com").await.unwrap(), None);
}

async fn claims_of_every_tenant_are_found_by_name(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let beta = store.create_tenant("beta", "Beta").await.unwrap();
    store.add_domain(new(acme.id, "example.com")).await.unwrap();
    store.add_domain(new(beta.id, "example.com")).await.unwrap();
    store.add_domain(new(beta.id, "sub.example.com")).await.unwrap();
    store.add_domain(new(beta.id, "other.org")).await.unwrap();
    store.update_domain(beta.id, "example.com", check("ok", Some(VerifiedBy::Manual))).await.unwrap();
    let found = store.domains_named(&["sub.example.com".into(), "example.com".into(), "com".into()]).await.unwrap();
    let seen: Vec<(Uuid, &str, bool)> = found.iter().map(|d| (d.tenant, d.domain.as_str(), d.is_verified())).collect();
    assert_eq!(
        seen,
        [(acme.id, "example.com", false), (beta.id, "example.com", true), (beta.id, "sub.example.com", false)]
    );
    assert!(store.domains_named(&[]).await.unwrap().is_empty());
}

async fn pending_domains_come_least_recently_checked_first(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    for d in ["a.com", "b.com", "c.com", "d.com"] {
        store.add_domain(new(tenant.id, d)).await.unwrap();
    }
    store.update_domain(tenant.id, "a.com", check("no record", None)).await.unwrap();
    store.update_domain(tenant.id, "d.com", check("ok", Some(VerifiedBy::Dns))).await.unwrap();
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    let long_ago = now - Duration::days(7);
    let names = |v: Vec<scim_store::Domain>| v.into_iter().map(|d| d.domain).collect::<Vec<_>>();
    // Never checked first, then the least recently checked; verified never.
    let round = store.pending_domains(long_ago, now, 10).await.unwrap();
    assert_eq!(names(round), ["b.com", "c.com", "a.com"]);
    assert_eq!(store.pending_domains(long_ago, now, 2).await.unwrap().len(), 2, "bounded");
    // Checked recently: not due.
    let round = store.pending_domains(long_ago, now - Duration::hours(1), 10).await.unwrap();
    assert_eq!(names(round), ["b.com", "c.com"]);
    // Past the give-up age: not checked any more.
    assert!(store.pending_domains(now, now, 10).await.unwrap().is_empty());
}

contract! {
    tokio: [
        domains_are_claimed_listed_changed_and_removed,
        claims_of_every_tenant_are_found_by_name,
        pending_domains_come_least_recently_checked_first,
    ],
}
