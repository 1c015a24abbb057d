//! The runnable examples in `examples/`, run as a user would run them and judged by what they
//! produce: the datagrams a daemon would receive, the traces X-Ray (moto) stores, the documents
//! written to stdout.
//!
//! The examples are built once per test run, all in one `cargo build --example …` (with the profile
//! and target directory of this test), then each is run as a child process with a deadline. Every server the
//! tests talk to listens on 127.0.0.1.
//!
//! The `axum_services` test needs moto (`scripts/test.sh` provides it); without it the test prints
//! `SKIPPED: …` and passes, unless `OTEL_XRAY_REQUIRE_PEERS=1`.

#[path = "../crates/otel-xray-transport/tests/support/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// How long building one example may take (a cold build compiles the AWS SDK).
const BUILD_DEADLINE: Duration = Duration::from_secs(900);
/// How long one run of an example may take.
const RUN_DEADLINE: Duration = Duration::from_secs(60);
/// How long reading the traces back from moto may take.
const READ_BACK_DEADLINE: Duration = Duration::from_secs(30);

/// The header line of every daemon datagram.
const DAEMON_HEADER: &str = r#"{"format":"json","version":1}"#;

/// The `_X_AMZN_TRACE_ID` of the Lambda tests, without its `Sampled` field.
const LAMBDA_TRACE_HEADER: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8";
const LAMBDA_TRACE_ID: &str = "1-5759e988-bd862e3fe1be46a994272793";
const LAMBDA_PARENT_ID: &str = "53995c3f42cd8ad8";

// ---------------------------------------------------------------------------------------------
// Building and running the examples

/// What a finished child process left behind.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    /// Panics, showing both outputs, unless the process exited with success.
    fn assert_success(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `command` to completion, killing it (and failing the test) after `deadline`.
fn run(mut command: Command, deadline: Duration) -> Finished {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let description = format!("{command:?}");
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = reader(Box::new(child.stderr.take().expect("stderr is piped")));
    let end = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            break status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{description} did not finish within {deadline:?}; killed it");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// `target/<profile>`: this test binary lives in its `deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps")
        .to_path_buf()
}

/// Every example these tests run.
const EXAMPLES: [&str; 3] = ["tracing_daemon", "axum_services", "lambda_handler"];

/// The outcome of building [`EXAMPLES`], shared by all tests of this run.
static BUILT: OnceLock<Result<(), String>> = OnceLock::new();

/// Builds the examples (all of them, once per test run, in one `cargo build`) and returns the path
/// of `name`'s binary.
///
/// The build uses this test's profile and target directory, and `--workspace`, so that it resolves
/// features as `cargo test --workspace` (`scripts/test.sh`) did and reuses what that built.
fn example(name: &str) -> PathBuf {
    assert!(EXAMPLES.contains(&name), "{name} is not in EXAMPLES");
    let profile_dir = profile_dir();
    let built = BUILT.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--locked", "--workspace"]);
        for example in EXAMPLES {
            cargo.args(["--example", example]);
        }
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some(profile) => {
                cargo.args(["--profile", profile]);
            }
        }
        let finished = run(cargo, BUILD_DEADLINE);
        if finished.status.success() {
            Ok(())
        } else {
            Err(format!(
                "building the examples failed with {}:\n{}",
                finished.status, finished.stderr
            ))
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "{} was not built", binary.display());
    binary
}

/// An example's command with an environment that cannot change its outcome: no AWS profile,
/// shared config or endpoint of the machine running the tests.
fn example_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    let nowhere = std::env::temp_dir().join("otel-xray-examples-no-such-file");
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_XRAY",
        "AWS_XRAY_DAEMON_ADDRESS",
        "AWS_LAMBDA_FUNCTION_NAME",
        "_X_AMZN_TRACE_ID",
        "OTEL_XRAY_EXAMPLE_REQUESTS",
    ] {
        command.env_remove(var);
    }
    command
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

