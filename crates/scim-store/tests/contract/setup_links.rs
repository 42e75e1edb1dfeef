//! Self-serve setup links (issue 14): found by the hash of their secret,
//! listed per tenant, revoked once (never through another tenant), touched,
//! and gone with their tenant's row.

use scim_store::{NewSetupLink, Revocation, StoreError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{Backend, contract};

fn link(tenant: Uuid, allow: &[&str]) -> NewSetupLink {
    NewSetupLink {
        tenant,
        prefix: "scimd_setup_ab".into(),
        hash: *Uuid::new_v4().as_bytes().repeat(2).first_chunk().unwrap(),
        allow: allow.iter().map(|s| (*s).to_owned()).collect(),
        expires: OffsetDateTime::now_utc() + Duration::hours(24),
        created_by: Some(Uuid::now_v7()),
    }
}

async fn setup_links_are_found_by_hash_listed_revoked_once_and_kept_per_tenant(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    let a = store.create_setup_link(link(acme.id, &["scim", "domains"])).await.unwrap();
    let b2 = store.create_setup_link(link(acme.id, &["scim"])).await.unwrap();
    let o = store.create_setup_link(link(other.id, &["domains"])).await.unwrap();
    assert_eq!(store.setup_link_by_hash(&a.hash).await.unwrap(), Some(a.clone()));
    assert_eq!(store.setup_link_by_hash(&[9; 32]).await.unwrap(), None);
    assert_eq!(a.allow, ["scim", "domains"]);
    assert!(a.expires > a.created + Duration::hours(23), "{a:?}");
    let listed: Vec<Uuid> = store.list_setup_links(acme.id).await.unwrap().iter().map(|l| l.id).collect();
    assert_eq!(listed, [a.id, b2.id], "oldest first, this tenant's only");
    // Another tenant's link cannot be revoked through this one.
    assert_eq!(store.revoke_setup_link(acme.id, o.id).await.unwrap(), Revocation::NotFound);
    assert_eq!(store.revoke_setup_link(acme.id, a.id).await.unwrap(), Revocation::Revoked);
    let first = store.setup_link_by_hash(&a.hash).await.unwrap().unwrap().revoked.unwrap();
    assert_eq!(store.revoke_setup_link(acme.id, a.id).await.unwrap(), Revocation::AlreadyRevoked(first));
    assert!(store.setup_link_by_hash(&o.hash).await.unwrap().unwrap().revoked.is_none());
    store.touch_setup_link(b2.id).await.unwrap();
    assert!(store.setup_link_by_hash(&b2.hash).await.unwrap().unwrap().last_used.is_some());
    // A link of no tenant cannot be made.
    let err = store.create_setup_link(link(Uuid::now_v7(), &["scim"])).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

contract! {
    tokio: [setup_links_are_found_by_hash_listed_revoked_once_and_kept_per_tenant],
}
