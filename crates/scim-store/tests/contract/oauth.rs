//! OAuth clients (found by id, listed per tenant, revoked once, touched)
//! and scimd's signing keys (one in use; adding one retires the other at
//! the same instant; old retired ones dropped).

use scim_store::{NewOAuthClient, Revocation, SigningKey, StoreError};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Backend, contract};

fn client(tenant: Uuid, name: &str) -> NewOAuthClient {
    NewOAuthClient {
        tenant,
        name: name.into(),
        prefix: "scimd_abc".into(),
        hash: *Uuid::new_v4().as_bytes().repeat(2).first_chunk().unwrap(),
        scopes: vec!["admin".into(), "scim:read".into()],
    }
}

async fn oauth_clients_are_found_listed_revoked_once_and_kept_per_tenant(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = store.create_tenant("other", "Other").await.unwrap();
    let a = store.create_oauth_client(client(acme.id, "a")).await.unwrap();
    let b2 = store.create_oauth_client(client(acme.id, "b")).await.unwrap();
    let o = store.create_oauth_client(client(other.id, "o")).await.unwrap();
    assert_eq!(store.oauth_client(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.oauth_client(Uuid::now_v7()).await.unwrap(), None);
    let listed: Vec<Uuid> = store.list_oauth_clients(acme.id).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(listed, [a.id, b2.id], "oldest first, this tenant's only");
    assert_eq!(a.scopes, ["admin", "scim:read"]);
    // Another tenant's client cannot be revoked through this one.
    assert_eq!(store.revoke_oauth_client(acme.id, o.id).await.unwrap(), Revocation::NotFound);
    assert_eq!(store.revoke_oauth_client(acme.id, a.id).await.unwrap(), Revocation::Revoked);
    let first = store.oauth_client(a.id).await.unwrap().unwrap().revoked.unwrap();
    assert_eq!(store.revoke_oauth_client(acme.id, a.id).await.unwrap(), Revocation::AlreadyRevoked(first));
    assert!(store.oauth_client(o.id).await.unwrap().unwrap().revoked.is_none());
    store.touch_oauth_client(b2.id).await.unwrap();
    assert!(store.oauth_client(b2.id).await.unwrap().unwrap().last_used.is_some());
    // A client of no tenant cannot be made.
    let err = store.create_oauth_client(client(Uuid::now_v7(), "x")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

fn key(kid: &str, created: OffsetDateTime) -> SigningKey {
    SigningKey {
        kid: kid.into(),
        alg: "EdDSA".into(),
        private_key: format!("sealed:{kid}"),
        public_jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": kid, "kid": kid}),
        created,
        retired: None,
    }
}

async fn adding_a_signing_key_retires_the_one_in_use(b: Backend) {
    let (store, _acme, _db) = b.fresh().await;
    assert!(store.signing_keys().await.unwrap().is_empty());
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let t1 = t0 + time::Duration::hours(1);
    store.add_signing_key(key("k1", t0)).await.unwrap();
    store.add_signing_key(key("k2", t1)).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["k2", "k1"], "newest first");
    assert_eq!((keys[0].retired, keys[1].retired), (None, Some(t1)), "retired when the next came");
    assert_eq!(keys[1].private_key, "sealed:k1");
    assert_eq!(keys[1].public_jwk["kid"], "k1");
    // Retired before t1 + 1 s: k1 goes; the key in use never does.
    assert_eq!(store.drop_signing_keys(t1 + time::Duration::seconds(1)).await.unwrap(), 1);
    assert_eq!(store.drop_signing_keys(t1 + time::Duration::days(999)).await.unwrap(), 0);
    let kids: Vec<String> = store.signing_keys().await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, ["k2"]);
}

contract! {
    tokio: [
        oauth_clients_are_found_listed_revoked_once_and_kept_per_tenant,
        adding_a_signing_key_retires_the_one_in_use,
    ],
}
