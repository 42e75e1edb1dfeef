//! Self-serve setup links (issue 14): a link an operator sends a
//! customer's IT admin, who holds the identity provider, to connect it
//! without an admin token. Issuing one returns its URL once (the secret in
//! it is stored only hashed, like a token); it ends when it expires (at
//! most [`MAX_TTL`]) or is revoked; what it may do is its `allow` list.

use std::time::Duration;

use scim_core::ScimError;
use scim_store::{NewSetupLink, Revocation, SetupLink, Tenant};
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use super::tokens::expiry_after;
use crate::secrets;

/// A link's life when the request names none.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);
/// The longest a link may live.
pub const MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// What a link may be allowed: the SCIM connection (tokens and the IdP
/// guides), and verifying domains.
pub const ALLOWED: [&str; 2] = ["scim", "domains"];

/// Where links are opened: `{public base}/setup/{secret}`.
pub const PATH: &str = "/setup";

/// A link just issued: what is stored, and its URL with the secret, to
/// show once.
pub struct IssuedSetupLink {
    pub link: SetupLink,
    pub url: String,
}

/// `allow` checked: known names, none twice, at least one; in
/// [`ALLOWED`]'s order.
pub fn checked_allow(allow: &[String]) -> OpResult<Vec<String>> {
    if let Some(bad) = allow.iter().find(|a| !ALLOWED.contains(&a.as_str())) {
        let bad: String = bad.chars().take(40).collect();
        return Err(OpError::Refused(ScimError::invalid_value(format!(
            "allow: {bad:?} is not one of {}",
            ALLOWED.join(", ")
        ))));
    }
    let kept: Vec<String> = ALLOWED.iter().filter(|a| allow.iter().any(|x| x == *a)).map(|a| (*a).to_owned()).collect();
    if kept.is_empty() {
        return Err(OpError::Refused(ScimError::invalid_value("allow: name at least one of scim, domains")));
    }
    Ok(kept)
}

impl Ops {
    /// Issues a setup link for `tenant`, living `ttl` (at most [`MAX_TTL`]),
    /// allowed `allow`, made by the admin token `created_by`.
    pub async fn issue_setup_link(
        &self,
        tenant: &Tenant,
        ttl: Duration,
        allow: &[String],
        created_by: Option<Uuid>,
    ) -> OpResult<IssuedSetupLink> {
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(OpError::Refused(ScimError::invalid_value(format!(
                "expires_in: from 1 to {} seconds (7 days)",
                MAX_TTL.as_secs()
            ))));
        }
        let allow = checked_allow(allow)?;
        let generated = secrets::generate();
        let link = self
            .store
            .create_setup_link(NewSetupLink {
                tenant: tenant.id,
                prefix: generated.prefix,
                hash: generated.hash,
                allow,
                expires: expiry_after(ttl)?,
                created_by,
            })
            .await?;
        Ok(IssuedSetupLink { link, url: format!("{}{PATH}/{}", self.public_base(), generated.secret) })
    }

    /// The tenant's setup links, oldest first.
    pub async fn list_setup_links(&self, tenant: &Tenant) -> OpResult<Vec<SetupLink>> {
        Ok(self.store.list_setup_links(tenant.id).await?)
    }

    /// Revokes one of the tenant's setup links: it stops at once.
    pub async fn revoke_setup_link(&self, tenant: &Tenant, id: Uuid) -> OpResult<Revocation> {
        Ok(self.store.revoke_setup_link(tenant.id, id).await?)
    }
}

/// Why a presented link opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No link has this secret.
    Unknown,
    Expired,
    Revoked,
}

impl Ops {
    /// The link whose secret is `secret`, if it is valid now; else why not.
    /// Every page of a link's session asks again, so that revoking it
    /// counts at once.
    pub async fn valid_setup_link(&self, secret: &str) -> OpResult<Result<SetupLink, LinkRefusal>> {
        let Some(link) = self.store.setup_link_by_hash(&secrets::hash(secret)).await? else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        if link.revoked.is_some() {
            return Ok(Err(LinkRefusal::Revoked));
        }
        if link.expires <= time::OffsetDateTime::now_utc() {
            return Ok(Err(LinkRefusal::Expired));
        }
        Ok(Ok(link))
    }

    /// [`Self::valid_setup_link`], recording the use: when the link itself
    /// is opened (once per session, not on every page: a write each).
    pub async fn open_setup_link(&self, secret: &str) -> OpResult<Result<SetupLink, LinkRefusal>> {
        let link = self.valid_setup_link(secret).await?;
        if let Ok(l) = &link
            && let Err(e) = self.store.touch_setup_link(l.id).await
        {
            tracing::debug!(error = %e, "recording a setup link's use");
        }
        Ok(link)
    }
}

/// What a setup link's page tells of the identity provider's connection.
pub struct ConnectionStatus {
    /// The last use of any of the tenant's tokens (recorded at most once a
    /// minute per token); `None`: no request yet.
    pub last_request: Option<time::OffsetDateTime>,
    /// The User-Agent that last request was recorded with (see
    /// [`super::user_agent`]); `None`: no request, or it sent none.
    pub last_user_agent: Option<String>,
    pub users: u64,
    pub groups: u64,
    /// The tenant's latest refused requests, newest first.
    pub refusals: Vec<scim_store::AuditRecord>,
}

impl Ops {
    /// How the tenant's identity provider is doing, as far as scimd saw.
    pub async fn connection_status(&self, t: &super::TenantCtx) -> OpResult<ConnectionStatus> {
        let tokens = self.list_tokens(&t.tenant).await?;
        let last = tokens.iter().filter(|k| k.last_used.is_some()).max_by_key(|k| k.last_used);
        let last_request = last.and_then(|k| k.last_used);
        let last_user_agent = last.and_then(|k| k.last_user_agent.clone());
        let mut counts = [0u64; 2];
        for (n, kind) in counts.iter_mut().zip([scim_core::ResourceKind::User, scim_core::ResourceKind::Group]) {
            let query = scim_store::ListQuery {
                filter: None,
                sort_by: None,
                sort_order: scim_core::sort::SortOrder::Ascending,
                start_index: 1,
                count: 0,
                after: None,
                schemas: &t.registry,
                with_groups: false,
            };
            *n = self.list_resources(t, kind, &query).await?.total;
        }
        let refused = scim_store::AuditQuery {
            outcome: Some(scim_store::AuditOutcome::Refused),
            limit: 5,
            ..scim_store::AuditQuery::default()
        };
        let refusals = self.store.search_audit(t.tenant.id, &refused).await?;
        Ok(ConnectionStatus { last_request, last_user_agent, users: counts[0], groups: counts[1], refusals })
    }
}

/// Who an action through a setup link is on record as.
pub fn audit_subject(link: &SetupLink) -> String {
    format!("setup_link:{}", link.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_names_only_what_links_may_do_in_one_order() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(checked_allow(&v(&["domains", "scim", "scim"])).unwrap(), v(&["scim", "domains"]));
        assert_eq!(checked_allow(&v(&["domains"])).unwrap(), v(&["domains"]));
        assert!(checked_allow(&v(&[])).is_err());
        let e = checked_allow(&v(&["admin"])).unwrap_err().to_string();
        assert!(e.contains("\"admin\"") && e.contains("scim, domains"), "{e}");
    }
}
