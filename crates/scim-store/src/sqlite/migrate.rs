//! Schema migrations: the files of `migrations/sqlite/`, applied in order,
//! each in its own transaction, with the number applied kept in
//! `PRAGMA user_version`.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// The migrations, in order. A migration is never edited once released;
/// a change is a new file.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/sqlite/0001_init.sql")),
    ("0002_member_display", include_str!("../../migrations/sqlite/0002_member_display.sql")),
    ("0003_resource_counts", include_str!("../../migrations/sqlite/0003_resource_counts.sql")),
    (
        "0004_event_order_and_settings_version",
        include_str!("../../migrations/sqlite/0004_event_order_and_settings_version.sql"),
    ),
    ("0005_server_settings", include_str!("../../migrations/sqlite/0005_server_settings.sql")),
    ("0006_unique_group_names", include_str!("../../migrations/sqlite/0006_unique_group_names.sql")),
    ("0007_admin_tokens", include_str!("../../migrations/sqlite/0007_admin_tokens.sql")),
    ("0008_oauth_and_signing_keys", include_str!("../../migrations/sqlite/0008_oauth_and_signing_keys.sql")),
    ("0009_domains", include_str!("../../migrations/sqlite/0009_domains.sql")),
    ("0010_admin_views", include_str!("../../migrations/sqlite/0010_admin_views.sql")),
    ("0011_events_and_webhooks", include_str!("../../migrations/sqlite/0011_events_and_webhooks.sql")),
    ("0012_setup_links", include_str!("../../migrations/sqlite/0012_setup_links.sql")),
    ("0013_token_user_agent", include_str!("../../migrations/sqlite/0013_token_user_agent.sql")),
];

/// Brings the database up to date. A database newer than this binary is
/// refused rather than guessed at.
/// Each step reads the version inside its own write transaction, so two
/// processes starting at once (the server and the CLI) cannot both apply the
/// same migration.
pub(crate) fn run(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied = applied(&tx)?;
        if applied > MIGRATIONS.len() {
            return Err(StoreError::Config(format!(
                "the database is at schema version {applied}, newer than this scimd ({}); upgrade scimd",
                MIGRATIONS.len()
            )));
        }
        let Some((name, sql)) = MIGRATIONS.get(applied) else { return Ok(()) };
        tx.execute_batch(sql).map_err(|e| StoreError::Config(format!("migration {name} failed: {e}")))?;
        tx.pragma_update(None, "user_version", i64::try_from(applied + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
    }
}

/// How many migrations the database has. Databases made by earlier builds
/// (which used sqlx's migrator) record theirs in `_sqlx_migrations`.
fn applied(conn: &Connection) -> Result<usize> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > 0 {
        return Ok(usize::try_from(version).unwrap_or(usize::MAX));
    }
    let sqlx_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !sqlx_table {
        return Ok(0);
    }
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM _sqlx_migrations WHERE success", [], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_databases() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(run(&mut conn), Err(StoreError::Config(_))));
    }

    /// A database an earlier build migrated with sqlx: its migrations count
    /// as applied, none runs twice (0001 would fail on existing tables).
    #[test]
    fn takes_over_databases_migrated_by_sqlx() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, TRUE);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        run(&mut conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let display: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('group_members') WHERE name = 'display'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(display, 1, "0002 ran after the sqlx-applied 0001");
    }
}
