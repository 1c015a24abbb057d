//! The library exporter end to end (issue "library", item 8): `SpanExporter::export` of a
//! realistic 512-span batch, otel-xray's `XrayExporter` writing newline-delimited documents to
//! `std::io::sink()`, next to opentelemetry-aws 0.21's `XrayExporter` with a client that drops the
//! documents (no-op, the comparison) and with one that serializes them (the work its UDP
//! client does before the send).
//!
//! Run: `taskset -c 0 cargo bench --bench export`. Figures go into BENCHMARKS.md.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, Throughput};
use opentelemetry_aws::xray_exporter::{SegmentDocument, SegmentDocumentExporter, XrayExporter as TheirExporter};
use opentelemetry_sdk::trace::SpanExporter;
use otel_xray::XrayExporter;
use otel_xray_suite::workload::{Language, Workload, WorkloadConfig};

/// Drops every document (the "no-op client").
#[derive(Debug)]
struct NoopClient;

impl SegmentDocumentExporter for NoopClient {
    type Error = std::io::Error;
    async fn export_segment_documents(&self, batch: Vec<SegmentDocument<'_>>) -> Result<(), Self::Error> {
        std::hint::black_box(batch);
        Ok(())
    }
}

/// Serializes every document into a reused buffer, as its UDP client does before sending.
#[derive(Debug, Default)]
struct SerializingClient(std::sync::Mutex<Vec<u8>>);

impl SegmentDocumentExporter for SerializingClient {
    type Error = std::io::Error;
    async fn export_segment_documents(&self, batch: Vec<SegmentDocument<'_>>) -> Result<(), Self::Error> {
        let mut buf = self.0.lock().unwrap();
        buf.clear();
        for doc in batch {
            doc.to_writer(&mut *buf);
        }
        std::hint::black_box(buf.len());
        Ok(())
    }
}

/// Polls a future that completes without waiting (both exporters' work here is synchronous).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the export did not complete synchronously"),
    }
}

fn main() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let workload = Workload::generate(&WorkloadConfig {
        spans: 512,
        language: Language::Java,
        now_unix_secs: now,
        ..Default::default()
    });
    let mut ours = XrayExporter::builder()
        .with_writer(std::io::sink())
        .build()
        .expect("writer exporter");
    ours.set_resource(&workload.resource);
    let mut noop = TheirExporter::new(NoopClient);
    noop.set_resource(&workload.resource);
    let mut serializing = TheirExporter::new(SerializingClient::default());
    serializing.set_resource(&workload.resource);

    // Every exporter accepts the whole batch.
    ready(ours.export(workload.spans.clone())).expect("otel-xray exports the batch");
    assert_eq!(ours.stats().snapshot().delivered, 512);
    ready(noop.export(workload.spans.clone())).expect("opentelemetry-aws exports the batch");

    let mut criterion = Criterion::default().configure_from_args().sample_size(20);
    let mut group = criterion.benchmark_group("export_512/java");
    group.throughput(Throughput::Elements(512));
    group.bench_function("otel-xray/with_writer(sink)", |b| {
        b.iter_batched(
            || workload.spans.clone(),
            |spans| ready(ours.export(spans)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("opentelemetry-aws-0.21/no-op client", |b| {
        b.iter_batched(
            || workload.spans.clone(),
            |spans| ready(noop.export(spans)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("opentelemetry-aws-0.21/serializing client", |b| {
        b.iter_batched(
            || workload.spans.clone(),
            |spans| ready(serializing.export(spans)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
    criterion.final_summary();
}
