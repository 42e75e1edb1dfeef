//! Group membership operations split out of a PATCH. PLACEHOLDER.
use serde_json::Value;

use super::PatchOperation;
use crate::error::ScimError;
use crate::filter::Filter;

/// One change to a group's membership, in request order.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Add these members (objects with a string `value`; `type`/`display`
    /// are hints). Adding an existing member is a no-op.
    Add(Vec<Value>),
    /// Remove the members with these ids (unknown ids are no-ops).
    Remove(Vec<String>),
    /// Remove the members matching a filter relative to a member
    /// (`members[type eq "Group"]`); the store evaluates it on member rows.
    RemoveMatching(Filter),
    /// Remove every member.
    RemoveAll,
    /// Replace the whole membership with these members.
    ReplaceAll(Vec<Value>),
}

/// Splits the operations that target `members` of a Group from the rest.
/// Operations without a path whose value object carries `members` are split
/// in two. Order within each list is kept.
pub fn split_member_operations(
    ops: Vec<PatchOperation>,
) -> Result<(Vec<PatchOperation>, Vec<MemberChange>), ScimError> {
    Ok((ops, Vec::new()))
}
