//! A tenant's domain claims as the web pages show and change them, for
//! the operators' domains page (`domains.rs`) and the setup pages
//! (`setup.rs`) alike: the rows (state, the TXT record to publish, the
//! last check), claiming a domain, checking one now. Each caller says who
//! is on record for the change (an admin token, or a setup link); the
//! rules are [`crate::ops::domains`]'s, as for the admin API. Removing a
//! domain is the operators' alone (`domains.rs`).

use scim_store::{AuditContext, Tenant};
use serde::Deserialize;
use serde_json::json;

use super::error::UiError;
use super::page::{when, when_or_dash};
use crate::admin_api::problem::Problem;
use crate::ops::domain_names::txt_name;
use crate::ops::domains::{DomainError, DomainRequest};
use crate::state::AppState;

/// A claimed domain as `templates/domain_claims.html` shows it.
pub struct DomainRow {
    pub domain: String,
    pub verified: bool,
    pub verified_at: String,
    pub verified_by: &'static str,
    pub txt_name: String,
    pub txt_value: String,
    pub include_subdomains: bool,
    pub last_checked: String,
    pub last_result: Option<String>,
}

/// The tenant's claimed domains, as rows.
pub async fn rows(state: &AppState, tenant: &Tenant) -> Result<Vec<DomainRow>, UiError> {
    Ok(state
        .ops
        .list_domains(tenant)
        .await?
        .into_iter()
        .map(|d| DomainRow {
            verified: d.is_verified(),
            verified_at: when_or_dash(d.verified_at),
            verified_by: d.verified_by.map_or("", |b| b.as_str()),
            txt_name: txt_name(&d.domain),
            include_subdomains: d.include_subdomains,
            last_checked: d.last_checked.map(when).unwrap_or_default(),
            last_result: d.last_result,
            txt_value: d.txt_value,
            domain: d.domain,
        })
        .collect())
}

/// A refused domain operation, as a page says it.
pub fn refused(e: DomainError) -> UiError {
    UiError::from(Problem::from(e))
}

/// The claim form.
#[derive(Deserialize)]
pub struct NewDomain {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub include_subdomains: Option<String>,
}

/// Claims the form's domain for `tenant` (pending until verified), on
/// record as `audit`. The inner `Err` is a refusal to show beside the
/// form (a consumer mail domain, one claimed already, one another tenant
/// verified: no override from a page); the outer one a failure.
pub async fn claim(
    state: &AppState,
    tenant: &Tenant,
    form: &NewDomain,
    audit: AuditContext,
) -> Result<Result<(), UiError>, UiError> {
    let include_subdomains = form.include_subdomains.is_some();
    let req = DomainRequest { domain: form.domain.trim(), include_subdomains, override_verified: false };
    match state.ops.add_domain(tenant, req).await {
        Ok(added) => {
            let d = &added.domain;
            let detail = json!({"domain": {"added": d.domain, "include_subdomains": d.include_subdomains}});
            state.ops.record_admin_change(Some(tenant.id), audit, 201, detail).await;
            Ok(Ok(()))
        }
        Err(DomainError::Op(e)) => Err(e.into()),
        Err(e) => Ok(Err(refused(e))),
    }
}

/// Looks the TXT record of one of the tenant's domains up now, on record
/// as `audit` when that changed the domain (its state or last check).
pub async fn check(state: &AppState, tenant: &Tenant, domain: &str, audit: AuditContext) -> Result<(), UiError> {
    let before = state.ops.domain(tenant, domain).await.map_err(refused)?;
    let after = state.ops.verify_domain(tenant, &before.domain, false).await.map_err(refused)?;
    if after != before {
        let detail = json!({"domain": {
            "verify": after.domain,
            "manual": false,
            "state": if after.is_verified() { "verified" } else { "pending" },
            "result": after.last_result,
        }});
        state.ops.record_admin_change(Some(tenant.id), audit, 200, detail).await;
    }
    Ok(())
}
