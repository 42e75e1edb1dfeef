//! Tenants (DESIGN §3, §6): creating and listing them, the tenant a request
//! names (cached with its schema registry), settings changed by
//! compare-and-set on their version, and the first start's tenant.

use std::sync::Arc;

use scim_core::ScimError;
use scim_core::schema::{SchemaRegistry, parse_extension_schema};
use scim_store::{AuditContext, Erasure, StoreError, Tenant, TenantExtension, TenantSettings};

use super::Ops;
use super::error::{OpError, OpResult};
use super::retry::Retries;
use super::slug::{self, Slug};
use super::tenant_auth::TenantJwt;
use super::tokens::IssuedToken;

/// The tenant a first start on an empty store creates.
pub const DEFAULT_TENANT: &str = "default";

/// A tenant as requests need it.
#[derive(Debug)]
pub struct TenantCtx {
    pub tenant: Tenant,
    /// Shared: the store's scan threads evaluate filters with it.
    pub registry: Arc<SchemaRegistry>,
    /// `<public_url>/scim/v2/<slug>`, no trailing slash.
    pub base_url: String,
    /// How its JWTs are checked, in the `jwt` and `both` modes.
    pub jwt: Option<Arc<TenantJwt>>,
}

impl Ops {
    /// The tenant with this slug, from the cache or the store; `None` for
    /// an unknown or malformed slug.
    pub async fn tenant(&self, slug: &str) -> OpResult<Option<Arc<TenantCtx>>> {
        if !slug::is_valid(slug) {
            return Ok(None);
        }
        if let Some(ctx) = self.tenants.get(slug) {
            return Ok(Some(ctx));
        }
        if self.unknown_tenants.get(slug).is_some() {
            return Ok(None);
        }
        let Some(tenant) = self.store.tenant_by_slug(slug).await? else {
            self.unknown_tenants.insert(slug.to_owned(), Arc::new(()));
            return Ok(None);
        };
        let ctx = Arc::new(self.context_of(tenant));
        self.tenants.insert(slug.to_owned(), ctx.clone());
        Ok(Some(ctx))
    }

    /// Logs the group names several live groups of a tenant share, kept
    /// from before names were unique (migration, or the tenant's rule off
    /// for a while): they keep working, and no new group can take such a
    /// name. Called once at start.
    pub async fn report_shared_group_names(&self) {
        const SHOWN: u32 = 100;
        let shared = match self.store.shared_group_names(SHOWN).await {
            Ok(shared) => shared,
            Err(e) => return tracing::warn!(error = %e, "could not look for group names shared by several groups"),
        };
        for s in &shared {
            let slug = match self.store.tenant_by_id(s.tenant).await {
                Ok(Some(t)) => t.slug,
                _ => s.tenant.to_string(),
            };
            tracing::warn!(
                tenant = %slug, name = %s.name, groups = s.groups,
                "groups share this displayName from before names were unique: they keep it, new groups cannot take it"
            );
        }
        if shared.len() == SHOWN as usize {
            tracing::warn!("more group names are shared than listed here");
        }
    }

    /// [`Self::tenant`], or 404 naming the slug.
    pub async fn require_tenant(&self, slug: &str) -> OpResult<Arc<TenantCtx>> {
        self.tenant(slug).await?.ok_or_else(|| OpError::Refused(ScimError::not_found(format!("no tenant {slug:?}"))))
    }

    fn context_of(&self, tenant: Tenant) -> TenantCtx {
        let (registry, skipped) = tenant_registry(&tenant.settings);
        let registry = registry.with_max_values(self.max_values);
        // A stored schema that no longer loads (hand-edited, or refused by a
        // newer scimd) must not take the tenant down: it is left out, and
        // said so on every load until someone fixes or removes it.
        for (i, e) in &skipped {
            let urn = tenant.settings.extensions.get(*i).and_then(declared_urn).unwrap_or("(no id)");
            tracing::warn!(tenant = %tenant.slug, schema = %urn, error = %e.detail, "schema extension skipped");
        }
        let jwt = self.tenant_jwt(&tenant);
        TenantCtx { base_url: self.scim_url(&tenant.slug), registry: Arc::new(registry), jwt, tenant }
    }

