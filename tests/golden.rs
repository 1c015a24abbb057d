//! Golden documents for realistic flows like the seeds' (API Gateway → Lambda → DynamoDB → SQS →
//! worker, FastAPI + PostgreSQL, an outbound HTTP call failing with 503, exceptions in Java,
//! Python and Node services).
//!
//! Each flow is translated with a seeded id source and compared, as parsed and normalised JSON
//! (translation.md §1), with `tests/data/golden/<flow>.json`. The golden files were reviewed rule
//! by rule against the spec; `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them after an
//! intended change, which must then be reviewed again.

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use otel_xray_translate::{Budget, TranslatorConfig};
use support::*;

fn lambda_resource(service: &str) -> Vec<opentelemetry_proto::tonic::common::v1::KeyValue> {
    vec![
        kv("service.name", s(service)),
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_lambda")),
        kv("cloud.region", s("eu-west-1")),
        kv("cloud.account.id", s("123456789012")),
        kv("faas.name", s(service)),
        kv("telemetry.sdk.name", s("opentelemetry")),
        kv("telemetry.sdk.language", s("python")),
        kv("telemetry.sdk.version", s("1.38.0")),
        kv("telemetry.auto.version", s("0.59b0")),
        kv("aws.log.group.names", arr(vec![s(&format!("/aws/lambda/{service}"))])),
    ]
}

/// API Gateway → `orders-api` Lambda → DynamoDB PutItem and SQS SendMessage → `order-worker`
/// Lambda consuming the message (linked to the producer) and updating DynamoDB.
fn serverless_orders() -> ExportTraceServiceRequest {
    let api = vec![
        span(1, 1, "POST /orders", SpanKind::Server)
            .times(0, 120)
            .attr("http.request.method", s("POST"))
            .attr(
                "url.full",
                s("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/orders"),
            )
            .attr("http.response.status_code", i(201))
            .attr("user_agent.original", s("Mozilla/5.0 (X11; Linux x86_64)"))
            .attr("client.address", s("203.0.113.7"))
            .attr("http.route", s("/orders"))
            .attr("enduser.id", s("customer-42"))
            .attr("order.id", s("ord-1001"))
            .attr("order.items", i(3))
            .attr("faas.invocation_id", s("7c4e2b1a-9d0f-4b7e-8a51-2f3c9e1d0a44"))
            .build(),
        span(1, 2, "DynamoDB.PutItem", SpanKind::Client)
            .parent(1)
            .times(10, 42)
            .attr("rpc.system", s("aws-api"))
            .attr("rpc.service", s("DynamoDB"))
            .attr("rpc.method", s("PutItem"))
            .attr("aws.region", s("eu-west-1"))
            .attr("aws.request_id", s("R6V4Q3K1M2N8P0S7T5U9"))
            .attr("aws.dynamodb.table_names", arr(vec![s("orders")]))
            .attr("http.response.status_code", i(200))
            .attr("server.address", s("dynamodb.eu-west-1.amazonaws.com"))
            .build(),
        span(1, 3, "SQS.SendMessage", SpanKind::Producer)
            .parent(1)
            .times(45, 70)
            .attr("rpc.system", s("aws-api"))
            .attr("rpc.service", s("SQS"))
            .attr("rpc.method", s("SendMessage"))
            .attr("aws.region", s("eu-west-1"))
            .attr("messaging.system", s("aws_sqs"))
            .attr("messaging.destination.name", s("orders-queue"))
            .attr(
                "aws.queue.url",
                s("https://sqs.eu-west-1.amazonaws.com/123456789012/orders-queue"),
            )
            .attr("http.response.status_code", i(200))
            .build(),
    ];
    let worker = vec![
        span(2, 10, "orders-queue process", SpanKind::Consumer)
            .times(200, 260)
            .attr("messaging.system", s("aws_sqs"))
            .attr("messaging.operation", s("process"))
            .attr("messaging.destination.name", s("orders-queue"))
            .attr("messaging.message.id", s("5fea7756-0ea4-451a-a703-a558b933e274"))
            .link(1, 3, vec![kv("messaging.operation", s("publish"))])
            .build(),
        span(2, 11, "DynamoDB.UpdateItem", SpanKind::Client)
            .parent(10)
            .times(210, 240)
            .attr("rpc.system", s("aws-api"))
            .attr("rpc.service", s("DynamoDB"))
            .attr("rpc.method", s("UpdateItem"))
            .attr("aws.region", s("eu-west-1"))
            .attr("aws.dynamodb.table_names", arr(vec![s("orders"), s("inventory")]))
            .attr("http.response.status_code", i(400))
            .event(
                "exception",
                238,
                vec![
                    kv("exception.type", s("ConditionalCheckFailedException")),
                    kv("exception.message", s("The conditional request failed")),
                ],
            )
            .error("ConditionalCheckFailedException")
            .build(),
    ];
    request(vec![
        resource_spans(lambda_resource("orders-api"), api),
        resource_spans(lambda_resource("order-worker"), worker),
    ])
}

