//! The exporter's API transport against the scripted X-Ray endpoint: what throttling, a
//! permanent 4xx and partial rejections do to the exporter's result and its counters.

#[path = "../../otel-xray-transport/tests/support/fake_xray.rs"]
mod fake_xray;
#[path = "../../otel-xray-transport/tests/support/moto.rs"]
mod moto;

use std::sync::mpsc;
use std::time::Duration;

use fake_xray::{FakeXray, Step};
use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanKind, Tracer, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use otel_xray::{RetryPolicy, StatsSnapshot, XrayExporter};

/// Spans recorded by a real provider, to hand to the exporter under test by hand.
#[derive(Debug)]
struct Collect(mpsc::Sender<Vec<SpanData>>);

impl SpanExporter for Collect {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let _ = self.0.send(batch);
        Ok(())
    }
}

/// Three finished spans of one trace.
fn spans() -> Vec<SpanData> {
    let (tx, rx) = mpsc::channel();
    let provider = SdkTracerProvider::builder().with_simple_exporter(Collect(tx)).build();
    let tracer = provider.tracer("test");
    // Spans end when dropped: a root and its two children.
    tracer.in_span("GET /orders", |_cx| {
        tracer
            .span_builder("GET")
            .with_kind(SpanKind::Client)
            .with_attributes([KeyValue::new("peer.service", "inventory")])
            .start(&tracer);
        tracer.start("validate");
    });
    provider.shutdown().unwrap();
    rx.try_iter().flatten().collect()
}

/// Runs `export` on a fresh exporter pointed at a fake that answers `steps`, then `Accept`.
fn export_against(steps: Vec<Step>) -> (OTelSdkResult, StatsSnapshot, Vec<fake_xray::Call>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(FakeXray::start(steps, Step::Accept));
    let config = rt.block_on(moto::sdk_config_for(&fake.endpoint()));
    let mut exporter = XrayExporter::builder()
        .with_api(&config)
        .with_request_timeout(Duration::from_millis(300))
        .with_retry_policy(RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(10),
        })
        .build()
        .unwrap();
    exporter.set_resource(
        &Resource::builder_empty()
            .with_attributes([KeyValue::new("service.name", "orders-api")])
            .build(),
    );
    let stats = exporter.stats();
    let batch = spans();
    assert_eq!(batch.len(), 3);
    let result = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), exporter.export(batch))
            .await
            .expect("export finishes within 20 s")
    });
    exporter.shutdown().unwrap();
    (result, stats.snapshot(), fake.calls())
}

#[test]
fn throttling_then_success_is_a_successful_export_with_its_retries_counted() {
    let (result, s, calls) = export_against(vec![Step::Throttle(Some("0")), Step::InternalError]);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(calls.len(), 3);
    assert_eq!((s.documents, s.delivered, s.dropped, s.retries), (3, 3, 0, 2), "{s:?}");
}

#[test]
fn a_rejected_call_fails_the_export_and_counts_every_document_dropped() {
    let (result, s, calls) = export_against(vec![Step::Invalid]);
    let error = result.expect_err("dropped documents are reported through the SDK's error path");
    assert!(error.to_string().contains("3 document(s) not delivered"), "{error}");
    assert!(error.to_string().contains("call_rejected"), "{error}");
    assert_eq!(calls.len(), 1, "a 400 is not retried");
    assert_eq!((s.documents, s.delivered, s.dropped, s.retries), (3, 0, 3, 0), "{s:?}");
}

#[test]
fn a_partial_rejection_fails_the_export_naming_the_code_and_delivers_the_rest() {
    let (result, s, calls) = export_against(vec![Step::UnprocessedAt(vec![(1, "InvalidTraceId")])]);
    let error = result.expect_err("the rejected document is reported");
    assert!(error.to_string().contains("1 document(s) not delivered"), "{error}");
    assert!(
        error.to_string().contains(&format!("segment {}", calls[0].ids[1])),
        "{error}"
    );
    assert!(error.to_string().contains("rejected:InvalidTraceId"), "{error}");
    assert_eq!(calls.len(), 1, "a permanent code is not retried");
    assert_eq!((s.documents, s.delivered, s.dropped), (3, 2, 1), "{s:?}");
}

#[test]
fn an_unattributed_entry_fails_the_export() {
    let (result, s, calls) = export_against(vec![Step::Unprocessed(vec![(
        "ffffffffffffffff".into(),
        "InvalidSegment",
    )])]);
    let error = result.expect_err("an entry naming no document is reported");
    assert!(error.to_string().contains("1 unattributed"), "{error}");
    assert_eq!(calls.len(), 1);
    assert_eq!((s.documents, s.delivered, s.dropped), (3, 3, 0), "{s:?}");
}