// ---------------------------------------------------------------------------------------------
// Reading documents

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn str_field<'a>(doc: &'a Value, field: &str) -> &'a str {
    doc[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field:?} in {doc}"))
}

/// The one document named `name`.
fn named<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["name"] == name).collect();
    assert_eq!(found.len(), 1, "expected one document named {name:?} in {docs:#?}");
    found[0]
}

/// The Unix time in an X-Ray trace id (`1-<8 hex digits>-<24 hex digits>`), after checking its form.
fn trace_id_epoch(trace_id: &str) -> u64 {
    let parts: Vec<&str> = trace_id.split('-').collect();
    let hex = |s: &str, len| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    assert!(
        parts.len() == 3 && parts[0] == "1" && hex(parts[1], 8) && hex(parts[2], 24),
        "not an X-Ray trace id: {trace_id}"
    );
    u64::from_str_radix(parts[1], 16).expect("8 hex digits")
}

/// The `key=value` fields of an `X-Amzn-Trace-Id` value.
fn xray_fields(header: &str) -> BTreeMap<&str, &str> {
    header.split(';').filter_map(|part| part.split_once('=')).collect()
}

// ---------------------------------------------------------------------------------------------
// tracing_daemon

#[test]
fn tracing_daemon_sends_one_datagram_per_span_to_the_daemon_address() {
    let binary = example("tracing_daemon");
    let daemon = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket on 127.0.0.1");
    daemon
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("a read timeout");
    let address = daemon.local_addr().expect("the socket's address");

    let before = unix_now();
    let mut command = example_command(&binary);
    command.env("AWS_XRAY_DAEMON_ADDRESS", address.to_string());
    let runner = std::thread::spawn(move || run(command, RUN_DEADLINE));

    // Receive while the example runs; once it has exited, drain what is queued and stop at the first
    // quiet read. The runner thread enforces the run's deadline; this loop has one of its own.
    let end = Instant::now() + RUN_DEADLINE + Duration::from_secs(5);
    let mut datagrams = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    let mut exited = false;
    loop {
        match daemon.recv(&mut buffer) {
            Ok(n) => datagrams.push(String::from_utf8(buffer[..n].to_vec()).expect("UTF-8 datagram")),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if exited {
                    break;
                }
            }
            Err(e) => panic!("receiving datagrams failed: {e}"),
        }
        exited = exited || runner.is_finished();
        assert!(Instant::now() < end, "the datagrams did not stop coming");
    }
    let finished = runner.join().expect("the runner thread");
    finished.assert_success("the tracing_daemon example");
    let after = unix_now();

    // Every datagram: the daemon header line, a newline, one document.
    let docs: Vec<Value> = datagrams
        .iter()
        .map(|datagram| {
            let (header, body) = datagram
                .split_once('\n')
                .unwrap_or_else(|| panic!("no header line in {datagram}"));
            assert_eq!(header, DAEMON_HEADER);
            serde_json::from_str(body).unwrap_or_else(|e| panic!("not a JSON document ({e}): {body}"))
        })
        .collect();
    assert_eq!(docs.len(), 2, "one datagram per span: {docs:#?}");

    // The server-like root span: a segment named after service.name, answered 500.
    let segment = named(&docs, "inventory-worker");
    assert!(
        segment.get("parent_id").is_none() && segment.get("type").is_none(),
        "{segment}"
    );
    assert_eq!(segment["http"]["request"]["method"], "POST");
    assert_eq!(
        segment["http"]["request"]["url"],
        "http://inventory.internal/orders/order-1042/reserve"
    );
    assert_eq!(segment["http"]["response"]["status"], 500);
    assert_eq!(segment["fault"], true);
    assert_eq!(segment["error"], false);

    // The DynamoDB call: a subsegment in the aws namespace, answered 400, with the exception as cause.
    let call = named(&docs, "DynamoDB");
    assert_eq!(call["type"], "subsegment");
    assert_eq!(call["namespace"], "aws");
    assert_eq!(call["parent_id"], segment["id"]);
    assert_eq!(call["error"], true);
    assert_eq!(call["fault"], false);
    assert_eq!(call["http"]["response"]["status"], 400);
    assert_eq!(call["aws"]["operation"], "UpdateItem");
    assert_eq!(call["aws"]["region"], "us-east-1");
    assert_eq!(call["aws"]["table_name"], "inventory");
    let exception = &call["cause"]["exceptions"][0];
    assert_eq!(exception["type"], "ConditionalCheckFailedException");
    assert_eq!(
        exception["message"],
        "The conditional request failed for table inventory"
    );
    assert_eq!(exception["remote"], true);

    // One trace, with an id from XrayIdGenerator: it starts with the time the example ran.
    let trace_id = str_field(segment, "trace_id");
    assert_eq!(call["trace_id"], trace_id);
    let epoch = trace_id_epoch(trace_id);
    assert!(
        (before..=after).contains(&epoch),
        "trace id {trace_id} carries {epoch}, not a time in {before}..={after}"
    );
    assert!(
        finished.stdout.contains(&format!("trace id: {trace_id}")),
        "{}",
        finished.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// axum_services

/// What the backend printed for one request.
struct Received {
    xray: String,
    traceparent: String,
}

fn received_headers(stdout: &str) -> Vec<Received> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("backend received: "))
        .map(|rest| {
            let (xray, traceparent) = rest
                .strip_prefix("X-Amzn-Trace-Id=")
                .and_then(|r| r.split_once(" traceparent="))
                .unwrap_or_else(|| panic!("unexpected line: {rest}"));
            Received {
                xray: xray.to_owned(),
                traceparent: traceparent.to_owned(),
            }
        })
        .collect()
}

