//! PostgreSQL's side of a copy between stores (`crate::copy`): rows leave
//! as `to_jsonb` of the row and come in through
//! `jsonb_populate_recordset`, which converts every column to its type
//! (bytea from its `\x` hex form). Text keys are ordered `COLLATE "C"`,
//! byte order, as SQLite orders them, so that both sides checksum their
//! rows in one order.
//!
//! Not copied but rebuilt after the import: `event_counters` (each
//! tenant's largest `seq`, and under the nil uuid the largest `position`)
//! and the identity sequences, set past the largest copied id. `written`,
//! which orders events before they are numbered, is their position.

use async_trait::async_trait;
use serde_json::Value;

use super::PgStore;
use super::sql::{all, exec, one};
use crate::copy::{ColumnType, CopyRow, Copyable, Table, bad_value};
use crate::{Result, StoreError};

/// A quoted identifier (`authorization` is a word of SQL).
fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// A key column as it is ordered: text in byte order.
fn key_expr(table: &Table, alias: &str, key: &str) -> String {
    match table.column(key).map(|c| c.ty) {
        Some(ColumnType::Text) => format!("{alias}.{} COLLATE \"C\"", quote(key)),
        _ => format!("{alias}.{}", quote(key)),
    }
}

/// The rows of `table` after the key given as `$1` (jsonb, or NULL for
/// the start), at most `$2`, in key order, each as one jsonb value.
fn export_sql(table: &Table) -> String {
    let cols: Vec<String> = table.columns.iter().map(|c| format!("t.{}", quote(c.name))).collect();
    let key = |alias: &str| table.key.iter().map(|k| key_expr(table, alias, k)).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT to_jsonb(x) FROM (SELECT {cols} FROM {name} t \
         WHERE $1::jsonb IS NULL OR ({tk}) > (SELECT {pk} FROM jsonb_populate_record(NULL::{name}, $1::jsonb) p) \
         ORDER BY {tk} LIMIT $2) x",
        cols = cols.join(", "),
        name = quote(table.name),
        tk = key("t"),
        pk = key("p"),
    )
}

fn import_sql(table: &Table) -> String {
    let mut cols: Vec<String> = table.columns.iter().map(|c| quote(c.name)).collect();
    if table.name == "events" {
        cols.push(quote("written"));
    }
    let cols = cols.join(", ");
    format!(
        "INSERT INTO {name} ({cols}) SELECT {cols} FROM jsonb_populate_recordset(NULL::{name}, $1::jsonb)",
        name = quote(table.name)
    )
}

/// A row of `to_jsonb` in the neutral format.
fn from_pg(table: &Table, mut row: Value) -> Result<CopyRow> {
    let obj =
        row.as_object_mut().ok_or_else(|| StoreError::Corrupt(format!("{}: a row is not an object", table.name)))?;
    let mut out = CopyRow::new();
    for column in table.columns {
        let v = obj.remove(column.name).unwrap_or(Value::Null);
        let v = match (column.ty, v) {
            (_, Value::Null) => Value::Null,
            (ColumnType::Hex, Value::String(s)) => match s.strip_prefix("\\x") {
                Some(hex) => Value::String(hex.to_owned()),
                None => return Err(bad_value(table, column, &Value::String(s))),
            },
            (_, v) => v,
        };
        out.insert(column.name.to_owned(), v);
    }
    Ok(out)
}

/// A neutral row as `jsonb_populate_recordset` reads it.
fn to_pg(table: &Table, mut row: CopyRow) -> Result<Value> {
    for column in table.columns {
        let Some(v) = row.get_mut(column.name) else { continue };
        let ok = match (column.ty, &*v) {
            (_, Value::Null) => true,
            (ColumnType::Uuid | ColumnType::Text, Value::String(_)) => true,
            (ColumnType::Int, Value::Number(n)) => n.is_i64(),
            (ColumnType::Bool, Value::Bool(_)) => true,
            (ColumnType::Json, _) => true,
            (ColumnType::Hex, Value::String(s)) if s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                *v = Value::String(format!("\\x{s}"));
                true
            }
            _ => false,
        };
        if !ok {
            return Err(bad_value(table, column, v));
        }
    }
    if table.name == "events" {
        let position = row.get("position").cloned().unwrap_or(Value::Null);
        row.insert("written".to_owned(), position);
    }
    Ok(Value::Object(row))
}

