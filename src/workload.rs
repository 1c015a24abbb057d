//! A realistic, deterministic span batch in both input forms the translator accepts.
//!
//! [`Workload::generate`] builds one batch of spans as a Java (or Rust) service on ECS Fargate
//! would emit them, and gives it both as SDK [`SpanData`] plus its [`Resource`] (the library's
//! form) and as the equivalent OTLP [`ExportTraceServiceRequest`] (the gateway's form). The two
//! forms carry the same spans, attributes, events, statuses and resource attributes, so
//! translating either gives the same documents.
//!
//! Every trace has eight spans, in the order an exporter sees them:
//!
//! | # | kind | what | attributes |
//! |---|---|---|---|
//! | 0 | server | HTTP request handler (half of them with a remote parent) | 13–15 |
//! | 1 | internal | service method | 12 |
//! | 2 | client | AWS SDK call to DynamoDB (`rpc.system = aws-api`) | 13 |
//! | 3 | client / producer | AWS SDK call to SQS (producer) or S3 (client), alternating | 13–14 |
//! | 4 | client | SQL `SELECT` (PostgreSQL) | 12 |
//! | 5 | client | SQL `INSERT` (PostgreSQL) | 12 |
//! | 6 | client | outgoing HTTP call to another service | 11 |
//! | 7 | internal | response rendering | 10 |
//!
//! About one trace in four has a failing outgoing HTTP call (503 with an `exception` event) and
//! one in eight a failing SQL insert that turns the server span into a 500 (two `exception`
//! events), so about 6 % of spans carry an exception with a stack trace; a few server spans
//! answer 404 or 429, and some spans carry a non-exception event. Stack traces are Java
//! (`Caused by:` chains included) or Rust backtraces, following [`Language`].
//!
//! Generation is a pure function of [`WorkloadConfig`]: ids, names and values come from a
//! seeded generator, and trace ids carry `now_unix_secs` (minus a few minutes) as their X-Ray
//! epoch so that translators validating the trace-id timestamp accept them.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as otlp_common;
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use opentelemetry_proto::tonic::trace::v1 as otlp_trace;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

/// The language the workload's service is written in: sets `telemetry.sdk.language` and the
/// format of the stack traces in `exception` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// A Java service (Java stack traces, with `Caused by:` chains).
    #[default]
    Java,
    /// A Rust service (Rust backtraces).
    Rust,
}

impl Language {
    /// The `telemetry.sdk.language` value.
    pub fn sdk_language(self) -> &'static str {
        match self {
            Self::Java => "java",
            Self::Rust => "rust",
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadConfig {
    /// Number of spans (traces are cut short when this is not a multiple of eight).
    pub spans: usize,
    /// Seed of the id and value generator.
    pub seed: u64,
    /// The current time, Unix seconds: spans end a few minutes before it.
    pub now_unix_secs: u64,
    /// The service's language.
    pub language: Language,
}

impl Default for WorkloadConfig {
    /// 512 spans (the SDK batch processor's default batch size), seed 1, Java, at
    /// 2023-11-14T22:13:20Z.
    fn default() -> Self {
        Self {
            spans: 512,
            seed: 1,
            now_unix_secs: 1_700_000_000,
            language: Language::Java,
        }
    }
}

/// An attribute value of the neutral description both forms are built from.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// An array of strings.
    StrArray(Vec<String>),
}

/// One attribute: a semantic-convention key and its value.
pub type Attr = (&'static str, AttrValue);

/// A span event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// Event name.
    pub name: &'static str,
    /// Event time, Unix nanoseconds.
    pub time_unix_nanos: u64,
    /// Event attributes.
    pub attributes: Vec<Attr>,
}

/// Span status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusSpec {
    /// Not set.
    Unset,
    /// Explicitly OK.
    Ok,
    /// An error with its description.
    Error(String),
}

/// One span, independent of either input form.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanSpec {
    /// Trace id (X-Ray style: the first four bytes are the epoch seconds).
    pub trace_id: [u8; 16],
    /// Span id (never zero).
    pub span_id: [u8; 8],
    /// Parent span id, if any.
    pub parent_span_id: Option<[u8; 8]>,
    /// Whether the parent is in another process.
    pub parent_is_remote: bool,
    /// Span kind.
    pub kind: SpanKind,
    /// Span name.
    pub name: String,
    /// Start, Unix nanoseconds.
    pub start_unix_nanos: u64,
    /// End, Unix nanoseconds.
    pub end_unix_nanos: u64,
    /// Attributes.
    pub attributes: Vec<Attr>,
    /// Events.
    pub events: Vec<EventSpec>,
    /// Status.
    pub status: StatusSpec,
}

