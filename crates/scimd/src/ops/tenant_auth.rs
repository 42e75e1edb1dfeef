//! A tenant's authentication settings (DESIGN §6, issue 11 item 8): the
//! mode (scimd tokens, JWTs of the tenant's issuer, or both), whom to
//! trust and what a JWT must carry; checked whole when changed, the HS256
//! secret sealed before it is stored; and the verifier a tenant's requests
//! use, built once per tenant load.

use std::sync::Arc;

use scim_core::ScimError;
use scim_store::{AuthMode, AuthSettings, Tenant};
use serde_json::Value;

use super::Ops;
use super::error::{OpError, OpResult};
use crate::auth::jwt::{TrustedKey, keys_of_jwks};
use crate::sealing::SecretText;

/// The least length of an HS256 secret (RFC 7518 §3.2: a key of at least
/// the hash's size).
pub const MIN_HS256_BYTES: usize = 32;

/// A change of the auth settings: `None` leaves a field, `Some(None)`
/// clears it. The HS256 secret is given in plain and sealed here.
#[derive(Debug, Default, Clone)]
pub struct AuthChange {
    pub mode: Option<AuthMode>,
    pub issuer: Option<Option<String>>,
    pub audience: Option<Option<String>>,
    pub jwks_url: Option<Option<String>>,
    pub jwks: Option<Option<Value>>,
    pub hs256_secret: Option<Option<SecretText>>,
    pub required_scope: Option<Option<String>>,
    pub required_group: Option<Option<String>>,
    pub group_claim: Option<Option<String>>,
}

impl AuthChange {
    pub fn is_empty(&self) -> bool {
        self.mode.is_none()
            && self.issuer.is_none()
            && self.audience.is_none()
            && self.jwks_url.is_none()
            && self.jwks.is_none()
            && self.hs256_secret.is_none()
            && self.required_scope.is_none()
            && self.required_group.is_none()
            && self.group_claim.is_none()
    }
}

/// How a tenant's JWTs are checked.
#[derive(Debug)]
pub struct TenantJwt {
    pub issuer: String,
    pub audience: String,
    /// Keys given inline (a JWKS) or the shared secret; empty with a URL.
    pub keys: Vec<TrustedKey>,
    pub jwks_url: Option<String>,
    pub required_scope: String,
    pub required_group: String,
    pub group_claim: String,
}

/// Who a validated JWT said the caller is.
#[derive(Debug, Clone, PartialEq)]
pub enum JwtCaller {
    /// A JWT of the tenant's issuer, by subject.
    Issuer(Option<String>),
    /// An access token of one of scimd's OAuth clients.
    Client(uuid::Uuid),
}

/// Whether an HS256 secret is long enough: [`MIN_HS256_BYTES`] characters
/// (so at least as many bytes).
pub fn long_enough(secret: &str) -> bool {
    secret.chars().count() >= MIN_HS256_BYTES
}

/// The refusal of a secret that is not [`long_enough`].
pub fn too_short() -> OpError {
    invalid(format!("an HS256 secret is at least {MIN_HS256_BYTES} characters"))
}

fn purpose(tenant: &Tenant) -> String {
    format!("hs256:{}", tenant.id)
}

fn set<T>(field: &mut Option<T>, change: Option<Option<T>>) {
    if let Some(v) = change {
        *field = v;
    }
}

impl Ops {
    /// Applies `change` to `settings` of `tenant`, sealing a new HS256
    /// secret, and checks the result whole (`400 invalidValue` saying what
    /// is missing or wrong).
    pub fn change_auth(&self, tenant: &Tenant, settings: &mut AuthSettings, change: AuthChange) -> OpResult<()> {
        if let Some(mode) = change.mode {
            settings.mode = mode;
        }
        set(&mut settings.issuer, change.issuer);
        set(&mut settings.audience, change.audience);
        set(&mut settings.jwks_url, change.jwks_url);
        set(&mut settings.jwks, change.jwks);
        set(&mut settings.required_scope, change.required_scope);
        set(&mut settings.required_group, change.required_group);
        set(&mut settings.group_claim, change.group_claim);
        match change.hs256_secret {
            None => {}
            Some(None) => settings.hs256_secret = None,
            Some(Some(SecretText(secret))) => {
                if !long_enough(&secret) {
                    return Err(too_short());
                }
                settings.hs256_secret = Some(self.sealing()?.seal(&purpose(tenant), secret.as_bytes()));
            }
        }
        check(settings, self.loopback_jwks).map_err(invalid)
    }

