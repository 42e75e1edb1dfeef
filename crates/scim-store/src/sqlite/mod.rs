//! The SQLite backend (embedded default). PLACEHOLDER.
use std::sync::Arc;

use crate::{Result, Store, StoreError};

/// Opens (creating if needed) the SQLite database at `url` and migrates it.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    Err(StoreError::Config(format!("sqlite backend not implemented yet ({} chars)", url.len())))
}
