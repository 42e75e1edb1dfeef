//! The event feed over HTTP (issue 12, `docs/events.md`):
//! `GET /admin/v1/tenants/{slug}/events` (one tenant, cursor = its
//! sequence number) and `GET /admin/v1/events` (every tenant in commit
//! order, for an application serving many). Scope `events:read`. The
//! reading and waiting are [`crate::ops::events`]'s.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use scim_store::{EventRecord, EventType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::Admin;
use super::problem::{AuthRefusals, Problem};
use super::query;
use crate::ops::admin_tokens::Scope;
use crate::ops::events::{FeedQuery, FeedRead, FeedScope, MAX_LIMIT, MAX_WAIT};
use crate::state::AppState;

/// A read of the feed.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The `next_cursor` of the previous read; without it, the feed starts
    /// at the oldest retained event.
    pub after: Option<String>,
    /// Events per read, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Only these event types, comma-separated (e.g.
    /// `user.deactivated,user.deleted`); the sequence numbers of what is
    /// returned then have gaps.
    pub types: Option<String>,
    /// Seconds to wait, 0 to 30 (default 0), for a first event when none
    /// is there yet: the answer comes as soon as one commits.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 30)]
    pub wait: Option<String>,
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPageView {
    /// The events, oldest first, each as described in `docs/events.md`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
    /// Where to resume (always given, also when `events` is empty).
    pub next_cursor: String,
}

impl FeedPageView {
    pub fn new(events: &[EventRecord], next_cursor: i64) -> Self {
        FeedPageView {
            events: events.iter().map(EventRecord::envelope).collect(),
            next_cursor: next_cursor.to_string(),
        }
    }
}

/// Reads one tenant's events in their order (cursor: the tenant's
/// sequence number).
#[utoipa::path(
    get, path = "/admin/v1/tenants/{slug}/events", tag = "events",
    params(("slug" = String, Path, description = "The tenant's slug"), FeedParams),
    responses(
        (status = 200, description = "The events after the cursor, oldest first", body = FeedPageView),
        (status = 404, description = "No such tenant (or not one the token may see)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The cursor is older than the retention: events after it were deleted; `oldest_cursor` is where to resume", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed cursor, limit, types or wait", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["events:read"]))
)]
pub async fn read_tenant_events(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    params: Result<Query<FeedParams>, QueryRejection>,
) -> Result<Json<FeedPageView>, Problem> {
    admin.require(Scope::EventsRead)?;
    let ctx = admin.tenant(&state.ops, &slug).await?;
    let Query(params) = params.map_err(|e| query::malformed(&e))?;
    let q = feed_query(&params, state.bulk_time)?;
    answer(state.ops.read_feed(FeedScope::Tenant(&ctx.tenant), &q).await?)
}

/// Reads every tenant's events in commit order (cursor: a global position).
/// Needs a token not limited to some tenants.
#[utoipa::path(
    get, path = "/admin/v1/events", tag = "events",
    params(FeedParams),
    responses(
        (status = 200, description = "The events after the cursor, in commit order", body = FeedPageView),
        (status = 410, description = "The cursor is older than the retention: events after it were deleted; `oldest_cursor` is where to resume", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed cursor, limit, types or wait", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["events:read"]))
)]
pub async fn read_all_events(
    State(state): State<AppState>,
    admin: Admin,
    params: Result<Query<FeedParams>, QueryRejection>,
) -> Result<Json<FeedPageView>, Problem> {
    admin.require(Scope::EventsRead)?;
    if admin.principal.is_limited() {
        return Err(Problem::tenant_not_allowed(
            "a token limited to some tenants reads their feeds, /admin/v1/tenants/{slug}/events",
        ));
    }
    let Query(params) = params.map_err(|e| query::malformed(&e))?;
    let q = feed_query(&params, state.bulk_time)?;
    answer(state.ops.read_feed(FeedScope::All, &q).await?)
}

fn answer(read: FeedRead) -> Result<Json<FeedPageView>, Problem> {
    match read {
        FeedRead::Page { events, next_cursor } => Ok(Json(FeedPageView::new(&events, next_cursor))),
        FeedRead::Gone { oldest_cursor } => {
            let mut p = Problem::new(
                410,
                "cursor-expired",
                "Cursor expired",
                format!(
                    "events after this cursor were deleted by retention; resume from oldest_cursor {oldest_cursor} \
                     (the events in between are gone)"
                ),
            );
            p.oldest_cursor = Some(oldest_cursor.to_string());
            Err(p)
        }
    }
}

/// The query as the operation takes it. `wait` is capped below the request
/// time limit (`answer_within`), so the answer always comes in time.
pub fn feed_query(params: &FeedParams, answer_within: Duration) -> Result<FeedQuery, Problem> {
    let invalid = |detail: String| Problem::new(422, "invalid-value", "Invalid value", detail);
    let after = match params.after.as_deref() {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return Err(Problem::new(
                    422,
                    "invalid-cursor",
                    "Invalid cursor",
                    "after must be a next_cursor this feed gave (a whole number)",
                ));
            }
        },
    };
    let limit = query::limit(params.limit.as_deref(), MAX_LIMIT)?;
    let types = match params.types.as_deref() {
        None => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(|t| {
                EventType::parse(t.trim()).ok_or_else(|| {
                    let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                    invalid(format!("unknown event type {:?}; the types are {}", t.trim(), known.join(", ")))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let wait = match params.wait.as_deref() {
        None => Duration::ZERO,
        Some(raw) => match raw.parse::<u64>() {
            Ok(n) if n <= MAX_WAIT.as_secs() => Duration::from_secs(n),
            _ => {
                return Err(invalid(format!(
                    "wait must be a whole number of seconds from 0 to {}",
                    MAX_WAIT.as_secs()
                )));
            }
        },
    };
    Ok(FeedQuery { after, limit, types, wait: wait.min(answer_within) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(after: Option<&str>, types: Option<&str>, wait: Option<&str>) -> FeedParams {
        FeedParams {
            after: after.map(Into::into),
            limit: None,
            types: types.map(Into::into),
            wait: wait.map(Into::into),
        }
    }

    #[test]
    fn queries_are_checked() {
        let within = Duration::from_secs(25);
        let q = feed_query(&params(Some("7"), Some("user.created, group.deleted"), Some("30")), within).unwrap();
        assert_eq!(q.after, Some(7));
        assert_eq!(q.types, [EventType::UserCreated, EventType::GroupDeleted]);
        assert_eq!(q.wait, within, "capped below the request time limit");
        assert_eq!(q.limit, 100);
        assert_eq!(feed_query(&params(None, None, None), within).unwrap().wait, Duration::ZERO);
        for (after, types, wait, status) in [
            (Some("-1"), None, None, 422),
            (Some("x"), None, None, 422),
            (None, Some("user.renamed"), None, 422),
            (None, Some(""), None, 422),
            (None, None, Some("31"), 422),
            (None, None, Some("-1"), 422),
        ] {
            let e = feed_query(&params(after, types, wait), within).unwrap_err();
            assert_eq!(e.status, status, "{after:?} {types:?} {wait:?}");
        }
    }
}