/// A FastAPI service on ECS Fargate reading from PostgreSQL (older semantic conventions).
fn fastapi_postgres() -> ExportTraceServiceRequest {
    let resource = vec![
        kv("service.name", s("dashboard")),
        kv("service.version", s("2.4.1")),
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_ecs")),
        kv("cloud.availability_zone", s("eu-west-1a")),
        kv("aws.ecs.launchtype", s("fargate")),
        kv(
            "aws.ecs.cluster.arn",
            s("arn:aws:ecs:eu-west-1:123456789012:cluster/prod"),
        ),
        kv(
            "aws.ecs.task.arn",
            s("arn:aws:ecs:eu-west-1:123456789012:task/prod/0f9e8d7c"),
        ),
        kv("container.name", s("dashboard")),
        kv("container.id", s("0f9e8d7c6b5a")),
        kv("telemetry.sdk.name", s("opentelemetry")),
        kv("telemetry.sdk.language", s("python")),
        kv("telemetry.sdk.version", s("1.38.0")),
    ];
    let spans = vec![
        span(3, 20, "GET /dashboards/{id}", SpanKind::Server)
            .times(0, 48)
            .attr("http.method", s("GET"))
            .attr("http.scheme", s("http"))
            .attr("net.host.name", s("dashboard.internal"))
            .attr("net.host.port", i(8000))
            .attr("http.target", s("/dashboards/17?range=7d"))
            .attr("http.status_code", i(200))
            .attr("http.user_agent", s("python-requests/2.32.3"))
            .attr("http.client_ip", s("10.0.3.25"))
            .attr("net.peer.ip", s("10.0.1.9"))
            .attr("http.route", s("/dashboards/{id}"))
            .build(),
        span(3, 21, "load_dashboard", SpanKind::Internal)
            .parent(20)
            .times(2, 46)
            .attr("dashboard.id", i(17))
            .attr("cache.hit", b(false))
            .build(),
        span(3, 22, "SELECT dashboard", SpanKind::Client)
            .parent(21)
            .times(5, 30)
            .attr("db.system", s("postgresql"))
            .attr("db.name", s("dashboard"))
            .attr("db.user", s("app_ro"))
            .attr(
                "db.statement",
                s("SELECT id, title, layout FROM dashboards WHERE id = $1"),
            )
            .attr("db.connection_string", s("postgresql://db.internal:5432"))
            .attr("net.peer.name", s("db.internal"))
            .attr("net.peer.port", i(5432))
            .build(),
    ];
    request(vec![resource_spans(resource, spans)])
}

/// A client call to an external API answering 503, on an EC2 host.
fn outbound_http_503() -> ExportTraceServiceRequest {
    let resource = vec![
        kv("service.name", s("pricing")),
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_ec2")),
        kv("host.id", s("i-0123456789abcdef0")),
        kv("host.type", s("t3.medium")),
        kv("cloud.availability_zone", s("eu-west-1b")),
        kv("telemetry.sdk.name", s("opentelemetry")),
        kv("telemetry.sdk.language", s("go")),
        kv("telemetry.sdk.version", s("1.31.0")),
    ];
    let spans = vec![
        span(4, 30, "GET", SpanKind::Client)
            .parent(29)
            .times(3, 1503)
            .attr("http.request.method", s("GET"))
            .attr("url.full", s("https://rates.partner.example/v2/fx?base=EUR"))
            .attr("server.address", s("rates.partner.example"))
            .attr("server.port", i(443))
            .attr("http.response.status_code", i(503))
            .attr("http.status_text", s("Service Unavailable"))
            .error("")
            .build(),
    ];
    request(vec![resource_spans(resource, spans)])
}

const JAVA_TRACE: &str = "java.lang.IllegalStateException: payment declined\n\
\tat com.shop.payment.PaymentService.charge(PaymentService.java:88)\n\
\tat com.shop.api.CheckoutController.checkout(CheckoutController.java:41)\n\
\tat java.base/java.lang.Thread.run(Thread.java:1583)\n\
Caused by: java.net.SocketTimeoutException: Read timed out\n\
\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)\n\
\tat com.shop.payment.GatewayClient.post(GatewayClient.java:120)\n\
\t... 2 more\n";

const PYTHON_TRACE: &str = "Traceback (most recent call last):\n  \
File \"/app/main.py\", line 31, in get_user\n    return repo.load(user_id)\n  \
File \"/app/repo.py\", line 12, in load\n    raise KeyError(user_id)\n\
KeyError: 'u-17'\n";

