//! The web admin's activity counts on PostgreSQL: the statements of
//! [`crate::activity`].

use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_ms, get, to_ms};
use super::sql::all;
use crate::Result;
use crate::activity::{self, HourCount, TenantHealth};

impl PgStore {
    pub(crate) async fn activity_impl(&self, tenant: Uuid, since: OffsetDateTime) -> Result<Vec<HourCount>> {
        let c = self.conn().await?;
        let mut out = Vec::new();
        for sql in [activity::EVENTS_PER_HOUR, activity::REFUSALS_PER_HOUR] {
            for r in all(&c, sql, &[&tenant, &to_ms(since)]).await? {
                let (hour, what, n): (i64, String, i64) = (get(&r, "hour")?, get(&r, "what")?, get(&r, "n")?);
                if let Some(what) = activity::activity_of(&what) {
                    out.push(HourCount {
                        hour: activity::hour_start(hour),
                        what,
                        count: u64::try_from(n).unwrap_or(0),
                    });
                }
            }
        }
        Ok(out)
    }

    pub(crate) async fn tenant_health_impl(&self, since: OffsetDateTime) -> Result<Vec<TenantHealth>> {
        let c = self.conn().await?;
        all(&c, activity::HEALTH, &[&to_ms(since)])
            .await?
            .iter()
            .map(|r| {
                Ok(TenantHealth {
                    tenant: get(r, "tenant")?,
                    refused: u64::try_from(get::<i64>(r, "refused")?).unwrap_or(0),
                    failed: u64::try_from(get::<i64>(r, "failed")?).unwrap_or(0),
                    last_request: get::<Option<i64>>(r, "last_request")?.map(from_ms),
                })
            })
            .collect()
    }
}
