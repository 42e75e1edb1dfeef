//! Users and Groups (RFC 7644 §3.3 create, §3.4.1 read, §3.4.2 list,
//! §3.5.1 replace, §3.5.2 modify, §3.6 delete; §3.14 versions): validation
//! and normalisation against the tenant's schemas (scim-core), the password
//! hash, PATCH, membership changes, and the store's one transaction per
//! write (resource row, membership rows, audit entry, outbox events). The
//! SCIM handlers, Bulk, and next the admin API and UI, all come here. A
//! tenant that enforces verified domains has each new address of a User
//! checked here (`domain_rule.rs`).

use scim_core::patch::{self, MemberChange};
use scim_core::resource::{self, Mode};
use scim_core::schema::ResourceType;
use scim_store::{
    AuditContext, CreateResource, DeleteResource, GroupRef, ListPage, ListQuery, Member, ResourceKind, StoreError,
    StoredResource, UpdateResource,
};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

use super::Ops;
use super::domain_rule;
use super::error::{OpError, OpResult};
use super::password::PasswordOnce;
use super::precondition::Precondition;
use super::retry::{Attempt, Retries};
use super::tenants::TenantCtx;
use super::work;

/// A resource just created.
pub struct Created {
    pub stored: StoredResource,
    /// A Group created with members: only then are they worth reading back.
    pub with_members: bool,
}

impl TenantCtx {
    /// The tenant's resource type of `kind` (its schemas and extensions).
    pub fn resource_type(&self, kind: ResourceKind) -> OpResult<&ResourceType> {
        self.registry
            .resource_type(kind.as_str())
            .ok_or_else(|| OpError::internal(format!("the schema registry has no {} resource type", kind.as_str())))
    }

    /// The absolute URL of a resource of this tenant.
    pub fn location(&self, kind: ResourceKind, id: Uuid) -> String {
        format!("{}/{}/{}", self.base_url, kind.endpoint(), id)
    }

    /// The full representation of a stored resource, without derived
    /// attributes (what PUT and PATCH start from).
    pub fn composed(&self, stored: &StoredResource) -> Value {
        stored.composed(Some(self.location(stored.kind, stored.id)))
    }
}

/// What a write computed from the current version changes: the new
/// document (`None`: unchanged), a new password (plain, hashed once per
/// request), membership changes.
struct Change {
    doc: Option<Value>,
    password: Option<String>,
    member_changes: Vec<MemberChange>,
}

/// A 412 when `pre` does not match `current`.
fn check(pre: Option<&Precondition>, current: i64) -> OpResult<()> {
    match pre {
        Some(p) if !p.matches(current) => Err(OpError::precondition_failed(current)),
        _ => Ok(()),
    }
}

/// What the store's answer to a computed write means: done, computed from
/// a version that is no longer current (again, unless the client pinned
/// the version), or refused.
fn settle(
    written: Result<StoredResource, StoreError>,
    kind: ResourceKind,
    if_match: Option<&Precondition>,
) -> OpResult<Attempt<StoredResource>> {
    match written {
        Ok(stored) => Ok(Attempt::Done(stored)),
        Err(StoreError::VersionMismatch { .. }) if if_match.is_none() => Ok(Attempt::Stale),
        Err(StoreError::NotFound) => Err(OpError::no_such(kind)),
        Err(e) => Err(e.into()),
    }
}

fn what(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "the User",
        ResourceKind::Group => "the Group",
    }
}

impl Ops {
    /// A live resource, or 404.
    pub async fn get_resource(&self, t: &TenantCtx, kind: ResourceKind, id: Uuid) -> OpResult<StoredResource> {
        self.store.get_resource(t.tenant.id, kind, id).await?.ok_or_else(|| OpError::no_such(kind))
    }

    /// A live User with the groups it belongs to, from one snapshot, or 404.
    pub async fn get_user_with_groups(&self, t: &TenantCtx, id: Uuid) -> OpResult<(StoredResource, Vec<GroupRef>)> {
        self.store.get_user_with_groups(t.tenant.id, id).await?.ok_or_else(|| OpError::no_such(ResourceKind::User))
    }

    pub async fn list_resources(&self, t: &TenantCtx, kind: ResourceKind, query: &ListQuery<'_>) -> OpResult<ListPage> {
        Ok(self.store.list_resources(t.tenant.id, kind, query).await?)
    }

    /// The members of each of `groups`.
    pub async fn members_of(&self, t: &TenantCtx, groups: &[Uuid]) -> OpResult<HashMap<Uuid, Vec<Member>>> {
        Ok(self.store.members_of(t.tenant.id, groups).await?)
    }

