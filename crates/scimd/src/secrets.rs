//! Bearer secrets (DESIGN §6, RFC 6750): generation, hashing and the
//! constant-time comparison. A secret is `scimd_` + base64url (no padding)
//! of 32 random bytes; only its SHA-256 and a short visible prefix are ever
//! stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every secret starts with this, so leaked tokens are easy to recognise
/// (secret scanners) and easy to tell from other credentials.
pub const TOKEN_PREFIX: &str = "scimd_";
/// How many characters of the secret are kept visible: the `scimd_` marker
/// plus 6 random characters (36 bits), enough to tell tokens apart in a
/// list, far too few to guess the rest.
const VISIBLE_LEN: usize = TOKEN_PREFIX.len() + 6;

/// A freshly generated secret with what the store keeps of it.
pub struct GeneratedToken {
    /// The secret, shown once to the operator and never stored.
    pub secret: String,
    pub prefix: String,
    pub hash: [u8; 32],
}

/// Generates a new secret from 256 bits of OS randomness.
pub fn generate() -> GeneratedToken {
    let bytes: [u8; 32] = rand::random();
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let prefix = visible_prefix(&secret).to_owned();
    let hash = hash(&secret);
    GeneratedToken { secret, prefix, hash }
}

/// SHA-256 of the secret, the key tokens are looked up by.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The visible start of a secret.
pub fn visible_prefix(secret: &str) -> &str {
    secret.get(..VISIBLE_LEN).unwrap_or(secret)
}

/// Compares two hashes in constant time, so that response timing says
/// nothing about how much of a guessed token was right.
pub fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let t = generate();
        assert!(t.secret.starts_with("scimd_"));
        let body = &t.secret[6..];
        assert_eq!(body.len(), 43, "32 bytes in unpadded base64 are 43 characters");
        assert!(body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
        assert_eq!(t.prefix, &t.secret[..12]);
        assert_eq!(t.hash, hash(&t.secret));
        assert_ne!(generate().secret, t.secret);
    }

    #[test]
    fn hash_is_sha256_and_comparison_works() {
        let h = hash("abc");
        assert_eq!(hex::encode(h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(hashes_equal(&h, &hash("abc")));
        assert!(!hashes_equal(&h, &hash("abd")));
    }
}