    /// Creates a tenant; the name defaults to the slug. A malformed slug is
    /// `400 invalidValue`, a taken one 409.
    pub async fn create_tenant(&self, slug: &str, name: Option<&str>) -> OpResult<Tenant> {
        let slug = Slug::parse(slug).map_err(ScimError::invalid_value)?;
        let name = name.unwrap_or(slug.as_str());
        let tenant = self.store.create_tenant(slug.as_str(), name).await?;
        self.unknown_tenants.invalidate(|key, _| key == slug.as_str());
        Ok(tenant)
    }

    pub async fn list_tenants(&self) -> OpResult<Vec<Tenant>> {
        Ok(self.store.list_tenants().await?)
    }

    /// Changes a tenant's settings with `change`, by compare-and-set on
    /// their version: two administrators editing at once cannot lose each
    /// other's change. With `if_version` (an admin's `If-Match`) a settings
    /// version other than that one is 412; without, a lost race is computed
    /// again from the current settings. A change that changes nothing
    /// writes nothing.
    pub async fn update_settings(
        &self,
        slug: &str,
        if_version: Option<i64>,
        mut change: impl FnMut(&mut TenantSettings) -> OpResult<()>,
    ) -> OpResult<Tenant> {
        let mut retries = Retries::new("the tenant's settings");
        let updated = loop {
            retries.next()?;
            // Read fresh, not from the cache: the version must be current.
            let tenant = self.store.tenant_by_slug(slug).await?.ok_or_else(|| no_tenant(slug))?;
            if if_version.is_some_and(|v| v != tenant.settings_version) {
                return Err(OpError::precondition_failed(tenant.settings_version));
            }
            let mut settings = tenant.settings.clone();
            change(&mut settings)?;
            if settings == tenant.settings {
                return Ok(tenant);
            }
            match self.store.update_tenant_settings(tenant.id, tenant.settings_version, &settings).await {
                Ok(updated) => break updated,
                Err(StoreError::VersionMismatch { .. }) if if_version.is_none() => continue,
                Err(StoreError::NotFound) => return Err(no_tenant(slug)),
                Err(e) => return Err(e.into()),
            }
        };
        // This process serves the new settings at once; others within the
        // cache's lifetime.
        self.tenants.invalidate(|key, _| key == slug);
        self.validated_jwts.invalidate(|_, (tenant, _)| *tenant == updated.id);
        Ok(updated)
    }

    /// Erases a tenant and all it holds (its tokens first, so nothing can
    /// write meanwhile). `confirm` must repeat the slug: erasure cannot be
    /// undone. A 404 for no such tenant; calling again finishes an erasure
    /// that was interrupted. The erasure is audited as a server entry
    /// (no tenant: it outlives the tenant), by `who`.
    pub async fn erase_tenant(&self, slug: &str, confirm: Option<&str>, who: AuditContext) -> OpResult<Erasure> {
        if confirm != Some(slug) {
            return Err(OpError::Refused(ScimError::invalid_value(format!(
                "erasing a tenant cannot be undone: repeat its slug as confirm={slug}"
            ))));
        }
        let tenant = self.store.tenant_by_slug(slug).await?.ok_or_else(|| no_tenant(slug))?;
        // This process stops taking the tenant's credentials at once.
        self.forget_tenant(&tenant);
        let erased = match self.store.erase_tenant(tenant.id).await {
            Err(StoreError::NotFound) => return Err(no_tenant(slug)),
            other => other?,
        };
        self.forget_tenant(&tenant);
        let detail = serde_json::json!({"tenant": {
            "erased": tenant.slug, "id": tenant.id, "name": tenant.name,
            "resources": erased.resources, "memberships": erased.memberships, "events": erased.events, "webhook_deliveries": erased.webhook_deliveries,
            "audit_entries": erased.audit_entries, "tokens": erased.tokens, "oauth_clients": erased.oauth_clients,
        }});
        self.record_admin_change(None, who, 204, detail).await;
        tracing::info!(tenant = %tenant.slug, id = %tenant.id, resources = erased.resources, "tenant erased");
        Ok(erased)
    }

