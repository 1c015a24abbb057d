//! Counters of what the exporter did, readable by the application at any time.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared between the exporter and [`XrayExporter::stats`](super::XrayExporter::stats).
#[derive(Debug, Default)]
pub struct ExportStats {
    spans: AtomicU64,
    documents: AtomicU64,
    shrunk: AtomicU64,
    delivered: AtomicU64,
    translation_failures: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
}

/// A snapshot of [`ExportStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Spans handed to the exporter.
    pub spans: u64,
    /// Segment documents produced from them.
    pub documents: u64,
    /// Documents shrunk to fit the size limit.
    pub shrunk: u64,
    /// Documents delivered (sent as a datagram, written, or accepted by X-Ray).
    pub delivered: u64,
    /// Spans or documents that could not be translated or encoded.
    pub translation_failures: u64,
    /// Documents produced but not delivered (rejected, socket full, retries exhausted, …).
    pub dropped: u64,
    /// Retried `PutTraceSegments` calls.
    pub retries: u64,
}

impl ExportStats {
    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn record_translation(&self, spans: usize, documents: usize, shrunk: usize, failures: usize) {
        Self::add(&self.spans, spans);
        Self::add(&self.documents, documents);
        Self::add(&self.shrunk, shrunk);
        Self::add(&self.translation_failures, failures);
    }

    pub(crate) fn record_delivery(&self, delivered: usize, dropped: usize, retries: usize) {
        Self::add(&self.delivered, delivered);
        Self::add(&self.dropped, dropped);
        Self::add(&self.retries, retries);
    }

    /// Reads every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            spans: get(&self.spans),
            documents: get(&self.documents),
            shrunk: get(&self.shrunk),
            delivered: get(&self.delivered),
            translation_failures: get(&self.translation_failures),
            dropped: get(&self.dropped),
            retries: get(&self.retries),
        }
    }
}
