//! Sessions of the web admin (issue 14): what the session cookie carries,
//! sealed with the server's secrets key (see `sealing.rs`), so that any
//! node opens it and nothing is stored per session.
//!
//! The cookie carries the admin token the operator logged in with, and
//! every request authenticates that token again: revoking or expiring the
//! token ends its sessions on every node within a second, and the session
//! never has more scopes than the token. It also carries when it ends and
//! the session's CSRF token, which every form sends back. Logging out
//! clears the cookie in the browser; a copy of the cookie taken before
//! stays valid until it ends (at most [`SESSION_TTL`]) or the token is
//! revoked.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{OpResult, Ops};
use crate::sealing::SealingKey;

/// How long a session lasts after logging in.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// What a sealed session cookie holds.
#[derive(Serialize, Deserialize)]
pub struct UiSession {
    /// The admin token's secret.
    #[serde(rename = "t")]
    pub secret: String,
    /// When the session ends (Unix seconds).
    #[serde(rename = "e")]
    pub expires: i64,
    /// The session's CSRF token (random, base64url).
    #[serde(rename = "c")]
    pub csrf: String,
}

impl std::fmt::Debug for UiSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret nor the CSRF token.
        f.debug_struct("UiSession").field("expires", &self.expires).finish_non_exhaustive()
    }
}

/// The sealing purposes of session cookies: a sealed value made for
/// another purpose (a webhook secret, an operator's session for a setup
/// link's) does not open as this one.
const PURPOSE: &str = "ui-session:v1";
const SETUP_PURPOSE: &str = "setup-session:v1";

/// A fresh random token of 256 bits, base64url.
pub fn random_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl UiSession {
    /// A session for the admin token `secret`, from `now`.
    pub fn new(secret: String, now: OffsetDateTime) -> UiSession {
        let ttl = i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX);
        UiSession { secret, expires: now.unix_timestamp().saturating_add(ttl), csrf: random_token() }
    }

    /// Whether the session has ended at `now`.
    pub fn ended(&self, now: OffsetDateTime) -> bool {
        now.unix_timestamp() >= self.expires
    }
}

/// The session sealed with `key` for `purpose`, as a cookie value.
fn seal_as(key: &SealingKey, purpose: &str, session: &UiSession) -> String {
    // A struct of strings and an integer: serializing cannot fail.
    let json = serde_json::to_vec(session).unwrap_or_default();
    key.seal(purpose, &json)
}

/// The session a cookie value holds, unless it is altered, sealed with
/// another key or for another purpose, or ended at `now`.
fn open_as(key: &SealingKey, purpose: &str, sealed: &str, now: OffsetDateTime) -> Option<UiSession> {
    let bytes = key.open(purpose, sealed).ok()?;
    let session: UiSession = serde_json::from_slice(&bytes).ok()?;
    (!session.ended(now)).then_some(session)
}

/// An operator's session ([`seal_as`]).
pub fn seal(key: &SealingKey, session: &UiSession) -> String {
    seal_as(key, PURPOSE, session)
}

/// An operator's session ([`open_as`]).
pub fn open(key: &SealingKey, sealed: &str, now: OffsetDateTime) -> Option<UiSession> {
    open_as(key, PURPOSE, sealed, now)
}

impl Ops {
    /// The session as a cookie value (503 without a secrets key).
    pub fn seal_ui_session(&self, session: &UiSession) -> OpResult<String> {
        Ok(seal(self.sealing()?, session))
    }

    /// The session a cookie value holds ([`open`]).
    pub fn open_ui_session(&self, sealed: &str, now: OffsetDateTime) -> Option<UiSession> {
        open(self.sealing().ok()?, sealed, now)
    }

    /// A setup link's session (its `secret` is the link's) as a cookie value.
    pub fn seal_setup_session(&self, session: &UiSession) -> OpResult<String> {
        Ok(seal_as(self.sealing()?, SETUP_PURPOSE, session))
    }

    /// The setup link's session a cookie value holds.
    pub fn open_setup_session(&self, sealed: &str, now: OffsetDateTime) -> Option<UiSession> {
        open_as(self.sealing().ok()?, SETUP_PURPOSE, sealed, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_opens_until_it_ends_and_never_altered() {
        let key = SealingKey::from_bytes(&[7; 32]);
        let now = OffsetDateTime::now_utc();
        let s = UiSession::new("scimd_admin_secret".into(), now);
        let sealed = seal(&key, &s);
        assert!(!sealed.contains("scimd_admin_secret"), "the secret is sealed");
        let back = open(&key, &sealed, now).expect("opens");
        assert_eq!((back.secret.as_str(), back.csrf.as_str()), ("scimd_admin_secret", s.csrf.as_str()));
        assert!(open(&key, &sealed, now + SESSION_TTL).is_none(), "ended");
        let mut altered = sealed.clone();
        altered.push('A');
        assert!(open(&key, &altered, now).is_none(), "altered");
        assert!(open(&SealingKey::from_bytes(&[8; 32]), &sealed, now).is_none(), "another key");
        assert!(open_as(&key, SETUP_PURPOSE, &sealed, now).is_none(), "an operator's session is no setup session");
        assert!(!format!("{back:?}").contains("scimd_admin_secret"), "Debug hides the secret");
    }
}