    /// Drops everything this process caches of a tenant.
    fn forget_tenant(&self, tenant: &Tenant) {
        self.tenants.invalidate(|key, _| *key == tenant.slug);
        self.tokens.invalidate(|_, info| info.tenant == tenant.id);
        self.clients.invalidate(|_, client| client.tenant == tenant.id);
        self.validated_jwts.invalidate(|_, (t, _)| *t == tenant.id);
    }

    /// On a store without tenants (a first start): creates the tenant
    /// [`DEFAULT_TENANT`] with a token, for the caller to show once. `None`
    /// once any tenant exists, so the secret is never shown again.
    pub async fn ensure_first_tenant(&self) -> OpResult<Option<(Tenant, IssuedToken)>> {
        if !self.store.list_tenants().await?.is_empty() {
            return Ok(None);
        }
        let tenant = match self.store.create_tenant(DEFAULT_TENANT, "Default").await {
            Ok(t) => t,
            // Another process made it between the two calls.
            Err(StoreError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let token = self.issue_token(&tenant, "first-run", None).await?;
        Ok(Some((tenant, token)))
    }
}

fn no_tenant(slug: &str) -> OpError {
    OpError::Refused(ScimError::not_found(format!("no tenant {slug:?}")))
}

/// The schema registry a tenant's settings describe: the standard schemas,
/// each declared extension in order, and the unknown-extension policy.
/// Declared extensions that do not load are left out and returned with
/// the reason, by their index in `settings.extensions`.
pub fn tenant_registry(settings: &TenantSettings) -> (SchemaRegistry, Vec<(usize, ScimError)>) {
    let mut registry = SchemaRegistry::standard()
        .with_unknown_extensions(settings.unknown_extensions)
        .with_unique_group_names(settings.unique_group_names);
    let mut skipped = Vec::new();
    for (i, ext) in settings.extensions.iter().enumerate() {
        let added = parse_extension_schema(&ext.schema)
            .and_then(|schema| registry.add_extension(&ext.resource_type, schema, ext.required));
        if let Err(e) = added {
            skipped.push((i, e));
        }
    }
    (registry, skipped)
}

/// The URN a stored extension declares (its `id`, matched like
/// `parse_extension_schema` does: case-insensitively).
pub fn declared_urn(ext: &TenantExtension) -> Option<&str> {
    ext.schema.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("id")).and_then(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use scim_core::schema::UnknownExtensions;
    use serde_json::json;

    use super::*;

    fn ext(resource_type: &str, schema: serde_json::Value) -> TenantExtension {
        TenantExtension { resource_type: resource_type.into(), required: false, schema }
    }

    #[test]
    fn registry_follows_the_settings_and_skips_what_does_not_load() {
        let good = json!({ "id": "urn:example:acme:1.0:User", "attributes": [{ "name": "costCenter" }] });
        let settings = TenantSettings {
            extensions: vec![
                ext("User", good.clone()),
                ext("Group", json!({ "id": "urn:example:broken:1.0:Group", "attributes": [] })),
                ext("Widget", json!({ "id": "urn:example:w:1.0:W", "attributes": [{ "name": "a" }] })),
                ext("Group", good),
                ext("Group", json!("not a schema")),
            ],
            unknown_extensions: UnknownExtensions::Keep,
            ..TenantSettings::default()
        };
        let (reg, skipped) = tenant_registry(&settings);
        assert_eq!(reg.unknown_extensions(), UnknownExtensions::Keep);
        let user = reg.resource_type("User").unwrap();
        assert!(reg.extension_of(user, "urn:example:acme:1.0:User").is_some());
        let group = reg.resource_type("Group").unwrap();
        assert!(group.extensions.is_empty(), "{:?}", group.extensions);
        let indexes: Vec<usize> = skipped.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [1, 2, 3, 4]);
        assert_eq!(declared_urn(&settings.extensions[1]), Some("urn:example:broken:1.0:Group"));
        assert_eq!(declared_urn(&settings.extensions[4]), None);
        assert!(skipped[1].1.detail.contains("Widget"), "{}", skipped[1].1.detail);
    }
}
