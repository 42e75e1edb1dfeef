//! Opening SQLite connections (URL, pragmas) and the pool of read
//! connections.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// Prepared statements kept per connection. The store has a few dozen
/// distinct statements plus one per filter shape.
const STATEMENT_CACHE: usize = 128;

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

/// How long a connection waits for a lock another connection holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The same for point reads, which run on the runtime's workers: in WAL
/// mode a read waits only while another process recovers the WAL after a
/// crash or holds the file in exclusive locking mode, and a worker stuck for
/// seconds would stall every request queued behind it. Past this the read
/// fails with [`StoreError::Busy`], which the server answers 503.
const POINT_BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// Page cache of a point-read connection, in KiB. There are about as many
/// of these as runtime workers, used over and over: a large cache keeps a
/// tenant's hot rows in memory (GET by id read pages from disk with 4 MiB).
const POINT_CACHE_KIB: u32 = 8 * 1024;

/// Page cache of a scan connection, in KiB: scans stream through pages
/// they rarely read again soon.
const SCAN_CACHE_KIB: u32 = 2 * 1024;

/// Page cache of the write connection, in KiB: index pages the writes of a
/// batch share stay in memory.
pub(crate) const WRITER_CACHE_KIB: u32 = 8 * 1024;

/// Page cache of the checkpoint connection, which reads no tables.
pub(crate) const CHECKPOINT_CACHE_KIB: u32 = 256;

/// Opens a connection with the settings every connection shares: WAL
/// (readers never wait for the writer), `synchronous=NORMAL` (the writer
/// raises it to FULL for its commits), foreign keys, a 5 s busy timeout (another
/// process, such as the CLI, may hold the write lock briefly), and a page
/// cache of `cache_kib`.
pub(crate) fn open(path: &Path, cache_kib: u32) -> Result<Connection> {
    open_waiting(path, cache_kib, BUSY_TIMEOUT, OpenFlags::SQLITE_OPEN_CREATE)
}

/// [`open`] with another busy timeout, which also bounds the switch to WAL,
/// and `create` (`SQLITE_OPEN_CREATE` or empty): only the writer, which
/// opens first and migrates, may create the file. A read connection opened
/// later on a file that has gone fails instead of reading a new, empty one.
fn open_waiting(path: &Path, cache_kib: u32, busy_timeout: Duration, create: OpenFlags) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | create | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy_timeout)?;
    let mode = wal_mode(&conn, busy_timeout)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Config(format!("{} cannot use WAL mode (got {mode})", path.display())));
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    conn.pragma_update(None, "cache_size", -i64::from(cache_kib))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    super::sql::register_functions(&conn)?;
    Ok(conn)
}

/// Refuses a database this process cannot write (a read-only file,
/// directory or file system): better no start than a server whose every
/// write fails. SQLite opens such a file read-only without a word, so a
/// write is tried: the schema version set to what it is.
pub(crate) fn check_writable(conn: &Connection, path: &Path) -> Result<()> {
    let refuse = |why: String| {
        StoreError::Config(format!(
            "the database {} cannot be written ({why}): check the permissions of the file and its directory",
            path.display()
        ))
    };
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
        return Err(refuse("it opened read-only".into()));
    }
    let probe = || -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        conn.pragma_update(None, "user_version", version)?;
        conn.execute_batch("COMMIT")
    };
    probe().map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        match e.sqlite_error_code() {
            // Another process holds the write lock: not a read-only file.
            Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Busy(e.to_string()),
            _ => refuse(e.to_string()),
        }
    })
}

/// How long a read connection may keep one snapshot while the writer
/// commits nothing: bounds how late a point read sees a change made by
/// another process (the `scimd` CLI writing to the same file); reads of
/// what the CLI changes ask for a fresh snapshot anyway.
const MAX_SNAPSHOT_AGE: Duration = Duration::from_secs(1);

/// A read connection and the snapshot it holds open, if any: the writer's
/// commit count when the snapshot was taken, and when.
struct Reader {
    conn: Connection,
    snapshot: Option<(u64, Instant)>,
}

impl Reader {
    /// Ends the read transaction. False when the connection is unusable.
    fn release(&mut self) -> bool {
        self.snapshot.take().is_none() || self.conn.execute_batch("COMMIT").is_ok()
    }
}

/// Switches the file to WAL (a no-op once it is). Turning a new file to WAL
/// while another process does the same answers SQLITE_BUSY at once, without
/// the busy handler: retried for as long as the busy timeout.
fn wal_mode(conn: &Connection, busy_timeout: Duration) -> Result<String> {
    let start = Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && start.elapsed() < busy_timeout =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return Ok(other?),
        }
    }
}

/// Idle read connections of one kind, and what a new one gets.
struct Pool {
    idle: Mutex<Vec<Reader>>,
    /// Idle connections kept; each holds its page cache, so this bounds
    /// the store's memory.
    max_idle: usize,
    cache_kib: u32,
    busy_timeout: Duration,
}