    /// How many members `groups` have together, counted up to `at_most`.
    pub async fn count_members(&self, t: &TenantCtx, groups: &[Uuid], at_most: u64) -> OpResult<u64> {
        Ok(self.store.count_members(t.tenant.id, groups, at_most).await?)
    }

    /// The groups each of `users` belongs to.
    pub async fn groups_of(&self, t: &TenantCtx, users: &[Uuid]) -> OpResult<HashMap<Uuid, Vec<GroupRef>>> {
        Ok(self.store.groups_of(t.tenant.id, users).await?)
    }

    /// Creates a resource from a request body (RFC 7644 §3.3): validation,
    /// password hash, a Group's initial membership rows, audit and outbox
    /// in the store's one transaction.
    pub async fn create_resource(
        &self,
        t: &TenantCtx,
        who: &AuditContext,
        kind: ResourceKind,
        body: &Value,
    ) -> OpResult<Created> {
        let rt = t.resource_type(kind)?;
        let units = work::of_body(body);
        self.check_work(units)?;
        let prepared = work::run(units, || resource::prepare(body, Mode::Create, &t.registry, rt)).await?;
        if let Some(verified) = self.enforced_domains(t, kind).await? {
            domain_rule::check(&verified, None, &prepared.doc)?;
        }
        let password_hash = PasswordOnce::default().hash(prepared.password).await?;
        let members = match kind {
            ResourceKind::Group => prepared.members.unwrap_or_default(),
            ResourceKind::User => Vec::new(),
        };
        // A new User belongs to no group yet.
        let with_members = !members.is_empty();
        let stored = self
            .store
            .create_resource(CreateResource {
                tenant: t.tenant.id,
                kind,
                doc: prepared.doc,
                password_hash,
                members,
                audit: who.clone(),
            })
            .await?;
        Ok(Created { stored, with_members })
    }

    /// Replaces resource `id` with a request body (RFC 7644 §3.5.1); for a
    /// Group also its whole membership (absent `members` is an empty group).
    pub async fn replace_resource(
        &self,
        t: &TenantCtx,
        who: &AuditContext,
        kind: ResourceKind,
        id: Uuid,
        if_match: Option<&Precondition>,
        body: &Value,
    ) -> OpResult<StoredResource> {
        let rt = t.resource_type(kind)?;
        let units = work::of_body(body);
        self.check_work(units)?;
        let verified = self.enforced_domains(t, kind).await?;
        self.write_from_current(
            t,
            who,
            kind,
            id,
            if_match,
            |_| units,
            |existing| {
                let prepared =
                    resource::prepare(body, Mode::Replace { existing: &t.composed(existing) }, &t.registry, rt)?;
                if let Some(verified) = &verified {
                    domain_rule::check(verified, Some(&existing.doc), &prepared.doc)?;
                }
                let member_changes = match kind {
                    ResourceKind::Group => vec![MemberChange::ReplaceAll(prepared.members.unwrap_or_default())],
                    ResourceKind::User => Vec::new(),
                };
                Ok(Change { doc: Some(prepared.doc), password: prepared.password, member_changes })
            },
        )
        .await
    }

    /// Applies a PatchOp request body to resource `id` (RFC 7644 §3.5.2);
    /// returns the resource as stored afterwards. A Group's `members`
    /// operations go to the store as membership changes, so they cost the
    /// same for any group size; a PATCH that changes nothing writes nothing.
    pub async fn patch_resource(
        &self,
        t: &TenantCtx,
        who: &AuditContext,
        kind: ResourceKind,
        id: Uuid,
        if_match: Option<&Precondition>,
        body: &Value,
    ) -> OpResult<StoredResource> {
        let rt = t.resource_type(kind)?;
        let ops = patch::parse_patch_request(body)?;
        let (ops, member_changes) = match kind {
            ResourceKind::Group => patch::split_member_operations(ops)?,
            ResourceKind::User => (ops, Vec::new()),
        };
        if ops.is_empty() && !member_changes.is_empty() {
            return self.patch_members(t, who, kind, id, if_match, member_changes).await;
        }
        let weigh = |existing: &StoredResource| work::of_patch(ops.len(), &existing.doc, body);
        let verified = self.enforced_domains(t, kind).await?;
        self.write_from_current(t, who, kind, id, if_match, weigh, |existing| {
            let mut change = Change { doc: None, password: None, member_changes: member_changes.clone() };
            if ops.is_empty() {
                return Ok(change);
            }
            let original = t.composed(existing);
            let mut patched = original.clone();
            if patch::apply(&mut patched, &ops, &t.registry, rt)? {
                let prepared = resource::prepare(&patched, Mode::Patched { existing: &original }, &t.registry, rt)?;
                if let Some(verified) = &verified {
                    domain_rule::check(verified, Some(&existing.doc), &prepared.doc)?;
                }
                if prepared.doc != existing.doc || prepared.password.is_some() {
                    change.doc = Some(prepared.doc);
                }
                change.password = prepared.password;
            }
            Ok(change)
        })
        .await
    }

