//! Verified domains (DESIGN §6; issue 11 item 5) as the store keeps them:
//! a tenant's claim on a DNS domain, the TXT value that proves control,
//! and the state of its verification. What a domain may be, who may claim
//! it and what it allows are the server's rules; the store only keeps the
//! rows.

use time::OffsetDateTime;
use uuid::Uuid;

/// How a domain was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedBy {
    /// The TXT record was found with the expected value.
    Dns,
    /// An operator checked by other means.
    Manual,
}

impl VerifiedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifiedBy::Dns => "dns",
            VerifiedBy::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<VerifiedBy> {
        match s {
            "dns" => Some(VerifiedBy::Dns),
            "manual" => Some(VerifiedBy::Manual),
            _ => None,
        }
    }
}

/// A domain a tenant claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub tenant: Uuid,
    /// Normalised: lower case, no trailing dot.
    pub domain: String,
    /// Whether the domain, once verified, covers its subdomains too.
    pub include_subdomains: bool,
    /// The value the TXT record must hold.
    pub txt_value: String,
    pub created: OffsetDateTime,
    /// When it was verified (`None`: pending).
    pub verified_at: Option<OffsetDateTime>,
    pub verified_by: Option<VerifiedBy>,
    /// The last verification attempt and its outcome, in plain words.
    pub last_checked: Option<OffsetDateTime>,
    pub last_result: Option<String>,
}

impl Domain {
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }
}

/// A domain to claim.
#[derive(Debug, Clone)]
pub struct NewDomain {
    pub tenant: Uuid,
    pub domain: String,
    pub include_subdomains: bool,
    pub txt_value: String,
}

/// A change of a claimed domain; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct DomainChange {
    pub include_subdomains: Option<bool>,
    /// A verification attempt: recorded as the last check, and, when it
    /// verified the domain, as its verification (an already verified
    /// domain keeps its first verification).
    pub check: Option<DomainCheck>,
}

/// One verification attempt.
#[derive(Debug, Clone)]
pub struct DomainCheck {
    pub at: OffsetDateTime,
    /// The outcome in plain words.
    pub result: String,
    /// Set when the attempt verified the domain.
    pub verified: Option<VerifiedBy>,
}
