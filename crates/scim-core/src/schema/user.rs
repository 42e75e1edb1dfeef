//! The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User`
//! (RFC 7643 §4.1 and its normative JSON in §8.7.1).
//!
//! Where §4.1's prose or the §8.2 example disagree with §8.7.1, the prose and
//! the example win; each such decision is noted next to the attribute.

use super::{AttrType, AttributeDef, Mutability, Returned, Schema, Uniqueness};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// The User schema with every attribute and characteristic.
pub fn user_schema() -> Schema {
    Schema {
        id: USER_URN.into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![
            // §4.1.1: REQUIRED, unique per service provider, case-insensitive.
            AttributeDef::string("userName").required().uniqueness(Uniqueness::Server).describe(
                "Unique identifier for the User, typically used by the user to directly authenticate to \
                     the service provider. Each User MUST include a non-empty userName value. This identifier \
                     MUST be unique across the service provider's entire set of Users. REQUIRED.",
            ),
            name(),
            AttributeDef::string("displayName").describe(
                "The name of the User, suitable for display to end-users. The name SHOULD be the full name \
                 of the User being described, if known.",
            ),
            AttributeDef::string("nickName").describe(
                "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'.",
            ),
            AttributeDef::reference("profileUrl", &["external"])
                .describe("A fully qualified URL pointing to a page representing the User's online profile."),
            AttributeDef::string("title").describe("The user's title, such as \"Vice President.\""),
            AttributeDef::string("userType").describe(
                "Used to identify the relationship between the organization and the user. Typical values \
                 used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but \
                 any value may be used.",
            ),
            AttributeDef::string("preferredLanguage").describe(
                "Indicates the User's preferred written or spoken language. Generally used for selecting a \
                 localized user interface; e.g., 'en_US' specifies the language English and country US.",
            ),
            AttributeDef::string("locale").describe(
                "Used to indicate the User's default location for purposes of localizing items such as \
                 currency, date time format, or numerical representations.",
            ),
            AttributeDef::string("timezone").describe(
                "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'.",
            ),
            AttributeDef::boolean("active").describe("A Boolean value indicating the User's administrative status."),
            // §4.1.1 and §7: writeOnly, never returned; the store keeps at most a hash.
            AttributeDef::string("password").mutability(Mutability::WriteOnly).returned(Returned::Never).describe(
                "The User's cleartext password. This attribute is intended to be used as a means to \
                     specify an initial password when creating a new User or to reset an existing User's \
                     password.",
            ),
            plural(
                "emails",
                AttributeDef::string("value"),
                &["work", "home", "other"],
                "Email addresses for the user. The value SHOULD be canonicalized by the service provider, \
                 e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of \
                 'work', 'home', and 'other'.",
            ),
            plural(
                "phoneNumbers",
                AttributeDef::string("value"),
                &["work", "home", "mobile", "fax", "pager", "other"],
                "Phone numbers for the User. The value SHOULD be canonicalized by the service provider \
                 according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'. Canonical type \
                 values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
            ),
            plural(
                "ims",
                AttributeDef::string("value"),
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                "Instant messaging addresses for the User.",
            ),
            plural(
                "photos",
                AttributeDef::reference("value", &["external"]),
                &["photo", "thumbnail"],
                "URLs of photos of the User.",
            ),
            addresses(),
            groups(),
            plural(
                "entitlements",
                AttributeDef::string("value"),
                &[],
                "A list of entitlements for the User that represent a thing the User has.",
            ),
            plural(
                "roles",
                AttributeDef::string("value"),
                &[],
                "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.",
            ),
            plural(
                "x509Certificates",
                // §2.3.6: binary values are case exact.
                AttributeDef::new("value", AttrType::Binary).case_exact(),
                &[],
                "A list of certificates issued to the User.",
            ),
        ],
    }
}

/// `name` (§4.1.1): the components of the user's real name.
fn name() -> AttributeDef {
    AttributeDef::complex(
        "name",
        vec![
            AttributeDef::string("formatted").describe(
                "The full name, including all middle names, titles, and suffixes as appropriate, formatted \
                 for display (e.g., 'Ms. Barbara J Jensen, III').",
            ),
            AttributeDef::string("familyName").describe("The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III')."),
            AttributeDef::string("givenName").describe("The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III')."),
            AttributeDef::string("middleName").describe("The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III')."),
            AttributeDef::string("honorificPrefix").describe("The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III')."),
            AttributeDef::string("honorificSuffix").describe("The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III')."),
        ],
    )
    .describe("The components of the user's real name. Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both.")
}

/// A multi-valued attribute with the `value`, `display`, `type`, `primary`
/// sub-attributes of RFC 7643 §2.4.
fn plural(name: &str, value: AttributeDef, types: &[&str], description: &str) -> AttributeDef {
    AttributeDef::complex(
        name,
        vec![
            value.describe(&format!("The value of one of the User's {name}.")),
            AttributeDef::string("display")
                .describe("A human-readable name, primarily used for display purposes. READ-ONLY."),
            AttributeDef::string("type").canonical(types).describe("A label indicating the attribute's function."),
            AttributeDef::boolean("primary").describe(
                "A Boolean value indicating the 'primary' or preferred attribute value for this attribute. \
                 The primary attribute value 'true' MUST appear no more than once.",
            ),
        ],
    )
    .multi()
    .describe(description)
}

/// `addresses` (§4.1.2). §8.7.1 omits `primary`, but §4.1.2's prose lists it
/// and the §8.2 example sends it: we define it.
fn addresses() -> AttributeDef {
    AttributeDef::complex(
        "addresses",
        vec![
            AttributeDef::string("formatted").describe(
                "The full mailing address, formatted for display or use with a mailing label. This \
                 attribute MAY contain newlines.",
            ),
            AttributeDef::string("streetAddress").describe(
                "The full street address component, which may include house number, street name, P.O. box, \
                 and multi-line extended street address information. This attribute MAY contain newlines.",
            ),
            AttributeDef::string("locality").describe("The city or locality component."),
            AttributeDef::string("region").describe("The state or region component."),
            AttributeDef::string("postalCode").describe("The zip code or postal code component."),
            AttributeDef::string("country").describe("The country name component."),
            AttributeDef::string("type")
                .canonical(&["work", "home", "other"])
                .describe("A label indicating the attribute's function, e.g., 'work' or 'home'."),
            AttributeDef::boolean("primary").describe(
                "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, \
                 e.g., the preferred mailing address or primary email address. The primary attribute value \
                 'true' MUST appear no more than once.",
            ),
        ],
    )
    .multi()
    .describe("A physical mailing address for this User. Canonical type values of 'work', 'home', and 'other'.")
}

/// `groups` (§4.1.2): derived from group membership, so read-only throughout.
fn groups() -> AttributeDef {
    let ro = Mutability::ReadOnly;
    AttributeDef::complex(
        "groups",
        vec![
            AttributeDef::string("value").mutability(ro).describe("The identifier of the User's group."),
            AttributeDef::reference("$ref", &["User", "Group"])
                .mutability(ro)
                .describe("The URI of the corresponding 'Group' resource to which the user belongs."),
            AttributeDef::string("display")
                .mutability(ro)
                .describe("A human-readable name, primarily used for display purposes. READ-ONLY."),
            AttributeDef::string("type")
                .canonical(&["direct", "indirect"])
                .mutability(ro)
                .describe("A label indicating the attribute's function, e.g., 'direct' or 'indirect'."),
        ],
    )
    .multi()
    .mutability(ro)
    .describe(
        "A list of groups to which the user belongs, either through direct membership, through nested \
         groups, or dynamically calculated.",
    )
}
