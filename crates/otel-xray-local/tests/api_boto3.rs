//! boto3 against Local X-Ray: `tests/python/boto3_client.py` puts documents with
//! `put_trace_segments`, pages `get_trace_summaries` (with and without `FilterExpression`), reads
//! `batch_get_traces` and `get_service_graph`, and checks that a bad filter raises `ClientError`
//! with code `InvalidRequestException`.
//!
//! Python comes from the peers' venv (`scripts/peers.sh`): the `python` next to
//! `$OTEL_XRAY_MOTO_SERVER`, else next to the `moto_server` on `PATH`. Without one that can import
//! boto3 the test skips, unless `OTEL_XRAY_REQUIRE_PEERS=1`, where it fails.

mod api_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use api_support::Server;

/// How long the script may run.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(120);

fn peers_required() -> bool {
    std::env::var("OTEL_XRAY_REQUIRE_PEERS").is_ok_and(|v| v.trim() == "1")
}

fn moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OTEL_XRAY_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join("moto_server"))
        .find(|c| c.is_file())
}

/// The venv's python, if it can import boto3.
fn python() -> Result<PathBuf, String> {
    let server = moto_server().ok_or("no moto_server ($OTEL_XRAY_MOTO_SERVER unset, none on PATH)")?;
    let python = server.with_file_name("python");
    let (ok, output) = run(&python, &["-c", "import boto3"], Duration::from_secs(60))?;
    if ok {
        Ok(python)
    } else {
        Err(format!("{} cannot import boto3: {output}", python.display()))
    }
}

/// Runs a command with a deadline; returns whether it succeeded and its combined output.
fn run(program: &Path, args: &[&str], deadline: Duration) -> Result<(bool, String), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_path = dir.path().join("out.txt");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let until = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut output = String::new();
    std::fs::File::open(&out_path)
        .and_then(|mut f| f.read_to_string(&mut output))
        .map_err(|e| e.to_string())?;
    match status {
        Some(status) => Ok((status.success(), output)),
        None => Ok((false, format!("killed after {deadline:?}\n{output}"))),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_puts_reads_and_gets_invalid_request_errors() {
    let python = match tokio::task::spawn_blocking(python).await.expect("python lookup") {
        Ok(python) => python,
        Err(why) if peers_required() => panic!("OTEL_XRAY_REQUIRE_PEERS=1 but {why} (run scripts/peers.sh)"),
        Err(why) => {
            eprintln!("SKIPPED: {why} (run scripts/peers.sh)");
            return;
        }
    };
    let server = Server::in_memory().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/boto3_client.py");
    let base = server.base.clone();
    let (ok, output) = tokio::task::spawn_blocking(move || {
        let script = script.to_string_lossy().into_owned();
        run(&python, &[&script, &base], SCRIPT_DEADLINE)
    })
    .await
    .expect("script task")
    .expect("script runs");
    server.stop().await;
    assert!(
        ok && output.trim_end().ends_with("OK"),
        "boto3_client.py failed:\n{output}"
    );
}
