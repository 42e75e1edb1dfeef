//! Authenticating requests (DESIGN §6, RFC 6750): a SCIM request's bearer
//! credential ([`scim`]): scimd tokens, tenants' JWTs ([`jwt`], keys from
//! [`jwks`]) and the access tokens of scimd's OAuth token endpoint
//! ([`token_endpoint`]).

pub mod jwks;
pub mod jwt;
pub mod scim;
pub mod token_endpoint;

/// The token of an `Authorization: Bearer <token>` header value (scheme
/// case-insensitive, RFC 6750 §2.1), or `None` when it is not one.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token("Bearer scimd_x"), Some("scimd_x"));
        assert_eq!(bearer_token("bearer   scimd_x "), Some("scimd_x"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
