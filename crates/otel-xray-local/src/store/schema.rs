//! The SQLite schema and connection settings.
//!
//! Two tables:
//!
//! * `segments`: one row per stored document, keyed by `(trace_id, id)`, so a complete document
//!   replaces an earlier in-progress one with the same id, as X-Ray does.
//! * `traces`: one row per trace with its three times (one per `TimeRangeType`), its size and its
//!   facts (a JSON column, see [`super::facts`]) computed at ingest. Every time column has an
//!   index on `(time, id)`, which is also the paging order of `GetTraceSummaries`.

use rusqlite::Connection;

/// The schema version this code writes; stored in `PRAGMA user_version`.
pub(crate) const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS segments (
    trace_id TEXT NOT NULL,
    id       TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS traces (
    id         TEXT PRIMARY KEY NOT NULL,
    trace_time REAL NOT NULL,
    event_time REAL NOT NULL,
    end_time   REAL NOT NULL,
    bytes      INTEGER NOT NULL,
    facts      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_by_trace_time ON traces (trace_time, id);
CREATE INDEX IF NOT EXISTS traces_by_event_time ON traces (event_time, id);
CREATE INDEX IF NOT EXISTS traces_by_end_time ON traces (end_time, id);
";

/// Why a database cannot be used as a store.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// SQLite refused a setting or a schema statement.
    #[error("cannot set up the store's schema: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer version of this store.
    #[error("the store has schema version {found}, newer than the {SCHEMA_VERSION} this build knows")]
    NewerVersion {
        /// The version found in the file.
        found: i64,
    },
}

/// Applies the connection settings and creates the schema when it is missing.
pub(crate) fn prepare(conn: &Connection, file_backed: bool) -> Result<(), SchemaError> {
    // 16 KiB pages hold several trace rows (their facts are a few KiB) and keep segment
    // documents of a few KiB off overflow pages; effective only when the database is created.
    conn.pragma_update(None, "page_size", 16_384)?;
    if file_backed {
        // WAL keeps readers and the writer apart; NORMAL is durable across process crashes.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -65_536)?; // 64 MiB
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(SchemaError::NewerVersion { found });
    }
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// The bytes the database's pages in use take (its file size minus free pages).
pub(crate) fn used_bytes(conn: &Connection) -> rusqlite::Result<i64> {
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
    let size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    Ok((pages - free) * size)
}

/// Settings of the read-only query connection of a file-backed store.
pub(crate) fn prepare_reader(conn: &Connection) -> Result<(), SchemaError> {
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -65_536)?; // 64 MiB
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}
