//! What the `translate` and `translate_allocs` benches share: the batches, the variants measured
//! and the start-up checks. `cpu` (CPU-time measurement) is shared with the `export` bench, and
//! `export` (the exporters and their batch) by the `export` and `export_allocs` benches.
//!
//! Variants, each translating a whole 512-span batch and writing every document as JSON into a
//! buffer reused from batch to batch:
//!
//! * `otel-xray/otlp`: [`Translator::translate_otlp`] on the OTLP `ExportTraceServiceRequest`;
//! * `otel-xray/sdk`: [`Translator::translate_sdk`] on the SDK `SpanData` batch and its resource;
//! * `opentelemetry-aws-0.21`: opentelemetry-aws 0.21's `SegmentTranslator::translate_spans` on the
//!   same `SpanData` batch, each document then written with `SegmentDocument::to_writer`. That is all
//!   `XrayExporter::export` does with its UDP daemon client, minus the send (checked at start-up
//!   against `XrayExporter::export` with a client that writes into memory);
//! * `opentelemetry-aws-0.21/meta`: the same with `metadata_all_attrs()`, which keeps unmapped
//!   attributes as metadata like otel-xray does by default (not the comparison target: it shows what
//!   the extra content costs opentelemetry-aws).
//!
//! Batches come from `otel_xray_suite::workload`: `java` (Java service on ECS Fargate, Java stack
//! traces) and `rust` (the same with Rust backtraces; each translator parses the stack traces of
//! other languages, so both are measured).

#![allow(dead_code)] // Each bench binary uses part of this module.

pub mod cpu;
pub mod decode;
pub mod export;

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_aws::xray_exporter::{SegmentDocument, SegmentDocumentExporter, SegmentTranslator, XrayExporter};
use opentelemetry_sdk::trace::SpanExporter;
use otel_xray_suite::workload::{Language, Workload, WorkloadConfig};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};

/// The SDK batch span processor's default batch size.
pub const BATCH: usize = 512;

/// The realistic batch every bench measures: [`BATCH`] spans of `language`'s workload, with trace
/// ids of `now_unix_secs`.
pub fn batch_workload(language: Language, now_unix_secs: u64) -> Workload {
    Workload::generate(&WorkloadConfig {
        spans: BATCH,
        language,
        now_unix_secs,
        ..WorkloadConfig::default()
    })
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// otel-xray on the OTLP request.
    OursOtlp,
    /// otel-xray on the SDK spans.
    OursSdk,
    /// opentelemetry-aws 0.21, default translator (the comparison target).
    OpentelemetryAws,
    /// opentelemetry-aws 0.21 with `metadata_all_attrs()`.
    OpentelemetryAwsMetadata,
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::OursOtlp,
        Variant::OursSdk,
        Variant::OpentelemetryAws,
        Variant::OpentelemetryAwsMetadata,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::OursOtlp => "otel-xray/otlp",
            Self::OursSdk => "otel-xray/sdk",
            Self::OpentelemetryAws => "opentelemetry-aws-0.21",
            Self::OpentelemetryAwsMetadata => "opentelemetry-aws-0.21/meta",
        }
    }
}

/// One batch with everything each variant needs, buffers included.
pub struct Fixture {
    pub name: &'static str,
    pub workload: Workload,
    ours: Translator,
    options: BatchOptions,
    pub batch: DocumentBatch,
    theirs: SegmentTranslator,
    theirs_metadata: SegmentTranslator,
    buf: Vec<u8>,
}

impl Fixture {
    pub fn new(name: &'static str, language: Language, now_unix_secs: u64) -> Self {
        let workload = batch_workload(language, now_unix_secs);
        // What `XrayExporter::set_resource` does when the tracer provider starts.
        let mut theirs = SegmentTranslator::new();
        theirs.set_resource(&workload.resource);
        let mut theirs_metadata = SegmentTranslator::new().metadata_all_attrs();
        theirs_metadata.set_resource(&workload.resource);
        Self {
            name,
            workload,
            ours: Translator::new(TranslatorConfig::default()),
            options: BatchOptions {
                now_unix_secs,
                budget: Budget::PutTraceSegments,
            },
            batch: DocumentBatch::new(),
            theirs,
            theirs_metadata,
            buf: Vec::new(),
        }
    }

    /// The `java` and `rust` batches, with trace ids of the current time (opentelemetry-aws rejects
    /// trace ids older than 30 days).
    pub fn both() -> [Fixture; 2] {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        [
            Fixture::new("java", Language::Java, now),
            Fixture::new("rust", Language::Rust, now),
        ]
    }

