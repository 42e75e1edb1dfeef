//! The values that cross the [`crate::Store`] boundary.

pub use scim_core::ResourceKind;
use scim_core::filter::Filter;
use scim_core::patch::MemberChange;
use scim_core::path::AttrPath;
use scim_core::schema::{SchemaRegistry, UnknownExtensions};
use scim_core::sort::SortOrder;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

/// What DELETE does (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletePolicy {
    /// Hidden from SCIM (404 after, userName free again), kept for the host
    /// application and the audit.
    #[default]
    Soft,
    /// Erased.
    Hard,
}

/// A tenant's settings, stored as JSON so later issues can add fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantSettings {
    pub delete_policy: DeletePolicy,
    /// Custom schema extensions, in the order they were declared; the
    /// server adds each to the tenant's schema registry.
    pub extensions: Vec<TenantExtension>,
    /// Extension URNs a resource type does not declare: refused (the
    /// default) or kept verbatim.
    pub unknown_extensions: UnknownExtensions,
    /// Requests a second this tenant may make, in place of the server's
    /// default (0: no limit); `None` follows the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// Whether group `displayName`s are unique among the tenant's live
    /// groups, case-insensitively (on by default; Microsoft asks it of
    /// endpoints integrated with Entra ID). Groups that shared a name
    /// before the rule applied keep it; every new name is checked.
    pub unique_group_names: bool,
    /// Provisioning stopped by the operator: every authenticated SCIM
    /// resource request is refused with 403 (discovery still answers).
    pub suspended: bool,
    /// How SCIM callers authenticate (DESIGN §6).
    #[serde(skip_serializing_if = "AuthSettings::is_default")]
    pub auth: AuthSettings,
    /// Whether new userNames (when email-shaped) and email values of Users
    /// must be in one of the tenant's verified domains.
    pub enforce_domains: bool,
}

/// Which bearer credentials a tenant's SCIM URL takes. scimd's own OAuth
/// access tokens are taken whatever the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// scimd's tokens only.
    #[default]
    Token,
    /// JWTs of the tenant's issuer only.
    Jwt,
    /// Either.
    Both,
}

/// A tenant's authentication settings: the mode and, for JWTs, whom to
/// trust and what a token must carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    pub mode: AuthMode,
    /// The `iss` a JWT must carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The `aud` a JWT must carry (one of, when it is a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Where the issuer publishes its keys (JWKS, RFC 7517).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// The issuer's keys, given inline (a JWKS document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// An HS256 shared secret, sealed with the server's secrets key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hs256_secret: Option<String>,
    /// The scope a token must carry; `None`: `admin`; empty: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<String>,
    /// The group a JWT must name; `None`: `admins`; empty: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_group: Option<String>,
    /// The claim holding the groups; `None`: `groups`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_claim: Option<String>,
}

impl AuthSettings {
    fn is_default(&self) -> bool {
        *self == AuthSettings::default()
    }
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            delete_policy: DeletePolicy::default(),
            extensions: Vec::new(),
            unknown_extensions: UnknownExtensions::default(),
            rate_limit: None,
            unique_group_names: true,
            suspended: false,
            auth: AuthSettings::default(),
            enforce_domains: false,
        }
    }
}

/// Live groups of a tenant that share a name (case-insensitively): kept
/// from before the name rule applied.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedGroupName {
    pub tenant: Uuid,
    /// The name, lower-cased.
    pub name: String,
    pub groups: u64,
}

/// A schema extension a tenant declared on one of its resource types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantExtension {
    /// `User` or `Group`.
    pub resource_type: String,
    /// Whether every resource of the type must carry it (RFC 7643 §6
    /// `schemaExtensions.required`).
    pub required: bool,
    /// The schema as declared, in the RFC 7643 §7 representation (read
    /// with `scim_core::schema::parse_extension_schema`).
    pub schema: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub settings: TenantSettings,
    pub settings_version: i64,
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub tenant: Uuid,
    pub name: String,
    /// The visible start of the secret (`scimd_AbC…`), for people to tell
    /// tokens apart. Never enough to authenticate.
    pub prefix: String,
    /// SHA-256 of the whole secret.
    pub hash: [u8; 32],
    pub scopes: Vec<String>,
    pub expires: Option<OffsetDateTime>,
    /// The token this one replaces (a rotation).
    pub replaces: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub id: Uuid,
    pub tenant: Uuid,
    pub name: String,
    pub prefix: String,
    pub hash: [u8; 32],
    pub scopes: Vec<String>,
    pub created: OffsetDateTime,
    pub expires: Option<OffsetDateTime>,
    pub last_used: Option<OffsetDateTime>,
    /// The User-Agent of the request that last recorded a use (as the
    /// caller gave it, already bounded); `None`: none yet, or none sent.
    pub last_user_agent: Option<String>,
    pub revoked: Option<OffsetDateTime>,
    pub replaces: Option<Uuid>,
}

