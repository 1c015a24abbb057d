//! Scenario "worker": `order-worker`, a Node.js Lambda triggered by the `order-events` SQS queue.
//! It processes one message (a consumer span linked to the `SendMessage` span that produced it),
//! reads the order from DynamoDB, charges it through the external payments API
//! (`payments.example.com`) and records the result in DynamoDB.
//!
//! The payments API sometimes answers 429 (throttled; the worker waits and retries) and about one
//! time in ten 503 (a fault: the invocation fails and SQS delivers the message again later).

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use rand::Rng;

use super::super::otlp::{
    TraceClock, b, error_status, exception_event, i, link, list, random_text, resource_spans, s, span_id, uuid,
};
use super::super::stacks;
use super::{ACCOUNT_ID, QUEUE_NAME, QueuedMessage, REGION, queue_url};

/// The Lambda function (and `service.name`).
pub const SERVICE: &str = "order-worker";
/// The external payment provider.
pub const PAYMENTS_HOST: &str = "payments.example.com";

/// What the payments API does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// 201 at the first attempt.
    Paid,
    /// 429, then 201 after a back-off.
    ThrottledThenPaid,
    /// 503: the invocation fails.
    Unavailable,
}

/// One invocation of the worker.
pub struct Invocation {
    /// The `order-worker` resource with its spans.
    pub resource_spans: ResourceSpans,
    /// Number of spans.
    pub spans: usize,
    /// Whether the message must be delivered again (the invocation failed).
    pub redeliver: bool,
}

fn resource(rng: &mut impl Rng) -> Vec<KeyValue> {
    vec![
        s("service.name", SERVICE),
        s("service.version", "3.1.0"),
        s("cloud.provider", "aws"),
        s("cloud.platform", "aws_lambda"),
        s("cloud.region", REGION),
        s("cloud.account.id", ACCOUNT_ID),
        s("faas.name", SERVICE),
        s("faas.version", "$LATEST"),
        s(
            "faas.instance",
            format!("2026/11/22/[$LATEST]{}", random_text(rng, b"0123456789abcdef", 32)),
        ),
        i("faas.max_memory", 256 * 1024 * 1024),
        list("aws.log.group.names", &["/aws/lambda/order-worker"]),
        s("process.runtime.name", "nodejs"),
        s("process.runtime.version", "20.18.0"),
        s("telemetry.sdk.name", "opentelemetry"),
        s("telemetry.sdk.language", "nodejs"),
        s("telemetry.sdk.version", "1.28.0"),
        s("telemetry.auto.version", "0.53.0"),
    ]
}

fn dynamodb(rng: &mut impl Rng, clock: &TraceClock, parent: u64, method: &str, (start, duration): (u64, u64)) -> Span {
    let mut span = clock.span(
        span_id(),
        Some(parent),
        &format!("DynamoDB.{method}"),
        SpanKind::Client,
        start,
        duration,
    );
    span.attributes = vec![
        s("rpc.system", "aws-api"),
        s("rpc.service", "DynamoDB"),
        s("rpc.method", method),
        s("aws.region", REGION),
        s(
            "aws.request_id",
            random_text(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 52),
        ),
        list("aws.dynamodb.table_names", &[super::orders::TABLE]),
        i("http.response.status_code", 200),
        s("db.system", "dynamodb"),
        s("db.operation", method),
    ];
    span
}

fn payments_call(clock: &TraceClock, parent: u64, (start, duration): (u64, u64), status: u16, resend: u32) -> Span {
    let mut span = clock.span(span_id(), Some(parent), "POST", SpanKind::Client, start, duration);
    span.attributes = vec![
        s("http.request.method", "POST"),
        s("url.full", format!("https://{PAYMENTS_HOST}/v1/charges")),
        s("server.address", PAYMENTS_HOST),
        i("server.port", 443),
        s("peer.service", PAYMENTS_HOST),
        i("http.response.status_code", i64::from(status)),
    ];
    if resend > 0 {
        span.attributes.push(i("http.request.resend_count", i64::from(resend)));
    }
    if status >= 400 {
        span.attributes.push(s("error.type", status.to_string()));
    }
    if status >= 500 {
        span.status = error_status("Service Unavailable");
    }
    span
}

