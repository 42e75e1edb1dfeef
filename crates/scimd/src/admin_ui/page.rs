//! What every page shares: the header's navigation (with the session's
//! CSRF token for the log-out form), rendering a template, and the way
//! times are shown.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;

/// The header of a logged-in page.
pub struct Nav {
    pub csrf: String,
    /// Which admin token the session is: its name and visible prefix.
    pub who: String,
}

/// The page as HTML; a template that fails to render is a 500 (logged).
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
        }
    }
}

/// A time as pages show it: `2026-12-05 16:40 UTC`.
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// An optional time, or an em dash.
pub fn when_or_dash(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(|| "—".to_owned(), when)
}

/// A time as a form sends it, for the RFC 3339 parsers: a browser's
/// `datetime-local` (`2026-12-05T10:30`) taken as UTC, other text as it is
/// (the parser names what is wrong with it); empty is none.
pub fn form_instant(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let local = s.len() == 16 && s.as_bytes().get(10) == Some(&b'T') && !s.contains('Z');
    Some(if local { format!("{s}:00Z") } else { s.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datetime_local_is_taken_as_utc_and_other_text_kept() {
        assert_eq!(form_instant(" 2026-12-05T10:30 ").as_deref(), Some("2026-12-05T10:30:00Z"));
        assert_eq!(form_instant("2026-12-05T10:30:00+01:00").as_deref(), Some("2026-12-05T10:30:00+01:00"));
        assert_eq!(form_instant("yesterday").as_deref(), Some("yesterday"));
        assert_eq!(form_instant("  "), None);
    }
}
