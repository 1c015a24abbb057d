//! moto's X-Ray server as a test peer: an independent implementation of `PutTraceSegments`,
//! `GetTraceSummaries` and `BatchGetTraces`, started on a free 127.0.0.1 port for one test and
//! killed when the [`Moto`] handle drops.
//!
//! `scripts/test.sh` installs moto (`scripts/peers.sh`) and exports `OTEL_XRAY_MOTO_SERVER` and
//! `OTEL_XRAY_REQUIRE_PEERS=1`. Without them the tests look for `moto_server` on `PATH`, and skip
//! (with a line on stderr) when there is none. With `OTEL_XRAY_REQUIRE_PEERS=1` a missing or
//! broken moto fails the test instead.
//!
//! Shared by the transport's and the exporter's tests (`#[path]`), so it needs only `std`,
//! `aws-config`, `aws-sdk-xray`, `serde` and `serde_json`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_xray::config::Credentials;
use aws_sdk_xray::primitives::DateTime;

/// Where `scripts/test.sh` puts the path of the `moto_server` it installed.
pub const MOTO_SERVER_ENV: &str = "OTEL_XRAY_MOTO_SERVER";
/// `1`: a test whose peer is missing fails instead of skipping.
pub const REQUIRE_PEERS_ENV: &str = "OTEL_XRAY_REQUIRE_PEERS";
/// The region every test signs for (moto keeps one backend per region).
pub const REGION: &str = "us-east-1";
/// How long moto may take to answer its first request.
const START_DEADLINE: Duration = Duration::from_secs(20);
/// Attempts at finding a free port (another process may take the one we picked).
const START_ATTEMPTS: usize = 3;

/// A running moto server, killed on drop.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
}

/// Whether the tests must have their peers (`OTEL_XRAY_REQUIRE_PEERS=1`).
pub fn peers_required() -> bool {
    std::env::var(REQUIRE_PEERS_ENV).is_ok_and(|v| v.trim() == "1")
}

/// The `moto_server` to run: `$OTEL_XRAY_MOTO_SERVER`, else the first on `PATH`.
pub fn moto_server_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(MOTO_SERVER_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
}

impl Moto {
    /// Starts moto, or returns `None` after printing `SKIPPED: …` when it is not installed and
    /// the peers are not required. Panics when the peers are required and moto is missing or
    /// does not come up within 20 s.
    pub fn start() -> Option<Self> {
        let Some(server) = moto_server_path() else {
            if peers_required() {
                panic!(
                    "moto_server not found (${MOTO_SERVER_ENV} unset or wrong, none on PATH) while \
                     {REQUIRE_PEERS_ENV}=1: run scripts/test.sh, which installs it into .venv-peers/"
                );
            }
            eprintln!("SKIPPED: moto_server not found (run scripts/test.sh)");
            return None;
        };
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::spawn(&server) {
                Ok(moto) => return Some(moto),
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "moto_server ({}) did not start; run scripts/test.sh to (re)install it. Attempts:\n{}",
            server.display(),
            failures.join("\n")
        );
    }

    fn spawn(server: &Path) -> Result<Self, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let log = std::env::temp_dir().join(format!("otel-xray-moto-{}-{port}.log", std::process::id()));
        let out = File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Dummy credentials and a region for moto itself; the test process's own
            // environment is left alone.
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", REGION)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", server.display()))?;
        let mut moto = Self { child, port, log };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = moto.child.try_wait() {
                return Err(format!(
                    "moto exited with {status} before answering:\n{}",
                    moto.log_tail()
                ));
            }
            if answers_http(moto.addr()) {
                return Ok(moto);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "moto did not answer on {} within {START_DEADLINE:?}:\n{}",
                    moto.addr(),
                    moto.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The endpoint URL for the AWS SDK.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// An `SdkConfig` for moto: static dummy credentials, `us-east-1`, moto's endpoint.
    /// Nothing is read from the environment that could change the outcome.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config_for(&self.endpoint()).await
    }

    /// The last lines moto wrote (its request log), for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("moto log ({}):\n{}", self.log.display(), self.log_tail());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// An `SdkConfig` with static dummy credentials for `endpoint` in `us-east-1`.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A port nobody listens on right now.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// Whether something answers an HTTP request on `addr` (any status line will do).
fn answers_http(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// One trace as `BatchGetTraces` returned it: `(segment id, document)` pairs.
pub type StoredTrace = Vec<(String, String)>;

/// Every trace that ended within the last hour (or ends within the next), read back with
/// `GetTraceSummaries` and `BatchGetTraces` (at most 5 ids per call, as X-Ray allows), by trace id.
pub async fn read_back(client: &aws_sdk_xray::Client) -> BTreeMap<String, StoredTrace> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    for _page in 0..100 {
        let result = client
            .get_trace_summaries()
            .start_time(DateTime::from_secs(now - 3600))
            .end_time(DateTime::from_secs(now + 3600))
            .set_next_token(token.take())
            .send()
            .await;
        let (page_ids, next) = match result {
            Ok(out) => (
                out.trace_summaries()
                    .iter()
                    .filter_map(|s| s.id().map(str::to_owned))
                    .collect(),
                out.next_token().map(str::to_owned),
            ),
            Err(e) => summaries_from_raw(&e).unwrap_or_else(|| panic!("GetTraceSummaries: {e:?}")),
        };
        ids.extend(page_ids);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    ids.sort();
    ids.dedup();
    let mut traces = BTreeMap::new();
    for chunk in ids.chunks(5) {
        let out = client
            .batch_get_traces()
            .set_trace_ids(Some(chunk.to_vec()))
            .send()
            .await
            .expect("BatchGetTraces");
        assert!(
            out.unprocessed_trace_ids().is_empty(),
            "BatchGetTraces left out {:?}",
            out.unprocessed_trace_ids()
        );
        for trace in out.traces() {
            let segments = trace
                .segments()
                .iter()
                .map(|s| {
                    (
                        s.id().unwrap_or_default().to_owned(),
                        s.document().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            traces.insert(trace.id().unwrap_or_default().to_owned(), segments);
        }
    }
    traces
}

/// moto answers `GetTraceSummaries` with `"Users": {}` where X-Ray's model has a list, which
/// `aws-sdk-xray` refuses to parse. The answer is otherwise fine, so the trace ids are taken from
/// the raw HTTP 200 body the SDK error carries.
fn summaries_from_raw<E>(
    error: &aws_sdk_xray::error::SdkError<E, aws_sdk_xray::config::http::HttpResponse>,
) -> Option<(Vec<String>, Option<String>)> {
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(rename = "TraceSummaries", default)]
        summaries: Vec<Summary>,
        #[serde(rename = "NextToken", default)]
        next_token: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Summary {
        #[serde(rename = "Id")]
        id: String,
    }
    let raw = error.raw_response()?;
    if raw.status().as_u16() != 200 {
        return None;
    }
    let page: Page = serde_json::from_slice(raw.body().bytes()?).ok()?;
    Some((page.summaries.into_iter().map(|s| s.id).collect(), page.next_token))
}
