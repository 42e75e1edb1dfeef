//! The schema registry: the schemas and resource types a tenant serves, and
//! resolution of attribute paths against them (case-insensitive names,
//! URN-qualified names, the common attributes).

use super::{
    AttributeDef, ENTERPRISE_USER_URN, GROUP_URN, ResourceType, Schema, SchemaExtension, USER_URN, Uniqueness,
    common_attributes, enterprise_user_schema, group_schema, user_schema,
};
use crate::error::ScimError;
use crate::path::AttrPath;

/// The schemas and resource types of one tenant. [`SchemaRegistry::standard`]
/// holds User (with the Enterprise User extension) and Group; tenants may add
/// extension schemas at run time with [`SchemaRegistry::add_extension`].
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaRegistry {
    schemas: Vec<Schema>,
    resource_types: Vec<ResourceType>,
    unknown_extensions: UnknownExtensions,
    /// The most values one multi-valued attribute may hold in a resource.
    max_values: usize,
}

/// The default of [`SchemaRegistry::max_values`]: far above any identity
/// provider's emails or phone numbers, far below what would make one
/// resource a memory or CPU problem.
pub const DEFAULT_MAX_VALUES: usize = 1_000;

/// What a resource body may do with an extension URN its resource type
/// does not declare (a tenant setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownExtensions {
    /// `400 invalidValue` naming the URN and the declared extensions.
    #[default]
    Reject,
    /// The extension object is stored verbatim (and its URN listed in
    /// `schemas`) and returned as stored; its attributes have no definition,
    /// so they cannot be filtered, sorted on or addressed by PATCH paths.
    Keep,
}

/// A path resolved against a resource type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    /// The URN of the schema that owns the attribute (the core schema for
    /// common and core attributes).
    pub schema_urn: &'a str,
    /// True when the attribute lives under its schema URN in the document.
    pub is_extension: bool,
    pub attr: &'a AttributeDef,
    pub sub: Option<&'a AttributeDef>,
}

impl<'a> Resolved<'a> {
    /// The definition the path finally names (the sub-attribute if any).
    pub fn target(&self) -> &'a AttributeDef {
        self.sub.unwrap_or(self.attr)
    }
}

impl SchemaRegistry {
    /// User + Enterprise User extension, and Group.
    pub fn standard() -> Self {
        SchemaRegistry {
            schemas: vec![user_schema(), group_schema(), enterprise_user_schema()],
            resource_types: vec![
                ResourceType {
                    name: "User".into(),
                    endpoint: "/Users".into(),
                    description: "User Account".into(),
                    schema: USER_URN.into(),
                    extensions: vec![SchemaExtension { schema: ENTERPRISE_USER_URN.into(), required: false }],
                },
                ResourceType {
                    name: "Group".into(),
                    endpoint: "/Groups".into(),
                    description: "Group".into(),
                    schema: GROUP_URN.into(),
                    extensions: vec![],
                },
            ],
            unknown_extensions: UnknownExtensions::Reject,
            max_values: DEFAULT_MAX_VALUES,
        }
    }

    /// Sets what resource bodies may do with undeclared extension URNs
    /// (read by `resource::prepare`); the standard registry rejects them.
    pub fn with_unknown_extensions(mut self, policy: UnknownExtensions) -> Self {
        self.unknown_extensions = policy;
        self
    }

    /// Whether group `displayName`s are unique in the tenant (the store
    /// enforces it; this is what `/Schemas` says): on in the standard
    /// registry.
    pub fn with_unique_group_names(mut self, unique: bool) -> Self {
        let uniqueness = if unique { Uniqueness::Server } else { Uniqueness::None };
        let display_name = self
            .schemas
            .iter_mut()
            .filter(|s| s.id == GROUP_URN)
            .flat_map(|s| s.attributes.iter_mut())
            .find(|a| a.name == "displayName");
        if let Some(attr) = display_name {
            attr.uniqueness = uniqueness;
        }
        self
    }

    pub fn unknown_extensions(&self) -> UnknownExtensions {
        self.unknown_extensions
    }

    /// Caps the values of any multi-valued attribute (other than a group's
    /// `members`) at `max` per resource: more is `400 invalidValue`.
    pub fn with_max_values(mut self, max: usize) -> Self {
        self.max_values = max;
        self
    }

    pub fn max_values(&self) -> usize {
        self.max_values
    }

