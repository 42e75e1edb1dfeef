//! Tenants (settings by compare-and-set), tokens, and audit entries
//! written on their own.

use scim_store::{
    AuditEntry, DeletePolicy, NewAdminToken, NewToken, ResourceKind, Revocation, StoreError, TenantSettings,
};
use serde_json::json;
use uuid::Uuid;

use crate::{Backend, contract, ctx};

async fn tenants_round_trip_and_slugs_are_unique(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
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
        rate_limit: Some(50),
        unique_group_names: false,
        suspended: true,
        auth: scim_store::AuthSettings {
            mode: scim_store::AuthMode::Both,
            issuer: Some("https://idp.example.com".into()),
            ..Default::default()
        },
        enforce_domains: true,
    };
    assert!(tenant.settings.unique_group_names, "on for a new tenant");
    assert!(!tenant.settings.suspended, "a new tenant provisions");
    assert_eq!(tenant.settings_version, 1);
    let updated = store.update_tenant_settings(tenant.id, 1, &settings).await.unwrap();
    assert_eq!((updated.settings_version, &updated.settings), (2, &settings));
    let found = store.tenant_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(found, updated);
    assert_eq!(store.tenant_by_id(tenant.id).await.unwrap(), Some(updated.clone()));
    assert_eq!(store.tenant_by_id(Uuid::now_v7()).await.unwrap(), None);
    // Compare-and-set: a change computed from version 1 is refused now, and
    // changes nothing.
    let stale = store.update_tenant_settings(tenant.id, 1, &TenantSettings::default()).await.unwrap_err();
    assert!(matches!(stale, StoreError::VersionMismatch { current: 2 }), "{stale:?}");
    assert_eq!(store.tenant_by_id(tenant.id).await.unwrap(), Some(updated));
    let err = store.update_tenant_settings(Uuid::now_v7(), 1, &TenantSettings::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    // Another tenant's settings are its own.
    let beta = store.tenant_by_slug("beta").await.unwrap().unwrap();
    assert_eq!((beta.settings_version, beta.settings), (1, TenantSettings::default()));
}