    /// The keys a tenant's issuer publishes at `url` (see `auth/jwks.rs`).
    /// Lets tenants' JWKS URLs be plain HTTP to this machine (tests,
    /// sidecars); off unless configured.
    pub fn with_loopback_jwks(mut self, allowed: bool) -> Self {
        self.loopback_jwks = allowed;
        self
    }

    pub async fn issuer_keys(&self, url: &str, unknown_kid: bool) -> Result<Arc<[TrustedKey]>, String> {
        self.jwks.keys(url, unknown_kid).await
    }

    /// A JWT validated within the last second for `tenant`, by the SHA-256
    /// of its text: a signature check costs tens of microseconds, an
    /// identity provider sends the same token for an hour. The second
    /// bounds staleness like the token cache's (a revoked client, changed
    /// settings); changes made here drop the entries at once.
    pub fn validated_jwt(&self, hash: &[u8; 32], tenant: uuid::Uuid) -> Option<JwtCaller> {
        let hit = self.validated_jwts.get(hash)?;
        (hit.0 == tenant).then(|| hit.1.clone())
    }

    /// Remembers a JWT just validated for `tenant` (see [`Self::validated_jwt`]).
    pub fn remember_jwt(&self, hash: [u8; 32], tenant: uuid::Uuid, caller: JwtCaller) {
        self.validated_jwts.insert(hash, Arc::new((tenant, caller)));
    }

    /// The JWT verifier of a tenant whose mode takes JWTs; `None` in token
    /// mode, or (logged) when its settings no longer load.
    pub(super) fn tenant_jwt(&self, tenant: &Tenant) -> Option<Arc<TenantJwt>> {
        let auth = &tenant.settings.auth;
        if auth.mode == AuthMode::Token {
            return None;
        }
        match self.build_jwt(tenant) {
            Ok(jwt) => Some(Arc::new(jwt)),
            Err(e) => {
                tracing::warn!(tenant = %tenant.slug, error = %e, "the tenant's JWT settings do not load: JWTs are refused");
                None
            }
        }
    }

    fn build_jwt(&self, tenant: &Tenant) -> Result<TenantJwt, String> {
        let auth = &tenant.settings.auth;
        check(auth, self.loopback_jwks)?;
        let mut keys = Vec::new();
        if let Some(jwks) = &auth.jwks {
            keys = keys_of_jwks(jwks).0;
        }
        if let Some(sealed) = &auth.hs256_secret {
            let sealing = self.sealing().map_err(|e| e.into_scim().detail)?;
            let secret = sealing.open(&purpose(tenant), sealed).map_err(|e| e.to_string())?;
            keys.push(TrustedKey::hs256(&secret));
        }
        Ok(TenantJwt {
            issuer: auth.issuer.clone().unwrap_or_default(),
            audience: auth.audience.clone().unwrap_or_default(),
            keys,
            jwks_url: auth.jwks_url.clone(),
            required_scope: auth.required_scope.clone().unwrap_or_else(|| "admin".into()),
            required_group: auth.required_group.clone().unwrap_or_else(|| "admins".into()),
            group_claim: auth.group_claim.clone().unwrap_or_else(|| "groups".into()),
        })
    }
}

fn invalid(detail: String) -> OpError {
    OpError::Refused(ScimError::invalid_value(detail))
}

