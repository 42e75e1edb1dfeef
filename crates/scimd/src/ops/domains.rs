//! Verified domains (DESIGN §6; issue 11 item 5): a tenant claims a domain
//! and proves control with a TXT record (`_scimd-challenge.<domain>` =
//! `scimd-verification=<random>`), or an operator vouches for it
//! (`manual`). Consumer mail domains cannot be claimed; a domain another
//! tenant has verified only with the operator's override. Pending domains
//! are looked at again in the background ([`Ops::recheck_pending_domains`])
//! for a few days. When a tenant enforces its domains, the SCIM writes
//! check new addresses against its verified ones (`domain_rule.rs`), read
//! here through a short cache.

use std::sync::Arc;
use std::time::Duration;

use scim_core::ResourceKind;
use scim_store::{AuditContext, Domain, DomainChange, DomainCheck, NewDomain, StoreError, Tenant, VerifiedBy};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Ops;
use super::dns::TxtAnswer;
use super::domain_names::{self, TXT_PREFIX};
use super::domain_rule::VerifiedDomains;
use super::error::{OpError, OpResult};
use super::tenants::TenantCtx;

/// Why a domain operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Not a hostname of at least two labels.
    #[error("{0}")]
    Invalid(String),
    /// A consumer mail domain (`provider`: the listed domain it is, or is under).
    #[error(
        "{domain} is a consumer mail domain ({provider}): anyone can have an address there, so no tenant can verify it"
    )]
    Consumer { domain: String, provider: &'static str },
    /// Another tenant has verified it (or a domain above it, with its subdomains).
    #[error("another tenant has verified {held}; an operator can claim {domain} anyway with override")]
    VerifiedElsewhere { domain: String, held: String },
    #[error("the tenant already claims {0}")]
    AlreadyClaimed(String),
    #[error("the tenant does not claim {0}")]
    NotFound(String),
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        DomainError::Op(e.into())
    }
}

/// A domain just claimed, and whose verified claim the operator overrode.
pub struct AddedDomain {
    pub domain: Domain,
    pub overrode: Option<String>,
}

/// What claiming a domain asks for.
pub struct DomainRequest<'a> {
    pub domain: &'a str,
    pub include_subdomains: bool,
    /// Claim it even though another tenant has verified it.
    pub override_verified: bool,
}

/// What the background re-check does each round.
#[derive(Debug, Clone, Copy)]
pub struct RecheckPolicy {
    /// A pending domain is looked at again once this long has passed.
    pub every: Duration,
    /// Pending domains older than this are no longer looked at (an explicit
    /// verify still works).
    pub give_up_after: Duration,
    /// Domains one round looks at, at most.
    pub batch: u32,
}

/// What a TXT answer means for a domain expecting `expected`: the outcome
/// in plain words, and whether it verifies the domain.
pub fn judge(answer: &TxtAnswer, name: &str, expected: &str) -> (String, bool) {
    match answer {
        TxtAnswer::Values(values) if values.iter().any(|v| v.trim() == expected) => {
            (format!("verified: the TXT record at {name} holds the expected value"), true)
        }
        TxtAnswer::Values(values) => (
            format!(
                "pending: the TXT record at {name} has a different value ({} found, none is {expected:?})",
                values.len()
            ),
            false,
        ),
        TxtAnswer::NoRecord => (format!("pending: no TXT record at {name} yet"), false),
        TxtAnswer::Failed(e) => {
            (format!("pending: the DNS look-up of {name} failed ({})", super::audit::bounded(e, 200)), false)
        }
    }
}

fn txt_value() -> String {
    let random: [u8; 16] = rand::random();
    format!("{TXT_PREFIX}{}", hex::encode(random))
}

