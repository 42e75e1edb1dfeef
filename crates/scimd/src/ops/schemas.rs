//! A tenant's custom schema extensions (RFC 7643 §3.3, §7) and what
//! requests may do with extension URNs it has not declared. All of it lives
//! in the tenant's settings, changed by compare-and-set
//! ([`Ops::update_settings`]); the registry requests are checked against is
//! built from them ([`super::tenants::tenant_registry`]).

use scim_core::schema::{Schema, UnknownExtensions, parse_extension_schema};
use scim_core::{ResourceKind, ScimError};
use scim_store::{Tenant, TenantExtension};
use serde::Serialize;
use serde_json::Value;

use super::Ops;
use super::error::{OpError, OpResult};
use super::tenants::{declared_urn, tenant_registry};

/// One declared extension as the server sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaEntry {
    /// The URN it declares (`None` when the stored schema has no `id`).
    pub id: Option<String>,
    pub name: Option<String>,
    pub resource_type: String,
    pub required: bool,
    /// Its top-level attribute names (empty when it does not load).
    pub attributes: Vec<String>,
    /// The schema as stored.
    pub schema: Value,
    /// Why it does not load, if it does not (it is then left out).
    pub error: Option<String>,
}

impl SchemaEntry {
    fn of(schema: &Schema, resource_type: &str, required: bool, raw: Value) -> Self {
        SchemaEntry {
            id: Some(schema.id.clone()),
            name: Some(schema.name.clone()),
            resource_type: resource_type.to_owned(),
            required,
            attributes: schema.attributes.iter().map(|a| a.name.clone()).collect(),
            schema: raw,
            error: None,
        }
    }
}

impl Ops {
    /// Declares `raw` (an RFC 7643 §7 schema) as an extension of `kind`'s
    /// resource type. Refuses an invalid schema (the error names the
    /// attribute), a standard SCIM URN, and a URN the tenant declares
    /// already, even one whose stored schema no longer loads: fixing it
    /// means removing it first, not shadowing it.
    pub async fn add_schema(
        &self,
        slug: &str,
        kind: ResourceKind,
        required: bool,
        raw: Value,
    ) -> OpResult<SchemaEntry> {
        let schema = parse_extension_schema(&raw)?;
        let entry = SchemaEntry::of(&schema, kind.as_str(), required, raw.clone());
        self.update_settings(slug, None, |settings| {
            if settings.extensions.iter().filter_map(declared_urn).any(|u| u.eq_ignore_ascii_case(&schema.id)) {
                return Err(OpError::Refused(ScimError::new(
                    409,
                    None,
                    format!("tenant {slug:?} already declares {}; remove it first to replace it", schema.id),
                )));
            }
            // The same registry requests are served with refuses standard
            // URNs and conflicts, so what is saved here is what will load.
            let (mut registry, _) = tenant_registry(settings);
            registry.add_extension(kind.as_str(), schema.clone(), required)?;
            settings.extensions.push(TenantExtension {
                resource_type: kind.as_str().to_owned(),
                required,
                schema: raw.clone(),
            });
            Ok(())
        })
        .await?;
        Ok(entry)
    }

    /// Removes the extension `urn` (case-insensitive). Data stored under
    /// it stays in the resources and is returned as stored.
    pub async fn remove_schema(&self, slug: &str, urn: &str) -> OpResult<()> {
        self.update_settings(slug, None, |settings| {
            let before = settings.extensions.len();
            settings.extensions.retain(|e| !declared_urn(e).is_some_and(|u| u.eq_ignore_ascii_case(urn)));
            if settings.extensions.len() == before {
                return Err(OpError::Refused(ScimError::not_found(format!(
                    "tenant {slug:?} declares no schema extension {urn}"
                ))));
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Sets what happens to extension URNs the tenant has not declared.
    pub async fn set_unknown_extensions(&self, slug: &str, policy: UnknownExtensions) -> OpResult<Tenant> {
        self.update_settings(slug, None, |settings| {
            settings.unknown_extensions = policy;
            Ok(())
        })
        .await
    }

    /// The tenant (for its unknown-extension policy) and each declared
    /// extension, in declaration order, with why it does not load if it
    /// does not.
    pub async fn list_schemas(&self, slug: &str) -> OpResult<(Tenant, Vec<SchemaEntry>)> {
        let tenant = self
            .store
            .tenant_by_slug(slug)
            .await?
            .ok_or_else(|| OpError::Refused(ScimError::not_found(format!("no tenant {slug:?}"))))?;
        let (_, skipped) = tenant_registry(&tenant.settings);
        let entries = tenant
            .settings
            .extensions
            .iter()
            .enumerate()
            .map(|(i, ext)| {
                let mut entry = match parse_extension_schema(&ext.schema) {
                    Ok(s) => SchemaEntry::of(&s, &ext.resource_type, ext.required, ext.schema.clone()),
                    Err(_) => SchemaEntry {
                        id: declared_urn(ext).map(str::to_owned),
                        name: None,
                        resource_type: ext.resource_type.clone(),
                        required: ext.required,
                        attributes: Vec::new(),
                        schema: ext.schema.clone(),
                        error: None,
                    },
                };
                entry.error = skipped.iter().find(|(j, _)| *j == i).map(|(_, e)| e.detail.clone());
                entry
            })
            .collect();
        Ok((tenant, entries))
    }
}