#[test]
fn axum_services_cross_both_headers_and_reach_the_xray_api() {
    let Some(moto) = moto::Moto::start() else {
        return;
    };
    let binary = example("axum_services");
    let mut command = example_command(&binary);
    command
        .arg("3")
        .env("AWS_ENDPOINT_URL_XRAY", moto.endpoint())
        .env("AWS_REGION", moto::REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    let finished = run(command, RUN_DEADLINE);
    finished.assert_success("the axum_services example");

    // The backend got both headers, naming the same trace and the same parent.
    let received = received_headers(&finished.stdout);
    assert_eq!(
        received.len(),
        3,
        "one backend request per frontend request:\n{}",
        finished.stdout
    );
    let mut expected = Vec::new();
    for Received { xray, traceparent } in &received {
        let fields = xray_fields(xray);
        let (trace_id, parent) = (fields["Root"], fields["Parent"]);
        assert_eq!(fields.get("Sampled"), Some(&"1"), "{xray}");
        let w3c: Vec<&str> = traceparent.split('-').collect();
        assert_eq!(w3c.len(), 4, "{traceparent}");
        assert_eq!(w3c[0], "00", "{traceparent}");
        assert_eq!(w3c[1], trace_id[2..].replace('-', ""), "{traceparent} vs {xray}");
        assert_eq!(w3c[2], parent, "{traceparent} vs {xray}");
        assert_eq!(w3c[3], "01", "{traceparent}");
        expected.push((trace_id.to_owned(), parent.to_owned()));
    }

    // Read the traces back from the X-Ray API, as the console would.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let traces = runtime.block_on(async {
        let client = aws_sdk_xray::Client::new(&moto.sdk_config().await);
        tokio::time::timeout(READ_BACK_DEADLINE, moto::read_back(&client))
            .await
            .expect("reading the traces back from moto timed out")
    });

    for (trace_id, parent) in &expected {
        let stored = traces
            .get(trace_id)
            .unwrap_or_else(|| panic!("trace {trace_id} not in GetTraceSummaries/BatchGetTraces: {traces:#?}"));
        let docs: Vec<Value> = stored
            .iter()
            .map(|(_, document)| serde_json::from_str(document).expect("a stored JSON document"))
            .collect();
        assert_eq!(docs.len(), 3, "frontend, its call, backend: {docs:#?}");
        for doc in &docs {
            assert_eq!(doc["trace_id"], trace_id.as_str(), "{doc}");
        }

        let frontend = named(&docs, "frontend");
        assert!(
            frontend.get("parent_id").is_none(),
            "the frontend starts the trace: {frontend}"
        );
        let servers: Vec<&Value> = docs.iter().filter(|d| d.get("type").is_none()).collect();
        let calls: Vec<&Value> = docs.iter().filter(|d| d["type"] == "subsegment").collect();
        assert_eq!((servers.len(), calls.len()), (2, 1), "{docs:#?}");

        // The frontend's client subsegment, named after the peer it calls.
        let call = calls[0];
        assert_eq!(call["name"], "backend");
        assert_eq!(call["namespace"], "remote");
        assert_eq!(call["parent_id"], frontend["id"]);
        assert_eq!(call["http"]["response"]["status"], 200);
        assert!(
            call["http"]["request"]["url"]
                .as_str()
                .is_some_and(|url| url.contains("/stock/order-")),
            "{call}"
        );
        // The header carried the call's id, and the backend's segment hangs under it.
        assert_eq!(call["id"], parent.as_str());
        let backend = servers
            .iter()
            .find(|d| d["name"] == "backend")
            .unwrap_or_else(|| panic!("no backend segment in {docs:#?}"));
        assert_eq!(backend["parent_id"], call["id"]);
        assert_eq!(backend["http"]["response"]["status"], 200);
    }
}

