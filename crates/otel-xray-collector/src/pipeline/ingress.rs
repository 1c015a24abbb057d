//! The pipeline's entry point for receivers: translate OTLP requests (or take documents received
//! over UDP), count everything, and queue all of a request's documents or refuse the request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, WireError, wire};
use otel_xray_transport::OutgoingDocument;

use super::queue::{QueueError, QueueSender};
use crate::metrics::{Metrics, ReceiverLabel};

thread_local! {
    /// A translation batch kept per thread between requests (see [`Ingress::submit_otlp`] and [`Ingress::submit_otlp_protobuf`]).
    static SCRATCH: std::cell::Cell<DocumentBatch> = std::cell::Cell::new(DocumentBatch::new());
}

/// A batch whose documents took more than this is not kept (so that one huge request does not
/// hold its memory per thread for good).
const SCRATCH_KEEP_BYTES: usize = 4 << 20;

/// What happened to an OTLP request that was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OtlpOutcome {
    /// Spans in the request.
    pub spans: usize,
    /// Spans that gave no document (OTLP partial success `rejected_spans`).
    pub rejected_spans: usize,
    /// The first rejection's reason, for the partial-success `error_message`.
    pub error_message: Option<String>,
}

/// Why [`Ingress::submit_otlp_protobuf`] refused a request.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The bytes are not a protobuf `ExportTraceServiceRequest`.
    #[error(transparent)]
    Malformed(#[from] WireError),
    /// The queue refused the request's documents.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Cloned into every receiver.
#[derive(Clone)]
pub struct Ingress {
    queue: QueueSender,
    translator: Arc<Translator>,
    budget: Budget,
    metrics: Arc<Metrics>,
    /// What a span has recently cost in the queue (bytes, averaged over the last accepted
    /// request): the estimate that lets a full queue refuse a request before translating it.
    recent_span_cost: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingress").finish_non_exhaustive()
    }
}

impl Ingress {
    pub(super) fn new(queue: QueueSender, translator: Arc<Translator>, budget: Budget, metrics: Arc<Metrics>) -> Self {
        Self {
            queue,
            translator,
            budget,
            metrics,
            recent_span_cost: Arc::new(AtomicUsize::new(super::queue::MIN_DOCUMENT_COST)),
        }
    }

    /// The gateway's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Translates `request` and queues its documents (all or none). A full queue refuses the
    /// whole request, so the client can retry it later.
    pub fn submit_otlp(
        &self,
        receiver: &'static str,
        request: &ExportTraceServiceRequest,
    ) -> Result<OtlpOutcome, QueueError> {
        let spans: usize = request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        if let Err(e) = self.room_for(spans) {
            self.refused_by_queue(receiver, &e);
            return Err(e);
        }
        self.translate_and_queue(receiver, |options, batch| {
            self.translator.translate_otlp(request, options, batch);
            Ok(())
        })
    }

    /// Decodes and translates a binary protobuf `ExportTraceServiceRequest` in one pass (see
    /// [`otel_xray_translate::wire`]) and queues its documents (all or none), as
    /// [`Ingress::submit_otlp`] does for a decoded request. A request protobuf decoding rejects is
    /// refused as malformed, whatever the queue's state; the caller counts that refusal.
    pub fn submit_otlp_protobuf(&self, receiver: &'static str, bytes: &[u8]) -> Result<OtlpOutcome, SubmitError> {
        let spans = wire::count_spans(bytes)?;
        if let Err(e) = self.room_for(spans) {
            // Malformed is the answer to a malformed request, as when it was decoded first.
            wire::check_request(bytes)?;
            self.refused_by_queue(receiver, &e);
            return Err(e.into());
        }
        self.translate_and_queue(receiver, |options, batch| {
            self.translator
                .translate_otlp_bytes(bytes, options, batch)
                .map_err(SubmitError::from)
        })
    }

    /// Under push-back, refuses before paying for the translation when the request's documents
    /// would clearly not fit: at least MIN_DOCUMENT_COST bytes per span, and (for a full queue)
    /// three quarters of what spans have recently cost. Translating a request only to refuse it
    /// wasted a sixth of the gateway's CPU when clients of 512-span requests kept a 16 MiB queue
    /// full. An estimate too low only means the queue refuses after translation, as before.
    fn room_for(&self, spans: usize) -> Result<(), QueueError> {
        let capacity = self.queue.capacity();
        let free = capacity - self.queue.used_bytes().min(capacity);
        let floor = spans.saturating_mul(super::queue::MIN_DOCUMENT_COST);
        if floor > capacity {
            return Err(QueueError::TooLarge {
                needed: floor,
                capacity,
            });
        }
        let recent = self.recent_span_cost.load(Ordering::Relaxed);
        let expected = spans.saturating_mul(recent.max(super::queue::MIN_DOCUMENT_COST * 4 / 3) * 3 / 4);
        // A request expected to need more than the whole queue is translated: only its real
        // size can say whether it is too large (not retryable) or fits an emptier queue.
        if expected > free && expected <= capacity {
            return Err(QueueError::Full {
                needed: expected,
                free,
                capacity,
            });
        }
        Ok(())
    }