/// An admin API token to store (DESIGN §3): only the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewAdminToken {
    pub name: String,
    /// The visible start of the secret, to tell tokens apart.
    pub prefix: String,
    /// SHA-256 of the whole secret.
    pub hash: [u8; 32],
    /// What the token may do (`admin`, `tenants:read`, …; checked by the caller).
    pub scopes: Vec<String>,
    /// The tenants it is limited to; empty: every tenant.
    pub tenants: Vec<Uuid>,
    pub expires: Option<OffsetDateTime>,
    /// The token this one replaces (a rotation).
    pub replaces: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdminTokenInfo {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub hash: [u8; 32],
    pub scopes: Vec<String>,
    pub tenants: Vec<Uuid>,
    pub created: OffsetDateTime,
    pub expires: Option<OffsetDateTime>,
    pub last_used: Option<OffsetDateTime>,
    pub revoked: Option<OffsetDateTime>,
    pub replaces: Option<Uuid>,
}

/// A new OAuth 2.0 client of a tenant (RFC 6749 §2): of its secret only
/// the hash and a visible prefix.
#[derive(Debug, Clone)]
pub struct NewOAuthClient {
    pub tenant: Uuid,
    pub name: String,
    pub prefix: String,
    pub hash: [u8; 32],
    pub scopes: Vec<String>,
}

/// A stored OAuth 2.0 client; its `client_id` is `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthClient {
    pub id: Uuid,
    pub tenant: Uuid,
    pub name: String,
    pub prefix: String,
    pub hash: [u8; 32],
    pub scopes: Vec<String>,
    pub created: OffsetDateTime,
    pub last_used: Option<OffsetDateTime>,
    pub revoked: Option<OffsetDateTime>,
}

/// A new self-serve setup link of a tenant (issue 14): of its secret only
/// the hash and a visible prefix.
#[derive(Debug, Clone)]
pub struct NewSetupLink {
    pub tenant: Uuid,
    pub prefix: String,
    pub hash: [u8; 32],
    /// What the link may do: `scim` (tokens, the IdP guides), `domains`.
    pub allow: Vec<String>,
    pub expires: OffsetDateTime,
    /// The admin token that made it.
    pub created_by: Option<Uuid>,
}

impl NewSetupLink {
    /// The link as stored, now: a new id, the creation time, the expiry
    /// kept to the millisecond (as every backend stores times).
    pub(crate) fn stored(self) -> SetupLink {
        SetupLink {
            id: Uuid::now_v7(),
            tenant: self.tenant,
            prefix: self.prefix,
            hash: self.hash,
            allow: self.allow,
            created: crate::clock::now(),
            expires: crate::clock::from_ms(crate::clock::to_ms(self.expires)),
            last_used: None,
            revoked: None,
            created_by: self.created_by,
        }
    }
}

/// A stored setup link.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupLink {
    pub id: Uuid,
    pub tenant: Uuid,
    pub prefix: String,
    pub hash: [u8; 32],
    pub allow: Vec<String>,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub last_used: Option<OffsetDateTime>,
    pub revoked: Option<OffsetDateTime>,
    pub created_by: Option<Uuid>,
}

/// A key scimd signs its access tokens with.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKey {
    /// The JWK `kid`.
    pub kid: String,
    /// The JWS `alg`: `EdDSA` or `ES256`.
    pub alg: String,
    /// The private key, sealed with the server's secrets key.
    pub private_key: String,
    /// The public key as a JWK (with `kid`, `alg`, `use`).
    pub public_jwk: Value,
    pub created: OffsetDateTime,
    /// When it stopped signing; `None` for the key in use.
    pub retired: Option<OffsetDateTime>,
}

/// What revoking a token did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Revocation {
    /// The token was active and is now revoked.
    Revoked,
    /// The token had been revoked already, at that time (which stays).
    AlreadyRevoked(OffsetDateTime),
    /// No such token in that tenant.
    NotFound,
}

/// What erasing a tenant removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Users and groups, live and soft-deleted.
    pub resources: u64,
    pub memberships: u64,
    pub events: u64,
    /// Webhook deliveries of its events (with their attempts).
    pub webhook_deliveries: u64,
    pub audit_entries: u64,
    pub tokens: u64,
    pub oauth_clients: u64,
}

