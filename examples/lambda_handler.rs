//! A Lambda-style handler that continues the invocation's trace from `_X_AMZN_TRACE_ID`.
//!
//! What it shows:
//!
//! * [`XrayLambdaPropagator::from_env`], built once per invocation (the value changes with every
//!   invocation), last in a composite after W3C `TraceContextPropagator`, so a `traceparent` in the
//!   event's headers is also understood;
//! * the handler's span started under the extracted context: with active tracing on
//!   (`_X_AMZN_TRACE_ID=…;Sampled=1`) it gets the header's trace id, and its parent is the header's
//!   `Parent` (the segment Lambda recorded for the invocation);
//! * [`XrayExporter`] writing newline-delimited segment documents to stdout
//!   (`.with_writer(std::io::stdout())`), and `force_flush()` at the end of every invocation, as a
//!   Lambda function must do before the runtime freezes it.
//!
//! With `Sampled=0` (active tracing off, and no caller's parent in the event) nothing is exported: the
//! default [`LambdaPrecedence`](otel_xray::LambdaPrecedence) uses the unsampled environment value, and
//! the SDK's default sampler, `ParentBased(AlwaysOn)`, follows a remote parent that is not sampled, so the
//! handler's spans are never recorded. The handler still runs and answers.
//!
//! Run it with the header Lambda would set:
//!
//! ```sh
//! _X_AMZN_TRACE_ID='Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' \
//!     cargo run --example lambda_handler
//! ```
//!
//! Segment documents are the stdout lines that start with `{`; the handler's answer is the line that
//! starts with `response:`. `tests/examples.rs` runs it with `Sampled=1` and `Sampled=0`.

use std::collections::HashMap;
use std::error::Error;
use std::time::Duration;

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator as _};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use otel_xray::{XrayExporter, XrayIdGenerator, XrayLambdaPropagator};

/// The part of an API Gateway-style event the handler uses.
struct Event {
    order_id: String,
    /// Request headers, lower-case names (opentelemetry's `HashMap` extractor looks names up in lower
    /// case).
    headers: HashMap<String, String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    // The exporter reports documents it could not deliver as `tracing` warnings: show them on stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .init();
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "order-lookup".to_owned());
    let exporter = XrayExporter::builder().with_writer(std::io::stdout()).build()?;
    let provider = SdkTracerProvider::builder()
        .with_id_generator(XrayIdGenerator::new())
        .with_resource(
            Resource::builder()
                .with_service_name(function_name.clone())
                .with_attributes([
                    KeyValue::new("cloud.provider", "aws"),
                    KeyValue::new("cloud.platform", "aws_lambda"),
                    KeyValue::new("faas.name", function_name),
                ])
                .build(),
        )
        .with_batch_exporter(exporter)
        .build();
    let tracer = provider.tracer("lambda_handler");

    // One invocation. A runtime loop would do this for every event it receives.
    let event = Event {
        order_id: "order-1042".to_owned(),
        headers: HashMap::new(),
    };
    let response = invoke(&tracer, &event);
    // Export before the invocation returns: Lambda may freeze the process right after. (Printing the
    // response only after the flush also keeps it off the lines the exporter writes to stdout.)
    provider.force_flush()?;
    println!("response: {response}");

    provider.shutdown()?;
    Ok(())
}

/// What the runtime calls per event: picks the parent, then runs the handler inside its span.
fn invoke(tracer: &SdkTracer, event: &Event) -> String {
    // Read `_X_AMZN_TRACE_ID` now: its value belongs to this invocation only.
    let propagator = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(XrayLambdaPropagator::from_env()),
    ]);
    let parent = propagator.extract(&event.headers);

    let span = tracer
        .span_builder("order-lookup invoke")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("faas.trigger", "http"),
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("url.path", format!("/orders/{}", event.order_id)),
        ])
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);
    let response = handler(tracer, &cx, event);
    cx.span().set_attribute(KeyValue::new("http.response.status_code", 200));
    cx.span().end();
    response
}

/// The function's own work: one DynamoDB read, as a child span.
fn handler(tracer: &SdkTracer, cx: &Context, event: &Event) -> String {
    let call = tracer
        .span_builder("DynamoDB.GetItem")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new("rpc.system", "aws-api"),
            KeyValue::new("rpc.service", "DynamoDB"),
            KeyValue::new("rpc.method", "GetItem"),
            KeyValue::new("aws.region", "us-east-1"),
            KeyValue::new("aws.table_name", "orders"),
            KeyValue::new("http.response.status_code", 200),
        ])
        .start_with_context(tracer, cx);
    let call_cx = cx.with_span(call);
    std::thread::sleep(Duration::from_millis(5));
    call_cx.span().set_status(Status::Ok);
    call_cx.span().end();
    format!("{{\"order_id\":\"{}\",\"status\":\"shipped\"}}", event.order_id)
}
