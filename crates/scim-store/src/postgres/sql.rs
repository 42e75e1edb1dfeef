//! SQL text built piece by piece with its bound values (`$1`, `$2`, … each
//! with its type spelled, so that PostgreSQL never has to guess one), and
//! PostgreSQL's [`Dialect`] for the pushdown algebra. Values are always
//! bound, never spliced into the text.
//!
//! Text order: the derived columns are `COLLATE "C"` (byte order, the
//! evaluator's); text read from a document is given that collation too, so
//! `<` and `>` mean the same in SQL and in the evaluator whatever the
//! database's locale. Case folding is `lower()` in the database's own
//! (Unicode) collation, with the one letter where it differs from Rust's
//! per-character lower-casing (`İ`) spelled out: see [`FOLD`].

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::Result;
use crate::pushdown::{Dialect, Frag, JsonBase, JsonKind, JsonRead, JsonRef, TextTest};

/// A bound value.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A statement's text and its parameters, in order.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    params: Vec<Param>,
    /// Planned with its values each run instead of prepared once per
    /// connection ([`Self::plan_each_run`]).
    each_run: bool,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Sql { text: text.into(), params: Vec::new(), each_run: false }
    }

    /// Plans the statement with its values every time it runs. A statement
    /// prepared once is planned, after five runs, for any values: a keyset
    /// `(created, id) > ($1, $2)` then looks like a third of the table and
    /// `LIMIT $3` like no limit, and a deep cursor page became a sort of
    /// the whole tenant (500 ms, against 13 ms planned with its values).
    /// Worth the planning (tens of microseconds) wherever the best plan
    /// depends on the values.
    pub(crate) fn plan_each_run(&mut self) -> &mut Self {
        self.each_run = true;
        self
    }

    /// Appends SQL text (never a value from a request).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends `$n::ty` bound to `value`.
    pub(crate) fn bind_as(&mut self, value: impl ToSql + Sync + Send + 'static, ty: &str) -> &mut Self {
        self.params.push(Box::new(value));
        self.text.push_str(&format!("${}::{ty}", self.params.len()));
        self
    }

    pub(crate) fn bind(&mut self, value: i64) -> &mut Self {
        self.bind_as(value, "bigint")
    }

    pub(crate) fn bind_text(&mut self, value: String) -> &mut Self {
        self.bind_as(value, "text")
    }

    pub(crate) fn bind_id(&mut self, id: Uuid) -> &mut Self {
        self.bind_as(id, "uuid")
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }

    /// Runs the statement (prepared once per connection) and returns its rows.
    pub(crate) async fn rows(&self, c: &impl GenericClient) -> Result<Vec<Row>> {
        if self.each_run {
            return Ok(c.query(self.text.as_str(), &self.refs()).await?);
        }
        let stmt = c.prepare_cached(&self.text).await?;
        Ok(c.query(&stmt, &self.refs()).await?)
    }

    /// Runs the statement and reads one integer (a `COUNT(*)`).
    pub(crate) async fn scalar(&self, c: &impl GenericClient) -> Result<i64> {
        let row = if self.each_run {
            c.query_one(self.text.as_str(), &self.refs()).await?
        } else {
            let stmt = c.prepare_cached(&self.text).await?;
            c.query_one(&stmt, &self.refs()).await?
        };
        super::convert::at(&row, 0)
    }
}

/// Runs `sql` (prepared once per connection) with `params`; its rows.
pub(crate) async fn all(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, params).await?)
}

/// At most one row.
pub(crate) async fn opt(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&stmt, params).await?)
}

/// Exactly one row.
pub(crate) async fn one(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_one(&stmt, params).await?)
}

