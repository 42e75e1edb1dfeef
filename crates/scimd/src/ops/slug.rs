//! Tenant slugs: the `{tenant}` segment of the SCIM base URL
//! `/scim/v2/{tenant}` (DESIGN §6). Parse, don't validate: a [`Slug`] is
//! always lowercase `[a-z0-9-]`, 1 to 63 characters (a DNS label's length,
//! so a slug can also become a host name).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

pub const MAX_SLUG_LEN: usize = 63;

impl Slug {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_valid(s) {
            Ok(Slug(s.to_owned()))
        } else {
            Err(format!("invalid tenant slug {s:?}: use 1 to {MAX_SLUG_LEN} characters of lowercase a-z, 0-9 and '-'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is a well-formed slug (used on the request path, where an
/// invalid slug is just an unknown tenant).
pub fn is_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SLUG_LEN
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_digits_and_hyphens() {
        for ok in ["default", "acme-corp", "a", "0", "x-1-y", &"a".repeat(63)] {
            assert_eq!(Slug::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["", "Acme", "a_b", "a b", "a.b", "é", "a/b", &"a".repeat(64)] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
