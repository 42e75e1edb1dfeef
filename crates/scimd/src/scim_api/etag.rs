//! ETags (RFC 7644 §3.14, RFC 9110 §8.8.3, §13.1): every resource version is
//! the weak tag `W/"<version>"`; `If-Match` and `If-None-Match` compare
//! weakly (the opaque part only), and accept `*`.

use axum::http::HeaderMap;
use axum::http::header::{IF_MATCH, IF_NONE_MATCH};
use scim_core::ScimError;

/// The ETag of a version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// A parsed `If-Match` / `If-None-Match` precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: any current representation.
    Any,
    /// The versions listed (tags that are not one of ours can never match,
    /// and are kept out).
    Versions(Vec<i64>),
}

impl Precondition {
    pub fn matches(&self, version: i64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Versions(v) => v.contains(&version),
        }
    }

    /// The one version the client expects, for the store's optimistic
    /// check (`None` for `*` or a list).
    pub fn single(&self) -> Option<i64> {
        match self {
            Precondition::Versions(v) if v.len() == 1 => v.first().copied(),
            _ => None,
        }
    }
}

/// Parses a header value: `*` or a comma-separated list of entity tags.
/// A malformed tag is `400 invalidSyntax` rather than a mismatch, so the
/// client learns about its bug.
pub fn parse_precondition(value: &str) -> Result<Precondition, ScimError> {
    let value = value.trim();
    if value == "*" {
        return Ok(Precondition::Any);
    }
    let mut versions = Vec::new();
    for tag in value.split(',') {
        let tag = tag.trim();
        let opaque = tag.strip_prefix("W/").unwrap_or(tag);
        let inner = opaque
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .ok_or_else(|| ScimError::invalid_syntax(format!("malformed entity tag {tag:?}")))?;
        if let Ok(v) = inner.parse::<i64>() {
            versions.push(v);
        }
    }
    Ok(Precondition::Versions(versions))
}

fn header_precondition(headers: &HeaderMap, name: &axum::http::HeaderName) -> Result<Option<Precondition>, ScimError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => {
            let s = v.to_str().map_err(|_| ScimError::invalid_syntax(format!("malformed {name} header")))?;
            parse_precondition(s).map(Some)
        }
    }
}

pub fn if_match(headers: &HeaderMap) -> Result<Option<Precondition>, ScimError> {
    header_precondition(headers, &IF_MATCH)
}

pub fn if_none_match(headers: &HeaderMap) -> Result<Option<Precondition>, ScimError> {
    header_precondition(headers, &IF_NONE_MATCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weak_strong_star_and_lists() {
        assert_eq!(etag(3), "W/\"3\"");
        assert_eq!(parse_precondition("*").unwrap(), Precondition::Any);
        assert_eq!(parse_precondition("W/\"3\"").unwrap(), Precondition::Versions(vec![3]));
        assert_eq!(parse_precondition("\"3\"").unwrap(), Precondition::Versions(vec![3]));
        let p = parse_precondition("W/\"1\", W/\"7\"").unwrap();
        assert!(p.matches(7) && p.matches(1) && !p.matches(2));
        assert_eq!(p.single(), None);
        assert_eq!(parse_precondition("W/\"4\"").unwrap().single(), Some(4));
        assert!(!parse_precondition("\"abc\"").unwrap().matches(0));
        assert!(parse_precondition("3").is_err());
        assert!(parse_precondition("W/3").is_err());
    }
}
