//! The X-Ray `SpanExporter`.

mod api_worker;
mod builder;
mod stats;
mod transport;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use otel_xray_translate::{BatchOptions, DocumentBatch, Translator};

pub use api_worker::ApiWorkerError;
pub use builder::{BuildError, XrayExporterBuilder};
pub use stats::{ExportStats, StatsSnapshot};
use transport::{SyncOutcome, Transport, from_report, outgoing};

/// Exports spans to AWS X-Ray as segment documents: through the local daemon (UDP), straight to
/// the X-Ray API (`PutTraceSegments`), or to any writer.
///
/// Every span is translated by the project's translation core; a span that cannot be translated,
/// or a document that cannot be delivered, never loses the rest of the batch: it is counted in
/// [`XrayExporter::stats`], logged, and reported through the SDK's error path.
pub struct XrayExporter {
    translator: Translator,
    resource: Resource,
    transport: Transport,
    stats: Arc<ExportStats>,
    nesting: bool,
    /// The documents buffer, kept from export to export (up to [`transport::KEEP_BYTES`]):
    /// a fresh one grew by reallocation to the batch's size every time.
    scratch: Mutex<DocumentBatch>,
}

impl fmt::Debug for XrayExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XrayExporter")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl XrayExporter {
    /// Starts building an exporter (daemon transport by default).
    pub fn builder() -> XrayExporterBuilder {
        XrayExporterBuilder::default()
    }

    /// The exporter's counters.
    pub fn stats(&self) -> Arc<ExportStats> {
        Arc::clone(&self.stats)
    }

    /// The kept documents buffer (empty), or a new one while another export holds it.
    fn take_batch(&self) -> DocumentBatch {
        match self.scratch.try_lock() {
            Ok(mut kept) => {
                let mut batch = std::mem::take(&mut *kept);
                batch.clear();
                batch
            }
            Err(_) => DocumentBatch::new(),
        }
    }

    /// Keeps `batch`'s buffers for the next export unless they grew too large.
    fn keep_batch(&self, batch: DocumentBatch) {
        if batch.encoded_bytes() <= transport::KEEP_BYTES
            && let Ok(mut kept) = self.scratch.try_lock()
        {
            *kept = batch;
        }
    }

    fn translate(&self, spans: &[SpanData]) -> (DocumentBatch, Option<String>) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut batch = self.take_batch();
        let options = BatchOptions {
            now_unix_secs: now,
            budget: self.transport.budget(),
        };
        if self.nesting {
            self.translator
                .translate_sdk_packed_with_ids(spans, &self.resource, options, &mut rand::rng(), &mut batch);
        } else {
            self.translator
                .translate_sdk(spans, &self.resource, options, &mut batch);
        }
        let shrunk = batch.documents().filter(|(i, _)| i.shrunk).count();
        self.stats
            .record_translation(spans.len(), batch.len(), shrunk, batch.failures().len());
        let problem = batch.failures().first().map(|f| {
            for failure in batch.failures() {
                tracing::warn!(
                    span_id = ?failure.span_id.map(|s| s.to_string()),
                    trace_id = ?failure.trace_id.map(|t| t.to_string()),
                    reason = failure.reason.reason(),
                    error = %failure.reason,
                    "A span could not be exported to X-Ray."
                );
            }
            format!(
                "{} span(s) or document(s) could not be translated; first: {}",
                batch.failures().len(),
                f.reason
            )
        });
        (batch, problem)
    }

    fn finish(&self, outcome: SyncOutcome, retries: usize, problem: Option<String>) -> OTelSdkResult {
        self.stats
            .record_delivery(outcome.delivered, outcome.dropped.len(), retries);
        let mut problems: Vec<String> = problem.into_iter().collect();
        if let Some((id, reason)) = outcome.dropped.first() {
            problems.push(format!(
                "{} document(s) not delivered; first: segment {id} ({reason})",
                outcome.dropped.len()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(problems.join("; ")))
        }
    }
}

/// An export that finished synchronously, or one waiting for the API worker.
enum Pending {
    Done(OTelSdkResult),
    Waiting(
        tokio::sync::oneshot::Receiver<otel_xray_transport::DeliveryReport>,
        usize,
        Option<String>,
    ),
}

impl SpanExporter for XrayExporter {
    fn export(&self, batch: Vec<SpanData>) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let (docs, problem) = self.translate(&batch);
        // The daemon and writer transports finish here; the API transport hands the documents to
        // its worker and the returned future waits for the delivery report.
        let pending = match &self.transport {
            Transport::Daemon { client, scratch } => {
                Pending::Done(self.finish(Transport::send_daemon(client, scratch, &docs), 0, problem))
            }
            Transport::Writer { out, lines } => {
                Pending::Done(self.finish(Transport::send_writer(out, lines, &docs), 0, problem))
            }
            Transport::Api(worker) => {
                if docs.is_empty() {
                    Pending::Done(self.finish(SyncOutcome::default(), 0, problem))
                } else {
                    match worker.submit(outgoing(&docs)) {
                        Some(rx) => Pending::Waiting(rx, docs.len(), problem),
                        None => Pending::Done(Err(OTelSdkError::AlreadyShutdown)),
                    }
                }
            }
        };
        self.keep_batch(docs);
        let stats = Arc::clone(&self.stats);
        async move {
            match pending {
                Pending::Done(result) => result,
                Pending::Waiting(rx, count, problem) => {
                    let report = rx.await.map_err(|_| OTelSdkError::AlreadyShutdown)?;
                    let outcome = from_report(&report);
                    debug_assert!(outcome.delivered + outcome.dropped.len() == count);
                    stats.record_delivery(outcome.delivered, outcome.dropped.len(), report.retries);
                    let mut problems: Vec<String> = problem.into_iter().collect();
                    if let Some((id, reason)) = outcome.dropped.first() {
                        problems.push(format!(
                            "{} document(s) not delivered; first: segment {id} ({reason})",
                            outcome.dropped.len()
                        ));
                    }
                    if !report.unattributed.is_empty() {
                        problems.push(format!(
                            "{} unattributed UnprocessedTraceSegments entries",
                            report.unattributed.len()
                        ));
                    }
                    if problems.is_empty() {
                        Ok(())
                    } else {
                        Err(OTelSdkError::InternalFailure(problems.join("; ")))
                    }
                }
            }
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match &self.transport {
            Transport::Api(worker) => {
                if worker.shutdown(timeout) {
                    Ok(())
                } else {
                    Err(OTelSdkError::Timeout(timeout))
                }
            }
            Transport::Writer { out, .. } => {
                let mut w = out.lock().unwrap_or_else(|p| p.into_inner());
                w.flush()
                    .map_err(|e| OTelSdkError::InternalFailure(format!("flushing the writer failed: {e}")))
            }
            Transport::Daemon { .. } => Ok(()),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}
