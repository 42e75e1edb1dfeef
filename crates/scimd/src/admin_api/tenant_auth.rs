//! The `auth` object of a tenant's settings in the admin API (issue 11
//! item 8): how the tenant's SCIM callers authenticate. Shown without the
//! HS256 secret (only whether one is set); changed field by field (merge
//! patch: `null` clears a field).

use scim_store::{AuthMode, AuthSettings};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::ops::tenant_auth::AuthChange;
use crate::sealing::SecretText;

/// How a tenant's SCIM callers authenticate.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthView {
    /// `token` (scimd tokens), `jwt` (the issuer's JWTs) or `both`.
    #[schema(value_type = String, pattern = "^(token|jwt|both)$")]
    pub mode: AuthMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// The issuer's keys given inline (public keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// Whether an HS256 secret is set (it is never shown).
    pub hs256_secret_set: bool,
    /// The scope a token must carry (empty: none).
    pub required_scope: String,
    /// The group a JWT must name (empty: none).
    pub required_group: String,
    /// The claim holding a JWT's groups.
    pub group_claim: String,
}

impl AuthView {
    pub fn of(a: &AuthSettings) -> AuthView {
        AuthView {
            mode: a.mode,
            issuer: a.issuer.clone(),
            audience: a.audience.clone(),
            jwks_url: a.jwks_url.clone(),
            jwks: a.jwks.clone(),
            hs256_secret_set: a.hs256_secret.is_some(),
            required_scope: a.required_scope.clone().unwrap_or_else(|| "admin".into()),
            required_group: a.required_group.clone().unwrap_or_else(|| "admins".into()),
            group_claim: a.group_claim.clone().unwrap_or_else(|| "groups".into()),
        }
    }
}

/// A change of the `auth` settings: fields left out stay, `null` clears.
/// In `jwt` or `both` mode the result needs `issuer`, `audience` and
/// exactly one of `jwks_url`, `jwks` and `hs256_secret`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthChangeBody {
    #[schema(value_type = Option<String>, pattern = "^(token|jwt|both)$")]
    pub mode: Option<AuthMode>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub issuer: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub audience: Option<Option<String>>,
    /// HTTPS (HTTP only to this machine).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub jwks_url: Option<Option<String>>,
    /// A JWKS document (`{"keys": [...]}`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Option<Value>>,
    /// At least 32 bytes; stored sealed, never shown again.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 32)]
    pub hs256_secret: Option<Option<SecretText>>,
    /// Empty: no scope required; `null`: the default, `admin`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub required_scope: Option<Option<String>>,
    /// Empty: no group required; `null`: the default, `admins`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub required_group: Option<Option<String>>,
    /// `null`: the default, `groups`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub group_claim: Option<Option<String>>,
}

impl From<AuthChangeBody> for AuthChange {
    fn from(b: AuthChangeBody) -> AuthChange {
        AuthChange {
            mode: b.mode,
            issuer: b.issuer,
            audience: b.audience,
            jwks_url: b.jwks_url,
            jwks: b.jwks,
            hs256_secret: b.hs256_secret,
            required_scope: b.required_scope,
            required_group: b.required_group,
            group_claim: b.group_claim,
        }
    }
}

/// A field that may be absent (outer `None`), `null` (`Some(None)`) or a value.
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
