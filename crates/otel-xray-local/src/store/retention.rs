//! Retention and the size cap: whole traces are deleted, oldest (by trace time) first, a bounded
//! number per call so that no single call holds the store for long.

use rusqlite::{Connection, params};

/// Traces deleted per statement batch.
const BATCH: i64 = 1_000;
/// Most batches per call (so at most 20,000 traces per call).
const MAX_BATCHES: usize = 20;

/// What one enforcement pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Traces deleted.
    pub traces: u64,
    /// Logical bytes freed.
    pub bytes: i64,
}

/// Deletes the oldest traces until `excess` logical bytes (documents and facts, see
/// `traces.bytes`) are gone, and traces whose trace time is before `cutoff`.
pub(crate) fn enforce(conn: &mut Connection, cutoff: f64, excess: i64) -> rusqlite::Result<Removed> {
    let mut removed = Removed::default();
    for _ in 0..MAX_BATCHES {
        let over_size = excess - removed.bytes > 0;
        let tx = conn.transaction()?;
        let victims: Vec<(String, i64)> = {
            let mut stmt = if over_size {
                tx.prepare_cached("SELECT id, bytes FROM traces ORDER BY trace_time, id LIMIT ?1")?
            } else {
                tx.prepare_cached(
                    "SELECT id, bytes FROM traces WHERE trace_time < ?1 ORDER BY trace_time, id LIMIT ?2",
                )?
            };
            if over_size {
                // Delete just enough, in batch order.
                let rows = stmt.query_map(params![BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let mut need = excess - removed.bytes;
                let mut out = Vec::new();
                for row in rows {
                    let (id, bytes): (String, i64) = row?;
                    if need <= 0 {
                        break;
                    }
                    need -= bytes;
                    out.push((id, bytes));
                }
                out
            } else {
                stmt.query_map(params![cutoff, BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        if victims.is_empty() {
            tx.commit()?;
            break;
        }
        {
            let mut del_segments = tx.prepare_cached("DELETE FROM segments WHERE trace_id = ?1")?;
            let mut del_trace = tx.prepare_cached("DELETE FROM traces WHERE id = ?1")?;
            for (id, bytes) in &victims {
                del_segments.execute([id])?;
                del_trace.execute([id])?;
                removed.traces += 1;
                removed.bytes += bytes;
            }
        }
        tx.commit()?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(traces: &[(u32, &str)]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::prepare(&conn, false).unwrap();
        let docs: Vec<String> = traces
            .iter()
            .map(|(epoch, suffix)| {
                format!(
                    r#"{{"trace_id":"1-{epoch:08x}-{suffix}","id":"00000000000000aa","name":"s","start_time":{epoch},"end_time":{epoch}.5}}"#
                )
            })
            .collect();
        let out = super::super::ingest::put(&mut conn, &docs, 0.0).unwrap();
        assert!(out.rejected.is_empty(), "{:?}", out.rejected);
        conn
    }

    fn ids(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT id FROM traces ORDER BY trace_time").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccc";

    #[test]
    fn retention_deletes_traces_before_the_cutoff_with_their_segments() {
        let mut conn = store_with(&[(1_000, A), (2_000, B), (3_000, C)]);
        let removed = enforce(&mut conn, 2_500.0, 0).unwrap();
        assert_eq!(removed.traces, 2);
        assert!(removed.bytes > 0);
        assert_eq!(ids(&conn), [format!("1-{:08x}-{C}", 3_000)]);
        let segments: i64 = conn
            .query_row("SELECT COUNT(*) FROM segments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(segments, 1);
    }

    #[test]
    fn size_excess_deletes_the_oldest_first_and_only_as_many_as_needed() {
        let mut conn = store_with(&[(3_000, C), (1_000, A), (2_000, B)]);
        let removed = enforce(&mut conn, f64::NEG_INFINITY, 1).unwrap();
        assert_eq!(removed.traces, 1);
        assert_eq!(
            ids(&conn),
            [format!("1-{:08x}-{B}", 2_000), format!("1-{:08x}-{C}", 3_000)]
        );
    }
}
