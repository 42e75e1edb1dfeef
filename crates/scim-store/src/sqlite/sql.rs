//! SQL text built piece by piece with its bound values, and SQLite's
//! [`Dialect`] for the pushdown algebra. Values are always bound, never
//! spliced into the text.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Params, Row, params_from_iter};
use uuid::Uuid;

use crate::Result;
use crate::pushdown::{Dialect, TextTest};

/// A statement's text and its positional parameters, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sql {
    text: String,
    params: Vec<SqlValue>,
}

/// A UUID as the store keeps it: its 16 bytes.
pub(crate) fn id_value(id: Uuid) -> SqlValue {
    SqlValue::Blob(id.as_bytes().to_vec())
}

/// Runs the statement `sql` (cached per connection by its text) with
/// `params` and maps every row.
pub(crate) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Sql { text: text.into(), params: Vec::new() }
    }

    /// Appends SQL text (never a value from a request).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a `?` bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<SqlValue>) -> &mut Self {
        self.text.push('?');
        self.params.push(value.into());
        self
    }

    pub(crate) fn bind_id(&mut self, id: Uuid) -> &mut Self {
        self.bind(id_value(id))
    }

    /// Runs the statement (cached per connection by its text) and maps
    /// every row.
    pub(crate) fn rows<T>(&self, conn: &Connection, map: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        all(conn, &self.text, params_from_iter(self.params.iter()), map)
    }

    /// Runs the statement and reads one integer (a `COUNT(*)`).
    pub(crate) fn scalar(&self, conn: &Connection) -> Result<i64> {
        let mut stmt = conn.prepare_cached(&self.text)?;
        Ok(stmt.query_row(params_from_iter(self.params.iter()), |r| r.get(0))?)
    }
}

impl Dialect for Sql {
    fn sql(&mut self, text: &str) {
        self.push(text);
    }
    fn bind_text(&mut self, value: String) {
        self.bind(value);
    }
    fn bind_int(&mut self, value: i64) {
        self.bind(value);
    }
    fn bind_id(&mut self, id: Uuid) {
        Sql::bind_id(self, id);
    }
    /// SQLite has no boolean type: `active` is stored as 0 or 1.
    fn boolean(&mut self, value: bool) {
        self.push(if value { "1" } else { "0" });
    }
    fn text_test(&mut self, test: TextTest, column: &str, needle: String) {
        match test {
            TextTest::Contains => self.push(&format!("instr({column}, ")).bind(needle).push(") > 0"),
            TextTest::StartsWith { chars } => {
                self.push(&format!("substr({column}, 1, ")).bind(chars).push(") = ").bind(needle)
            }
            TextTest::EndsWith { chars } => {
                self.push(&format!("substr({column}, ")).bind(-chars).push(") = ").bind(needle)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        let a = Uuid::now_v7();
        let mut sql = Sql::new("SELECT ");
        sql.bind(7_i64).push(" + length(").bind("abc".to_owned()).push("), length(");
        sql.bind_id(a).push(")");
        let rows = sql.rows(&conn, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).unwrap();
        assert_eq!(rows, vec![(10, 16)]);
        let mut count = Sql::new("SELECT COUNT(*) FROM (SELECT 1 WHERE ");
        count.bind_id(a).push(" = ").bind_id(Uuid::now_v7()).push(")");
        assert_eq!(count.scalar(&conn).unwrap(), 0);
    }
}
