//! The pipeline's stages: documents flow from the ingress to the output in batches of at most
//! 50, a full queue refuses requests instead of growing, and shutdown delivers what was queued.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otel_xray_collector::metrics::Metrics;
use otel_xray_collector::pipeline::output::Output;
use otel_xray_collector::pipeline::queue::QueueError;
use otel_xray_collector::pipeline::{Pipeline, PipelineSettings};
use otel_xray_translate::{Translator, TranslatorConfig};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

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
    fn docs(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn request(spans: u32, attr_bytes: usize) -> ExportTraceServiceRequest {
    let spans = (0..spans)
        .map(|i| Span {
            trace_id: vec![7; 16],
            span_id: (u64::from(i) + 1).to_be_bytes().to_vec(),
            name: format!("op{i}"),
            kind: 2,
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

fn start(settings: PipelineSettings, out: &Lines) -> (Pipeline, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    let pipeline = Pipeline::start(
        settings,
        Translator::new(TranslatorConfig::default()),
        Output::Writer(Mutex::new(Box::new(out.clone()))),
        Arc::clone(&metrics),
    );
    (pipeline, metrics)
}

#[tokio::test]
async fn documents_flow_through_and_shutdown_drains_the_queue() {
    let out = Lines::default();
    let settings = PipelineSettings {
        batch_timeout: Duration::from_secs(3600),
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start(settings, &out);
    let ingress = pipeline.ingress();
    let outcome = ingress.submit_otlp("test", &request(120, 10)).unwrap();
    assert_eq!((outcome.spans, outcome.rejected_spans), (120, 0));
    drop(ingress);
    // The batch timeout is an hour: only shutdown's drain can deliver the last 20.
    let report = pipeline
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
        .await;
    assert!(report.drained, "{report:?}");
    let docs = out.docs();
    assert_eq!(docs.len(), 120);
    let mut ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120, "every document exactly once");
    assert_eq!(metrics.documents_sent.get(), 120);
    assert_eq!(metrics.batches_sent.get(), 3, "batches of at most 50");
    assert_eq!(metrics.queue_documents.get(), 0);
    assert_eq!(metrics.queue_bytes.get(), 0);
}

#[tokio::test]
async fn a_full_queue_refuses_requests_instead_of_growing() {
    let out = Lines::default();
    // Senders blocked: one sender, and the writer is fast, so fill the queue before it drains by
    // using a queue smaller than two requests.
    let settings = PipelineSettings {
        queue_bytes: 40_000,
        batch_timeout: Duration::from_secs(3600),
        senders: 1,
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start(settings, &out);
    let ingress = pipeline.ingress();
    ingress.submit_otlp("test", &request(20, 1_000)).unwrap();
    let refused = ingress.submit_otlp("test", &request(20, 1_000));
    assert!(matches!(refused, Err(QueueError::Full { .. })), "{refused:?}");
    let too_big = ingress.submit_otlp("test", &request(60, 1_000));
    assert!(matches!(too_big, Err(QueueError::TooLarge { .. })), "{too_big:?}");
    let mut text = String::new();
    prometheus_client::encoding::text::encode_registry(&mut text, &{
        let mut r = prometheus_client::registry::Registry::default();
        metrics.register(&mut r);
        r
    })
    .unwrap();
    assert!(
        text.contains(r#"otelxray_requests_refused_total{receiver="test",reason="queue_full"} 1"#),
        "{text}"
    );
    assert!(metrics.queue_bytes.get() <= 40_000);
    drop(ingress);
    let report = pipeline
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
        .await;
    assert!(report.drained);
    assert_eq!(out.docs().len(), 20, "only the accepted request was delivered");
}

#[tokio::test]
async fn partial_translation_failures_are_reported_per_span() {
    let out = Lines::default();
    let (pipeline, metrics) = start(PipelineSettings::default(), &out);
    let mut req = request(3, 1);
    req.resource_spans[0].scope_spans[0].spans[1].span_id = vec![1, 2, 3];
    let outcome = pipeline.ingress().submit_otlp("test", &req).unwrap();
    assert_eq!(outcome.rejected_spans, 1);
    assert!(outcome.error_message.unwrap().contains("invalid span id"));
    let report = pipeline
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
        .await;
    assert!(report.drained);
    assert_eq!(out.docs().len(), 2);
    assert_eq!(
        metrics
            .translation_failures
            .get_or_create(&otel_xray_collector::metrics::FailureLabel {
                receiver: "test",
                reason: "invalid_span_id".into()
            })
            .get(),
        1
    );
}

#[tokio::test]
async fn a_request_that_cannot_fit_is_refused_before_translation() {
    let out = Lines::default();
    let settings = PipelineSettings {
        queue_bytes: 40_000,
        batch_timeout: Duration::from_secs(3600),
        senders: 1,
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start(settings, &out);
    let ingress = pipeline.ingress();
    ingress.submit_otlp("test", &request(20, 1_000)).unwrap();
    let label = otel_xray_collector::metrics::ReceiverLabel { receiver: "test" };
    let received = metrics.spans_received.get_or_create(&label).get();
    // 100 spans need at least 100 minimal documents: more than the free space.
    let refused = ingress.submit_otlp("test", &request(100, 1));
    assert!(matches!(refused, Err(QueueError::Full { .. })), "{refused:?}");
    assert_eq!(
        metrics.spans_received.get_or_create(&label).get(),
        received,
        "not translated"
    );
    // More spans than the whole queue could ever hold: too large, not retryable.
    let never = ingress.submit_otlp("test", &request(1_000, 1));
    assert!(matches!(never, Err(QueueError::TooLarge { .. })), "{never:?}");
    drop(ingress);
    assert!(
        pipeline
            .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
            .await
            .drained
    );
}
