//! The reference evaluator. PLACEHOLDER.
use serde_json::Value;

use super::Filter;
use crate::error::ScimError;
use crate::schema::{AttributeDef, ResourceType, SchemaRegistry};

/// Checks a parsed filter against the schema: `gt/ge/lt/le` on boolean or
/// binary attributes is `invalidFilter`, and so on.
pub fn validate(filter: &Filter, schemas: &SchemaRegistry, rt: &ResourceType) -> Result<(), ScimError> {
    let _ = (filter, schemas, rt);
    Ok(())
}

/// True when `resource` (a full document: stored attributes plus `id` and
/// `meta`) matches `filter`.
pub fn matches(filter: &Filter, resource: &Value, schemas: &SchemaRegistry, rt: &ResourceType) -> bool {
    let _ = (filter, resource, schemas, rt);
    false
}

/// True when one value of the multi-valued complex attribute `attr` (an
/// element such as `{"value": "…", "type": "work"}`) matches `filter`, whose
/// paths are relative to the element (value-path filters, PATCH paths).
pub fn matches_element(filter: &Filter, element: &Value, attr: &AttributeDef) -> bool {
    let _ = (filter, element, attr);
    false
}
