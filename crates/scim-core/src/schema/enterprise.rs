//! The Enterprise User extension,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (RFC 7643 §4.3
//! and its normative JSON in §8.7.1).

use super::{AttributeDef, Mutability, Schema};

pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The Enterprise User extension with every attribute and characteristic.
pub fn enterprise_user_schema() -> Schema {
    Schema {
        id: ENTERPRISE_USER_URN.into(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: vec![
            AttributeDef::string("employeeNumber").describe(
                "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire \
                 or association with an organization.",
            ),
            AttributeDef::string("costCenter").describe("Identifies the name of a cost center."),
            AttributeDef::string("organization").describe("Identifies the name of an organization."),
            AttributeDef::string("division").describe("Identifies the name of a division."),
            AttributeDef::string("department").describe("Identifies the name of a department."),
            AttributeDef::complex(
                "manager",
                vec![
                    AttributeDef::string("value")
                        .describe("The id of the SCIM resource representing the User's manager. RECOMMENDED."),
                    AttributeDef::reference("$ref", &["User"])
                        .describe("The URI of the SCIM resource representing the User's manager. RECOMMENDED."),
                    // Not in §8.7.1, but §4.3 defines it (read-only, set by
                    // the service provider) and the §8.3 example returns it.
                    AttributeDef::string("displayName")
                        .mutability(Mutability::ReadOnly)
                        .describe("The displayName of the User's manager. OPTIONAL and READ-ONLY."),
                ],
            )
            .describe(
                "The User's manager. A complex type that optionally allows service providers to represent \
                 organizational hierarchy by referencing the 'id' attribute of another User.",
            ),
        ],
    }
}
