//! Load tools for the otel-xray gateway (loopback benchmarks, see `benches/gateway_load.sh`).
//!
//! * `sink`: a fake X-Ray API. `POST /TraceSegments` parses the JSON body (gzip-decoded when the
//!   body is gzip, whatever the headers say), counts the documents and answers
//!   `{"UnprocessedTraceSegments":[]}`. `GET /counts` serves the counters as JSON.
//! * `load`: sends pre-built, realistic OTLP trace requests over gRPC or HTTP/protobuf with a fixed
//!   concurrency, records each request's latency and prints one JSON line of results.

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use clap::{Parser, Subcommand, ValueEnum};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message as _;

#[derive(Parser)]
#[command(
    name = "otel-xray-loadgen",
    about = "Load generator and fake X-Ray sink for otel-xray benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a fake X-Ray API that counts the documents it receives.
    Sink {
        /// Address to listen on (loopback).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
    /// Sends OTLP trace requests and reports throughput and latency as one JSON line.
    Load {
        /// Protocol to send with.
        #[arg(long, value_enum)]
        target: Target,
        /// `http://HOST:PORT` for gRPC; the full URL (e.g. `http://HOST:PORT/v1/traces`) for HTTP.
        #[arg(long)]
        endpoint: String,
        /// Spans in each request.
        #[arg(long, default_value_t = 50)]
        spans_per_request: usize,
        /// Number of requests to send.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Give up (stop sending) after this many seconds.
        #[arg(long, default_value_t = 60)]
        max_seconds: u64,
        /// Per-request timeout in seconds.
        #[arg(long, default_value_t = 10)]
        request_timeout: u64,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Target {
    Grpc,
    Http,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sink { listen } => run_sink(listen).await,
        Command::Load {
            target,
            endpoint,
            spans_per_request,
            requests,
            concurrency,
            max_seconds,
            request_timeout,
        } => {
            let opts = LoadOptions {
                target,
                endpoint,
                spans_per_request,
                requests,
                concurrency: concurrency.max(1),
                max_duration: Duration::from_secs(max_seconds),
                request_timeout: Duration::from_secs(request_timeout),
            };
            run_load(opts).await
        }
    };
    if let Err(e) = result {
        eprintln!("otel-xray-loadgen: {e}");
        std::process::exit(1);
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ---------------------------------------------------------------------------------------------
// Sink
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct SinkCounters {
    requests: AtomicU64,
    documents: AtomicU64,
    body_bytes: AtomicU64,
    gzip_bodies: AtomicU64,
    mislabelled_gzip: AtomicU64,
    bad_requests: AtomicU64,
    other_paths: AtomicU64,
}

impl SinkCounters {
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "documents": self.documents.load(Ordering::Relaxed),
            "body_bytes": self.body_bytes.load(Ordering::Relaxed),
            "gzip_bodies": self.gzip_bodies.load(Ordering::Relaxed),
            "mislabelled_gzip": self.mislabelled_gzip.load(Ordering::Relaxed),
            "bad_requests": self.bad_requests.load(Ordering::Relaxed),
            "other_paths": self.other_paths.load(Ordering::Relaxed),
        })
    }
}

async fn run_sink(listen: SocketAddr) -> Result<(), BoxError> {
    let counters = Arc::new(SinkCounters::default());
    let app = Router::new()
        .route("/TraceSegments", post(put_trace_segments))
        .route("/counts", get(counts))
        .fallback(other_path)
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(counters.clone());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    // The driver reads this line to learn the port.
    println!("listening {}", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    println!("{}", counters.snapshot());
    Ok(())
}

async fn counts(State(counters): State<Arc<SinkCounters>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        counters.snapshot().to_string(),
    )
}

async fn other_path(State(counters): State<Arc<SinkCounters>>, uri: Uri) -> impl IntoResponse {
    counters.other_paths.fetch_add(1, Ordering::Relaxed);
    eprintln!("sink: unexpected request for {uri}");
    (StatusCode::NOT_FOUND, "not found")
}

