//! Tenants, tokens, audit-only writes.

use scim_store::{AuditEntry, DeletePolicy, NewToken, ResourceKind, StoreError, TenantSettings};
use serde_json::json;
use uuid::Uuid;

use crate::{ctx, file};

#[tokio::test]
async fn tenants_round_trip_and_slugs_are_unique() {
    let (store, tenant, _db) = file().await;
    assert!(store.ping().await.is_ok());
    let found = store.tenant_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(found, tenant);
    assert_eq!(found.settings.delete_policy, DeletePolicy::Soft);
    assert!(store.tenant_by_slug("nope").await.unwrap().is_none());
    let err = store.create_tenant("acme", "Again").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    store.create_tenant("beta", "Beta").await.unwrap();
    let slugs: Vec<String> = store.list_tenants().await.unwrap().into_iter().map(|t| t.slug).collect();
    assert_eq!(slugs, ["acme", "beta"]);
    let settings = TenantSettings {
        delete_policy: DeletePolicy::Hard,
        extensions: vec![scim_store::TenantExtension {
            resource_type: "User".into(),
            required: true,
            schema: json!({ "id": "urn:example:acme:1.0:User", "attributes": [{ "name": "costCenter" }] }),
        }],
        unknown_extensions: scim_core::schema::UnknownExtensions::Keep,
    };
    store.update_tenant_settings(tenant.id, &settings).await.unwrap();
    let found = store.tenant_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(found.settings, settings);
    let err = store.update_tenant_settings(Uuid::now_v7(), &TenantSettings::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound));
}

#[tokio::test]
async fn tokens_are_found_by_hash_listed_revoked_and_touched() {
    let (store, tenant, _db) = file().await;
    let hash = [7u8; 32];
    let token = store
        .create_token(NewToken {
            tenant: tenant.id,
            name: "okta".into(),
            prefix: "scimd_AbC".into(),
            hash,
            scopes: vec!["scim".into()],
            expires: None,
        })
        .await
        .unwrap();
    let found = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(found, token);
    assert!(store.token_by_hash(&[8u8; 32]).await.unwrap().is_none());
    assert_eq!(store.list_tokens(tenant.id).await.unwrap(), vec![token.clone()]);

    store.touch_token(token.id).await.unwrap();
    let touched = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert!(touched.last_used.is_some());

    assert!(store.revoke_token(tenant.id, token.id).await.unwrap());
    assert!(!store.revoke_token(Uuid::now_v7(), token.id).await.unwrap(), "another tenant's token");
    let revoked = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert!(revoked.revoked.is_some());

    let dup = NewToken {
        tenant: tenant.id,
        name: "dup".into(),
        prefix: "scimd_x".into(),
        hash,
        scopes: vec![],
        expires: None,
    };
    assert!(matches!(store.create_token(dup).await, Err(StoreError::Conflict(_))));
}

#[tokio::test]
async fn write_audit_records_refusals_newest_first() {
    let (store, tenant, _db) = file().await;
    for status in [400u16, 409] {
        store
            .write_audit(AuditEntry {
                tenant: Some(tenant.id),
                context: ctx("POST"),
                resource_kind: Some(ResourceKind::User),
                resource_id: None,
                status,
                detail: json!({"error": "refused"}),
            })
            .await
            .unwrap();
    }
    let log = store.list_audit(tenant.id, 10).await.unwrap();
    assert_eq!(log.iter().map(|r| r.entry.status).collect::<Vec<_>>(), [409, 400]);
    assert_eq!(log[0].entry.context, ctx("POST"));
    assert_eq!(log[0].entry.detail, json!({"error": "refused"}));
    assert_eq!(store.list_audit(tenant.id, 1).await.unwrap().len(), 1);
}
