//! The resource types served at `/Users` (RFC 7643 §4.1) and `/Groups`
//! (§4.2) as types, so that one generic handler serves both: axum routes
//! to `get_resource::<Users>` and the handler reads `K::KIND`.

use scim_core::ResourceKind;

/// A SCIM resource type served by the shared handlers.
pub trait Kind: Send + Sync + 'static {
    const KIND: ResourceKind;
}

pub struct Users;

impl Kind for Users {
    const KIND: ResourceKind = ResourceKind::User;
}

/// Membership lives in the store's membership table, so `members` PATCHes
/// cost the same for any group size.
pub struct Groups;

impl Kind for Groups {
    const KIND: ResourceKind = ResourceKind::Group;
}
