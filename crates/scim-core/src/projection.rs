//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) honouring each
//! attribute's `returned` characteristic (RFC 7643 §7). PLACEHOLDER.
use serde_json::Value;

use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{ResourceType, SchemaRegistry};

/// Which attributes a response carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    /// Parses the comma-separated query parameters. Errors are
    /// `400 invalidValue` (or `invalidPath`) naming the bad entry.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        let _ = (attributes, excluded);
        Ok(Projection::default())
    }

    /// Applies the projection to a full resource (stored attributes, `id`,
    /// `meta`, derived `groups`/`members`). `returned: never` attributes are
    /// always dropped, `always` ones always kept.
    pub fn apply(&self, resource: &Value, schemas: &SchemaRegistry, rt: &ResourceType) -> Value {
        let _ = (schemas, rt);
        resource.clone()
    }

    /// Whether the response may carry the top-level core attribute `attr`
    /// (e.g. `members`), so that the server can skip loading it.
    pub fn includes(&self, attr: &str, schemas: &SchemaRegistry, rt: &ResourceType) -> bool {
        let _ = (attr, schemas, rt);
        true
    }
}
