//! Reads: trace summaries by time range with paging, documents by trace id, and facts for the
//! service graph.

use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;

use super::facts::{StoredGraph, StoredTrace};

/// Which time a range selects traces by (`TimeRangeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeRange {
    /// The epoch in the trace id (see [`super::trace_time`]); the default.
    #[default]
    TraceId,
    /// When the trace was last updated (its last ingest).
    Event,
    /// The trace's latest segment end time.
    Service,
}

impl TimeRange {
    fn column(self) -> &'static str {
        match self {
            TimeRange::TraceId => "trace_time",
            TimeRange::Event => "event_time",
            TimeRange::Service => "end_time",
        }
    }
}

/// Where a page of summaries ends: the last trace scanned, in the descending (time, id) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// Its time.
    pub time: f64,
    /// Its id.
    pub id: String,
}

/// A `GetTraceSummaries` query.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    /// Range start (epoch seconds, inclusive).
    pub start: f64,
    /// Range end (inclusive).
    pub end: f64,
    /// Which time the range applies to.
    pub time: TimeRange,
    /// Continue after this trace.
    pub after: Option<Cursor>,
    /// Most summaries in one page.
    pub page_size: usize,
    /// Most traces examined for one page (the filter may reject most of them).
    pub scan_limit: usize,
}

/// One page of summaries, newest first.
#[derive(Debug, Clone, Default)]
pub struct SummaryPage {
    /// The matching traces' facts.
    pub traces: Vec<StoredTrace>,
    /// How many traces were examined.
    pub processed: u64,
    /// Where the next page starts, when there may be one.
    pub next: Option<Cursor>,
}

/// The stored documents of one trace.
#[derive(Debug, Clone)]
pub struct StoredDocuments {
    /// The trace id.
    pub id: String,
    /// The trace's duration.
    pub duration: f64,
    /// `(segment id, document)` pairs, independent subsegments as their own entries.
    pub segments: Vec<(String, String)>,
}

const CHUNK: usize = 500;

/// The one field `BatchGetTraces` needs from the facts.
#[derive(serde::Deserialize)]
struct Duration {
    duration: f64,
}

fn parse<T: DeserializeOwned>(id: &str, json: &str) -> Option<T> {
    match serde_json::from_str(json) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(trace_id = id, error = %e, "A trace's stored facts cannot be read; the trace is skipped.");
            None
        }
    }
}

pub(crate) fn summaries(
    conn: &Connection,
    q: &SummaryQuery,
    matches: &dyn Fn(&StoredTrace) -> bool,
) -> rusqlite::Result<SummaryPage> {
    let col = q.time.column();
    let sql = format!(
        "SELECT {col}, id, facts FROM traces
         WHERE {col} >= ?1 AND {col} <= ?2 AND ({col} < ?3 OR ({col} = ?3 AND id < ?4))
         ORDER BY {col} DESC, id DESC LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut page = SummaryPage::default();
    let mut cursor = q.after.clone().unwrap_or(Cursor {
        time: f64::INFINITY,
        id: String::new(),
    });
    if cursor.time.is_infinite() {
        // "Before everything": any id compares below a time of +inf.
        cursor.time = f64::MAX;
        cursor.id = "~".into();
    }
    loop {
        let rows: Vec<(f64, String, String)> = stmt
            .query_map(params![q.start, q.end, cursor.time, cursor.id, CHUNK as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let exhausted = rows.len() < CHUNK;
        for (time, id, json) in rows {
            page.processed += 1;
            cursor = Cursor { time, id };
            if let Some(trace) = parse::<StoredTrace>(&cursor.id, &json)
                && matches(&trace)
            {
                page.traces.push(trace);
            }
            if page.traces.len() >= q.page_size || page.processed as usize >= q.scan_limit {
                page.next = Some(cursor);
                return Ok(page);
            }
        }
        if exhausted {
            return Ok(page);
        }
    }
}

pub(crate) fn documents(conn: &Connection, ids: &[String]) -> rusqlite::Result<Vec<StoredDocuments>> {
    let mut trace = conn.prepare_cached("SELECT facts FROM traces WHERE id = ?1")?;
    let mut segs = conn.prepare_cached("SELECT id, document FROM segments WHERE trace_id = ?1")?;
    let mut out = Vec::new();
    for id in ids {
        let Some(json) = trace.query_row([id], |r| r.get::<_, String>(0)).optional()? else {
            continue;
        };
        let duration = parse::<Duration>(id, &json).map_or(0.0, |d| d.duration);
        let segments = segs
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        out.push(StoredDocuments {
            id: id.clone(),
            duration,
            segments,
        });
    }
    Ok(out)
}

/// Parses the graph of each row `(id, facts)` in place, borrowing from the row.
fn visit_rows(mut rows: rusqlite::Rows<'_>, visit: &mut dyn FnMut(&StoredGraph<'_>)) -> rusqlite::Result<()> {
    while let Some(row) = rows.next()? {
        let id = row.get_ref(0)?.as_str().unwrap_or_default();
        let json = row.get_ref(1)?.as_str().unwrap_or_default();
        match serde_json::from_str::<StoredGraph<'_>>(json) {
            Ok(graph) => visit(&graph),
            Err(e) => {
                tracing::warn!(trace_id = id, error = %e, "A trace's stored facts cannot be read; the trace is skipped.")
            }
        }
    }
    Ok(())
}

pub(crate) fn graph_in_range(
    conn: &Connection,
    start: f64,
    end: f64,
    time: TimeRange,
    visit: &mut dyn FnMut(&StoredGraph<'_>),
) -> rusqlite::Result<()> {
    let col = time.column();
    let sql = format!("SELECT id, facts FROM traces WHERE {col} >= ?1 AND {col} <= ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    visit_rows(stmt.query(params![start, end])?, visit)
}

pub(crate) fn graph_of(
    conn: &Connection,
    ids: &[String],
    visit: &mut dyn FnMut(&StoredGraph<'_>),
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("SELECT id, facts FROM traces WHERE id = ?1")?;
    for id in ids {
        visit_rows(stmt.query([id])?, visit)?;
    }
    Ok(())
}
