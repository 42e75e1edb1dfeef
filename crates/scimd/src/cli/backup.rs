//! `scimd backup --to FILE`: a consistent copy of a SQLite database taken
//! while the server runs (`VACUUM INTO` in one read transaction). For
//! PostgreSQL, its own tools (pg_dump) are the way.

use std::path::PathBuf;

use clap::Args;
use scim_store::StoreError;

use super::CommonArgs;
use crate::config::{Overrides, redact_url};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write the copy to; must not exist
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn run(args: BackupArgs) -> anyhow::Result<()> {
    let config = args.common.load_config(Overrides::default())?;
    let url = config.database_url.clone();
    if scim_store::sqlite_file(&url).is_none() {
        anyhow::bail!(
            "scimd backup copies SQLite databases; {} is not one: back PostgreSQL up with pg_dump \
             (e.g. pg_dump --format=custom --file scimd.dump <database>), or copy it into a SQLite file with \
             `scimd migrate-store --to sqlite://FILE`",
            redact_url(&url)
        );
    }
    let to = args.to.clone();
    let size =
        tokio::task::spawn_blocking(move || scim_store::backup_sqlite(&url, &to)).await?.map_err(|e| match e {
            StoreError::NoDatabase(path) => anyhow::anyhow!("there is no database at {path}"),
            e => anyhow::anyhow!("{e}"),
        })?;
    println!("Backed up {} to {} ({size} bytes)", redact_url(&config.database_url), args.to.display());
    // The key file (when the key is not given in the configuration) is
    // named after the database unless configured.
    let key_file = config.secrets_key_file.clone().or_else(|| {
        let mut name = scim_store::sqlite_file(&config.database_url)?.into_os_string();
        name.push(".key");
        Some(PathBuf::from(name))
    });
    match key_file {
        Some(key) if config.secrets_key.is_none() && key.exists() => println!(
            "Secrets in it are sealed with the key in {}: keep a copy of that file with the backup.",
            key.display()
        ),
        _ => println!("Secrets in it are sealed with the configured secrets key: keep it with the backup."),
    }
    Ok(())
}
