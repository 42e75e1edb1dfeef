//! Read, compute, write — again if someone wrote in between. Replacing or
//! patching a resource and changing a tenant's settings read the current
//! version, compute the new one from it, and write it only if the version
//! is still the same (optimistic concurrency, the store's compare-and-set).
//! Without a precondition from the client a lost race is simply computed
//! again; with one (`If-Match`), the attempt itself answers 412.
//!
//! The loop is the caller's (`loop { retries.next()?; … }`): an async
//! closure here would make the request future lose `Send` (rustc's
//! higher-ranked lifetime limits).

use scim_core::ScimError;

use super::error::{OpError, OpResult};

/// Attempts before a request gives up with 409: far more than two writers
/// racing on one resource need.
const MAX_ATTEMPTS: usize = 5;

/// One attempt's outcome.
pub enum Attempt<T> {
    Done(T),
    /// The version read is no longer current: compute again.
    Stale,
}

/// Counts the attempts of one read-compute-write.
pub struct Retries {
    /// Names the thing for the error (`the User`, `the tenant's settings`).
    what: &'static str,
    made: usize,
}

impl Retries {
    pub fn new(what: &'static str) -> Self {
        Retries { what, made: 0 }
    }

    /// Allows one more attempt, or refuses with 409 once
    /// [`MAX_ATTEMPTS`] have been made.
    pub fn next(&mut self) -> OpResult<()> {
        if self.made == MAX_ATTEMPTS {
            return Err(OpError::Refused(ScimError::new(
                409,
                None,
                format!("{} was changed concurrently too often; retry the request", self.what),
            )));
        }
        self.made += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses() {
        let mut retries = Retries::new("the User");
        for _ in 0..MAX_ATTEMPTS {
            retries.next().unwrap();
        }
        let err = retries.next().unwrap_err().into_scim();
        assert_eq!(err.status, 409);
        assert!(err.detail.starts_with("the User was changed"), "{}", err.detail);
    }
}