/// Counts describing a generated batch (for reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkloadStats {
    /// Spans.
    pub spans: usize,
    /// Server spans.
    pub server: usize,
    /// Client and producer spans.
    pub client: usize,
    /// Internal spans.
    pub internal: usize,
    /// Client spans with `rpc.system = aws-api`.
    pub aws_api: usize,
    /// Client spans with `db.system`.
    pub sql: usize,
    /// Span attributes, in total.
    pub attributes: usize,
    /// Fewest attributes on one span.
    pub min_attributes: usize,
    /// Most attributes on one span.
    pub max_attributes: usize,
    /// Spans with at least one `exception` event.
    pub with_exception: usize,
    /// Spans with an error status.
    pub with_error_status: usize,
    /// Resource attributes.
    pub resource_attributes: usize,
}

/// A generated batch in both forms.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The neutral description both forms were built from.
    pub specs: Vec<SpanSpec>,
    /// The resource attributes, in order.
    pub resource_attributes: Vec<Attr>,
    /// The SDK form: spans...
    pub spans: Vec<SpanData>,
    /// ...and the resource they share.
    pub resource: Resource,
    /// The OTLP form: one `ResourceSpans` with one `ScopeSpans` holding every span.
    pub request: ExportTraceServiceRequest,
}

impl Workload {
    /// Generates the batch `config` describes.
    pub fn generate(config: &WorkloadConfig) -> Self {
        let mut g = Generator {
            rng: SplitMix64(config.seed),
            language: config.language,
        };
        let resource_attributes = resource_attributes(config.language);
        let mut specs = Vec::with_capacity(config.spans);
        let mut trace = 0usize;
        // Traces follow each other, a few milliseconds apart, ending about five minutes ago.
        let span_count = u64::try_from(config.spans).unwrap_or(u64::MAX);
        let first_start = (config.now_unix_secs - 300) * 1_000_000_000 - span_count * 2_000_000;
        while specs.len() < config.spans {
            let start = first_start + trace as u64 * 16_000_000;
            let mut t = g.trace(trace, start, config.now_unix_secs - 300);
            t.truncate(config.spans - specs.len());
            specs.extend(t);
            trace += 1;
        }
        let resource = Resource::builder_empty()
            .with_attributes(resource_attributes.iter().map(|(k, v)| sdk_kv(k, v)))
            .build();
        let spans = specs.iter().map(sdk_span).collect();
        let request = otlp_request(&specs, &resource_attributes);
        Self {
            specs,
            resource_attributes,
            spans,
            resource,
            request,
        }
    }

    /// Number of spans.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether there are no spans.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Counts describing the batch.
    pub fn stats(&self) -> WorkloadStats {
        let mut s = WorkloadStats {
            spans: self.specs.len(),
            resource_attributes: self.resource_attributes.len(),
            min_attributes: usize::MAX,
            ..WorkloadStats::default()
        };
        for span in &self.specs {
            match span.kind {
                SpanKind::Server => s.server += 1,
                SpanKind::Client | SpanKind::Producer => s.client += 1,
                SpanKind::Internal => s.internal += 1,
                SpanKind::Consumer => {}
            }
            let has = |key: &str| span.attributes.iter().any(|(k, _)| *k == key);
            if span
                .attributes
                .contains(&("rpc.system", AttrValue::Str("aws-api".into())))
            {
                s.aws_api += 1;
            }
            if has("db.system") {
                s.sql += 1;
            }
            s.attributes += span.attributes.len();
            s.min_attributes = s.min_attributes.min(span.attributes.len());
            s.max_attributes = s.max_attributes.max(span.attributes.len());
            if span.events.iter().any(|e| e.name == "exception") {
                s.with_exception += 1;
            }
            if matches!(span.status, StatusSpec::Error(_)) {
                s.with_error_status += 1;
            }
        }
        if s.spans == 0 {
            s.min_attributes = 0;
        }
        s
    }
}

// ------------------------------------------------------------------------------------------------
// Generation
// ------------------------------------------------------------------------------------------------

/// SplitMix64: tiny, fast and good enough for test data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn span_id(&mut self) -> [u8; 8] {
        loop {
            let id = self.next().to_be_bytes();
            if id != [0; 8] {
                return id;
            }
        }
    }
}

fn s(v: impl Into<String>) -> AttrValue {
    AttrValue::Str(v.into())
}

struct Generator {
    rng: SplitMix64,
    language: Language,
}

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/orders/{orderId}"),
    ("POST", "/api/orders"),
    ("GET", "/api/cart/{cartId}"),
    ("PUT", "/api/cart/{cartId}/items"),
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "okhttp/4.12.0",
];

