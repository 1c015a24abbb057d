//! `otel-xray demo` against the real gateway (`otel-xray run --output stdout`), all on 127.0.0.1:
//! the documents the gateway would send to X-Ray are read back from its stdout and checked for
//! what a newcomer should see on the service map.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

/// How long the gateway may take to answer `/ready`.
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// How long one demo run may take.
const DEMO_DEADLINE: Duration = Duration::from_secs(60);
/// How long the gateway may take to drain and exit after SIGTERM.
const EXIT_DEADLINE: Duration = Duration::from_secs(30);

mod support;

use support::{Proc, Scratch, free_ports, http_status};

/// A gateway writing JSON lines to stdout, with its listen ports.
struct Gateway {
    proc: Proc,
    grpc: u16,
    http: u16,
    udp: u16,
}

impl Gateway {
    fn start(dir: &Path) -> Self {
        let ([grpc, http, admin], udp) = free_ports();
        let config = dir.join("gateway.yaml");
        std::fs::write(
            &config,
            format!(
                "receivers:\n  \
                   otlp_grpc: {{ endpoint: \"127.0.0.1:{grpc}\" }}\n  \
                   otlp_http: {{ endpoint: \"127.0.0.1:{http}\" }}\n  \
                   xray_udp: {{ endpoint: \"127.0.0.1:{udp}\" }}\n  \
                   sampling_proxy: {{ endpoint: \"127.0.0.1:{udp}\", enabled: false }}\n\
                 pipeline:\n  batch_timeout_ms: 50\n  shutdown_timeout_seconds: 10\n\
                 awsxray:\n  output: stdout\n\
                 admin:\n  endpoint: {{ endpoint: \"127.0.0.1:{admin}\" }}\n"
            ),
        )
        .expect("write config");
        let mut command = Command::new(env!("CARGO_BIN_EXE_otel-xray"));
        command.arg("run").arg("--config").arg(&config);
        let mut proc = Proc::spawn("gateway", &mut command, dir);
        let admin_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, admin));
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if let Some(status) = proc.child.try_wait().expect("try_wait") {
                panic!(
                    "the gateway exited with {status} before it was ready:\n{}",
                    proc.stderr()
                );
            }
            if http_status(admin_addr, "/ready") == Some(200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the gateway was not ready within {READY_DEADLINE:?}:\n{}",
                proc.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { proc, grpc, http, udp }
    }

    /// SIGTERM, wait for the drained exit, and the documents it wrote.
    fn stop(mut self) -> Vec<Json> {
        let pid = self.proc.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let status = self.proc.finish(EXIT_DEADLINE);
        assert!(
            status.success(),
            "the gateway exited with {status}:\n{}",
            self.proc.stderr()
        );
        self.proc
            .stdout()
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// Runs `otel-xray demo` with `args` to completion.
fn demo(dir: &Path, name: &str, args: &[&str]) -> (ExitStatus, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otel-xray"));
    command.arg("demo").args(args);
    let mut proc = Proc::spawn(name, &mut command, dir);
    let status = proc.finish(DEMO_DEADLINE);
    (status, proc.stdout(), proc.stderr())
}

fn text<'a>(doc: &'a Json, pointer: &str) -> Option<&'a str> {
    doc.pointer(pointer).and_then(Json::as_str)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `1-<8 hex>-<24 hex>` whose epoch is within ten minutes of now.
fn assert_trace_id(id: &str) {
    let parts: Vec<&str> = id.split('-').collect();
    assert!(
        parts.len() == 3 && parts[0] == "1" && is_hex(parts[1], 8) && is_hex(parts[2], 24),
        "malformed trace id {id}"
    );
    let epoch = i64::from_str_radix(parts[1], 16).expect("hex epoch");
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()).expect("now");
    assert!(
        (now - epoch).abs() < 600,
        "trace id {id} has epoch {epoch}, now is {now}"
    );
}

/// Every document and every embedded subsegment, flattened, with the trace id of its document.
fn flatten(docs: &[Json]) -> Vec<(String, Json)> {
    fn walk(trace: &str, doc: &Json, out: &mut Vec<(String, Json)>) {
        out.push((trace.to_owned(), doc.clone()));
        for sub in doc.get("subsegments").and_then(Json::as_array).into_iter().flatten() {
            walk(trace, sub, out);
        }
    }
    let mut out = Vec::new();
    for doc in docs {
        let trace = text(doc, "/trace_id").expect("every document has a trace_id");
        walk(trace, doc, &mut out);
    }
    out
}

