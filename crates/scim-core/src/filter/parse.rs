//! Recursive-descent parser for RFC 7644 §3.4.2.2 filters (Figure 1 ABNF):
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"
//! valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
//! attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//! logExp    = FILTER SP ("and" / "or") SP FILTER
//! ```
//!
//! Precedence is grouping > `not` > `and` > `or`, both binary operators
//! left-associative. Operators, `and`/`or`/`not` and `true`/`false`/`null`
//! are case-insensitive. Runs of whitespace are accepted where the ABNF has
//! one SP, and `not(` without a space (RFC errata 7319). Nesting is bounded
//! *before* each recursion, so no input can overflow the stack.

use super::lexer::Cursor;
use super::{CompareOp, Filter};
use crate::error::ScimError;
use crate::path::AttrPath;

/// Longest filter text accepted (in bytes); longer is `400 invalidFilter`.
pub const MAX_FILTER_LEN: usize = 8 * 1024;
/// Deepest nesting of parentheses / `not` / value paths accepted.
pub const MAX_FILTER_DEPTH: usize = 64;

/// Parses a filter. Errors are `400 invalidFilter` with the character
/// position of the problem in `detail`.
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    parse_with_limits(input, MAX_FILTER_LEN, MAX_FILTER_DEPTH, false)
}

/// Parses a `valFilter`, the text between the brackets of a value path
/// (`type eq "work" and value co "@example.com"`), for PATCH paths
/// (RFC 7644 §3.5.2). Paths in it are relative to the outer attribute, and a
/// nested value path is `invalidFilter`. Positions count from the start of
/// `input`.
pub fn parse_value_filter(input: &str) -> Result<Filter, ScimError> {
    parse_with_limits(input, MAX_FILTER_LEN, MAX_FILTER_DEPTH, true)
}

pub(crate) fn parse_with_limits(
    input: &str,
    max_len: usize,
    max_depth: usize,
    in_value_path: bool,
) -> Result<Filter, ScimError> {
    if input.len() > max_len {
        return Err(ScimError::invalid_filter(format!(
            "filter is {} bytes long; at most {max_len} are accepted",
            input.len()
        )));
    }
    let mut p = Parser { cur: Cursor::new(input), depth: 0, max_depth, in_value_path };
    p.cur.skip_ws();
    if p.cur.at_end() {
        return Err(ScimError::invalid_filter("the filter is empty"));
    }
    let f = p.or_expr()?;
    p.cur.skip_ws();
    if !p.cur.at_end() {
        return Err(p.cur.expected("\"and\", \"or\" or the end of the filter"));
    }
    Ok(f)
}

struct Parser {
    cur: Cursor,
    depth: usize,
    max_depth: usize,
    in_value_path: bool,
}

