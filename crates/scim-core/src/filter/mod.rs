//! The SCIM filter language (RFC 7644 §3.4.2.2): AST, parser, printer,
//! schema-aware validation and the reference evaluator.

mod ast;
mod display;
mod eval;
mod lexer;
mod parse;
pub(crate) mod resolve;
mod validate;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use ast::{CompValue, CompareOp, Filter};
pub use eval::{matches, matches_element};
pub use parse::{MAX_FILTER_DEPTH, MAX_FILTER_LEN, parse_filter, parse_value_filter};
pub use validate::validate;
