//! Secrets scimd must read back — its own JWT signing keys, tenants' HS256
//! secrets, webhook secrets — are sealed before they are stored (DESIGN
//! §3, issue 11): AES-256-GCM under the server's secrets key, with a fresh
//! 96-bit random nonce per seal and the secret's purpose (say
//! `hs256:<tenant id>`) as associated data, so that a sealed value copied
//! to another row or tenant does not open. Tokens and client secrets are
//! not sealed but hashed: scimd never needs them back.
//!
//! A sealed value is text: `sealed:v1:<key id>:<base64url(nonce ‖
//! ciphertext ‖ tag)>`. The key id (the first 4 bytes of the key's SHA-256,
//! in hex) names the key it was sealed with, so that a server started with
//! the wrong key says so instead of "bad data". Pure: where the key comes
//! from is `secrets_key.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

const PREFIX: &str = "sealed:v1:";

/// A secret given as text (configuration, an admin request): never printed
/// by `Debug`, so no log line can show it by accident.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The server's secrets key.
pub struct SealingKey {
    key: LessSafeKey,
    id: String,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("SealingKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SealError {
    #[error("not a sealed value")]
    Malformed,
    #[error("sealed with another secrets key (key id {0}): start scimd with the key it was sealed with")]
    OtherKey(String),
    #[error("the sealed value was altered, or belongs elsewhere")]
    Tampered,
}

impl SealingKey {
    /// A key of 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> SealingKey {
        let id = hex::encode(&Sha256::digest(bytes)[..4]);
        // AES-256 takes any 32 bytes: this cannot fail.
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).unwrap_or_else(|_| unreachable!("a 32-byte AES key"));
        SealingKey { key: LessSafeKey::new(unbound), id }
    }

    /// A key written as unpadded base64url of 32 bytes (as
    /// [`Self::generate_text`] writes one); surrounding whitespace is
    /// ignored.
    pub fn parse(text: &str) -> Result<SealingKey, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| "the secrets key is not base64url (43 characters, no padding)".to_owned())?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| format!("the secrets key is {} bytes, not 32", b.len()))?;
        Ok(SealingKey::from_bytes(&bytes))
    }

    /// A new random key, as text for [`Self::parse`].
    pub fn generate_text() -> String {
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    }

    /// The key's id: shown in logs, never the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `secret` for `purpose`.
    pub fn seal(&self, purpose: &str, secret: &[u8]) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut buf = secret.to_vec();
        let sealed = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(purpose.as_bytes()),
            &mut buf,
        );
        // Sealing fails only past AES-GCM's 64 GiB message limit.
        if sealed.is_err() {
            unreachable!("a secret of {} bytes exceeds AES-GCM's limit", secret.len());
        }
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        format!("{PREFIX}{}:{}", self.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`Self::seal`] sealed for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
        let (id, body) = rest.split_once(':').ok_or(SealError::Malformed)?;
        if id != self.id {
            return Err(SealError::OtherKey(id.chars().take(16).collect()));
        }
        let mut bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SealError::Malformed);
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| SealError::Malformed)?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut ciphertext)
            .map_err(|_| SealError::Tampered)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_purpose() {
        let key = SealingKey::parse(&SealingKey::generate_text()).unwrap();
        let sealed = key.seal("hs256:t1", b"the secret");
        assert!(sealed.starts_with(&format!("sealed:v1:{}:", key.id())), "{sealed}");
        assert!(!sealed.contains("the secret"));
        assert_eq!(key.open("hs256:t1", &sealed).unwrap(), b"the secret");
        // Fresh nonce each time.
        assert_ne!(key.seal("hs256:t1", b"the secret"), sealed);
        // Another purpose (row, tenant) does not open it.
        assert_eq!(key.open("hs256:t2", &sealed), Err(SealError::Tampered));
        // Another key says so by its id.
        let other = SealingKey::from_bytes(&[7; 32]);
        assert!(matches!(other.open("hs256:t1", &sealed), Err(SealError::OtherKey(id)) if id == key.id()));
        // A flipped bit is caught.
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(body).unwrap();
        raw[NONCE_LEN] ^= 1;
        let altered = format!("{head}:{}", URL_SAFE_NO_PAD.encode(raw));
        assert_eq!(key.open("hs256:t1", &altered), Err(SealError::Tampered));
        for junk in ["", "plain", "sealed:v1:", &format!("sealed:v1:{}:AAAA", key.id())] {
            assert_eq!(key.open("hs256:t1", junk), Err(SealError::Malformed), "{junk}");
        }
    }

    #[test]
    fn keys_parse_from_base64url_of_32_bytes_only() {
        assert!(SealingKey::parse(" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n").is_ok());
        assert!(SealingKey::parse("AAAA").unwrap_err().contains("3 bytes"));
        assert!(SealingKey::parse("not base64!").unwrap_err().contains("base64url"));
        assert!(!format!("{:?}", SealingKey::from_bytes(&[1; 32])).contains("[1"));
    }
}