/// Each identity column, set past the largest copied value.
const IDENTITIES: &[(&str, &str)] =
    &[("audit_log", "id"), ("events", "written"), ("webhook_deliveries", "id"), ("webhook_attempts", "id")];

#[async_trait]
impl Copyable for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn prepare_export(&self) -> Result<()> {
        self.catch_up().await
    }

    async fn table_names(&self) -> Result<Vec<String>> {
        let c = self.conn().await?;
        let rows = all(
            &c,
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            &[],
        )
        .await?;
        rows.iter().map(|r| super::convert::at(r, 0)).collect()
    }

    async fn column_names(&self, table: &'static Table) -> Result<Vec<String>> {
        let c = self.conn().await?;
        let rows = all(
            &c,
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name::text = $1::text ORDER BY ordinal_position",
            &[&table.name],
        )
        .await?;
        rows.iter().map(|r| super::convert::at(r, 0)).collect()
    }

    async fn count_rows(&self, table: &'static Table) -> Result<u64> {
        let c = self.conn().await?;
        let row = one(&c, &format!("SELECT count(*) FROM {}", quote(table.name)), &[]).await?;
        let n: i64 = super::convert::at(&row, 0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn export_rows(&self, table: &'static Table, after: Option<CopyRow>, limit: u32) -> Result<Vec<CopyRow>> {
        let c = self.conn().await?;
        let after = after.map(Value::Object);
        let rows = all(&c, &export_sql(table), &[&after, &i64::from(limit)]).await?;
        rows.iter().map(|r| from_pg(table, super::convert::at(r, 0)?)).collect()
    }

    async fn import_rows(&self, table: &'static Table, rows: Vec<CopyRow>) -> Result<()> {
        let rows = rows.into_iter().map(|r| to_pg(table, r)).collect::<Result<Vec<_>>>()?;
        let c = self.conn().await?;
        exec(&c, &import_sql(table), &[&Value::Array(rows)])
            .await
            .map_err(|e| StoreError::Database(format!("copying into {}: {e}", table.name)))?;
        Ok(())
    }

    async fn finish_import(&self) -> Result<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        exec(&tx, "DELETE FROM event_counters", &[]).await?;
        exec(
            &tx,
            "INSERT INTO event_counters (tenant, last) \
             SELECT tenant, max(seq) FROM events WHERE seq IS NOT NULL GROUP BY tenant \
             UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid, max(position) FROM events \
             HAVING max(position) IS NOT NULL",
            &[],
        )
        .await?;
        for (table, column) in IDENTITIES {
            let (t, col) = (quote(table), quote(column));
            exec(
                &tx,
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                     COALESCE((SELECT max({col}) FROM {t}), 1), (SELECT max({col}) IS NOT NULL FROM {t}))"
                ),
                &[],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::TABLES;

    #[test]
    fn hashes_travel_as_bytea_hex() {
        let tokens = TABLES.iter().find(|t| t.name == "tokens").unwrap();
        let row: CopyRow =
            serde_json::from_str(r#"{"id":"0190c5a8-0000-7000-8000-000000000000","hash":"00ff"}"#).unwrap();
        let pg = to_pg(tokens, row.clone()).unwrap();
        assert_eq!(pg["hash"], "\\x00ff");
        let back = from_pg(tokens, pg).unwrap();
        assert_eq!(back["hash"], "00ff");
        assert_eq!(back["id"], row["id"]);
        assert!(to_pg(tokens, serde_json::from_str(r#"{"hash":"zz"}"#).unwrap()).is_err());
    }
}