    fn refused_by_queue(&self, receiver: &'static str, e: &QueueError) {
        self.metrics.refused(
            receiver,
            if matches!(e, QueueError::Full { .. }) {
                "queue_full"
            } else {
                "too_large_for_queue"
            },
        );
    }

    /// Translates with `translate` (either form of request) into the thread's batch and queues
    /// the documents.
    fn translate_and_queue<E: From<QueueError>>(
        &self,
        receiver: &'static str,
        translate: impl FnOnce(BatchOptions, &mut DocumentBatch) -> Result<(), E>,
    ) -> Result<OtlpOutcome, E> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        // The thread's batch, whose buffers are reused: a new one grows by reallocation (copying
        // what it holds each time) up to the size of the request's documents.
        let mut batch = SCRATCH.with(|s| s.take());
        batch.clear();
        let options = BatchOptions {
            now_unix_secs: now,
            budget: self.budget,
        };
        let result = translate(options, &mut batch).and_then(|()| Ok(self.queue_translated(receiver, &batch)?));
        if batch.encoded_bytes() <= SCRATCH_KEEP_BYTES {
            SCRATCH.with(|s| s.set(batch));
        }
        result
    }

    /// Counts the batch's failures and queues its documents.
    fn queue_translated(&self, receiver: &'static str, batch: &DocumentBatch) -> Result<OtlpOutcome, QueueError> {
        let mut rejected = std::collections::HashSet::new();
        for f in batch.failures() {
            self.metrics.translation_failure(receiver, f.reason.reason());
            tracing::debug!(
                span_id = ?f.span_id.map(|s| s.to_string()),
                trace_id = ?f.trace_id.map(|t| t.to_string()),
                reason = f.reason.reason(),
                error = %f.reason,
                "A span could not be translated."
            );
            rejected.insert((f.trace_id, f.span_id));
        }
        let outcome = OtlpOutcome {
            spans: batch.spans(),
            rejected_spans: rejected.len(),
            error_message: batch.failures().first().map(|f| f.reason.to_string()),
        };
        let docs: Vec<OutgoingDocument> = batch
            .documents()
            .map(|(info, json)| OutgoingDocument {
                trace_id: info.trace_id,
                id: info.id,
                // Encoded from Rust strings: always UTF-8, so the strict check (much faster than
                // the lossy one's chunked scan) never fails; the fallback only keeps it total.
                json: match std::str::from_utf8(json) {
                    Ok(text) => text.to_owned(),
                    Err(_) => String::from_utf8_lossy(json).into_owned(),
                },
            })
            .collect();
        let cost: usize = docs.iter().map(super::queue::cost).sum();
        if let Some(per_span) = cost.checked_div(outcome.spans) {
            self.recent_span_cost.store(per_span, Ordering::Relaxed);
        }
        self.queue_documents(receiver, docs)?;
        // Counted once accepted: spans of refused requests are counted as refusals, not here.
        self.metrics
            .spans_received
            .get_or_create(&ReceiverLabel { receiver })
            .inc_by(outcome.spans as u64);
        Ok(outcome)
    }

    /// Queues documents received as such (X-Ray daemon datagrams), all or none.
    pub fn submit_documents(&self, receiver: &'static str, docs: Vec<OutgoingDocument>) -> Result<(), QueueError> {
        self.queue_documents(receiver, docs)
    }

    fn queue_documents(&self, receiver: &'static str, docs: Vec<OutgoingDocument>) -> Result<(), QueueError> {
        let n = docs.len();
        match self.queue.push_all(docs) {
            Ok(()) => {
                self.metrics
                    .documents_produced
                    .get_or_create(&ReceiverLabel { receiver })
                    .inc_by(n as u64);
                self.metrics.segment_totals.add_received(n as u64);
                self.metrics.queue_documents.inc_by(n as i64);
                self.metrics.queue_bytes.set(self.queue.used_bytes() as i64);
                Ok(())
            }
            Err(e) => {
                let reason = match e {
                    QueueError::Full { .. } => "queue_full",
                    QueueError::TooLarge { .. } => "too_large_for_queue",
                    QueueError::Closed => "shutting_down",
                };
                self.metrics.refused(receiver, reason);
                Err(e)
            }
        }
    }
}
