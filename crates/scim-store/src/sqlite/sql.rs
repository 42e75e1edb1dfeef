//! SQL text built piece by piece with its bound values, and SQLite's
//! [`Dialect`] for the pushdown algebra. Values are always bound, never
//! spliced into the text.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Params, Row, params_from_iter};
use uuid::Uuid;

use crate::Result;
use crate::pushdown::{Dialect, Frag, JsonBase, JsonKind, JsonRead, JsonRef, TextTest};

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
    fn text_test(&mut self, test: TextTest, subject: &Frag, needle: String) {
        match test {
            TextTest::Contains => {
                self.push("instr(");
                subject.render(self);
                self.push(", ").bind(needle).push(") > 0");
            }
            TextTest::StartsWith { chars } => {
                self.push("substr(");
                subject.render(self);
                self.push(", 1, ").bind(chars).push(") = ").bind(needle);
            }
            TextTest::EndsWith { chars } => {
                self.push("substr(");
                subject.render(self);
                self.push(", ").bind(-chars).push(") = ").bind(needle);
            }
        }
    }
    /// `json_extract` gives a string as text and a number as a number.
    fn json_value(&mut self, at: &JsonRef, _: JsonRead) {
        match (at.base, at.keys.is_empty()) {
            (JsonBase::Element, true) => self.push("e.value"),
            (JsonBase::Element, false) => self.push("json_extract(e.value, ").bind(json_path(&at.keys)).push(")"),
            (JsonBase::Doc, _) => self.push("json_extract(r.doc, ").bind(json_path(&at.keys)).push(")"),
        };
    }
    fn json_is(&mut self, at: &JsonRef, kind: JsonKind) {
        let name = match kind {
            JsonKind::Text => "'text'",
            JsonKind::Integer => "'integer'",
            JsonKind::Real => "'real'",
            JsonKind::True => "'true'",
            JsonKind::False => "'false'",
        };
        match (at.base, at.keys.is_empty()) {
            (JsonBase::Element, true) => self.push("e.type"),
            (JsonBase::Element, false) => self.push("json_type(e.value, ").bind(json_path(&at.keys)).push(")"),
            (JsonBase::Doc, _) => self.push("json_type(r.doc, ").bind(json_path(&at.keys)).push(")"),
        };
        self.push(" = ").push(name);
    }
    /// `LIMIT 1` for the reason `pushdown::exists` gives.
    fn json_any(&mut self, keys: &[String], cond: &Frag) {
        self.push("EXISTS (SELECT 1 FROM json_each(r.doc, ").bind(json_path(keys)).push(") e WHERE ");
        cond.render(self);
        self.push(" LIMIT 1)");
    }
    fn fold(&mut self, expr: &Frag) {
        self.push(&format!("{FOLD_FUNCTION}("));
        expr.render(self);
        self.push(")");
    }
    /// Integers in the text, not bound parameters: with `LIMIT ?` SQLite
    /// re-prepared the statement on every execution (seen in perf as
    /// sqlite3Reprepare under sqlite3_step; a userName filter went from
    /// 8.5k to 22.8k req/s). Nothing from a request reaches the text
    /// unparsed: they are integers.
    fn limit(&mut self, limit: i64, offset: Option<i64>) {
        self.push(&format!(" LIMIT {limit}"));
        if let Some(offset) = offset {
            self.push(&format!(" OFFSET {offset}"));
        }
    }
}

/// The SQL function [`register_functions`] adds.
const FOLD_FUNCTION: &str = "scim_fold";

/// A JSON path to the value under `keys`, each quoted (`$."name"."familyName"`):
/// URNs hold dots and colons. The pushdown leaves keys holding a quote or
/// backslash to the evaluator.
fn json_path(keys: &[String]) -> String {
    let mut path = String::from("$");
    for k in keys {
        path.push_str(".\"");
        path.push_str(k);
        path.push('"');
    }
    path
}

/// Adds the functions the pushdown's conditions call to a connection:
/// `scim_fold(text)`, the case folding of `scim_core::value::fold` (SQLite's
/// own `lower()` folds ASCII only); NULL for anything but text.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function(FOLD_FUNCTION, 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            rusqlite::types::ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok().map(scim_core::value::fold),
            _ => None,
        })
    })
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
