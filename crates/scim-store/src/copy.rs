//! Copying a whole store into another, empty one, of either backend
//! (`scimd migrate-store`, DESIGN §8): SQLite to PostgreSQL and back.
//!
//! The backends meet in a neutral row format: one JSON object per row, its
//! columns in the order of [`TABLES`], uuids as strings, JSON columns as
//! JSON values, booleans as booleans, hashes as hex. Each backend exports
//! a table's rows in primary-key order, a batch at a time, and imports
//! them ([`Copyable`], in `sqlite/copy.rs` and `postgres/copy.rs`); this
//! module drives it table by table, then reads both sides again and
//! compares, per table, the row count and a SHA-256 over the canonical
//! rows (JSON objects' keys sorted, integral numbers as integers) in key
//! order.
//!
//! Everything is copied as it is, ids included, sealed secrets still
//! sealed (the target needs the source's secrets key). What a backend
//! keeps for itself is not copied but rebuilt: SQLite's `resource_counts`
//! (its triggers fill it) and `sqlite_sequence`; PostgreSQL's
//! `event_counters` and identity sequences (set past the copied numbers).

use async_trait::async_trait;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// One row in the neutral format.
pub type CopyRow = Map<String, Value>;

/// How a column looks in the neutral format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A uuid (SQLite: a 16-byte blob), as its hyphenated string.
    Uuid,
    Text,
    /// An integer (instants are milliseconds).
    Int,
    /// SQLite: 0/1.
    Bool,
    /// SQLite: JSON text; PostgreSQL: jsonb.
    Json,
    /// A hash (SQLite: blob; PostgreSQL: bytea), as lower-case hex.
    Hex,
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
}

/// A copied table: its columns (those both backends have) and its primary
/// key, the order rows are exported and checksummed in.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key: &'static [&'static str],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty }
}

use ColumnType::{Bool, Hex, Int, Json, Text, Uuid as Id};

