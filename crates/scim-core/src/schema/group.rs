//! The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group`
//! (RFC 7643 §4.2 and its normative JSON in §8.7.1).
//!
//! Where §4.2's prose or the §8.4 example disagree with §8.7.1, the prose and
//! the example win; each such decision is noted next to the attribute.

use super::{AttributeDef, Mutability, Schema, Uniqueness};

pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The Group schema with every attribute and characteristic.
pub fn group_schema() -> Schema {
    let imm = Mutability::Immutable;
    Schema {
        id: GROUP_URN.into(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: vec![
            // §8.7.1 says `required: false`, but §4.2 says displayName is
            // REQUIRED: the prose wins.
            // Unique per tenant (case-insensitively) by default, as Microsoft
            // asks of SCIM endpoints integrated with Entra ID; a tenant may
            // turn it off (`SchemaRegistry::with_unique_group_names`).
            AttributeDef::string("displayName")
                .required()
                .uniqueness(Uniqueness::Server)
                .describe("A human-readable name for the Group. REQUIRED."),
            AttributeDef::complex(
                "members",
                vec![
                    // A member is identified by `value`; changing it would make
                    // it another member, so it is immutable (§8.7.1). `required`
                    // because a member without an id means nothing.
                    AttributeDef::string("value")
                        .required()
                        .mutability(imm)
                        .describe("Identifier of the member of this Group."),
                    AttributeDef::reference("$ref", &["User", "Group"])
                        .mutability(imm)
                        .describe("The URI corresponding to a SCIM resource that is a member of this Group."),
                    AttributeDef::string("type")
                        .canonical(&["User", "Group"])
                        .mutability(imm)
                        .describe("A label indicating the type of resource, e.g., 'User' or 'Group'."),
                    // Not in §8.7.1, but the §8.4 example and Okta send it.
                    // Kept as the client sent it (per membership) and
                    // returned as sent: clients compare what they wrote.
                    AttributeDef::string("display")
                        .describe("A human-readable name, primarily used for display purposes."),
                ],
            )
            .multi()
            .describe("A list of members of the Group."),
        ],
    }
}
