//! What a backend must spell itself for the pushdown algebra: where bound
//! values go (`?` for SQLite, `$n` for PostgreSQL), boolean literals, and
//! the substring tests behind `co`, `sw` and `ew` (never LIKE, so no
//! wildcard in a value can change what matches).

use uuid::Uuid;

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
    /// Appends `test` of `column` against `needle` (bound).
    fn text_test(&mut self, test: TextTest, column: &str, needle: String);
}
