//! The web admin's activity counts on SQLite: the statements of
//! [`crate::activity`], run on a scan thread.

use rusqlite::{Connection, params};
use time::OffsetDateTime;
use uuid::Uuid;

use super::sql::all;
use crate::Result;
use crate::activity::{self, HourCount, TenantHealth};
use crate::clock::{from_ms, to_ms};

pub(crate) fn per_hour(c: &Connection, tenant: Uuid, since: OffsetDateTime) -> Result<Vec<HourCount>> {
    let mut out = Vec::new();
    for sql in [activity::EVENTS_PER_HOUR, activity::REFUSALS_PER_HOUR] {
        let rows = all(c, sql, params![tenant, to_ms(since)], |r| {
            Ok((r.get::<_, i64>("hour")?, r.get::<_, String>("what")?, r.get::<_, i64>("n")?))
        })?;
        out.extend(rows.into_iter().filter_map(|(hour, what, n)| {
            Some(HourCount {
                hour: activity::hour_start(hour),
                what: activity::activity_of(&what)?,
                count: u64::try_from(n).unwrap_or(0),
            })
        }));
    }
    Ok(out)
}

pub(crate) fn health(c: &Connection, since: OffsetDateTime) -> Result<Vec<TenantHealth>> {
    all(c, activity::HEALTH, params![to_ms(since)], |r| {
        Ok(TenantHealth {
            tenant: r.get("tenant")?,
            refused: u64::try_from(r.get::<_, i64>("refused")?).unwrap_or(0),
            failed: u64::try_from(r.get::<_, i64>("failed")?).unwrap_or(0),
            last_request: r.get::<_, Option<i64>>("last_request")?.map(from_ms),
        })
    })
}
