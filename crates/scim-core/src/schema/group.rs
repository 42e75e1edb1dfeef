//! The core Group schema (RFC 7643 §4.2, §8.7.1). PLACEHOLDER: to be completed.
use super::{AttributeDef, Schema};

pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

pub fn group_schema() -> Schema {
    Schema {
        id: GROUP_URN.into(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: vec![AttributeDef::string("displayName").required()],
    }
}
