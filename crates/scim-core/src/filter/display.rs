//! Prints a filter as canonical RFC 7644 §3.4.2.2 filter text, such that
//! `parse_filter(&f.to_string()) == Ok(f)` for every AST: operators and
//! keywords in lower case, one space between tokens, strings escaped as JSON,
//! and parentheses exactly where precedence (`not` > `and` > `or`) or left
//! associativity would otherwise regroup the tree.

use std::fmt;

use super::{CompValue, Filter};

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            // serde_json escapes quotes, backslashes and control characters,
            // which is exactly the JSON string grammar the parser reads.
            CompValue::String(s) => match serde_json::to_string(s) {
                Ok(quoted) => f.write_str(&quoted),
                Err(_) => Err(fmt::Error),
            },
        }
    }
}

/// Writes `inner`, parenthesised when `wrap`.
fn operand(f: &mut fmt::Formatter<'_>, inner: &Filter, wrap: bool) -> fmt::Result {
    if wrap { write!(f, "({inner})") } else { write!(f, "{inner}") }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(a, b) => {
                // `and` binds tighter than `or` and groups to the left.
                operand(f, a, matches!(**a, Filter::Or(..)))?;
                f.write_str(" and ")?;
                operand(f, b, matches!(**b, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Or(a, b) => {
                operand(f, a, false)?;
                f.write_str(" or ")?;
                operand(f, b, matches!(**b, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}
