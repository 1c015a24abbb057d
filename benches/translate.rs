//! Translation + serialization throughput of a realistic 512-span batch, side by side:
//!
//! * `otel-xray/otlp`: [`Translator::translate_otlp`] on the OTLP `ExportTraceServiceRequest`,
//! * `otel-xray/sdk`: [`Translator::translate_sdk`] on the SDK `SpanData` batch and its resource,
//! * `opentelemetry-aws`: opentelemetry-aws 0.21's `SegmentTranslator::translate_spans` on the same
//!   `SpanData` batch, each document then serialized with `SegmentDocument::to_writer`. That is the
//!   whole of `XrayExporter::export` with its daemon client, minus the UDP send (checked at start-up
//!   against `XrayExporter::export` with a client that serializes into memory).
//!
//! Every variant writes JSON documents into a buffer reused from batch to batch. The batch comes from
//! `otel_xray_suite::workload` (Java service on ECS, mixed span kinds, 10-15 attributes, about 6 % of
//! the spans with an exception and its stack trace); a second batch with Rust backtraces is measured
//! too, since the two translators parse stack traces of different languages.
//!
//! `cargo bench --bench translate` runs criterion (throughput in spans, `Elements`), then prints a
//! summary table: ns/span, spans/s, JSON bytes/span and allocator calls/span, with the ratio to
//! opentelemetry-aws. Pin it to one core: `taskset -c 0 cargo bench --bench translate`.
//! `cargo bench --bench translate -- --test` (or `cargo test --benches`) runs every variant once and
//! checks the outputs, for CI.
//!
//! Allocations are counted by `stats_alloc`'s instrumented system allocator (the workspace forbids
//! `unsafe_code`, so the bench cannot implement `GlobalAlloc` itself). It adds a few atomic
//! increments to every allocator call, for every variant alike.

