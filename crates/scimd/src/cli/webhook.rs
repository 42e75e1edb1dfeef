//! `scimd webhook add|list|show|update|enable|disable|rotate-secret|delete|
//! deliveries|replay|ping`: webhook endpoints (issue 12) over the same
//! operations as the admin API; `--json` prints the API's views.

use clap::{Args, Subcommand};
use scim_store::AuditContext;
use scim_store::webhooks::{DeliveryQuery, DeliveryState, Selection};
use serde_json::Value;
use uuid::Uuid;

use super::CommonArgs;
use crate::admin_api::webhooks::{DeliveryView, WebhookView, secret_view, view_of};
use crate::ops::Ops;
use crate::ops::audit_search::instant;
use crate::ops::webhooks::{ReplayRequest, WebhookSpec};

/// The fields of a registration or a change.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// The endpoint's URL (https://…; no redirects are followed).
    #[arg(long)]
    url: Option<String>,
    /// Tenants' slugs, comma-separated, or `all` [default on add: all]
    #[arg(long)]
    tenants: Option<String>,
    /// Event types, comma-separated, or `all` [default on add: all]
    #[arg(long)]
    types: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// For `--format set`: the SETs' `aud` [default: the URL]
    #[arg(long)]
    audience: Option<String>,
    /// For `--format set`: `opaque` or `email` [default: opaque]
    #[arg(long)]
    subject_format: Option<String>,
    /// An Authorization header value to send (stored sealed).
    #[arg(long)]
    authorization: Option<String>,
    /// Deliveries in flight at once, 1 to 256 [default on add: 16]
    #[arg(long)]
    max_in_flight: Option<u32>,
}

