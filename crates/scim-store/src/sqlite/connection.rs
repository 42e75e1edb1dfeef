//! Opening SQLite connections (URL, pragmas) and the pool of read
//! connections.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// Prepared statements kept per connection. The store has a few dozen
/// distinct statements plus one per filter shape.
const STATEMENT_CACHE: usize = 128;

/// Idle read connections kept. Reads run on the thread that asks (see
/// `mod.rs`), so there are at most as many in use as threads reading.
const MAX_IDLE_READERS: usize = 16;

/// The database file a `sqlite:` URL names: `sqlite://scimd.db` (relative),
/// `sqlite:///var/lib/scimd.db` (absolute), `sqlite:scimd.db`; a `?…` query
/// (sqlx's `?mode=rwc`) is ignored.
pub(crate) fn path_of(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::Config(format!("not a SQLite URL: {url:?}")))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return Err(StoreError::Config(
            "an in-memory SQLite database cannot be shared by the reader and writer connections; \
             name a file, e.g. sqlite://scimd.db"
                .into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Opens a connection with the settings every connection shares: WAL
/// (readers never wait for the writer), `synchronous=NORMAL` (durable at
/// checkpoints, never corrupt), foreign keys, a 5 s busy timeout (another
/// process, such as the CLI, may hold the write lock briefly) and an 8 MiB
/// page cache (point reads over a large tenant stay in memory; 16 MiB
/// measured no faster).
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Config(format!("{} cannot use WAL mode (got {mode})", path.display())));
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192;")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Read connections, opened on demand and kept for reuse.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Self {
        Readers { path, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `f` on an idle read connection (opening one if none is idle).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_files() {
        assert_eq!(path_of("sqlite://scimd.db").unwrap(), PathBuf::from("scimd.db"));
        assert_eq!(path_of("sqlite:///var/lib/s.db").unwrap(), PathBuf::from("/var/lib/s.db"));
        assert_eq!(path_of("sqlite:x.db?mode=rwc").unwrap(), PathBuf::from("x.db"));
        assert!(matches!(path_of("sqlite::memory:"), Err(StoreError::Config(_))));
        assert!(matches!(path_of("postgres://x"), Err(StoreError::Config(_))));
    }
}
