//! The gateway's Prometheus metrics. Every drop, refusal and rejection has a counter with its
//! reason; the admin server exposes the registry at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A receiver label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReceiverLabel {
    /// `otlp_grpc`, `otlp_http` or `xray_udp`.
    pub receiver: &'static str,
}

/// A reason label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// Why.
    pub reason: String,
}

/// A receiver + reason label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabel {
    /// Which receiver refused.
    pub receiver: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// An `UnprocessedTraceSegments` error-code label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// X-Ray's `ErrorCode`.
    pub error_code: String,
}

/// Every metric of the gateway.
#[derive(Debug)]
pub struct Metrics {
    /// Spans received, by receiver.
    pub spans_received: Family<ReceiverLabel, Counter>,
    /// Segment documents produced (translated spans, or documents received over UDP), by receiver.
    pub documents_produced: Family<ReceiverLabel, Counter>,
    /// Spans or documents that could not be translated or were malformed, by reason.
    pub translation_failures: Family<ReasonLabel, Counter>,
    /// Requests refused (queue full, too large, bad input), by receiver and reason.
    pub requests_refused: Family<RefusalLabel, Counter>,
    /// Documents delivered.
    pub documents_sent: Counter,
    /// Documents dropped after queuing, by reason.
    pub documents_dropped: Family<ReasonLabel, Counter>,
    /// `UnprocessedTraceSegments` entries, by error code.
    pub unprocessed_segments: Family<CodeLabel, Counter>,
    /// Retried calls.
    pub retries: Counter,
    /// `PutTraceSegments` (or datagram/write) batches sent.
    pub batches_sent: Counter,
    /// Bytes held by the queue.
    pub queue_bytes: Gauge<i64, AtomicI64Compat>,
    /// The queue's capacity in bytes.
    pub queue_capacity_bytes: Gauge<i64, AtomicI64Compat>,
    /// Documents held by the queue and senders.
    pub queue_documents: Gauge<i64, AtomicI64Compat>,
    /// Time to handle one receiver request, by receiver.
    pub request_seconds: Family<ReceiverLabel, Histogram>,
    /// Time to deliver one batch.
    pub batch_seconds: Histogram,
}

/// The gauge's atomic type.
pub type AtomicI64Compat = std::sync::atomic::AtomicI64;

fn histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.5, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            spans_received: Family::default(),
            documents_produced: Family::default(),
            translation_failures: Family::default(),
            requests_refused: Family::default(),
            documents_sent: Counter::default(),
            documents_dropped: Family::default(),
            unprocessed_segments: Family::default(),
            retries: Counter::default(),
            batches_sent: Counter::default(),
            queue_bytes: Gauge::default(),
            queue_capacity_bytes: Gauge::default(),
            queue_documents: Gauge::default(),
            request_seconds: Family::new_with_constructor(histogram),
            batch_seconds: histogram(),
        }
    }
}

impl Metrics {
    /// Registers every metric under the `otelxray` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("otelxray");
        r.register(
            "spans_received",
            "Spans received, by receiver",
            self.spans_received.clone(),
        );
        r.register(
            "documents_produced",
            "Segment documents produced from received spans or datagrams, by receiver",
            self.documents_produced.clone(),
        );
        r.register(
            "translation_failures",
            "Spans or documents that could not be translated or were malformed, by reason",
            self.translation_failures.clone(),
        );
        r.register(
            "requests_refused",
            "Requests refused, by receiver and reason",
            self.requests_refused.clone(),
        );
        r.register(
            "documents_sent",
            "Segment documents delivered",
            self.documents_sent.clone(),
        );
        r.register(
            "documents_dropped",
            "Queued documents not delivered, by reason",
            self.documents_dropped.clone(),
        );
        r.register(
            "unprocessed_segments",
            "UnprocessedTraceSegments entries returned by X-Ray, by error code",
            self.unprocessed_segments.clone(),
        );
        r.register("retries", "Retried PutTraceSegments calls", self.retries.clone());
        r.register(
            "batches_sent",
            "Batches handed to the output",
            self.batches_sent.clone(),
        );
        r.register(
            "queue_bytes",
            "Bytes held by the queue and senders",
            self.queue_bytes.clone(),
        );
        r.register(
            "queue_capacity_bytes",
            "Capacity of the queue in bytes",
            self.queue_capacity_bytes.clone(),
        );
        r.register(
            "queue_documents",
            "Documents held by the queue and senders",
            self.queue_documents.clone(),
        );
        r.register(
            "request_seconds",
            "Time to handle one receiver request",
            self.request_seconds.clone(),
        );
        r.register("batch_seconds", "Time to deliver one batch", self.batch_seconds.clone());
    }

    /// Counts a refusal.
    pub fn refused(&self, receiver: &'static str, reason: &'static str) {
        self.requests_refused
            .get_or_create(&RefusalLabel { receiver, reason })
            .inc();
    }

    /// Counts a translation failure.
    pub fn translation_failure(&self, reason: &str) {
        self.translation_failures
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }
}
