//! `scimd events list`: the events changes wrote to the outbox (DESIGN §7):
//! one tenant's in their per-tenant order from a sequence number on, or
//! every tenant's in commit order from a global position on.

use clap::Subcommand;
use scim_core::resource::format_datetime;
use scim_store::EventRecord;
use serde_json::{Value, json};

use super::CommonArgs;

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Lists a tenant's events after a sequence number, or without
    /// `--tenant` every tenant's after a global position; oldest first.
    List {
        /// The tenant (its slug) [default: every tenant]
        #[arg(long)]
        tenant: Option<String>,
        /// Only events with a greater sequence number (with `--tenant`) or
        /// global position (without).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// How many events at most.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: EventsCommand) -> anyhow::Result<()> {
    match cmd {
        EventsCommand::List { tenant, after, limit, json, common } => {
            let ops = common.ops().await?;
            let events = match tenant {
                Some(slug) => ops.list_events(&ops.require_tenant(&slug).await?.tenant, after, limit).await?,
                None => ops.list_all_events(after, limit).await?,
            };
            if json {
                println!("{}", Value::Array(events.iter().map(event_json).collect()));
            } else {
                for e in &events {
                    println!("{}\t{}\t{}\t{}", e.seq, format_datetime(e.at), e.event_type.as_str(), e.resource_id);
                }
            }
        }
    }
    Ok(())
}

fn event_json(e: &EventRecord) -> Value {
    json!({
        "id": e.id,
        "tenant": e.tenant,
        "sequence": e.seq,
        "position": e.position,
        "type": e.event_type.as_str(),
        "resource_id": e.resource_id,
        "occurred_at": format_datetime(e.at),
        "data": e.data,
    })
}