impl Generator {
    /// The eight spans of trace number `n`, starting at `start` (Unix nanoseconds).
    fn trace(&mut self, n: usize, start: u64, epoch_secs: u64) -> Vec<SpanSpec> {
        let r = &mut self.rng;
        let mut trace_id = [0u8; 16];
        trace_id[..4].copy_from_slice(&u32::try_from(epoch_secs).unwrap_or(u32::MAX).to_be_bytes());
        trace_id[4..12].copy_from_slice(&r.next().to_be_bytes());
        trace_id[12..].copy_from_slice(&r.next().to_be_bytes()[..4]);
        let ids: Vec<[u8; 8]> = (0..8).map(|_| r.span_id()).collect();
        let remote_parent = (n % 2 == 1).then(|| r.span_id());

        let http_fails = n % 4 == 1;
        let sql_fails = n % 8 == 3;
        let (method, route) = *r.pick(ROUTES);
        let order_id = 10_000 + r.below(90_000);
        let cart_id = format!("{:016x}", r.next());
        let path = route
            .replace("{orderId}", &order_id.to_string())
            .replace("{cartId}", &cart_id);
        let status = if sql_fails {
            500
        } else if n % 16 == 6 {
            404
        } else if n % 32 == 10 {
            429
        } else if method == "POST" {
            201
        } else {
            200
        };
        let thread_id = 30 + r.below(20) as i64;
        let thread_name = format!("http-nio-8080-exec-{}", thread_id - 29);
        let thread = |attrs: &mut Vec<Attr>| {
            attrs.push(("thread.id", AttrValue::Int(thread_id)));
            attrs.push(("thread.name", s(thread_name.clone())));
        };
        let ms = 1_000_000u64;
        let base = |i: usize, kind: SpanKind, name: String, begin: u64, end: u64| SpanSpec {
            trace_id,
            span_id: ids[i],
            parent_span_id: if i == 0 { remote_parent } else { Some(ids[0]) },
            parent_is_remote: i == 0 && remote_parent.is_some(),
            kind,
            name,
            start_unix_nanos: start + begin,
            end_unix_nanos: start + end,
            attributes: Vec::with_capacity(16),
            events: Vec::new(),
            status: StatusSpec::Unset,
        };
        let mut spans = Vec::with_capacity(8);

        // 0. server
        let mut server = base(0, SpanKind::Server, format!("{method} {route}"), 0, 14 * ms);
        {
            let a = &mut server.attributes;
            let client_ip = format!("10.0.{}.{}", r.below(32), 2 + r.below(250));
            a.push(("http.request.method", s(method)));
            a.push(("url.scheme", s("https")));
            a.push(("url.path", s(path.clone())));
            if method == "GET" {
                a.push(("url.query", s(format!("include=items&locale=en-US&v={}", r.below(9)))));
            }
            a.push(("http.route", s(route)));
            a.push(("server.address", s("checkout.shop.example.com")));
            a.push(("server.port", AttrValue::Int(443)));
            a.push(("client.address", s(client_ip.clone())));
            a.push(("network.peer.address", s(client_ip)));
            a.push(("network.protocol.version", s("1.1")));
            a.push(("user_agent.original", s(*r.pick(USER_AGENTS))));
            a.push(("http.response.status_code", AttrValue::Int(status)));
            thread(a);
            if n.is_multiple_of(5) {
                a.push(("enduser.id", s(format!("user-{}", r.below(1_000_000)))));
            }
        }
        if status >= 500 {
            server.status = StatusSpec::Error(String::new());
        }

        // 1. internal service method
        let (function, class) = if method == "GET" && route.contains("orders") {
            ("getOrder", "com.example.shop.order.OrderService")
        } else if method == "POST" {
            ("placeOrder", "com.example.shop.order.OrderService")
        } else {
            ("updateCart", "com.example.shop.cart.CartService")
        };
        let mut service = base(
            1,
            SpanKind::Internal,
            format!("OrderService.{function}"),
            ms / 2,
            13 * ms,
        );
        {
            let a = &mut service.attributes;
            a.push(("code.function", s(function)));
            a.push(("code.namespace", s(class)));
            a.push((
                "code.filepath",
                s(format!("{}.java", class.rsplit('.').next().unwrap_or(class))),
            ));
            a.push(("code.lineno", AttrValue::Int(40 + r.below(300) as i64)));
            thread(a);
            a.push(("app.order.id", s(format!("ord-{order_id}"))));
            a.push(("app.customer.id", s(format!("cust-{:08}", r.below(100_000_000)))));
            a.push(("app.customer.tier", s(*r.pick(&["free", "silver", "gold", "platinum"]))));
            a.push(("app.cache.hit", AttrValue::Bool(r.below(3) == 0)));
            a.push(("app.items.count", AttrValue::Int(1 + r.below(12) as i64)));
            a.push(("app.order.total", AttrValue::Double((r.below(100_000) as f64) / 100.0)));
        }
        if n % 4 == 2 {
            service.events.push(EventSpec {
                name: "cache.miss",
                time_unix_nanos: start + ms,
                attributes: vec![("cache.key", s(format!("order:{order_id}")))],
            });
        }

        // 2. DynamoDB
        let op = *r.pick(&["GetItem", "Query", "PutItem"]);
        let mut dynamo = base(2, SpanKind::Client, format!("DynamoDB.{op}"), ms, 3 * ms);
        {
            let a = &mut dynamo.attributes;
            a.push(("rpc.system", s("aws-api")));
            a.push(("rpc.service", s("DynamoDB")));
            a.push(("rpc.method", s(op)));
            a.push(("aws.request_id", s(request_id(r))));
            a.push((
                "aws.dynamodb.table_names",
                AttrValue::StrArray(vec!["shop-orders".into()]),
            ));
            a.push((
                "aws.dynamodb.consumed_capacity",
                s("[{\"TableName\":\"shop-orders\",\"CapacityUnits\":0.5}]"),
            ));
            a.push(("http.request.method", s("POST")));
            a.push(("url.full", s("https://dynamodb.us-east-1.amazonaws.com")));
            a.push(("server.address", s("dynamodb.us-east-1.amazonaws.com")));
            a.push(("server.port", AttrValue::Int(443)));
            a.push(("http.response.status_code", AttrValue::Int(200)));
            thread(a);
        }

        // 3. SQS (producer) or S3 (client)
        let queue_or_bucket = if n.is_multiple_of(2) {
            let mut span = base(3, SpanKind::Producer, "SQS.SendMessage".into(), 3 * ms, 5 * ms);
            let a = &mut span.attributes;
            a.push(("rpc.system", s("aws-api")));
            a.push(("rpc.service", s("Sqs")));
            a.push(("rpc.method", s("SendMessage")));
            a.push(("aws.request_id", s(request_id(r))));
            a.push((
                "aws.queue_url",
                s("https://sqs.us-east-1.amazonaws.com/123456789012/order-events"),
            ));
            a.push(("messaging.system", s("AmazonSQS")));
            a.push(("messaging.destination.name", s("order-events")));
            a.push(("messaging.operation", s("publish")));
            a.push(("http.request.method", s("POST")));
            a.push(("url.full", s("https://sqs.us-east-1.amazonaws.com")));
            a.push(("http.response.status_code", AttrValue::Int(200)));
            thread(a);
            span
        } else {
            let mut span = base(3, SpanKind::Client, "S3.GetObject".into(), 3 * ms, 5 * ms);
            let a = &mut span.attributes;
            a.push(("rpc.system", s("aws-api")));
            a.push(("rpc.service", s("S3")));
            a.push(("rpc.method", s("GetObject")));
            a.push(("aws.request_id", s(format!("{:016X}", r.next()))));
            a.push(("aws.s3.bucket", s("shop-invoices-prod")));
            a.push(("aws.s3.key", s(format!("invoices/2023/11/{order_id}.pdf"))));
            a.push(("http.request.method", s("GET")));
            a.push((
                "url.full",
                s(format!(
                    "https://shop-invoices-prod.s3.amazonaws.com/invoices/2023/11/{order_id}.pdf"
                )),
            ));
            a.push(("server.address", s("shop-invoices-prod.s3.amazonaws.com")));
            a.push(("server.port", AttrValue::Int(443)));
            a.push(("http.response.status_code", AttrValue::Int(200)));
            a.push((
                "http.response.body.size",
                AttrValue::Int(20_000 + r.below(200_000) as i64),
            ));
            thread(a);
            span
        };

        // 4-5. SQL
        let sql = |i: usize, op: &str, table: &str, statement: String, begin: u64, end: u64| {
            let mut span = base(i, SpanKind::Client, format!("{op} shop.{table}"), begin, end);
            let a = &mut span.attributes;
            a.push(("db.system", s("postgresql")));
            a.push(("db.name", s("shop")));
            a.push(("db.user", s("shop_app")));
            a.push(("db.statement", s(statement)));
            a.push(("db.operation", s(op)));
            a.push(("db.sql.table", s(table)));
            a.push((
                "db.connection_string",
                s("postgresql://shop-db.cluster-c9xq2.us-east-1.rds.amazonaws.com:5432"),
            ));
            a.push(("server.address", s("shop-db.cluster-c9xq2.us-east-1.rds.amazonaws.com")));
            a.push(("server.port", AttrValue::Int(5432)));
            a.push(("network.peer.address", s("10.0.100.17")));
            span
        };
        let mut select = sql(
            4,
            "SELECT",
            "orders",
            "SELECT o.id, o.status, o.customer_id, o.total, o.created_at FROM orders o WHERE o.id = ? AND o.tenant_id = ?"
                .into(),
            5 * ms,
            7 * ms,
        );
        thread(&mut select.attributes);
        let mut insert = sql(
            5,
            "INSERT",
            "order_events",
            "INSERT INTO order_events (order_id, kind, payload, created_at) VALUES (?, ?, ?, now())".into(),
            7 * ms,
            9 * ms,
        );
        thread(&mut insert.attributes);
        if sql_fails {
            let message = format!(
                "ERROR: duplicate key value violates unique constraint \"order_events_pkey\"\n  Detail: Key (order_id, kind)=({order_id}, created) already exists."
            );
            insert.status = StatusSpec::Error(message.clone());
            insert.events.push(self.exception(
                start + 9 * ms,
                "org.postgresql.util.PSQLException",
                &message,
                StackKind::Sql,
            ));
            server.events.push(self.exception(
                start + 14 * ms,
                "org.springframework.dao.DuplicateKeyException",
                "PreparedStatementCallback; SQL [INSERT INTO order_events ...]; duplicate key value",
                StackKind::Handler,
            ));
        }

        // 6. outgoing HTTP
        let r = &mut self.rng;
        let sku = r.below(100_000);
        let mut http = base(6, SpanKind::Client, "GET".into(), 9 * ms, 12 * ms);
        {
            let a = &mut http.attributes;
            a.push(("http.request.method", s("GET")));
            a.push((
                "url.full",
                s(format!(
                    "http://inventory.shop.internal:8080/api/stock/{sku}?warehouse=us-east-1"
                )),
            ));
            a.push(("server.address", s("inventory.shop.internal")));
            a.push(("server.port", AttrValue::Int(8080)));
            a.push(("network.protocol.version", s("1.1")));
            a.push(("peer.service", s("inventory")));
            a.push(("user_agent.original", s("Java-http-client/17.0.9")));
            a.push((
                "http.response.status_code",
                AttrValue::Int(if http_fails { 503 } else { 200 }),
            ));
            a.push(("http.request.resend_count", AttrValue::Int(i64::from(http_fails))));
            thread(a);
        }
        if http_fails {
            http.status = StatusSpec::Error("503 Service Unavailable".into());
            http.events.push(self.exception(
                start + 12 * ms,
                "java.io.IOException",
                "upstream inventory responded 503: no healthy upstream",
                StackKind::Http,
            ));
        }

        // 7. internal rendering
        let r = &mut self.rng;
        let mut render = base(7, SpanKind::Internal, "render OrderResponse".into(), 12 * ms, 13 * ms);
        {
            let a = &mut render.attributes;
            a.push(("code.function", s("render")));
            a.push(("code.namespace", s("com.example.shop.web.OrderView")));
            a.push(("code.filepath", s("OrderView.java")));
            a.push(("code.lineno", AttrValue::Int(57)));
            thread(a);
            a.push(("app.template", s("order-v2")));
            a.push(("app.format", s("json")));
            a.push(("app.response.bytes", AttrValue::Int(512 + r.below(16_384) as i64)));
            a.push(("app.locale", s("en-US")));
        }

        spans.push(server);
        spans.push(service);
        spans.push(dynamo);
        spans.push(queue_or_bucket);
        spans.push(select);
        spans.push(insert);
        spans.push(http);
        spans.push(render);
        spans
    }

