//! Verified domains on PostgreSQL: a tenant's claimed domains, their TXT
//! values and verification state.

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_ms, get, is_foreign_key_violation, now, opt_from_ms, to_ms, unique_violation};
use super::sql::{all, exec, opt};
use crate::{Domain, DomainChange, NewDomain, Result, StoreError, VerifiedBy};

const SELECT: &str = "SELECT tenant, domain, include_subdomains, txt_value, created, verified_at, verified_by, \
                      last_checked, last_result FROM domains";

/// Names one `domains_named` call looks up at most (a domain has at most
/// 127 labels, so its suffixes are fewer).
const MAX_NAMES: usize = 128;

fn domain_from_row(row: &Row) -> Result<Domain> {
    let verified_by: Option<String> = get(row, "verified_by")?;
    let verified_by = match verified_by.as_deref() {
        None => None,
        Some(s) => Some(VerifiedBy::parse(s).ok_or_else(|| StoreError::Corrupt(format!("domain verified_by {s:?}")))?),
    };
    Ok(Domain {
        tenant: get(row, "tenant")?,
        domain: get(row, "domain")?,
        include_subdomains: get(row, "include_subdomains")?,
        txt_value: get(row, "txt_value")?,
        created: from_ms(get(row, "created")?),
        verified_at: opt_from_ms(get(row, "verified_at")?),
        verified_by,
        last_checked: opt_from_ms(get(row, "last_checked")?),
        last_result: get(row, "last_result")?,
    })
}

async fn one_domain(c: &impl GenericClient, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
    opt(c, &format!("{SELECT} WHERE tenant = $1 AND domain = $2"), &[&tenant, &domain])
        .await?
        .as_ref()
        .map(domain_from_row)
        .transpose()
}

impl PgStore {
    pub(crate) async fn add_domain_impl(&self, new: NewDomain) -> Result<Domain> {
        let domain = Domain {
            tenant: new.tenant,
            domain: new.domain,
            include_subdomains: new.include_subdomains,
            txt_value: new.txt_value,
            created: now(),
            verified_at: None,
            verified_by: None,
            last_checked: None,
            last_result: None,
        };
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO domains (tenant, domain, include_subdomains, txt_value, created) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?;
        let done = c
            .execute(
                &stmt,
                &[
                    &domain.tenant,
                    &domain.domain,
                    &domain.include_subdomains,
                    &domain.txt_value,
                    &to_ms(domain.created),
                ],
            )
            .await;
        match done {
            // The key is (tenant, domain): the tenant claims it already.
            Err(e) if unique_violation(&e) == Some("domains_pkey") => {
                Err(StoreError::Conflict(format!("the tenant already claims the domain {}", domain.domain)))
            }
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
            Ok(_) => Ok(domain),
        }
    }

    pub(crate) async fn list_domains_impl(&self, tenant: Uuid) -> Result<Vec<Domain>> {
        let c = self.conn().await?;
        all(&c, &format!("{SELECT} WHERE tenant = $1 ORDER BY domain"), &[&tenant])
            .await?
            .iter()
            .map(domain_from_row)
            .collect()
    }

    pub(crate) async fn get_domain_impl(&self, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
        let c = self.conn().await?;
        one_domain(&c, tenant, domain).await
    }

    pub(crate) async fn update_domain_impl(&self, tenant: Uuid, domain: &str, change: DomainChange) -> Result<Domain> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        if opt(&tx, "SELECT 1 FROM domains WHERE tenant = $1 AND domain = $2 FOR UPDATE", &[&tenant, &domain])
            .await?
            .is_none()
        {
            // At once, not queued by the drop: the connection goes back to the pool.
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        if let Some(include) = change.include_subdomains {
            exec(
                &tx,
                "UPDATE domains SET include_subdomains = $1 WHERE tenant = $2 AND domain = $3",
                &[&include, &tenant, &domain],
            )
            .await?;
        }
        if let Some(check) = &change.check {
            exec(
                &tx,
                "UPDATE domains SET last_checked = $1, last_result = $2 WHERE tenant = $3 AND domain = $4",
                &[&to_ms(check.at), &check.result, &tenant, &domain],
            )
            .await?;
            if let Some(by) = check.verified {
                // The first verification stays: a later check does not move it.
                exec(
                    &tx,
                    "UPDATE domains SET verified_at = $1, verified_by = $2 \
                     WHERE tenant = $3 AND domain = $4 AND verified_at IS NULL",
                    &[&to_ms(check.at), &by.as_str(), &tenant, &domain],
                )
                .await?;
            }
        }
        let updated = one_domain(&tx, tenant, domain).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(updated)
    }

    pub(crate) async fn remove_domain_impl(&self, tenant: Uuid, domain: &str) -> Result<bool> {
        let c = self.conn().await?;
        Ok(exec(&c, "DELETE FROM domains WHERE tenant = $1 AND domain = $2", &[&tenant, &domain]).await? > 0)
    }

    pub(crate) async fn domains_named_impl(&self, names: &[String]) -> Result<Vec<Domain>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let names = &names[..names.len().min(MAX_NAMES)];
        let c = self.conn().await?;
        all(&c, &format!("{SELECT} WHERE domain = ANY($1) ORDER BY domain, created"), &[&names])
            .await?
            .iter()
            .map(domain_from_row)
            .collect()
    }

    pub(crate) async fn pending_domains_impl(
        &self,
        created_after: OffsetDateTime,
        checked_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Domain>> {
        let c = self.conn().await?;
        all(
            &c,
            &format!(
                "{SELECT} WHERE verified_at IS NULL AND created >= $1 \
                 AND (last_checked IS NULL OR last_checked < $2) \
                 ORDER BY last_checked IS NOT NULL, last_checked LIMIT $3"
            ),
            &[&to_ms(created_after), &to_ms(checked_before), &i64::from(limit)],
        )
        .await?
        .iter()
        .map(domain_from_row)
        .collect()
    }
}
