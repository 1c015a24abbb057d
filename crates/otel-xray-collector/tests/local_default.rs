//! The default main job: `otel-xray run` with no region delivers into the embedded Local X-Ray,
//! whose X-Ray API answers with what `otel-xray demo` sent, and which keeps it across restarts.
//! Everything on 127.0.0.1; the gateway's environment has no AWS region.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;
use support::{Proc, Scratch, free_tcp_ports, http_post_json, path_of, spawn_otel_xray, terminate, wait_ready};

/// How long the gateway may take to answer `/ready`.
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// How long one demo run may take.
const DEMO_DEADLINE: Duration = Duration::from_secs(60);
/// How long the gateway may take to drain and exit after SIGTERM.
const EXIT_DEADLINE: Duration = Duration::from_secs(30);
/// How long the local store may take to show what the gateway accepted.
const STORED_DEADLINE: Duration = Duration::from_secs(30);
/// Variables that would make AWS X-Ray the default output.
const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

struct Gateway {
    proc: Proc,
    http: u16,
    local: SocketAddr,
    sampling: SocketAddr,
}

/// `otel-xray run` with every listener on a free port and no configuration file.
fn start(dir: &Path, data: &Path, name: &str) -> Gateway {
    let ports = free_tcp_ports(6);
    let addr = |p: u16| format!("127.0.0.1:{p}");
    let args = [
        "run".to_owned(),
        "--sampling-proxy".into(),
        addr(ports[5]),
        "--otlp-grpc".into(),
        addr(ports[0]),
        "--otlp-http".into(),
        addr(ports[1]),
        "--admin".into(),
        addr(ports[2]),
        "--local".into(),
        addr(ports[3]),
        "--xray-udp".into(),
        addr(ports[4]),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut proc = spawn_otel_xray(name, &args, &[("OTEL_XRAY_DATA_DIR", data)], &REGION_VARS, dir);
    wait_ready(
        &mut proc,
        SocketAddr::from((Ipv4Addr::LOCALHOST, ports[2])),
        READY_DEADLINE,
    );
    Gateway {
        proc,
        http: ports[1],
        local: SocketAddr::from((Ipv4Addr::LOCALHOST, ports[3])),
        sampling: SocketAddr::from((Ipv4Addr::LOCALHOST, ports[5])),
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

/// `POST path` to the local X-Ray API; panics unless it answers 200 with JSON.
fn api(local: SocketAddr, path: &str, body: &str) -> Json {
    let (status, text) = http_post_json(local, path, body).unwrap_or_else(|| panic!("{path}: no answer"));
    assert_eq!(status, 200, "{path} {body}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
}

/// Trace ids of every summary in the last ten minutes matching `filter` (all pages).
fn summaries(local: SocketAddr, filter: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..50 {
        let mut req = serde_json::json!({ "StartTime": now() - 600, "EndTime": now() + 60 });
        if let Some(f) = filter {
            req["FilterExpression"] = f.into();
        }
        if let Some(t) = &token {
            req["NextToken"] = t.clone().into();
        }
        let page = api(local, "/TraceSummaries", &req.to_string());
        for s in page["TraceSummaries"].as_array().expect("TraceSummaries") {
            ids.push(s["Id"].as_str().expect("Id").to_owned());
        }
        token = page["NextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    ids
}

#[test]
fn without_a_region_the_gateway_delivers_into_local_x_ray_and_keeps_it() {
    let scratch = Scratch::new("local-default");
    let dir = path_of(&scratch);
    let data = dir.join("data");
    let mut gw = start(dir, &data, "gateway");

    // It says where Local X-Ray is.
    let banner = gw.proc.stderr();
    assert!(banner.contains("output: local"), "{banner}");
    assert!(
        banner.contains(&format!("Local X-Ray      http://{}/", gw.local)),
        "{banner}"
    );
    assert!(banner.contains("local-xray.sqlite3"), "{banner}");

    // The demo, over OTLP/HTTP only.
    let endpoint = format!("http://127.0.0.1:{}", gw.http);
    let mut demo = spawn_otel_xray(
        "demo",
        &[
            "demo",
            "--traces",
            "12",
            "--seed",
            "11",
            "--no-udp",
            "--otlp-endpoint",
            &endpoint,
        ],
        &[],
        &[],
        dir,
    );
    let status = demo.finish(DEMO_DEADLINE);
    assert!(status.success(), "demo failed:\n{}\n{}", demo.stdout(), demo.stderr());

    // Every trace arrives through PutTraceSegments into the store.
    let deadline = Instant::now() + STORED_DEADLINE;
    let ids = loop {
        let ids = summaries(gw.local, None);
        if ids.len() >= 12 || Instant::now() >= deadline {
            break ids;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(ids.len(), 12, "traces in Local X-Ray: {ids:?}\n{}", gw.proc.stderr());

    // The service map has the demo's services and calls between them.
    let graph = api(
        gw.local,
        "/ServiceGraph",
        &serde_json::json!({ "StartTime": now() - 600, "EndTime": now() + 60 }).to_string(),
    );
    let services = graph["Services"].as_array().expect("Services");
    let names: Vec<&str> = services.iter().filter_map(|s| s["Name"].as_str()).collect();
    for expected in [
        "orders-api",
        "order-worker",
        "dashboard",
        "DynamoDB",
        "payments.example.com",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let edges: usize = services.iter().map(|s| s["Edges"].as_array().map_or(0, Vec::len)).sum();
    assert!(edges >= 4, "too few edges: {graph}");

    // Filter expressions work on what was delivered, and narrow the list.
    let to_dashboard = summaries(gw.local, Some(r#"service("dashboard")"#));
    assert!(
        !to_dashboard.is_empty() && to_dashboard.len() < ids.len(),
        "{to_dashboard:?}"
    );
    let (status, text) = http_post_json(
        gw.local,
        "/TraceSummaries",
        &serde_json::json!({ "StartTime": now() - 600, "EndTime": now(), "FilterExpression": "rootcause.fault.service { }" })
            .to_string(),
    )
    .expect("answer");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("rootcause"), "{text}");

    // A document reads back in full.
    let traces = api(
        gw.local,
        "/Traces",
        &serde_json::json!({ "TraceIds": [ids[0]] }).to_string(),
    );
    let segments = traces["Traces"][0]["Segments"].as_array().expect("Segments");
    assert!(!segments.is_empty(), "{traces}");

    // X-Ray SDKs polling the daemon's sampling proxy get X-Ray's default rule from Local X-Ray.
    let (status, text) = http_post_json(gw.sampling, "/GetSamplingRules", "{}").expect("answer");
    assert_eq!(status, 200, "{text}");
    let rules: Json = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        rules["SamplingRuleRecords"][0]["SamplingRule"]["RuleName"], "Default",
        "{rules}"
    );

    // The viewer is served by the same listener.
    assert_eq!(support::http_status(gw.local, "/"), Some(200));

    // Stopped and started again: the store is still there.
    terminate(&mut gw.proc, EXIT_DEADLINE);
    let gw2 = start(dir, &data, "gateway-again");
    let mut again = summaries(gw2.local, None);
    let mut before = ids.clone();
    again.sort();
    before.sort();
    assert_eq!(again, before, "traces after a restart");
}

#[test]
fn a_region_in_the_environment_makes_aws_x_ray_the_default_output() {
    let scratch = Scratch::new("local-region");
    let dir = path_of(&scratch);
    let config = dir.join("empty.yaml");
    std::fs::write(&config, "").expect("write config");
    let config = config.to_str().expect("utf-8 path");

    let mut without = spawn_otel_xray("check-without", &["config", "check", config], &[], &REGION_VARS, dir);
    assert!(without.finish(DEMO_DEADLINE).success(), "{}", without.stderr());
    assert!(without.stdout().contains("output: Local"), "{}", without.stdout());

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_otel-xray"));
    command.args(["config", "check", config]).env("AWS_REGION", "eu-west-1");
    let mut with = Proc::spawn("check-with", &mut command, dir);
    assert!(with.finish(DEMO_DEADLINE).success(), "{}", with.stderr());
    assert!(with.stdout().contains("output: XrayApi"), "{}", with.stdout());
}

/// Runs `otel-xray run` expecting a start-up failure; returns its stderr.
fn failed_start(dir: &Path, name: &str, extra: &[&str], data: &Path) -> String {
    let ports = free_tcp_ports(5);
    let addr = |p: u16| format!("127.0.0.1:{p}");
    let mut args = vec![
        "run".to_owned(),
        "--otlp-grpc".into(),
        addr(ports[0]),
        "--otlp-http".into(),
        addr(ports[1]),
        "--admin".into(),
        addr(ports[2]),
        "--xray-udp".into(),
        addr(ports[3]),
        "--sampling-proxy".into(),
        addr(ports[4]),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut proc = spawn_otel_xray(name, &args, &[("OTEL_XRAY_DATA_DIR", data)], &REGION_VARS, dir);
    let status = proc.finish(EXIT_DEADLINE);
    assert!(!status.success(), "{name} should not start:\n{}", proc.stderr());
    proc.stderr()
}

#[test]
fn a_taken_local_port_or_an_unusable_store_stops_the_start_with_a_clear_message() {
    let scratch = Scratch::new("local-start-errors");
    let dir = path_of(&scratch);

    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let taken_addr = taken.local_addr().expect("addr").to_string();
    let err = failed_start(dir, "port-taken", &["--local", &taken_addr], &dir.join("data"));
    assert!(
        err.contains("Local X-Ray could not listen on") && err.contains(&taken_addr),
        "{err}"
    );

    // The data directory is a file: the store cannot be created.
    let blocker = dir.join("not-a-directory");
    std::fs::write(&blocker, "x").expect("write");
    let free = free_tcp_ports(1)[0];
    let err = failed_start(dir, "bad-store", &["--local", &format!("127.0.0.1:{free}")], &blocker);
    assert!(err.contains("Local X-Ray could not open its store"), "{err}");
    assert!(err.contains("not-a-directory"), "the message names the path: {err}");
}
