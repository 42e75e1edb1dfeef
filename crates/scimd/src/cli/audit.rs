//! `scimd audit list|search|export`: a tenant's audit log (DESIGN §3),
//! newest first: every change and every refused request, with who asked and
//! from where; never a body, a password or a token. `search` and `export`
//! take the admin API's filters (`GET …/audit`, `…/audit/export`) and print
//! the same JSON.

use std::io::Write;

use clap::{Args, Subcommand};
use scim_core::resource::format_datetime;
use scim_store::AuditRecord;

use super::CommonArgs;
use crate::admin_api::audit_view::{AuditEntryView, AuditPageView, ndjson_line};
use crate::ops::audit_search::{AuditFilter, AuditFilterText};

/// The filters of `search` and `export`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Entries written at or after this instant (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Entries written before this instant (RFC 3339, exclusive).
    #[arg(long)]
    until: Option<String>,
    /// Entries about this resource (its id).
    #[arg(long)]
    resource: Option<String>,
    /// Entries of requests made with this SCIM token or admin token (its id).
    #[arg(long)]
    token: Option<String>,
    /// ok (status below 400), refused (4xx) or failed (5xx).
    #[arg(long)]
    outcome: Option<String>,
}

impl FilterArgs {
    fn parse(&self) -> anyhow::Result<AuditFilter> {
        Ok(AuditFilter::parse(AuditFilterText {
            since: self.since.as_deref(),
            until: self.until.as_deref(),
            resource: self.resource.as_deref(),
            token: self.token.as_deref(),
            outcome: self.outcome.as_deref(),
        })?)
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Lists a tenant's most recent audit entries, newest first.
    List {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// How many entries at most.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Searches a tenant's audit log, newest first, a page at a time.
    Search {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        filter: FilterArgs,
        /// The next_cursor of the previous page.
        #[arg(long)]
        cursor: Option<String>,
        /// Entries per page, 1 to 1000.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Prints the page as JSON (items, next_cursor, retention_days).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Prints every matching entry of a tenant's audit log as NDJSON, newest
    /// first, read a chunk at a time.
    Export {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::List { tenant, limit, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let records = ops.list_audit(&ctx.tenant, limit).await?;
            if json {
                let views: Vec<AuditEntryView> = records.iter().map(AuditEntryView::from).collect();
                println!("{}", serde_json::to_string(&views)?);
            } else {
                print_lines(&records);
            }
        }
        AuditCommand::Search { tenant, filter, cursor, limit, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let filter = filter.parse()?;
            let page = ops.search_audit(&ctx.tenant, &filter, cursor.as_deref(), limit).await?;
            if json {
                println!("{}", serde_json::to_string(&AuditPageView::from(page))?);
            } else {
                print_lines(&page.entries);
                if let Some(next) = page.next_cursor {
                    eprintln!("more: --cursor {next}");
                }
            }
        }
        AuditCommand::Export { tenant, filter, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let mut export = ops.export_audit(&ctx.tenant, &filter.parse()?);
            let mut out = std::io::stdout().lock();
            let mut chunk = Vec::new();
            while let Some(records) = export.next_chunk().await? {
                chunk.clear();
                for r in &records {
                    ndjson_line(r, &mut chunk);
                }
                out.write_all(&chunk)?;
            }
            out.flush()?;
        }
    }
    Ok(())
}

/// One tab-separated line per entry: time, status, request, resource, diff.
fn print_lines(records: &[AuditRecord]) {
    for r in records {
        let e = &r.entry;
        let resource = e.resource_id.map(|id| id.to_string()).unwrap_or_default();
        println!(
            "{}\t{}\t{} {}\t{}\t{}",
            format_datetime(r.at),
            e.status,
            e.context.method,
            e.context.path,
            resource,
            e.detail
        );
    }
}
