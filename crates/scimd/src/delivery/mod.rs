//! Delivery of events to the host application (issue 12, DESIGN §7):
//! webhooks per the Standard Webhooks specification and Security Event
//! Tokens per RFC 8417/8935, sent by one worker per process from the
//! outbox, with retries, per-resource order, dead letters and replays.
//!
//! - `signature.rs`: `whsec_` secrets and `webhook-signature` (pure)
//! - `backoff.rs`: the retry schedule and `Retry-After` (pure)
//! - `egress.rs`: which addresses a call may reach (SSRF), the HTTP client
//! - `set.rs`: the Security Event Tokens of an event (pure but signing)
//! - `send.rs`: one attempt over HTTP and what its answer means
//! - `worker.rs`: fan-out, claims under a lease, attempts, outcomes
//! - `ping.rs`: a test message on demand
//! - `ssf_metadata.rs`: `/.well-known/ssf-configuration`

pub mod backoff;
pub mod egress;
pub mod ping;
pub mod send;
pub mod set;
pub mod signature;
pub mod ssf_metadata;
pub mod worker;
