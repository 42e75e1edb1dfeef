//! What a backend must spell itself for the pushdown algebra: where bound
//! values go (`?` for SQLite, `$n` for PostgreSQL), boolean literals, the
//! substring tests behind `co`, `sw` and `ew` (never LIKE, so no wildcard
//! in a value can change what matches), and reading attributes that have
//! no column out of the stored JSON document.

use uuid::Uuid;

use super::Frag;

/// A JSON value a condition reads: in the resource's document, or in the
/// element of a multi-valued attribute a [`Dialect::json_any`] ranges
/// over; `keys` lead from there to the value (none: the element itself).
/// Keys are attribute names and schema URNs from the schema registry,
/// bound as values, never spliced into SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRef {
    pub base: JsonBase,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonBase {
    /// `r.doc`.
    Doc,
    /// The current element of the enclosing [`Dialect::json_any`].
    Element,
}

/// The JSON types a condition tests for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// A string.
    Text,
    /// A number without a fraction.
    Integer,
    /// A number with one.
    Real,
    True,
    False,
}

/// How a condition reads a JSON value: as text (a string's characters) or
/// as a number. A backend whose SQL is typed (PostgreSQL) needs to know;
/// SQLite's `json_extract` gives either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonRead {
    Text,
    Number,
}

/// A substring test of a text column against a bound needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextTest {
    /// The column contains the needle (SQLite `instr(c, ?) > 0`,
    /// PostgreSQL `strpos(c, $n) > 0`).
    Contains,
    /// The column's first `chars` characters are the needle (SQLite
    /// `substr(c, 1, ?) = ?`, PostgreSQL `left(c, $n) = $m`).
    StartsWith { chars: i64 },
    /// The column's last `chars` characters are the needle (SQLite
    /// `substr(c, -?) = ?`, PostgreSQL `right(c, $n) = $m`).
    EndsWith { chars: i64 },
}

/// A backend's statement under construction, written to by
/// [`super::Frag::render`]. Column names and SQL keywords come from the
/// algebra as text; every value from a request is bound, never spliced in.
pub trait Dialect {
    /// Appends SQL text.
    fn sql(&mut self, text: &str);
    /// Appends a placeholder bound to a text value.
    fn bind_text(&mut self, value: String);
    /// Appends a placeholder bound to an integer.
    fn bind_int(&mut self, value: i64);
    /// Appends a placeholder bound to a resource or tenant id, in the form
    /// the backend stores ids.
    fn bind_id(&mut self, id: Uuid);
    /// Appends a boolean literal, in the form the backend stores booleans
    /// (`active`) and writes truth values.
    fn boolean(&mut self, value: bool);
    /// Appends `test` of `subject` (a text expression) against `needle`
    /// (bound).
    fn text_test(&mut self, test: TextTest, subject: &Frag, needle: String);
    /// Appends the SQL value of the JSON value at `at`, read as `read`
    /// says; NULL where there is none. Only compared after a
    /// [`Self::json_is`] test of its type, and never an error whatever the
    /// type (SQL does not promise to evaluate `AND` left to right).
    fn json_value(&mut self, at: &JsonRef, read: JsonRead);
    /// Appends a condition: the JSON value at `at` is of `kind`.
    fn json_is(&mut self, at: &JsonRef, kind: JsonKind);
    /// Appends a condition: some element of the array at `keys` in the
    /// document satisfies `cond` (whose [`JsonBase::Element`] references
    /// read that element).
    fn json_any(&mut self, keys: &[String], cond: &Frag);
    /// Appends `expr` case-folded exactly as `scim_core::value::fold` folds
    /// (Unicode lower-casing, char by char); NULL for anything but text.
    fn fold(&mut self, expr: &Frag);
    /// Appends ` LIMIT limit` (and ` OFFSET offset`): as literals where the
    /// backend's statement cache wants them (SQLite re-prepares a statement
    /// with a bound LIMIT on every run), bound where distinct texts would
    /// fill a per-connection cache (PostgreSQL).
    fn limit(&mut self, limit: i64, offset: Option<i64>);
}
