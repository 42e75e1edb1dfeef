//! The Enterprise User extension (RFC 7643 §4.3, §8.7.1). PLACEHOLDER: to be completed.
use super::{AttributeDef, Schema};

pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub fn enterprise_user_schema() -> Schema {
    Schema {
        id: ENTERPRISE_USER_URN.into(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: vec![AttributeDef::string("employeeNumber")],
    }
}
