//! A worker instrumented with `tracing`, exporting to the X-Ray daemon over UDP.
//!
//! What it shows:
//!
//! * the usual `tracing` set-up: `tracing-subscriber`'s registry with a `tracing-opentelemetry` layer
//!   whose tracer comes from an OpenTelemetry SDK provider;
//! * that provider built with [`XrayIdGenerator`] (trace ids that start with the current Unix time, as
//!   X-Ray's own), a resource with `service.name`, and [`XrayExporter`] on the daemon transport,
//!   which sends each segment document as one UDP datagram to `AWS_XRAY_DAEMON_ADDRESS`
//!   (default `127.0.0.1:2000`);
//! * `otel.kind`, HTTP and `rpc.*` fields on `tracing` spans: a server-like root span becomes an X-Ray
//!   segment with an `http` block; a DynamoDB call under it becomes a subsegment in the `aws`
//!   namespace with an `aws` block; the failed call's exception event becomes its `cause`;
//! * a clean shutdown: `provider.shutdown()` flushes the batch processor before the process exits.
//!
//! The worker handles one job: it reserves stock for an order. The DynamoDB update fails with a
//! conditional-check error (HTTP 400, so the subsegment gets `error: true`) and the job ends with
//! HTTP 500 (so the segment gets `fault: true`).
//!
//! Run it against a local X-Ray daemon (or anything listening on UDP, e.g. `nc -klu 2000`):
//!
//! ```sh
//! AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 cargo run --example tracing_daemon
//! ```
//!
//! It prints the trace id on stdout. `tests/examples.rs` runs it against a UDP socket of its own and
//! checks every datagram.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use otel_xray::{XrayExporter, XrayIdGenerator};
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The error DynamoDB answers when an update's condition does not hold.
#[derive(Debug)]
struct ConditionalCheckFailed {
    table: &'static str,
}

impl fmt::Display for ConditionalCheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "The conditional request failed for table {}", self.table)
    }
}

impl Error for ConditionalCheckFailed {}

fn main() -> Result<(), Box<dyn Error>> {
    // The daemon transport reads AWS_XRAY_DAEMON_ADDRESS here, in `build()`.
    let exporter = XrayExporter::builder().with_daemon().build()?;
    let stats = exporter.stats();
    let provider = SdkTracerProvider::builder()
        .with_id_generator(XrayIdGenerator::new())
        .with_resource(Resource::builder().with_service_name("inventory-worker").build())
        .with_batch_exporter(exporter)
        .build();

    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing_daemon")))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();

    let trace_id = reserve_stock("order-1042", "sku-7");
    println!("trace id: {trace_id}");

    // Ends the batch processor's thread after it has exported everything that ended.
    provider.shutdown()?;
    let stats = stats.snapshot();
    println!(
        "exporter: {} spans, {} documents sent, {} dropped",
        stats.spans, stats.delivered, stats.dropped
    );
    if stats.dropped > 0 || stats.translation_failures > 0 {
        return Err(format!("not every span reached the daemon socket: {stats:?}").into());
    }
    Ok(())
}

/// The job: one server-like span (an X-Ray segment) around one DynamoDB call (a subsegment).
/// Returns the trace id in X-Ray form.
fn reserve_stock(order_id: &str, sku: &str) -> String {
    let job = tracing::info_span!(
        "POST /orders/{order_id}/reserve",
        otel.kind = "server",
        http.request.method = "POST",
        url.scheme = "http",
        server.address = "inventory.internal",
        url.path = format!("/orders/{order_id}/reserve"),
        http.route = "/orders/{order_id}/reserve",
        order.id = order_id,
        http.response.status_code = Empty,
    );
    let _entered = job.enter();
    tracing::info!(order_id, sku, "Reserving stock.");

    let status = match update_stock(sku) {
        Ok(()) => 200,
        Err(error) => {
            tracing::warn!(%error, "The stock could not be reserved.");
            500
        }
    };
    job.record("http.response.status_code", status);

    let trace_id = job.context().span().span_context().trace_id().to_string();
    format!("1-{}-{}", &trace_id[..8], &trace_id[8..])
}

/// A DynamoDB `UpdateItem` call as the AWS SDK's instrumentation would describe it, failing with
/// `ConditionalCheckFailedException`.
fn update_stock(sku: &str) -> Result<(), ConditionalCheckFailed> {
    let call = tracing::info_span!(
        "DynamoDB.UpdateItem",
        otel.kind = "client",
        rpc.system = "aws-api",
        rpc.service = "DynamoDB",
        rpc.method = "UpdateItem",
        aws.region = "us-east-1",
        aws.table_name = "inventory",
        aws.request_id = "3QC8S2J6N4MH9R7PNTHBGPVK9BVV4KQNSO5AEMVJF66Q9ASUAAJG",
        item.sku = sku,
        http.response.status_code = Empty,
    );
    let _entered = call.enter();
    std::thread::sleep(Duration::from_millis(15));
    let error = ConditionalCheckFailed { table: "inventory" };
    call.record("http.response.status_code", 400);
    // An event with an `error` field and no message becomes an OpenTelemetry `exception` event
    // (tracing-opentelemetry's error_events_to_exceptions), which the translator turns into the
    // subsegment's `cause`.
    tracing::error!(exception.type = "ConditionalCheckFailedException", error = %error);
    Err(error)
}
