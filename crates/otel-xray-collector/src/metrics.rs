//! The gateway's Prometheus metrics. Every drop, refusal and rejection has a counter with its
//! reason; the admin server exposes the registry at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use otel_xray_transport::telemetry::SegmentCounts;
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

/// A receiver + failure-reason label (`translation_failures`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabel {
    /// Which receiver the span or document came through.
    pub receiver: &'static str,
    /// Why it could not be translated.
    pub reason: String,
}

/// An `UnprocessedTraceSegments` error-code label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// X-Ray's `ErrorCode`.
    pub error_code: String,
}

/// Running totals of segment documents for `PutTelemetryRecords` (not exported to Prometheus;
/// the labelled families above carry the same information in more detail).
#[derive(Debug, Default)]
pub struct SegmentTotals {
    received: AtomicU64,
    sent: AtomicU64,
    spillover: AtomicU64,
    rejected: AtomicU64,
}

impl SegmentTotals {
    /// Documents accepted into the queue.
    pub fn add_received(&self, n: u64) {
        self.received.fetch_add(n, Ordering::Relaxed);
    }

    /// Documents X-Ray (or the output) accepted.
    pub fn add_sent(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
    }

    /// Documents dropped after queuing because a retry budget or a transport ran out.
    pub fn add_spillover(&self, n: u64) {
        self.spillover.fetch_add(n, Ordering::Relaxed);
    }

    /// Spans or documents rejected as invalid, by the gateway or by X-Ray.
    pub fn add_rejected(&self, n: u64) {
        self.rejected.fetch_add(n, Ordering::Relaxed);
    }

    /// The totals so far.
    pub fn counts(&self) -> SegmentCounts {
        SegmentCounts {
            received: self.received.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            spillover: self.spillover.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }
}

/// Every metric of the gateway.
#[derive(Debug)]
pub struct Metrics {
    /// Spans received, by receiver.
    pub spans_received: Family<ReceiverLabel, Counter>,
    /// Segment documents produced (translated spans, or documents received over UDP), by receiver.
    pub documents_produced: Family<ReceiverLabel, Counter>,
    /// Spans or documents that could not be translated or were malformed, by receiver and reason.
    pub translation_failures: Family<FailureLabel, Counter>,
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
    /// OTLP requests being read, decoded and translated now (gRPC and HTTP together).
    pub requests_in_flight: Gauge<i64, AtomicI64Compat>,
    /// The most OTLP requests handled at once (`receivers.max_concurrent_requests`).
    pub requests_in_flight_limit: Gauge<i64, AtomicI64Compat>,
    /// Time to handle one receiver request, by receiver.
    pub request_seconds: Family<ReceiverLabel, Histogram>,
    /// Time to deliver one batch.
    pub batch_seconds: Histogram,
    /// Totals for `PutTelemetryRecords`.
    pub segment_totals: SegmentTotals,
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
            requests_in_flight: Gauge::default(),
            requests_in_flight_limit: Gauge::default(),
            request_seconds: Family::new_with_constructor(histogram),
            batch_seconds: histogram(),
            segment_totals: SegmentTotals::default(),
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
            "Spans or documents that could not be translated or were malformed, by receiver and reason",
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
            "requests_in_flight",
            "OTLP requests being read, decoded and translated now",
            self.requests_in_flight.clone(),
        );
        r.register(
            "requests_in_flight_limit",
            "Most OTLP requests handled at once; more are refused with reason too_many_requests",
            self.requests_in_flight_limit.clone(),
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

    /// Counts a translation failure of a span or document that came through `receiver`.
    pub fn translation_failure(&self, receiver: &'static str, reason: &str) {
        self.translation_failures
            .get_or_create(&FailureLabel {
                receiver,
                reason: reason.to_owned(),
            })
            .inc();
        self.segment_totals.add_rejected(1);
    }
}
