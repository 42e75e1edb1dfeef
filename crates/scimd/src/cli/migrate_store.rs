//! `scimd migrate-store --from URL --to URL`: copies a whole store into a
//! new, empty database of either backend (SQLite to PostgreSQL and back,
//! DESIGN §8), showing progress on stderr, then compares both sides table
//! by table (rows and a SHA-256 of them) and fails on any difference. The
//! copy itself is `scim_store::copy`.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::Args;
use scim_store::copy::{CopyProgress, copy_store};
use scim_store::{StoreError, StoreOptions, open_copyable};

use super::CommonArgs;
use crate::config::{Overrides, redact_url};

#[derive(Debug, Args)]
pub struct MigrateStoreArgs {
    /// The database to copy from; stop the servers writing to it first
    /// [default: --database, SCIMD_DATABASE_URL or the config file's]
    #[arg(long, value_name = "URL")]
    pub from: Option<String>,
    /// The database to copy into: new (created) or empty
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Rows read and written at once
    #[arg(long, default_value_t = 1000, value_name = "ROWS")]
    pub batch: u32,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn run(args: MigrateStoreArgs) -> anyhow::Result<()> {
    let from = match (&args.from, &args.common.database_url) {
        (Some(from), Some(db)) if from != db => {
            anyhow::bail!("--from and --database name different databases; give one of them")
        }
        (Some(from), _) => from.clone(),
        (None, _) => args.common.load_config(Overrides::default())?.database_url,
    };
    if from == args.to {
        anyhow::bail!("--from and --to are the same database");
    }
    let (from_name, to_name) = (redact_url(&from), redact_url(&args.to));
    let source = open_copyable(&from, StoreOptions { create: false, pool_size: 4, ..StoreOptions::default() })
        .await
        .map_err(|e| match e {
            StoreError::NoDatabase(path) => anyhow::anyhow!("there is no database to copy at {path}"),
            e => anyhow::anyhow!("cannot open {from_name}: {e}"),
        })?;
    let target = open_copyable(&args.to, StoreOptions { create: true, pool_size: 4, ..StoreOptions::default() })
        .await
        .with_context(|| format!("cannot open {to_name}"))?;
    eprintln!("Copying {from_name} ({}) into {to_name} ({})", source.backend(), target.backend());
    let mut shown = Progress { terminal: std::io::stderr().is_terminal(), open_line: false };
    let report = copy_store(&*source, &*target, args.batch, &mut |p| shown.show(p)).await;
    shown.end_line();
    let report = report.map_err(|e| match e {
        StoreError::Conflict(m) => anyhow::anyhow!("{m}"),
        e => anyhow::anyhow!("the copy failed: {e}"),
    })?;
    println!("{:<20} {:>10} {:>10}  {:<16} result", "table", "source", "target", "sha256");
    for t in &report.tables {
        let result = if t.matches() { "ok" } else { "MISMATCH" };
        let sha = if t.source_sha256 == t.target_sha256 {
            t.source_sha256[..16].to_owned()
        } else {
            format!("{}≠{}", &t.source_sha256[..7], &t.target_sha256[..7])
        };
        println!("{:<20} {:>10} {:>10}  {sha:<16} {result}", t.table, t.source_rows, t.target_rows);
    }
    if !report.matches() {
        let bad: Vec<&str> = report.tables.iter().filter(|t| !t.matches()).map(|t| t.table).collect();
        anyhow::bail!(
            "the copy differs from the source in {}: was the source written to during the copy? Start again on a \
             new, empty target",
            bad.join(", ")
        );
    }
    let rows: u64 = report.tables.iter().map(|t| t.target_rows).sum();
    println!("Copied {rows} rows into {to_name}; every table matches the source.");
    println!(
        "Secrets (webhook secrets, signing keys) were copied sealed: run the servers on {to_name} with the source's \
         secrets key (SCIMD_SECRETS_KEY, or the key file beside a SQLite database)."
    );
    Ok(())
}

/// Progress on stderr: one line rewritten in place on a terminal, a line
/// per step otherwise.
struct Progress {
    terminal: bool,
    open_line: bool,
}

impl Progress {
    fn show(&mut self, p: CopyProgress<'_>) {
        let line = match p {
            // A table's first step only when there is nothing to copy.
            CopyProgress::Copying { copied: 0, total, .. } if total > 0 => return,
            CopyProgress::Copying { table, copied, total } => format!("copying {table}: {copied}/{total} rows"),
            CopyProgress::Verifying { table } => format!("verifying {table}"),
        };
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.open_line = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    fn end_line(&mut self) {
        if self.open_line {
            eprintln!();
            self.open_line = false;
        }
    }
}
