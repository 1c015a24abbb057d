//! `XrayApiSink::connect` resolves region, credentials and endpoint with aws-config's standard
//! chains: environment credentials and region, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_XRAY`,
//! shared-config profiles, web identity (STS `AssumeRoleWithWebIdentity`), container credentials,
//! instance metadata (IMDSv2, region and credentials), and `role_arn` + `external_id` (STS
//! `AssumeRole`).
//!
//! Those chains read the process environment, which tests running in parallel must not change.
//! So each case runs this test binary again as a child process with a prepared environment (and
//! no `AWS_*` variable of the parent), which connects and delivers two documents. The fake X-Ray
//! endpoint, serving fake STS, container-credentials and instance-metadata routes on the same
//! port, records the SigV4 `Authorization` header: its access key and credential scope say which
//! credentials and region were used.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_xray::primitives::{DateTime, DateTimeFormat};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use otel_xray_transport::{ApiOptions, HttpClientOptions, RetryPolicy, XrayApiSink, deliver};
use rand::SeedableRng;
use support::docs;
use support::fake_xray::{FakeXray, Step};
use support::forward_proxy::ForwardProxy;

/// Set in the child: run the child test.
const CHILD: &str = "OTEL_XRAY_TEST_CHILD";
/// `ApiOptions` fields for the child.
const CHILD_REGION: &str = "OTEL_XRAY_TEST_CHILD_REGION";
const CHILD_ENDPOINT: &str = "OTEL_XRAY_TEST_CHILD_ENDPOINT";
const CHILD_PROFILE: &str = "OTEL_XRAY_TEST_CHILD_PROFILE";
const CHILD_ROLE_ARN: &str = "OTEL_XRAY_TEST_CHILD_ROLE_ARN";
const CHILD_EXTERNAL_ID: &str = "OTEL_XRAY_TEST_CHILD_EXTERNAL_ID";
const CHILD_LOCAL_MODE: &str = "OTEL_XRAY_TEST_CHILD_LOCAL_MODE";
const CHILD_PROXY: &str = "OTEL_XRAY_TEST_CHILD_PROXY";
/// How long a child may run.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);
/// The line the child prints with its outcome.
const OUTCOME: &str = "CHILD-OUTCOME:";

// ---------------------------------------------------------------------------------------------
// The child.

#[tokio::test]
#[ignore = "runs only as the child process of the other tests in this file"]
async fn child_connects_and_delivers() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let options = ApiOptions {
        region: var(CHILD_REGION),
        endpoint: var(CHILD_ENDPOINT),
        role_arn: var(CHILD_ROLE_ARN),
        external_id: var(CHILD_EXTERNAL_ID),
        profile: var(CHILD_PROFILE),
        local_mode: var(CHILD_LOCAL_MODE).is_some(),
        request_timeout: Duration::from_secs(5),
        http: HttpClientOptions {
            proxy_address: var(CHILD_PROXY),
            ..HttpClientOptions::default()
        },
    };
    let sink = match XrayApiSink::connect(&options).await {
        Ok(sink) => sink,
        Err(e) => {
            println!("{OUTCOME} setup-error: {e}");
            return;
        }
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let documents: Vec<_> = docs::trace(&mut rng, "child", 2).iter().map(docs::outgoing).collect();
    let policy = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
        max_elapsed: Duration::from_secs(10),
    };
    let report = deliver(&sink, documents, &policy).await;
    let dropped: Vec<String> = report
        .dropped
        .iter()
        .map(|d| format!("{} {:?}", d.reason.label(), d.reason))
        .collect();
    println!(
        "{OUTCOME} delivered={} calls={} dropped={dropped:?}",
        report.delivered, report.calls
    );
}

// ---------------------------------------------------------------------------------------------
// The parent side.

