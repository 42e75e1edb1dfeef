//! Verified domains on SQLite: a tenant's claimed domains, their TXT
//! values and verification state (migration `0009`).

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, is_foreign_key_violation, now, opt_from_ms, to_ms};
use super::sql::all;
use crate::{Domain, DomainChange, NewDomain, Result, StoreError, VerifiedBy};

const SELECT: &str = "SELECT tenant, domain, include_subdomains, txt_value, created, verified_at, verified_by, \
                      last_checked, last_result FROM domains";

/// Names one `domains_named` call looks up at most (a domain has at most
/// 127 labels, so its suffixes are fewer).
const MAX_NAMES: usize = 128;

fn domain_from_row(row: &Row<'_>) -> Result<Domain> {
    let verified_by: Option<String> = row.get("verified_by")?;
    let verified_by = match verified_by.as_deref() {
        None => None,
        Some(s) => Some(VerifiedBy::parse(s).ok_or_else(|| StoreError::Corrupt(format!("domain verified_by {s:?}")))?),
    };
    Ok(Domain {
        tenant: row.get("tenant")?,
        domain: row.get("domain")?,
        include_subdomains: row.get("include_subdomains")?,
        txt_value: row.get("txt_value")?,
        created: from_ms(row.get("created")?),
        verified_at: opt_from_ms(row.get("verified_at")?),
        verified_by,
        last_checked: opt_from_ms(row.get("last_checked")?),
        last_result: row.get("last_result")?,
    })
}

/// The tenant claims the domain already (the key is `(tenant, domain)`).
fn is_primary_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _)
        if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

fn get(c: &Connection, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} WHERE tenant = ? AND domain = ?"))?;
    stmt.query_row(params![tenant, domain], |r| Ok(domain_from_row(r))).optional()?.transpose()
}

fn update(c: &Connection, tenant: Uuid, domain: &str, change: &DomainChange) -> Result<Domain> {
    if get(c, tenant, domain)?.is_none() {
        return Err(StoreError::NotFound);
    }
    if let Some(include) = change.include_subdomains {
        c.prepare_cached("UPDATE domains SET include_subdomains = ? WHERE tenant = ? AND domain = ?")?
            .execute(params![include, tenant, domain])?;
    }
    if let Some(check) = &change.check {
        c.prepare_cached("UPDATE domains SET last_checked = ?, last_result = ? WHERE tenant = ? AND domain = ?")?
            .execute(params![to_ms(check.at), check.result, tenant, domain])?;
        if let Some(by) = check.verified {
            // The first verification stays: a later check does not move it.
            c.prepare_cached(
                "UPDATE domains SET verified_at = ?, verified_by = ? \
                 WHERE tenant = ? AND domain = ? AND verified_at IS NULL",
            )?
            .execute(params![to_ms(check.at), by.as_str(), tenant, domain])?;
        }
    }
    get(c, tenant, domain)?.ok_or(StoreError::NotFound)
}

impl SqliteStore {
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
        let row = domain.clone();
        self.write(move |c| {
            let res = c
                .prepare_cached(
                    "INSERT INTO domains (tenant, domain, include_subdomains, txt_value, created) \
                     VALUES (?, ?, ?, ?, ?)",
                )?
                .execute(params![row.tenant, row.domain, row.include_subdomains, row.txt_value, to_ms(row.created)]);
            match res {
                Err(e) if is_primary_key_violation(&e) => {
                    Err(StoreError::Conflict(format!("the tenant already claims the domain {}", row.domain)))
                }
                Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
                other => other.map(drop).map_err(Into::into),
            }
        })
        .await?;
        Ok(domain)
    }

    pub(crate) fn list_domains_impl(&self, tenant: Uuid) -> Result<Vec<Domain>> {
        // A tenant claims a handful of domains: a point read.
        self.read_fresh(|c| all(c, &format!("{SELECT} WHERE tenant = ? ORDER BY domain"), [tenant], domain_from_row))
    }

    pub(crate) fn get_domain_impl(&self, tenant: Uuid, domain: &str) -> Result<Option<Domain>> {
        self.read_fresh(|c| get(c, tenant, domain))
    }

    pub(crate) async fn update_domain_impl(&self, tenant: Uuid, domain: &str, change: DomainChange) -> Result<Domain> {
        let domain = domain.to_owned();
        self.write(move |c| update(c, tenant, &domain, &change)).await
    }

    pub(crate) async fn remove_domain_impl(&self, tenant: Uuid, domain: &str) -> Result<bool> {
        let domain = domain.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM domains WHERE tenant = ? AND domain = ?")?
                .execute(params![tenant, domain])?;
            Ok(n > 0)
        })
        .await
    }

    pub(crate) fn domains_named_impl(&self, names: &[String]) -> Result<Vec<Domain>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let names = &names[..names.len().min(MAX_NAMES)];
        let marks = vec!["?"; names.len()].join(", ");
        let sql = format!("{SELECT} WHERE domain IN ({marks}) ORDER BY domain, created");
        self.read_fresh(|c| all(c, &sql, params_from_iter(names.iter()), domain_from_row))
    }

    pub(crate) async fn pending_domains_impl(
        &self,
        created_after: OffsetDateTime,
        checked_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Domain>> {
        let (created_after, checked_before) = (to_ms(created_after), to_ms(checked_before));
        self.scan(Uuid::nil(), move |c| {
            all(
                c,
                &format!(
                    "{SELECT} WHERE verified_at IS NULL AND created >= ? \
                     AND (last_checked IS NULL OR last_checked < ?) \
                     ORDER BY last_checked IS NOT NULL, last_checked LIMIT ?"
                ),
                params![created_after, checked_before, limit],
                domain_from_row,
            )
        })
        .await
    }
}
