//! Preconditions on a resource's version (RFC 7644 §3.14, RFC 9110 §13.1):
//! what `If-Match` (and `If-None-Match`) and a Bulk operation's `version`
//! ask for. Versions are weak entity tags `W/"<version>"`, compared weakly
//! (the opaque part only); `*` matches any current representation.

use scim_core::ScimError;

/// A parsed `If-Match` / `If-None-Match` / Bulk `version` precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: any current representation.
    Any,
    /// The versions listed (tags that are not one of ours can never match,
    /// and are kept out).
    Versions(Vec<i64>),
}

impl Precondition {
    /// Parses `*` or a comma-separated list of entity tags. A malformed tag
    /// is `400 invalidSyntax` rather than a mismatch, so the client learns
    /// about its bug.
    pub fn parse(value: &str) -> Result<Precondition, ScimError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weak_strong_star_and_lists() {
        let parse = Precondition::parse;
        assert_eq!(parse("*").unwrap(), Precondition::Any);
        assert_eq!(parse("W/\"3\"").unwrap(), Precondition::Versions(vec![3]));
        assert_eq!(parse("\"3\"").unwrap(), Precondition::Versions(vec![3]));
        let p = parse("W/\"1\", W/\"7\"").unwrap();
        assert!(p.matches(7) && p.matches(1) && !p.matches(2));
        assert_eq!(p.single(), None);
        assert_eq!(parse("W/\"4\"").unwrap().single(), Some(4));
        assert!(!parse("\"abc\"").unwrap().matches(0));
        assert!(parse("3").is_err());
        assert!(parse("W/3").is_err());
    }
}
