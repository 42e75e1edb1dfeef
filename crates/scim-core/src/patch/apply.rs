//! Applying PATCH operations to a document. PLACEHOLDER.
use serde_json::Value;

use super::PatchOperation;
use crate::error::ScimError;
use crate::schema::{ResourceType, SchemaRegistry};

/// Applies `ops` in order to `doc` (a full document). All apply or none:
/// on error `doc` is unchanged. Returns whether the document changed.
/// The caller re-validates the result with `resource::prepare(Mode::Patched)`.
pub fn apply(
    doc: &mut Value,
    ops: &[PatchOperation],
    schemas: &SchemaRegistry,
    rt: &ResourceType,
) -> Result<bool, ScimError> {
    let _ = (doc, ops, schemas, rt);
    Ok(false)
}