use std::alloc::System;
use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use opentelemetry_aws::xray_exporter::{SegmentDocument, SegmentDocumentExporter, SegmentTranslator, XrayExporter};
use opentelemetry_sdk::trace::SpanExporter;
use otel_xray_suite::workload::{Language, Workload, WorkloadConfig};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A criterion measurement: CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`), so that
/// other processes sharing the core do not count (the figure the issue asks for is CPU per span).
struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = ThreadTime;
    type Value = Duration;

    fn start(&self) -> ThreadTime {
        ThreadTime::now()
    }
    fn end(&self, start: ThreadTime) -> Duration {
        start.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// The SDK batch span processor's default batch size.
const BATCH: usize = 512;

// ------------------------------------------------------------------------------------------------
// The three variants
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    OursOtlp,
    OursSdk,
    OpentelemetryAws,
    /// opentelemetry-aws with `metadata_all_attrs()`: unmapped attributes kept as metadata, as
    /// otel-xray does by default (not the comparison target; shows the cost of the extra content).
    OpentelemetryAwsMetadata,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::OursOtlp,
        Variant::OursSdk,
        Variant::OpentelemetryAws,
        Variant::OpentelemetryAwsMetadata,
    ];

    fn id(self) -> &'static str {
        match self {
            Self::OursOtlp => "otel-xray/otlp",
            Self::OursSdk => "otel-xray/sdk",
            Self::OpentelemetryAws => "opentelemetry-aws-0.21",
            Self::OpentelemetryAwsMetadata => "opentelemetry-aws-0.21/meta",
        }
    }
}

/// One workload with everything each variant needs, buffers included.
struct Fixture {
    name: &'static str,
    workload: Workload,
    ours: Translator,
    options: BatchOptions,
    batch: DocumentBatch,
    theirs: SegmentTranslator,
    theirs_metadata: SegmentTranslator,
    buf: Vec<u8>,
}

impl Fixture {
    fn new(name: &'static str, language: Language, now_unix_secs: u64) -> Self {
        let workload = Workload::generate(&WorkloadConfig {
            spans: BATCH,
            language,
            now_unix_secs,
            ..WorkloadConfig::default()
        });
        let mut theirs = SegmentTranslator::new();
        // What `XrayExporter::set_resource` does when the tracer provider starts.
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

    /// Translates and encodes the whole batch once; returns (documents, JSON bytes).
    #[inline(never)]
    fn run(&mut self, variant: Variant) -> (usize, usize) {
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
}

// ------------------------------------------------------------------------------------------------
// Checks: every variant translates every span, and the opentelemetry-aws path measured here is
// what its exporter does.
// ------------------------------------------------------------------------------------------------

/// A `SegmentDocumentExporter` that serializes like `XrayDaemonClient` but adds the bytes up.
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

/// Polls a future that never waits (the exporter with an in-memory client).
fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the in-memory export should complete at once"),
    }
}

fn check(fx: &mut Fixture) {
    for variant in Variant::ALL {
        let (docs, bytes) = fx.run(variant);
        assert_eq!(docs, BATCH, "{} / {}: one document per span", fx.name, variant.id());
        assert!(bytes > 0);
        if matches!(variant, Variant::OursOtlp | Variant::OursSdk) {
            assert!(fx.batch.failures().is_empty(), "{:?}", fx.batch.failures());
        }
    }
    if std::env::var_os("TRANSLATE_BENCH_DUMP").is_some() {
        dump(fx);
    }
    let client = MemoryClient::default();
    let exported = Arc::clone(&client.bytes);
    let mut exporter = XrayExporter::new(client);
    exporter.set_resource(&fx.workload.resource);
    run_ready(exporter.export(fx.workload.spans.clone())).expect("opentelemetry-aws export");
    let (_, direct) = fx.run(Variant::OpentelemetryAws);
    assert_eq!(
        exported.load(Ordering::Relaxed),
        direct,
        "the measured path writes what XrayExporter::export writes"
    );
}

/// Prints the documents of the first trace (eight spans) from each translator to stderr.
fn dump(fx: &mut Fixture) {
    fx.run(Variant::OursOtlp);
    for (_, json) in fx.batch.documents().take(8) {
        eprintln!("{} otel-xray: {}", fx.name, String::from_utf8_lossy(json));
    }
    for doc in fx.theirs.translate_spans(&fx.workload.spans[..8]) {
        eprintln!("{} opentelemetry-aws: {}", fx.name, doc.to_string());
    }
}

// ------------------------------------------------------------------------------------------------
// Summary: time, size and allocations per span
// ------------------------------------------------------------------------------------------------

struct Row {
    workload: &'static str,
    variant: Variant,
    ns_per_span: f64,
    wall_ns_per_span: f64,
    bytes_per_span: f64,
    allocs_per_span: f64,
    reallocs_per_span: f64,
    alloc_bytes_per_span: f64,
}

/// Median over `rounds` rounds of the mean thread-CPU and wall time per span of `batches` batches.
fn time_per_span(fx: &mut Fixture, variant: Variant, rounds: usize, batches: usize) -> (f64, f64) {
    for _ in 0..batches.min(20) {
        black_box(fx.run(variant));
    }
    let spans = (batches * BATCH) as f64;
    let (mut cpu, mut wall): (Vec<f64>, Vec<f64>) = (0..rounds)
        .map(|_| {
            let (cpu, wall) = (ThreadTime::now(), Instant::now());
            for _ in 0..batches {
                black_box(fx.run(variant));
            }
            (
                cpu.elapsed().as_nanos() as f64 / spans,
                wall.elapsed().as_nanos() as f64 / spans,
            )
        })
        .unzip();
    cpu.sort_by(f64::total_cmp);
    wall.sort_by(f64::total_cmp);
    (cpu[rounds / 2], wall[rounds / 2])
}

fn measure(fx: &mut Fixture, variant: Variant, full: bool) -> Row {
    // Warm up so that reused buffers have their final size before counting.
    fx.run(variant);
    let region = Region::new(GLOBAL);
    let (_, bytes) = fx.run(variant);
    let stats = region.change();
    let (rounds, batches) = if full { (15, 100) } else { (1, 1) };
    let per_span = |n: usize| n as f64 / BATCH as f64;
    let (ns_per_span, wall_ns_per_span) = time_per_span(fx, variant, rounds, batches);
    Row {
        workload: fx.name,
        variant,
        ns_per_span,
        wall_ns_per_span,
        bytes_per_span: per_span(bytes),
        allocs_per_span: per_span(stats.allocations),
        reallocs_per_span: per_span(stats.reallocations),
        alloc_bytes_per_span: per_span(stats.bytes_allocated),
    }
}

fn print_summary(rows: &[Row], full: bool) {
    println!();
    if full {
        println!(
            "Summary: {BATCH}-span batches; per round 100 batches, median of 15 rounds; \
             cpu = CPU time of the bench thread, wall = wall-clock time."
        );
    } else {
        println!("Summary (test mode: one batch, times are not meaningful):");
    }
    println!(
        "{:<6} {:<28} {:>12} {:>10} {:>13} {:>11} {:>12} {:>14} {:>13} {:>13}",
        "batch",
        "variant",
        "cpu ns/span",
        "spans/s",
        "wall ns/span",
        "bytes/span",
        "allocs/span",
        "reallocs/span",
        "alloc B/span",
        "aws/this cpu"
    );
    for row in rows {
        let theirs = rows
            .iter()
            .find(|r| r.workload == row.workload && r.variant == Variant::OpentelemetryAws)
            .map_or(f64::NAN, |r| r.ns_per_span);
        println!(
            "{:<6} {:<28} {:>12.0} {:>10.0} {:>13.0} {:>11.0} {:>12.1} {:>14.1} {:>13.0} {:>12.2}x",
            row.workload,
            row.variant.id(),
            row.ns_per_span,
            1e9 / row.ns_per_span,
            row.wall_ns_per_span,
            row.bytes_per_span,
            row.allocs_per_span,
            row.reallocs_per_span,
            row.alloc_bytes_per_span,
            theirs / row.ns_per_span,
        );
    }
}

/// `TRANSLATE_BENCH_ONLY=<batch>/<variant>` (e.g. `java/otel-xray/otlp`): runs that variant
/// `TRANSLATE_BENCH_BATCHES` times (default 50) inside [`profile_loop`] and nothing else, for
/// profilers: `valgrind --tool=callgrind --toggle-collect='*profile_loop*'` then counts exactly
/// those batches.
fn profile_only(fixtures: &mut [Fixture], only: &str) {
    let batches = std::env::var("TRANSLATE_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let (name, id) = only.split_once('/').expect("TRANSLATE_BENCH_ONLY=<batch>/<variant>");
    let fx = fixtures
        .iter_mut()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no batch {name:?} (java, rust)"));
    let variant = Variant::ALL
        .into_iter()
        .find(|v| v.id() == id)
        .unwrap_or_else(|| panic!("no variant {id:?}"));
    let start = Instant::now();
    profile_loop(fx, variant, batches);
    println!("{only}: {batches} batches of {BATCH} spans in {:?}", start.elapsed());
}

#[inline(never)]
fn profile_loop(fx: &mut Fixture, variant: Variant, batches: usize) {
    for _ in 0..batches {
        black_box(fx.run(variant));
    }
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    // Criterion's own rule: `cargo bench` passes `--bench`; `--test` or no `--bench` is test mode.
    let full = has("--bench") && !has("--test") && !has("--list") && !has("--profile-time");

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let mut fixtures = [
        Fixture::new("java", Language::Java, now),
        Fixture::new("rust", Language::Rust, now),
    ];
    for fx in &mut fixtures {
        check(fx);
    }
    if let Ok(only) = std::env::var("TRANSLATE_BENCH_ONLY") {
        profile_only(&mut fixtures, &only);
        return;
    }
    if full {
        let st = fixtures[0].workload.stats();
        println!(
            "Workload: {} spans ({} server, {} client/producer of which {} aws-api and {} sql, {} internal), \
             {}-{} attributes per span ({:.1} on average), {} with an exception, {} resource attributes.",
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
        );
    }

    let mut criterion = Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for fx in &mut fixtures {
        let mut group = criterion.benchmark_group(format!("translate_{BATCH}/{}", fx.name));
        group.throughput(Throughput::Elements(BATCH as u64));
        for variant in Variant::ALL {
            group.bench_function(variant.id(), |b| b.iter(|| fx.run(variant)));
        }
        group.finish();
    }
    criterion.final_summary();

    if has("--list") || has("--profile-time") {
        return;
    }
    let rows: Vec<Row> = fixtures
        .iter_mut()
        .flat_map(|fx| Variant::ALL.map(|v| measure(fx, v, full)))
        .collect();
    print_summary(&rows, full);
}
