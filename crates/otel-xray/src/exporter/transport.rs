//! Where the exporter's documents go: the daemon over UDP, the X-Ray API, or a writer.

use std::io::Write;
use std::sync::Mutex;

use otel_xray_translate::{Budget, DocumentBatch};
use otel_xray_transport::{DaemonClient, DeliveryReport, Dropped, OutgoingDocument};

use super::api_worker::ApiWorker;

/// The chosen transport.
pub(crate) enum Transport {
    /// One datagram per document to the daemon.
    Daemon {
        client: DaemonClient,
        scratch: Mutex<Vec<u8>>,
    },
    /// `PutTraceSegments` through the background worker.
    Api(ApiWorker),
    /// Newline-delimited documents to a writer.
    Writer {
        out: Mutex<Box<dyn Write + Send>>,
        /// The lines of one batch, kept from batch to batch (up to [`KEEP_BYTES`]).
        lines: Mutex<Vec<u8>>,
    },
}

/// Buffers up to this size are kept for the next batch; a larger one (a rare huge batch) is
/// freed rather than held for the exporter's life.
pub(crate) const KEEP_BYTES: usize = 4 << 20;

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Daemon { client, .. } => write!(f, "Daemon({})", client.target()),
            Self::Api(_) => f.write_str("Api"),
            Self::Writer { .. } => f.write_str("Writer"),
        }
    }
}

/// What happened to the documents of one export, for the transports that finish synchronously.
#[derive(Debug, Default)]
pub(crate) struct SyncOutcome {
    pub delivered: usize,
    /// `(segment id, reason)` of each document not delivered.
    pub dropped: Vec<(String, String)>,
}

impl Transport {
    /// The size budget documents must fit for this transport.
    pub(crate) fn budget(&self) -> Budget {
        match self {
            Self::Daemon { .. } => Budget::DaemonUdp,
            Self::Api(_) | Self::Writer { .. } => Budget::PutTraceSegments,
        }
    }

    /// Sends over UDP: each datagram on its own, a full socket drops that datagram, never blocks.
    pub(crate) fn send_daemon(client: &DaemonClient, scratch: &Mutex<Vec<u8>>, batch: &DocumentBatch) -> SyncOutcome {
        let mut out = SyncOutcome::default();
        let mut scratch = scratch.lock().unwrap_or_else(|p| p.into_inner());
        for (info, json) in batch.documents() {
            match client.send(json, &mut scratch) {
                Ok(()) => out.delivered += 1,
                Err(e) => {
                    tracing::warn!(segment_id = %info.id, trace_id = %info.trace_id, reason = e.label(), error = %e,
                        "A segment datagram was not sent to the X-Ray daemon.");
                    out.dropped.push((info.id.to_string(), e.label().to_owned()));
                }
            }
        }
        out
    }

    /// Writes each document on its own line with one `write_all` for the whole batch (so other
    /// writers of the same stream cannot split a line), then flushes.
    pub(crate) fn send_writer(
        writer: &Mutex<Box<dyn Write + Send>>,
        lines: &Mutex<Vec<u8>>,
        batch: &DocumentBatch,
    ) -> SyncOutcome {
        let mut out = SyncOutcome::default();
        let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.clear();
        lines.reserve(batch.encoded_bytes() + batch.len());
        for (_, json) in batch.documents() {
            lines.extend_from_slice(json);
            lines.push(b'\n');
        }
        let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
        match w.write_all(&lines).and_then(|()| w.flush()) {
            Ok(()) => out.delivered = batch.len(),
            Err(e) => {
                tracing::warn!(documents = batch.len(), error = %e, "Segment documents could not be written.");
                out.dropped = batch
                    .documents()
                    .map(|(info, _)| (info.id.to_string(), "write_error".into()))
                    .collect();
            }
        }
        if lines.capacity() > KEEP_BYTES {
            *lines = Vec::new();
        }
        out
    }
}

/// The documents of a batch as owned outgoing documents for the API worker.
pub(crate) fn outgoing(batch: &DocumentBatch) -> Vec<OutgoingDocument> {
    batch
        .documents()
        .map(|(info, json)| OutgoingDocument {
            trace_id: info.trace_id,
            id: info.id,
            // Always UTF-8 (encoded from Rust strings); the strict check is the fast one.
            json: match std::str::from_utf8(json) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(json).into_owned(),
            },
        })
        .collect()
}

/// Turns a delivery report into the summary the sync transports give.
pub(crate) fn from_report(report: &DeliveryReport) -> SyncOutcome {
    SyncOutcome {
        delivered: report.delivered,
        dropped: report
            .dropped
            .iter()
            .map(|Dropped { id, reason, .. }| (id.to_string(), reason.label()))
            .collect(),
    }
}