/// Two administrators changing settings at once: exactly one
/// compare-and-set from a given version wins.
async fn concurrent_settings_changes_cannot_both_win(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let mut tasks = Vec::new();
    for policy in [DeletePolicy::Hard, DeletePolicy::Soft, DeletePolicy::Hard, DeletePolicy::Soft] {
        let store = std::sync::Arc::clone(&store);
        let settings = TenantSettings { delete_policy: policy, ..TenantSettings::default() };
        tasks.push(tokio::spawn(async move { store.update_tenant_settings(tenant.id, 1, &settings).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(t) => {
                won += 1;
                assert_eq!(t.settings_version, 2);
            }
            Err(StoreError::VersionMismatch { current }) => assert_eq!(current, 2),
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(won, 1);
}

async fn tokens_are_found_by_hash_listed_revoked_and_touched(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let hash = [7u8; 32];
    let token = store
        .create_token(NewToken {
            tenant: tenant.id,
            name: "okta".into(),
            prefix: "scimd_AbC".into(),
            hash,
            scopes: vec!["scim".into()],
            expires: None,
            replaces: None,
        })
        .await
        .unwrap();
    let found = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(found, token);
    assert!(store.token_by_hash(&[8u8; 32]).await.unwrap().is_none());
    assert_eq!(store.list_tokens(tenant.id).await.unwrap(), vec![token.clone()]);

    // Expiry only ever moves earlier, and only for the tenant's own token.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    store.expire_token(tenant.id, token.id, soon).await.unwrap();
    store.expire_token(tenant.id, token.id, soon + time::Duration::hours(1)).await.unwrap();
    let expires = store.token_by_hash(&hash).await.unwrap().unwrap().expires.unwrap();
    assert!((expires - soon).abs() < time::Duration::seconds(1), "{expires} vs {soon}");
    assert!(matches!(store.expire_token(Uuid::now_v7(), token.id, soon).await, Err(StoreError::NotFound)));

    store.touch_token(token.id, None).await.unwrap();
    let touched = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert!(touched.last_used.is_some());

    assert_eq!(store.revoke_token(tenant.id, token.id).await.unwrap(), Revocation::Revoked);
    assert_eq!(store.revoke_token(Uuid::now_v7(), token.id).await.unwrap(), Revocation::NotFound, "another tenant's");
    assert_eq!(store.revoke_token(tenant.id, Uuid::now_v7()).await.unwrap(), Revocation::NotFound);
    let revoked = store.token_by_hash(&hash).await.unwrap().unwrap();
    let at = revoked.revoked.expect("revoked");
    // Revoking again changes nothing and says when it was.
    assert_eq!(store.revoke_token(tenant.id, token.id).await.unwrap(), Revocation::AlreadyRevoked(at));
    assert_eq!(store.token_by_hash(&hash).await.unwrap().unwrap().revoked, Some(at));

    let dup = NewToken {
        tenant: tenant.id,
        name: "dup".into(),
        prefix: "scimd_x".into(),
        hash,
        scopes: vec![],
        expires: None,
        replaces: None,
    };
    assert!(matches!(store.create_token(dup).await, Err(StoreError::Conflict(_))));
    let orphan = NewToken {
        tenant: Uuid::now_v7(),
        name: "orphan".into(),
        prefix: "scimd_y".into(),
        hash: [9u8; 32],
        scopes: vec![],
        expires: None,
        replaces: None,
    };
    assert!(matches!(store.create_token(orphan).await, Err(StoreError::NotFound)));
    // Another tenant sees none of them.
    let other = store.create_tenant("other", "Other").await.unwrap();
    assert_eq!(store.list_tokens(other.id).await.unwrap(), vec![]);
}

async fn admin_tokens_are_found_listed_revoked_expired_and_linked(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let new = |name: &str, hash: u8, replaces: Option<Uuid>| NewAdminToken {
        name: name.into(),
        prefix: "scimd_admin_AbC".into(),
        hash: [hash; 32],
        scopes: vec!["tenants:read".into(), "audit:read".into()],
        tenants: vec![tenant.id],
        expires: None,
        replaces,
    };
    let first = store.create_admin_token(new("host app", 1, None)).await.unwrap();
    assert_eq!(store.admin_token_by_hash(&[1; 32]).await.unwrap().as_ref(), Some(&first));
    assert_eq!(first.scopes, ["tenants:read", "audit:read"]);
    assert_eq!(first.tenants, [tenant.id]);
    assert!(store.admin_token_by_hash(&[2; 32]).await.unwrap().is_none());
    // A SCIM token's hash is not an admin token, nor the other way round.
    assert!(store.token_by_hash(&[1; 32]).await.unwrap().is_none());
    assert!(matches!(store.create_admin_token(new("dup", 1, None)).await, Err(StoreError::Conflict(_))));

    let second = store.create_admin_token(new("rotated", 2, Some(first.id))).await.unwrap();
    assert_eq!(second.replaces, Some(first.id));
    let ids: Vec<Uuid> = store.list_admin_tokens().await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(ids, [first.id, second.id]);

    // Expiry only ever moves earlier.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    store.expire_admin_token(first.id, soon).await.unwrap();
    store.expire_admin_token(first.id, soon + time::Duration::hours(1)).await.unwrap();
    let expires = store.admin_token_by_hash(&[1; 32]).await.unwrap().unwrap().expires.unwrap();
    assert!((expires - soon).abs() < time::Duration::seconds(1), "{expires} vs {soon}");
    assert!(matches!(store.expire_admin_token(Uuid::now_v7(), soon).await, Err(StoreError::NotFound)));

    store.touch_admin_token(second.id).await.unwrap();
    assert!(store.admin_token_by_hash(&[2; 32]).await.unwrap().unwrap().last_used.is_some());
    assert_eq!(store.revoke_admin_token(second.id).await.unwrap(), Revocation::Revoked);
    let at = store.admin_token_by_hash(&[2; 32]).await.unwrap().unwrap().revoked.expect("revoked");
    assert_eq!(store.revoke_admin_token(second.id).await.unwrap(), Revocation::AlreadyRevoked(at));
    assert_eq!(store.revoke_admin_token(Uuid::now_v7()).await.unwrap(), Revocation::NotFound);

    // Audit entries name the admin token that made a change.
    let mut context = ctx("POST");
    context.admin_token = Some(first.id);
    let entry = AuditEntry {
        tenant: Some(tenant.id),
        context,
        resource_kind: None,
        resource_id: None,
        status: 201,
        detail: json!({"admin": "tenant created"}),
    };
    store.write_audit(entry.clone()).await.unwrap();
    assert_eq!(store.list_audit(tenant.id, 1).await.unwrap()[0].entry, entry);
}

async fn write_audit_records_refusals_newest_first(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
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

async fn server_settings_are_kept_by_name(b: Backend) {
    let (store, _db) = b.store().await;
    assert_eq!(store.server_setting("public_url").await.unwrap(), None);
    store.set_server_setting("public_url", "http://127.0.0.1:8080").await.unwrap();
    store.set_server_setting("other", "x").await.unwrap();
    store.set_server_setting("public_url", "https://scim.example.com").await.unwrap();
    assert_eq!(store.server_setting("public_url").await.unwrap().as_deref(), Some("https://scim.example.com"));
    assert_eq!(store.server_setting("other").await.unwrap().as_deref(), Some("x"));
    assert_eq!(store.server_setting("PUBLIC_URL").await.unwrap(), None, "names are exact");
}

/// Erasing a tenant takes everything it holds and nothing of another's;
/// the all-tenants feed keeps its positions.
async fn erasing_a_tenant_takes_all_it_holds_and_nothing_else(b: Backend) {
    let (store, acme, _db) = b.fresh().await;
    let other = crate::churn(&store, acme.id).await;
    let user = crate::create(&store, acme.id, ResourceKind::User, crate::user_doc("member")).await;
    crate::create_with(&store, acme.id, ResourceKind::Group, crate::group_doc("team"), vec![crate::member(user.id)])
        .await;
    for tenant in [acme.id, other.id] {
        let token = NewToken {
            tenant,
            name: "t".into(),
            prefix: "scimd_x".into(),
            hash: rand_hash(),
            scopes: vec![],
            expires: None,
            replaces: None,
        };
        store.create_token(token).await.unwrap();
    }
    let others_before = store.list_events(other.id, 0, 1000).await.unwrap();
    let all_before = store.list_all_events(0, 10_000).await.unwrap();
    let last_position = all_before.last().unwrap().position;
    assert!(all_before.last().unwrap().tenant == acme.id, "the newest event is acme's");

    let client = scim_store::NewOAuthClient {
        tenant: acme.id,
        name: "c".into(),
        prefix: "scimd_c".into(),
        hash: rand_hash(),
        scopes: vec!["admin".into()],
    };
    let client = store.create_oauth_client(client).await.unwrap();
    let erased = store.erase_tenant(acme.id).await.unwrap();
    assert_eq!((erased.tokens, erased.oauth_clients), (1, 1));
    assert_eq!(store.oauth_client(client.id).await.unwrap(), None);
    assert!(erased.resources >= 8, "{erased:?}");
    assert_eq!(erased.memberships, 1);
    assert!(erased.events >= 8 && erased.audit_entries >= 1, "{erased:?}");
    assert_eq!(store.tenant_by_id(acme.id).await.unwrap(), None);
    assert_eq!(store.tenant_by_slug("acme").await.unwrap(), None);
    assert!(store.list_tokens(acme.id).await.unwrap().is_empty());
    assert!(store.list_events(acme.id, 0, 1000).await.unwrap().is_empty());
    assert!(store.list_audit(acme.id, 1000).await.unwrap().is_empty());
    assert_eq!(store.get_resource(acme.id, ResourceKind::User, user.id).await.unwrap(), None);
    // The other tenant keeps everything.
    assert_eq!(store.list_tokens(other.id).await.unwrap().len(), 1);
    assert_eq!(store.list_events(other.id, 0, 1000).await.unwrap(), others_before);
    assert!(store.list_all_events(0, 10_000).await.unwrap().iter().all(|e| e.tenant == other.id));
    // A new event takes a position past every one handed out before.
    let later = crate::create(&store, other.id, ResourceKind::User, crate::user_doc("later")).await;
    let newest = store.list_all_events(0, 10_000).await.unwrap().pop().unwrap();
    assert_eq!(newest.resource_id, later.id);
    assert!(newest.position > last_position, "{} after {last_position}", newest.position);
    // The slug is free again; a second erasure of the same id finds nothing.
    store.create_tenant("acme", "Acme again").await.unwrap();
    assert!(matches!(store.erase_tenant(acme.id).await, Err(StoreError::NotFound)));
}

fn rand_hash() -> [u8; 32] {
    *Uuid::new_v4().as_bytes().repeat(2).first_chunk().unwrap()
}

/// A token's use keeps the User-Agent of the request that recorded it:
/// none at first, the latest one after each use (a use without one clears
/// it), in the list as by hash, and only on that token.
async fn a_token_keeps_the_user_agent_of_its_last_use(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let new = |name: &str, hash: [u8; 32]| NewToken {
        tenant: tenant.id,
        name: name.into(),
        prefix: format!("scimd_{name}"),
        hash,
        scopes: vec![],
        expires: None,
        replaces: None,
    };
    let okta = store.create_token(new("okta", [1u8; 32])).await.unwrap();
    let other = store.create_token(new("other", [2u8; 32])).await.unwrap();
    assert_eq!(okta.last_user_agent, None);

    store.touch_token(okta.id, Some("Okta SCIM Client 1.0".into())).await.unwrap();
    let found = store.token_by_hash(&[1u8; 32]).await.unwrap().unwrap();
    assert_eq!(found.last_user_agent.as_deref(), Some("Okta SCIM Client 1.0"));
    assert!(found.last_used.is_some());
    let listed = store.list_tokens(tenant.id).await.unwrap();
    assert_eq!(listed[0].last_user_agent.as_deref(), Some("Okta SCIM Client 1.0"));
    assert_eq!(listed[1].last_user_agent, None, "only the token used");
    assert_eq!(listed[1].id, other.id);

    // Unicode is kept as given; the next use replaces it.
    let ua = "Microsoft.ActiveDirectory.Provisioning — ünïcode";
    store.touch_token(okta.id, Some(ua.into())).await.unwrap();
    assert_eq!(store.token_by_hash(&[1u8; 32]).await.unwrap().unwrap().last_user_agent.as_deref(), Some(ua));
    store.touch_token(okta.id, None).await.unwrap();
    assert_eq!(store.token_by_hash(&[1u8; 32]).await.unwrap().unwrap().last_user_agent, None);

    // A revoked token keeps what it had.
    store.touch_token(okta.id, Some("curl/8.5.0".into())).await.unwrap();
    store.revoke_token(tenant.id, okta.id).await.unwrap();
    let revoked = store.token_by_hash(&[1u8; 32]).await.unwrap().unwrap();
    assert!(revoked.revoked.is_some());
    assert_eq!(revoked.last_user_agent.as_deref(), Some("curl/8.5.0"));
}

contract! {
    tokio: [
        erasing_a_tenant_takes_all_it_holds_and_nothing_else,
        server_settings_are_kept_by_name,
        tenants_round_trip_and_slugs_are_unique,
        tokens_are_found_by_hash_listed_revoked_and_touched,
        a_token_keeps_the_user_agent_of_its_last_use,
    admin_tokens_are_found_listed_revoked_expired_and_linked,
        write_audit_records_refusals_newest_first,
    ],
    threaded: [concurrent_settings_changes_cannot_both_win],
}
