//! `scimd audit list`: a tenant's audit log (DESIGN §3), newest first:
//! every change and every refused request, with who asked and from where;
//! never a body, a password or a token.

use clap::Subcommand;
use scim_core::resource::format_datetime;
use scim_store::AuditRecord;
use serde_json::{Value, json};

use super::CommonArgs;

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
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::List { tenant, limit, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let records = ops.list_audit(&ctx.tenant, limit).await?;
            if json {
                println!("{}", Value::Array(records.iter().map(record_json).collect()));
            } else {
                for r in &records {
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
        }
    }
    Ok(())
}

fn record_json(r: &AuditRecord) -> Value {
    let e = &r.entry;
    json!({
        "id": r.id,
        "at": format_datetime(r.at),
        "token": e.context.token,
        "admin_token": e.context.admin_token,
        "subject": e.context.subject,
        "remote_addr": e.context.remote_addr,
        "method": e.context.method,
        "path": e.context.path,
        "request_id": e.context.request_id,
        "resource_type": e.resource_kind.map(|k| k.as_str()),
        "resource_id": e.resource_id,
        "status": e.status,
        "detail": e.detail,
    })
}
