//! `scimd events list`: the event feed (issue 12, `docs/events.md`): one
//! tenant's events in their order from a sequence number on, or every
//! tenant's in commit order from a global position on; `--json` prints the
//! admin API's page (`GET /admin/v1/…/events`), the same query checks.

use clap::Subcommand;
use scim_core::resource::format_datetime;

use super::CommonArgs;
use crate::admin_api::events::{FeedPageView, FeedParams, feed_query};
use crate::ops::events::{FeedRead, FeedScope, MAX_WAIT};

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Reads a tenant's events after a cursor (its sequence number), or
    /// without `--tenant` every tenant's after a global position; oldest
    /// first. Prints the cursor to resume from last.
    List {
        /// The tenant (its slug) [default: every tenant]
        #[arg(long)]
        tenant: Option<String>,
        /// The cursor to resume after (a next_cursor printed before);
        /// without it, from the oldest retained event.
        #[arg(long)]
        after: Option<String>,
        /// How many events at most, 1 to 1000.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Only these types, comma-separated (user.created, …).
        #[arg(long)]
        types: Option<String>,
        /// Seconds to wait (0 to 30) for a first event when none is there.
        #[arg(long)]
        wait: Option<u64>,
        /// Prints the page as JSON: {"events": [...], "next_cursor": "..."}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: EventsCommand) -> anyhow::Result<()> {
    match cmd {
        EventsCommand::List { tenant, after, limit, types, wait, json, common } => {
            let params = FeedParams { after, limit: Some(limit.to_string()), types, wait: wait.map(|w| w.to_string()) };
            let q = feed_query(&params, MAX_WAIT).map_err(|p| anyhow::anyhow!(p.detail))?;
            let ops = common.ops().await?;
            let ctx = match &tenant {
                Some(slug) => Some(ops.require_tenant(slug).await?),
                None => None,
            };
            let scope = match &ctx {
                Some(ctx) => FeedScope::Tenant(&ctx.tenant),
                None => FeedScope::All,
            };
            let (events, next_cursor) = match ops.read_feed(scope, &q).await? {
                FeedRead::Page { events, next_cursor } => (events, next_cursor),
                FeedRead::Gone { oldest_cursor } => anyhow::bail!(
                    "events after this cursor were deleted by retention; the oldest cursor is {oldest_cursor}"
                ),
            };
            if json {
                println!("{}", serde_json::to_value(FeedPageView::new(&events, next_cursor))?);
            } else {
                for e in &events {
                    let slug = e.tenant_slug.as_deref().unwrap_or("-");
                    println!(
                        "{slug}\t{}\t{}\t{}\t{}",
                        e.seq,
                        format_datetime(e.at),
                        e.event_type.as_str(),
                        e.resource_id
                    );
                }
                println!("next cursor: {next_cursor}");
            }
        }
    }
    Ok(())
}
