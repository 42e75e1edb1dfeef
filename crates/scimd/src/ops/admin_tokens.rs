//! Admin API tokens (DESIGN §3, §6): issuing one with scopes and an
//! optional limit to some tenants and an expiry (the secret is returned
//! once, only its hash is stored), listing, revoking, rotating with an
//! overlap, and authenticating a presented secret.
//!
//! Admin tokens are not cached: the admin API is called far less often than
//! SCIM, and reading the token from the database on every call means a
//! token made or revoked by the CLI in another process counts at once.

use std::time::Duration;

use scim_core::ScimError;
use scim_store::{AdminTokenInfo, NewAdminToken, Revocation, Tenant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use super::tokens::expiry_after;
use crate::secrets;

/// What an admin token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    Admin,
    TenantsRead,
    TenantsWrite,
    AuditRead,
    EventsRead,
    WebhooksWrite,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::Admin,
        Scope::TenantsRead,
        Scope::TenantsWrite,
        Scope::AuditRead,
        Scope::EventsRead,
        Scope::WebhooksWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::TenantsRead => "tenants:read",
            Scope::TenantsWrite => "tenants:write",
            Scope::AuditRead => "audit:read",
            Scope::EventsRead => "events:read",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }

    /// The scope named `s`; `400 invalidValue` listing the known ones.
    pub fn parse(s: &str) -> OpResult<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            OpError::Refused(ScimError::invalid_value(format!(
                "unknown scope {:?}; the scopes are {}",
                crate::ops::audit::bounded(s, 40),
                known.join(", ")
            )))
        })
    }
}

/// Who an admin API call is from: a valid admin token, its scopes and the
/// tenants it is limited to.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub token: Uuid,
    pub scopes: Vec<Scope>,
    /// Empty: every tenant.
    pub tenants: Vec<Uuid>,
    /// The token's name and visible prefix, to show who is logged in.
    pub label: String,
}

impl AdminPrincipal {
    /// Whether the token carries `scope` (or `admin`, which is every scope).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| *s == Scope::Admin || *s == scope)
    }

    /// Whether the token may act on `tenant`.
    pub fn may_act_on(&self, tenant: &Tenant) -> bool {
        self.tenants.is_empty() || self.tenants.contains(&tenant.id)
    }

    /// Whether the token is limited to some tenants (and so may not create
    /// new ones).
    pub fn is_limited(&self) -> bool {
        !self.tenants.is_empty()
    }
}

/// Why a presented admin secret was not accepted (answered 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAuthRefusal {
    /// Unknown or revoked: one answer for both.
    Invalid,
    Expired,
}

/// An admin token just issued: what is stored, and the secret, to show once.
pub struct IssuedAdminToken {
    pub info: AdminTokenInfo,
    pub secret: String,
}

/// What to issue.
pub struct AdminTokenRequest<'a> {
    pub name: &'a str,
    pub scopes: &'a [String],
    /// Slugs of the tenants the token is limited to (none: every tenant).
    pub tenants: &'a [String],
    pub expires_in: Option<Duration>,
}

