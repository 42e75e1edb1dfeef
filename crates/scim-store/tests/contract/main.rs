//! The backend contract (DESIGN §10, §11): one story of store behaviour,
//! written once against `Arc<dyn Store>`, run against every backend. A new
//! `Store` method gets its test here; what only one backend has (SQLite's
//! files, locks and migrations) is tested beside it (`tests/sqlite/`).
//!
//! Each module writes its stories as functions of a [`Backend`] and lists
//! them in a [`contract!`] at its end, which makes one test per story and
//! backend (`crud::sqlite::versions_are_checked_on_update_and_delete`).
//! The backends: SQLite, on a temporary file; PostgreSQL, on a fresh
//! schema of the database `SCIMD_TEST_POSTGRES_URL` names (default: the
//! local server, `postgres://postgres@127.0.0.1:5432/postgres`), dropped
//! afterwards. A PostgreSQL story fails, never skips, when there is no
//! server: `scripts/test.sh` starts one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activity;
mod audit;
mod audit_search;
mod crud;
mod directory;
mod domains;
mod events;
mod list;
mod members;
mod oauth;
mod props;
mod setup_links;
mod tenants;
mod webhooks;
mod writes;

use std::sync::Arc;

use scim_store::{Store, Tenant};

#[path = "../common/mod.rs"]
mod common;
pub use common::*;

/// A backend the contract runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a fresh store leaves behind, removed when dropped.
pub enum Db {
    Sqlite(TempDb),
    Postgres(PgSchema),
}

impl Backend {
    /// A fresh, empty store.
    pub async fn store(self) -> (Arc<dyn Store>, Db) {
        self.store_with(scim_store::StoreOptions::default()).await
    }

    /// A fresh, empty store with `options`.
    pub async fn store_with(self, options: scim_store::StoreOptions) -> (Arc<dyn Store>, Db) {
        match self {
            Backend::Sqlite => {
                let file = TempDb::new();
                let store = scim_store::open_with(&file.url(), options).await.unwrap();
                (store, Db::Sqlite(file))
            }
            Backend::Postgres => {
                let schema = PgSchema::new();
                let store = scim_store::open_with(&schema.url(), options).await.unwrap();
                (store, Db::Postgres(schema))
            }
        }
    }

    /// A fresh store with one tenant, `acme`.
    pub async fn fresh(self) -> (Arc<dyn Store>, Tenant, Db) {
        let (store, db) = self.store().await;
        let tenant = store.create_tenant("acme", "Acme").await.unwrap();
        (store, tenant, db)
    }
}

/// Makes one test per story and backend. Stories are listed by how they
/// run: `tokio` on a current-thread runtime, `threaded` on four worker
/// threads (they race writes), `sync` on their own (property tests that
/// drive a runtime of their own).
#[macro_export]
macro_rules! contract {
    ($($body:tt)*) => {
        $crate::contract_for!(sqlite, Sqlite, $($body)*);
        $crate::contract_for!(postgres, Postgres, $($body)*);
    };
}

/// The tests of one backend (see [`contract!`]).
#[macro_export]
macro_rules! contract_for {
    ($module:ident, $backend:ident, $(tokio: [$($t:ident),* $(,)?] $(,)?)? $(threaded: [$($m:ident),* $(,)?] $(,)?)? $(sync: [$($s:ident),* $(,)?] $(,)?)?) => {
        mod $module {
            $($(
                #[tokio::test]
                async fn $t() {
                    super::$t($crate::Backend::$backend).await
                }
            )*)?
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $m() {
                    super::$m($crate::Backend::$backend).await
                }
            )*)?
            $($(
                #[test]
                fn $s() {
                    super::$s($crate::Backend::$backend)
                }
            )*)?
        }
    };
}
