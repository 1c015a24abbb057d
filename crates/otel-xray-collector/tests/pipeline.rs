//! The pipeline's stages: documents flow from the ingress to the output in batches of at most
//! 50, a full queue refuses requests instead of growing, and shutdown delivers what was queued.

use std::time::Duration;

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otel_xray_collector::pipeline::PipelineSettings;
use otel_xray_collector::pipeline::queue::QueueError;
use support::in_process::{Lines, request, start_pipeline};

#[tokio::test]
async fn documents_flow_through_and_shutdown_drains_the_queue() {
    let out = Lines::default();
    let settings = PipelineSettings {
        batch_timeout: Duration::from_secs(3600),
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start_pipeline(settings, &out);
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
    let (pipeline, metrics) = start_pipeline(settings, &out);
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
    let (pipeline, metrics) = start_pipeline(PipelineSettings::default(), &out);
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
    let (pipeline, metrics) = start_pipeline(settings, &out);
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

#[tokio::test]
async fn a_full_queue_refuses_requests_like_recent_ones_without_translating_them() {
    let out = Lines::default();
    let settings = PipelineSettings {
        queue_bytes: 40_000,
        batch_timeout: Duration::from_secs(3600),
        senders: 1,
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start_pipeline(settings, &out);
    let ingress = pipeline.ingress();
    // About 1.3 KB per span: the queue keeps about 13 KB free, more than 20 minimal documents.
    ingress.submit_otlp("test", &request(20, 1_000)).unwrap();
    // The same again, with one span that cannot be translated: refused as the recent spans'
    // size says, before translation, so the bad span is never looked at.
    let mut req = request(20, 1_000);
    req.resource_spans[0].scope_spans[0].spans[3].span_id = vec![1, 2, 3];
    let refused = ingress.submit_otlp("test", &req);
    assert!(matches!(refused, Err(QueueError::Full { .. })), "{refused:?}");
    let failures = metrics
        .translation_failures
        .get_or_create(&otel_xray_collector::metrics::FailureLabel {
            receiver: "test",
            reason: "invalid_span_id".into(),
        })
        .get();
    assert_eq!(failures, 0, "the refused request was not translated");
    // A smaller request still fits.
    let small = ingress.submit_otlp("test", &request(5, 1));
    assert!(small.is_ok(), "{small:?}");
    drop(ingress);
    assert!(
        pipeline
            .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
            .await
            .drained
    );
    assert_eq!(out.docs().len(), 25);
}

#[tokio::test]
async fn protobuf_bytes_are_submitted_like_decoded_requests() {
    use otel_xray_collector::pipeline::SubmitError;
    use prost::Message;

    let out = Lines::default();
    let (pipeline, _metrics) = start_pipeline(PipelineSettings::default(), &out);
    let ingress = pipeline.ingress();
    let mut req = request(3, 1);
    req.resource_spans[0].scope_spans[0].spans[1].span_id = vec![1, 2, 3];
    let decoded = ingress.submit_otlp("test", &req).unwrap();
    let bytes = ingress.submit_otlp_protobuf("test", &req.encode_to_vec()).unwrap();
    assert_eq!(bytes, decoded, "same spans, rejected spans and message");
    assert_eq!(bytes.rejected_spans, 1);
    // Empty requests, and requests without spans, are accepted with nothing in them.
    let empty = ingress.submit_otlp_protobuf("test", &[]).unwrap();
    assert_eq!((empty.spans, empty.rejected_spans), (0, 0));
    let no_spans = request(0, 1).encode_to_vec();
    assert_eq!(ingress.submit_otlp_protobuf("test", &no_spans).unwrap().spans, 0);
    // Malformed bytes: the error names the field and where it is.
    let mut bad = request(1, 1);
    bad.resource_spans[0].scope_spans[0].spans[0].name = "\u{e9}".into();
    let mut bad = bad.encode_to_vec();
    let at = bad.iter().position(|&b| b == 0xc3).unwrap();
    bad[at + 1] = 0x28; // no longer a continuation byte
    match ingress.submit_otlp_protobuf("test", &bad) {
        Err(SubmitError::Malformed(e)) => assert!(e.to_string().contains("Span.name"), "{e}"),
        other => panic!("{other:?}"),
    }
    drop(ingress);
    let report = pipeline
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
        .await;
    assert!(report.drained);
    assert_eq!(out.docs().len(), 4, "two documents from each accepted request");
}

#[tokio::test]
async fn a_malformed_request_is_malformed_even_when_the_queue_is_full() {
    use otel_xray_collector::pipeline::SubmitError;
    use prost::Message;

    let out = Lines::default();
    let settings = PipelineSettings {
        queue_bytes: 40_000,
        batch_timeout: Duration::from_secs(3600),
        senders: 1,
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start_pipeline(settings, &out);
    let ingress = pipeline.ingress();
    ingress.submit_otlp("test", &request(20, 1_000)).unwrap();
    let full = ingress.submit_otlp_protobuf("test", &request(100, 1).encode_to_vec());
    assert!(
        matches!(full, Err(SubmitError::Queue(QueueError::Full { .. }))),
        "{full:?}"
    );
    // The same request with a span field of the wrong wire type (Span.name as a varint).
    let mut bad = request(100, 1);
    bad.resource_spans[0].scope_spans[0].spans[99].name.clear();
    let last_span = bad.resource_spans[0].scope_spans[0].spans[99].encode_to_vec();
    let mut span = vec![0x28, 0x01]; // field 5, varint, 1
    span.extend_from_slice(&last_span);
    let mut spans: Vec<Vec<u8>> = bad.resource_spans[0].scope_spans[0].spans[..99]
        .iter()
        .map(Message::encode_to_vec)
        .collect();
    spans.push(span);
    let mut scope = Vec::new();
    for s in &spans {
        prost::encoding::encode_key(2, prost::encoding::WireType::LengthDelimited, &mut scope);
        prost::encoding::encode_varint(s.len() as u64, &mut scope);
        scope.extend_from_slice(s);
    }
    let mut rs = Vec::new();
    prost::encoding::encode_key(2, prost::encoding::WireType::LengthDelimited, &mut rs);
    prost::encoding::encode_varint(scope.len() as u64, &mut rs);
    rs.extend_from_slice(&scope);
    let mut req = Vec::new();
    prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut req);
    prost::encoding::encode_varint(rs.len() as u64, &mut req);
    req.extend_from_slice(&rs);
    assert!(ExportTraceServiceRequest::decode(&req[..]).is_err());
    let malformed = ingress.submit_otlp_protobuf("test", &req);
    assert!(matches!(malformed, Err(SubmitError::Malformed(_))), "{malformed:?}");
    let mut text = String::new();
    prometheus_client::encoding::text::encode_registry(&mut text, &{
        let mut r = prometheus_client::registry::Registry::default();
        metrics.register(&mut r);
        r
    })
    .unwrap();
    assert!(
        text.contains(r#"reason="queue_full"} 1"#),
        "only the valid request counts as refused by the queue: {text}"
    );
    drop(ingress);
    pipeline
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(10))
        .await;
}
