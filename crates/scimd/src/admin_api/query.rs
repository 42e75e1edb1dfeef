//! Query parameters of the admin API's lists: a malformed query string and
//! a `limit` out of range are `422 invalid-value` problems, worded here once.

use axum::extract::rejection::QueryRejection;

use super::problem::Problem;

/// Items per page when the caller names no `limit`.
pub const DEFAULT_LIMIT: u32 = 100;

/// The problem for a query string that does not parse (a parameter given
/// twice, bytes that are not UTF-8).
pub fn malformed(e: &QueryRejection) -> Problem {
    Problem::new(422, "invalid-value", "Invalid value", format!("malformed query string: {}", e.body_text()))
}

/// `limit` as sent (absent: [`DEFAULT_LIMIT`]), a whole number from 1 to
/// `max`.
pub fn limit(raw: Option<&str>, max: u32) -> Result<u32, Problem> {
    match raw.map(str::parse::<u32>) {
        None => Ok(DEFAULT_LIMIT.min(max)),
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Problem::new(
            422,
            "invalid-value",
            "Invalid value",
            format!("limit must be a whole number from 1 to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_whole_numbers_in_range() {
        assert_eq!(limit(None, 1000).unwrap(), 100);
        assert_eq!(limit(Some("7"), 1000).unwrap(), 7);
        for bad in ["0", "1001", "-1", "x", "1.5", ""] {
            assert_eq!(limit(Some(bad), 1000).unwrap_err().status, 422, "{bad}");
        }
    }
}