/// Credentials the fake sources hand out, by source.
const CONTAINER_KEY: &str = "ASIACONTAINERCREDS01";
const INSTANCE_KEY: &str = "ASIAINSTANCECREDS001";
const WEB_IDENTITY_KEY: &str = "ASIAWEBIDENTITY00001";
const ASSUMED_KEY: &str = "ASIAASSUMEDROLE00001";
const INSTANCE_REGION: &str = "eu-central-1";

/// What the fake credential sources saw.
#[derive(Debug, Default)]
struct SourceLog {
    /// `METHOD path` of every request.
    requests: Vec<String>,
    /// Form bodies of STS calls.
    sts_bodies: Vec<String>,
}

fn expiration() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    DateTime::from_secs(now + 3600).fmt(DateTimeFormat::DateTime).unwrap()
}

fn json_credentials(key: &str) -> String {
    serde_json::json!({
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": key,
        "SecretAccessKey": "fake-secret",
        "Token": format!("token-{key}"),
        "Expiration": expiration(),
        "LastUpdated": expiration(),
    })
    .to_string()
}

fn sts_response(action: &str, key: &str) -> String {
    format!(
        r#"<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <{action}Result>
    <Credentials>
      <AccessKeyId>{key}</AccessKeyId>
      <SecretAccessKey>fake-secret</SecretAccessKey>
      <SessionToken>token-{key}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/otel/otel-xray</Arn>
      <AssumedRoleId>AROAEXAMPLE:otel-xray</AssumedRoleId>
    </AssumedRoleUser>
  </{action}Result>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</{action}Response>"#,
        expiration = expiration()
    )
}

/// Fake STS, container-credentials and IMDSv2 routes.
fn credential_sources(log: Arc<Mutex<SourceLog>>) -> Router {
    let note = |log: &Arc<Mutex<SourceLog>>, what: String| log.lock().unwrap().requests.push(what);
    let (l1, l2, l3, l4, l5, l6) = (
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
    );
    Router::new()
        .route(
            "/container-credentials",
            get(move || async move {
                note(&l1, "GET /container-credentials".into());
                json_credentials(CONTAINER_KEY)
            }),
        )
        .route(
            "/latest/api/token",
            put(move |headers: HeaderMap| async move {
                note(&l2, "PUT /latest/api/token".into());
                let ttl = headers
                    .get("x-aws-ec2-metadata-token-ttl-seconds")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("21600")
                    .to_owned();
                ([("x-aws-ec2-metadata-token-ttl-seconds", ttl)], "imds-session-token")
            }),
        )
        .route(
            "/latest/meta-data/iam/security-credentials/",
            get(move |headers: HeaderMap| async move {
                note(&l3, "GET /latest/meta-data/iam/security-credentials/".into());
                if headers.get("x-aws-ec2-metadata-token").is_none() {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                (StatusCode::OK, "otel-instance-role".to_owned())
            }),
        )
        .route(
            "/latest/meta-data/iam/security-credentials/otel-instance-role",
            get(move || async move {
                note(
                    &l4,
                    "GET /latest/meta-data/iam/security-credentials/otel-instance-role".into(),
                );
                json_credentials(INSTANCE_KEY)
            }),
        )
        .route(
            "/latest/meta-data/placement/region",
            get(move || async move {
                note(&l5, "GET /latest/meta-data/placement/region".into());
                INSTANCE_REGION
            }),
        )
        .route(
            "/",
            post(move |body: String| async move {
                let action = body
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("Action="))
                    .unwrap_or_default()
                    .to_owned();
                {
                    let mut log = l6.lock().unwrap();
                    log.requests.push(format!("POST / {action}"));
                    log.sts_bodies.push(body.clone());
                }
                let key = match action.as_str() {
                    "AssumeRoleWithWebIdentity" => WEB_IDENTITY_KEY,
                    "AssumeRole" => ASSUMED_KEY,
                    _ => return (StatusCode::BAD_REQUEST, format!("unexpected STS action {action:?}")).into_response(),
                };
                ([("content-type", "text/xml")], sts_response(&action, key)).into_response()
            }),
        )
}

