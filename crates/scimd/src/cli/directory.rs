//! `scimd users list|show` and `scimd groups list|show|members`: the host
//! application's view of a tenant's users and groups, deactivated and
//! soft-deleted ones included, as the admin API shows it (`GET …/users`,
//! `…/groups`, `…/groups/{id}/members`; `--json` prints the same JSON).

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CommonArgs, UrlArgs};
use crate::admin_api::directory_view::{self as view, GroupView, UserView};
use crate::admin_api::query::DEFAULT_LIMIT;
use scim_store::Visibility;

/// A list's filter and page.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The tenant (its slug).
    #[arg(long)]
    tenant: String,
    /// A SCIM filter, e.g. 'userName sw "a"' or 'active eq false'.
    #[arg(long)]
    filter: Option<String>,
    /// The next_cursor of the previous page.
    #[arg(long)]
    cursor: Option<String>,
    /// Items per page, 1 to 1000.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: u32,
    /// Prints JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    url: UrlArgs,
}

/// One resource.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The tenant (its slug).
    #[arg(long)]
    tenant: String,
    /// The resource's id.
    id: String,
    /// Prints JSON (as the admin API) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    url: UrlArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Lists a tenant's users (deactivated and soft-deleted ones too), oldest first.
    List(ListArgs),
    /// Shows one user with its groups.
    Show(ShowArgs),
}

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Lists a tenant's groups (soft-deleted ones too), oldest first.
    List(ListArgs),
    /// Shows one group.
    Show(ShowArgs),
    /// Lists a group's members, in id order, a page at a time.
    Members {
        /// The tenant (its slug).
        #[arg(long)]
        tenant: String,
        /// The group's id.
        id: String,
        /// The next_cursor of the previous page.
        #[arg(long)]
        cursor: Option<String>,
        /// Members per page, 1 to 1000.
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u32,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

fn print_json(v: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

fn flags(active: bool, deleted: bool) -> &'static str {
    match (deleted, active) {
        (true, _) => "deleted",
        (false, false) => "inactive",
        (false, true) => "active",
    }
}

fn more(next: Option<&String>) {
    if let Some(next) = next {
        eprintln!("more: --cursor {next}");
    }
}

pub async fn run_users(cmd: UsersCommand) -> anyhow::Result<()> {
    match cmd {
        UsersCommand::List(a) => {
            let ops = a.common.ops_with_urls(&a.url).await?;
            let ctx = ops.require_tenant(&a.tenant).await?;
            let page =
                view::users(&ops, &ctx, Visibility::WithDeleted, a.filter.as_deref(), a.cursor.as_deref(), a.limit)
                    .await?;
            if a.json {
                return print_json(&page);
            }
            for u in &page.items {
                let UserView { id, user_name, active, deleted, .. } = u;
                println!("{id}\t{user_name}\t{}\t{} groups", flags(*active, *deleted), u.groups.len());
            }
            more(page.next_cursor.as_ref());
        }
        UsersCommand::Show(a) => {
            let ops = a.common.ops_with_urls(&a.url).await?;
            let ctx = ops.require_tenant(&a.tenant).await?;
            let user = view::user(&ops, &ctx, &a.id).await?;
            if a.json {
                return print_json(&user);
            }
            println!("{}\t{}\t{}", user.id, user.user_name, flags(user.active, user.deleted));
            for g in &user.groups {
                println!("  group {}\t{}", g.id, g.display_name.as_deref().unwrap_or(""));
            }
        }
    }
    Ok(())
}

pub async fn run_groups(cmd: GroupsCommand) -> anyhow::Result<()> {
    match cmd {
        GroupsCommand::List(a) => {
            let ops = a.common.ops_with_urls(&a.url).await?;
            let ctx = ops.require_tenant(&a.tenant).await?;
            let page =
                view::groups(&ops, &ctx, Visibility::WithDeleted, a.filter.as_deref(), a.cursor.as_deref(), a.limit)
                    .await?;
            if a.json {
                return print_json(&page);
            }
            for g in &page.items {
                let GroupView { id, display_name, deleted, .. } = g;
                println!("{id}\t{display_name}\t{}", flags(true, *deleted));
            }
            more(page.next_cursor.as_ref());
        }
        GroupsCommand::Show(a) => {
            let ops = a.common.ops_with_urls(&a.url).await?;
            let ctx = ops.require_tenant(&a.tenant).await?;
            let group = view::group(&ops, &ctx, &a.id).await?;
            if a.json {
                return print_json(&group);
            }
            println!("{}\t{}\t{}", group.id, group.display_name, flags(true, group.deleted));
        }
        GroupsCommand::Members { tenant, id, cursor, limit, json, common } => {
            let ops = common.ops().await?;
            let ctx = ops.require_tenant(&tenant).await?;
            let page = view::members(&ops, &ctx, &id, cursor.as_deref(), limit).await?;
            if json {
                return print_json(&page);
            }
            for m in &page.items {
                println!("{}\t{}\t{}", m.id, m.kind, m.display.as_deref().unwrap_or(""));
            }
            more(page.next_cursor.as_ref());
        }
    }
    Ok(())
}
