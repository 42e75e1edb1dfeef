//! Recursive-descent parser for RFC 7644 §3.4.2.2 filters. PLACEHOLDER.
use super::Filter;
use crate::error::ScimError;

/// Longest filter text accepted; longer is `400 invalidFilter`.
pub const MAX_FILTER_LEN: usize = 8 * 1024;
/// Deepest nesting of parentheses / `not` / value paths accepted.
pub const MAX_FILTER_DEPTH: usize = 64;

/// Parses a filter. Errors are `400 invalidFilter` with the character
/// position of the problem in `detail`.
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    let _ = input;
    Err(ScimError::invalid_filter("filters are not implemented yet"))
}
