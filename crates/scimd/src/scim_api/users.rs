//! `/Users` (RFC 7644 §3; RFC 7643 §4.1): the User resource type on the
//! shared resource handlers.

use axum::Router;
use scim_store::ResourceKind;

use super::resources::{self, Kind};
use crate::state::AppState;

pub struct Users;

impl Kind for Users {
    const KIND: ResourceKind = ResourceKind::User;
    const ENDPOINT: &'static str = "Users";
}

pub fn router() -> Router<AppState> {
    resources::router::<Users>()
}