/// A stored resource: the normalised document plus the common attributes
/// kept in columns.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    pub id: Uuid,
    pub kind: ResourceKind,
    /// Increases by one on every change; the ETag is `W/"<version>"`.
    pub version: i64,
    pub created: OffsetDateTime,
    pub last_modified: OffsetDateTime,
    /// As produced by `scim_core::resource::prepare`: no id, meta, password,
    /// groups or members.
    pub doc: Value,
    /// When it was soft-deleted: only the admin views read such rows
    /// (`Store::list_resources_seen`, `get_resource_with_deleted`);
    /// `None` for every live resource.
    pub deleted: Option<OffsetDateTime>,
}

impl StoredResource {
    /// The server-kept `meta` (RFC 7643 §3.1); `location` where a base URL
    /// is known (responses), `None` elsewhere (events, the evaluator).
    pub fn meta(&self, location: Option<String>) -> scim_core::resource::Meta {
        scim_core::resource::Meta {
            resource_type: self.kind.as_str().to_owned(),
            created: self.created,
            last_modified: self.last_modified,
            location,
            version: scim_core::resource::etag(self.version),
        }
    }

    /// The full representation without derived attributes (`schemas`,
    /// `id`, attributes, `meta`), consuming the stored document.
    pub fn into_composed(self, location: Option<String>) -> Value {
        let meta = self.meta(location);
        scim_core::resource::compose(self.doc, &self.id.to_string(), &meta)
    }

    /// [`Self::into_composed`] of a copy (PUT and PATCH compare the result
    /// with the stored document).
    pub fn composed(&self, location: Option<String>) -> Value {
        let meta = self.meta(location);
        scim_core::resource::compose(self.doc.clone(), &self.id.to_string(), &meta)
    }
}

/// A group member. `display` is what the client sent with the member
/// (RFC 7643 §4.2), returned as written; for a member sent without one,
/// the member's current name (a User's displayName, else userName; a
/// Group's displayName).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub value: Uuid,
    pub kind: ResourceKind,
    pub display: Option<String>,
}

impl Member {
    /// The member as a `members` value (RFC 7643 §4.2): `value`, `$ref`
    /// when the tenant's SCIM base URL is given, `display` as sent, `type`.
    /// Responses carry `$ref`; the filter evaluator sees the rest.
    pub fn to_value(&self, base_url: Option<&str>) -> Value {
        reference_value(self.value, self.kind, base_url, self.display.as_deref(), self.kind.as_str())
    }
}

/// A group a user belongs to, for the derived `groups` attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRef {
    pub value: Uuid,
    pub display: Option<String>,
}

impl GroupRef {
    /// The group as a User's `groups` value (RFC 7643 §4.1.2): `value`,
    /// `$ref` when the tenant's SCIM base URL is given, `display` (the
    /// group's displayName), `type` `direct` (scimd keeps no nested
    /// memberships to derive `indirect` ones from).
    pub fn to_value(&self, base_url: Option<&str>) -> Value {
        reference_value(self.value, ResourceKind::Group, base_url, self.display.as_deref(), "direct")
    }
}

/// `{"value", "$ref"?, "display"?, "type"}`, in that order.
fn reference_value(id: Uuid, kind: ResourceKind, base_url: Option<&str>, display: Option<&str>, ty: &str) -> Value {
    let mut m = serde_json::Map::with_capacity(4);
    m.insert("value".into(), Value::String(id.to_string()));
    if let Some(base) = base_url {
        m.insert("$ref".into(), Value::String(format!("{base}/{}/{id}", kind.endpoint())));
    }
    if let Some(d) = display {
        m.insert("display".into(), Value::String(d.to_owned()));
    }
    m.insert("type".into(), Value::String(ty.to_owned()));
    Value::Object(m)
}

/// Who asked, for the audit log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditContext {
    /// The SCIM token of the request, if any.
    pub token: Option<Uuid>,
    /// The admin token of an admin API call, if any.
    pub admin_token: Option<Uuid>,
    /// Who, when it was no token of scimd's: `jwt:<sub>` for a tenant
    /// issuer's JWT, `client:<client_id>` for an OAuth client's.
    pub subject: Option<String>,
    pub remote_addr: Option<String>,
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
}

pub struct CreateResource {
    pub tenant: Uuid,
    pub kind: ResourceKind,
    pub doc: Value,
    /// Hash of the password the request carried (never the password).
    pub password_hash: Option<String>,
    /// Initial members of a Group (objects with a string `value`).
    pub members: Vec<Value>,
    pub audit: AuditContext,
}

