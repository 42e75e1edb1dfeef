//! Hashing of the `password` attribute (RFC 7643 §4.1.1: writeOnly,
//! returned never). The plain password only passes through here; the store
//! keeps the hash in its own column (DESIGN §3).
//!
//! The format is `sha256$<salt>$<digest>` (base64url, 16-byte random salt),
//! self-describing so a slower scheme can be added later without breaking
//! stored hashes. A fast hash is chosen deliberately: scimd does not verify
//! passwords (it is not an identity provider), and provisioning must stay
//! fast (thousands of POSTs per second).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> String {
    let salt: [u8; 16] = rand::random();
    let digest = digest(&salt, password);
    format!("sha256${}${}", URL_SAFE_NO_PAD.encode(salt), URL_SAFE_NO_PAD.encode(digest))
}

fn digest(salt: &[u8], password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(password.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_and_never_contain_the_password() {
        let a = hash_password("s3cret-Pa55");
        let b = hash_password("s3cret-Pa55");
        assert_ne!(a, b);
        assert!(!a.contains("s3cret"));
        let parts: Vec<&str> = a.split('$').collect();
        assert_eq!(parts[0], "sha256");
        let salt = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap(), digest(&salt, "s3cret-Pa55"));
    }
}
