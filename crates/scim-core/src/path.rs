//! Attribute paths (RFC 7644 §3.10 "attrPath"): `[URI ":"] ATTRNAME *1subAttr`.
//!
//! Examples: `userName`, `name.givenName`, `meta.lastModified`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
//!
//! Parsing here is purely syntactic; [`crate::schema::SchemaRegistry::resolve`]
//! gives a path its meaning. A URN contains dots (`…:2.0:User`), so the URN is
//! everything before the *last* colon and only the rest is split on `.`.

use std::fmt;

use crate::error::ScimError;

/// An attribute path. Names keep the spelling the client sent; comparisons
/// against schemas are case-insensitive (RFC 7643 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, without the trailing colon.
    pub urn: Option<String>,
    /// The attribute name.
    pub attr: String,
    /// The sub-attribute name, for complex attributes.
    pub sub_attr: Option<String>,
}

/// The longest attribute path we accept (a URN plus two names).
pub const MAX_PATH_LEN: usize = 512;

impl AttrPath {
    /// A path with only an attribute name.
    pub fn simple(attr: impl Into<String>) -> Self {
        AttrPath { urn: None, attr: attr.into(), sub_attr: None }
    }

    /// A path with an attribute and a sub-attribute.
    pub fn with_sub(attr: impl Into<String>, sub: impl Into<String>) -> Self {
        AttrPath { urn: None, attr: attr.into(), sub_attr: Some(sub.into()) }
    }

    /// Parses `[urn:…:]attr[.sub]`. Errors are `invalidPath`; the filter
    /// parser maps them to `invalidFilter` with its own position.
    pub fn parse(s: &str) -> Result<Self, ScimError> {
        if s.is_empty() {
            return Err(ScimError::invalid_path("empty attribute path"));
        }
        if s.len() > MAX_PATH_LEN {
            return Err(ScimError::invalid_path(format!("attribute path longer than {MAX_PATH_LEN} characters")));
        }
        let (urn, rest) = if s.len() > 4 && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            match s.rfind(':') {
                Some(i) if i + 1 < s.len() => (Some(s[..i].to_owned()), &s[i + 1..]),
                _ => return Err(ScimError::invalid_path(format!("\"{s}\" has a URN but no attribute name"))),
            }
        } else {
            (None, s)
        };
        let mut parts = rest.split('.');
        let attr = parts.next().unwrap_or_default();
        let sub_attr = parts.next();
        if parts.next().is_some() {
            return Err(ScimError::invalid_path(format!("\"{s}\" nests deeper than attribute.subAttribute")));
        }
        check_name(s, attr)?;
        if let Some(sub) = sub_attr {
            check_name(s, sub)?;
        }
        Ok(AttrPath { urn, attr: attr.to_owned(), sub_attr: sub_attr.map(str::to_owned) })
    }

    /// When the path has no sub-attribute, the URN and attribute joined back:
    /// a path such as `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
    /// parses as urn `…:2.0` + attr `User`, and may name a whole extension.
    pub fn as_schema_urn(&self) -> Option<String> {
        match (&self.urn, &self.sub_attr) {
            (Some(urn), None) => Some(format!("{urn}:{}", self.attr)),
            _ => None,
        }
    }

    /// True when `name` is a valid ATTRNAME (RFC 7643 §2.1: ALPHA *(nameChar),
    /// nameChar = "-" / "_" / DIGIT / ALPHA). `$ref` is allowed as the RFC's
    /// reference sub-attribute.
    pub fn is_valid_name(name: &str) -> bool {
        if name == "$ref" {
            return true;
        }
        let mut chars = name.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }
}

fn check_name(whole: &str, name: &str) -> Result<(), ScimError> {
    if AttrPath::is_valid_name(name) {
        Ok(())
    } else {
        Err(ScimError::invalid_path(format!("\"{whole}\" is not a valid attribute path (bad name \"{name}\")")))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_sub_and_urn_paths() {
        assert_eq!(AttrPath::parse("userName").unwrap(), AttrPath::simple("userName"));
        assert_eq!(AttrPath::parse("name.givenName").unwrap(), AttrPath::with_sub("name", "givenName"));
        let p = AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap();
        assert_eq!(p.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(p.attr, "manager");
        assert_eq!(p.sub_attr.as_deref(), Some("value"));
        let whole = AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
        assert_eq!(
            whole.as_schema_urn().as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(p.to_string(), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
    }

    #[test]
    fn rejects_bad_paths() {
        for bad in ["", "a.b.c", "1abc", "na me", "urn:", "name.", ".x", "urn:x:"] {
            let e = AttrPath::parse(bad).unwrap_err();
            assert_eq!(e.scim_type, Some(crate::ScimType::InvalidPath), "{bad}");
        }
        assert!(AttrPath::parse(&"a".repeat(600)).is_err());
        // Multi-byte characters around byte 4 must not panic the URN check.
        assert!(AttrPath::parse("é€xyz").is_err());
    }
}
