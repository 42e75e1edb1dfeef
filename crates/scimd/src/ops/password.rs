//! Hashing of the `password` attribute (RFC 7643 §4.1.1: writeOnly,
//! returned never). The plain password only passes through here; the store
//! keeps the hash in its own column (DESIGN §3), never in the document, the
//! audit log, events or logs.
//!
//! Argon2id in the PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! so a host application can verify a password with any Argon2 library. The
//! hash is memory-hard on purpose (a leaked database must not give passwords
//! away cheaply: ~19 MiB and tens of milliseconds each), so it runs on the
//! blocking pool, off the request workers, and only as many at once as
//! there are CPUs: 128 concurrent POSTs with passwords once took the process
//! from 103 MB to 1 GB (and the allocator kept it), each hash slower for
//! the crowd.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use tokio::sync::Semaphore;

use super::error::{OpError, OpResult};

/// Hashes computed at once, process-wide: one per CPU (at least one).
fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from)))
}

/// The PHC-format Argon2id hash of `password`, computed on the blocking pool
/// once one of the hashing slots is free (a waiting request holds no
/// thread).
pub async fn hash_password(password: String) -> OpResult<String> {
    let permit = slots().acquire().await.map_err(|_| OpError::internal("password hashing is shut down"))?;
    #[cfg(test)]
    let _running = tests::Running::start();
    let hashed = tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| OpError::internal(format!("password hashing task failed: {e}")))?;
    drop(permit);
    hashed
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

    use std::sync::atomic::{AtomicUsize, Ordering};

    static RUNNING: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    /// Counts the hashes running at once (tests only).
    pub(super) struct Running;

    impl Running {
        pub(super) fn start() -> Running {
            let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
            PEAK.fetch_max(now, Ordering::SeqCst);
            Running
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashes_run_at_most_one_per_cpu_at_once() {
        let tasks: Vec<_> = (0..16).map(|i| tokio::spawn(hash_password(format!("pw-{i}")))).collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap().starts_with("$argon2id$"));
        }
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let peak = PEAK.load(Ordering::SeqCst);
        assert!((1..=cpus).contains(&peak), "{peak} hashes ran at once on {cpus} CPUs");
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