/// Builds the invocation that processes `message`, starting `start_us` after the trace start.
pub fn invocation(
    rng: &mut impl Rng,
    clock: &TraceClock,
    start_us: u64,
    message: &QueuedMessage,
    outcome: PaymentOutcome,
) -> Invocation {
    let root_id = span_id();
    let consumer_id = span_id();
    let mut t = start_us + rng.random_range(500..2_000);
    let consumer_start = t;
    let mut calls = Vec::new();

    let d = rng.random_range(4_000..15_000);
    calls.push(dynamodb(rng, clock, consumer_id, "GetItem", (t, d)));
    t += d + rng.random_range(300..1_500);

    let first_status = match outcome {
        PaymentOutcome::Paid => 201,
        PaymentOutcome::ThrottledThenPaid => 429,
        PaymentOutcome::Unavailable => 503,
    };
    let d = match outcome {
        PaymentOutcome::Paid => rng.random_range(90_000..320_000),
        PaymentOutcome::ThrottledThenPaid => rng.random_range(15_000..40_000),
        PaymentOutcome::Unavailable => rng.random_range(25_000..60_000),
    };
    calls.push(payments_call(clock, consumer_id, (t, d), first_status, 0));
    t += d;
    if outcome == PaymentOutcome::ThrottledThenPaid {
        t += rng.random_range(200_000..450_000); // Retry-After back-off
        let d = rng.random_range(90_000..320_000);
        calls.push(payments_call(clock, consumer_id, (t, d), 201, 1));
        t += d;
    }
    let failed = outcome == PaymentOutcome::Unavailable;
    if !failed {
        t += rng.random_range(300..1_500);
        let d = rng.random_range(5_000..20_000);
        let mut update = dynamodb(rng, clock, consumer_id, "UpdateItem", (t, d));
        update.attributes.push(s("order.status", "PAID"));
        calls.push(update);
        t += d;
    }
    t += rng.random_range(200..900);
    let consumer_end = t;
    t += rng.random_range(300..1_200);

    let mut consumer = clock.span(
        consumer_id,
        Some(root_id),
        &format!("{QUEUE_NAME} process"),
        SpanKind::Consumer,
        consumer_start,
        consumer_end - consumer_start,
    );
    consumer.attributes = vec![
        s("messaging.system", "aws_sqs"),
        s("messaging.destination.name", QUEUE_NAME),
        s("messaging.operation.type", "process"),
        s("messaging.message.id", message.message_id.clone()),
        s("messaging.url", queue_url()),
        i("messaging.aws.sqs.receive_count", i64::from(message.receive_count + 1)),
    ];
    consumer.links = vec![link(
        message.trace_id,
        message.span_id,
        vec![s("messaging.message.id", message.message_id.clone())],
    )];

    let mut root = clock.span(root_id, None, SERVICE, SpanKind::Server, start_us, t - start_us);
    root.attributes = vec![
        s("faas.trigger", "pubsub"),
        s("faas.invocation_id", uuid()),
        b("faas.coldstart", rng.random_bool(0.05)),
        s(
            "cloud.resource_id",
            format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{SERVICE}"),
        ),
        s("order_id", message.order_id.clone()),
        s("customer_id", message.customer_id.clone()),
        s("payment_status", if failed { "failed" } else { "paid" }),
        i("payment.amount_cents", message.amount_cents),
        list("aws.xray.annotations", &["order_id", "payment_status"]),
    ];
    if failed {
        let at = clock.at(consumer_end);
        consumer.status = error_status(stacks::WORKER_PAYMENT_UNAVAILABLE_MESSAGE);
        consumer.events.push(exception_event(
            at,
            stacks::WORKER_PAYMENT_UNAVAILABLE_TYPE,
            stacks::WORKER_PAYMENT_UNAVAILABLE_MESSAGE,
            stacks::WORKER_PAYMENT_UNAVAILABLE,
        ));
        root.status = error_status(stacks::WORKER_PAYMENT_UNAVAILABLE_MESSAGE);
        root.events.push(exception_event(
            at,
            stacks::WORKER_PAYMENT_UNAVAILABLE_TYPE,
            stacks::WORKER_PAYMENT_UNAVAILABLE_MESSAGE,
            stacks::WORKER_PAYMENT_UNAVAILABLE,
        ));
    }

    let spans = 2 + calls.len();
    let mut http_calls = Vec::new();
    let mut aws_calls = Vec::new();
    for call in calls {
        if call.name == "POST" {
            http_calls.push(call);
        } else {
            aws_calls.push(call);
        }
    }
    Invocation {
        resource_spans: resource_spans(
            resource(rng),
            vec![
                (
                    "@opentelemetry/instrumentation-aws-lambda",
                    "0.47.0",
                    vec![root, consumer],
                ),
                ("@opentelemetry/instrumentation-aws-sdk", "0.46.0", aws_calls),
                ("@opentelemetry/instrumentation-undici", "0.9.0", http_calls),
            ],
        ),
        spans,
        redeliver: failed,
    }
}
