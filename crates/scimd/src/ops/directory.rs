//! The host application's view of its users and groups (issue 11,
//! item 7), for the admin API and the CLI (`scimd users|groups`): the SCIM
//! lists, filters and keyset of `resources.rs`, but with soft-deleted
//! resources included (SCIM hides them; the host application still has to
//! know who left), and a group's members a page at a time by a keyset on the
//! member id.

use scim_core::filter::{self, Filter};
use scim_store::{After, GroupRef, ListPage, ListQuery, Member, ResourceKind, StoredResource, Visibility};
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use super::tenants::TenantCtx;

/// The most resources or members one page may hold.
pub const MAX_LIMIT: u32 = 1000;

/// `limit` if it is 1 to [`MAX_LIMIT`]; else `invalidValue`.
pub fn check_limit(limit: u32) -> OpResult<u32> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(OpError::Refused(scim_core::ScimError::invalid_value(format!("limit must be 1 to {MAX_LIMIT}"))))
    }
}

impl Ops {
    /// A filter in the SCIM filter language (RFC 7644 §3.4.2.2), checked
    /// against the tenant's schemas for `kind`: `invalidFilter` otherwise.
    pub fn directory_filter(&self, t: &TenantCtx, kind: ResourceKind, text: &str) -> OpResult<Filter> {
        let f = filter::parse_filter(text).map_err(OpError::Refused)?;
        filter::validate(&f, &t.registry, t.resource_type(kind)?).map_err(OpError::Refused)?;
        Ok(f)
    }

    /// A page of `kind` among the rows `seen` names (soft-deleted ones
    /// included for [`Visibility::WithDeleted`]), in the default order
    /// (creation, then id) after `after`, at most `limit`; `more` when
    /// another page follows. Users come with their groups.
    pub async fn list_directory(
        &self,
        t: &TenantCtx,
        kind: ResourceKind,
        seen: Visibility,
        filter: Option<&Filter>,
        after: Option<After>,
        limit: u32,
    ) -> OpResult<ListPage> {
        let query = ListQuery {
            filter,
            sort_by: None,
            sort_order: scim_core::sort::SortOrder::Ascending,
            start_index: 1,
            count: u64::from(check_limit(limit)?),
            after,
            schemas: &t.registry,
            with_groups: kind == ResourceKind::User,
        };
        Ok(self.store.list_resources_seen(t.tenant.id, kind, seen, &query).await?)
    }

    /// A resource, live or soft-deleted; 404 for none.
    pub async fn directory_resource(&self, t: &TenantCtx, kind: ResourceKind, id: Uuid) -> OpResult<StoredResource> {
        self.store.get_resource_with_deleted(t.tenant.id, kind, id).await?.ok_or_else(|| OpError::no_such(kind))
    }

    /// A user, live or soft-deleted, with the groups it belongs to (none
    /// once deleted: a delete removes its memberships); 404 for none.
    pub async fn directory_user(&self, t: &TenantCtx, id: Uuid) -> OpResult<(StoredResource, Vec<GroupRef>)> {
        let user = self.directory_resource(t, ResourceKind::User, id).await?;
        let groups = self.store.groups_of(t.tenant.id, &[id]).await?.remove(&id).unwrap_or_default();
        Ok((user, groups))
    }

    /// A page of a group's members (live or soft-deleted group) in member
    /// id order after `after`, at most `limit`, and whether more follow;
    /// 404 for no such group.
    pub async fn directory_members(
        &self,
        t: &TenantCtx,
        group: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> OpResult<(Vec<Member>, bool)> {
        let limit = check_limit(limit)?;
        self.directory_resource(t, ResourceKind::Group, group).await?;
        let mut members = self.store.list_members(t.tenant.id, group, after, limit + 1).await?;
        let more = members.len() > limit as usize;
        members.truncate(limit as usize);
        Ok((members, more))
    }
}