async fn put_trace_segments(
    State(counters): State<Arc<SinkCounters>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    counters.requests.fetch_add(1, Ordering::Relaxed);
    counters.body_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    // rotel labels plain bodies `Content-Encoding: gzip`: decode only what really is gzip.
    let says_gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let is_gzip = body.len() >= 2 && body[0] == 0x1f && body[1] == 0x8b;
    let decoded;
    if says_gzip && !is_gzip {
        counters.mislabelled_gzip.fetch_add(1, Ordering::Relaxed);
    }
    let json: &[u8] = if is_gzip {
        counters.gzip_bodies.fetch_add(1, Ordering::Relaxed);
        let mut out = Vec::with_capacity(body.len() * 4);
        if flate2::read::MultiGzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return bad_request(&counters, "bad gzip body");
        }
        decoded = out;
        &decoded
    } else {
        &body
    };
    let parsed: serde_json::Value = match serde_json::from_slice(json) {
        Ok(v) => v,
        Err(_) => return bad_request(&counters, "body is not JSON"),
    };
    let Some(docs) = parsed.get("TraceSegmentDocuments").and_then(|d| d.as_array()) else {
        return bad_request(&counters, "no TraceSegmentDocuments");
    };
    counters.documents.fetch_add(docs.len() as u64, Ordering::Relaxed);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        r#"{"UnprocessedTraceSegments":[]}"#.to_owned(),
    )
}

fn bad_request(counters: &SinkCounters, why: &str) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    counters.bad_requests.fetch_add(1, Ordering::Relaxed);
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        format!(r#"{{"message":"{why}"}}"#),
    )
}

// ---------------------------------------------------------------------------------------------
// Load generator
// ---------------------------------------------------------------------------------------------

struct LoadOptions {
    target: Target,
    endpoint: String,
    spans_per_request: usize,
    requests: usize,
    concurrency: usize,
    max_duration: Duration,
    request_timeout: Duration,
}

/// One prepared request: the message for gRPC, its protobuf encoding for HTTP.
enum Prepared {
    Grpc(ExportTraceServiceRequest),
    Http(Bytes),
}

#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    ok_requests: u64,
    failed_requests: u64,
    rejected_spans: u64,
    retries: u64,
    first_error: Option<String>,
    first_retry_reason: Option<String>,
}

const MAX_ATTEMPTS: u32 = 30;

type GrpcClient = TraceServiceClient<tonic::transport::Channel>;

/// Sends one request once; returns the rejected-span count or an error, and whether to retry.
async fn send_once(
    item: &Prepared,
    grpc: Option<&mut GrpcClient>,
    http: &reqwest::Client,
    endpoint: &str,
) -> (Result<u64, String>, bool) {
    match item {
        Prepared::Grpc(req) => match grpc {
            Some(client) => match client.export(req.clone()).await {
                Ok(resp) => (
                    Ok(resp
                        .into_inner()
                        .partial_success
                        .map(|p| p.rejected_spans as u64)
                        .unwrap_or(0)),
                    false,
                ),
                Err(status) => {
                    let retry = matches!(status.code(), tonic::Code::Unavailable | tonic::Code::ResourceExhausted);
                    (Err(format!("gRPC {:?}: {}", status.code(), status.message())), retry)
                }
            },
            None => (Err("no gRPC client".to_owned()), false),
        },
        Prepared::Http(body) => {
            let resp = http
                .post(endpoint)
                .header("content-type", "application/x-protobuf")
                .body(body.clone())
                .send()
                .await;
            match resp {
                Ok(resp) if resp.status().is_success() => {
                    let bytes = resp.bytes().await.unwrap_or_default();
                    let rejected = ExportTraceServiceResponse::decode(bytes)
                        .ok()
                        .and_then(|r| r.partial_success)
                        .map(|p| p.rejected_spans as u64)
                        .unwrap_or(0);
                    (Ok(rejected), false)
                }
                Ok(resp) => {
                    let code = resp.status().as_u16();
                    (Err(format!("HTTP {}", resp.status())), code == 429 || code == 503)
                }
                Err(e) => (Err(format!("HTTP error: {e}")), false),
            }
        }
    }
}

