//! Storage for scimd: the [`Store`] trait the server talks to, the rules
//! every backend shares, and the backends (SQLite, embedded default;
//! PostgreSQL later).
//!
//! Backend-neutral modules hold the rules, so that a backend only speaks
//! its SQL: `writes` (what each write checks and records), [`events`]
//! (which event a change emits), [`audit`] (the audit entry of a change),
//! `derive` (the indexed columns of a document),
//! `members` (membership deltas and member parsing), [`pushdown`] (the
//! filter-to-SQL algebra, with a small [`pushdown::Dialect`] per backend)
//! and `list` (the list plan and the in-memory fallback). A backend folder
//! (`sqlite/`) holds connections, transactions, migrations and statements.
//!
//! The store speaks SCIM documents (`serde_json::Value` as normalised by
//! `scim_core::resource::prepare`) and derives its indexed columns itself,
//! so callers cannot get them out of step.
#![forbid(unsafe_code)]

pub mod audit;
mod clock;
mod derive;
mod error;
pub mod events;
mod list;
mod members;
mod model;
pub mod pushdown;
pub mod sqlite;
mod store;
mod writes;

use std::sync::Arc;

pub use error::StoreError;
pub use events::EventType;
pub use model::*;
pub use store::Store;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Opens the store named by `url`: `sqlite://path` (created if missing).
/// Applies migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        sqlite::open(url).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err(StoreError::Config("the PostgreSQL backend is not available in this build yet; use sqlite://".into()))
    } else {
        Err(StoreError::Config(format!("unsupported database URL scheme in {:?}", url.split(':').next().unwrap_or(""))))
    }
}