fn top_level_segments<'a>(docs: &'a [Json], name: &str) -> Vec<&'a Json> {
    docs.iter()
        .filter(|d| d.get("type").is_none() && text(d, "/name") == Some(name))
        .collect()
}

fn subsegments<'a>(docs: &'a [Json], name: &str) -> Vec<&'a Json> {
    docs.iter()
        .filter(|d| text(d, "/type") == Some("subsegment") && text(d, "/name") == Some(name))
        .collect()
}

#[test]
fn demo_fills_the_service_map() {
    let scratch = Scratch::new("map");
    let gateway = Gateway::start(&scratch.0);
    let endpoint = format!("http://127.0.0.1:{}", gateway.http);
    let udp = format!("127.0.0.1:{}", gateway.udp);
    let (status, out, err) = demo(
        &scratch.0,
        "demo",
        &[
            "--traces",
            "12",
            "--seed",
            "7",
            "--rate",
            "20",
            "--otlp-endpoint",
            &endpoint,
            "--xray-udp",
            &udp,
        ],
    );
    assert!(status.success(), "demo exited with {status}:\n{out}\n{err}");
    assert!(
        out.contains("done after") && out.contains("12 traces") && out.contains(", 0 failed"),
        "demo summary:\n{out}"
    );
    let docs = gateway.stop();

    // Every document is well-formed and recent; the 12 traces are all there.
    let mut traces = BTreeSet::new();
    for doc in &docs {
        let trace_id = text(doc, "/trace_id").expect("trace_id");
        assert_trace_id(trace_id);
        traces.insert(trace_id.to_owned());
        assert!(is_hex(text(doc, "/id").expect("id"), 16), "bad id in {doc}");
        let (start, end) = (doc["start_time"].as_f64(), doc["end_time"].as_f64());
        assert!(
            matches!((start, end), (Some(s), Some(e)) if s <= e),
            "bad times in {doc}"
        );
    }
    assert_eq!(traces.len(), 12, "distinct trace ids");

    // Every parent is in the same trace (a segment, a subsegment, or one embedded in a UDP
    // document): the map's edges connect.
    let all = flatten(&docs);
    let ids: BTreeSet<(String, String)> = all
        .iter()
        .filter_map(|(t, d)| Some((t.clone(), text(d, "/id")?.to_owned())))
        .collect();
    for (trace, doc) in &all {
        if let Some(parent) = text(doc, "/parent_id") {
            assert!(
                ids.contains(&(trace.clone(), parent.to_owned())),
                "parent {parent} of {} not in trace {trace}",
                doc["name"]
            );
        }
    }

    // The services, as nodes with the right origin.
    let orders = top_level_segments(&docs, "orders-api");
    let worker = top_level_segments(&docs, "order-worker");
    let dashboard = top_level_segments(&docs, "dashboard");
    let legacy = top_level_segments(&docs, "legacy-billing");
    let stage = top_level_segments(&docs, "orders-rest-api/prod");
    assert!(orders.len() >= 4, "orders-api segments: {}", orders.len());
    assert!(worker.len() >= 2, "order-worker segments: {}", worker.len());
    assert!(dashboard.len() >= 2, "dashboard segments: {}", dashboard.len());
    assert_eq!(legacy.len(), 1, "legacy-billing segments");
    assert_eq!(
        stage.len(),
        orders.len(),
        "one API Gateway stage segment per orders-api call"
    );
    for d in &dashboard {
        assert_eq!(text(d, "/origin"), Some("AWS::ECS::EC2"), "{d}");
        assert_eq!(text(d, "/aws/ecs/container"), Some("dashboard"), "{d}");
    }
    for d in &stage {
        assert_eq!(text(d, "/origin"), Some("AWS::ApiGateway::Stage"), "{d}");
    }
    assert_eq!(text(legacy[0], "/origin"), Some("AWS::EC2::Instance"));
    for d in orders.iter().chain(&worker) {
        // A Lambda function: `cloud.platform = aws_lambda` gives no origin (translation.md §10),
        // but the function is recorded.
        assert_eq!(
            text(d, "/metadata/default/otel.resource.cloud.platform"),
            Some("aws_lambda"),
            "{d}"
        );
    }
    // The legacy service calls the orders API, which calls orders-api.
    let legacy_call = &legacy[0]["subsegments"][1];
    assert_eq!(text(legacy_call, "/namespace"), Some("remote"));
    assert!(
        stage.iter().any(|s| text(s, "/parent_id") == text(legacy_call, "/id")),
        "no API Gateway segment under the legacy call {legacy_call}"
    );

    // AWS calls: DynamoDB and SQS subsegments with their table and queue.
    let dynamodb = subsegments(&docs, "DynamoDB");
    assert!(!dynamodb.is_empty(), "no DynamoDB subsegment");
    for d in &dynamodb {
        assert_eq!(text(d, "/namespace"), Some("aws"), "{d}");
        assert_eq!(text(d, "/aws/table_name"), Some("orders"), "{d}");
    }
    let operations: BTreeSet<&str> = dynamodb.iter().filter_map(|d| text(d, "/aws/operation")).collect();
    for op in ["GetItem", "PutItem", "UpdateItem"] {
        assert!(operations.contains(op), "no DynamoDB {op}: {operations:?}");
    }
    let sqs = subsegments(&docs, "SQS");
    assert!(!sqs.is_empty(), "no SQS subsegment");
    for d in &sqs {
        assert_eq!(text(d, "/namespace"), Some("aws"), "{d}");
        assert_eq!(text(d, "/aws/operation"), Some("SendMessage"), "{d}");
        assert!(
            text(d, "/aws/queue_url").is_some_and(|u| u.ends_with("/order-events")),
            "{d}"
        );
    }

    // The worker's consumer span links to an SQS SendMessage the gateway also received.
    let producers: BTreeSet<(&str, &str)> = sqs
        .iter()
        .filter_map(|d| Some((text(d, "/trace_id")?, text(d, "/id")?)))
        .collect();
    let consumers = subsegments(&docs, "order-events process");
    assert_eq!(consumers.len(), worker.len());
    for c in &consumers {
        let link = &c["links"][0];
        let target = (text(link, "/trace_id").unwrap_or(""), text(link, "/id").unwrap_or(""));
        assert!(producers.contains(&target), "link {link} points at no SendMessage");
    }

    // The external API: a remote node, sometimes failing (503 fault) or throttling (429).
    let payments = subsegments(&docs, "payments.example.com");
    assert!(!payments.is_empty(), "no payments.example.com subsegment");
    for d in &payments {
        assert_eq!(text(d, "/namespace"), Some("remote"), "{d}");
        assert_eq!(
            text(d, "/http/request/url"),
            Some("https://payments.example.com/v1/charges"),
            "{d}"
        );
    }
    let status = |d: &&Json| d.pointer("/http/response/status").and_then(Json::as_u64);
    assert!(
        payments.iter().any(|d| status(d) == Some(503) && d["fault"] == true),
        "no 503 fault from payments"
    );
    assert!(
        payments
            .iter()
            .any(|d| status(d) == Some(429) && d["throttle"] == true && d["error"] == true),
        "no 429 throttle from payments"
    );

    // PostgreSQL: remote subsegments with an sql block.
    let sql: Vec<&Json> = docs.iter().filter(|d| d.get("sql").is_some()).collect();
    assert!(!sql.is_empty(), "no sql subsegment");
    for d in &sql {
        assert_eq!(text(d, "/namespace"), Some("remote"), "{d}");
        assert_eq!(text(d, "/sql/database_type"), Some("postgresql"), "{d}");
        assert!(
            text(d, "/sql/sanitized_query").is_some_and(|q| q.starts_with("SELECT ")),
            "{d}"
        );
        assert!(text(d, "/name").is_some_and(|n| n.starts_with("analytics@")), "{d}");
    }

    // Errors a user would click on: a 400 error, a fault with a cause and a parsed stack.
    assert!(
        orders.iter().any(|d| d["error"] == true && status(d) == Some(400)),
        "no validation error"
    );
    let faults_with_cause: Vec<&Json> = orders
        .iter()
        .chain(&worker)
        .copied()
        .filter(|d| d["fault"] == true)
        .filter(|d| {
            d.pointer("/cause/exceptions/0/stack/0/path")
                .and_then(Json::as_str)
                .is_some()
        })
        .collect();
    assert!(
        faults_with_cause.len() >= 2,
        "faults with a cause and stack: {faults_with_cause:?}"
    );

    // Annotations to filter on.
    let annotation = |d: &Json, key: &str| d.pointer(&format!("/annotations/{key}")).cloned();
    assert!(
        orders.iter().all(|d| annotation(d, "customer_id").is_some()),
        "customer_id"
    );
    assert!(orders.iter().any(|d| annotation(d, "order_id").is_some()), "order_id");
    assert!(
        worker.iter().all(|d| annotation(d, "payment_status").is_some()),
        "payment_status"
    );
    assert!(
        dashboard.iter().all(|d| annotation(d, "tenant_id").is_some()),
        "tenant_id"
    );

    // Nothing was dropped on the way: as many documents as the demo says it sent.
    let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &docs {
        *per_name.entry(text(d, "/name").unwrap_or("")).or_default() += 1;
    }
    let spans: usize = out
        .lines()
        .last()
        .and_then(|l| {
            l.split(", ")
                .find_map(|p| p.strip_suffix(" spans over OTLP")?.parse().ok())
        })
        .unwrap_or_else(|| panic!("no span count in the summary:\n{out}"));
    let udp_docs = legacy.len() + stage.len();
    assert_eq!(docs.len(), spans + udp_docs, "documents per name: {per_name:?}");
}

