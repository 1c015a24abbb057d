//! End to end with real peers, all on 127.0.0.1: the `otel-xray` binary between Python clients and
//! moto's X-Ray server.
//!
//! - The OpenTelemetry Python SDK (`tests/python/otel_client.py`) sends a multi-service trace
//!   with its OTLP/gRPC exporter, then again with its OTLP/HTTP exporter.
//! - The AWS X-Ray SDK for Python (`tests/python/xray_sdk_client.py`) sends segments (whole, and
//!   with streamed subsegments) to the daemon UDP receiver.
//!
//! The gateway is then stopped with SIGTERM (it drains its queue) and the traces are read back
//! from moto with `GetTraceSummaries` and `BatchGetTraces`.
//!
//! The peers come from `scripts/peers.sh` (moto and the Python clients share `.venv-peers/`; the
//! venv's `python` sits next to `$OTEL_XRAY_MOTO_SERVER`). Without them the test skips, unless
//! `OTEL_XRAY_REQUIRE_PEERS=1`, which makes it fail.

#[path = "../../otel-xray-transport/tests/support/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use moto::{Moto, StoredTrace, peers_required, read_back};
use serde_json::Value as Json;

/// How long the gateway may take to answer `/ready`.
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// How long one Python client may run.
const CLIENT_DEADLINE: Duration = Duration::from_secs(60);
/// How long the gateway may take to report the full batches as delivered on `/metrics`.
const SENT_DEADLINE: Duration = Duration::from_secs(20);
/// How long the gateway may take to drain and exit after SIGTERM (its shutdown budget is 10 s).
const EXIT_DEADLINE: Duration = Duration::from_secs(30);
/// How long moto may take to show every expected trace.
const READ_BACK_DEADLINE: Duration = Duration::from_secs(20);

/// A child process killed (SIGKILL) and reaped on drop, with its output in a file.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, command: &mut Command, dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).expect("create log");
        let err = out.try_clone().expect("clone log");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the exit until `deadline`; `None` when it is still running.
    fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} output ({}):\n{}", self.name, self.log.display(), self.output());
        }
    }
}

