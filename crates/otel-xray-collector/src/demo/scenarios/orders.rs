//! Scenario "orders": a Python Lambda, `orders-api`, behind an API Gateway REST API. It validates
//! an order, checks and writes the `orders` DynamoDB table and announces the order on the
//! `order-events` SQS queue (which `order-worker` consumes).
//!
//! Outcomes: created (201), looked up (200, `GET /orders/{id}`), rejected by validation (400, an
//! `error`), and rarely a DynamoDB internal error that fails the request (500, a `fault` with a
//! Python stack trace on both the DynamoDB call and the function).

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use rand::Rng;

use super::super::otlp::{
    TraceClock, b, error_status, event, exception_event, f, i, list, random_text, resource_spans, s, span_id, uuid,
};
use super::super::stacks;
use super::{ACCOUNT_ID, QUEUE_NAME, QueuedMessage, REGION, queue_url};

/// The Lambda function (and `service.name`).
pub const SERVICE: &str = "orders-api";
/// The DynamoDB table.
pub const TABLE: &str = "orders";

/// What happens to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderOutcome {
    /// `POST /orders` creates the order (201) and sends it to SQS.
    Created,
    /// `GET /orders/{id}` reads it (200).
    Fetched,
    /// `POST /orders` fails validation (400).
    Invalid,
    /// `POST /orders` hits a DynamoDB internal error (500).
    Failed,
}

impl OrderOutcome {
    /// Whether the request is `POST /orders` (else `GET /orders/{order_id}`).
    fn is_post(self) -> bool {
        !matches!(self, Self::Fetched)
    }

    /// The function's HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Self::Created => 201,
            Self::Fetched => 200,
            Self::Invalid => 400,
            Self::Failed => 500,
        }
    }
}

/// The request as the caller (API Gateway, or the legacy service through it) sees it.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    /// `POST` or `GET`.
    pub method: &'static str,
    /// The path below the stage, e.g. `/orders/ord-…`.
    pub path: String,
    /// The function's status.
    pub status: u16,
    /// The customer.
    pub customer_id: String,
    /// The order.
    pub order_id: String,
}

/// The function's spans for one invocation.
pub struct Invocation {
    /// The `orders-api` resource with its spans.
    pub resource_spans: ResourceSpans,
    /// Number of spans.
    pub spans: usize,
    /// How long the function ran, microseconds.
    pub duration_us: u64,
    /// The message sent to SQS, when the order was created.
    pub message: Option<QueuedMessage>,
    /// What the caller asked and got.
    pub request: OrderRequest,
}

/// The resource of the `orders-api` function, as the ADOT Python Lambda layer describes it.
fn resource(rng: &mut impl Rng) -> Vec<KeyValue> {
    vec![
        s("service.name", SERVICE),
        s("service.version", "1.4.2"),
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
        i("faas.max_memory", 512 * 1024 * 1024),
        list("aws.log.group.names", &["/aws/lambda/orders-api"]),
        s("telemetry.sdk.name", "opentelemetry"),
        s("telemetry.sdk.language", "python"),
        s("telemetry.sdk.version", "1.27.0"),
        s("telemetry.auto.version", "0.48b0"),
    ]
}

/// An AWS SDK (botocore) client span.
fn aws_call(
    rng: &mut impl Rng,
    clock: &TraceClock,
    parent: u64,
    (service, method): (&str, &str),
    kind: SpanKind,
    (start_us, duration_us): (u64, u64),
    status: u16,
) -> Span {
    let mut span = clock.span(
        span_id(),
        Some(parent),
        &format!("{service}.{method}"),
        kind,
        start_us,
        duration_us,
    );
    span.attributes = vec![
        s("rpc.system", "aws-api"),
        s("rpc.service", service),
        s("rpc.method", method),
        s("aws.region", REGION),
        s(
            "aws.request_id",
            random_text(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 52),
        ),
        i("http.response.status_code", i64::from(status)),
        i("retry_attempts", 0),
        s(
            "server.address",
            format!("{}.{REGION}.amazonaws.com", service.to_lowercase()),
        ),
    ];
    span
}