    /// Declares an extension schema on a resource type (a tenant's custom
    /// `urn:…:extension:…`). Refuses a URN that is already known or a
    /// resource type that is not.
    pub fn add_extension(&mut self, resource_type: &str, schema: Schema, required: bool) -> Result<(), ScimError> {
        if self.schema(&schema.id).is_some() {
            return Err(ScimError::uniqueness(format!("schema {} is already declared", schema.id)));
        }
        let rt = self
            .resource_types
            .iter_mut()
            .find(|r| r.name.eq_ignore_ascii_case(resource_type))
            .ok_or_else(|| ScimError::invalid_value(format!("unknown resource type {resource_type}")))?;
        rt.extensions.push(SchemaExtension { schema: schema.id.clone(), required });
        self.schemas.push(schema);
        Ok(())
    }

    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The schema with this URN (case-insensitive, RFC 7643 §2.1).
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The resource type by name (`User`) or endpoint (`/Users`, `Users`).
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        let trimmed = name.trim_start_matches('/');
        self.resource_types.iter().find(|r| {
            r.name.eq_ignore_ascii_case(name) || r.endpoint.trim_start_matches('/').eq_ignore_ascii_case(trimmed)
        })
    }

    /// The extension schema of `rt` whose URN is `urn` (case-insensitive).
    pub fn extension_of<'a>(&'a self, rt: &ResourceType, urn: &str) -> Option<&'a Schema> {
        rt.extensions.iter().find(|e| e.schema.eq_ignore_ascii_case(urn)).and_then(|e| self.schema(&e.schema))
    }

    /// Resolves `path` against `rt`: common attributes, then the core schema,
    /// then (for URN-qualified paths) the named schema. Returns `None` when
    /// the path names nothing this resource type has. A path naming a whole
    /// extension (`urn:…:enterprise:2.0:User`) is not an attribute: use
    /// [`SchemaRegistry::extension_of`] with [`AttrPath::as_schema_urn`].
    pub fn resolve<'a>(&'a self, rt: &'a ResourceType, path: &AttrPath) -> Option<Resolved<'a>> {
        let (schema_urn, is_extension, attr) = match &path.urn {
            None => {
                if let Some(a) = common_attributes().iter().find(|a| a.name.eq_ignore_ascii_case(&path.attr)) {
                    (rt.schema.as_str(), false, a)
                } else if let Some(a) = self.schema(&rt.schema).and_then(|core| core.attribute(&path.attr)) {
                    (rt.schema.as_str(), false, a)
                } else {
                    // RFC 7644 §3.10 asks for URN-qualified extension names,
                    // but Microsoft Entra filters on `manager eq "…"`: an
                    // unqualified name that exactly one extension of the
                    // resource type defines resolves to it.
                    let mut found = rt
                        .extensions
                        .iter()
                        .filter_map(|e| self.schema(&e.schema))
                        .filter_map(|ext| Some((ext, ext.attribute(&path.attr)?)));
                    let (ext, a) = found.next()?;
                    if found.next().is_some() {
                        return None;
                    }
                    (ext.id.as_str(), true, a)
                }
            }
            Some(urn) if urn.eq_ignore_ascii_case(&rt.schema) => {
                let a = common_attributes()
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(&path.attr))
                    .or_else(|| self.schema(&rt.schema).and_then(|s| s.attribute(&path.attr)))?;
                (rt.schema.as_str(), false, a)
            }
            Some(urn) => {
                let ext = self.extension_of(rt, urn)?;
                (ext.id.as_str(), true, ext.attribute(&path.attr)?)
            }
        };
        let sub = match &path.sub_attr {
            None => None,
            Some(s) => Some(attr.sub(s)?),
        };
        Some(Resolved { schema_urn, is_extension, attr, sub })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_name_uniqueness_is_server_unless_turned_off() {
        let name = |reg: &SchemaRegistry| {
            let group = reg.resource_type("Groups").unwrap();
            reg.resolve(group, &AttrPath::parse("displayName").unwrap()).unwrap().attr.uniqueness
        };
        assert_eq!(name(&SchemaRegistry::standard()), Uniqueness::Server);
        assert_eq!(name(&SchemaRegistry::standard().with_unique_group_names(false)), Uniqueness::None);
        assert_eq!(name(&SchemaRegistry::standard().with_unique_group_names(true)), Uniqueness::Server);
    }

    #[test]
    fn resolves_core_common_and_extension_paths() {
        let reg = SchemaRegistry::standard();
        let user = reg.resource_type("Users").unwrap();
        let r = reg.resolve(user, &AttrPath::parse("USERNAME").unwrap()).unwrap();
        assert_eq!(r.attr.name, "userName");
        assert!(!r.is_extension);
        let r = reg.resolve(user, &AttrPath::parse("meta.lastModified").unwrap()).unwrap();
        assert_eq!(r.target().name, "lastModified");
        let r = reg
            .resolve(
                user,
                &AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap(),
            )
            .unwrap();
        assert!(r.is_extension);
        assert_eq!(r.target().name, "value");
        let r = reg
            .resolve(user, &AttrPath::parse("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").unwrap())
            .unwrap();
        assert_eq!(r.target().name, "givenName");
        assert!(reg.resolve(user, &AttrPath::parse("nope").unwrap()).is_none());
        // An unqualified extension attribute resolves to its extension.
        let r = reg.resolve(user, &AttrPath::parse("manager.value").unwrap()).unwrap();
        assert!(r.is_extension);
        assert_eq!(r.schema_urn, ENTERPRISE_USER_URN);
        assert_eq!(r.target().name, "value");
        let group = reg.resource_type("Group").unwrap();
        assert!(reg.resolve(group, &AttrPath::parse("userName").unwrap()).is_none());
    }
}
