//! The domain rule of a tenant that enforces verified domains (DESIGN §6;
//! issue 11 item 5), without I/O: which addresses of a User a write brings
//! in (an email-shaped `userName`, `emails[].value`), and whether each is
//! in a verified domain. Only what a write adds or changes is checked:
//! values the User had before are never a reason to refuse, so a
//! deactivation or a change of another attribute always goes through.

use std::collections::HashSet;

use scim_core::ScimError;
use serde_json::Value;

use super::domain_names::covers;

/// The verified domains of a tenant: each with whether it covers its
/// subdomains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifiedDomains {
    pub domains: Vec<(String, bool)>,
}

impl VerifiedDomains {
    /// Whether `domain` (normalised) is one of them, or under one that
    /// includes its subdomains.
    pub fn cover(&self, domain: &str) -> bool {
        self.domains.iter().any(|(verified, subdomains)| covers(verified, *subdomains, domain))
    }
}

/// An address a User holds, and which attribute holds it.
#[derive(Debug, Clone, PartialEq)]
struct Address<'a> {
    attribute: &'static str,
    value: &'a str,
}

/// The domain of an email-shaped value (`local@domain`, a non-empty part on
/// each side of the last `@`), lower-cased, without a trailing dot.
pub fn domain_of(value: &str) -> Option<String> {
    let (local, domain) = value.trim().rsplit_once('@')?;
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if local.is_empty() || domain.is_empty() || domain.contains(char::is_whitespace) {
        return None;
    }
    Some(domain.to_lowercase())
}

/// The addresses of a User document: its userName when email-shaped, and
/// every email value.
fn addresses(doc: &Value) -> Vec<Address<'_>> {
    let mut out = Vec::new();
    if let Some(user_name) = doc.get("userName").and_then(Value::as_str) {
        out.push(Address { attribute: "userName", value: user_name });
    }
    let emails: &[Value] = match doc.get("emails") {
        Some(Value::Array(items)) => items,
        Some(other) => std::slice::from_ref(other),
        None => &[],
    };
    for email in emails {
        if let Some(value) = email.get("value").and_then(Value::as_str) {
            out.push(Address { attribute: "emails", value });
        }
    }
    out
}

/// Checks the addresses `after` has that `before` (the User as it was; none
/// for a create) did not, compared case-insensitively: each with a domain
/// must be in `verified`. `400 invalidValue` naming the first domain that
/// is not. Values that are not email-shaped name no domain and are left
/// alone (a userName like `jdoe`).
pub fn check(verified: &VerifiedDomains, before: Option<&Value>, after: &Value) -> Result<(), ScimError> {
    let had: HashSet<String> =
        before.map(|b| addresses(b).iter().map(|a| a.value.trim().to_lowercase()).collect()).unwrap_or_default();
    for address in addresses(after) {
        if had.contains(&address.value.trim().to_lowercase()) {
            continue;
        }
        let Some(domain) = domain_of(address.value) else { continue };
        if !verified.cover(&domain) {
            return Err(ScimError::invalid_value(format!(
                "the {} domain {:?} is not one of this tenant's verified domains; \
                 verify it first (the tenant enforces verified domains)",
                address.attribute,
                super::audit::bounded(&domain, 253)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn verified() -> VerifiedDomains {
        VerifiedDomains { domains: vec![("example.com".into(), false), ("corp.example.org".into(), true)] }
    }

    #[test]
    fn domains_of_addresses() {
        assert_eq!(domain_of("a@Example.COM").as_deref(), Some("example.com"));
        assert_eq!(domain_of("\"a@b\"@example.com.").as_deref(), Some("example.com"));
        assert_eq!(domain_of("jdoe"), None);
        assert_eq!(domain_of("@example.com"), None);
        assert_eq!(domain_of("a@"), None);
    }

    #[test]
    fn new_addresses_must_be_in_verified_domains() {
        let v = verified();
        assert!(check(&v, None, &json!({"userName": "a@EXAMPLE.com"})).is_ok());
        assert!(check(&v, None, &json!({"userName": "jdoe", "emails": [{"value": "j@eu.corp.example.org"}]})).is_ok());
        let e = check(&v, None, &json!({"userName": "a@eu.example.com"})).unwrap_err();
        assert_eq!((e.status, e.scim_type), (400, Some(scim_core::ScimType::InvalidValue)));
        assert!(e.detail.contains("userName domain \"eu.example.com\""), "{}", e.detail);
        let e = check(&v, None, &json!({"userName": "jdoe", "emails": [{"value": "j@gmail.com"}]})).unwrap_err();
        assert!(e.detail.contains("emails domain \"gmail.com\""), "{}", e.detail);
        // A non-address names no domain.
        assert!(check(&v, None, &json!({"userName": "jdoe", "emails": [{"type": "work"}]})).is_ok());
        assert!(check(&VerifiedDomains::default(), None, &json!({"userName": "jdoe"})).is_ok());
    }

    #[test]
    fn values_already_there_are_never_a_reason_to_refuse() {
        let v = verified();
        let before =
            json!({"userName": "old@legacy.net", "emails": [{"value": "Old@Legacy.net"}, {"value": "x@y.io"}]});
        // Deactivation, another attribute, values moved or re-cased: fine.
        let after = json!({"userName": "OLD@legacy.net", "active": false, "emails": [{"value": "x@y.io"}]});
        assert!(check(&v, Some(&before), &after).is_ok());
        // A changed userName is checked.
        let after = json!({"userName": "new@legacy.net", "emails": [{"value": "x@y.io"}]});
        assert!(check(&v, Some(&before), &after).unwrap_err().detail.contains("legacy.net"));
        // An added email is checked; one in a verified domain passes.
        let added = json!({"userName": "old@legacy.net", "emails": [{"value": "x@y.io"}, {"value": "z@other.io"}]});
        assert!(check(&v, Some(&before), &added).unwrap_err().detail.contains("other.io"));
        let added = json!({"userName": "old@legacy.net", "emails": [{"value": "z@example.com"}]});
        assert!(check(&v, Some(&before), &added).is_ok());
    }
}