impl Parser {
    /// True (and consumed) when the next word is `kw`, case-insensitively.
    fn keyword(&mut self, kw: &str) -> bool {
        self.cur.skip_ws();
        if self.cur.peek_word().eq_ignore_ascii_case(kw) {
            self.cur.word();
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            let right = self.and_expr()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// Enters one nesting level, refusing to go past the limit.
    fn enter(&mut self, at: usize) -> Result<(), ScimError> {
        if self.depth >= self.max_depth {
            return Err(self
                .cur
                .error_at(at, format!("filter nests deeper than {} levels of (), not() and []", self.max_depth)));
        }
        self.depth += 1;
        Ok(())
    }

    /// `"(" FILTER ")"` at the cursor.
    fn group(&mut self) -> Result<Filter, ScimError> {
        let open = self.cur.pos;
        self.enter(open)?;
        self.cur.bump();
        let inner = self.or_expr()?;
        self.cur.skip_ws();
        if self.cur.peek() != Some(')') {
            return Err(self.cur.expected(&format!("')' to close the '(' at character {}", open + 1)));
        }
        self.cur.bump();
        self.depth -= 1;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        self.cur.skip_ws();
        if self.cur.peek() == Some('(') {
            return self.group();
        }
        let start = self.cur.pos;
        let word = self.cur.peek_word();
        if word.eq_ignore_ascii_case("not") {
            // `not` is only the operator when a `(` follows; otherwise it is
            // an attribute that happens to be called "not".
            self.cur.word();
            self.cur.skip_ws();
            if self.cur.peek() == Some('(') {
                return Ok(Filter::Not(Box::new(self.group()?)));
            }
            self.cur.pos = start;
        }
        self.attr_expr()
    }

    fn attr_path(&mut self) -> Result<AttrPath, ScimError> {
        self.cur.skip_ws();
        let start = self.cur.pos;
        let word = self.cur.word();
        if word.is_empty() {
            self.cur.pos = start;
            return Err(self.cur.expected("an attribute name or '('"));
        }
        // Names and URNs are ASCII (RFC 7643 §2.1, RFC 8141); refusing the
        // rest here also keeps non-ASCII text away from `AttrPath::parse`,
        // which slices by bytes.
        if !word.is_ascii() {
            return Err(self.cur.error_at(
                start,
                format!("\"{word}\" is not a valid attribute path (names are ASCII letters, digits, '-' and '_')"),
            ));
        }
        AttrPath::parse(&word).map_err(|e| self.cur.error_at(start, e.detail))
    }

    /// `attrPath "[" valFilter "]"`, `attrPath pr`, `attrPath op value`.
    fn attr_expr(&mut self) -> Result<Filter, ScimError> {
        let path = self.attr_path()?;
        let had_ws = self.cur.skip_ws();
        if self.cur.peek() == Some('[') {
            return self.value_path(path);
        }
        if !had_ws {
            return Err(self.cur.expected(&format!("a space and an operator after \"{path}\"")));
        }
        self.comparison(path)
    }

    /// `op value` or `pr` after an attribute path (whitespace already read).
    fn comparison(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        let op_at = self.cur.pos;
        let op = self.cur.word();
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => {
                self.cur.pos = op_at;
                return Err(self
                    .cur
                    .expected(&format!("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after \"{path}\"")));
            }
        };
        self.cur.skip_ws();
        let value = self.cur.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn value_path(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        let open = self.cur.pos;
        if self.in_value_path {
            return Err(self.cur.error_at(open, format!("value filters cannot be nested (\"{path}[\" inside [...])")));
        }
        self.enter(open)?;
        self.cur.bump();
        self.in_value_path = true;
        self.cur.skip_ws();
        if self.cur.peek() == Some(']') {
            return Err(self.cur.expected(&format!("a filter inside \"{path}[...]\"")));
        }
        let inner = self.or_expr()?;
        self.cur.skip_ws();
        if self.cur.peek() != Some(']') {
            return Err(self.cur.expected(&format!("']' to close the '[' at character {}", open + 1)));
        }
        self.cur.bump();
        self.in_value_path = false;
        self.depth -= 1;
        // Not in the RFC's filter grammar, but Microsoft Entra sends it:
        // `emails[type eq "work"].value eq "x"`. It means "some element has
        // type work and value x", i.e. `emails[type eq "work" and value eq "x"]`,
        // and is parsed as that.
        if self.cur.peek() == Some('.') {
            self.cur.bump();
            let sub_at = self.cur.pos;
            let sub = self.cur.word();
            if !AttrPath::is_valid_name(&sub) {
                return Err(self.cur.error_at(sub_at, format!("expected a sub-attribute name after \"{path}[...].\"")));
            }
            if !self.cur.skip_ws() {
                return Err(self.cur.expected(&format!("a space and an operator after \"{path}[...].{sub}\"")));
            }
            let test = self.comparison(AttrPath::simple(sub))?;
            let filter = Filter::And(Box::new(inner), Box::new(test));
            return Ok(Filter::ValuePath { path, filter: Box::new(filter) });
        }
        Ok(Filter::ValuePath { path, filter: Box::new(inner) })
    }
}
