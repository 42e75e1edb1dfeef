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

use super::error::{OpError, OpResult};

/// The PHC-format Argon2id hash of `password`, computed on the blocking pool.
pub async fn hash_password(password: String) -> OpResult<String> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| OpError::internal(format!("password hashing task failed: {e}")))?
}

/// Hashes the password of one request once, however many times its write
/// is recomputed after a concurrent change (Argon2id costs ~19 MiB and tens
/// of milliseconds; a retry must not pay it again). A recomputed write that
/// sets another password (it cannot, today: the password comes from the
/// request alone) would be hashed anew.
#[derive(Default)]
pub struct PasswordOnce {
    done: Option<(String, String)>,
}

impl PasswordOnce {
    /// The hash of `password`, if any.
    pub async fn hash(&mut self, password: Option<String>) -> OpResult<Option<String>> {
        let Some(password) = password else { return Ok(None) };
        if let Some((plain, hash)) = &self.done
            && *plain == password
        {
            return Ok(Some(hash.clone()));
        }
        let hash = hash_password(password.clone()).await?;
        self.done = Some((password, hash.clone()));
        Ok(Some(hash))
    }
}

fn hash_now(password: &str) -> OpResult<String> {
    let bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&bytes).map_err(|e| OpError::internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| OpError::internal(format!("password hashing failed: {e}")))
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
    }

    #[tokio::test]
    async fn a_request_s_password_is_hashed_once_across_retries() {
        let mut once = PasswordOnce::default();
        assert_eq!(once.hash(None).await.unwrap(), None);
        let first = once.hash(Some("pw-1".into())).await.unwrap().unwrap();
        let again = once.hash(Some("pw-1".into())).await.unwrap().unwrap();
        assert_eq!(first, again, "the same hash, not a new salt");
        let other = once.hash(Some("pw-2".into())).await.unwrap().unwrap();
        assert_ne!(other, first);
        let parsed = PasswordHash::new(&other).unwrap();
        assert!(Argon2::default().verify_password(b"pw-2", &parsed).is_ok());
    }
}
