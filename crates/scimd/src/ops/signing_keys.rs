//! scimd's own signing keys (issue 11, RFC 9068, RFC 7517): Ed25519 keys
//! (JWS `EdDSA`) that sign the access tokens of the OAuth token endpoint.
//! The first is generated at the server's first start; rotation adds a new
//! one and retires the old, which stays published at
//! `/.well-known/jwks.json` until every token it signed has expired. The
//! private half is stored sealed (see `sealing.rs`); the `kid` is the
//! key's RFC 7638 thumbprint.
//!
//! The key ring (the key in use and every published key) is read at most
//! once a second, so that a rotation made by the CLI or another node is
//! taken up at once.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use scim_store::SigningKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::Ops;
use super::error::{OpError, OpResult};
use crate::auth::jwt::{LEEWAY_SECS, TrustedKey};

/// How long scimd's access tokens live.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// The keys as requests need them.
pub struct KeyRing {
    /// The key that signs: its kid and private key, or why the private key
    /// could not be opened (then no token is issued; verifying and
    /// publishing go on).
    pub current: Option<(String, Result<EncodingKey, String>)>,
    /// Every published key, for verifying.
    pub verifying: Vec<TrustedKey>,
    /// The JWKS document of the published keys.
    pub jwks: Value,
}

/// How long a retired key stays published: the life of the last token it
/// signed, and the leeway on `exp`.
fn publish_after_retirement() -> Duration {
    ACCESS_TOKEN_TTL + Duration::from_secs(LEEWAY_SECS)
}

fn purpose(kid: &str) -> String {
    format!("signing-key:{kid}")
}

impl Ops {
    /// Generates the first signing key when there is none (the server's
    /// first start); `true` when it did. When there is one, it must open
    /// with this server's secrets key: a server started with another key
    /// (a database restored without its key file) stops here, saying so,
    /// rather than fail every token request later.
    pub async fn ensure_signing_key(&self) -> OpResult<bool> {
        let keys = self.store.signing_keys().await?;
        if let Some(current) = keys.iter().find(|k| k.retired.is_none()) {
            self.encoding_key(current)?;
            return Ok(false);
        }
        self.rotate_signing_key().await?;
        Ok(true)
    }

    /// Makes a new signing key the one in use; the one before is retired
    /// (published until its tokens have expired). Keys retired long enough
    /// ago are dropped. Returns the new key's kid.
    pub async fn rotate_signing_key(&self) -> OpResult<String> {
        let sealing = self.sealing()?;
        let seed: [u8; 32] = rand::random();
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let x = URL_SAFE_NO_PAD.encode(public);
        // RFC 7638: the thumbprint of the required members, in this order.
        let thumbprint = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let key = SigningKey {
            kid: kid.clone(),
            alg: "EdDSA".into(),
            private_key: sealing.seal(&purpose(&kid), &seed),
            public_jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}),
            created: OffsetDateTime::now_utc(),
            retired: None,
        };
        self.store.add_signing_key(key).await?;
        let cutoff = OffsetDateTime::now_utc() - publish_after_retirement() - Duration::from_secs(86_400);
        self.store.drop_signing_keys(cutoff).await?;
        self.key_ring.invalidate(|_, _| true);
        tracing::info!(kid = %kid, "new signing key in use");
        Ok(kid)
    }

    /// Every signing key, newest first, with whether it is published.
    pub async fn list_signing_keys(&self) -> OpResult<Vec<(SigningKey, bool)>> {
        let now = OffsetDateTime::now_utc();
        let keys = self.store.signing_keys().await?;
        Ok(keys
            .into_iter()
            .map(|k| {
                let published = is_published(&k, now);
                (k, published)
            })
            .collect())
    }

    /// The key ring, read at most once a second.
    pub async fn key_ring(&self) -> OpResult<Arc<KeyRing>> {
        if let Some(ring) = self.key_ring.get(&()) {
            return Ok(ring);
        }
        let now = OffsetDateTime::now_utc();
        let keys = self.store.signing_keys().await?;
        let mut current = None;
        let mut verifying = Vec::new();
        let mut published = Vec::new();
        for k in keys.iter().filter(|k| is_published(k, now)) {
            let x = k.public_jwk.get("x").and_then(Value::as_str).unwrap_or_default();
            let Ok(decoding) = DecodingKey::from_ed_components(x) else {
                tracing::warn!(kid = %k.kid, "a stored signing key's public half does not load; left out");
                continue;
            };
            verifying.push(TrustedKey { kid: Some(k.kid.clone()), alg: Algorithm::EdDSA, key: decoding });
            published.push(k.public_jwk.clone());
            if k.retired.is_none() && current.is_none() {
                let key = self.encoding_key(k).map_err(|e| match e {
                    OpError::Internal(why) => why,
                    other => other.into_scim().detail,
                });
                current = Some((k.kid.clone(), key));
            }
        }
        let ring = Arc::new(KeyRing { current, verifying, jwks: json!({ "keys": published }) });
        self.key_ring.insert((), Arc::clone(&ring));
        Ok(ring)
    }

    fn encoding_key(&self, k: &SigningKey) -> OpResult<EncodingKey> {
        let seed = self.sealing()?.open(&purpose(&k.kid), &k.private_key).map_err(|e| {
            OpError::internal(format!(
                "signing key {}: {e}; restore the secrets key the database was used with, or run \
                     `scimd signing-key rotate` to sign with a new key",
                k.kid
            ))
        })?;
        let seed: [u8; 32] =
            seed.try_into().map_err(|_| OpError::internal(format!("signing key {} is not 32 bytes", k.kid)))?;
        let der = ed25519_dalek::SigningKey::from_bytes(&seed)
            .to_pkcs8_der()
            .map_err(|e| OpError::internal(format!("signing key {}: {e}", k.kid)))?;
        Ok(EncodingKey::from_ed_der(der.as_bytes()))
    }
}

fn is_published(k: &SigningKey, now: OffsetDateTime) -> bool {
    k.retired.is_none_or(|at| at + publish_after_retirement() > now)
}