/// Builds one invocation of `orders-api` starting `start_us` after the trace start, as a child
/// of `parent` (the API Gateway's `Lambda` subsegment) when there is one.
pub fn invocation(
    rng: &mut impl Rng,
    clock: &TraceClock,
    parent: Option<u64>,
    start_us: u64,
    outcome: OrderOutcome,
) -> Invocation {
    let customer_id = format!("cust-{:05}", rng.random_range(1000..99_999));
    let order_id = format!("ord-{}", random_text(rng, b"0123456789abcdefghjkmnpqrstvwxyz", 10));
    let cold = rng.random_bool(0.08);
    let root_id = span_id();
    let mut spans = Vec::new();
    let mut aws_spans = Vec::new();
    let mut t = start_us + rng.random_range(300..1_500);
    let mut message = None;
    let mut root_events = Vec::new();
    let mut root_status = None;

    if outcome.is_post() {
        let d = rng.random_range(300..2_500);
        let mut validate = clock.span(span_id(), Some(root_id), "validate_order", SpanKind::Internal, t, d);
        validate.attributes = vec![i("order.items", rng.random_range(1..6))];
        spans.push(validate);
        t += d + rng.random_range(100..600);
    }
    match outcome {
        OrderOutcome::Invalid => {
            root_events.push(event(
                clock.at(t),
                "validation_failed",
                vec![s("field", "items[0].quantity"), s("reason", "must be greater than 0")],
            ));
        }
        OrderOutcome::Fetched => {
            let d = rng.random_range(3_000..14_000);
            let mut get = aws_call(
                rng,
                clock,
                root_id,
                ("DynamoDB", "GetItem"),
                SpanKind::Client,
                (t, d),
                200,
            );
            get.attributes.push(list("aws.dynamodb.table_names", &[TABLE]));
            get.attributes.push(b("aws.dynamodb.consistent_read", false));
            aws_spans.push(get);
            t += d;
        }
        OrderOutcome::Created | OrderOutcome::Failed => {
            // Idempotency check, then the write.
            let d = rng.random_range(3_000..12_000);
            let mut get = aws_call(
                rng,
                clock,
                root_id,
                ("DynamoDB", "GetItem"),
                SpanKind::Client,
                (t, d),
                200,
            );
            get.attributes.push(list("aws.dynamodb.table_names", &[TABLE]));
            get.attributes.push(b("aws.dynamodb.consistent_read", true));
            aws_spans.push(get);
            t += d + rng.random_range(200..900);

            let failed = outcome == OrderOutcome::Failed;
            // A failed PutItem includes botocore's two retries.
            let d = if failed {
                rng.random_range(120_000..260_000)
            } else {
                rng.random_range(5_000..25_000)
            };
            let mut put = aws_call(
                rng,
                clock,
                root_id,
                ("DynamoDB", "PutItem"),
                SpanKind::Client,
                (t, d),
                if failed { 500 } else { 200 },
            );
            put.attributes.push(list("aws.dynamodb.table_names", &[TABLE]));
            t += d;
            if failed {
                put.attributes.push(i("retry_attempts", 2));
                put.status = error_status("InternalServerError");
                put.events.push(exception_event(
                    clock.at(t),
                    "botocore.exceptions.ClientError",
                    stacks::ORDERS_PUT_ITEM_MESSAGE,
                    stacks::ORDERS_PUT_ITEM,
                ));
                root_status = error_status(stacks::ORDERS_PUT_ITEM_MESSAGE);
                root_events.push(exception_event(
                    clock.at(t + 400),
                    "botocore.exceptions.ClientError",
                    stacks::ORDERS_PUT_ITEM_MESSAGE,
                    stacks::ORDERS_PUT_ITEM,
                ));
            }
            aws_spans.push(put);

            if !failed {
                t += rng.random_range(200..800);
                let d = rng.random_range(8_000..30_000);
                let message_id = uuid();
                let mut send = aws_call(
                    rng,
                    clock,
                    root_id,
                    ("SQS", "SendMessage"),
                    SpanKind::Producer,
                    (t, d),
                    200,
                );
                send.attributes.extend([
                    s("aws.queue_url", queue_url()),
                    s("messaging.system", "aws_sqs"),
                    s("messaging.destination.name", QUEUE_NAME),
                    s("messaging.operation.type", "send"),
                    s("messaging.message.id", message_id.clone()),
                ]);
                message = Some(QueuedMessage {
                    trace_id: clock.trace_id,
                    span_id: u64::from_be_bytes(send.span_id.as_slice().try_into().unwrap_or([0; 8])),
                    message_id,
                    order_id: order_id.clone(),
                    customer_id: customer_id.clone(),
                    amount_cents: rng.random_range(999..48_999),
                    receive_count: 0,
                });
                aws_spans.push(send);
                t += d;
            }
        }
    }
    t += rng.random_range(400..2_000);
    let duration_us = t - start_us;

    let status = outcome.status();
    let path = if outcome.is_post() {
        "/orders".to_owned()
    } else {
        format!("/orders/{order_id}")
    };
    let method = if outcome.is_post() { "POST" } else { "GET" };
    let mut root = clock.span(
        root_id,
        parent,
        &format!(
            "{method} {}",
            if outcome.is_post() {
                "/orders"
            } else {
                "/orders/{order_id}"
            }
        ),
        SpanKind::Server,
        start_us,
        duration_us,
    );
    let mut annotated = vec!["customer_id"];
    root.attributes = vec![
        s("faas.trigger", "http"),
        s("faas.invocation_id", uuid()),
        b("faas.coldstart", cold),
        s(
            "cloud.resource_id",
            format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{SERVICE}"),
        ),
        s("http.request.method", method),
        s("url.scheme", "https"),
        s("server.address", super::api_host()),
        s("url.path", format!("/prod{path}")),
        s(
            "http.route",
            if outcome.is_post() {
                "/orders"
            } else {
                "/orders/{order_id}"
            },
        ),
        s("client.address", format!("203.0.113.{}", rng.random_range(2..250))),
        s("user_agent.original", "okhttp/4.12.0"),
        i("http.response.status_code", i64::from(status)),
        s("customer_id", customer_id.clone()),
    ];
    if outcome != OrderOutcome::Invalid {
        root.attributes.push(s("order_id", order_id.clone()));
        annotated.push("order_id");
    }
    if outcome.is_post() {
        root.attributes
            .push(f("order.total", f64::from(rng.random_range(999u32..48_999)) / 100.0));
    }
    root.attributes.push(list("aws.xray.annotations", &annotated));
    root.events = root_events;
    root.status = root_status;

    let mut lambda = vec![root];
    lambda.append(&mut spans);
    let count = lambda.len() + aws_spans.len();
    Invocation {
        resource_spans: resource_spans(
            resource(rng),
            vec![
                ("opentelemetry.instrumentation.aws_lambda", "0.48b0", lambda),
                ("opentelemetry.instrumentation.botocore", "0.48b0", aws_spans),
            ],
        ),
        spans: count,
        duration_us,
        message,
        request: OrderRequest {
            method,
            path,
            status,
            customer_id,
            order_id,
        },
    }
}
