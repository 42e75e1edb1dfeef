//! PATCH (RFC 7644 §3.5.2): parsing the request, applying its operations to a
//! document atomically, and splitting off Group `members` operations, which
//! the store applies to its membership table instead of a JSON array.

mod apply;
mod members;
mod multi;
mod parse;
mod site;
#[cfg(test)]
mod tests;
mod values;

pub use apply::apply;
pub use members::{MemberChange, split_member_operations};
pub use parse::{parse_patch_path, parse_patch_request};

use serde_json::Value;

use crate::filter::Filter;
use crate::path::AttrPath;

/// The PatchOp message URN.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most operations one PATCH request may carry; more is `400 invalidSyntax`.
pub const MAX_OPERATIONS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    Add,
    Remove,
    Replace,
}

/// A PATCH path: `attrPath`, or `attrPath[valFilter]` optionally followed by
/// `.subAttr` (RFC 7644 §3.5.2 "PATH" ABNF).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// Only with `filter`: `emails[type eq "work"].value`.
    pub sub_attr: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}
