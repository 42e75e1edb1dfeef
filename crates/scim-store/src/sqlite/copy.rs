//! SQLite's side of a copy between stores (`crate::copy`): rows to and
//! from the neutral format (uuids are 16-byte blobs, JSON is text,
//! booleans 0/1, hashes blobs), and the online backup (`VACUUM INTO`).
//!
//! `resource_counts` is not copied: the triggers on `resources` fill it as
//! rows are inserted. `audit_log` ids are inserted as they are, and
//! AUTOINCREMENT moves `sqlite_sequence` past them; `events.position` is
//! the rowid, inserted as it is too.

use std::path::Path;

use async_trait::async_trait;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use uuid::Uuid;

use super::{SqliteStore, connection};
use crate::copy::{ColumnType, CopyRow, Copyable, Table, bad_value};
use crate::{Result, StoreError, StoreOptions};

/// Opens the SQLite database at `url` for a copy (see [`super::open`]).
pub(crate) async fn open(url: &str, options: StoreOptions) -> Result<SqliteStore> {
    if !options.create {
        let path = connection::path_of(url)?;
        if !path.exists() {
            return Err(StoreError::NoDatabase(path.display().to_string()));
        }
    }
    let mut store = SqliteStore::open(url).await?;
    store.options = options;
    Ok(store)
}

/// A quoted identifier (`authorization` and `key` are words of SQL).
fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// `SELECT <columns> FROM <table> [WHERE (<key>) > (?, …)] ORDER BY <key> LIMIT ?`
fn export_sql(table: &Table, after: bool) -> String {
    let cols: Vec<String> = table.columns.iter().map(|c| quote(c.name)).collect();
    let key: Vec<String> = table.key.iter().map(|k| quote(k)).collect();
    let key = key.join(", ");
    let filter = if after {
        let marks = vec!["?"; table.key.len()].join(", ");
        format!(" WHERE ({key}) > ({marks})")
    } else {
        String::new()
    };
    format!("SELECT {} FROM {}{filter} ORDER BY {key} LIMIT ?", cols.join(", "), quote(table.name))
}

/// A neutral value as SQLite stores it in a column of type `ty`.
fn to_sqlite(table: &Table, column: &crate::copy::Column, v: &Value) -> Result<SqlValue> {
    let bad = || bad_value(table, column, v);
    Ok(match (column.ty, v) {
        (_, Value::Null) => SqlValue::Null,
        (ColumnType::Uuid, Value::String(s)) => {
            SqlValue::Blob(Uuid::parse_str(s).map_err(|_| bad())?.as_bytes().to_vec())
        }
        (ColumnType::Text, Value::String(s)) => SqlValue::Text(s.clone()),
        (ColumnType::Int, Value::Number(n)) => SqlValue::Integer(n.as_i64().ok_or_else(bad)?),
        (ColumnType::Bool, Value::Bool(b)) => SqlValue::Integer(i64::from(*b)),
        (ColumnType::Json, v) => SqlValue::Text(v.to_string()),
        (ColumnType::Hex, Value::String(s)) => SqlValue::Blob(hex::decode(s).map_err(|_| bad())?),
        _ => return Err(bad()),
    })
}

/// A column of a SQLite row in the neutral format.
fn from_sqlite(table: &Table, column: &crate::copy::Column, v: ValueRef<'_>) -> Result<Value> {
    let bad = || StoreError::Corrupt(format!("{}.{}: unexpected {:?} value", table.name, column.name, v.data_type()));
    Ok(match (column.ty, v) {
        (_, ValueRef::Null) => Value::Null,
        (ColumnType::Uuid, ValueRef::Blob(b)) => Value::String(Uuid::from_slice(b).map_err(|_| bad())?.to_string()),
        (ColumnType::Text, ValueRef::Text(t)) => Value::String(String::from_utf8(t.to_vec()).map_err(|_| bad())?),
        (ColumnType::Int, ValueRef::Integer(i)) => Value::from(i),
        (ColumnType::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (ColumnType::Json, ValueRef::Text(t)) => serde_json::from_slice(t)
            .map_err(|e| StoreError::Corrupt(format!("{}.{}: {e}", table.name, column.name)))?,
        (ColumnType::Hex, ValueRef::Blob(b)) => Value::String(hex::encode(b)),
        _ => return Err(bad()),
    })
}

fn export(c: &Connection, table: &'static Table, after: Option<CopyRow>, limit: u32) -> Result<Vec<CopyRow>> {
    let mut params = Vec::new();
    if let Some(after) = &after {
        for k in table.key {
            let column = table.column(k).ok_or_else(|| StoreError::Internal(format!("{}.{k}", table.name)))?;
            params.push(to_sqlite(table, column, after.get(*k).unwrap_or(&Value::Null))?);
        }
    }
    params.push(SqlValue::Integer(i64::from(limit)));
    let mut stmt = c.prepare_cached(&export_sql(table, after.is_some()))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut r = CopyRow::new();
        for (i, column) in table.columns.iter().enumerate() {
            r.insert(column.name.to_owned(), from_sqlite(table, column, row.get_ref(i)?)?);
        }
        out.push(r);
    }
    Ok(out)
}