impl Ops {
    /// Claims a domain for `tenant`, pending until verified.
    pub async fn add_domain(&self, tenant: &Tenant, req: DomainRequest<'_>) -> Result<AddedDomain, DomainError> {
        let domain = domain_names::normalise(req.domain).map_err(DomainError::Invalid)?;
        if let Some(provider) = domain_names::consumer_domain(&domain) {
            return Err(DomainError::Consumer { domain, provider });
        }
        let held = self
            .store
            .domains_named(&domain_names::with_parents(&domain))
            .await?
            .into_iter()
            .find(|d| {
                d.tenant != tenant.id
                    && d.is_verified()
                    && domain_names::covers(&d.domain, d.include_subdomains, &domain)
            })
            .map(|d| d.domain);
        let overrode = match held {
            Some(held) if !req.override_verified => return Err(DomainError::VerifiedElsewhere { domain, held }),
            other => other,
        };
        let new = NewDomain {
            tenant: tenant.id,
            domain: domain.clone(),
            include_subdomains: req.include_subdomains,
            txt_value: txt_value(),
        };
        match self.store.add_domain(new).await {
            Ok(domain) => Ok(AddedDomain { domain, overrode }),
            Err(StoreError::Conflict(_)) => Err(DomainError::AlreadyClaimed(domain)),
            Err(StoreError::NotFound) => {
                Err(OpError::Refused(scim_core::ScimError::not_found("no such tenant")).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A tenant's domains, in domain order.
    pub async fn list_domains(&self, tenant: &Tenant) -> OpResult<Vec<Domain>> {
        Ok(self.store.list_domains(tenant.id).await?)
    }

    /// One of the tenant's domains, named as the operator wrote it.
    pub async fn domain(&self, tenant: &Tenant, name: &str) -> Result<Domain, DomainError> {
        let Ok(domain) = domain_names::normalise(name) else {
            return Err(DomainError::NotFound(super::audit::bounded(name, 253)));
        };
        self.store.get_domain(tenant.id, &domain).await?.ok_or(DomainError::NotFound(domain))
    }

    /// Verifies a pending domain: by its TXT record, or `manual`ly (an
    /// operator checked by other means). A failed check leaves it pending
    /// with the reason in `last_result`. A verified domain stays verified
    /// and is answered as it is.
    pub async fn verify_domain(&self, tenant: &Tenant, name: &str, manual: bool) -> Result<Domain, DomainError> {
        let domain = self.domain(tenant, name).await?;
        if domain.is_verified() {
            return Ok(domain);
        }
        let check = if manual {
            DomainCheck {
                at: OffsetDateTime::now_utc(),
                result: "verified manually by an operator".into(),
                verified: Some(VerifiedBy::Manual),
            }
        } else {
            self.check_txt(&domain).await
        };
        let updated = self.record_check(&domain, check).await?;
        Ok(updated)
    }

    /// Whether a verified domain covers its subdomains.
    pub async fn set_include_subdomains(&self, tenant: &Tenant, name: &str, on: bool) -> Result<Domain, DomainError> {
        let domain = self.domain(tenant, name).await?;
        let change = DomainChange { include_subdomains: Some(on), check: None };
        let updated = match self.store.update_domain(tenant.id, &domain.domain, change).await {
            Err(StoreError::NotFound) => return Err(DomainError::NotFound(domain.domain)),
            other => other?,
        };
        self.verified_domains.invalidate(|id, _| *id == tenant.id);
        Ok(updated)
    }

    /// Gives up a claim. Users already in the domain stay as they are.
    pub async fn remove_domain(&self, tenant: &Tenant, name: &str) -> Result<Domain, DomainError> {
        let domain = self.domain(tenant, name).await?;
        if !self.store.remove_domain(tenant.id, &domain.domain).await? {
            return Err(DomainError::NotFound(domain.domain));
        }
        self.verified_domains.invalidate(|id, _| *id == tenant.id);
        Ok(domain)
    }

    /// One round of the background re-check: the pending domains due (at
    /// most `policy.batch`, younger than `policy.give_up_after`) looked up
    /// again; each one verified is written to its tenant's audit log. How
    /// many it looked at.
    pub async fn recheck_pending_domains(&self, policy: RecheckPolicy) -> OpResult<usize> {
        let now = OffsetDateTime::now_utc();
        let due = self.store.pending_domains(now - policy.give_up_after, now - policy.every, policy.batch).await?;
        for domain in &due {
            let check = self.check_txt(domain).await;
            let verified = check.verified.is_some();
            let updated = match self.record_check(domain, check).await {
                Ok(d) => d,
                // Removed meanwhile.
                Err(DomainError::NotFound(_)) => continue,
                Err(DomainError::Op(e)) => return Err(e),
                Err(e) => return Err(OpError::internal(e.to_string())),
            };
            if verified {
                let context = AuditContext {
                    method: "TASK".into(),
                    path: "background domain re-check".into(),
                    ..AuditContext::default()
                };
                let detail = json!({"domain": {"verified": updated.domain, "by": "dns", "background": true}});
                self.record_admin_change(Some(domain.tenant), context, 200, detail).await;
            }
        }
        Ok(due.len())
    }

    /// The tenant's verified domains when it enforces them (`None`
    /// otherwise, and for Groups, which hold no addresses); cached for a
    /// few seconds, dropped at once by a change made here.
    pub async fn enforced_domains(&self, t: &TenantCtx, kind: ResourceKind) -> OpResult<Option<Arc<VerifiedDomains>>> {
        if !t.tenant.settings.enforce_domains || kind != ResourceKind::User {
            return Ok(None);
        }
        if let Some(v) = self.verified_domains.get(&t.tenant.id) {
            return Ok(Some(v));
        }
        let domains = self.store.list_domains(t.tenant.id).await?;
        let verified = Arc::new(VerifiedDomains {
            domains: domains
                .into_iter()
                .filter(Domain::is_verified)
                .map(|d| (d.domain, d.include_subdomains))
                .collect(),
        });
        self.verified_domains.insert(t.tenant.id, Arc::clone(&verified));
        Ok(Some(verified))
    }

    async fn check_txt(&self, domain: &Domain) -> DomainCheck {
        let name = domain_names::txt_name(&domain.domain);
        let answer = self.dns.txt(&name).await;
        let (result, verified) = judge(&answer, &name, &domain.txt_value);
        DomainCheck { at: OffsetDateTime::now_utc(), result, verified: verified.then_some(VerifiedBy::Dns) }
    }

    async fn record_check(&self, domain: &Domain, check: DomainCheck) -> Result<Domain, DomainError> {
        let tenant: Uuid = domain.tenant;
        let change = DomainChange { include_subdomains: None, check: Some(check) };
        let updated = match self.store.update_domain(tenant, &domain.domain, change).await {
            Err(StoreError::NotFound) => return Err(DomainError::NotFound(domain.domain.clone())),
            other => other?,
        };
        self.verified_domains.invalidate(|id, _| *id == tenant);
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_answers_are_judged_in_plain_words() {
        let name = "_scimd-challenge.example.com";
        let expected = "scimd-verification=abc";
        let (words, ok) = judge(&TxtAnswer::Values(vec!["v=spf1".into(), expected.into()]), name, expected);
        assert!(ok && words.starts_with("verified"), "{words}");
        let (words, ok) = judge(&TxtAnswer::Values(vec!["scimd-verification=other".into()]), name, expected);
        assert!(!ok && words.contains("different value"), "{words}");
        let (words, ok) = judge(&TxtAnswer::NoRecord, name, expected);
        assert!(!ok && words.contains("no TXT record"), "{words}");
        let (words, ok) = judge(&TxtAnswer::Failed("timed out".into()), name, expected);
        assert!(!ok && words.contains("DNS look-up") && words.contains("timed out"), "{words}");
        let v = txt_value();
        assert!(v.starts_with(TXT_PREFIX) && v.len() == TXT_PREFIX.len() + 32, "{v}");
    }
}