impl Ops {
    /// Issues an admin token. At least one scope; unknown scopes and
    /// tenants are refused.
    pub async fn issue_admin_token(&self, req: AdminTokenRequest<'_>) -> OpResult<IssuedAdminToken> {
        if req.scopes.is_empty() {
            return Err(OpError::Refused(ScimError::invalid_value(
                "an admin token needs at least one scope (admin for everything)",
            )));
        }
        let mut scopes = Vec::new();
        for s in req.scopes {
            let scope = Scope::parse(s)?.as_str().to_owned();
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        let mut tenants = Vec::new();
        for slug in req.tenants {
            let id = self.require_tenant(slug).await?.tenant.id;
            if !tenants.contains(&id) {
                tenants.push(id);
            }
        }
        let expires = match req.expires_in {
            None => None,
            Some(d) => Some(expiry_after(d)?),
        };
        self.store_admin_token(req.name, scopes, tenants, expires, None).await
    }

    async fn store_admin_token(
        &self,
        name: &str,
        scopes: Vec<String>,
        tenants: Vec<Uuid>,
        expires: Option<OffsetDateTime>,
        replaces: Option<Uuid>,
    ) -> OpResult<IssuedAdminToken> {
        let generated = secrets::generate();
        let info = self
            .store
            .create_admin_token(NewAdminToken {
                name: name.to_owned(),
                prefix: generated.prefix,
                hash: generated.hash,
                scopes,
                tenants,
                expires,
                replaces,
            })
            .await?;
        Ok(IssuedAdminToken { info, secret: generated.secret })
    }

    /// Every admin token (never a secret), oldest first.
    pub async fn list_admin_tokens(&self) -> OpResult<Vec<AdminTokenInfo>> {
        Ok(self.store.list_admin_tokens().await?)
    }

    /// Revokes an admin token: refused at once by every process (admin
    /// tokens are read from the database on each call).
    pub async fn revoke_admin_token(&self, token: Uuid) -> OpResult<Revocation> {
        match self.store.revoke_admin_token(token).await? {
            Revocation::NotFound => Err(no_such_admin_token(token)),
            outcome => Ok(outcome),
        }
    }

    /// Issues a new secret for an admin token, with the same name, scopes,
    /// tenants and expiry; the old secret keeps working for `overlap` (zero:
    /// it stops at once), then stops. A revoked or expired token cannot be
    /// rotated (409).
    pub async fn rotate_admin_token(&self, token: Uuid, overlap: Duration) -> OpResult<IssuedAdminToken> {
        let old = self.store.list_admin_tokens().await?.into_iter().find(|t| t.id == token);
        let old = old.ok_or_else(|| no_such_admin_token(token))?;
        if old.revoked.is_some() || old.expires.is_some_and(|at| at <= OffsetDateTime::now_utc()) {
            return Err(OpError::Refused(ScimError::new(
                409,
                None,
                format!("admin token {token} is revoked or expired; create a new one"),
            )));
        }
        let issued = self.store_admin_token(&old.name, old.scopes, old.tenants, old.expires, Some(old.id)).await?;
        self.store.expire_admin_token(old.id, expiry_after(overlap)?).await?;
        Ok(issued)
    }

    /// The admin token a presented secret belongs to, if it is valid now.
    pub async fn authenticate_admin(&self, secret: &str) -> OpResult<Result<AdminPrincipal, AdminAuthRefusal>> {
        let hash = secrets::hash(secret);
        let Some(info) = self.store.admin_token_by_hash(&hash).await? else {
            return Ok(Err(AdminAuthRefusal::Invalid));
        };
        // Looked up by hash; compared again in constant time.
        if !secrets::hashes_equal(&info.hash, &hash) || info.revoked.is_some() {
            return Ok(Err(AdminAuthRefusal::Invalid));
        }
        if info.expires.is_some_and(|at| at <= OffsetDateTime::now_utc()) {
            return Ok(Err(AdminAuthRefusal::Expired));
        }
        // Stored scopes were checked when issued; one unknown to this
        // version (a newer node wrote it) is ignored, not trusted.
        let scopes = info.scopes.iter().filter_map(|s| Scope::parse(s).ok()).collect();
        if self.touch_due(info.id, 0) {
            let store = self.store.clone();
            let id = info.id;
            tokio::spawn(async move {
                if let Err(e) = store.touch_admin_token(id).await {
                    tracing::warn!(error = %e, token = %id, "could not record admin token use");
                }
            });
        }
        let label = format!("{} ({}…)", info.name, info.prefix);
        Ok(Ok(AdminPrincipal { token: info.id, scopes, tenants: info.tenants, label }))
    }
}

fn no_such_admin_token(token: Uuid) -> OpError {
    OpError::Refused(ScimError::not_found(format!("no admin token {token}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_admin_allows_everything() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()).unwrap(), s);
        }
        let e = Scope::parse("root").unwrap_err().to_string();
        assert!(e.contains("tenants:read") && e.contains("\"root\""), "{e}");
        let reader = AdminPrincipal {
            token: Uuid::nil(),
            scopes: vec![Scope::TenantsRead],
            tenants: vec![],
            label: String::new(),
        };
        assert!(reader.allows(Scope::TenantsRead) && !reader.allows(Scope::TenantsWrite));
        let admin =
            AdminPrincipal { token: Uuid::nil(), scopes: vec![Scope::Admin], tenants: vec![], label: String::new() };
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
        assert!(!admin.is_limited());
    }

    #[test]
    fn an_expiry_too_far_away_is_refused() {
        assert!(expiry_after(Duration::from_secs(60)).is_ok());
        assert!(expiry_after(Duration::from_secs(u64::MAX)).is_err());
    }
}