fn import(c: &Connection, table: &'static Table, rows: &[CopyRow]) -> Result<()> {
    let cols: Vec<String> = table.columns.iter().map(|c| quote(c.name)).collect();
    let marks = vec!["?"; cols.len()].join(", ");
    let sql = format!("INSERT INTO {} ({}) VALUES ({marks})", quote(table.name), cols.join(", "));
    let mut stmt = c.prepare_cached(&sql)?;
    for row in rows {
        let values = table
            .columns
            .iter()
            .map(|column| to_sqlite(table, column, row.get(column.name).unwrap_or(&Value::Null)))
            .collect::<Result<Vec<_>>>()?;
        stmt.execute(rusqlite::params_from_iter(values.iter()))
            .map_err(|e| StoreError::Database(format!("copying into {}: {e}", table.name)))?;
    }
    Ok(())
}

#[async_trait]
impl Copyable for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn prepare_export(&self) -> Result<()> {
        Ok(())
    }

    async fn table_names(&self) -> Result<Vec<String>> {
        self.scan(Uuid::nil(), |c| {
            let mut stmt = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
            let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(names)
        })
        .await
    }

    async fn column_names(&self, table: &'static Table) -> Result<Vec<String>> {
        self.scan(Uuid::nil(), move |c| {
            let mut stmt = c.prepare("SELECT name FROM pragma_table_info(?)")?;
            let names =
                stmt.query_map([table.name], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(names)
        })
        .await
    }

    async fn count_rows(&self, table: &'static Table) -> Result<u64> {
        self.scan(Uuid::nil(), move |c| {
            let n: i64 = c.query_row(&format!("SELECT count(*) FROM {}", quote(table.name)), [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn export_rows(&self, table: &'static Table, after: Option<CopyRow>, limit: u32) -> Result<Vec<CopyRow>> {
        self.scan(Uuid::nil(), move |c| export(c, table, after, limit)).await
    }

    async fn import_rows(&self, table: &'static Table, rows: Vec<CopyRow>) -> Result<()> {
        self.write(move |c| import(c, table, &rows)).await
    }

    async fn finish_import(&self) -> Result<()> {
        Ok(())
    }
}

/// Copies the SQLite database at `url` into the new file `to` while it is
/// in use (`VACUUM INTO` on a read connection: one consistent snapshot;
/// the server's writes go on meanwhile). Refuses an existing `to`. The
/// size of the copy, in bytes.
pub fn backup(url: &str, to: &Path) -> Result<u64> {
    let path = connection::path_of(url)?;
    if !path.exists() {
        return Err(StoreError::NoDatabase(path.display().to_string()));
    }
    if to.exists() {
        return Err(StoreError::Conflict(format!("{} exists already: a backup goes into a new file", to.display())));
    }
    let target = to.to_str().ok_or_else(|| StoreError::Config(format!("{} is not a UTF-8 path", to.display())))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    if let Err(e) = conn.execute("VACUUM INTO ?", [target]) {
        // Nothing half-written is left behind under the name.
        let _ = std::fs::remove_file(to);
        return Err(StoreError::Database(format!("backup into {}: {e}", to.display())));
    }
    drop(conn);
    // VACUUM INTO does not sync what it wrote.
    let io = |e: std::io::Error| StoreError::Internal(format!("backup into {}: {e}", to.display()));
    let file = std::fs::File::open(to).map_err(io)?;
    file.sync_all().map_err(io)?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The directory entry too (where the platform lets a directory be opened).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(file.metadata().map_err(io)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::copy::{TABLES, copy_store, verify};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_copy_matches_until_a_row_changes_and_a_full_target_is_refused() {
        let dir = std::env::temp_dir().join(format!("scim-store-copy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = |name: &str| format!("sqlite://{}", dir.join(name).display());
        let from = open(&url("a.db"), StoreOptions::default()).await.unwrap();
        for slug in ["acme", "beta", "gamma"] {
            from.create_tenant(slug, slug).await.unwrap();
        }
        let to = open(&url("b.db"), StoreOptions::default()).await.unwrap();
        let mut steps = 0;
        let report = copy_store(&from, &to, 2, &mut |_| steps += 1).await.unwrap();
        assert!(report.matches(), "{report:?}");
        assert!(steps > TABLES.len(), "progress is told");
        let tenants = report.tables.iter().find(|t| t.table == "tenants").unwrap();
        assert_eq!((tenants.source_rows, tenants.target_rows), (3, 3));
        let again = copy_store(&from, &to, 2, &mut |_| {}).await;
        assert!(matches!(again, Err(StoreError::Conflict(ref m)) if m.contains("3 tenants")), "{again:?}");
        to.write(|c| Ok(c.execute("UPDATE tenants SET name = 'changed' WHERE slug = 'beta'", []).map(drop)?))
            .await
            .unwrap();
        let report = verify(&from, &to, 2, &mut |_| {}).await.unwrap();
        assert!(!report.matches());
        let tenants = report.tables.iter().find(|t| t.table == "tenants").unwrap();
        assert!(tenants.source_rows == tenants.target_rows && tenants.source_sha256 != tenants.target_sha256);
        drop((from, to));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn keyset_pages_over_composite_keys() {
        let members = TABLES.iter().find(|t| t.name == "group_members").unwrap();
        assert_eq!(
            export_sql(members, true),
            "SELECT \"tenant\", \"group_id\", \"member_id\", \"member_kind\", \"display\" FROM \"group_members\" \
             WHERE (\"tenant\", \"group_id\", \"member_id\") > (?, ?, ?) ORDER BY \"tenant\", \"group_id\", \
             \"member_id\" LIMIT ?"
        );
    }
}
