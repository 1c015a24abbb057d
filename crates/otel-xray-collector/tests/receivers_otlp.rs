//! The OTLP receivers, spoken to by real OTLP clients (the `opentelemetry-otlp` exporters, a tonic
//! client, an HTTP client and a raw TCP stream): what is accepted reaches the output, bad input gets
//! a clear 4xx, oversized and bomb bodies stop at the cap, and a full queue pushes back with the
//! retryable answers of the OTLP specification.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;

use opentelemetry::trace::{Tracer, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use otel_xray_collector::metrics::{Metrics, ReceiverLabel, RefusalLabel};
use otel_xray_collector::pipeline::output::Output;
use otel_xray_collector::pipeline::{Pipeline, PipelineSettings};
use otel_xray_collector::receivers::otlp_grpc::EXPORT_PATH;
use otel_xray_collector::receivers::{OtlpReceivers, OtlpSettings, StartError};
use otel_xray_translate::{Translator, TranslatorConfig};
use prost::Message;
use prost::bytes::{Buf, BufMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tonic::codec::{CompressionEncoding, DecodeBuf, EncodeBuf};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use support::in_process::{Lines, request, start_pipeline};

const LOOPBACK_ANY_PORT: &str = "127.0.0.1:0";

/// Every test finishes well within this, or fails.
const TEST_DEADLINE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The gateway under test

/// A pipeline writing JSON lines into memory, with both OTLP receivers on ephemeral loopback
/// ports.
struct Gateway {
    pipeline: Pipeline,
    receivers: OtlpReceivers,
    metrics: Arc<Metrics>,
    out: Lines,
}

impl Gateway {
    async fn start(settings: PipelineSettings, max_request_bytes: usize) -> Self {
        Self::start_limited(
            settings,
            max_request_bytes,
            OtlpSettings::default().max_concurrent_requests,
        )
        .await
    }

    async fn start_limited(
        settings: PipelineSettings,
        max_request_bytes: usize,
        max_concurrent_requests: usize,
    ) -> Self {
        let out = Lines::default();
        let (pipeline, metrics) = start_pipeline(settings, &out);
        let receivers = OtlpReceivers::start(
            &OtlpSettings {
                grpc: Some(LOOPBACK_ANY_PORT.parse().unwrap()),
                http: Some(LOOPBACK_ANY_PORT.parse().unwrap()),
                max_request_bytes,
                max_concurrent_requests,
            },
            &pipeline.ingress(),
        )
        .await
        .unwrap();
        Self {
            pipeline,
            receivers,
            metrics,
            out,
        }
    }

    async fn with_cap(max_request_bytes: usize) -> Self {
        Self::start(fast_batches(), max_request_bytes).await
    }

    fn grpc_url(&self) -> String {
        format!("http://{}", self.receivers.grpc_addr().unwrap())
    }

    fn http_url(&self) -> String {
        format!("http://{}/v1/traces", self.receivers.http_addr().unwrap())
    }

    fn http_addr(&self) -> SocketAddr {
        self.receivers.http_addr().unwrap()
    }

    fn refused(&self, receiver: &'static str, reason: &'static str) -> u64 {
        self.metrics
            .requests_refused
            .get_or_create(&RefusalLabel { receiver, reason })
            .get()
    }

    /// The metrics in the Prometheus text format.
    fn metrics_text(&self) -> String {
        let mut registry = prometheus_client::registry::Registry::default();
        self.metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &registry).unwrap();
        text
    }

    /// Stops the receivers, drains the pipeline, and returns every document written.
    async fn finish(self) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        assert!(self.receivers.shutdown(deadline).await, "receivers stopped in time");
        let report = self.pipeline.shutdown(deadline).await;
        assert!(report.drained, "{report:?}");
        self.out.docs()
    }
}

fn fast_batches() -> PipelineSettings {
    PipelineSettings {
        batch_timeout: Duration::from_millis(10),
        ..PipelineSettings::default()
    }
}

/// A queue that holds one request of `request(20, 1_000)` but not two: the batch timeout is an hour,
/// so the first request's documents stay queued until shutdown.
fn small_stuck_queue() -> PipelineSettings {
    PipelineSettings {
        queue_bytes: 40_000,
        batch_timeout: Duration::from_secs(3600),
        senders: 1,
        ..PipelineSettings::default()
    }
}

async fn bounded<F: Future>(test: F) -> F::Output {
    tokio::time::timeout(TEST_DEADLINE, test)
        .await
        .expect("the test finished within its deadline")
}

