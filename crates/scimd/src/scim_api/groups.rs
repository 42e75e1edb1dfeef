//! `/Groups` (RFC 7644 §3; RFC 7643 §4.2): the Group resource type on the
//! shared resource handlers. Membership lives in the store's membership
//! table, so `members` PATCHes cost the same for any group size.

use axum::Router;
use scim_store::ResourceKind;

use super::resources::{self, Kind};
use crate::state::AppState;

pub struct Groups;

impl Kind for Groups {
    const KIND: ResourceKind = ResourceKind::Group;
    const ENDPOINT: &'static str = "Groups";
}

pub fn router() -> Router<AppState> {
    resources::router::<Groups>()
}
