//! Two axum services in one process, a trace crossing from one to the other in both header forms,
//! exported straight to the X-Ray API.
//!
//! What it shows:
//!
//! * a `frontend` and a `backend` axum service, each with its own OpenTelemetry provider (so each has
//!   its own `service.name`, as two real services would), both with [`XrayIdGenerator`] and
//!   [`XrayExporter`] on the API transport: `XrayExporter::builder().with_api(&aws_config)`, with the
//!   region, credentials and endpoint of an `aws_config::SdkConfig` the application loaded;
//! * one composite propagator, W3C `TraceContextPropagator` + [`XrayPropagator`]: the frontend's call to
//!   the backend (with `reqwest`) carries both `traceparent` and `X-Amzn-Trace-Id`, and the backend
//!   extracts them, so its segment's `parent_id` is the frontend's client subsegment;
//! * small [`Extractor`]/[`Injector`] adapters for `http::HeaderMap`, which axum and reqwest share;
//! * a clean exit: both servers stop, then both providers shut down, which flushes their batch
//!   processors through the exporter's API worker.
//!
//! The process drives itself: it sends N requests to the frontend (N from the first argument, else
//! `OTEL_XRAY_EXAMPLE_REQUESTS`, else 3), prints the headers the backend received, flushes and exits.
//! It exits with an error if any document was not accepted.
//!
//! Run it against moto (`pip install 'moto[server,xray]'`), which implements `PutTraceSegments`:
//!
//! ```sh
//! moto_server -H 127.0.0.1 -p 5000 &
//! AWS_ENDPOINT_URL_XRAY=http://127.0.0.1:5000 AWS_REGION=us-east-1 \
//!     AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!     cargo run --example axum_services -- 3
//! ```
//!
//! With real credentials and no `AWS_ENDPOINT_URL_XRAY` the traces go to X-Ray in `AWS_REGION`.
//! `tests/examples.rs` runs it against moto and reads the traces back with `aws-sdk-xray`.

use std::error::Error;
use std::future::IntoFuture as _;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::routing::get;
use opentelemetry::propagation::{Extractor, Injector, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use otel_xray::{ExportStats, XrayExporter, XrayIdGenerator, XrayPropagator};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Where the number of requests comes from when there is no argument.
const REQUESTS_ENV: &str = "OTEL_XRAY_EXAMPLE_REQUESTS";
const DEFAULT_REQUESTS: u32 = 3;

/// Reads headers from an `http::HeaderMap` (case-insensitive, as HTTP header names are).
struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Writes headers into an `http::HeaderMap`; values that are not valid header values are skipped.
struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(key.as_bytes()), HeaderValue::from_str(&value)) {
            self.0.insert(name, value);
        }
    }
}

/// `server.address` and `server.port` from the `Host` header, so the segment's `http.request.url` is
/// complete.
fn host_attributes(headers: &HeaderMap) -> Vec<KeyValue> {
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    match host.rsplit_once(':') {
        Some((address, port)) => match port.parse::<i64>() {
            Ok(port) => vec![
                KeyValue::new("server.address", address.to_owned()),
                KeyValue::new("server.port", port),
            ],
            Err(_) => vec![KeyValue::new("server.address", host.to_owned())],
        },
        None if host.is_empty() => Vec::new(),
        None => vec![KeyValue::new("server.address", host.to_owned())],
    }
}

/// W3C `traceparent` and X-Ray `X-Amzn-Trace-Id`, read and written together.
fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(XrayPropagator::new()),
    ])
}

/// One service's tracing: a provider exporting to the X-Ray API, and the exporter's counters.
struct Telemetry {
    provider: SdkTracerProvider,
    stats: Arc<ExportStats>,
}

impl Telemetry {
    fn new(service_name: &'static str, aws: &aws_config::SdkConfig) -> Result<Self, otel_xray::BuildError> {
        let exporter = XrayExporter::builder().with_api(aws).build()?;
        let stats = exporter.stats();
        let provider = SdkTracerProvider::builder()
            .with_id_generator(XrayIdGenerator::new())
            .with_resource(Resource::builder().with_service_name(service_name).build())
            .with_batch_exporter(exporter)
            .build();
        Ok(Self { provider, stats })
    }
}

#[derive(Clone)]
struct Frontend {
    tracer: SdkTracer,
    propagator: Arc<TextMapCompositePropagator>,
    client: reqwest::Client,
    /// `http://127.0.0.1:PORT` of the backend.
    backend: String,
}

#[derive(Clone)]
struct Backend {
    tracer: SdkTracer,
    propagator: Arc<TextMapCompositePropagator>,
}

/// The frontend's handler: a server span around one call to the backend.
async fn checkout(
    State(frontend): State<Frontend>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    let tracer = &frontend.tracer;
    let parent = frontend.propagator.extract(&HeaderExtractor(&headers));
    let span = tracer
        .span_builder("GET /checkout/{order_id}")
        .with_kind(SpanKind::Server)
        .with_attributes(
            [
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.route", "/checkout/{order_id}"),
                KeyValue::new("url.path", format!("/checkout/{order_id}")),
                KeyValue::new("url.scheme", "http"),
            ]
            .into_iter()
            .chain(host_attributes(&headers)),
        )
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);

    let (status, body) = match call_backend(&frontend, &cx, &order_id).await {
        Ok(stock) => (StatusCode::OK, format!("order {order_id}: {stock}")),
        Err(e) => {
            cx.span().set_status(Status::error(e.to_string()));
            (StatusCode::BAD_GATEWAY, format!("the backend failed: {e}"))
        }
    };
    cx.span()
        .set_attribute(KeyValue::new("http.response.status_code", i64::from(status.as_u16())));
    cx.span().end();
    (status, body)
}

