//! Scenario "dashboard": a FastAPI service on ECS (EC2 launch type) that renders a tenant's
//! dashboard from PostgreSQL (Amazon RDS): an HTTP server span and one client span per query
//! (`db.system = postgresql`), sometimes slow, rarely cancelled at the statement timeout (500).

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use rand::Rng;

use super::super::otlp::{TraceClock, error_status, exception_event, hex, i, list, resource_spans, s, span_id};
use super::super::stacks;
use super::{ACCOUNT_ID, REGION};

/// The service (`service.name`).
pub const SERVICE: &str = "dashboard";
/// The database name.
pub const DATABASE: &str = "analytics";
/// The database host.
pub const DB_HOST: &str = "dashboard-db.cluster-c9x2kq7ab1zt.eu-west-1.rds.amazonaws.com";

/// How the request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardOutcome {
    /// Every query is quick.
    Fast,
    /// The revenue query takes one to two and a half seconds.
    Slow,
    /// The revenue query hits the statement timeout (500).
    Timeout,
}

/// One request.
pub struct Request {
    /// The `dashboard` resource with its spans.
    pub resource_spans: ResourceSpans,
    /// Number of spans.
    pub spans: usize,
}

const QUERIES: [(&str, &str); 3] = [
    (
        "SELECT",
        "SELECT date_trunc('day', created_at) AS day, sum(total_cents) FROM orders WHERE tenant_id = %(tenant_id)s AND created_at > now() - %(days)s * interval '1 day' GROUP BY 1 ORDER BY 1",
    ),
    (
        "SELECT",
        "SELECT p.sku, p.name, count(*) AS sold FROM order_items i JOIN products p ON p.sku = i.sku WHERE i.tenant_id = %(tenant_id)s GROUP BY p.sku, p.name ORDER BY sold DESC LIMIT 10",
    ),
    (
        "SELECT",
        "SELECT count(*) FROM orders WHERE tenant_id = %(tenant_id)s AND status = 'PAYMENT_FAILED'",
    ),
];

const TENANTS: [&str; 5] = ["acme-co", "globex", "initech", "umbrella", "hooli"];

fn resource(rng: &mut impl Rng) -> Vec<KeyValue> {
    let task = hex(&rng.random::<[u8; 16]>());
    let cluster = format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/shop");
    vec![
        s("service.name", SERVICE),
        s("service.version", "2.3.0"),
        s("cloud.provider", "aws"),
        s("cloud.platform", "aws_ecs"),
        s("cloud.region", REGION),
        s("cloud.account.id", ACCOUNT_ID),
        s("cloud.availability_zone", format!("{REGION}a")),
        s("aws.ecs.launchtype", "ec2"),
        s("aws.ecs.cluster.arn", cluster),
        s(
            "aws.ecs.task.arn",
            format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task/shop/{task}"),
        ),
        s("aws.ecs.task.family", "dashboard"),
        s(
            "aws.ecs.container.arn",
            format!(
                "arn:aws:ecs:{REGION}:{ACCOUNT_ID}:container/shop/{task}/{}",
                super::super::otlp::uuid()
            ),
        ),
        s("container.name", "dashboard"),
        s("container.id", hex(&rng.random::<[u8; 32]>())),
        s("host.id", format!("i-0{:016x}", rng.random::<u64>() >> 4)),
        s("host.type", "m6i.large"),
        list("aws.log.group.names", &["/ecs/dashboard"]),
        s("telemetry.sdk.name", "opentelemetry"),
        s("telemetry.sdk.language", "python"),
        s("telemetry.sdk.version", "1.27.0"),
        s("telemetry.auto.version", "0.48b0"),
    ]
}

/// Builds one `GET /api/dashboard` starting `start_us` after the trace start.
pub fn request(rng: &mut impl Rng, clock: &TraceClock, start_us: u64, outcome: DashboardOutcome) -> Request {
    let root_id = span_id();
    let tenant = TENANTS[rng.random_range(0..TENANTS.len())];
    let days = [7, 30, 90][rng.random_range(0..3)];
    let mut t = start_us + rng.random_range(1_000..4_000);
    let mut queries = Vec::new();
    let mut failure_at = None;
    for (n, (verb, statement)) in QUERIES.iter().enumerate() {
        let d = match (n, outcome) {
            (0, DashboardOutcome::Slow) => rng.random_range(1_000_000..2_500_000),
            (0, DashboardOutcome::Timeout) => 2_000_000 + rng.random_range(0..3_000),
            _ => rng.random_range(1_500..18_000),
        };
        let mut q = clock.span(
            span_id(),
            Some(root_id),
            &format!("{verb} {DATABASE}"),
            SpanKind::Client,
            t,
            d,
        );
        q.attributes = vec![
            s("db.system", "postgresql"),
            s("db.name", DATABASE),
            s("db.user", "dashboard_ro"),
            s("db.statement", *statement),
            s("db.connection_string", format!("postgresql://{DB_HOST}:5432")),
            s("server.address", DB_HOST),
            i("server.port", 5432),
        ];
        t += d;
        if n == 0 && outcome == DashboardOutcome::Timeout {
            q.status = error_status(stacks::DASHBOARD_QUERY_CANCELED_MESSAGE);
            q.events.push(exception_event(
                clock.at(t),
                "psycopg2.errors.QueryCanceled",
                stacks::DASHBOARD_QUERY_CANCELED_MESSAGE,
                stacks::DASHBOARD_QUERY_CANCELED,
            ));
            failure_at = Some(t);
            queries.push(q);
            break;
        }
        queries.push(q);
        t += rng.random_range(200..1_500);
    }
    t += rng.random_range(2_000..9_000); // rendering the JSON
    let status: i64 = if failure_at.is_some() { 500 } else { 200 };

    let mut root = clock.span(
        root_id,
        None,
        "GET /api/dashboard",
        SpanKind::Server,
        start_us,
        t - start_us,
    );
    root.attributes = vec![
        s("http.request.method", "GET"),
        s("url.scheme", "https"),
        s("server.address", "dashboard.example.com"),
        s("url.path", "/api/dashboard"),
        s("url.query", format!("range={days}d")),
        s("http.route", "/api/dashboard"),
        s("client.address", format!("198.51.100.{}", rng.random_range(2..250))),
        s("network.peer.address", format!("10.0.3.{}", rng.random_range(2..250))),
        s(
            "user_agent.original",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        ),
        i("http.response.status_code", status),
        s("enduser.id", format!("user-{}", rng.random_range(100..999))),
        s("tenant_id", tenant),
        i("report.range_days", days),
        list("aws.xray.annotations", &["tenant_id", "report.range_days"]),
    ];
    if let Some(at) = failure_at {
        root.status = error_status(stacks::DASHBOARD_QUERY_CANCELED_MESSAGE);
        root.events.push(exception_event(
            clock.at(at + 500),
            "psycopg2.errors.QueryCanceled",
            stacks::DASHBOARD_QUERY_CANCELED_MESSAGE,
            stacks::DASHBOARD_QUERY_CANCELED,
        ));
    }
    let spans = 1 + queries.len();
    Request {
        resource_spans: resource_spans(
            resource(rng),
            vec![
                ("opentelemetry.instrumentation.fastapi", "0.48b0", vec![root]),
                ("opentelemetry.instrumentation.psycopg2", "0.48b0", queries),
            ],
        ),
        spans,
    }
}
