//! The SCIM schema model (RFC 7643 §2, §7): attribute definitions with all
//! their characteristics, schemas, resource types, and the registry that
//! resolves attribute paths against them.
//!
//! The standard schemas live in `user.rs`, `group.rs`, `enterprise.rs`; the
//! common attributes (`id`, `externalId`, `meta`, RFC 7643 §3.1) in
//! `common.rs`; the `/Schemas` and `/ResourceTypes` JSON in `representation.rs`.

mod common;
mod custom;
mod enterprise;
mod group;
mod registry;
mod representation;
mod user;

pub use common::common_attributes;
pub use custom::{MAX_EXTENSION_ATTRIBUTES, parse_extension_schema};
pub use enterprise::{ENTERPRISE_USER_URN, enterprise_user_schema};
pub use group::{GROUP_URN, group_schema};
pub use registry::{DEFAULT_MAX_VALUES, Resolved, SchemaRegistry, UnknownExtensions};
pub use representation::{RESOURCE_TYPE_URN, SCHEMA_URN, attribute_json, resource_type_json, schema_json};
pub use user::{USER_URN, user_schema};

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
            AttrType::Binary => "binary",
        }
    }
    /// Parses the RFC spelling, case-insensitively (for tenant-declared schemas).
    pub fn parse(s: &str) -> Option<Self> {
        [
            AttrType::String,
            AttrType::Boolean,
            AttrType::Decimal,
            AttrType::Integer,
            AttrType::DateTime,
            AttrType::Reference,
            AttrType::Complex,
            AttrType::Binary,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// RFC 7643 §7 "mutability".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 "returned".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 "uniqueness".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with every characteristic of RFC 7643 §2.2/§7.
/// Defaults (from [`AttributeDef::new`]) are the RFC's: single-valued, not
/// required, not case-exact, readWrite, returned by default, no uniqueness.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    pub name: String,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: String,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: Vec<String>,
    pub reference_types: Vec<String>,
    pub sub_attributes: Vec<AttributeDef>,
}

impl AttributeDef {
    pub fn new(name: &str, ty: AttrType) -> Self {
        AttributeDef {
            name: name.to_owned(),
            ty,
            multi_valued: false,
            description: String::new(),
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }
    pub fn string(name: &str) -> Self {
        Self::new(name, AttrType::String)
    }
    pub fn boolean(name: &str) -> Self {
        Self::new(name, AttrType::Boolean)
    }
    pub fn complex(name: &str, subs: Vec<AttributeDef>) -> Self {
        let mut a = Self::new(name, AttrType::Complex);
        a.sub_attributes = subs;
        a
    }
    pub fn reference(name: &str, types: &[&str]) -> Self {
        let mut a = Self::new(name, AttrType::Reference);
        a.reference_types = types.iter().map(|s| (*s).to_owned()).collect();
        a
    }
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    pub fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    pub fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    pub fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|s| (*s).to_owned()).collect();
        self
    }
    pub fn describe(mut self, d: &str) -> Self {
        self.description = d.to_owned();
        self
    }
    /// The sub-attribute called `name`, case-insensitively.
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema (RFC 7643 §7): its URN, name, description and attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub id: String,
    pub name: String,
    pub description: String,
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// The top-level attribute called `name`, case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema extension of a resource type (RFC 7643 §6 `schemaExtensions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaExtension {
    pub schema: String,
    pub required: bool,
}

/// A resource type (RFC 7643 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// `User`, `Group`: also the `id` and `meta.resourceType`.
    pub name: String,
    /// `/Users`, `/Groups`.
    pub endpoint: String,
    pub description: String,
    /// The core schema URN.
    pub schema: String,
    pub extensions: Vec<SchemaExtension>,
}

impl ResourceType {
    /// Every schema URN a resource of this type may carry: core first.
    pub fn schema_urns(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.schema.as_str()).chain(self.extensions.iter().map(|e| e.schema.as_str()))
    }
}