const NODE_TRACE: &str = "TypeError: Cannot read properties of undefined (reading 'id')\n    \
at renderCart (/srv/app/cart.js:57:18)\n    \
at /srv/app/routes.js:22:5\n    \
at processTicksAndRejections (node:internal/process/task_queues:95:5)\n";

fn exceptions_in_three_languages() -> ExportTraceServiceRequest {
    let res = |name: &str, lang: &str| {
        vec![
            kv("service.name", s(name)),
            kv("telemetry.sdk.name", s("opentelemetry")),
            kv("telemetry.sdk.language", s(lang)),
        ]
    };
    let failing = |trace: u8, id: u8, name: &str, ty: &str, msg: &str, stack: &str| {
        span(trace, id, name, SpanKind::Server)
            .attr("http.request.method", s("POST"))
            .attr("url.full", s("http://localhost:8080/checkout"))
            .attr("http.response.status_code", i(500))
            .event(
                "exception",
                20,
                vec![
                    kv("exception.type", s(ty)),
                    kv("exception.message", s(msg)),
                    kv("exception.stacktrace", s(stack)),
                ],
            )
            .error(msg)
            .build()
    };
    request(vec![
        resource_spans(
            res("checkout-java", "java"),
            vec![failing(
                5,
                40,
                "POST /checkout",
                "java.lang.IllegalStateException",
                "payment declined",
                JAVA_TRACE,
            )],
        ),
        resource_spans(
            res("users-py", "python"),
            vec![failing(6, 41, "GET /users/{id}", "KeyError", "'u-17'", PYTHON_TRACE)],
        ),
        resource_spans(
            res("cart-node", "nodejs"),
            vec![failing(
                7,
                42,
                "GET /cart",
                "TypeError",
                "Cannot read properties of undefined (reading 'id')",
                NODE_TRACE,
            )],
        ),
    ])
}

/// Application Signals attributes: a local-root client span is split into a service segment and
/// a dependency subsegment (translation.md §3 case C).
fn application_signals_split() -> ExportTraceServiceRequest {
    let resource = vec![
        kv("service.name", s("cart")),
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_eks")),
        kv("k8s.cluster.name", s("shop-prod")),
        kv("k8s.pod.name", s("cart-7d9f8-abcde")),
        kv("telemetry.sdk.name", s("opentelemetry")),
        kv("telemetry.sdk.language", s("java")),
        kv("telemetry.distro.version", s("2.11.0-aws")),
    ];
    let spans = vec![
        span(8, 50, "S3.GetObject", SpanKind::Client)
            .attr("aws.span.kind", s("LOCAL_ROOT"))
            .attr("aws.local.service", s("cart"))
            .attr("aws.local.operation", s("InternalOperation"))
            .attr("aws.remote.service", s("AWS::S3"))
            .attr("aws.remote.operation", s("GetObject"))
            .attr("remoteTarget", s("::s3:::cart-assets"))
            .attr("rpc.system", s("aws-api"))
            .attr("rpc.method", s("GetObject"))
            .attr("aws.region", s("eu-west-1"))
            .attr("http.response.status_code", i(200))
            .build(),
    ];
    request(vec![resource_spans(resource, spans)])
}

fn check(flow: &str, req: ExportTraceServiceRequest, config: TranslatorConfig) {
    let (docs, failures) = translate(config, &req, Budget::PutTraceSegments);
    assert!(failures.is_empty(), "{flow}: unexpected failures {failures:?}");
    let actual = serde_json::Value::Array(docs.into_iter().map(normalize).collect());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/golden/{flow}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display()));
    let expected = normalize(serde_json::from_str(&text).unwrap());
    if actual != expected {
        panic!(
            "{flow}: documents differ from {}\n--- actual ---\n{}",
            path.display(),
            serde_json::to_string_pretty(&actual).unwrap()
        );
    }
}

#[test]
fn serverless_orders_flow() {
    let config = TranslatorConfig {
        indexed_attributes: vec!["order.id".into()],
        ..TranslatorConfig::default()
    };
    check("serverless_orders", serverless_orders(), config);
}

#[test]
fn fastapi_postgres_flow() {
    check("fastapi_postgres", fastapi_postgres(), TranslatorConfig::default());
}

#[test]
fn outbound_http_503_flow() {
    check("outbound_http_503", outbound_http_503(), TranslatorConfig::default());
}

#[test]
fn exceptions_flow() {
    check(
        "exceptions",
        exceptions_in_three_languages(),
        TranslatorConfig::default(),
    );
}

#[test]
fn application_signals_flow() {
    check(
        "application_signals",
        application_signals_split(),
        TranslatorConfig::default(),
    );
}
