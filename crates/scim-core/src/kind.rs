//! The two resource types scimd serves (RFC 7643 §4), with the names each
//! is known by: its resource type name (`User`, in `meta.resourceType` and
//! `/ResourceTypes`), its endpoint (`Users`, in URLs and Bulk paths) and
//! its derived read-only attribute (`groups` of a User, `members` of a
//! Group). Every mapping between them lives here, once.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    /// Both kinds, Users first (the order of the root `/.search`).
    pub const ALL: [ResourceKind; 2] = [ResourceKind::User, ResourceKind::Group];

    /// The resource type name: `User`, `Group`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    /// The kind of a resource type name (exact spelling, as stored).
    pub fn parse(s: &str) -> Option<Self> {
        ResourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The endpoint (RFC 7644 §3.2): `Users`, `Groups`.
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }

    /// The kind an endpoint name serves (exact spelling, as in URLs).
    pub fn from_endpoint(endpoint: &str) -> Option<Self> {
        ResourceKind::ALL.into_iter().find(|k| k.endpoint() == endpoint)
    }

    /// The derived, read-only multi-valued attribute the server computes
    /// from membership rows: a User's `groups`, a Group's `members`.
    pub fn derived_attr(self) -> &'static str {
        match self {
            ResourceKind::User => "groups",
            ResourceKind::Group => "members",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(k.as_str()), Some(k));
            assert_eq!(ResourceKind::from_endpoint(k.endpoint()), Some(k));
        }
        assert_eq!(ResourceKind::User.endpoint(), "Users");
        assert_eq!(ResourceKind::Group.derived_attr(), "members");
        assert_eq!(ResourceKind::parse("Users"), None);
        assert_eq!(ResourceKind::from_endpoint("users"), None);
    }
}