/// Whether auth settings are whole: in a JWT mode an issuer, an audience
/// and exactly one source of keys; the JWKS URL HTTPS without credentials
/// (HTTP to this machine only where the server allows it:
/// `jwks_allow_loopback_http`, for tests and sidecars); inline keys usable.
pub fn check(auth: &AuthSettings, loopback_http: bool) -> Result<(), String> {
    if let Some(url) = &auth.jwks_url {
        check_jwks_url(url, loopback_http)?;
    }
    if let Some(jwks) = &auth.jwks {
        let (keys, skipped) = keys_of_jwks(jwks);
        if keys.is_empty() {
            return Err(format!("the inline jwks holds no usable signature key: {}", skipped.join("; ")));
        }
    }
    if let Some(claim) = &auth.group_claim
        && claim.is_empty()
    {
        return Err("group_claim cannot be empty".into());
    }
    if auth.mode == AuthMode::Token {
        return Ok(());
    }
    if auth.issuer.as_deref().is_none_or(str::is_empty) || auth.audience.as_deref().is_none_or(str::is_empty) {
        return Err("JWT mode needs an issuer and an audience".into());
    }
    let sources = [auth.jwks_url.is_some(), auth.jwks.is_some(), auth.hs256_secret.is_some()];
    if sources.iter().filter(|&&s| s).count() != 1 {
        return Err("JWT mode needs exactly one of jwks_url, jwks and hs256_secret".into());
    }
    Ok(())
}

fn check_jwks_url(url: &str, loopback_http: bool) -> Result<(), String> {
    let refused = || {
        let http = if loopback_http { " (http:// only to this machine)" } else { "" };
        format!("jwks_url must be an https:// URL{http}, without credentials: {url:?}")
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| refused())?;
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.host().is_none() {
        return Err(refused());
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback_http && loopback => Ok(()),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn jwt_mode() -> AuthSettings {
        AuthSettings {
            mode: AuthMode::Jwt,
            issuer: Some("https://idp.example.com".into()),
            audience: Some("scimd".into()),
            jwks_url: Some("https://idp.example.com/jwks".into()),
            ..AuthSettings::default()
        }
    }

    #[test]
    fn jwt_mode_needs_issuer_audience_and_one_key_source() {
        let check = |a: &AuthSettings| super::check(a, false);
        assert!(check(&AuthSettings::default()).is_ok());
        assert!(check(&jwt_mode()).is_ok());
        let no_issuer = AuthSettings { issuer: None, ..jwt_mode() };
        assert!(check(&no_issuer).unwrap_err().contains("issuer"));
        let two = AuthSettings { hs256_secret: Some("sealed".into()), ..jwt_mode() };
        assert!(check(&two).unwrap_err().contains("exactly one"));
        let none = AuthSettings { jwks_url: None, ..jwt_mode() };
        assert!(check(&none).unwrap_err().contains("exactly one"));
        let bad_inline = AuthSettings { jwks_url: None, jwks: Some(json!({"keys": [{"kty": "oct"}]})), ..jwt_mode() };
        assert!(check(&bad_inline).unwrap_err().contains("no usable"));
    }

    #[test]
    fn jwks_urls_are_https_or_loopback_where_allowed() {
        for ok in ["http://127.0.0.1:9000/jwks", "http://localhost/x", "http://[::1]:8/k"] {
            assert!(check_jwks_url(ok, true).is_ok(), "{ok}");
            assert!(check_jwks_url(ok, false).is_err(), "{ok} needs the server's permission");
        }
        assert!(check_jwks_url("https://idp.example.com/keys", false).is_ok());
        for bad in [
            "http://idp.example.com/keys",
            "ftp://x",
            "https://",
            "http://127.0.0.1.evil.com/",
            "file:///etc",
            "http://localhost:1@evil.example/jwks",
            "http://127.0.0.1:x@evil.example/jwks",
            "https://user:pw@idp.example.com/jwks",
        ] {
            assert!(check_jwks_url(bad, true).is_err(), "{bad}");
        }
    }
}