/// Every table a store holds, in an order that satisfies the foreign keys.
pub const TABLES: &[Table] = &[
    Table {
        name: "tenants",
        columns: &[
            col("id", Id),
            col("slug", Text),
            col("name", Text),
            col("settings", Json),
            col("settings_version", Int),
            col("created", Int),
        ],
        key: &["id"],
    },
    Table {
        name: "tokens",
        columns: &[
            col("id", Id),
            col("tenant", Id),
            col("name", Text),
            col("prefix", Text),
            col("hash", Hex),
            col("scopes", Json),
            col("created", Int),
            col("expires", Int),
            col("last_used", Int),
            col("last_user_agent", Text),
            col("revoked", Int),
            col("replaces", Id),
        ],
        key: &["id"],
    },
    Table {
        name: "admin_tokens",
        columns: &[
            col("id", Id),
            col("name", Text),
            col("prefix", Text),
            col("hash", Hex),
            col("scopes", Json),
            col("tenants", Json),
            col("created", Int),
            col("expires", Int),
            col("last_used", Int),
            col("revoked", Int),
            col("replaces", Id),
        ],
        key: &["id"],
    },
    Table {
        name: "oauth_clients",
        columns: &[
            col("id", Id),
            col("tenant", Id),
            col("name", Text),
            col("prefix", Text),
            col("hash", Hex),
            col("scopes", Json),
            col("created", Int),
            col("last_used", Int),
            col("revoked", Int),
        ],
        key: &["id"],
    },
    Table {
        name: "setup_links",
        columns: &[
            col("id", Id),
            col("tenant", Id),
            col("prefix", Text),
            col("hash", Hex),
            col("allow", Json),
            col("created", Int),
            col("expires", Int),
            col("last_used", Int),
            col("revoked", Int),
            col("created_by", Id),
        ],
        key: &["id"],
    },
    Table {
        name: "signing_keys",
        columns: &[
            col("kid", Text),
            col("alg", Text),
            col("private_key", Text),
            col("public_jwk", Text),
            col("created", Int),
            col("retired", Int),
        ],
        key: &["kid"],
    },
    Table {
        name: "domains",
        columns: &[
            col("tenant", Id),
            col("domain", Text),
            col("include_subdomains", Bool),
            col("txt_value", Text),
            col("created", Int),
            col("verified_at", Int),
            col("verified_by", Text),
            col("last_checked", Int),
            col("last_result", Text),
        ],
        key: &["tenant", "domain"],
    },
    Table { name: "server_settings", columns: &[col("key", Text), col("value", Text)], key: &["key"] },
    Table {
        name: "resources",
        columns: &[
            col("id", Id),
            col("tenant", Id),
            col("kind", Text),
            col("version", Int),
            col("created", Int),
            col("last_modified", Int),
            col("deleted_at", Int),
            col("doc", Json),
            col("password_hash", Text),
            col("display", Text),
            col("user_name", Text),
            col("user_name_lower", Text),
            col("display_name_lower", Text),
            col("external_id", Text),
            col("email_lower", Text),
            col("emails_all", Text),
            col("active", Bool),
            col("manager_id", Text),
            col("group_name_key", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "group_members",
        columns: &[
            col("tenant", Id),
            col("group_id", Id),
            col("member_id", Id),
            col("member_kind", Text),
            col("display", Text),
        ],
        key: &["tenant", "group_id", "member_id"],
    },
    Table {
        name: "audit_log",
        columns: &[
            col("id", Int),
            col("tenant", Id),
            col("at", Int),
            col("token", Id),
            col("admin_token", Id),
            col("subject", Text),
            col("remote_addr", Text),
            col("method", Text),
            col("path", Text),
            col("request_id", Text),
            col("resource_kind", Text),
            col("resource_id", Id),
            col("status", Int),
            col("detail", Json),
        ],
        key: &["id"],
    },
    Table {
        name: "events",
        columns: &[
            col("position", Int),
            col("tenant", Id),
            col("seq", Int),
            col("id", Id),
            col("event_type", Text),
            col("resource_id", Id),
            col("at", Int),
            col("actor", Json),
            col("data", Json),
        ],
        key: &["id"],
    },
    Table {
        name: "webhook_endpoints",
        columns: &[
            col("id", Id),
            col("url", Text),
            col("tenants", Json),
            col("types", Json),
            col("format", Text),
            col("description", Text),
            col("audience", Text),
            col("subject_format", Text),
            col("authorization", Text),
            col("secret", Text),
            col("previous_secret", Text),
            col("previous_secret_until", Int),
            col("max_in_flight", Int),
            col("enabled", Bool),
            col("disabled_reason", Text),
            col("disabled_at", Int),
            col("failing_since", Int),
            col("cursor", Int),
            col("created", Int),
            col("updated", Int),
        ],
        key: &["id"],
    },
    Table {
        name: "webhook_deliveries",
        columns: &[
            col("id", Int),
            col("endpoint", Id),
            col("event_position", Int),
            col("tenant", Id),
            col("resource_id", Id),
            col("state", Text),
            col("attempts", Int),
            col("next_attempt_at", Int),
            col("lease_until", Int),
            col("last_status", Int),
            col("last_error", Text),
            col("created", Int),
            col("finished_at", Int),
            col("replay", Bool),
        ],
        key: &["id"],
    },
    Table {
        name: "webhook_attempts",
        columns: &[
            col("id", Int),
            col("delivery", Int),
            col("at", Int),
            col("status", Int),
            col("latency_ms", Int),
            col("response", Text),
            col("error", Text),
        ],
        key: &["id"],
    },
];

/// Tables a backend keeps for itself, never copied: migration bookkeeping
/// and what each backend derives.
const NOT_COPIED: &[&str] = &["scimd_migrations", "resource_counts", "sqlite_sequence", "event_counters"];

/// A store as the copy sees it: tables of rows in the neutral format.
/// Implemented by both backends; kept apart from [`crate::Store`], which
/// speaks SCIM.
#[async_trait]
pub trait Copyable: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Makes the store ready to be read whole (PostgreSQL numbers the
    /// events not numbered yet).
    async fn prepare_export(&self) -> Result<()>;
    /// The names of the tables the database holds.
    async fn table_names(&self) -> Result<Vec<String>>;
    /// The names of a table's columns in the database.
    async fn column_names(&self, table: &'static Table) -> Result<Vec<String>>;
    async fn count_rows(&self, table: &'static Table) -> Result<u64>;
    /// At most `limit` rows after the key of `after` (from the start
    /// without one), in key order.
    async fn export_rows(&self, table: &'static Table, after: Option<CopyRow>, limit: u32) -> Result<Vec<CopyRow>>;
    /// Inserts rows as they are, all or none.
    async fn import_rows(&self, table: &'static Table, rows: Vec<CopyRow>) -> Result<()>;
    /// After every table is imported: rebuilds what the backend derives
    /// (PostgreSQL's event counters and identity sequences).
    async fn finish_import(&self) -> Result<()>;
}

/// How far a copy is.
#[derive(Debug, Clone, Copy)]
pub enum CopyProgress<'a> {
    /// Rows of `table` copied so far, of `total`.
    Copying { table: &'a str, copied: u64, total: u64 },
    /// Both sides of `table` are being read again and compared.
    Verifying { table: &'a str },
}

/// What the comparison of one table found.
#[derive(Debug, Clone)]
pub struct TableCheck {
    pub table: &'static str,
    pub source_rows: u64,
    pub target_rows: u64,
    pub source_sha256: String,
    pub target_sha256: String,
}

impl TableCheck {
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sha256 == self.target_sha256
    }
}

/// The comparison of every table after a copy.
#[derive(Debug, Clone)]
pub struct CopyReport {
    pub tables: Vec<TableCheck>,
}

impl CopyReport {
    pub fn matches(&self) -> bool {
        self.tables.iter().all(TableCheck::matches)
    }
}

/// Copies every table of `from` into `to`, which must hold no rows, in
/// batches of `batch` rows, telling `progress` as it goes; then compares
/// both sides table by table. A mismatch is in the report, not an error.
pub async fn copy_store(
    from: &dyn Copyable,
    to: &dyn Copyable,
    batch: u32,
    progress: &mut (dyn FnMut(CopyProgress<'_>) + Send),
) -> Result<CopyReport> {
    let batch = batch.max(1);
    check_schema(from).await?;
    check_schema(to).await?;
    refuse_non_empty(to).await?;
    from.prepare_export().await?;
    for table in TABLES {
        let total = from.count_rows(table).await?;
        let mut copied = 0;
        progress(CopyProgress::Copying { table: table.name, copied, total });
        let mut after = None;
        loop {
            let rows = from.export_rows(table, after.take(), batch).await?;
            let n = rows.len();
            if n == 0 {
                break;
            }
            after = rows.last().map(|r| key_of(table, r));
            to.import_rows(table, rows).await?;
            copied += n as u64;
            progress(CopyProgress::Copying { table: table.name, copied, total });
            if n < batch as usize {
                break;
            }
        }
    }
    to.finish_import().await?;
    verify(from, to, batch, progress).await
}

/// Compares every table of `a` and `b`: row counts and checksums.
pub async fn verify(
    a: &dyn Copyable,
    b: &dyn Copyable,
    batch: u32,
    progress: &mut (dyn FnMut(CopyProgress<'_>) + Send),
) -> Result<CopyReport> {
    let mut tables = Vec::new();
    for table in TABLES {
        progress(CopyProgress::Verifying { table: table.name });
        let (source_rows, source_sha256) = checksum(a, table, batch).await?;
        let (target_rows, target_sha256) = checksum(b, table, batch).await?;
        tables.push(TableCheck { table: table.name, source_rows, target_rows, source_sha256, target_sha256 });
    }
    Ok(CopyReport { tables })
}

/// Refuses a database with tables the copy does not know (a newer schema,
/// whose data would be left behind) or without the ones it copies.
async fn check_schema(store: &dyn Copyable) -> Result<()> {
    let names = store.table_names().await?;
    let unknown: Vec<&String> =
        names.iter().filter(|n| !NOT_COPIED.contains(&n.as_str()) && !TABLES.iter().any(|t| t.name == *n)).collect();
    if !unknown.is_empty() {
        return Err(StoreError::Config(format!(
            "the {} database has tables this scimd does not know how to copy: {unknown:?}; use the scimd release \
             that made them",
            store.backend()
        )));
    }
    for table in TABLES {
        let columns = store.column_names(table).await?;
        if columns.is_empty() {
            return Err(StoreError::Config(format!("the {} database has no table {}", store.backend(), table.name)));
        }
        // PostgreSQL's `events.written` orders unnumbered events: it is
        // the position again once they are numbered.
        let unknown: Vec<&String> = columns
            .iter()
            .filter(|c| table.column(c).is_none() && !(table.name == "events" && *c == "written"))
            .collect();
        let missing: Vec<&str> =
            table.columns.iter().map(|c| c.name).filter(|c| !columns.iter().any(|n| n == c)).collect();
        if !unknown.is_empty() || !missing.is_empty() {
            return Err(StoreError::Config(format!(
                "table {} of the {} database does not have the columns this scimd copies (unknown: {unknown:?}, \
                 missing: {missing:?})",
                table.name,
                store.backend()
            )));
        }
    }
    Ok(())
}

/// Refuses a target that holds any row: a copy goes into a new database.
async fn refuse_non_empty(to: &dyn Copyable) -> Result<()> {
    let mut held = Vec::new();
    for table in TABLES {
        let n = to.count_rows(table).await?;
        if n > 0 {
            held.push(format!("{n} {}", if n == 1 { table.name.trim_end_matches('s') } else { table.name }));
        }
    }
    if held.is_empty() {
        return Ok(());
    }
    Err(StoreError::Conflict(format!(
        "the target database is not empty (it holds {}): migrate-store copies into a new, empty database only",
        held.join(", ")
    )))
}

/// The key columns of `row`, to resume after it.
fn key_of(table: &Table, row: &CopyRow) -> CopyRow {
    table.key.iter().map(|k| ((*k).to_owned(), row.get(*k).cloned().unwrap_or(Value::Null))).collect()
}

/// A table's row count and the SHA-256 (hex) of its canonical rows in key
/// order, one per line.
async fn checksum(store: &dyn Copyable, table: &'static Table, batch: u32) -> Result<(u64, String)> {
    let mut hash = Sha256::new();
    let mut count = 0u64;
    let mut after = None;
    loop {
        let rows = store.export_rows(table, after.take(), batch).await?;
        let n = rows.len();
        for row in &rows {
            hash.update(canonical_row(table, row).as_bytes());
            hash.update(b"\n");
        }
        count += n as u64;
        if n < batch as usize {
            break;
        }
        after = rows.last().map(|r| key_of(table, r));
    }
    Ok((count, hex::encode(hash.finalize())))
}

/// A row as the text its checksum is taken over: its columns in the
/// table's order, JSON values canonical (so that jsonb's key order and
/// number spelling do not count).
pub fn canonical_row(table: &Table, row: &CopyRow) -> String {
    let fields: Map<String, Value> = table
        .columns
        .iter()
        .map(|c| (c.name.to_owned(), canonical_value(row.get(c.name).unwrap_or(&Value::Null))))
        .collect();
    Value::Object(fields).to_string()
}

fn canonical_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical_value(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical_value).collect()),
        Value::Number(n) => match n.as_f64() {
            // 2.0 and 2 are one number to jsonb.
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

/// A neutral value's type error, naming the table and column.
pub(crate) fn bad_value(table: &Table, column: &Column, value: &Value) -> StoreError {
    StoreError::Corrupt(format!("{}.{}: {value} is not a {:?} value", table.name, column.name, column.ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_rows_ignore_json_key_order_and_number_spelling() {
        let table = &TABLES[0];
        let a: CopyRow = serde_json::from_str(r#"{"id":"x","settings":{"b":1,"a":2.0}}"#).unwrap();
        let b: CopyRow = serde_json::from_str(r#"{"settings":{"a":2,"b":1},"id":"x"}"#).unwrap();
        assert_eq!(canonical_row(table, &a), canonical_row(table, &b));
        let c: CopyRow = serde_json::from_str(r#"{"id":"x","settings":{"a":2.5,"b":1}}"#).unwrap();
        assert_ne!(canonical_row(table, &a), canonical_row(table, &c));
    }

    #[test]
    fn tables_come_after_what_they_reference() {
        let at = |name: &str| TABLES.iter().position(|t| t.name == name).unwrap();
        assert!(at("tenants") < at("tokens"));
        assert!(at("webhook_endpoints") < at("webhook_deliveries"));
        assert!(at("webhook_deliveries") < at("webhook_attempts"));
        for t in TABLES {
            for k in t.key {
                assert!(t.column(k).is_some(), "{}.{k}", t.name);
            }
        }
    }
}
