//! Schema migrations on PostgreSQL: the files of `migrations/postgres/`,
//! applied in order, each in its own transaction, recorded in
//! `scimd_migrations`. Nodes starting at once take turns on an advisory
//! lock held by the transaction, so each migration runs once; a database
//! newer than this binary is refused.
//!
//! Rolling upgrades: a migration must leave a schema the previous release
//! still runs against (add, never rename or drop, in the same release that
//! starts using it); `docs/deployment.md` says how.

use deadpool_postgres::{GenericClient, Object};

use super::sql::{exec, one};
use crate::{Result, StoreError};

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/postgres/0001_init.sql")),
    ("0002_setup_links", include_str!("../../migrations/postgres/0002_setup_links.sql")),
    ("0003_token_user_agent", include_str!("../../migrations/postgres/0003_token_user_agent.sql")),
];

/// The advisory lock of migrations, one per schema.
/// Migrations may take long on a large database: no statement timeout.
const LOCK: &str = "SET LOCAL statement_timeout = 0; \
     SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.scimd.migrations'))";

pub(crate) async fn run(c: &mut Object) -> Result<()> {
    exec(
        &*c,
        "CREATE TABLE IF NOT EXISTS scimd_migrations (version integer PRIMARY KEY, name text NOT NULL, \
         applied bigint NOT NULL)",
        &[],
    )
    .await
    .or_else(|e| match e {
        // Two nodes creating it at once: one of them wins.
        StoreError::Database(m) if m.starts_with("23505") || m.starts_with("42P07") => Ok(0),
        other => Err(other),
    })?;
    loop {
        let tx = c.transaction().await?;
        tx.batch_execute(LOCK).await?;
        let applied: i64 = super::convert::at(
            &one(&tx, "SELECT COALESCE(max(version), 0)::bigint FROM scimd_migrations", &[]).await?,
            0,
        )?;
        let applied = usize::try_from(applied).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(StoreError::Config(format!(
                "the database is at schema version {applied}, newer than this scimd ({}); upgrade scimd",
                MIGRATIONS.len()
            )));
        }
        let Some((name, sql)) = MIGRATIONS.get(applied) else {
            tx.commit().await?;
            return Ok(());
        };
        tx.batch_execute(sql).await.map_err(|e| StoreError::Config(format!("migration {name} failed: {e}")))?;
        let version = i32::try_from(applied + 1).unwrap_or(i32::MAX);
        exec(
            &tx,
            "INSERT INTO scimd_migrations (version, name, applied) VALUES ($1, $2, $3)",
            &[&version, name, &super::convert::to_ms(super::convert::now())],
        )
        .await?;
        tx.commit().await?;
    }
}

/// Refuses a database whose `lower()` is not Unicode (a `C` or `POSIX`
/// character type folds ASCII only): the filters' case folding would
/// differ from the evaluator's.
pub(crate) async fn check(c: &impl GenericClient) -> Result<()> {
    let row = one(c, "SELECT lower(U&'\\00C9\\03A3') = U&'\\00E9\\03C3', current_setting('lc_ctype')", &[]).await?;
    let unicode: bool = super::convert::at(&row, 0)?;
    if !unicode {
        let ctype: String = super::convert::at(&row, 1)?;
        return Err(StoreError::Config(format!(
            "the database's character type (LC_CTYPE {ctype}) lower-cases ASCII only; create it with a UTF-8 locale \
             (e.g. CREATE DATABASE scimd LOCALE 'C.UTF-8' TEMPLATE template0)"
        )));
    }
    Ok(())
}