/// One child run: the environment it gets (besides a clean `AWS_*` slate) and what it found.
struct Case {
    name: &'static str,
    env: Vec<(&'static str, String)>,
}

struct Outcome {
    line: String,
    stdout: String,
    stderr: String,
}

/// Runs the child test with `case.env` and no `AWS_*` variable of this process. `HOME` and the
/// shared config files point into an empty directory unless the case sets them.
async fn run_child(case: &Case, dir: &Path) -> Outcome {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "child_connects_and_delivers",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy().to_ascii_uppercase();
        if name.starts_with("AWS_")
            || name.starts_with("OTEL_XRAY_TEST_CHILD")
            || matches!(name.as_str(), "HTTP_PROXY" | "HTTPS_PROXY" | "ALL_PROXY" | "NO_PROXY")
        {
            cmd.env_remove(key);
        }
    }
    cmd.env(CHILD, "1")
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"));
    for (key, value) in &case.env {
        cmd.env(key, value);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + CHILD_DEADLINE;
    // Poll (the fake endpoint keeps serving on this runtime meanwhile).
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{}: the child did not finish within {CHILD_DEADLINE:?}", case.name);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(OUTCOME).map(|(_, rest)| rest))
        .map(|l| l.trim().to_owned())
        .unwrap_or_else(|| {
            panic!(
                "{}: the child printed no outcome\nstdout:\n{stdout}\nstderr:\n{stderr}",
                case.name
            )
        });
    Outcome { line, stdout, stderr }
}

/// An empty directory for one child's files, removed on drop (panics included).
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("otel-xray-chain-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `case` against a fresh fake and returns what X-Ray and the credential sources saw.
async fn check(
    case: Case,
    make_env: impl FnOnce(&str, &Path) -> Vec<(&'static str, String)>,
) -> (Outcome, Vec<support::fake_xray::Call>, SourceLog) {
    let log = Arc::new(Mutex::new(SourceLog::default()));
    let fake = FakeXray::start_with_routes(Vec::new(), Step::Accept, credential_sources(log.clone())).await;
    let dir = ScratchDir::new(case.name);
    let mut case = case;
    case.env.extend(make_env(&fake.endpoint(), &dir.0));
    let outcome = run_child(&case, &dir.0).await;
    let calls = fake.calls();
    let log = std::mem::take(&mut *log.lock().unwrap());
    (outcome, calls, log)
}

/// The access key and the credential scope's region of a SigV4 `Authorization` header.
fn key_and_region(authorization: &str) -> (String, String) {
    let credential = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split(',').next())
        .unwrap_or_else(|| panic!("no credential in {authorization:?}"));
    let parts: Vec<&str> = credential.split('/').collect();
    assert_eq!(parts.len(), 5, "{credential}");
    assert_eq!(parts[3], "xray", "signed for X-Ray: {credential}");
    (parts[0].to_owned(), parts[2].to_owned())
}

fn assert_delivered(name: &str, outcome: &Outcome, calls: &[support::fake_xray::Call]) {
    assert_eq!(
        outcome.line, "delivered=2 calls=1 dropped=[]",
        "{name}\nstdout:\n{}\nstderr:\n{}",
        outcome.stdout, outcome.stderr
    );
    assert_eq!(calls.len(), 1, "{name}: one PutTraceSegments call reached the endpoint");
}

fn static_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIAENVSTATIC0000001".into()),
        ("AWS_SECRET_ACCESS_KEY", "fake-secret".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

#[tokio::test]
async fn environment_credentials_region_and_aws_endpoint_url_xray() {
    let case = Case {
        name: "env-xray-endpoint",
        env: static_env(),
    };
    let (outcome, calls, _) = check(case, |endpoint, _| {
        vec![
            ("AWS_REGION", "eu-west-2".into()),
            ("AWS_ENDPOINT_URL_XRAY", endpoint.to_owned()),
            // The service-specific variable wins over the general one.
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("env-xray-endpoint", &outcome, &calls);
    let (key, region) = key_and_region(&calls[0].authorization);
    assert_eq!((key.as_str(), region.as_str()), ("AKIAENVSTATIC0000001", "eu-west-2"));
    assert_eq!(calls[0].security_token, None);
}

#[tokio::test]
async fn aws_endpoint_url_alone_is_used_for_x_ray() {
    let case = Case {
        name: "env-generic-endpoint",
        env: static_env(),
    };
    let (outcome, calls, _) = check(case, |endpoint, _| {
        vec![
            ("AWS_DEFAULT_REGION", "us-west-1".into()),
            ("AWS_ENDPOINT_URL", endpoint.to_owned()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("env-generic-endpoint", &outcome, &calls);
    assert_eq!(key_and_region(&calls[0].authorization).1, "us-west-1");
}

/// Shared config files with a `default` and an `otel` profile, the latter naming `endpoint`.
fn profile_files(endpoint: &str, dir: &Path) -> Vec<(&'static str, String)> {
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(
        &config,
        format!(
            "[default]\nregion = us-east-2\n\n[profile otel]\nregion = ap-southeast-2\nendpoint_url = {endpoint}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIADEFAULTPROFILE01\naws_secret_access_key = x\n\n\
         [otel]\naws_access_key_id = AKIAPROFILEOTEL00001\naws_secret_access_key = fake-secret\n",
    )
    .unwrap();
    vec![
        ("AWS_CONFIG_FILE", config.display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.display().to_string()),
        (CHILD_PROFILE, "otel".into()),
    ]
}

#[tokio::test]
async fn a_named_profile_gives_region_credentials_and_endpoint() {
    let case = Case {
        name: "profile",
        env: vec![("AWS_EC2_METADATA_DISABLED", "true".into())],
    };
    let (outcome, calls, _) = check(case, profile_files).await;
    assert_delivered("profile", &outcome, &calls);
    let (key, region) = key_and_region(&calls[0].authorization);
    assert_eq!(
        (key.as_str(), region.as_str()),
        ("AKIAPROFILEOTEL00001", "ap-southeast-2")
    );
}

#[tokio::test]
async fn a_named_profile_gives_its_region_in_local_mode_too() {
    // `XrayApiSink::connect` builds its local-mode region chain with
    // `ProfileFileRegionProvider::builder().build()`, which does not get `options.profile`: the
    // credentials come from `[otel]` but the region from `[default]` (us-east-2).
    let case = Case {
        name: "profile-local",
        env: vec![("AWS_EC2_METADATA_DISABLED", "true".into())],
    };
    let (outcome, calls, _) = check(case, |endpoint, dir| {
        let mut env = profile_files(endpoint, dir);
        env.push((CHILD_LOCAL_MODE, "1".into()));
        env
    })
    .await;
    assert_delivered("profile-local", &outcome, &calls);
    let (key, region) = key_and_region(&calls[0].authorization);
    assert_eq!(
        (key.as_str(), region.as_str()),
        ("AKIAPROFILEOTEL00001", "ap-southeast-2")
    );
}

#[tokio::test]
async fn container_credentials() {
    let case = Case {
        name: "container",
        env: vec![
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ],
    };
    let (outcome, calls, log) = check(case, |endpoint, _| {
        vec![
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{endpoint}/container-credentials"),
            ),
            (CHILD_ENDPOINT, endpoint.to_owned()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("container", &outcome, &calls);
    assert_eq!(key_and_region(&calls[0].authorization).0, CONTAINER_KEY);
    assert_eq!(calls[0].security_token.as_deref(), Some("token-ASIACONTAINERCREDS01"));
    assert!(
        log.requests.contains(&"GET /container-credentials".to_owned()),
        "{log:?}"
    );
}

#[tokio::test]
async fn instance_metadata_gives_region_and_credentials_outside_local_mode() {
    let case = Case {
        name: "instance",
        env: Vec::new(),
    };
    let (outcome, calls, log) = check(case, |endpoint, _| {
        vec![
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.to_owned()),
            (CHILD_ENDPOINT, endpoint.to_owned()),
        ]
    })
    .await;
    assert_delivered("instance", &outcome, &calls);
    let (key, region) = key_and_region(&calls[0].authorization);
    assert_eq!((key.as_str(), region.as_str()), (INSTANCE_KEY, INSTANCE_REGION));
    assert_eq!(calls[0].security_token.as_deref(), Some("token-ASIAINSTANCECREDS001"));
    assert!(
        log.requests.contains(&"PUT /latest/api/token".to_owned()),
        "IMDSv2: {log:?}"
    );
}

#[tokio::test]
async fn local_mode_never_asks_instance_metadata_for_the_region() {
    // `ApiOptions::local_mode` promises "never query EC2 instance metadata for the region".
    // `connect` gives the loader a region chain without IMDS, but when it finds nothing,
    // aws-config's `load()` builds the default credentials chain with region `None`, and that
    // chain resolves a region with the default region chain, IMDS included (aws-config
    // `default_provider/credentials.rs`, `Builder::build`). On a host without IMDS this costs
    // the IMDS timeouts before `connect` fails with `NoRegion`.
    let case = Case {
        name: "local-mode",
        env: static_env()
            .into_iter()
            .filter(|(k, _)| *k != "AWS_EC2_METADATA_DISABLED")
            .collect(),
    };
    let (outcome, calls, log) = check(case, |endpoint, _| {
        vec![
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.to_owned()),
            (CHILD_ENDPOINT, endpoint.to_owned()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert!(calls.is_empty(), "nothing sent without a region: {calls:?}");
    assert!(
        outcome.line.starts_with("setup-error: no AWS region"),
        "{}\n{}",
        outcome.line,
        outcome.stderr
    );
    assert!(
        !log.requests.iter().any(|r| r.contains("placement/region")),
        "local mode asked instance metadata: {log:?}"
    );
}

#[tokio::test]
async fn web_identity_token_is_exchanged_with_sts() {
    let case = Case {
        name: "web-identity",
        env: vec![
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/otel".into()),
            ("AWS_ROLE_SESSION_NAME", "otel-xray-test".into()),
        ],
    };
    let (outcome, calls, log) = check(case, |endpoint, dir| {
        let token = dir.join("token");
        std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.fake.token").unwrap();
        vec![
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()),
            ("AWS_ENDPOINT_URL_STS", endpoint.to_owned()),
            (CHILD_ENDPOINT, endpoint.to_owned()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("web-identity", &outcome, &calls);
    assert_eq!(key_and_region(&calls[0].authorization).0, WEB_IDENTITY_KEY);
    assert_eq!(calls[0].security_token.as_deref(), Some("token-ASIAWEBIDENTITY00001"));
    let body = log.sts_bodies.first().expect("an STS call");
    assert!(
        body.contains("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.fake.token"),
        "{body}"
    );
}

#[tokio::test]
async fn role_arn_and_external_id_assume_a_role_on_top_of_the_base_credentials() {
    let case = Case {
        name: "assume-role",
        env: static_env(),
    };
    let (outcome, calls, log) = check(case, |endpoint, _| {
        vec![
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL_STS", endpoint.to_owned()),
            (CHILD_ENDPOINT, endpoint.to_owned()),
            (CHILD_ROLE_ARN, "arn:aws:iam::123456789012:role/xray-writer".into()),
            (CHILD_EXTERNAL_ID, "otel-external-7".into()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("assume-role", &outcome, &calls);
    assert_eq!(key_and_region(&calls[0].authorization).0, ASSUMED_KEY);
    let body = log.sts_bodies.first().expect("an STS call");
    assert!(body.contains("Action=AssumeRole&"), "{body}");
    assert!(body.contains("ExternalId=otel-external-7"), "{body}");
    assert!(body.contains("RoleSessionName=otel-xray"), "{body}");
}

#[tokio::test]
async fn no_credentials_anywhere_drops_the_documents_within_the_budget_and_says_why() {
    let case = Case {
        name: "no-credentials",
        env: vec![
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ],
    };
    let (outcome, calls, _) = check(case, |endpoint, _| {
        vec![(CHILD_ENDPOINT, endpoint.to_owned()), (CHILD_LOCAL_MODE, "1".into())]
    })
    .await;
    assert!(calls.is_empty(), "an unsigned request never leaves: {calls:?}");
    let summary: BTreeMap<&str, &str> = outcome
        .line
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .take(2)
        .collect();
    assert_eq!(summary.get("delivered"), Some(&"0"), "{}", outcome.line);
    // The child's budget is 2 attempts. Whether a credential chain that found nothing is worth
    // a retry is the classifier's call (today: `Connection`, retried); either way it is bounded.
    let calls: usize = summary["calls"].parse().unwrap();
    assert!((1..=2).contains(&calls), "{}", outcome.line);
    assert!(
        outcome.line.contains("no credentials found in chain"),
        "{}",
        outcome.line
    );
}

// ---------------------------------------------------------------------------------------------
// Proxies: the endpoint's host (`*.invalid`) resolves nowhere, so a call that arrives went
// through the forward proxy, which sends everything to 127.0.0.1 at the URL's port.

/// `http://xray.proxied.invalid:PORT` for the fake's port.
fn unresolvable(endpoint: &str) -> String {
    let port = endpoint.rsplit(':').next().unwrap();
    format!("http://xray.proxied.invalid:{port}")
}

#[tokio::test]
async fn proxy_address_carries_the_x_ray_and_sts_calls() {
    let proxy = ForwardProxy::start().await;
    let case = Case {
        name: "proxy-address",
        env: static_env(),
    };
    let proxy_url = proxy.url();
    let (outcome, calls, log) = check(case, |endpoint, _| {
        vec![
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL_STS", unresolvable(endpoint)),
            (CHILD_ENDPOINT, unresolvable(endpoint)),
            (CHILD_ROLE_ARN, "arn:aws:iam::123456789012:role/xray-writer".into()),
            (CHILD_PROXY, proxy_url),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("proxy-address", &outcome, &calls);
    assert_eq!(key_and_region(&calls[0].authorization).0, ASSUMED_KEY);
    assert!(!log.sts_bodies.is_empty(), "STS was called");
    // Both calls reached the fake at a host that resolves nowhere: through the proxy (which
    // records the first request of each connection; the second may reuse it).
    let lines = proxy.request_lines();
    assert!(!lines.is_empty(), "the proxy saw the calls");
    assert!(
        lines.iter().all(|l| l.starts_with("POST http://xray.proxied.invalid:")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn http_proxy_from_the_environment_is_used_unless_no_proxy_matches() {
    let proxy = ForwardProxy::start().await;
    let proxy_url = proxy.url();
    let case = Case {
        name: "env-proxy",
        env: static_env(),
    };
    let (outcome, calls, _) = check(case, |endpoint, _| {
        vec![
            ("AWS_REGION", "us-east-1".into()),
            (CHILD_ENDPOINT, unresolvable(endpoint)),
            ("HTTP_PROXY", proxy_url.clone()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert_delivered("env-proxy", &outcome, &calls);
    assert_eq!(proxy.request_lines().len(), 1, "{:?}", proxy.request_lines());

    let case = Case {
        name: "env-no-proxy",
        env: static_env(),
    };
    let (outcome, calls, _) = check(case, |endpoint, _| {
        vec![
            ("AWS_REGION", "us-east-1".into()),
            (CHILD_ENDPOINT, unresolvable(endpoint)),
            ("HTTP_PROXY", proxy_url.clone()),
            ("NO_PROXY", ".proxied.invalid".into()),
            (CHILD_LOCAL_MODE, "1".into()),
        ]
    })
    .await;
    assert!(calls.is_empty(), "{calls:?}");
    assert!(outcome.line.starts_with("delivered=0"), "{}", outcome.line);
    assert_eq!(proxy.request_lines().len(), 1, "NO_PROXY kept the call off the proxy");
}
