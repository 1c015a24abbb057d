//! The SQLite store behind Local X-Ray.
//!
//! [`Store`] keeps every accepted segment document (table `segments`) and, per trace, the facts
//! the queries need (table `traces`, see [`facts`]), recomputed whenever more documents of the
//! trace arrive. All calls are blocking; the API runs them on tokio's blocking pool.
//!
//! | file | concern |
//! |---|---|
//! | `schema.rs` | tables, indexes and connection settings |
//! | `validate.rs` | X-Ray's per-document checks and error codes |
//! | `facts.rs` | per-trace facts and the service-graph rule |
//! | `ingest.rs` | `PutTraceSegments` into the tables |
//! | `query.rs` | summaries with paging, documents, graph facts |
//! | `retention.rs` | retention and the size cap |

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub mod facts;
mod ingest;
mod query;
mod retention;
mod schema;
pub mod validate;

pub use facts::{GraphNode, StoredAnnotation, StoredEdge, StoredGraph, StoredHttp, StoredNode, StoredTrace};
pub use ingest::trace_time;
pub use query::{Cursor, StoredDocuments, SummaryPage, SummaryQuery, TimeRange};
pub use retention::Removed;
pub use schema::SchemaError;
pub use validate::Rejection;

/// Why a store cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory for the database file cannot be created.
    #[error("cannot create the directory {path} for the store: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// SQLite cannot open the database.
    #[error("cannot open the store at {path}: {source}")]
    Open {
        /// The database file, or `:memory:`.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The database cannot be given the store's schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// A store operation failed in SQLite (a full disk, an I/O error, a damaged file).
#[derive(Debug, thiserror::Error)]
#[error("the store failed: {0}")]
pub struct StoreError(#[from] rusqlite::Error);

/// How much the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Traces older than this (by trace time) are deleted.
    pub retention: Duration,
    /// When the database's pages in use take more than this many bytes, the oldest traces are
    /// deleted (their pages are then reused, so the file stops growing near this size).
    pub max_bytes: u64,
}

/// The SQLite store; share it behind an `Arc`.
///
/// One connection writes (ingest, retention). A file-backed store has a second, read-only
/// connection for the queries, so that a long query does not hold up ingest (SQLite's WAL mode
/// lets one writer and readers work at once); an in-memory store has only the one connection.
#[derive(Debug)]
pub struct Store {
    inner: Mutex<Inner>,
    reader: Option<Mutex<Connection>>,
    limits: Limits,
}

#[derive(Debug)]
struct Inner {
    conn: Connection,
    /// Logical size: the sum of `traces.bytes` (documents and facts).
    logical_bytes: i64,
}

impl Store {
    /// Opens (creating when needed) the store at `path`, or an in-memory one for `None`.
    pub fn open(path: Option<&Path>, limits: Limits) -> Result<Self, OpenError> {
        let conn = match path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| OpenError::CreateDir {
                        path: dir.to_owned(),
                        source,
                    })?;
                }
                Connection::open(path).map_err(|source| OpenError::Open {
                    path: path.to_owned(),
                    source,
                })?
            }
            None => Connection::open_in_memory().map_err(|source| OpenError::Open {
                path: ":memory:".into(),
                source,
            })?,
        };
        schema::prepare(&conn, path.is_some())?;
        let logical_bytes: i64 = conn
            .query_row("SELECT COALESCE(SUM(bytes), 0) FROM traces", [], |r| r.get(0))
            .map_err(SchemaError::from)?;
        let reader = match path {
            Some(path) => {
                let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
                    OpenError::Open {
                        path: path.to_owned(),
                        source,
                    }
                })?;
                schema::prepare_reader(&reader)?;
                Some(Mutex::new(reader))
            }
            None => None,
        };
        Ok(Store {
            inner: Mutex::new(Inner { conn, logical_bytes }),
            reader,
            limits,
        })
    }

    /// Runs a query on the read connection, or on the only connection of an in-memory store.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        match &self.reader {
            Some(reader) => Ok(f(&reader.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))?),
            None => Ok(f(&self.lock().conn)?),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The limits the store was opened with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The bytes the database uses: its pages in use, which is what the size cap limits.
    pub fn used_bytes(&self) -> Result<u64, StoreError> {
        Ok(u64::try_from(schema::used_bytes(&self.lock().conn)?).unwrap_or(0))
    }

    /// The logical size in bytes: the stored documents and facts, without SQLite's overhead.
    pub fn logical_bytes(&self) -> u64 {
        u64::try_from(self.lock().logical_bytes).unwrap_or(0)
    }

    /// Validates and stores the documents of one `PutTraceSegments` call; `now` (epoch seconds)
    /// is the traces' update time. Returns the rejected documents. When the database is then
    /// over its size cap, the oldest traces are deleted (a bounded number per call).
    pub fn put(&self, documents: &[String], now: f64) -> Result<Vec<Rejection>, StoreError> {
        let mut inner = self.lock();
        let ingested = ingest::put(&mut inner.conn, documents, now)?;
        inner.logical_bytes += ingested.bytes_delta;
        let excess = self.excess(&inner)?;
        if excess > 0 {
            let removed = retention::enforce(&mut inner.conn, f64::NEG_INFINITY, excess)?;
            inner.logical_bytes -= removed.bytes;
            tracing::info!(
                traces = removed.traces,
                bytes = removed.bytes,
                "The store was over its size cap; the oldest traces were deleted."
            );
        }
        Ok(ingested.rejected)
    }

    /// How many logical bytes to delete to bring the database under its cap: the pages in use
    /// over the cap, scaled by the current ratio of logical bytes to pages in use (deleted rows
    /// free their pages for reuse, so the database stops growing at the cap).
    fn excess(&self, inner: &Inner) -> rusqlite::Result<i64> {
        let max = i64::try_from(self.limits.max_bytes).unwrap_or(i64::MAX);
        let used = schema::used_bytes(&inner.conn)?;
        if used <= max || used <= 0 {
            return Ok(0);
        }
        let ratio = inner.logical_bytes as f64 / used as f64;
        Ok(((used - max) as f64 * ratio).ceil() as i64 + 1)
    }

    /// Deletes traces past the retention (relative to `now`, epoch seconds) and, while over the
    /// size cap, the oldest ones. Bounded per call; call it periodically.
    pub fn enforce_limits(&self, now: f64) -> Result<Removed, StoreError> {
        let cutoff = now - self.limits.retention.as_secs_f64();
        let mut inner = self.lock();
        let excess = self.excess(&inner)?;
        let removed = retention::enforce(&mut inner.conn, cutoff, excess)?;
        inner.logical_bytes -= removed.bytes;
        Ok(removed)
    }

    /// One page of trace summaries, newest first; `matches` is the filter.
    pub fn summaries(
        &self,
        query: &SummaryQuery,
        matches: &dyn Fn(&StoredTrace) -> bool,
    ) -> Result<SummaryPage, StoreError> {
        self.read(|conn| query::summaries(conn, query, matches))
    }

    /// The documents of the given traces (the ones that exist, in the order asked).
    pub fn documents(&self, ids: &[String]) -> Result<Vec<StoredDocuments>, StoreError> {
        self.read(|conn| query::documents(conn, ids))
    }

    /// Calls `visit` with the graph facts of every trace in a time range.
    pub fn graph_in_range(
        &self,
        start: f64,
        end: f64,
        time: TimeRange,
        visit: &mut dyn FnMut(&StoredGraph<'_>),
    ) -> Result<(), StoreError> {
        self.read(|conn| query::graph_in_range(conn, start, end, time, visit))
    }

    /// Calls `visit` with the graph facts of each of the given traces that exists.
    pub fn graph_of(&self, ids: &[String], visit: &mut dyn FnMut(&StoredGraph<'_>)) -> Result<(), StoreError> {
        self.read(|conn| query::graph_of(conn, ids, visit))
    }
}