#[test]
fn the_same_seed_gives_the_same_names_over_grpc_without_udp() {
    let scratch = Scratch::new("grpc");
    let gateway = Gateway::start(&scratch.0);
    let endpoint = format!("http://127.0.0.1:{}", gateway.grpc);
    let args = [
        "--protocol",
        "grpc",
        "--no-udp",
        "--traces",
        "6",
        "--seed",
        "11",
        "--rate",
        "50",
        "--otlp-endpoint",
        &endpoint,
    ];
    let (first, out, err) = demo(&scratch.0, "demo-1", &args);
    assert!(first.success(), "demo exited with {first}:\n{out}\n{err}");
    let (second, out, err) = demo(&scratch.0, "demo-2", &args);
    assert!(second.success(), "demo exited with {second}:\n{out}\n{err}");
    let docs = gateway.stop();

    // Without UDP: no API Gateway and no legacy service, only OpenTelemetry services.
    let names: BTreeSet<&str> = docs.iter().filter_map(|d| text(d, "/name")).collect();
    assert!(
        !names.contains("orders-rest-api/prod") && !names.contains("legacy-billing"),
        "{names:?}"
    );
    for name in ["orders-api", "order-worker", "dashboard"] {
        assert!(names.contains(name), "no {name} in {names:?}");
    }
    // Two runs with one seed: the same documents apart from ids and times.
    let shape = |d: &Json| {
        (
            text(d, "/name").unwrap_or("").to_owned(),
            d.get("fault").cloned(),
            d.get("annotations").cloned(),
        )
    };
    let mut by_trace: BTreeMap<&str, Vec<&Json>> = BTreeMap::new();
    for d in &docs {
        by_trace.entry(text(d, "/trace_id").unwrap_or("")).or_default().push(d);
    }
    assert_eq!(by_trace.len(), 12, "two runs of 6 traces");
    let mut shapes: Vec<_> = by_trace
        .values()
        .map(|ds| {
            let mut s: Vec<_> = ds.iter().map(|d| shape(d)).collect();
            s.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            format!("{s:?}")
        })
        .collect();
    shapes.sort();
    // Each trace shape occurs an even number of times: once per run.
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for s in &shapes {
        *counts.entry(s).or_default() += 1;
    }
    assert!(counts.values().all(|n| n.is_multiple_of(2)), "runs differ: {counts:#?}");
}

#[test]
fn demo_without_a_gateway_fails_quickly_and_clearly() {
    let scratch = Scratch::new("unreachable");
    // A port nothing listens on.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind")
        .port();
    let started = Instant::now();
    let (status, out, err) = demo(
        &scratch.0,
        "demo",
        &[
            "--traces",
            "3",
            "--no-udp",
            "--otlp-endpoint",
            &format!("http://127.0.0.1:{port}"),
        ],
    );
    assert!(!status.success(), "demo succeeded without a gateway:\n{out}\n{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.contains("no OTLP receiver at") && err.contains("otel-xray run"),
        "unclear message:\n{err}"
    );
}
