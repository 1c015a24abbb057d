//! The signed path: the AWS SDK for Rust (`aws-sdk-xray`, SigV4-signed with dummy credentials,
//! endpoint override) against Local X-Ray, as the `otel-xray` gateway uses it.

mod api_support;

use api_support::{Server, now, seg_id, trace_id};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_xray::config::Credentials;
use aws_sdk_xray::error::ProvideErrorMetadata;
use aws_sdk_xray::primitives::DateTime;
use serde_json::json;

async fn client(server: &Server) -> aws_sdk_xray::Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.base)
        .load()
        .await;
    aws_sdk_xray::Client::new(&config)
}

#[tokio::test]
async fn aws_sdk_puts_and_reads_back() {
    let server = Server::in_memory().await;
    let xray = client(&server).await;
    let t0 = now().floor();
    let trace = trace_id(t0, 1);
    let parent = json!({
        "trace_id": trace, "id": seg_id(1), "name": "checkout", "start_time": t0, "end_time": t0 + 0.4,
        "http": { "request": { "method": "POST", "url": "https://shop/checkout" }, "response": { "status": 200 } },
        "annotations": { "tenant": "t-1" },
        "subsegments": [ { "id": seg_id(2), "name": "S3", "namespace": "aws", "start_time": t0 + 0.1, "end_time": t0 + 0.2 } ]
    });
    let bad = json!({ "trace_id": trace, "id": seg_id(3), "start_time": t0, "end_time": t0 + 1.0 });
    let put = xray
        .put_trace_segments()
        .trace_segment_documents(parent.to_string())
        .trace_segment_documents(bad.to_string())
        .send()
        .await
        .expect("PutTraceSegments");
    let unprocessed = put.unprocessed_trace_segments();
    assert_eq!(unprocessed.len(), 1);
    assert_eq!(unprocessed[0].id(), Some(seg_id(3).as_str()));
    assert_eq!(unprocessed[0].error_code(), Some("MissingParam"));

    let summaries = xray
        .get_trace_summaries()
        .start_time(DateTime::from_secs_f64(t0 - 60.0))
        .end_time(DateTime::from_secs_f64(t0 + 60.0))
        .filter_expression("annotation.tenant = \"t-1\" AND http.method = \"POST\"")
        .send()
        .await
        .expect("GetTraceSummaries");
    let list = summaries.trace_summaries();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id(), Some(trace.as_str()));
    assert_eq!(list[0].http().and_then(|h| h.http_status()), Some(200));
    assert_eq!(summaries.traces_processed_count(), Some(1));

    let traces = xray
        .batch_get_traces()
        .trace_ids(&trace)
        .send()
        .await
        .expect("BatchGetTraces");
    assert_eq!(traces.traces().len(), 1);
    let document = traces.traces()[0].segments()[0].document().expect("document");
    assert_eq!(serde_json::from_str::<serde_json::Value>(document).unwrap(), parent);

    let graph = xray
        .get_service_graph()
        .start_time(DateTime::from_secs_f64(t0 - 60.0))
        .end_time(DateTime::from_secs_f64(t0 + 60.0))
        .send()
        .await
        .expect("GetServiceGraph");
    let names: Vec<(&str, &str)> = graph
        .services()
        .iter()
        .map(|s| (s.name().unwrap_or(""), s.r#type().unwrap_or("")))
        .collect();
    assert_eq!(names, [("S3", "AWS::S3"), ("checkout", "")]);
    let checkout = &graph.services()[1];
    assert_eq!(checkout.root(), Some(true));
    assert_eq!(checkout.edges().len(), 1);
    assert_eq!(checkout.edges()[0].reference_id(), graph.services()[0].reference_id());

    let trace_graph = xray
        .get_trace_graph()
        .trace_ids(&trace)
        .send()
        .await
        .expect("GetTraceGraph");
    assert_eq!(trace_graph.services().len(), 2);

    let error = xray
        .get_trace_summaries()
        .start_time(DateTime::from_secs_f64(t0 - 60.0))
        .end_time(DateTime::from_secs_f64(t0 + 60.0))
        .filter_expression("json = \"x\"")
        .send()
        .await
        .expect_err("a bad filter fails");
    assert_eq!(error.code(), Some("InvalidRequestException"), "{error:?}");
    assert!(error.message().is_some_and(|m| m.contains("json")), "{error:?}");
    server.stop().await;
}