pub struct UpdateResource {
    pub tenant: Uuid,
    pub kind: ResourceKind,
    pub id: Uuid,
    /// The version the change was computed from (or the client's
    /// If-Match); mismatch is [`crate::StoreError::VersionMismatch`].
    /// `None` applies the change to whatever version is current: right for
    /// membership changes alone, which commute (adding one member need not
    /// read the group first, and concurrent adds never conflict).
    pub expected_version: Option<i64>,
    /// The new document; `None` leaves it as it is (a members-only PATCH).
    pub doc: Option<Value>,
    pub password_hash: Option<String>,
    /// Membership changes in order (Groups only).
    pub member_changes: Vec<MemberChange>,
    pub audit: AuditContext,
}

pub struct DeleteResource {
    pub tenant: Uuid,
    pub kind: ResourceKind,
    pub id: Uuid,
    /// From If-Match, if the client sent one.
    pub expected_version: Option<i64>,
    pub policy: DeletePolicy,
    pub audit: AuditContext,
}

/// A list query. `start_index` is 1-based (RFC 7644 §3.4.2.4); `count` 0
/// asks only for the total.
pub struct ListQuery<'a> {
    pub filter: Option<&'a Filter>,
    pub sort_by: Option<&'a AttrPath>,
    pub sort_order: SortOrder,
    pub start_index: u64,
    pub count: u64,
    /// Only resources after this one in the default order (creation time,
    /// then id): keyset paging, for cursors (RFC 9865), which costs the same
    /// on the last page as on the first. Counts from `start_index` within
    /// what follows; ignored with `sort_by`.
    pub after: Option<After>,
    /// The tenant's schemas, for evaluating what cannot be pushed to SQL
    /// (shared: a backend may evaluate on another thread).
    pub schemas: &'a Arc<SchemaRegistry>,
    /// For Users: also read each user's groups, from the same snapshot
    /// where the backend can ([`ListPage::groups`]).
    pub with_groups: bool,
}

/// Which rows a list reads: the live ones (SCIM, and the admin views'
/// "active" and "deactivated"), the soft-deleted ones too (the admin
/// views' "all"), or only the soft-deleted ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Live,
    WithDeleted,
    OnlyDeleted,
}

/// A place in the default list order: a resource's creation time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub created: OffsetDateTime,
    pub id: Uuid,
}

impl After {
    pub fn of(r: &StoredResource) -> After {
        After { created: r.created, id: r.id }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    /// Every match of the filter, on all pages (`after` does not shrink it).
    pub total: u64,
    pub resources: Vec<StoredResource>,
    /// More matches follow this page.
    pub more: bool,
    /// The groups of each listed user, when `with_groups` was asked and the
    /// backend read them with the page; `None` means "not read: ask
    /// `groups_of`".
    pub groups: Option<std::collections::HashMap<uuid::Uuid, Vec<GroupRef>>>,
}

/// An audit entry to write.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub tenant: Option<Uuid>,
    pub context: AuditContext,
    pub resource_kind: Option<ResourceKind>,
    pub resource_id: Option<Uuid>,
    /// The HTTP status of the outcome.
    pub status: u16,
    /// What changed, or why it was refused. Never a password or token.
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: OffsetDateTime,
    pub entry: AuditEntry,
}

/// An outbox event (DESIGN §7).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: Uuid,
    pub tenant: Uuid,
    /// The tenant's slug when the event was read (none once erased).
    pub tenant_slug: Option<String>,
    /// Per-tenant order: gapless, in commit order.
    pub seq: i64,
    /// Order across all tenants: increasing in commit order (the cursor of
    /// the all-tenants feed; not gapless).
    pub position: i64,
    pub event_type: crate::EventType,
    pub resource_id: Uuid,
    pub at: OffsetDateTime,
    /// Who made the change ([`crate::events::actor`]); null for events
    /// written before actors were recorded.
    pub actor: Value,
    pub data: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_stored_before_extensions_still_parse() {
        let old: TenantSettings = serde_json::from_str(r#"{"delete_policy":"hard"}"#).unwrap();
        assert_eq!(old.delete_policy, DeletePolicy::Hard);
        assert!(old.extensions.is_empty());
        assert_eq!(old.unknown_extensions, UnknownExtensions::Reject);
        let keep: TenantSettings = serde_json::from_str(r#"{"unknown_extensions":"keep"}"#).unwrap();
        assert_eq!(keep.unknown_extensions, UnknownExtensions::Keep);
    }
}
