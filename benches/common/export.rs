//! What the `export` and `export_allocs` benches share: the exporters, the variants measured and
//! the start-up checks.
//!
//! Each variant is one `SpanExporter::export` of a fresh clone of a realistic 512-span batch (the
//! `java` batch of `common/mod.rs`, from `otel_xray_suite::workload`). The clone is
//! made by the caller, outside whatever is measured; the export consumes it, so dropping the
//! batch's spans is part of every variant (the `drop-only` reference variant measures that alone).
//!
//! * `otel-xray`: otel-xray's `XrayExporter` built with `with_writer(std::io::sink())`
//!   (translation, JSON encoding, the newline-delimited lines, one write per batch), default
//!   configuration;
//! * `aws-noop`: opentelemetry-aws 0.21's `XrayExporter` with a client that drops the documents
//!   (the comparison: translation only, no serialization);
//! * `aws-serializing`: the same with a client that serializes every document into a buffer reused
//!   from batch to batch, the work its UDP daemon client does before the send;
//! * `drop-only`: no exporter, the batch is only dropped (a reference, not a comparison).

use std::hint::black_box;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_aws::xray_exporter::{SegmentDocument, SegmentDocumentExporter, XrayExporter as TheirExporter};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use otel_xray::XrayExporter;
use otel_xray_suite::workload::{Language, Workload};

use super::{BATCH, run_ready};

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportVariant {
    /// otel-xray's exporter writing to `io::sink()`.
    OtelXray,
    /// opentelemetry-aws 0.21 with a client that drops the documents (the comparison target).
    AwsNoop,
    /// opentelemetry-aws 0.21 with a client that serializes the documents.
    AwsSerializing,
    /// Dropping the batch, nothing else (included in every other variant).
    DropOnly,
}

impl ExportVariant {
    /// The exporters compared (criterion runs these).
    pub const EXPORTERS: [ExportVariant; 3] = [Self::OtelXray, Self::AwsNoop, Self::AwsSerializing];
    /// The exporters and the `drop-only` reference.
    pub const ALL: [ExportVariant; 4] = [Self::OtelXray, Self::AwsNoop, Self::AwsSerializing, Self::DropOnly];

