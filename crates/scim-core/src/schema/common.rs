//! The common attributes every resource carries (RFC 7643 §3.1): `id`,
//! `externalId` and `meta`. They belong to no schema's attribute list, but
//! paths resolve against them like core attributes of the resource's schema.

use std::sync::OnceLock;

use super::{AttrType, AttributeDef, Mutability, Returned, Uniqueness};

/// `id`, `externalId`, `meta` with their sub-attributes.
pub fn common_attributes() -> &'static [AttributeDef] {
    static COMMON: OnceLock<Vec<AttributeDef>> = OnceLock::new();
    COMMON.get_or_init(|| {
        let ro = Mutability::ReadOnly;
        vec![
            AttributeDef::string("id")
                .case_exact()
                .mutability(ro)
                .returned(Returned::Always)
                .uniqueness(Uniqueness::Server)
                .describe("Unique identifier for the SCIM resource as defined by the Service Provider."),
            // RFC 7643 §3.1: externalId is caseExact and *not* unique.
            AttributeDef::string("externalId")
                .case_exact()
                .describe("Identifier for the resource as defined by the provisioning client."),
            AttributeDef::complex(
                "meta",
                vec![
                    AttributeDef::string("resourceType").case_exact().mutability(ro),
                    AttributeDef::new("created", AttrType::DateTime).mutability(ro),
                    AttributeDef::new("lastModified", AttrType::DateTime).mutability(ro),
                    AttributeDef::reference("location", &["uri"]).case_exact().mutability(ro),
                    AttributeDef::string("version").case_exact().mutability(ro),
                ],
            )
            .mutability(ro)
            .describe("Resource metadata."),
        ]
    })
}