fn selection(raw: Option<String>) -> Option<Selection<String>> {
    raw.map(|r| {
        if r.trim() == "all" {
            Selection::all()
        } else {
            Selection::Only(r.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        }
    })
}

impl SpecArgs {
    fn spec(self, format: Option<String>) -> WebhookSpec {
        WebhookSpec {
            url: self.url,
            tenants: selection(self.tenants),
            types: selection(self.types),
            format,
            description: self.description,
            audience: self.audience.map(Some),
            subject_format: self.subject_format.map(Some),
            authorization: self.authorization.map(Some),
            max_in_flight: self.max_in_flight,
            enabled: None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Registers an endpoint; prints its secret (whsec_…) once.
    Add {
        #[command(flatten)]
        spec: SpecArgs,
        /// `json` (Standard Webhooks) or `set` (Security Event Tokens)
        #[arg(long, default_value = "json")]
        format: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists the endpoints.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Shows one endpoint.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Changes an endpoint.
    Update {
        id: String,
        #[command(flatten)]
        spec: SpecArgs,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Enables an endpoint (its queued events go out again).
    Enable {
        id: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Disables an endpoint (events are kept for it meanwhile).
    Disable {
        id: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// A new secret, printed once; the old one signs beside it for the overlap.
    RotateSecret {
        id: String,
        /// Seconds the old secret keeps signing [default: 86400]
        #[arg(long)]
        overlap: Option<u64>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Deletes an endpoint with its deliveries.
    Delete {
        id: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Lists an endpoint's deliveries, newest first, with their attempts.
    Deliveries {
        id: String,
        /// pending, delivered or dead
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Delivers a range of events again, in order: `--tenant --from --to`
    /// (sequence numbers) or `--since --until` (RFC 3339).
    Replay {
        id: String,
        #[arg(long, requires_all = ["from", "to"], conflicts_with_all = ["since", "until"])]
        tenant: Option<String>,
        #[arg(long)]
        from: Option<i64>,
        #[arg(long)]
        to: Option<i64>,
        #[arg(long, requires = "until")]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Sends a signed test message now and prints the answer.
    Ping {
        id: String,
        #[command(flatten)]
        common: CommonArgs,
    },
}

fn who() -> AuditContext {
    AuditContext { method: "CLI".into(), path: "scimd webhook".into(), ..AuditContext::default() }
}

fn id_of(raw: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| anyhow::anyhow!("{raw:?} is not a webhook endpoint id"))
}

fn problem(p: crate::admin_api::problem::Problem) -> anyhow::Error {
    anyhow::anyhow!(p.detail)
}

fn print_view(v: &WebhookView, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_value(v)?);
    } else {
        let state = if v.enabled {
            "enabled".to_owned()
        } else {
            format!("disabled ({})", v.disabled_reason.as_deref().unwrap_or(""))
        };
        println!("{}\t{}\t{}\t{state}", v.id, v.format, v.url);
    }
    Ok(())
}

async fn show(ops: &Ops, id: Uuid, json: bool) -> anyhow::Result<()> {
    let w = ops.webhook(id).await?;
    print_view(&view_of(ops, &w).await.map_err(problem)?, json)
}

async fn set_enabled(common: &CommonArgs, id: &str, enabled: bool) -> anyhow::Result<()> {
    let ops = common.ops().await?;
    let spec = WebhookSpec { enabled: Some(enabled), ..WebhookSpec::default() };
    let w = ops.update_webhook(id_of(id)?, spec, who()).await?;
    print_view(&view_of(&ops, &w).await.map_err(problem)?, false)
}

pub async fn run(cmd: WebhookCommand) -> anyhow::Result<()> {
    match cmd {
        WebhookCommand::Add { spec, format, json, common } => {
            let ops = common.ops().await?;
            let registered = ops.register_webhook(spec.spec(Some(format)), who()).await?;
            let v = secret_view(&ops, registered).await.map_err(problem)?;
            if json {
                println!("{}", serde_json::to_value(&v)?);
            } else {
                println!("webhook {} registered for {}", v.webhook.id, v.webhook.url);
                println!("secret (shown once; verify signatures with it): {}", v.secret);
            }
        }
        WebhookCommand::List { json, common } => {
            let ops = common.ops().await?;
            let mut items = Vec::new();
            for w in ops.webhooks().await? {
                items.push(view_of(&ops, &w).await.map_err(problem)?);
            }
            if json {
                println!("{}", serde_json::json!({ "items": items }));
            } else {
                for v in &items {
                    print_view(v, false)?;
                }
            }
        }
        WebhookCommand::Show { id, json, common } => show(&common.ops().await?, id_of(&id)?, json).await?,
        WebhookCommand::Update { id, spec, json, common } => {
            let ops = common.ops().await?;
            let w = ops.update_webhook(id_of(&id)?, spec.spec(None), who()).await?;
            print_view(&view_of(&ops, &w).await.map_err(problem)?, json)?;
        }
        WebhookCommand::Enable { id, common } => set_enabled(&common, &id, true).await?,
        WebhookCommand::Disable { id, common } => set_enabled(&common, &id, false).await?,
        WebhookCommand::RotateSecret { id, overlap, json, common } => {
            let ops = common.ops().await?;
            let overlap = overlap.map(std::time::Duration::from_secs);
            let rotated = ops.rotate_webhook_secret(id_of(&id)?, overlap, who()).await?;
            let v = secret_view(&ops, rotated).await.map_err(problem)?;
            if json {
                println!("{}", serde_json::to_value(&v)?);
            } else {
                println!("new secret (shown once): {}", v.secret);
            }
        }
        WebhookCommand::Delete { id, common } => {
            common.ops().await?.delete_webhook(id_of(&id)?, who()).await?;
            println!("deleted webhook {id}");
        }
        WebhookCommand::Deliveries { id, state, limit, json, common } => {
            let ops = common.ops().await?;
            let state = state
                .as_deref()
                .map(|s| {
                    DeliveryState::parse(s).ok_or_else(|| anyhow::anyhow!("state must be pending, delivered or dead"))
                })
                .transpose()?;
            let q = DeliveryQuery { state, before: None, limit: limit.clamp(1, 1000) };
            let records = ops.webhook_deliveries(id_of(&id)?, q).await?;
            let views: Vec<DeliveryView> = records.iter().map(DeliveryView::from).collect();
            if json {
                println!("{}", serde_json::json!({ "items": views }));
            } else {
                for d in &views {
                    let event = d.event_id.as_deref().unwrap_or("-");
                    let status = d.last_status.map_or("-".to_owned(), |s| s.to_string());
                    println!(
                        "{}\t{event}\t{}\t{}\tattempts {}\tlast {status}",
                        d.id,
                        d.event_type.unwrap_or("-"),
                        d.state,
                        d.attempts
                    );
                }
            }
        }
        WebhookCommand::Replay { id, tenant, from, to, since, until, common } => {
            let req = match (tenant, from, to, since, until) {
                (Some(tenant), Some(from), Some(to), None, None) => ReplayRequest::Sequences { tenant, from, to },
                (None, None, None, Some(since), Some(until)) => {
                    ReplayRequest::Time { since: instant("since", &since)?, until: instant("until", &until)? }
                }
                _ => anyhow::bail!("give --tenant, --from and --to, or --since and --until"),
            };
            let queued = common.ops().await?.replay_webhook(id_of(&id)?, req, who()).await?;
            println!("{queued} deliveries queued");
        }
        WebhookCommand::Ping { id, common } => {
            let ops = common.ops().await?;
            let w = ops.webhook(id_of(&id)?).await?;
            let sent = crate::delivery::ping::ping(&ops, &w).await?;
            let a = &sent.attempt;
            let out: Value = serde_json::json!({
                "delivered": sent.verdict == crate::delivery::send::Verdict::Delivered,
                "status": a.status, "latency_ms": a.latency_ms, "response": a.response, "error": a.error,
            });
            println!("{out}");
        }
    }
    Ok(())
}
