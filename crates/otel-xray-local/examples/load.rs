//! Load harness for Local X-Ray: fills a file store with synthetic, realistic traces (default
//! 200,000 traces × 5 documents = 1,000,000 segment documents, spread over the last 24 hours),
//! then times the read API over HTTP on 127.0.0.1: `GetTraceSummaries` over the last hour
//! (first page, all pages, with and without filters), `GetServiceGraph` over the last hour, and
//! `BatchGetTraces`.
//!
//! ```text
//! cargo run --release -p otel-xray-local --example load -- [--traces 200000] [--path FILE] [--reuse]
//! ```
//!
//! `--reuse` skips the fill when FILE already holds traces. Not run by `cargo test`.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use otel_xray_local::{LocalOptions, LocalXray};
use serde_json::{Value, json};

const DOCS_PER_TRACE: u64 = 5;
const WINDOW_SECS: f64 = 24.0 * 3600.0;
const RUNS: usize = 5;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The five documents of one trace: frontend (root, http, annotations, two calls) → orders
/// (with an independently sent SQL subsegment) → payments; frontend → DynamoDB (inferred).
fn trace_docs(n: u64, t0: f64, rng: &mut Rng) -> Vec<String> {
    let trace = format!("1-{:08x}-{:024x}", t0 as u64, n);
    let id = |k: u64| format!("{:016x}", n * 16 + k);
    let fault = rng.below(50) == 0;
    let error = !fault && rng.below(20) == 0;
    let status = if fault {
        502
    } else if error {
        404
    } else {
        200
    };
    let total = 0.05 + rng.unit() * 0.5;
    let routes = ["/orders", "/orders/{id}", "/cart", "/checkout", "/search"];
    let route = routes[rng.below(routes.len() as u64) as usize];
    let front = json!({
        "trace_id": trace, "id": id(1), "name": "frontend", "origin": "AWS::ECS::Container",
        "start_time": t0, "end_time": t0 + total, "fault": fault, "error": error,
        "user": format!("user-{}", rng.below(500)),
        "http": { "request": { "method": if route == "/checkout" { "POST" } else { "GET" },
                                "url": format!("https://shop.example.com{route}"), "user_agent": "Mozilla/5.0",
                                "client_ip": format!("10.0.{}.{}", rng.below(256), rng.below(256)) },
                  "response": { "status": status, "content_length": 512 } },
        "annotations": { "tenant": format!("t-{}", rng.below(50)), "route": route, "items": rng.below(10), "cached": rng.below(2) == 0 },
        "aws": { "ecs": { "container": "frontend-1" }, "xray": { "sdk": "opentelemetry for rust", "sdk_version": "0.33" } },
        "metadata": { "default": { "build": "2026.11.1", "region": "us-east-1" } },
        "subsegments": [
            { "id": id(2), "name": "orders", "namespace": "remote", "start_time": t0 + 0.005, "end_time": t0 + total * 0.8,
              "fault": fault, "http": { "request": { "method": "GET", "url": "http://orders.internal/api" }, "response": { "status": status } } },
            { "id": id(3), "name": "DynamoDB", "namespace": "aws", "start_time": t0 + 0.001, "end_time": t0 + 0.004,
              "aws": { "operation": "GetItem", "table_name": "sessions", "region": "us-east-1", "request_id": format!("R{n}") },
              "throttle": rng.below(100) == 0 }
        ]
    });
    let orders = json!({
        "trace_id": trace, "id": id(4), "parent_id": id(2), "name": "orders", "origin": "AWS::EC2::Instance",
        "start_time": t0 + 0.006, "end_time": t0 + total * 0.78, "fault": fault,
        "http": { "request": { "method": "GET", "url": "http://orders.internal/api" }, "response": { "status": status } },
        "annotations": { "order_count": rng.below(100) },
        "subsegments": [
            { "id": id(5), "name": "payments", "namespace": "remote", "start_time": t0 + 0.01, "end_time": t0 + total * 0.5,
              "fault": fault, "http": { "request": { "method": "POST", "url": "http://payments.internal/charge" } } }
        ]
    });
    let sql = json!({
        "type": "subsegment", "trace_id": trace, "id": id(6), "parent_id": id(4), "name": "orders@db.internal",
        "namespace": "remote", "start_time": t0 + total * 0.55, "end_time": t0 + total * 0.7,
        "sql": { "database_type": "PostgreSQL", "sanitized_query": "SELECT * FROM orders WHERE customer_id = $1" }
    });
    let mut payments = json!({
        "trace_id": trace, "id": id(7), "parent_id": id(5), "name": "payments",
        "start_time": t0 + 0.011, "end_time": t0 + total * 0.49, "fault": fault,
        "http": { "request": { "method": "POST", "url": "http://payments.internal/charge" }, "response": { "status": status } }
    });
    if fault {
        payments["cause"] = json!({ "exceptions": [ { "id": id(8), "type": "GatewayTimeout", "message": "upstream card processor timed out" } ] });
    }
    let audit = json!({
        "trace_id": trace, "id": id(9), "parent_id": id(1), "name": "audit", "start_time": t0 + total * 0.9,
        "end_time": t0 + total * 0.95, "annotations": { "event": "order.viewed" }
    });
    [front, orders, sql, payments, audit]
        .iter()
        .map(Value::to_string)
        .collect()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn post(client: &reqwest::Client, base: &str, path: &str, body: &Value) -> Value {
    let response = client
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut traces: u64 = 200_000;
    let mut path: Option<PathBuf> = None;
    let mut reuse = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--traces" => traces = args.next().and_then(|v| v.parse().ok()).expect("--traces N"),
            "--path" => path = args.next().map(PathBuf::from),
            "--reuse" => reuse = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let _tmp;
    let path = match path {
        Some(p) => p,
        None => {
            _tmp = tempfile::tempdir().expect("tempdir");
            _tmp.path().join("load.sqlite")
        }
    };
    let options = LocalOptions {
        path: Some(path.clone()),
        max_bytes: 64 << 30,
        ..LocalOptions::default()
    };
    let xray = LocalXray::open(options).expect("open store");
    let end = now();
    if !(reuse && xray.store().logical_bytes() > 0) {
        let store = xray.store().clone();
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            let per_call = 50 / DOCS_PER_TRACE; // 10 traces = 50 documents per PutTraceSegments
            let mut n = 0;
            while n < traces {
                let mut docs = Vec::with_capacity(50);
                for k in n..(n + per_call).min(traces) {
                    let t0 = end - WINDOW_SECS + WINDOW_SECS * (k as f64 / traces as f64);
                    docs.extend(trace_docs(k + 1, t0, &mut rng));
                }
                let rejected = store.put(&docs, end).expect("put");
                assert!(rejected.is_empty(), "{rejected:?}");
                n += per_call;
                if n.is_multiple_of(20_000) {
                    eprintln!("filled {n} traces in {:.1?}", started.elapsed());
                }
            }
        })
        .await
        .expect("fill");
        let took = started.elapsed();
        let docs = traces * DOCS_PER_TRACE;
        println!(
            "fill: {traces} traces, {docs} documents in {took:.1?} ({:.0} documents/s, store calls of 50 documents)",
            docs as f64 / took.as_secs_f64()
        );
    }
    let file_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "store: {:.1} MiB logical, {:.1} MiB file ({})",
        xray.store().logical_bytes() as f64 / 1048576.0,
        file_bytes as f64 / 1048576.0,
        path.display()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(xray.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let hour = json!({ "StartTime": end - 3600.0, "EndTime": end });

    let report = |name: &str, times: Vec<Duration>, extra: String| {
        println!(
            "{name:<58} median {:>9.1?}  (min {:>9.1?}, {RUNS} runs) {extra}",
            median(times.clone()),
            times.iter().min().unwrap()
        );
    };
    for (name, filter) in [
        ("GetTraceSummaries 1 h, first page, no filter", None),
        ("GetTraceSummaries 1 h, first page, `fault`", Some("fault")),
        (
            "GetTraceSummaries 1 h, first page, `service(\"payments\") { fault }`",
            Some("service(\"payments\") { fault }"),
        ),
        (
            "GetTraceSummaries 1 h, first page, `annotation.tenant = \"t-7\"`",
            Some("annotation.tenant = \"t-7\""),
        ),
        (
            "GetTraceSummaries 1 h, first page, `responsetime > 0.5`",
            Some("responsetime > 0.5"),
        ),
    ] {
        let mut body = hour.clone();
        if let Some(f) = filter {
            body["FilterExpression"] = json!(f);
        }
        let mut times = Vec::new();
        let mut extra = String::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let page = post(&client, &base, "/TraceSummaries", &body).await;
            times.push(t.elapsed());
            extra = format!(
                "{} summaries, {} traces examined",
                page["TraceSummaries"].as_array().map_or(0, Vec::len),
                page["TracesProcessedCount"]
            );
        }
        report(name, times, extra);
    }
    for (name, filter) in [
        ("GetTraceSummaries 1 h, all pages, no filter", None),
        ("GetTraceSummaries 1 h, all pages, `fault`", Some("fault")),
    ] {
        let mut times = Vec::new();
        let mut extra = String::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let (mut pages, mut total, mut token) = (0, 0, None::<String>);
            loop {
                let mut body = hour.clone();
                if let Some(f) = filter {
                    body["FilterExpression"] = json!(f);
                }
                if let Some(tok) = &token {
                    body["NextToken"] = json!(tok);
                }
                let page = post(&client, &base, "/TraceSummaries", &body).await;
                pages += 1;
                total += page["TraceSummaries"].as_array().map_or(0, Vec::len);
                match page["NextToken"].as_str() {
                    Some(tok) => token = Some(tok.to_owned()),
                    None => break,
                }
            }
            times.push(t.elapsed());
            extra = format!("{total} summaries in {pages} pages");
        }
        report(name, times, extra);
    }
    for (name, range) in [
        ("GetServiceGraph 1 h", hour.clone()),
        (
            "GetServiceGraph 24 h",
            json!({ "StartTime": end - WINDOW_SECS - 1.0, "EndTime": end }),
        ),
    ] {
        let mut times = Vec::new();
        let mut extra = String::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let graph = post(&client, &base, "/ServiceGraph", &range).await;
            times.push(t.elapsed());
            let services = graph["Services"].as_array().map_or(0, Vec::len);
            let calls: u64 = graph["Services"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter(|s| s["Root"] == true)
                        .map(|s| s["SummaryStatistics"]["TotalCount"].as_u64().unwrap_or(0))
                        .sum()
                })
                .unwrap_or(0);
            extra = format!("{services} services, {calls} root traces");
        }
        report(name, times, extra);
    }
    let first = post(&client, &base, "/TraceSummaries", &hour).await;
    let ids: Vec<Value> = first["TraceSummaries"]
        .as_array()
        .expect("summaries")
        .iter()
        .take(5)
        .map(|s| s["Id"].clone())
        .collect();
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        post(&client, &base, "/Traces", &json!({ "TraceIds": ids })).await;
        times.push(t.elapsed());
    }
    report("BatchGetTraces 5 ids", times, String::new());

    // Ingest through the HTTP API (one client, calls of 50 documents, one after another).
    let calls = 400u64;
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let bodies: Vec<Value> = (0..calls)
        .map(|c| {
            let docs: Vec<String> = (0..10)
                .flat_map(|k| trace_docs(traces + 1 + c * 10 + k, end - 1.0, &mut rng))
                .collect();
            json!({ "TraceSegmentDocuments": docs })
        })
        .collect();
    let t = Instant::now();
    for body in &bodies {
        let answer = post(&client, &base, "/TraceSegments", body).await;
        assert_eq!(answer["UnprocessedTraceSegments"], json!([]));
    }
    let took = t.elapsed();
    println!(
        "PutTraceSegments over HTTP: {} documents in {took:.1?} ({:.0} documents/s)",
        calls * 50,
        (calls * 50) as f64 / took.as_secs_f64()
    );
    let _ = tx.send(());
    let _ = server.await;
}