/// The frontend's call to the backend: a client span whose context travels in the request headers.
async fn call_backend(frontend: &Frontend, cx: &Context, order_id: &str) -> Result<String, reqwest::Error> {
    let tracer = &frontend.tracer;
    let url = format!("{}/stock/{order_id}", frontend.backend);
    let span = tracer
        .span_builder("GET /stock/{order_id}")
        .with_kind(SpanKind::Client)
        .with_attributes([
            // Names the subsegment, as the remote service.
            KeyValue::new("peer.service", "backend"),
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("url.full", url.clone()),
        ])
        .start_with_context(tracer, cx);
    let cx = cx.with_span(span);

    let mut headers = HeaderMap::new();
    frontend
        .propagator
        .inject_context(&cx, &mut HeaderInjector(&mut headers));
    let result = async {
        let response = frontend.client.get(&url).headers(headers).send().await?;
        cx.span().set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(response.status().as_u16()),
        ));
        response.error_for_status()?.text().await
    }
    .await;
    if let Err(e) = &result {
        cx.span().set_status(Status::error(e.to_string()));
    }
    cx.span().end();
    result
}

/// The backend's handler: prints the trace headers it got and continues the trace.
async fn stock(State(backend): State<Backend>, Path(order_id): Path<String>, headers: HeaderMap) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("-")
            .to_owned()
    };
    println!(
        "backend received: X-Amzn-Trace-Id={} traceparent={}",
        header("x-amzn-trace-id"),
        header("traceparent")
    );

    let tracer = &backend.tracer;
    let parent = backend.propagator.extract(&HeaderExtractor(&headers));
    let span = tracer
        .span_builder("GET /stock/{order_id}")
        .with_kind(SpanKind::Server)
        .with_attributes(
            [
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.route", "/stock/{order_id}"),
                KeyValue::new("url.path", format!("/stock/{order_id}")),
                KeyValue::new("url.scheme", "http"),
                KeyValue::new("http.response.status_code", 200),
            ]
            .into_iter()
            .chain(host_attributes(&headers)),
        )
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);
    let answer = format!("{} in stock", order_id.len() % 7 + 1);
    cx.span().end();
    answer
}

/// How many requests to send: the first argument, else `OTEL_XRAY_EXAMPLE_REQUESTS`, else 3.
fn requests() -> Result<u32, Box<dyn Error>> {
    let Some(value) = std::env::args().nth(1).or_else(|| std::env::var(REQUESTS_ENV).ok()) else {
        return Ok(DEFAULT_REQUESTS);
    };
    value
        .parse()
        .map_err(|e| format!("the number of requests must be a whole number, not {value:?}: {e}").into())
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The exporter reports documents it could not deliver as `tracing` warnings: show them on stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .init();
    let requests = requests()?;
    // Region, credentials and endpoint (AWS_ENDPOINT_URL_XRAY, AWS_ENDPOINT_URL) from the standard chains.
    let aws = aws_config::load_defaults(BehaviorVersion::latest()).await;
    if aws.region().is_none() {
        return Err("no AWS region: set AWS_REGION".into());
    }
    let frontend_telemetry = Telemetry::new("frontend", &aws)?;
    let backend_telemetry = Telemetry::new("backend", &aws)?;
    let propagator = Arc::new(propagator());
    let (stop, stop_rx) = watch::channel(false);

    let backend_listener = TcpListener::bind("127.0.0.1:0").await?;
    let backend_addr = backend_listener.local_addr()?;
    let backend = Router::new()
        .route("/stock/{order_id}", get(stock))
        .with_state(Backend {
            tracer: backend_telemetry.provider.tracer("axum_services"),
            propagator: Arc::clone(&propagator),
        });
    let backend_server = tokio::spawn(
        axum::serve(backend_listener, backend)
            .with_graceful_shutdown(stopped(stop_rx.clone()))
            .into_future(),
    );

    let frontend_listener = TcpListener::bind("127.0.0.1:0").await?;
    let frontend_addr = frontend_listener.local_addr()?;
    let frontend = Router::new()
        .route("/checkout/{order_id}", get(checkout))
        .with_state(Frontend {
            tracer: frontend_telemetry.provider.tracer("axum_services"),
            propagator,
            client: reqwest::Client::new(),
            backend: format!("http://{backend_addr}"),
        });
    let frontend_server = tokio::spawn(
        axum::serve(frontend_listener, frontend)
            .with_graceful_shutdown(stopped(stop_rx))
            .into_future(),
    );
    println!("frontend listening on http://{frontend_addr}, backend on http://{backend_addr}");

    let client = reqwest::Client::new();
    let mut outcome = Ok(());
    for n in 1..=requests {
        let response = client
            .get(format!("http://{frontend_addr}/checkout/order-{n}"))
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        println!("frontend answered {status}: {body}");
        if !status.is_success() {
            outcome = Err(format!("request {n} failed with {status}"));
        }
    }

    let _ = stop.send(true);
    backend_server.await??;
    frontend_server.await??;

    // Every span has ended; shutting a provider down exports what its batch processor holds and waits
    // for the API worker to deliver it. Both calls block, so they run off the async workers.
    for (name, telemetry) in [("frontend", frontend_telemetry), ("backend", backend_telemetry)] {
        let Telemetry { provider, stats } = telemetry;
        tokio::task::spawn_blocking(move || provider.shutdown()).await??;
        let stats = stats.snapshot();
        println!(
            "{name} exporter: {} spans, {} documents delivered, {} dropped",
            stats.spans, stats.delivered, stats.dropped
        );
        if stats.dropped > 0 || stats.translation_failures > 0 || stats.delivered < stats.documents {
            outcome = Err(format!("the {name} exporter did not deliver everything: {stats:?}"));
        }
    }
    Ok(outcome?)
}
