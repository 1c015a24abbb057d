//! `PutTraceSegments` into SQLite: validate, store the documents, recompute the facts of every
//! trace they touch. One transaction per call.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::facts::{StoredTrace, compute};
use super::validate::{Rejection, ValidDoc, validate};

/// How far before its earliest start a trace id's epoch may lie (X-Ray's 28 days).
const TRACE_ID_MAX_AGE_SECS: f64 = otel_xray_model::limits::TRACE_ID_MAX_AGE_SECS as f64;
/// How far after its earliest start a trace id's epoch may lie (X-Ray's 5 minutes).
const TRACE_ID_MAX_FUTURE_SECS: f64 = otel_xray_model::limits::TRACE_ID_MAX_FUTURE_SECS as f64;

/// What one call changed.
#[derive(Debug, Default)]
pub(crate) struct Ingested {
    /// Documents that were not stored, and why.
    pub rejected: Vec<Rejection>,
    /// Change of the store's logical size in bytes.
    pub bytes_delta: i64,
}

/// The time `TimeRangeType: TraceId` sorts a trace by: the epoch in its id when that lies in
/// X-Ray's window around the trace's earliest start (28 days before to 5 minutes after), else the
/// earliest start itself (a W3C-derived id's first 8 hex digits are random).
pub fn trace_time(trace_id: &str, start_time: f64) -> f64 {
    let epoch = trace_id
        .get(2..10)
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .map(f64::from);
    match epoch {
        Some(epoch) if start_time <= 0.0 => epoch,
        Some(epoch)
            if epoch >= start_time - TRACE_ID_MAX_AGE_SECS && epoch <= start_time + TRACE_ID_MAX_FUTURE_SECS =>
        {
            epoch
        }
        _ => start_time,
    }
}

/// Validates and stores `documents`; `now` is the ingest time (epoch seconds).
pub(crate) fn put(conn: &mut Connection, documents: &[String], now: f64) -> rusqlite::Result<Ingested> {
    let mut out = Ingested::default();
    let mut by_trace: HashMap<String, Vec<ValidDoc>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for text in documents {
        match validate(text) {
            Ok(docs) => {
                for doc in docs {
                    let slot = by_trace.entry(doc.trace_id.clone()).or_insert_with(|| {
                        order.push(doc.trace_id.clone());
                        Vec::new()
                    });
                    // A later document with the same id replaces an earlier one (in progress → complete).
                    slot.retain(|d| d.id != doc.id);
                    slot.push(doc);
                }
            }
            Err(rejection) => out.rejected.push(rejection),
        }
    }
    if order.is_empty() {
        return Ok(out);
    }
    let tx = conn.transaction()?;
    {
        let mut insert =
            tx.prepare_cached("INSERT OR REPLACE INTO segments (trace_id, id, document) VALUES (?1, ?2, ?3)")?;
        let mut existing = tx.prepare_cached("SELECT id, document FROM segments WHERE trace_id = ?1")?;
        let mut old_bytes = tx.prepare_cached("SELECT bytes FROM traces WHERE id = ?1")?;
        let mut upsert = tx.prepare_cached(
            "INSERT OR REPLACE INTO traces (id, trace_time, event_time, end_time, bytes, facts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for trace_id in &order {
            let Some(new_docs) = by_trace.remove(trace_id) else {
                continue;
            };
            let previous: Option<i64> = old_bytes.query_row([trace_id], |r| r.get(0)).optional()?;
            let mut values: Vec<Value> = Vec::new();
            let mut bytes: i64 = 0;
            if previous.is_some() {
                let rows = existing.query_map([trace_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                for row in rows {
                    let (id, text) = row?;
                    if new_docs.iter().any(|d| d.id == id) {
                        continue;
                    }
                    bytes += text.len() as i64;
                    match serde_json::from_str(&text) {
                        Ok(v) => values.push(v),
                        Err(e) => {
                            tracing::warn!(trace_id, segment_id = id, error = %e, "A stored segment document cannot be parsed; it is left out of the trace's facts.")
                        }
                    }
                }
            }
            for doc in new_docs {
                insert.execute(params![doc.trace_id, doc.id, doc.text])?;
                bytes += doc.text.len() as i64;
                values.push(doc.value);
            }
            let facts: StoredTrace = compute(trace_id, &values);
            let facts_json = serde_json::to_string(&facts).unwrap_or_default();
            bytes += facts_json.len() as i64;
            upsert.execute(params![
                trace_id,
                trace_time(trace_id, facts.start_time),
                now,
                facts.end_time,
                bytes,
                facts_json
            ])?;
            out.bytes_delta += bytes - previous.unwrap_or(0);
        }
    }
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_time_prefers_the_id_epoch_in_the_window() {
        let id = "1-58406520-a006649127e371903a2de979"; // 0x58406520 = 1480615200
        assert_eq!(trace_time(id, 1_480_615_200.5), 1_480_615_200.0);
        assert_eq!(trace_time(id, 1_700_000_000.0), 1_700_000_000.0);
        assert_eq!(trace_time(id, 0.0), 1_480_615_200.0);
    }
}
