//! Storage for scimd: the [`Store`] trait the server talks to, the rules
//! every backend shares, and the backends (SQLite, embedded default;
//! PostgreSQL, for several nodes).
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

pub mod activity;
pub mod audit;
mod audit_query;
mod clock;
pub mod copy;
mod credential_tables;
mod derive;
pub mod domains;
mod error;
pub mod events;
mod list;
mod list_sql;
mod members;
mod model;
pub mod postgres;
pub mod pushdown;
pub mod sqlite;
mod store;
pub mod webhooks;
mod writes;

use std::sync::Arc;

pub use audit_query::{AuditOutcome, AuditPlace, AuditQuery};
pub use copy::Copyable;
pub use domains::{Domain, DomainChange, DomainCheck, NewDomain, VerifiedBy};
pub use error::StoreError;
pub use events::EventType;
pub use model::*;
pub use store::Store;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a store serves requests, beyond where its data is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreOptions {
    /// Resources one list may examine with the evaluator (filters SQL
    /// cannot answer): past it the list is refused with `400 tooMany`. The
    /// default is ten full passes over a tenant of 100,000.
    pub scan_budget: u64,
    /// Whether opening creates a database that does not exist yet. The
    /// server does (its first start makes one); the administration commands
    /// do not, so that a mistyped path is an error rather than a new, empty
    /// database.
    pub create: bool,
    /// Connections a PostgreSQL store keeps at most (per node); SQLite's
    /// readers and writer are sized by the CPUs instead.
    pub pool_size: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { scan_budget: 1_000_000, create: true, pool_size: 16 }
    }
}

/// Opens the store named by `url` with the default options.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, StoreOptions::default()).await
}

/// Opens the store named by `url`: `sqlite://path` (created if missing and
/// `options.create`) or `postgres://user@host/db?sslmode=…`. Applies
/// migrations.
/// The file of a `sqlite:` database URL; `None` for other backends (and
/// for URLs that name no file).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    sqlite::connection::path_of(url).ok()
}

/// Copies the SQLite database at `url` into the new file `to` while the
/// server runs (one consistent snapshot); the copy's size in bytes. Only
/// for SQLite: a PostgreSQL database is backed up with its own tools.
pub fn backup_sqlite(url: &str, to: &std::path::Path) -> Result<u64> {
    sqlite::copy::backup(url, to)
}

pub async fn open_with(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        sqlite::open(url, options).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        postgres::open(url, options).await
    } else if !url.contains("://") {
        // A bare path: the likeliest meaning is a SQLite file.
        Err(StoreError::Config(format!("{url:?} is not a database URL; for a SQLite file write sqlite://{url}")))
    } else {
        Err(StoreError::Config(format!("unsupported database URL scheme in {:?}", url.split(':').next().unwrap_or(""))))
    }
}

/// Opens the store at `url` for copying (migrating it, creating it when
/// `options.create`), like [`crate::open_with`].
pub async fn open_copyable(url: &str, options: StoreOptions) -> Result<Box<dyn Copyable>> {
    if url.starts_with("sqlite:") {
        Ok(Box::new(crate::sqlite::copy::open(url, options).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Box::new(crate::postgres::PgStore::open(url, options).await?))
    } else {
        // Not a URL either backend takes: `open_with` says why.
        match crate::open_with(url, options).await {
            Err(e) => Err(e),
            Ok(_) => Err(StoreError::Config(format!("{url:?} cannot be copied"))),
        }
    }
}