    fn exception(&mut self, at: u64, kind: &str, message: &str, stack: StackKind) -> EventSpec {
        let trace = match self.language {
            Language::Java => java_stack(kind, message, stack),
            Language::Rust => rust_stack(stack),
        };
        EventSpec {
            name: "exception",
            time_unix_nanos: at,
            attributes: vec![
                ("exception.type", s(kind)),
                ("exception.message", s(message)),
                ("exception.stacktrace", s(trace)),
                ("exception.escaped", AttrValue::Bool(false)),
            ],
        }
    }
}

fn request_id(r: &mut SplitMix64) -> String {
    let a = r.next();
    let b = r.next();
    format!("{:08X}{:016X}{:012X}", a >> 32, b, a & 0xffff_ffff_ffff)
}

#[derive(Clone, Copy)]
enum StackKind {
    Sql,
    Handler,
    Http,
}

fn java_stack(kind: &str, message: &str, stack: StackKind) -> String {
    let frames: &[&str] = match stack {
        StackKind::Sql => &[
            "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2713)",
            "org.postgresql.core.v3.QueryExecutorImpl.processResults(QueryExecutorImpl.java:2401)",
            "org.postgresql.core.v3.QueryExecutorImpl.execute(QueryExecutorImpl.java:368)",
            "org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:498)",
            "org.postgresql.jdbc.PgStatement.execute(PgStatement.java:415)",
            "org.postgresql.jdbc.PgPreparedStatement.executeWithFlags(PgPreparedStatement.java:190)",
            "org.postgresql.jdbc.PgPreparedStatement.executeUpdate(PgPreparedStatement.java:152)",
            "com.zaxxer.hikari.pool.ProxyPreparedStatement.executeUpdate(ProxyPreparedStatement.java:61)",
            "org.springframework.jdbc.core.JdbcTemplate.lambda$update$2(JdbcTemplate.java:965)",
            "org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:651)",
            "com.example.shop.order.OrderEventRepository.insert(OrderEventRepository.java:44)",
            "com.example.shop.order.OrderService.placeOrder(OrderService.java:131)",
        ],
        StackKind::Handler => &[
            "org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator.doTranslate(SQLErrorCodeSQLExceptionTranslator.java:243)",
            "org.springframework.jdbc.support.AbstractFallbackSQLExceptionTranslator.translate(AbstractFallbackSQLExceptionTranslator.java:70)",
            "org.springframework.jdbc.core.JdbcTemplate.translateException(JdbcTemplate.java:1575)",
            "org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:667)",
            "com.example.shop.order.OrderEventRepository.insert(OrderEventRepository.java:44)",
            "com.example.shop.order.OrderService.placeOrder(OrderService.java:131)",
            "com.example.shop.web.OrderController.create(OrderController.java:58)",
            "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
            "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
            "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
            "jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)",
            "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
            "java.base/java.lang.Thread.run(Thread.java:1583)",
        ],
        StackKind::Http => &[
            "com.example.shop.inventory.InventoryClient.checkStock(InventoryClient.java:77)",
            "com.example.shop.order.OrderService.getOrder(OrderService.java:96)",
            "com.example.shop.web.OrderController.get(OrderController.java:41)",
            "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
            "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
            "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
            "jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)",
            "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
            "java.base/java.lang.Thread.run(Thread.java:1583)",
        ],
    };
    let mut out = format!("{kind}: {message}\n");
    for f in frames {
        out.push_str("\tat ");
        out.push_str(f);
        out.push('\n');
    }
    if let StackKind::Handler = stack {
        out.push_str("Caused by: org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint \"order_events_pkey\"\n");
        out.push_str(
            "\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2713)\n",
        );
        out.push_str("\tat org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:498)\n");
        out.push_str("\t... 11 more\n");
    }
    out
}

