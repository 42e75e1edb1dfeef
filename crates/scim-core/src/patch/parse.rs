//! Parsing a PatchOp request body. PLACEHOLDER.
use serde_json::Value;

use super::PatchOperation;
use crate::error::ScimError;

/// Parses `{"schemas": [PatchOp URN], "Operations": [...]}`. `op` is matched
/// case-insensitively (Entra sends `"Replace"`).
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    let _ = body;
    Err(ScimError::invalid_syntax("PATCH is not implemented yet"))
}