// ---------------------------------------------------------------------------------------------
// lambda_handler

/// Runs the Lambda example with `_X_AMZN_TRACE_ID` and returns the documents it wrote to stdout.
fn run_lambda(trace_header: &str) -> (Vec<Value>, Finished) {
    let binary = example("lambda_handler");
    let mut command = example_command(&binary);
    command.env("_X_AMZN_TRACE_ID", trace_header);
    let finished = run(command, RUN_DEADLINE);
    finished.assert_success("the lambda_handler example");
    let docs = finished
        .stdout
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON document ({e}): {line}")))
        .collect();
    assert!(
        finished
            .stdout
            .lines()
            .any(|line| line == r#"response: {"order_id":"order-1042","status":"shipped"}"#),
        "the handler did not answer:\n{}",
        finished.stdout
    );
    (docs, finished)
}

#[test]
fn lambda_handler_continues_a_sampled_invocation_trace() {
    let (docs, _) = run_lambda(&format!("{LAMBDA_TRACE_HEADER};Sampled=1"));
    assert_eq!(docs.len(), 2, "the handler span and its DynamoDB call: {docs:#?}");
    for doc in &docs {
        assert_eq!(doc["trace_id"], LAMBDA_TRACE_ID, "{doc}");
    }
    // The handler's segment hangs under the segment Lambda recorded (the header's Parent).
    let handler = named(&docs, "order-lookup");
    assert_eq!(handler["parent_id"], LAMBDA_PARENT_ID);
    assert!(handler.get("type").is_none(), "{handler}");
    assert_eq!(handler["http"]["response"]["status"], 200);
    let call = named(&docs, "DynamoDB");
    assert_eq!(call["type"], "subsegment");
    assert_eq!(call["namespace"], "aws");
    assert_eq!(call["parent_id"], handler["id"]);
    assert_eq!(call["aws"]["operation"], "GetItem");
}

/// With active tracing off Lambda sets `Sampled=0`. The default precedence
/// (`SampledEnvironmentFirst`) still uses that context, because the event carries no parent of its
/// own, and the SDK's default sampler, `ParentBased(AlwaysOn)`, follows the unsampled remote parent:
/// the spans are not recorded, so the exporter never sees them. The handler still answers.
#[test]
fn lambda_handler_exports_nothing_for_an_unsampled_invocation() {
    let (docs, finished) = run_lambda(&format!("{LAMBDA_TRACE_HEADER};Sampled=0"));
    assert!(docs.is_empty(), "nothing is exported: {docs:#?}\n{}", finished.stderr);
}