fn rust_stack(stack: StackKind) -> String {
    let frames: &[(&str, &str)] = match stack {
        StackKind::Sql => &[
            (
                "sqlx_core::pool::inner::PoolInner<DB>::acquire",
                "sqlx-core-0.7.4/src/pool/inner.rs:272:13",
            ),
            (
                "sqlx_core::query::Query<DB,A>::execute",
                "sqlx-core-0.7.4/src/query.rs:163:9",
            ),
            ("shop::order::events::insert", "src/order/events.rs:44:9"),
            ("shop::order::service::place_order", "src/order/service.rs:131:17"),
        ],
        StackKind::Handler => &[
            ("shop::web::orders::create", "src/web/orders.rs:58:5"),
            ("axum::handler::Handler::call", "axum-0.7.5/src/handler/mod.rs:220:52"),
            (
                "tower::util::map_response::MapResponseFuture::poll",
                "tower-0.4.13/src/util/map_response.rs:94:9",
            ),
            (
                "hyper::proto::h1::dispatch::Dispatcher::poll_loop",
                "hyper-1.3.1/src/proto/h1/dispatch.rs:161:21",
            ),
            (
                "tokio::runtime::task::core::Core<T,S>::poll",
                "tokio-1.37.0/src/runtime/task/core.rs:328:17",
            ),
        ],
        StackKind::Http => &[
            ("shop::inventory::client::check_stock", "src/inventory/client.rs:77:13"),
            ("shop::order::service::get_order", "src/order/service.rs:96:21"),
            ("shop::web::orders::get", "src/web/orders.rs:41:5"),
            ("axum::handler::Handler::call", "axum-0.7.5/src/handler/mod.rs:220:52"),
        ],
    };
    let mut out = String::new();
    for (i, (label, at)) in frames.iter().enumerate() {
        out.push_str(&format!(
            "  {i:>2}: {label}\n             at /usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/{at}\n"
        ));
    }
    out
}

