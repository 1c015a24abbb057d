//! A request behind ALB or API Gateway carries `X-Amzn-Trace-Id: Root=...` without `Parent`. The
//! trace id must be kept, and the service's segment must be a root segment: no `parent_id`
//! pointing at a segment that will never exist.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, Tracer, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use otel_xray::{XrayExporter, XrayPropagator};

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

#[test]
fn header_without_parent_gives_a_root_segment_in_the_same_trace() {
    let out = Shared::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(XrayExporter::builder().with_writer(out.clone()).build().unwrap())
        .build();
    let tracer = provider.tracer("alb");
    let mut headers = HashMap::new();
    headers.insert(
        "x-amzn-trace-id".to_owned(),
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".to_owned(),
    );
    let parent = XrayPropagator::new().extract(&headers);
    tracer
        .span_builder("GET /")
        .with_kind(SpanKind::Server)
        .start_with_context(&tracer, &parent);
    drop(parent);
    provider.shutdown().unwrap();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(text.lines().next().expect("one document")).unwrap();
    assert_eq!(doc["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
    assert!(
        doc.get("parent_id").is_none(),
        "no parent_id for a header without Parent: {doc}"
    );
}