fn names(docs: &[serde_json::Value]) -> Vec<String> {
    let mut names: Vec<String> = docs
        .iter()
        .map(|d| d["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Three spans, the second with a 3-byte span id that cannot be translated.
fn request_with_one_bad_span() -> ExportTraceServiceRequest {
    let mut req = request(3, 1);
    req.resource_spans[0].scope_spans[0].spans[1].span_id = vec![1, 2, 3];
    req
}

const JSON_REQUEST: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-svc"}}]},
  "scopeSpans":[{"spans":[
    {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"json-a","kind":2,
     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"},
    {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"json-b","kind":2,
     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}"#;

/// Bytes that are not an `ExportTraceServiceRequest`: field 1 claims more bytes than follow.
const MALFORMED_PROTOBUF: &[u8] = &[0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01];

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn post(
    url: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = http_client().post(url).header("content-type", content_type).body(body);
    if let Some(encoding) = encoding {
        req = req.header("content-encoding", encoding);
    }
    let response = req.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

async fn grpc_client(gateway: &Gateway) -> TraceServiceClient<tonic::transport::Channel> {
    TraceServiceClient::connect(gateway.grpc_url())
        .await
        .unwrap()
        .max_encoding_message_size(usize::MAX)
}

/// Sends `body` as the Export message without encoding it, for bytes that are not a request.
async fn grpc_raw(gateway: &Gateway, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    let channel = tonic::transport::Channel::from_shared(gateway.grpc_url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    grpc.unary(
        tonic::Request::new(body),
        tonic::codegen::http::uri::PathAndQuery::from_static(EXPORT_PATH),
        RawCodec,
    )
    .await
    .map(tonic::Response::into_inner)
}

/// A codec passing bytes through unchanged.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
    }
}

/// Ends one span per name through an SDK tracer provider whose simple processor exports with
/// `exporter`, on a blocking thread (the processor blocks on each export).
async fn export_with_sdk(exporter: opentelemetry_otlp::SpanExporter, span_names: &'static [&'static str]) {
    tokio::task::spawn_blocking(move || {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(exporter)
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name("sdk-svc")
                    .build(),
            )
            .build();
        let tracer = provider.tracer("receivers-test");
        for name in span_names {
            tracer.in_span(*name, |_| {});
        }
        provider.shutdown().unwrap();
    })
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Real OTLP exporters

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_grpc_exporter_spans_reach_the_output_with_gzip_and_zstd() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        for (compression, names) in [
            (
                opentelemetry_otlp::Compression::Gzip,
                &["grpc-gzip-1", "grpc-gzip-2"][..],
            ),
            (opentelemetry_otlp::Compression::Zstd, &["grpc-zstd-1"][..]),
        ] {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(gateway.grpc_url())
                .with_compression(compression)
                .build()
                .unwrap();
            export_with_sdk(exporter, names).await;
        }
        let received = gateway
            .metrics
            .spans_received
            .get_or_create(&ReceiverLabel { receiver: "otlp_grpc" })
            .get();
        let text = gateway.metrics_text();
        assert!(
            text.contains(r#"otelxray_request_seconds_count{receiver="otlp_grpc"} 3"#),
            "{text}"
        );
        let docs = gateway.finish().await;
        assert_eq!(names(&docs), ["grpc-gzip-1", "grpc-gzip-2", "grpc-zstd-1"]);
        assert_eq!(received, 3);
        assert!(docs.iter().all(|d| d["name"] != "" && d["trace_id"].is_string()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_http_exporter_spans_reach_the_output_as_protobuf_gzip_and_json() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let protobuf = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(gateway.http_url())
            .with_protocol(Protocol::HttpBinary)
            .with_compression(opentelemetry_otlp::Compression::Gzip)
            .build()
            .unwrap();
        export_with_sdk(protobuf, &["http-proto-1", "http-proto-2"]).await;
        let json = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(gateway.http_url())
            .with_protocol(Protocol::HttpJson)
            .build()
            .unwrap();
        export_with_sdk(json, &["http-json-1"]).await;
        let received = gateway
            .metrics
            .spans_received
            .get_or_create(&ReceiverLabel { receiver: "otlp_http" })
            .get();
        let docs = gateway.finish().await;
        assert_eq!(names(&docs), ["http-json-1", "http-proto-1", "http-proto-2"]);
        assert_eq!(received, 3);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// OTLP/gRPC with a tonic client

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_accepts_plain_gzip_and_zstd_requests() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let plain = grpc_client(&gateway).await;
        let response = plain.clone().export(request(2, 10)).await.unwrap().into_inner();
        assert_eq!(
            response,
            ExportTraceServiceResponse::default(),
            "no partial_success on full success"
        );
        for encoding in [CompressionEncoding::Gzip, CompressionEncoding::Zstd] {
            let mut req = request(1, 10_000);
            req.resource_spans[0].scope_spans[0].spans[0].name = format!("{encoding:?}");
            let response = plain.clone().send_compressed(encoding).export(req).await.unwrap();
            assert_eq!(response.into_inner().partial_success, None);
        }
        let docs = gateway.finish().await;
        assert_eq!(names(&docs), ["Gzip", "Zstd", "op0", "op1"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_partial_success_reports_the_rejected_span() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let response = grpc_client(&gateway)
            .await
            .export(request_with_one_bad_span())
            .await
            .unwrap()
            .into_inner();
        let partial = response.partial_success.expect("partial_success is set");
        assert_eq!(partial.rejected_spans, 1);
        assert!(
            partial.error_message.contains("invalid span id"),
            "{}",
            partial.error_message
        );
        let text = gateway.metrics_text();
        assert!(
            text.contains(r#"otelxray_translation_failures_total{receiver="otlp_grpc",reason="invalid_span_id"} 1"#),
            "{text}"
        );
        assert_eq!(gateway.finish().await.len(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_malformed_protobuf_is_invalid_argument() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let status = grpc_raw(&gateway, MALFORMED_PROTOBUF.to_vec()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        // What was wrong, and where.
        assert!(
            status.message().contains("not a protobuf ExportTraceServiceRequest")
                && status.message().contains("resource_spans at byte 5"),
            "{}",
            status.message()
        );
        assert_eq!(gateway.refused("otlp_grpc", "malformed_protobuf"), 1);
        // The server is still up.
        grpc_client(&gateway).await.export(request(1, 1)).await.unwrap();
        assert_eq!(gateway.finish().await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_oversized_and_bomb_messages_are_resource_exhausted_without_retry_info() {
    bounded(async {
        let gateway = Gateway::with_cap(64 << 10).await;
        let mut client = grpc_client(&gateway).await;
        // 100 spans of 1000 bytes: over the 64 KiB cap as sent.
        let status = client.export(request(100, 1_000)).await.unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(status.get_details_retry_info().is_none(), "not retryable");
        assert_eq!(gateway.refused("otlp_grpc", "too_large"), 1);
        // 1 MiB of one repeated byte: a few KiB compressed, over the cap once decompressed.
        let started = Instant::now();
        let status = client
            .clone()
            .send_compressed(CompressionEncoding::Gzip)
            .export(request(1, 1 << 20))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(status.message().contains("decompressing"), "{}", status.message());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(gateway.refused("otlp_grpc", "decompressed_too_large"), 1);
        assert!(gateway.finish().await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_full_queue_is_unavailable_with_retry_info() {
    bounded(async {
        let gateway = Gateway::start(small_stuck_queue(), 4 << 20).await;
        let mut client = grpc_client(&gateway).await;
        client.export(request(20, 1_000)).await.unwrap();
        let status = client.export(request(20, 1_000)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        let retry = status.get_details_retry_info().expect("RetryInfo");
        assert_eq!(retry.retry_delay, Some(Duration::from_secs(1)));
        // Larger than the whole queue: retrying cannot help, so no RetryInfo.
        let status = client.export(request(60, 1_000)).await.unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(status.get_details_retry_info().is_none());
        assert_eq!(gateway.refused("otlp_grpc", "queue_full"), 1);
        assert_eq!(gateway.refused("otlp_grpc", "too_large_for_queue"), 1);
        assert_eq!(gateway.finish().await.len(), 20);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// OTLP/HTTP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_protobuf_plain_gzip_and_zstd_bodies_are_accepted() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let body = request(2, 100).encode_to_vec();
        let (status, headers, answer) = post(&gateway.http_url(), "application/x-protobuf", None, body.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/x-protobuf");
        assert_eq!(
            ExportTraceServiceResponse::decode(&answer[..]).unwrap(),
            ExportTraceServiceResponse::default()
        );
        let (status, _, _) = post(&gateway.http_url(), "application/x-protobuf", Some("gzip"), gzip(&body)).await;
        assert_eq!(status, 200);
        let zstd = zstd::encode_all(&body[..], 3).unwrap();
        let (status, _, _) = post(&gateway.http_url(), "application/x-protobuf", Some("zstd"), zstd).await;
        assert_eq!(status, 200);
        assert_eq!(gateway.finish().await.len(), 6);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_json_body_is_answered_in_json() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let (status, headers, answer) = post(
            &gateway.http_url(),
            "application/json; charset=utf-8",
            Some("gzip"),
            gzip(JSON_REQUEST.as_bytes()),
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(answer, b"{}");
        let docs = gateway.finish().await;
        assert_eq!(names(&docs), ["json-svc", "json-svc"]);
        assert!(
            docs.iter()
                .all(|d| d["trace_id"] == "1-5b8efff7-98038103d269b633813fc60c")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_partial_success_in_protobuf_and_json() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let (status, _, answer) = post(
            &gateway.http_url(),
            "application/x-protobuf",
            None,
            request_with_one_bad_span().encode_to_vec(),
        )
        .await;
        assert_eq!(status, 200);
        let partial = ExportTraceServiceResponse::decode(&answer[..])
            .unwrap()
            .partial_success
            .unwrap();
        assert_eq!(partial.rejected_spans, 1);
        assert!(partial.error_message.contains("invalid span id"));

        let json = JSON_REQUEST.replace("eee19b7ec3c1b175", "010203");
        let (status, _, answer) = post(&gateway.http_url(), "application/json", None, json.into_bytes()).await;
        assert_eq!(status, 200);
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1");
        assert!(
            answer["partialSuccess"]["errorMessage"]
                .as_str()
                .unwrap()
                .contains("invalid span id")
        );
        assert_eq!(gateway.finish().await.len(), 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_unsupported_content_type_and_encoding_are_415() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let (status, headers, answer) = post(&gateway.http_url(), "text/plain", None, b"hello".to_vec()).await;
        assert_eq!(status, 415);
        assert_eq!(headers["content-type"], "application/x-protobuf");
        let rpc = tonic_types::Status::decode(&answer[..]).unwrap();
        assert!(rpc.message.contains("`text/plain`"), "{}", rpc.message);
        assert_eq!(gateway.refused("otlp_http", "unsupported_content_type"), 1);

        let (status, headers, answer) = post(&gateway.http_url(), "application/json", Some("br"), b"{}".to_vec()).await;
        assert_eq!(status, 415);
        assert_eq!(headers["accept-encoding"], "gzip, zstd, identity");
        let rpc: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert!(rpc["message"].as_str().unwrap().contains("`br`"), "{rpc}");
        assert_eq!(gateway.refused("otlp_http", "unsupported_content_encoding"), 1);
        assert!(gateway.finish().await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_malformed_bodies_are_400_with_a_status_saying_what_is_wrong() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        let (status, headers, answer) = post(
            &gateway.http_url(),
            "application/x-protobuf",
            None,
            MALFORMED_PROTOBUF.to_vec(),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(headers["content-type"], "application/x-protobuf");
        let rpc = tonic_types::Status::decode(&answer[..]).unwrap();
        assert_eq!(rpc.code, Code::InvalidArgument as i32);
        assert!(
            rpc.message.contains("not a protobuf ExportTraceServiceRequest"),
            "{}",
            rpc.message
        );
        assert_eq!(gateway.refused("otlp_http", "malformed_protobuf"), 1);

        let bad = JSON_REQUEST.replace("eee19b7ec3c1b174", "zz");
        let (status, headers, answer) = post(&gateway.http_url(), "application/json", None, bad.into_bytes()).await;
        assert_eq!(status, 400);
        assert_eq!(headers["content-type"], "application/json");
        let rpc: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        let field = "resourceSpans[0].scopeSpans[0].spans[0].spanId";
        assert!(rpc["message"].as_str().unwrap().contains(field), "{rpc}");
        assert_eq!(rpc["details"][0]["@type"], "type.googleapis.com/google.rpc.BadRequest");
        assert_eq!(rpc["details"][0]["fieldViolations"][0]["field"], field);
        assert_eq!(gateway.refused("otlp_http", "malformed_json"), 1);

        // The same in protobuf: the BadRequest detail is readable with tonic-types.
        let bad = JSON_REQUEST.replace("\"kind\":2", "\"kind\":[]");
        let (status, _, answer) = post(&gateway.http_url(), "application/json", None, bad.into_bytes()).await;
        assert_eq!(status, 400);
        let rpc: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(
            rpc["details"][0]["fieldViolations"][0]["field"],
            "resourceSpans[0].scopeSpans[0].spans[0].kind"
        );

        let (status, _, answer) = post(
            &gateway.http_url(),
            "application/json",
            Some("gzip"),
            b"not gzip".to_vec(),
        )
        .await;
        assert_eq!(status, 400);
        assert!(String::from_utf8_lossy(&answer).contains("could not be decompressed"));
        assert_eq!(gateway.refused("otlp_http", "bad_compression"), 1);
        assert!(gateway.finish().await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_oversized_bodies_are_413_whether_declared_or_streamed() {
    bounded(async {
        let cap = 64 << 10;
        let gateway = Gateway::with_cap(cap).await;
        let big = request(100, 1_000).encode_to_vec();
        assert!(big.len() > cap);
        let (status, _, answer) = post(&gateway.http_url(), "application/x-protobuf", None, big.clone()).await;
        assert_eq!(status, 413);
        let rpc = tonic_types::Status::decode(&answer[..]).unwrap();
        assert!(rpc.message.contains("exceeds the 65536-byte limit"), "{}", rpc.message);

        // No Content-Length: the cap applies while reading the chunks.
        let mut tcp = tokio::net::TcpStream::connect(gateway.http_addr()).await.unwrap();
        let head = "POST /v1/traces HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/x-protobuf\r\n\
                    Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        tcp.write_all(head.as_bytes()).await.unwrap();
        for chunk in big.chunks(16 << 10) {
            tcp.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .unwrap();
            tcp.write_all(chunk).await.unwrap();
            tcp.write_all(b"\r\n").await.unwrap();
        }
        tcp.write_all(b"0\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert_eq!(gateway.refused("otlp_http", "too_large"), 2);
        assert!(gateway.finish().await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_gzip_bomb_is_413_quickly() {
    bounded(async {
        let gateway = Gateway::with_cap(4 << 20).await;
        // 100 MiB of zeros as 100 gzip members of 1 MiB: one valid gzip body of about 100 KiB,
        // far under the cap as received.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0; 1 << 20]).unwrap();
        let member = encoder.finish().unwrap();
        let bomb: Vec<u8> = member.iter().copied().cycle().take(member.len() * 100).collect();
        assert!(bomb.len() < 200 << 10, "{}", bomb.len());
        let started = Instant::now();
        let (status, _, answer) = post(&gateway.http_url(), "application/x-protobuf", Some("gzip"), bomb).await;
        assert_eq!(status, 413);
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let rpc = tonic_types::Status::decode(&answer[..]).unwrap();
        assert!(rpc.message.contains("decompresses to more than"), "{}", rpc.message);
        assert_eq!(gateway.refused("otlp_http", "decompressed_too_large"), 1);
        assert!(gateway.finish().await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_full_queue_is_429_with_retry_after_and_too_large_for_the_queue_is_413() {
    bounded(async {
        let gateway = Gateway::start(small_stuck_queue(), 4 << 20).await;
        let url = gateway.http_url();
        let (status, _, _) = post(&url, "application/x-protobuf", None, request(20, 1_000).encode_to_vec()).await;
        assert_eq!(status, 200);
        let (status, headers, answer) =
            post(&url, "application/x-protobuf", None, request(20, 1_000).encode_to_vec()).await;
        assert_eq!(status, 429);
        assert_eq!(headers["retry-after"], "1");
        let rpc = tonic_types::Status::decode(&answer[..]).unwrap();
        assert!(rpc.message.contains("queue is full"), "{}", rpc.message);
        let (status, headers, _) = post(&url, "application/x-protobuf", None, request(60, 1_000).encode_to_vec()).await;
        assert_eq!(status, 413);
        assert!(headers.get("retry-after").is_none());
        assert_eq!(gateway.refused("otlp_http", "queue_full"), 1);
        assert_eq!(gateway.refused("otlp_http", "too_large_for_queue"), 1);
        assert_eq!(gateway.finish().await.len(), 20);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// The shared in-flight limit

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_concurrent_requests_http_is_503_and_grpc_unavailable_until_a_permit_frees() {
    bounded(async {
        let gateway = Gateway::start_limited(fast_batches(), 4 << 20, 1).await;
        // One OTLP/HTTP request holds the only permit: its body arrives in two parts.
        let body = request(1, 10).encode_to_vec();
        let mut slow = tokio::net::TcpStream::connect(gateway.http_addr()).await.unwrap();
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            gateway.http_addr(),
            body.len()
        );
        slow.write_all(head.as_bytes()).await.unwrap();
        slow.write_all(&body[..1]).await.unwrap();
        while gateway.metrics.requests_in_flight.get() < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(gateway.metrics_text().contains("otelxray_requests_in_flight_limit 1"));

        let (status, headers, answer) =
            post(&gateway.http_url(), "application/x-protobuf", None, request(1, 10).encode_to_vec()).await;
        assert_eq!(status, 503);
        assert_eq!(headers["retry-after"], "1");
        let rpc = tonic_types::Status::decode(&answer[..]).unwrap();
        assert!(rpc.message.contains("already in progress"), "{}", rpc.message);

        let status = grpc_client(&gateway).await.export(request(1, 10)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        let retry = status.get_details_retry_info().expect("RetryInfo");
        assert_eq!(retry.retry_delay, Some(Duration::from_secs(1)));
        assert_eq!(gateway.refused("otlp_http", "too_many_requests"), 1);
        assert_eq!(gateway.refused("otlp_grpc", "too_many_requests"), 1);

        // The rest of the body: the slow request completes and frees its permit.
        slow.write_all(&body[1..]).await.unwrap();
        let mut answer = Vec::new();
        slow.read_to_end(&mut answer).await.unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
        while gateway.metrics.requests_in_flight.get() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        grpc_client(&gateway).await.export(request(1, 10)).await.unwrap();
        let (status, _, _) = post(&gateway.http_url(), "application/x-protobuf", None, request(1, 10).encode_to_vec()).await;
        assert_eq!(status, 200);
        assert_eq!(gateway.metrics.requests_in_flight.get(), 0);
        assert_eq!(gateway.finish().await.len(), 3);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_pipeline_is_503_and_unavailable_and_shutdown_closes_the_listeners() {
    bounded(async {
        let Gateway {
            pipeline, receivers, ..
        } = Gateway::with_cap(4 << 20).await;
        let (grpc_addr, http_addr) = (receivers.grpc_addr().unwrap(), receivers.http_addr().unwrap());
        let report = pipeline.shutdown(Instant::now() + Duration::from_secs(10)).await;
        assert!(report.drained);

        let url = format!("http://{http_addr}/v1/traces");
        let (status, headers, _) = post(&url, "application/x-protobuf", None, request(1, 1).encode_to_vec()).await;
        assert_eq!(status, 503);
        assert_eq!(headers["retry-after"], "1");
        let status = TraceServiceClient::connect(format!("http://{grpc_addr}"))
            .await
            .unwrap()
            .export(request(1, 1))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.get_details_retry_info().is_some());

        assert!(receivers.shutdown(Instant::now() + Duration::from_secs(10)).await);
        assert!(tokio::net::TcpStream::connect(http_addr).await.is_err());
        assert!(tokio::net::TcpStream::connect(grpc_addr).await.is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_a_start_error_and_nothing_keeps_running() {
    bounded(async {
        let metrics = Arc::new(Metrics::default());
        let pipeline = Pipeline::start(
            fast_batches(),
            Translator::new(TranslatorConfig::default()),
            Output::Writer(Mutex::new(Box::new(Lines::default()))),
            metrics,
        );
        let taken = std::net::TcpListener::bind(LOOPBACK_ANY_PORT).unwrap();
        let settings = OtlpSettings {
            grpc: Some(LOOPBACK_ANY_PORT.parse().unwrap()),
            http: Some(taken.local_addr().unwrap()),
            ..OtlpSettings::default()
        };
        let error = OtlpReceivers::start(&settings, &pipeline.ingress()).await.unwrap_err();
        assert!(matches!(error, StartError::Bind { protocol: "HTTP", .. }), "{error}");
        assert!(error.to_string().contains("cannot listen for OTLP/HTTP"), "{error}");
        let zero = OtlpSettings {
            max_request_bytes: 0,
            ..settings
        };
        assert!(matches!(
            OtlpReceivers::start(&zero, &pipeline.ingress()).await,
            Err(StartError::InvalidRequestCap(0))
        ));
        let disabled = OtlpSettings {
            grpc: None,
            http: None,
            ..OtlpSettings::default()
        };
        let none = OtlpReceivers::start(&disabled, &pipeline.ingress()).await.unwrap();
        assert_eq!((none.grpc_addr(), none.http_addr()), (None, None));
        assert!(none.shutdown(Instant::now()).await);
        assert!(
            pipeline
                .shutdown(Instant::now() + Duration::from_secs(10))
                .await
                .drained
        );
    })
    .await;
}