fn resource_attributes(language: Language) -> Vec<Attr> {
    let task = "arn:aws:ecs:us-east-1:123456789012:task/shop-prod/5f3e8a2b9c1d4e6f8a7b0c9d1e2f3a4b";
    let (runtime, sdk_version) = match language {
        Language::Java => ("OpenJDK Runtime Environment", "1.40.0"),
        Language::Rust => ("rustc", "0.33.1"),
    };
    vec![
        ("service.name", s("checkout")),
        ("service.version", s("2.14.1")),
        ("service.namespace", s("shop")),
        ("deployment.environment.name", s("production")),
        ("telemetry.sdk.name", s("opentelemetry")),
        ("telemetry.sdk.language", s(language.sdk_language())),
        ("telemetry.sdk.version", s(sdk_version)),
        ("process.runtime.name", s(runtime)),
        ("cloud.provider", s("aws")),
        ("cloud.platform", s("aws_ecs")),
        ("cloud.region", s("us-east-1")),
        ("cloud.account.id", s("123456789012")),
        ("cloud.availability_zone", s("us-east-1b")),
        ("aws.ecs.launchtype", s("fargate")),
        (
            "aws.ecs.cluster.arn",
            s("arn:aws:ecs:us-east-1:123456789012:cluster/shop-prod"),
        ),
        ("aws.ecs.task.arn", s(task)),
        ("aws.ecs.task.family", s("checkout")),
        (
            "aws.ecs.container.arn",
            s("arn:aws:ecs:us-east-1:123456789012:container/shop-prod/5f3e8a2b/1c2d3e4f"),
        ),
        ("container.name", s("checkout")),
        ("container.id", s("5f3e8a2b9c1d4e6f8a7b0c9d1e2f3a4b-1234567890")),
        (
            "aws.log.group.names",
            AttrValue::StrArray(vec!["/ecs/shop-prod/checkout".into()]),
        ),
    ]
}