    /// Reads resource `id`, computes a change from it with `compute`, and
    /// writes it if the version read is still current; otherwise computes
    /// again from the new version (without If-Match) or answers 412 (with).
    /// A change of nothing writes nothing and answers the resource as it is.
    /// `weigh` tells the units of work `compute` takes on a version (see
    /// `work.rs`): past the limit the request is refused, past a threshold
    /// it is computed off the runtime's workers.
    #[allow(clippy::too_many_arguments)]
    async fn write_from_current(
        &self,
        t: &TenantCtx,
        who: &AuditContext,
        kind: ResourceKind,
        id: Uuid,
        if_match: Option<&Precondition>,
        weigh: impl Fn(&StoredResource) -> u64,
        mut compute: impl FnMut(&StoredResource) -> OpResult<Change>,
    ) -> OpResult<StoredResource> {
        let mut password = PasswordOnce::default();
        let mut retries = Retries::new(what(kind));
        loop {
            retries.next()?;
            let existing = self.get_resource(t, kind, id).await?;
            check(if_match, existing.version)?;
            let units = weigh(&existing);
            self.check_work(units)?;
            let change = work::run(units, || compute(&existing)).await?;
            let password_hash = password.hash(change.password).await?;
            if change.doc.is_none() && password_hash.is_none() && change.member_changes.is_empty() {
                return Ok(existing);
            }
            let write = UpdateResource {
                tenant: t.tenant.id,
                kind,
                id,
                expected_version: Some(existing.version),
                doc: change.doc,
                password_hash,
                member_changes: change.member_changes,
                audit: who.clone(),
            };
            if let Attempt::Done(stored) = settle(self.store.update_resource(write).await, kind, if_match)? {
                return Ok(stored);
            }
        }
    }

    /// A PATCH that only changes a Group's membership: written without
    /// reading the group first (membership changes commute), so adding one
    /// member costs one statement per member whatever the group's size, and
    /// concurrent adds never conflict.
    async fn patch_members(
        &self,
        t: &TenantCtx,
        who: &AuditContext,
        kind: ResourceKind,
        id: Uuid,
        if_match: Option<&Precondition>,
        member_changes: Vec<MemberChange>,
    ) -> OpResult<StoredResource> {
        let write = UpdateResource {
            tenant: t.tenant.id,
            kind,
            id,
            expected_version: self.expected_version(t, kind, id, if_match).await?,
            doc: None,
            password_hash: None,
            member_changes,
            audit: who.clone(),
        };
        match self.store.update_resource(write).await {
            Ok(stored) => Ok(stored),
            Err(StoreError::NotFound) => Err(OpError::no_such(kind)),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes resource `id` (RFC 7644 §3.6) per the tenant's delete policy
    /// (DESIGN §5).
    pub async fn delete_resource(
        &self,
        t: &TenantCtx,
        who: &AuditContext,
        kind: ResourceKind,
        id: Uuid,
        if_match: Option<&Precondition>,
    ) -> OpResult<()> {
        let result = self
            .store
            .delete_resource(DeleteResource {
                tenant: t.tenant.id,
                kind,
                id,
                expected_version: self.expected_version(t, kind, id, if_match).await?,
                policy: t.tenant.settings.delete_policy,
                audit: who.clone(),
            })
            .await;
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(OpError::no_such(kind)),
            Err(e) => Err(e.into()),
        }
    }

    /// The version a write that does not read the resource first must find,
    /// from If-Match: none (or `*`), the one tag given, or — for a list of
    /// tags — the current version once it is known to be among them.
    async fn expected_version(
        &self,
        t: &TenantCtx,
        kind: ResourceKind,
        id: Uuid,
        if_match: Option<&Precondition>,
    ) -> OpResult<Option<i64>> {
        Ok(match if_match {
            None | Some(Precondition::Any) => None,
            Some(p) => match p.single() {
                Some(v) => Some(v),
                None => {
                    let existing = self.get_resource(t, kind, id).await?;
                    check(Some(p), existing.version)?;
                    Some(existing.version)
                }
            },
        })
    }
}