    /// Criterion id and table label.
    pub fn label(self) -> &'static str {
        match self {
            Self::OtelXray => "otel-xray/with_writer(sink)",
            Self::AwsNoop => "opentelemetry-aws-0.21/no-op client",
            Self::AwsSerializing => "opentelemetry-aws-0.21/serializing client",
            Self::DropOnly => "drop-only (no exporter)",
        }
    }

    /// Short name (`EXPORT_BENCH_ONLY`, `benches/export_instructions.sh`).
    pub fn id(self) -> &'static str {
        match self {
            Self::OtelXray => "otel-xray",
            Self::AwsNoop => "aws-noop",
            Self::AwsSerializing => "aws-serializing",
            Self::DropOnly => "drop-only",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// Drops every document (the "no-op client").
#[derive(Debug)]
struct NoopClient;

impl SegmentDocumentExporter for NoopClient {
    type Error = io::Error;
    async fn export_segment_documents(&self, batch: Vec<SegmentDocument<'_>>) -> Result<(), Self::Error> {
        black_box(batch);
        Ok(())
    }
}

/// Serializes every document into a buffer reused from batch to batch, as its UDP client does
/// before sending; records the batch's byte count.
#[derive(Debug, Default)]
struct SerializingClient {
    buf: Mutex<Vec<u8>>,
    last_bytes: Arc<AtomicUsize>,
}

impl SegmentDocumentExporter for SerializingClient {
    type Error = io::Error;
    async fn export_segment_documents(&self, batch: Vec<SegmentDocument<'_>>) -> Result<(), Self::Error> {
        let mut buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        buf.clear();
        for doc in batch {
            doc.to_writer(&mut *buf);
        }
        self.last_bytes.store(buf.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// A writer that only counts bytes and lines (for the start-up check of otel-xray's output).
#[derive(Debug, Default, Clone)]
struct CountingWriter {
    bytes: Arc<AtomicUsize>,
    lines: Arc<AtomicUsize>,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.fetch_add(buf.len(), Ordering::Relaxed);
        let lines = buf.iter().filter(|b| **b == b'\n').count();
        self.lines.fetch_add(lines, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One batch and the three exporters, each with the batch's resource set as the tracer provider
/// does at start-up.
pub struct ExportFixture {
    pub name: &'static str,
    pub workload: Workload,
    ours: XrayExporter,
    noop: TheirExporter<NoopClient>,
    serializing: TheirExporter<SerializingClient>,
    serialized_bytes: Arc<AtomicUsize>,
}

impl ExportFixture {
    pub fn new(name: &'static str, language: Language, now_unix_secs: u64) -> Self {
        let workload = super::batch_workload(language, now_unix_secs);
        let mut ours = XrayExporter::builder()
            .with_writer(io::sink())
            .build()
            .expect("writer exporter");
        ours.set_resource(&workload.resource);
        let mut noop = TheirExporter::new(NoopClient);
        noop.set_resource(&workload.resource);
        let client = SerializingClient::default();
        let serialized_bytes = Arc::clone(&client.last_bytes);
        let mut serializing = TheirExporter::new(client);
        serializing.set_resource(&workload.resource);
        Self {
            name,
            workload,
            ours,
            noop,
            serializing,
            serialized_bytes,
        }
    }

    /// The `java` batch (trace ids of the current time: opentelemetry-aws rejects trace ids older
    /// than 30 days), with exporters that have not exported yet.
    pub fn java() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        Self::new("java", Language::Java, now)
    }

    /// A fresh clone of the batch.
    pub fn clone_batch(&self) -> Vec<SpanData> {
        self.workload.spans.clone()
    }

    /// `n` fresh clones of the batch.
    pub fn clone_batches(&self, n: usize) -> Vec<Vec<SpanData>> {
        (0..n).map(|_| self.clone_batch()).collect()
    }

    /// One export of `spans` (consumed, so dropped inside) by `variant`.
    #[inline(never)]
    pub fn export(&self, variant: ExportVariant, spans: Vec<SpanData>) -> OTelSdkResult {
        match variant {
            ExportVariant::OtelXray => run_ready(self.ours.export(spans)),
            ExportVariant::AwsNoop => run_ready(self.noop.export(spans)),
            ExportVariant::AwsSerializing => run_ready(self.serializing.export(spans)),
            ExportVariant::DropOnly => {
                drop(black_box(spans));
                Ok(())
            }
        }
    }

    /// Checks that every variant exports the whole batch without error, and that otel-xray writes
    /// one line per span (through a separate exporter with a counting writer); prints the bytes per
    /// span written by otel-xray and by the serializing client.
    pub fn check(&self) {
        for variant in ExportVariant::ALL {
            let spans = self.workload.spans.clone();
            self.export(variant, spans)
                .unwrap_or_else(|e| panic!("{} / {}: {e}", self.name, variant.label()));
        }
        let snapshot = self.ours.stats().snapshot();
        assert!(snapshot.delivered >= BATCH as u64, "{snapshot:?}");

        let writer = CountingWriter::default();
        let mut counted = XrayExporter::builder()
            .with_writer(writer.clone())
            .build()
            .expect("writer exporter");
        counted.set_resource(&self.workload.resource);
        run_ready(counted.export(self.workload.spans.clone())).expect("otel-xray export");
        let snapshot = counted.stats().snapshot();
        assert_eq!(
            snapshot.delivered, BATCH as u64,
            "{} otel-xray: {snapshot:?}",
            self.name
        );
        assert_eq!(
            snapshot.translation_failures, 0,
            "{} otel-xray: {snapshot:?}",
            self.name
        );
        assert_eq!(
            writer.lines.load(Ordering::Relaxed),
            BATCH,
            "{}: one line per span",
            self.name
        );
        let ours_bytes = writer.bytes.load(Ordering::Relaxed);
        let theirs_bytes = self.serialized_bytes.load(Ordering::Relaxed);
        assert!(ours_bytes > 0 && theirs_bytes > 0);
        println!(
            "Batch `{}`: otel-xray writes {:.0} bytes/span (newline-delimited JSON), opentelemetry-aws's \
             serializing client {:.0} bytes/span (JSON).",
            self.name,
            ours_bytes as f64 / BATCH as f64,
            theirs_bytes as f64 / BATCH as f64,
        );
    }
}