/// Runs a statement; how many rows it changed.
pub(crate) async fn exec(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

/// `lower()` as `scim_core::value::fold` lower-cases: the database's
/// collation (Unicode; `migrate::check` makes sure) with `İ` (U+0130),
/// which libc lower-cases to `i` and Rust to `i̇`, replaced first; the
/// result in byte order.
const FOLD: (&str, &str) = ("(lower(replace(", ", U&'\\0130', U&'i\\0307') COLLATE \"default\") COLLATE \"C\")");

impl Sql {
    /// `r.doc #> path` or the element's, as jsonb.
    fn json_at(&mut self, at: &JsonRef) {
        let base = match at.base {
            JsonBase::Doc => "r.doc",
            JsonBase::Element => "e.value",
        };
        if at.keys.is_empty() {
            self.push(base);
        } else {
            self.push("(").push(base).push(" #> ").bind_as(at.keys.clone(), "text[]").push(")");
        }
    }
}

impl Dialect for Sql {
    fn sql(&mut self, text: &str) {
        self.push(text);
    }
    fn bind_text(&mut self, value: String) {
        Sql::bind_text(self, value);
    }
    fn bind_int(&mut self, value: i64) {
        self.bind(value);
    }
    fn bind_id(&mut self, id: Uuid) {
        Sql::bind_id(self, id);
    }
    fn boolean(&mut self, value: bool) {
        self.push(if value { "TRUE" } else { "FALSE" });
    }
    fn text_test(&mut self, test: TextTest, subject: &Frag, needle: String) {
        match test {
            TextTest::Contains => {
                self.push("strpos(");
                subject.render(self);
                self.push(", ").bind_text(needle).push(") > 0");
            }
            TextTest::StartsWith { chars } => {
                self.push("left(");
                subject.render(self);
                self.push(", ").bind_as(i32::try_from(chars).unwrap_or(i32::MAX), "integer").push(") = ");
                self.bind_text(needle);
            }
            TextTest::EndsWith { chars } => {
                self.push("right(");
                subject.render(self);
                self.push(", ").bind_as(i32::try_from(chars).unwrap_or(i32::MAX), "integer").push(") = ");
                self.bind_text(needle);
            }
        }
    }
    fn json_value(&mut self, at: &JsonRef, read: JsonRead) {
        match read {
            JsonRead::Text => {
                self.push("((");
                self.json_at(at);
                self.push(" #>> '{}') COLLATE \"C\")");
            }
            // A cast of a non-number would fail: only numbers are cast.
            JsonRead::Number => {
                self.push("(CASE WHEN jsonb_typeof(");
                self.json_at(at);
                self.push(") = 'number' THEN (");
                self.json_at(at);
                self.push(")::numeric END)");
            }
        }
    }
    fn json_is(&mut self, at: &JsonRef, kind: JsonKind) {
        match kind {
            JsonKind::Text => {
                self.push("jsonb_typeof(");
                self.json_at(at);
                self.push(") = 'string'");
            }
            JsonKind::Integer | JsonKind::Real => {
                self.push("(CASE WHEN jsonb_typeof(");
                self.json_at(at);
                self.push(") = 'number' THEN scale((");
                self.json_at(at);
                self.push(")::numeric) ").push(if kind == JsonKind::Integer { "= 0" } else { "> 0" });
                self.push(" ELSE FALSE END)");
            }
            JsonKind::True | JsonKind::False => {
                self.push("(");
                self.json_at(at);
                self.push(if kind == JsonKind::True { " = 'true'::jsonb)" } else { " = 'false'::jsonb)" });
            }
        }
    }
    fn json_any(&mut self, keys: &[String], cond: &Frag) {
        let at = JsonRef { base: JsonBase::Doc, keys: keys.to_vec() };
        self.push("EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(");
        self.json_at(&at);
        self.push(") = 'array' THEN ");
        self.json_at(&at);
        self.push(" ELSE '[]'::jsonb END) e(value) WHERE ");
        cond.render(self);
        self.push(")");
    }
    fn fold(&mut self, expr: &Frag) {
        self.push(FOLD.0);
        expr.render(self);
        self.push(FOLD.1);
    }
    /// Bound: statements are prepared once per connection and kept, so
    /// every distinct text would be another one kept.
    fn limit(&mut self, limit: i64, offset: Option<i64>) {
        self.push(" LIMIT ").bind(limit);
        if let Some(offset) = offset {
            self.push(" OFFSET ").bind(offset);
        }
    }
}
