//! Helpers for the tests that run the pipeline in the test process: an in-memory writer output,
//! a pipeline started on it, and OTLP requests of a given size.

use std::io::Write;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otel_xray_collector::metrics::Metrics;
use otel_xray_collector::pipeline::output::Output;
use otel_xray_collector::pipeline::{Pipeline, PipelineSettings};
use otel_xray_translate::{Translator, TranslatorConfig};

/// What the pipeline's writer output received, one document per line.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The documents written so far, parsed.
    pub fn docs(&self) -> Vec<serde_json::Value> {
        self.lines().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

/// A pipeline with the default translator, writing into `out`, and its metrics.
pub fn start_pipeline(settings: PipelineSettings, out: &Lines) -> (Pipeline, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    let pipeline = Pipeline::start(
        settings,
        Translator::new(TranslatorConfig::default()),
        Output::Writer(Mutex::new(Box::new(out.clone()))),
        Arc::clone(&metrics),
    );
    (pipeline, metrics)
}

/// One trace of `spans` INTERNAL root spans named `op0`, `op1`, … (span ids 1, 2, …), each with
/// a `payload` attribute of `attr_bytes` bytes.
pub fn request(spans: u32, attr_bytes: usize) -> ExportTraceServiceRequest {
    let spans = (0..spans)
        .map(|i| Span {
            trace_id: vec![7; 16],
            span_id: (u64::from(i) + 1).to_be_bytes().to_vec(),
            name: format!("op{i}"),
            // INTERNAL roots are named after the span, which tests compare.
            kind: 1,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_100_000_000,
            attributes: vec![KeyValue {
                key: "payload".into(),
                value: Some(AnyValue {
                    value: Some(Value::StringValue("p".repeat(attr_bytes))),
                }),
                ..KeyValue::default()
            }],
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource::default()),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}