async fn run_load(opts: LoadOptions) -> Result<(), BoxError> {
    let build_start = Instant::now();
    let mut generator = Generator::new();
    let mut prepared = Vec::with_capacity(opts.requests);
    for _ in 0..opts.requests {
        let req = generator.request(opts.spans_per_request);
        prepared.push(match opts.target {
            Target::Grpc => Prepared::Grpc(req),
            Target::Http => Prepared::Http(Bytes::from(req.encode_to_vec())),
        });
    }
    let build_secs = build_start.elapsed().as_secs_f64();
    let queue = Arc::new(Mutex::new(prepared.into_iter()));

    let grpc_channel = if opts.target == Target::Grpc {
        let channel = tonic::transport::Endpoint::from_shared(opts.endpoint.clone())?
            .timeout(opts.request_timeout)
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await?;
        Some(channel)
    } else {
        None
    };
    let http_client = reqwest::Client::builder()
        .timeout(opts.request_timeout)
        .pool_max_idle_per_host(opts.concurrency)
        .build()?;

    let start = Instant::now();
    let deadline = start + opts.max_duration;
    let mut tasks = Vec::with_capacity(opts.concurrency);
    for _ in 0..opts.concurrency {
        let queue = queue.clone();
        let grpc = grpc_channel.clone().map(|c| {
            TraceServiceClient::new(c)
                .max_decoding_message_size(64 * 1024 * 1024)
                .max_encoding_message_size(64 * 1024 * 1024)
        });
        let http = http_client.clone();
        let endpoint = opts.endpoint.clone();
        let spans = opts.spans_per_request as u64;
        tasks.push(tokio::spawn(async move {
            let mut result = WorkerResult::default();
            let mut grpc = grpc;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(item) = next else { break };
                let sent = Instant::now();
                // Like an OTLP exporter: retry what the server asks to be retried (gRPC
                // UNAVAILABLE / RESOURCE_EXHAUSTED, HTTP 429 / 503) with backoff from 50 ms,
                // doubling to at most 1 s (server hints are capped at that too), bounded by
                // MAX_ATTEMPTS and the run's deadline. Latency covers all attempts.
                let mut backoff = Duration::from_millis(50);
                let mut attempt = 0u32;
                let outcome: Result<u64, String> = loop {
                    attempt += 1;
                    let (res, retry) = send_once(&item, grpc.as_mut(), &http, &endpoint).await;
                    match res {
                        Err(e) if retry && attempt < MAX_ATTEMPTS && Instant::now() < deadline => {
                            result.retries += 1;
                            if result.first_retry_reason.is_none() {
                                result.first_retry_reason = Some(e);
                            }
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(1));
                        }
                        other => break other,
                    }
                };
                let elapsed = sent.elapsed();
                match outcome {
                    Ok(rejected) => {
                        result.ok_requests += 1;
                        result.rejected_spans += rejected.min(spans);
                        result.latencies.push(elapsed);
                    }
                    Err(e) => {
                        result.failed_requests += 1;
                        if result.first_error.is_none() {
                            result.first_error = Some(e);
                        }
                    }
                }
            }
            result
        }));
    }

    let mut all = WorkerResult::default();
    for task in tasks {
        let r = task.await?;
        all.latencies.extend(r.latencies);
        all.ok_requests += r.ok_requests;
        all.failed_requests += r.failed_requests;
        all.rejected_spans += r.rejected_spans;
        all.retries += r.retries;
        if all.first_retry_reason.is_none() {
            all.first_retry_reason = r.first_retry_reason;
        }
        if all.first_error.is_none() {
            all.first_error = r.first_error;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.latencies.is_empty() {
            return 0.0;
        }
        let idx = ((all.latencies.len() as f64 * p).ceil() as usize).clamp(1, all.latencies.len()) - 1;
        all.latencies[idx].as_secs_f64() * 1000.0
    };
    let spans_ok = all.ok_requests * opts.spans_per_request as u64;
    let report = serde_json::json!({
        "target": match opts.target { Target::Grpc => "grpc", Target::Http => "http" },
        "spans_per_request": opts.spans_per_request,
        "concurrency": opts.concurrency,
        "requests_ok": all.ok_requests,
        "requests_failed": all.failed_requests,
        "spans_sent_ok": spans_ok,
        "spans_rejected": all.rejected_spans,
        "elapsed_s": elapsed,
        "build_s": build_secs,
        "spans_per_s": if elapsed > 0.0 { spans_ok as f64 / elapsed } else { 0.0 },
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "retries": all.retries,
        "first_retry_reason": all.first_retry_reason,
        "first_error": all.first_error,
    });
    println!("{report}");
    Ok(())
}

