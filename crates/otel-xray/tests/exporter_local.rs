//! The exporter's writer and daemon transports, driven by a real SDK tracer provider.

use std::io::Write;
use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use otel_xray::XrayExporter;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn provider(exporter: XrayExporter) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_attributes([KeyValue::new("service.name", "checkout")])
                .build(),
        )
        .build()
}

#[test]
fn writer_transport_writes_one_document_per_line() {
    let out = Shared::default();
    let exporter = XrayExporter::builder()
        .with_writer(out.clone())
        .with_indexed_attributes(["order.id"])
        .build()
        .unwrap();
    let stats = exporter.stats();
    let provider = provider(exporter);
    let tracer = provider.tracer("test");
    let root = tracer
        .span_builder("POST /orders")
        .with_kind(SpanKind::Server)
        .start(&tracer);
    let cx = opentelemetry::Context::current_with_span(root);
    {
        let _guard = cx.clone().attach();
        let span = cx.span();
        span.set_attribute(KeyValue::new("order.id", "o-1"));
        span.set_attribute(KeyValue::new("http.request.method", "POST"));
        span.set_attribute(KeyValue::new("http.response.status_code", 201));
        let mut child = tracer.span_builder("GET").with_kind(SpanKind::Client).start(&tracer);
        child.set_attribute(KeyValue::new("url.full", "https://inventory.internal/items/7"));
        child.set_attribute(KeyValue::new("http.response.status_code", 503));
        child.end();
    }
    cx.span().end();
    provider.shutdown().unwrap();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let docs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs.len(), 2);
    let (child, root) = (&docs[0], &docs[1]);
    assert_eq!(root["name"], "checkout");
    assert_eq!(root["annotations"]["order.id"], "o-1");
    assert_eq!(root["http"]["response"]["status"], 201);
    assert_eq!(child["type"], "subsegment");
    assert_eq!(child["parent_id"], root["id"]);
    assert_eq!(child["trace_id"], root["trace_id"]);
    assert_eq!(child["namespace"], "remote");
    assert_eq!(child["fault"], true);
    let s = stats.snapshot();
    assert_eq!((s.spans, s.documents, s.delivered, s.dropped), (2, 2, 2, 0));
}

#[test]
fn daemon_transport_sends_framed_datagrams_and_one_bad_span_loses_nothing_else() {
    let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
    daemon.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let exporter = XrayExporter::builder()
        .with_daemon_address(daemon.local_addr().unwrap().to_string())
        .build()
        .unwrap();
    let stats = exporter.stats();
    let mut exporter = exporter;
    exporter.set_resource(
        &Resource::builder_empty()
            .with_attributes([KeyValue::new("service.name", "worker")])
            .build(),
    );

    // Build three spans through a provider whose exporter we drive by hand.
    let (tx, rx) = std::sync::mpsc::channel();
    let collector = Collector(tx);
    let provider = SdkTracerProvider::builder().with_simple_exporter(collector).build();
    let tracer = provider.tracer("test");
    let mut ok = tracer.start("first");
    ok.set_attribute(KeyValue::new("big", "x".repeat(80_000)));
    ok.end();
    let mut bad = tracer.start("second");
    bad.set_attribute(KeyValue::new("ratio", f64::NAN));
    bad.end();
    tracer.start("third").end();
    provider.shutdown().unwrap();
    let spans: Vec<_> = rx.try_iter().flatten().collect();
    assert_eq!(spans.len(), 3);

    let result = futures_lite_block_on(exporter.export(spans));
    let err = result.expect_err("the NaN span is reported through the SDK's error path");
    assert!(err.to_string().contains("could not be translated"), "{err}");

    let mut names = Vec::new();
    let mut buf = vec![0u8; 70_000];
    for _ in 0..2 {
        let n = daemon.recv(&mut buf).expect("a datagram");
        assert!(n <= 65_507);
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        assert_eq!(header, r#"{"format":"json","version":1}"#);
        let doc: serde_json::Value = serde_json::from_str(body).unwrap();
        names.push(doc["metadata"]["default"].get("big").is_some());
    }
    assert_eq!(
        names,
        vec![false, false],
        "the oversized attribute was shrunk away to fit a datagram"
    );
    let s = stats.snapshot();
    assert_eq!(
        (s.spans, s.documents, s.delivered, s.translation_failures, s.shrunk),
        (3, 2, 2, 1, 1)
    );
}

#[derive(Debug)]
struct Collector(std::sync::mpsc::Sender<Vec<opentelemetry_sdk::trace::SpanData>>);

impl SpanExporter for Collector {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        let _ = self.0.send(batch);
        Ok(())
    }
}

/// Polls a future that is ready without a runtime (the daemon transport finishes synchronously).
fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(f)
}

