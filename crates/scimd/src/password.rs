//! Hashing of the `password` attribute (RFC 7643 §4.1.1: writeOnly,
//! returned never). The plain password only passes through here; the store
//! keeps the hash in its own column (DESIGN §3), never in the document, the
//! audit log, events or logs.
//!
//! Argon2id in the PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! so a host application can verify a password with any Argon2 library. The
//! hash is memory-hard on purpose (a leaked database must not give passwords
//! away cheaply), so it runs on the blocking pool, off the request workers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};

use crate::error::ApiError;

/// The PHC-format Argon2id hash of `password`, computed on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| ApiError::internal(format!("password hashing task failed: {e}")))?
}

/// `hash_password` for an optional password.
pub async fn hash_optional(password: Option<String>) -> Result<Option<String>, ApiError> {
    match password {
        Some(p) => Ok(Some(hash_password(p).await?)),
        None => Ok(None),
    }
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&bytes).map_err(|e| ApiError::internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_verifiable_and_never_contain_the_password() {
        let a = hash_password("s3cret-Pa55".into()).await.unwrap();
        let b = hash_password("s3cret-Pa55".into()).await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert!(!a.contains("s3cret"));
        let parsed = PasswordHash::new(&a).unwrap();
        assert!(Argon2::default().verify_password(b"s3cret-Pa55", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
        assert_eq!(hash_optional(None).await.unwrap(), None);
    }
}
