//! What the web admin shows at a glance: a tenant's activity per hour and
//! every tenant's recent request health, with the rule for which tenants
//! need an operator's look (pure, below the reads).

use scim_store::activity::{HourCount, TenantHealth};
use time::{Duration, OffsetDateTime};

use super::{OpResult, Ops, TenantCtx};

/// The window a tenant's health is judged over.
pub const HEALTH_WINDOW: Duration = Duration::hours(24);
/// Refusals in [`HEALTH_WINDOW`] from which a tenant's requests count as
/// failing (a few refusals are ordinary: a conflict, a stale id).
pub const REFUSALS_FAILING: u64 = 10;

/// Why a tenant needs a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attention {
    /// Requests failed (5xx) in the window.
    Failing { failed: u64, refused: u64 },
    /// Many requests refused (4xx) in the window: something to change in
    /// the identity provider.
    Refused { refused: u64 },
    /// Requests came, but none in the window.
    Quiet { last: OffsetDateTime },
}

/// Whether `h` needs a look, judged at `now`; a tenant that never had a
/// request is waiting for its set-up, not quiet.
pub fn attention(h: &TenantHealth, now: OffsetDateTime) -> Option<Attention> {
    if h.failed > 0 {
        return Some(Attention::Failing { failed: h.failed, refused: h.refused });
    }
    if h.refused >= REFUSALS_FAILING {
        return Some(Attention::Refused { refused: h.refused });
    }
    match h.last_request {
        Some(last) if now - last > HEALTH_WINDOW => Some(Attention::Quiet { last }),
        _ => None,
    }
}

impl Ops {
    /// A tenant's events per hour and type, and refused and failed
    /// requests per hour, since `since`.
    pub async fn activity(&self, t: &TenantCtx, since: OffsetDateTime) -> OpResult<Vec<HourCount>> {
        Ok(self.store.activity(t.tenant.id, since).await?)
    }

    /// Every tenant's refusals and failures in the last [`HEALTH_WINDOW`]
    /// and its last request.
    pub async fn tenant_health(&self, now: OffsetDateTime) -> OpResult<Vec<TenantHealth>> {
        Ok(self.store.tenant_health(now - HEALTH_WINDOW).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(refused: u64, failed: u64, last_hours_ago: Option<i64>, now: OffsetDateTime) -> TenantHealth {
        TenantHealth {
            tenant: uuid::Uuid::nil(),
            refused,
            failed,
            last_request: last_hours_ago.map(|h| now - Duration::hours(h)),
        }
    }

    #[test]
    fn failing_refused_quiet_or_fine() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(attention(&health(0, 2, Some(1), now), now), Some(Attention::Failing { failed: 2, refused: 0 }));
        assert_eq!(attention(&health(12, 0, Some(1), now), now), Some(Attention::Refused { refused: 12 }));
        assert_eq!(attention(&health(3, 0, Some(1), now), now), None, "a few refusals are ordinary");
        let quiet = attention(&health(0, 0, Some(30), now), now);
        assert!(matches!(quiet, Some(Attention::Quiet { .. })));
        assert_eq!(attention(&health(0, 0, None, now), now), None, "never connected: waiting, not quiet");
        assert_eq!(attention(&health(0, 0, Some(23), now), now), None);
    }
}