    /// Translates and encodes the whole batch once; returns (documents, JSON bytes).
    #[inline(never)]
    pub fn run(&mut self, variant: Variant) -> (usize, usize) {
        match variant {
            Variant::OursOtlp => {
                self.batch.clear();
                self.ours
                    .translate_otlp(black_box(&self.workload.request), self.options, &mut self.batch);
                (self.batch.len(), self.batch.encoded_bytes())
            }
            Variant::OursSdk => {
                self.batch.clear();
                self.ours.translate_sdk(
                    black_box(&self.workload.spans),
                    &self.workload.resource,
                    self.options,
                    &mut self.batch,
                );
                (self.batch.len(), self.batch.encoded_bytes())
            }
            Variant::OpentelemetryAws | Variant::OpentelemetryAwsMetadata => {
                let translator = if variant == Variant::OpentelemetryAws {
                    &self.theirs
                } else {
                    &self.theirs_metadata
                };
                self.buf.clear();
                let docs = translator.translate_spans(black_box(&self.workload.spans));
                let n = docs.len();
                for doc in docs {
                    doc.to_writer(&mut self.buf);
                }
                (n, self.buf.len())
            }
        }
    }

    /// Checks that every variant gives one document per span and that the opentelemetry-aws path
    /// measured writes what `XrayExporter::export` writes. With `TRANSLATE_BENCH_DUMP` set, prints
    /// the documents of the first trace.
    pub fn check(&mut self) {
        for variant in Variant::ALL {
            let (docs, bytes) = self.run(variant);
            assert_eq!(docs, BATCH, "{} / {}: one document per span", self.name, variant.id());
            assert!(bytes > 0);
            if matches!(variant, Variant::OursOtlp | Variant::OursSdk) {
                assert!(self.batch.failures().is_empty(), "{:?}", self.batch.failures());
            }
        }
        if std::env::var_os("TRANSLATE_BENCH_DUMP").is_some() {
            self.dump();
        }
        let client = MemoryClient::default();
        let exported = Arc::clone(&client.bytes);
        let mut exporter = XrayExporter::new(client);
        exporter.set_resource(&self.workload.resource);
        run_ready(exporter.export(self.workload.spans.clone())).expect("opentelemetry-aws export");
        let (_, direct) = self.run(Variant::OpentelemetryAws);
        assert_eq!(
            exported.load(Ordering::Relaxed),
            direct,
            "the measured path writes what XrayExporter::export writes"
        );
    }

    /// Prints the documents of the first trace (eight spans) from each translator to stderr.
    fn dump(&mut self) {
        self.run(Variant::OursOtlp);
        for (_, json) in self.batch.documents().take(8) {
            eprintln!("{} otel-xray: {}", self.name, String::from_utf8_lossy(json));
        }
        for doc in self.theirs.translate_spans(&self.workload.spans[..8]) {
            eprintln!("{} opentelemetry-aws: {}", self.name, doc.to_string());
        }
    }
}

/// A `SegmentDocumentExporter` that writes like `XrayDaemonClient` but only adds the bytes up.
#[derive(Debug, Default)]
struct MemoryClient {
    bytes: Arc<AtomicUsize>,
}

impl SegmentDocumentExporter for MemoryClient {
    type Error = std::convert::Infallible;

    async fn export_segment_documents(&self, batch: Vec<SegmentDocument<'_>>) -> Result<(), Self::Error> {
        let mut buf = Vec::new();
        for doc in batch {
            doc.to_writer(&mut buf);
        }
        self.bytes.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// Polls a future that never waits (the exporters with an in-memory client, a writer or a no-op
/// client).
pub fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the in-memory export should complete at once"),
    }
}

/// One line describing the batch.
pub fn describe(fx: &Fixture) -> String {
    describe_workload(fx.name, &fx.workload)
}

/// One line describing a batch.
pub fn describe_workload(name: &str, workload: &Workload) -> String {
    let st = workload.stats();
    format!(
        "Batch `{}`: {} spans ({} server, {} client/producer of which {} aws-api and {} sql, {} internal), \
         {}-{} attributes per span ({:.1} on average), {} with an exception event, {} resource attributes.",
        name,
        st.spans,
        st.server,
        st.client,
        st.aws_api,
        st.sql,
        st.internal,
        st.min_attributes,
        st.max_attributes,
        st.attributes as f64 / st.spans as f64,
        st.with_exception,
        st.resource_attributes,
    )
}