// ------------------------------------------------------------------------------------------------
// SDK form
// ------------------------------------------------------------------------------------------------

fn sdk_value(v: &AttrValue) -> Value {
    match v {
        AttrValue::Str(x) => Value::String(StringValue::from(x.clone())),
        AttrValue::Int(x) => Value::I64(*x),
        AttrValue::Double(x) => Value::F64(*x),
        AttrValue::Bool(x) => Value::Bool(*x),
        AttrValue::StrArray(x) => Value::Array(Array::String(x.iter().cloned().map(StringValue::from).collect())),
    }
}

fn sdk_kv(key: &'static str, v: &AttrValue) -> KeyValue {
    KeyValue::new(Key::from_static_str(key), sdk_value(v))
}

fn time(unix_nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(unix_nanos)
}

fn sdk_span(spec: &SpanSpec) -> SpanData {
    let mut events = SpanEvents::default();
    events.events = spec
        .events
        .iter()
        .map(|e| {
            opentelemetry::trace::Event::new(
                e.name,
                time(e.time_unix_nanos),
                e.attributes.iter().map(|(k, v)| sdk_kv(k, v)).collect(),
                0,
            )
        })
        .collect();
    SpanData {
        span_context: SpanContext::new(
            TraceId::from_bytes(spec.trace_id),
            SpanId::from_bytes(spec.span_id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: spec.parent_span_id.map_or(SpanId::INVALID, SpanId::from_bytes),
        parent_span_is_remote: spec.parent_is_remote,
        span_kind: spec.kind.clone(),
        name: Cow::Owned(spec.name.clone()),
        start_time: time(spec.start_unix_nanos),
        end_time: time(spec.end_unix_nanos),
        attributes: spec.attributes.iter().map(|(k, v)| sdk_kv(k, v)).collect(),
        dropped_attributes_count: 0,
        events,
        links: SpanLinks::default(),
        status: match &spec.status {
            StatusSpec::Unset => Status::Unset,
            StatusSpec::Ok => Status::Ok,
            StatusSpec::Error(d) => Status::error(d.clone()),
        },
        instrumentation_scope: InstrumentationScope::builder("io.opentelemetry.spring-webmvc-6.0")
            .with_version("2.6.0-alpha")
            .build(),
    }
}

// ------------------------------------------------------------------------------------------------
// OTLP form
// ------------------------------------------------------------------------------------------------

fn otlp_value(v: &AttrValue) -> otlp_common::AnyValue {
    use otlp_common::any_value::Value as V;
    let value = match v {
        AttrValue::Str(x) => V::StringValue(x.clone()),
        AttrValue::Int(x) => V::IntValue(*x),
        AttrValue::Double(x) => V::DoubleValue(*x),
        AttrValue::Bool(x) => V::BoolValue(*x),
        AttrValue::StrArray(x) => V::ArrayValue(otlp_common::ArrayValue {
            values: x
                .iter()
                .map(|s| otlp_common::AnyValue {
                    value: Some(V::StringValue(s.clone())),
                })
                .collect(),
        }),
    };
    otlp_common::AnyValue { value: Some(value) }
}

fn otlp_kvs(attrs: &[Attr]) -> Vec<otlp_common::KeyValue> {
    attrs
        .iter()
        .map(|(k, v)| otlp_common::KeyValue {
            key: (*k).to_owned(),
            value: Some(otlp_value(v)),
            ..otlp_common::KeyValue::default()
        })
        .collect()
}

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK` and `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`.
const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

fn otlp_span(spec: &SpanSpec) -> otlp_trace::Span {
    use otlp_trace::span::SpanKind as K;
    use otlp_trace::status::StatusCode as C;
    let kind = match spec.kind {
        SpanKind::Internal => K::Internal,
        SpanKind::Server => K::Server,
        SpanKind::Client => K::Client,
        SpanKind::Producer => K::Producer,
        SpanKind::Consumer => K::Consumer,
    };
    let status = match &spec.status {
        StatusSpec::Unset => None,
        StatusSpec::Ok => Some(otlp_trace::Status {
            message: String::new(),
            code: C::Ok as i32,
        }),
        StatusSpec::Error(m) => Some(otlp_trace::Status {
            message: m.clone(),
            code: C::Error as i32,
        }),
    };
    otlp_trace::Span {
        trace_id: spec.trace_id.to_vec(),
        span_id: spec.span_id.to_vec(),
        trace_state: String::new(),
        parent_span_id: spec.parent_span_id.map(|p| p.to_vec()).unwrap_or_default(),
        flags: 0x01 | HAS_IS_REMOTE | if spec.parent_is_remote { IS_REMOTE } else { 0 },
        name: spec.name.clone(),
        kind: kind as i32,
        start_time_unix_nano: spec.start_unix_nanos,
        end_time_unix_nano: spec.end_unix_nanos,
        attributes: otlp_kvs(&spec.attributes),
        dropped_attributes_count: 0,
        events: spec
            .events
            .iter()
            .map(|e| otlp_trace::span::Event {
                time_unix_nano: e.time_unix_nanos,
                name: e.name.to_owned(),
                attributes: otlp_kvs(&e.attributes),
                dropped_attributes_count: 0,
            })
            .collect(),
        dropped_events_count: 0,
        links: Vec::new(),
        dropped_links_count: 0,
        status,
    }
}

fn otlp_request(specs: &[SpanSpec], resource: &[Attr]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![otlp_trace::ResourceSpans {
            resource: Some(OtlpResource {
                attributes: otlp_kvs(resource),
                ..OtlpResource::default()
            }),
            scope_spans: vec![otlp_trace::ScopeSpans {
                scope: Some(otlp_common::InstrumentationScope {
                    name: "io.opentelemetry.spring-webmvc-6.0".into(),
                    version: "2.6.0-alpha".into(),
                    ..otlp_common::InstrumentationScope::default()
                }),
                spans: specs.iter().map(otlp_span).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_sized() {
        for spans in [0, 1, 7, 8, 9, 512] {
            let config = WorkloadConfig {
                spans,
                ..WorkloadConfig::default()
            };
            let a = Workload::generate(&config);
            let b = Workload::generate(&config);
            assert_eq!(a.specs, b.specs);
            assert_eq!(a.request, b.request);
            assert_eq!(a.len(), spans);
            assert_eq!(a.spans.len(), spans);
            assert_eq!(a.request.resource_spans[0].scope_spans[0].spans.len(), spans);
        }
    }

    #[test]
    fn the_default_batch_is_the_advertised_mix() {
        let w = Workload::generate(&WorkloadConfig::default());
        let st = w.stats();
        assert_eq!(st.spans, 512);
        assert_eq!(st.server, 64);
        assert_eq!(st.internal, 128);
        assert_eq!(st.client, 320);
        assert_eq!(st.aws_api, 128);
        assert_eq!(st.sql, 128);
        assert!(st.min_attributes >= 10 && st.max_attributes <= 15, "{st:?}");
        assert!((20..=40).contains(&st.with_exception), "{st:?}");
        for span in &w.specs {
            assert_eq!(span.trace_id[..4], 1_699_999_700u32.to_be_bytes());
            assert!(span.start_unix_nanos < span.end_unix_nanos);
            assert!(span.end_unix_nanos < 1_699_999_700 * 1_000_000_000);
        }
    }

    /// Ids 1, 2, 3, ... so that both forms get the same exception ids.
    struct Counter(u64);

    impl otel_xray_translate::IdSource for Counter {
        fn next_id(&mut self) -> otel_xray_model::SegmentId {
            self.0 += 1;
            otel_xray_model::SegmentId(self.0.to_be_bytes())
        }
    }

    fn documents(batch: &otel_xray_translate::DocumentBatch) -> Vec<serde_json::Value> {
        batch
            .documents()
            .map(|(_, json)| serde_json::from_slice(json).expect("valid JSON"))
            .collect()
    }

    #[test]
    fn both_forms_translate_to_the_same_documents() {
        use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
        for language in [Language::Java, Language::Rust] {
            let config = WorkloadConfig {
                language,
                ..WorkloadConfig::default()
            };
            let w = Workload::generate(&config);
            let translator = Translator::new(TranslatorConfig::default());
            let options = BatchOptions {
                now_unix_secs: config.now_unix_secs,
                budget: Budget::PutTraceSegments,
            };
            let mut otlp = DocumentBatch::new();
            translator.translate_resource_spans_with_ids(
                &w.request.resource_spans,
                options,
                &mut Counter(0),
                &mut otlp,
            );
            let mut sdk = DocumentBatch::new();
            translator.translate_sdk_with_ids(&w.spans, &w.resource, options, &mut Counter(0), &mut sdk);
            assert!(otlp.failures().is_empty(), "{:?}", otlp.failures());
            assert!(sdk.failures().is_empty(), "{:?}", sdk.failures());
            assert_eq!(otlp.len(), w.len());
            // Key order may differ (the SDK resource is a hash map); the content may not.
            assert_eq!(documents(&otlp), documents(&sdk));
        }
    }
}
