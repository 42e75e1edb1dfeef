//! The core User schema (RFC 7643 §4.1, §8.7.1). PLACEHOLDER: to be completed.
use super::{AttributeDef, Schema};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

pub fn user_schema() -> Schema {
    Schema {
        id: USER_URN.into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![AttributeDef::string("userName").required()],
    }
}