/// Builds realistic OTLP requests: traces of one server span with client and database children,
/// 10–15 attributes per span, unique trace and span ids across all requests.
struct Generator {
    next_id: u64,
    epoch_secs: u32,
    base_nanos: u64,
    resources: Vec<Resource>,
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}
fn s(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}
fn i(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}
fn b(key: &str, value: bool) -> KeyValue {
    kv(key, any_value::Value::BoolValue(value))
}

impl Generator {
    fn new() -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let services = ["checkout", "cart", "payments", "inventory"];
        let resources = services
            .iter()
            .enumerate()
            .map(|(n, svc)| Resource {
                attributes: vec![
                    s("service.name", *svc),
                    s("service.version", format!("1.{n}.3")),
                    s("deployment.environment.name", "load-test"),
                    s("telemetry.sdk.name", "opentelemetry"),
                    s("telemetry.sdk.language", "java"),
                    s("telemetry.sdk.version", "1.44.1"),
                    s("host.name", format!("ip-10-0-{n}-17.ec2.internal")),
                    s("cloud.provider", "aws"),
                    s("cloud.platform", "aws_ec2"),
                    s("cloud.region", "us-east-1"),
                ],
                ..Default::default()
            })
            .collect();
        Generator {
            // Distinct runs get distinct ids.
            next_id: (now.as_nanos() as u64) & 0x0000_ffff_ffff_ffff,
            epoch_secs: now.as_secs() as u32,
            base_nanos: now.as_nanos() as u64 - 2_000_000_000,
            resources,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn trace_id(&mut self) -> Vec<u8> {
        let mut t = Vec::with_capacity(16);
        t.extend_from_slice(&self.epoch_secs.to_be_bytes());
        t.extend_from_slice(&[0x5a, 0x17, 0x00, 0x01]);
        t.extend_from_slice(&self.id().to_be_bytes());
        t
    }

    fn request(&mut self, spans: usize) -> ExportTraceServiceRequest {
        // Spans are grouped by resource: two resources per request (or one for tiny requests).
        let groups = if spans >= 2 { 2 } else { 1 };
        let mut resource_spans = Vec::with_capacity(groups);
        let mut remaining = spans;
        for g in 0..groups {
            let count = if g + 1 == groups { remaining } else { spans / groups };
            remaining -= count;
            let res = self.resources[(self.next_id as usize + g) % self.resources.len()].clone();
            let svc = match res
                .attributes
                .first()
                .and_then(|a| a.value.as_ref())
                .and_then(|v| v.value.as_ref())
            {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                _ => "svc".to_owned(),
            };
            let mut out = Vec::with_capacity(count);
            while out.len() < count {
                let n = (count - out.len()).min(10);
                self.trace(&svc, n, &mut out);
            }
            resource_spans.push(ResourceSpans {
                resource: Some(res),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "io.opentelemetry.tomcat-10.0".to_owned(),
                        version: "2.10.0-alpha".to_owned(),
                        ..Default::default()
                    }),
                    spans: out,
                    ..Default::default()
                }],
                ..Default::default()
            });
        }
        ExportTraceServiceRequest { resource_spans }
    }

    /// One trace of `n` spans: a server root and `n - 1` children alternating client / database.
    fn trace(&mut self, svc: &str, n: usize, out: &mut Vec<Span>) {
        let trace_id = self.trace_id();
        let root_id = self.id().to_be_bytes().to_vec();
        let seq = self.next_id;
        let start = self.base_nanos + (seq % 1_000_000) * 1_000;
        let root_end = start + 40_000_000;
        let error = seq.is_multiple_of(37);
        out.push(Span {
            trace_id: trace_id.clone(),
            span_id: root_id.clone(),
            name: "GET /api/orders/{id}".to_owned(),
            kind: SpanKind::Server as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: root_end,
            attributes: vec![
                s("http.request.method", "GET"),
                s("url.path", format!("/api/orders/{}", seq % 100_000)),
                s("url.scheme", "https"),
                s("url.query", "expand=items&currency=USD"),
                s("http.route", "/api/orders/{id}"),
                i("http.response.status_code", if error { 500 } else { 200 }),
                s("server.address", format!("{svc}.example.com")),
                i("server.port", 443),
                s("client.address", format!("10.1.{}.{}", seq % 250, (seq / 250) % 250)),
                s(
                    "user_agent.original",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0",
                ),
                s("network.protocol.version", "1.1"),
                s("enduser.id", format!("user-{}", seq % 5000)),
                s("app.tenant", "acme-corp"),
            ],
            status: Some(Status {
                code: if error {
                    OtlpStatusCode::Error
                } else {
                    OtlpStatusCode::Ok
                } as i32,
                message: if error {
                    "internal error".to_owned()
                } else {
                    String::new()
                },
            }),
            ..Default::default()
        });
        for c in 1..n {
            let id = self.id().to_be_bytes().to_vec();
            let cstart = start + c as u64 * 3_000_000;
            let cend = cstart + 2_500_000;
            let span = if c % 2 == 1 {
                Span {
                    trace_id: trace_id.clone(),
                    span_id: id,
                    parent_span_id: root_id.clone(),
                    name: "POST".to_owned(),
                    kind: SpanKind::Client as i32,
                    start_time_unix_nano: cstart,
                    end_time_unix_nano: cend,
                    attributes: vec![
                        s("http.request.method", "POST"),
                        s(
                            "url.full",
                            format!("https://pricing.internal:8443/v2/quotes/{}", seq % 977),
                        ),
                        s("server.address", "pricing.internal"),
                        i("server.port", 8443),
                        i("http.response.status_code", 200),
                        s("network.peer.address", "10.0.3.41"),
                        s("network.protocol.version", "2"),
                        s("peer.service", "pricing"),
                        i("http.request.resend_count", 0),
                        s("app.request_id", format!("req-{seq:x}-{c}")),
                        i("http.request.body.size", 512 + (seq % 300) as i64),
                    ],
                    status: Some(Status {
                        code: OtlpStatusCode::Unset as i32,
                        message: String::new(),
                    }),
                    ..Default::default()
                }
            } else {
                Span {
                    trace_id: trace_id.clone(),
                    span_id: id,
                    parent_span_id: root_id.clone(),
                    name: "SELECT orders".to_owned(),
                    kind: SpanKind::Client as i32,
                    start_time_unix_nano: cstart,
                    end_time_unix_nano: cend,
                    attributes: vec![
                        s("db.system.name", "postgresql"),
                        s("db.namespace", "orders"),
                        s("db.collection.name", "order_items"),
                        s("db.operation.name", "SELECT"),
                        s(
                            "db.query.text",
                            "SELECT id, sku, qty, price FROM order_items WHERE order_id = $1 ORDER BY id",
                        ),
                        s("server.address", "orders-db.cluster-abc.us-east-1.rds.amazonaws.com"),
                        i("server.port", 5432),
                        s("network.peer.address", "10.0.7.12"),
                        i("db.response.returned_rows", (seq % 20) as i64),
                        b("app.cache_hit", seq.is_multiple_of(3)),
                        s("db.user", "app_ro"),
                    ],
                    ..Default::default()
                }
            };
            out.push(span);
        }
    }
}