/// A scratch directory removed on drop (kept when the test fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The venv's Python next to `moto_server`, if it can import both clients' SDKs.
fn peer_python() -> Result<PathBuf, String> {
    let server = moto::moto_server_path().ok_or("moto_server not found")?;
    let python = server.with_file_name("python");
    if !python.is_file() {
        return Err(format!("no python next to {}", server.display()));
    }
    let mut check = Command::new(&python)
        .args([
            "-c",
            "import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.grpc.trace_exporter, \
             opentelemetry.exporter.otlp.proto.http.trace_exporter, aws_xray_sdk.core",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = check.try_wait().map_err(|e| e.to_string())? {
            return if status.success() {
                Ok(python)
            } else {
                Err(format!("{} cannot import the Python clients' SDKs", python.display()))
            };
        }
        if Instant::now() >= deadline {
            let _ = check.kill();
            let _ = check.wait();
            return Err(format!("{} took over 30 s to import the SDKs", python.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Four distinct free ports on 127.0.0.1: three TCP (gRPC, HTTP, admin) and one UDP, all held
/// at once so they differ, then released for the gateway.
fn free_ports() -> ([u16; 3], u16) {
    let tcp: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind tcp"))
        .collect();
    let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind udp");
    let ports = [0, 1, 2].map(|i| tcp[i].local_addr().unwrap().port());
    (ports, udp.local_addr().unwrap().port())
}

/// `GET path` over HTTP/1.0: `(status, body)`, or `None` when nothing answers.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The sum of every sample of `name` in a Prometheus text exposition.
fn metric_sum(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(['{', ' '])))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Runs a Python client to completion (killed after [`CLIENT_DEADLINE`]); returns its stdout
/// lines. Panics with its output when it fails.
fn run_client(python: &Path, script: &str, args: &[&str], dir: &Path, name: &str) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python").join(script);
    let stdout_path = dir.join(format!("{name}.stdout"));
    let stdout = File::create(&stdout_path).expect("create stdout file");
    let log = dir.join(format!("{name}.log"));
    let err = File::create(&log).expect("create log");
    let mut command = Command::new(python);
    command
        .arg(&script)
        .args(args)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // Keep the SDKs' own configuration from the environment out of the way.
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("AWS_XRAY_DAEMON_ADDRESS")
        .env_remove("AWS_XRAY_CONTEXT_MISSING")
        .env_remove("AWS_XRAY_SDK_ENABLED")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(err);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let mut proc = Proc {
        name: name.to_owned(),
        child,
        log,
    };
    let status = proc.wait_until(Instant::now() + CLIENT_DEADLINE);
    let out = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    match status {
        Some(s) if s.success() => {}
        Some(s) => panic!("{name} exited with {s}; stdout:\n{out}\nstderr:\n{}", proc.output()),
        None => panic!(
            "{name} did not finish within {CLIENT_DEADLINE:?}; stdout:\n{out}\nstderr:\n{}",
            proc.output()
        ),
    }
    let stderr = proc.output();
    if !stderr.trim().is_empty() {
        eprintln!("{name} stderr:\n{stderr}");
    }
    out.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect()
}

/// An OTLP trace id (32 hex digits) as X-Ray writes it: `1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy`.
fn xray_id(otel_hex: &str) -> String {
    assert_eq!(otel_hex.len(), 32, "trace id {otel_hex:?}");
    format!("1-{}-{}", &otel_hex[..8], &otel_hex[8..])
}

/// Every document of a trace, segments and (nested or streamed) subsegments, flattened.
fn flatten(trace: &StoredTrace) -> Vec<Json> {
    fn walk(doc: &Json, out: &mut Vec<Json>) {
        out.push(doc.clone());
        for sub in doc["subsegments"].as_array().into_iter().flatten() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    for (_, text) in trace {
        let doc: Json = serde_json::from_str(text).unwrap_or_else(|e| panic!("document is not JSON ({e}): {text}"));
        walk(&doc, &mut out);
    }
    out
}

#[test]
fn python_clients_through_the_gateway_to_moto() {
    let python = match peer_python() {
        Ok(p) => p,
        Err(why) if peers_required() => {
            panic!("{why} while OTEL_XRAY_REQUIRE_PEERS=1: run scripts/test.sh, which installs the peers")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why} (run scripts/test.sh)");
            return;
        }
    };
    let Some(moto) = Moto::start() else { return };

    let dir = std::env::temp_dir().join(format!("otel-xray-e2e-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let _scratch = Scratch(dir.clone());
    let ([grpc, http, admin], udp) = free_ports();
    let config = dir.join("gateway.yaml");
    // One worker filling batches of 4 that never time out: the clients' 15 documents make three
    // full batches, delivered while the gateway runs (so /metrics counts them), and 3 documents
    // that stay queued until SIGTERM, when the gateway must drain them for moto to have every trace.
    std::fs::write(
        &config,
        format!(
            "receivers:\n  \
               otlp_grpc: {{ endpoint: \"127.0.0.1:{grpc}\" }}\n  \
               otlp_http: {{ endpoint: \"127.0.0.1:{http}\" }}\n  \
               xray_udp: {{ endpoint: \"127.0.0.1:{udp}\" }}\n  \
               sampling_proxy: {{ endpoint: \"127.0.0.1:{udp}\", enabled: false }}\n\
             pipeline:\n  batch_max_documents: 4\n  batch_timeout_ms: 600000\n  shutdown_timeout_seconds: 10\n\
             awsxray:\n  \
               output: xray_api\n  \
               region: us-east-1\n  \
               endpoint: \"{endpoint}\"\n  \
               local_mode: true\n  \
               request_timeout_seconds: 10\n  \
               max_retries: 2\n  \
               num_workers: 1\n  \
               indexed_attributes: [order.id]\n  \
               telemetry: {{ enabled: true, include_metadata: true }}\n\
             admin:\n  endpoint: {{ endpoint: \"127.0.0.1:{admin}\" }}\n",
            endpoint = moto.endpoint()
        ),
    )
    .expect("write config");

    let mut gateway_cmd = Command::new(env!("CARGO_BIN_EXE_otel-xray"));
    gateway_cmd
        .arg("run")
        .arg("--config")
        .arg(&config)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_XRAY")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-aws-credentials"));
    let mut gateway = Proc::spawn("otel-xray", &mut gateway_cmd, &dir);
    let admin_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, admin));
    let deadline = Instant::now() + READY_DEADLINE;
    loop {
        if let Some(status) = gateway.child.try_wait().expect("try_wait") {
            panic!(
                "the gateway exited with {status} before it was ready:\n{}",
                gateway.output()
            );
        }
        if matches!(http_get(admin_addr, "/ready"), Some((200, _))) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the gateway was not ready within {READY_DEADLINE:?}:\n{}",
            gateway.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let grpc_trace = run_client(
        &python,
        "otel_client.py",
        &["grpc", &format!("127.0.0.1:{grpc}")],
        &dir,
        "otel-grpc",
    );
    let http_trace = run_client(
        &python,
        "otel_client.py",
        &["http", &format!("http://127.0.0.1:{http}/v1/traces")],
        &dir,
        "otel-http",
    );
    let xray_traces = run_client(
        &python,
        "xray_sdk_client.py",
        &[&format!("127.0.0.1:{udp}")],
        &dir,
        "xray-sdk",
    );
    assert_eq!(grpc_trace.len(), 1, "otel_client.py grpc printed {grpc_trace:?}");
    assert_eq!(http_trace.len(), 1, "otel_client.py http printed {http_trace:?}");
    assert_eq!(xray_traces.len(), 2, "xray_sdk_client.py printed {xray_traces:?}");

    // The gateway says it delivered documents and dropped none.
    let deadline = Instant::now() + SENT_DEADLINE;
    let exposition = loop {
        let (status, body) = http_get(admin_addr, "/metrics").expect("GET /metrics");
        assert_eq!(status, 200, "/metrics: {body}");
        // The three full batches of 4 (see the configuration above).
        if metric_sum(&body, "otelxray_documents_sent_total") >= 12.0 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "otelxray_documents_sent_total stayed below 12 for {SENT_DEADLINE:?}:\n{body}\n{}",
            gateway.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        metric_sum(&exposition, "otelxray_documents_dropped_total"),
        0.0,
        "documents dropped:\n{exposition}"
    );

    let sent = metric_sum(&exposition, "otelxray_documents_sent_total");
    assert_eq!(
        sent, 12.0,
        "documents sent before SIGTERM (15 produced, batches of 4):\n{exposition}"
    );

    // SIGTERM: the gateway drains its queue (the last 3 documents) and exits by itself.
    let pid = gateway.child.id().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill -TERM");
    assert!(kill.success(), "kill -TERM {pid} failed");
    let status = gateway.wait_until(Instant::now() + EXIT_DEADLINE).unwrap_or_else(|| {
        panic!(
            "the gateway did not exit within {EXIT_DEADLINE:?} of SIGTERM:\n{}",
            gateway.output()
        )
    });
    let gateway_log = gateway.output();
    assert!(status.success(), "the gateway exited with {status}:\n{gateway_log}");
    assert!(
        !gateway_log.contains("Stopped before the queue was delivered"),
        "the gateway did not drain:\n{gateway_log}"
    );

    // `awsxray.telemetry`: the records sent (at least the one at shutdown) add up to what the
    // gateway received and delivered.
    let (status, dump) = http_get(moto.addr(), "/moto-api/data.json").expect("moto's model dump");
    assert_eq!(status, 200, "{dump}");
    let dump: Json = serde_json::from_str(&dump).expect("JSON");
    let calls = dump["xray"]["TelemetryRecords"].as_array().cloned().unwrap_or_default();
    assert!(
        !calls.is_empty(),
        "no PutTelemetryRecords reached moto: {dump}\n{gateway_log}"
    );
    let total = |field: &str| -> i64 {
        calls
            .iter()
            .flat_map(|c| c["records"].as_array().cloned().unwrap_or_default())
            .map(|r| r[field].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(total("SegmentsReceivedCount"), 15, "{dump}");
    assert_eq!(total("SegmentsSentCount"), 15, "{dump}");
    assert_eq!(total("SegmentsRejectedCount"), 0, "{dump}");
    assert!(
        calls.iter().all(|c| c["hostname"].is_string()),
        "include_metadata sends the host name: {dump}"
    );

    let expected: Vec<String> = [grpc_trace[0].as_str(), http_trace[0].as_str()]
        .into_iter()
        .map(xray_id)
        .chain(xray_traces.iter().cloned())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let traces = runtime.block_on(async {
        let client = aws_sdk_xray::Client::new(&moto.sdk_config().await);
        let deadline = Instant::now() + READ_BACK_DEADLINE;
        loop {
            let traces = read_back(&client).await;
            if expected.iter().all(|id| traces.contains_key(id)) || Instant::now() >= deadline {
                break traces;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    for id in &expected {
        assert!(
            traces.contains_key(id),
            "moto has no trace {id}; it has {:?}",
            traces.keys()
        );
    }
    let docs: BTreeMap<&str, Vec<Json>> = expected.iter().map(|id| (id.as_str(), flatten(&traces[id]))).collect();
    check_otlp_trace(&expected[0], &docs[expected[0].as_str()], "grpc");
    check_otlp_trace(&expected[1], &docs[expected[1].as_str()], "http");
    check_xray_sdk_whole(&expected[2], &traces[&expected[2]]);
    check_xray_sdk_streamed(&expected[3], &traces[&expected[3]]);
}

/// The one document of `docs` that `pred` picks; panics with all of them otherwise.
fn one<'a>(docs: &'a [Json], what: &str, pred: impl Fn(&Json) -> bool) -> &'a Json {
    let found: Vec<&Json> = docs.iter().filter(|d| pred(d)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {what}, found {}; documents:\n{docs:#?}",
        found.len()
    );
    found[0]
}

/// The trace `otel_client.py` sent with `protocol`.
fn check_otlp_trace(id: &str, docs: &[Json], protocol: &str) {
    assert_eq!(docs.len(), 5, "trace {id} ({protocol}): {docs:#?}");
    for doc in docs {
        assert_eq!(doc["trace_id"], id, "{doc}");
    }
    let orders = format!("orders-{protocol}");
    let root = one(docs, "orders segment", |d| d["name"] == orders.as_str());
    assert!(root.get("parent_id").is_none(), "root has a parent: {root}");
    assert!(root.get("type").is_none(), "root is not a segment: {root}");
    assert_eq!(root["annotations"]["order.id"], "ord-42", "{root}");
    assert_eq!(root["http"]["request"]["method"], "POST", "{root}");
    assert_eq!(
        root["http"]["request"]["url"], "http://orders.example.com/orders",
        "{root}"
    );
    assert_eq!(root["http"]["response"]["status"], 201, "{root}");
    let root_id = root["id"].as_str().expect("root id");

    let dynamo = one(docs, "DynamoDB subsegment", |d| d["name"] == "DynamoDB");
    assert_eq!(dynamo["type"], "subsegment", "{dynamo}");
    assert_eq!(dynamo["namespace"], "aws", "{dynamo}");
    assert_eq!(dynamo["parent_id"], root_id, "{dynamo}");
    assert_eq!(dynamo["aws"]["operation"], "PutItem", "{dynamo}");
    assert_eq!(dynamo["aws"]["region"], "us-east-1", "{dynamo}");
    assert_eq!(dynamo["aws"]["table_name"], "orders", "{dynamo}");

    let sql = one(docs, "SQL subsegment", |d| d.get("sql").is_some());
    assert_eq!(sql["name"], "shop@db.internal", "{sql}");
    assert_eq!(sql["type"], "subsegment", "{sql}");
    assert_eq!(sql["namespace"], "remote", "{sql}");
    assert_eq!(sql["parent_id"], root_id, "{sql}");
    assert_eq!(sql["sql"]["database_type"], "postgresql", "{sql}");
    assert_eq!(sql["sql"]["user"], "app", "{sql}");
    assert_eq!(
        sql["sql"]["sanitized_query"], "INSERT INTO orders (id, total) VALUES ($1, $2)",
        "{sql}"
    );

    let call = one(docs, "remote HTTP subsegment", |d| {
        d["type"] == "subsegment" && d["http"]["request"]["url"] == "http://inventory.internal/reserve"
    });
    assert_eq!(call["namespace"], "remote", "{call}");
    assert_eq!(call["parent_id"], root_id, "{call}");
    assert_eq!(call["http"]["request"]["method"], "POST", "{call}");
    assert_eq!(call["http"]["response"]["status"], 201, "{call}");

    let inventory = format!("inventory-{protocol}");
    let server = one(docs, "inventory segment", |d| d["name"] == inventory.as_str());
    assert!(
        server.get("type").is_none(),
        "the inventory span is not a segment: {server}"
    );
    assert_eq!(server["parent_id"], call["id"], "{server}");
    assert_eq!(server["http"]["response"]["status"], 201, "{server}");
}

/// The first trace of `xray_sdk_client.py`: a segment with its remote subsegment inside.
fn check_xray_sdk_whole(id: &str, trace: &StoredTrace) {
    assert_eq!(trace.len(), 1, "trace {id}: {trace:#?}");
    let segment: Json = serde_json::from_str(&trace[0].1).expect("JSON");
    assert_eq!(segment["trace_id"], id, "{segment}");
    assert_eq!(segment["name"], "legacy-billing", "{segment}");
    assert_eq!(segment["annotations"]["invoice_id"], "inv-7", "{segment}");
    assert_eq!(segment["http"]["response"]["status"], 200, "{segment}");
    assert_eq!(segment["aws"]["xray"]["sdk"], "X-Ray for Python", "{segment}");
    let subs = segment["subsegments"].as_array().expect("subsegments");
    assert_eq!(subs.len(), 1, "{segment}");
    let sub = &subs[0];
    assert_eq!(sub["name"], "payments.example.com", "{sub}");
    assert_eq!(sub["namespace"], "remote", "{sub}");
    assert_eq!(
        sub["http"]["request"]["url"], "https://payments.example.com/charge",
        "{sub}"
    );
    assert_eq!(sub["http"]["response"]["status"], 200, "{sub}");
}

/// The second trace of `xray_sdk_client.py`: the segment and three streamed subsegments, each
/// its own document.
fn check_xray_sdk_streamed(id: &str, trace: &StoredTrace) {
    let docs: Vec<Json> = trace
        .iter()
        .map(|(_, t)| serde_json::from_str(t).expect("JSON"))
        .collect();
    assert_eq!(docs.len(), 4, "trace {id}: {docs:#?}");
    let segment = one(&docs, "segment", |d| d["name"] == "legacy-billing");
    assert_eq!(segment["annotations"]["invoice_id"], "inv-8", "{segment}");
    assert!(
        segment.get("subsegments").is_none(),
        "streamed subsegments embedded: {segment}"
    );
    for step in 0..3 {
        let name = format!("step-{step}");
        let sub = one(&docs, &name, |d| d["name"] == name.as_str());
        assert_eq!(sub["type"], "subsegment", "{sub}");
        assert_eq!(sub["trace_id"], id, "{sub}");
        assert_eq!(sub["parent_id"], segment["id"], "{sub}");
        assert_eq!(sub["annotations"]["step"], step, "{sub}");
    }
}