#[test]
fn nesting_packs_children_into_the_root_document() {
    let out = Shared::default();
    let exporter = XrayExporter::builder()
        .with_writer(out.clone())
        .with_nesting(true)
        .build()
        .unwrap();
    let stats = exporter.stats();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_attributes([KeyValue::new("service.name", "api")])
                .build(),
        )
        .build();
    let tracer = provider.tracer("test");
    let root = tracer
        .span_builder("GET /report")
        .with_kind(SpanKind::Server)
        .start(&tracer);
    let cx = opentelemetry::Context::current_with_span(root);
    for i in 0..20 {
        let mut call = tracer
            .span_builder(format!("call {i}"))
            .with_kind(SpanKind::Client)
            .start_with_context(&tracer, &cx);
        call.set_attribute(KeyValue::new("peer.service", format!("svc{i}")));
        call.end();
    }
    cx.span().end();
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let docs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs.len(), 1, "a request that made 20 calls costs one document");
    let subs = docs[0]["subsegments"].as_array().unwrap();
    assert_eq!(subs.len(), 20);
    assert!(
        subs.iter()
            .all(|s| s.get("parent_id").is_none() && s.get("trace_id").is_none())
    );
    assert_eq!(subs[0]["name"], "svc0");
    let s = stats.snapshot();
    assert_eq!((s.spans, s.documents, s.delivered), (21, 1, 1));
}

#[test]
fn nesting_writes_precursor_ids_for_sequential_and_parallel_calls() {
    use std::time::SystemTime;

    let out = Shared::default();
    let exporter = XrayExporter::builder()
        .with_writer(out.clone())
        .with_nesting(true)
        .build()
        .unwrap();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_attributes([KeyValue::new("service.name", "shop")])
                .build(),
        )
        .build();
    let tracer = provider.tracer("test");
    let t0 = SystemTime::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let root = tracer
        .span_builder("POST /checkout")
        .with_kind(SpanKind::Server)
        .with_start_time(at(0))
        .start(&tracer);
    let cx = opentelemetry::Context::current_with_span(root);
    // `auth`, then `stock` and `price` in parallel, then `pay`, then `mail` while `audit` (started
    // during `pay`) is still running.
    let calls = [
        ("auth", 10, 50),
        ("stock", 60, 200),
        ("price", 65, 120),
        ("pay", 210, 300),
        ("audit", 250, 400),
        ("mail", 310, 350),
    ];
    for (name, start, end) in calls {
        let mut call = tracer
            .span_builder(format!("call {name}"))
            .with_kind(SpanKind::Client)
            .with_start_time(at(start))
            .start_with_context(&tracer, &cx);
        call.set_attribute(KeyValue::new("peer.service", name));
        call.end_with_timestamp(at(end));
    }
    cx.span().end_with_timestamp(at(500));
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let docs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs.len(), 1, "{docs:#?}");
    let root = &docs[0];
    assert!(root.get("precursor_ids").is_none(), "the root segment has no siblings");
    let subs = root["subsegments"].as_array().unwrap();
    let names: Vec<&str> = subs.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["auth", "stock", "price", "pay", "audit", "mail"]);
    let id = |name: &str| {
        subs.iter()
            .find(|s| s["name"] == name)
            .map(|s| s["id"].clone())
            .unwrap()
    };
    let precursors = |name: &str| {
        subs.iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s.get("precursor_ids"))
            .cloned()
            .unwrap_or(serde_json::json!([]))
    };
    assert_eq!(precursors("auth"), serde_json::json!([]));
    assert_eq!(precursors("stock"), serde_json::json!([id("auth")]));
    assert_eq!(
        precursors("price"),
        serde_json::json!([id("auth")]),
        "a parallel call is not a precursor"
    );
    assert_eq!(
        precursors("pay"),
        serde_json::json!([id("auth"), id("price"), id("stock")]),
        "in the order they ended"
    );
    assert_eq!(
        precursors("audit"),
        serde_json::json!([id("auth"), id("price"), id("stock")])
    );
    assert_eq!(
        precursors("mail"),
        serde_json::json!([id("auth"), id("price"), id("stock"), id("pay")]),
        "audit was still running when mail started"
    );
}

/// The exporter keeps its buffers from export to export: an export after one with a failed span
/// and more documents reports success and writes only its own documents.
#[test]
fn a_later_export_carries_nothing_of_an_earlier_one() {
    let (tx, rx) = std::sync::mpsc::channel();
    let provider = SdkTracerProvider::builder().with_simple_exporter(Collector(tx)).build();
    let tracer = provider.tracer("test");
    let mut bad = tracer.start("bad");
    bad.set_attribute(KeyValue::new("ratio", f64::NAN));
    bad.end();
    tracer.start("first-a").end();
    tracer.start("first-b").end();
    tracer.start("second").end();
    provider.shutdown().unwrap();
    let mut spans: Vec<_> = rx.try_iter().flatten().collect();
    assert_eq!(spans.len(), 4);
    let second = spans.split_off(3);

    let out = Shared::default();
    let exporter = XrayExporter::builder().with_writer(out.clone()).build().unwrap();
    let first = futures_lite_block_on(exporter.export(spans));
    assert!(first.is_err(), "the NaN span is reported");
    let written_first = out.0.lock().unwrap().len();
    futures_lite_block_on(exporter.export(second)).expect("a clean batch after a failed one is a success");
    let text = String::from_utf8(out.0.lock().unwrap()[written_first..].to_vec()).unwrap();
    let names: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names.len(), 1, "{text}");
    let s = exporter.stats().snapshot();
    assert_eq!(
        (s.spans, s.documents, s.delivered, s.translation_failures),
        (4, 3, 3, 1)
    );
}