impl Pool {
    fn new(max_idle: usize, cache_kib: u32, busy_timeout: Duration) -> Self {
        Pool { idle: Mutex::new(Vec::new()), max_idle, cache_kib, busy_timeout }
    }

    fn open(&self, path: &Path) -> Result<Connection> {
        open_waiting(path, self.cache_kib, self.busy_timeout, OpenFlags::empty())
    }

    fn take(&self) -> Option<Reader> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    fn give_back(&self, reader: Reader) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(reader);
        }
    }
}

/// Which read connections a read uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ReadKind {
    /// A point read on the calling thread, from the current snapshot.
    Point,
    /// A point read that must see other processes' commits too.
    PointFresh,
    /// A scan, on its own connections (their pages would push a tenant's
    /// hot rows out of a point reader's cache), on a fresh snapshot.
    Scan,
}

/// Read connections, opened on demand and kept for reuse: one pool for
/// point reads, one for scans.
///
/// Between uses a connection keeps its read transaction open, as long as
/// the writer has committed nothing since (and for a second at most).
/// Starting and ending a read transaction costs two file-lock system calls
/// and a pass over SQLite's global locks, more than a point read itself:
/// perf put it at a tenth of a GET. A reader whose snapshot is older than
/// the last commit starts a new one before it reads, so a read never misses
/// a write that was acknowledged before it began. Idle connections give
/// stale snapshots back ([`Readers::release_stale`]) so that they do not
/// hold up checkpoints.
pub(crate) struct Readers {
    path: PathBuf,
    point: Pool,
    scan: Pool,
    commits: Arc<AtomicU64>,
}

impl Readers {
    /// `commits` is the writer's commit counter; `workers` how many
    /// threads do point reads at once, `scans` how many scans run at once.
    pub(crate) fn new(path: PathBuf, commits: Arc<AtomicU64>, workers: usize, scans: usize) -> Self {
        Readers {
            path,
            point: Pool::new(workers, POINT_CACHE_KIB, POINT_BUSY_TIMEOUT),
            scan: Pool::new(scans, SCAN_CACHE_KIB, BUSY_TIMEOUT),
            commits,
        }
    }

    /// Runs `f` on an idle read connection of the right pool (opening one
    /// if none is idle), inside a snapshot that includes every commit this
    /// process made before the call, and for [`ReadKind::PointFresh`] and
    /// [`ReadKind::Scan`] every commit of other processes too.
    pub(crate) fn with<T>(&self, kind: ReadKind, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pool = if kind == ReadKind::Scan { &self.scan } else { &self.point };
        let mut reader = match pool.take() {
            Some(reader) => reader,
            None => Reader { conn: pool.open(&self.path)?, snapshot: None },
        };
        let commits = self.commits.load(Ordering::Acquire);
        let current = kind == ReadKind::Point
            && reader.snapshot.is_some_and(|(at, since)| at == commits && since.elapsed() < MAX_SNAPSHOT_AGE);
        if !current {
            if !reader.release() {
                return f(&pool.open(&self.path)?);
            }
            // Deferred: the snapshot is taken by the first read below, so it
            // holds at least `commits` commits.
            reader.conn.execute_batch("BEGIN")?;
            reader.snapshot = Some((commits, Instant::now()));
        }
        let out = f(&reader.conn);
        if out.is_err() && !reader.release() {
            return out;
        }
        pool.give_back(reader);
        out
    }

    /// Reads the database file on a connection of its own, opened now
    /// without creating anything: whether the database is there and
    /// readable at this moment, whatever the pooled connections hold open
    /// (a file moved away, replaced, or locked by another process). For
    /// readiness checks, not the request path.
    pub(crate) fn probe(&self) -> Result<()> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(POINT_BUSY_TIMEOUT)?;
        conn.query_row("SELECT count(*) FROM (SELECT 1 FROM tenants LIMIT 1)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Ends the snapshots of idle connections that are behind the writer or
    /// too old; drops connections that fail to.
    pub(crate) fn release_stale(&self) {
        let commits = self.commits.load(Ordering::Acquire);
        self.release_where(|at, since| at != commits || since.elapsed() >= MAX_SNAPSHOT_AGE);
    }

    /// Ends the snapshots of all idle connections. The writer calls it
    /// before each batch: the batch makes them stale anyway, and SQLite can
    /// start the WAL over only when no reader holds a place in it.
    pub(crate) fn release_idle(&self) {
        self.release_where(|_, _| true);
    }

    fn release_where(&self, stale: impl Fn(u64, Instant) -> bool) {
        for pool in [&self.point, &self.scan] {
            let mut idle = pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.retain_mut(|reader| match reader.snapshot {
                Some((at, since)) if stale(at, since) => reader.release(),
                _ => true,
            });
        }
    }

    /// The writer's commit count.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
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
