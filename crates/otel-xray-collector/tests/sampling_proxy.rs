//! The daemon's TCP sampling proxy against a scripted X-Ray endpoint on 127.0.0.1 (moto has no
//! sampling APIs). The fake endpoint recomputes every request's SigV4 signature for service
//! `xray` and answers canned X-Ray JSON; clients post the way the X-Ray SDKs do and must get
//! X-Ray's answers back byte for byte, errors included.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_xray::config::{Credentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use otel_xray_collector::metrics::{Metrics, RefusalLabel};
use otel_xray_collector::sampling_proxy::{SamplingProxy, SamplingProxyHandle, SamplingProxyOptions, XrayUpstream};

const ACCESS_KEY: &str = "AKIDEXAMPLEPROXY";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "session-token-example";
const REGION: &str = "us-west-2";

/// A `GetSamplingRules` answer in X-Ray's shape (field names of the REST API).
const RULES: &str = r#"{"NextToken":null,"SamplingRuleRecords":[{"CreatedAt":0.0,"ModifiedAt":1.700000000E9,"SamplingRule":{"Attributes":{},"FixedRate":0.05,"HTTPMethod":"*","Host":"*","Priority":10000,"ReservoirSize":1,"ResourceARN":"*","RuleARN":"arn:aws:xray:us-west-2:123456789012:sampling-rule/Default","RuleName":"Default","ServiceName":"*","ServiceType":"*","URLPath":"*","Version":1}},{"CreatedAt":1.7E9,"ModifiedAt":1.7E9,"SamplingRule":{"Attributes":{"tier":"gold"},"FixedRate":0.5,"HTTPMethod":"GET","Host":"*","Priority":100,"ReservoirSize":5,"ResourceARN":"*","RuleARN":"arn:aws:xray:us-west-2:123456789012:sampling-rule/orders","RuleName":"orders","SamplingRateBoost":{"CooldownWindowMinutes":1,"MaxRate":0.2},"ServiceName":"orders-*","ServiceType":"AWS::ECS::Container","URLPath":"/orders/*","Version":1}}]}"#;

/// A `GetSamplingTargets` answer in X-Ray's shape.
const TARGETS: &str = r#"{"LastRuleModification":1.700000000E9,"SamplingTargetDocuments":[{"FixedRate":0.5,"Interval":10,"ReservoirQuota":3,"ReservoirQuotaTTL":1.7000003E9,"RuleName":"orders"}],"UnprocessedBoostStatistics":[],"UnprocessedStatistics":[{"ErrorCode":"400","Message":"Unknown rule","RuleName":"gone"}]}"#;

/// What the SDKs post to `/SamplingTargets`.
const STATISTICS: &str = r#"{"SamplingStatisticsDocuments":[{"BorrowCount":1,"ClientID":"0123456789abcdef01234567","RequestCount":10,"RuleName":"orders","SampledCount":6,"Timestamp":1700000100}]}"#;

/// One request as the fake X-Ray endpoint saw it.
#[derive(Debug, Clone)]
struct Seen {
    path_and_query: String,
    body: Bytes,
    content_type: String,
    authorization: String,
    security_token: String,
}

#[derive(Clone, Default)]
struct FakeXray {
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// `YYYYMMDD'T'HHMMSS'Z'` to a time.
fn parse_amz_date(s: &str) -> SystemTime {
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(9..11) * 3_600 + n(11..13) * 60 + n(13..15);
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap())
}

/// Checks the request's SigV4 signature by signing it again with the known secret. Returns why
/// it is not valid.
fn verify_signature(path_and_query: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let auth = header("authorization");
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| format!("not a SigV4 Authorization header: {auth:?}"))?;
    let part = |key: &str| {
        rest.split(", ")
            .find_map(|p| p.strip_prefix(key))
            .ok_or_else(|| format!("no {key} in {auth:?}"))
    };
    let credential = part("Credential=")?;
    let signed_headers = part("SignedHeaders=")?;
    let signature = part("Signature=")?;
    let scope_suffix = format!("/{REGION}/xray/aws4_request");
    if !credential.starts_with(&format!("{ACCESS_KEY}/")) || !credential.ends_with(&scope_suffix) {
        return Err(format!("credential scope {credential:?} is not for xray in {REGION}"));
    }
    let time = parse_amz_date(header("x-amz-date"));
    // The signer adds the date and the token itself.
    let signable_headers: Vec<(&str, &str)> = signed_headers
        .split(';')
        .filter(|h| !matches!(*h, "x-amz-date" | "x-amz-security-token"))
        .map(|h| (h, header(h)))
        .collect();
    let identity = Credentials::new(ACCESS_KEY, SECRET_KEY, Some(SESSION_TOKEN.into()), None, "fake").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("xray")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://{}{path_and_query}", header("host"));
    let request = SignableRequest::new(
        "POST",
        url.as_str(),
        signable_headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let expected = sign(request, &params)
        .map_err(|e| e.to_string())?
        .signature()
        .to_owned();
    if expected == signature {
        Ok(())
    } else {
        Err(format!("signature mismatch: expected {expected}, got {signature}"))
    }
}

fn xray_error(
    status: StatusCode,
    code: &'static str,
    message: &str,
    extra: &[(&'static str, &'static str)],
) -> Response {
    let mut response = (status, format!(r#"{{"message":"{message}"}}"#)).into_response();
    let h = response.headers_mut();
    h.insert("content-type", "application/json".parse().unwrap());
    h.insert(
        "x-amzn-errortype",
        format!("{code}:http://internal.amazon.com/coral/com.amazon.xray/")
            .parse()
            .unwrap(),
    );
    h.insert("x-amzn-requestid", "err-request-1".parse().unwrap());
    for (k, v) in extra {
        h.insert(*k, v.parse().unwrap());
    }
    response
}

impl FakeXray {
    async fn handle(&self, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        self.seen.lock().unwrap().push(Seen {
            path_and_query: path_and_query.clone(),
            body: body.clone(),
            content_type: header("content-type"),
            authorization: header("authorization"),
            security_token: header("x-amz-security-token"),
        });
        if let Err(why) = verify_signature(&path_and_query, &headers, &body) {
            return xray_error(StatusCode::FORBIDDEN, "InvalidSignatureException", &why, &[]);
        }
        let ok = |json: &'static str| {
            (
                StatusCode::OK,
                [
                    ("content-type", "application/json"),
                    ("x-amzn-requestid", "ok-request-1"),
                ],
                json,
            )
                .into_response()
        };
        match uri.path() {
            "/GetSamplingRules" => ok(RULES),
            "/SamplingTargets" if body.as_ref() == br#"{"throttle":true}"# => xray_error(
                StatusCode::TOO_MANY_REQUESTS,
                "ThrottledException",
                "Rate exceeded",
                &[("retry-after", "2")],
            ),
            "/SamplingTargets" => ok(TARGETS),
            "/TraceSegments" => ok(r#"{"UnprocessedTraceSegments":[]}"#),
            "/Hang" => std::future::pending().await,
            _ => xray_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                "Unknown operation",
                &[],
            ),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves the fake X-Ray endpoint on 127.0.0.1; the server stops with the test's runtime.
async fn start_fake() -> (FakeXray, SocketAddr) {
    let fake = FakeXray::default();
    let handler = fake.clone();
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let handler = handler.clone();
        async move { handler.handle(uri, headers, body).await }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, addr)
}

fn credentials() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        Some(SESSION_TOKEN.into()),
        None,
        "test",
    ))
}

fn start_proxy(endpoint: &str, options: SamplingProxyOptions) -> (SamplingProxyHandle, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    let upstream = XrayUpstream::new(endpoint, REGION, credentials()).unwrap();
    let handle = SamplingProxy::start("127.0.0.1:0".parse().unwrap(), upstream, options, Arc::clone(&metrics)).unwrap();
    (handle, metrics)
}

fn refused(metrics: &Metrics, reason: &'static str) -> u64 {
    metrics
        .requests_refused
        .get_or_create(&RefusalLabel {
            receiver: "sampling_proxy",
            reason,
        })
        .get()
}

/// Posts like the X-Ray SDKs do: JSON, with whatever `Authorization` their dummy credentials
/// made up.
async fn post(proxy: SocketAddr, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{proxy}{path}"))
        .header("content-type", "application/json")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=/20240101/us-east-1/xray/aws4_request, SignedHeaders=host, Signature=00",
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sampling_requests_are_signed_for_xray_and_answers_come_back_byte_for_byte() {
    let (fake, fake_addr) = start_fake().await;
    let (proxy, metrics) = start_proxy(&format!("http://{fake_addr}"), SamplingProxyOptions::default());
    let addr = proxy.local_addr();

    let rules = post(addr, "/GetSamplingRules", "{}").await;
    assert_eq!(rules.status(), 200);
    assert_eq!(rules.headers()["content-type"], "application/json");
    assert_eq!(rules.headers()["x-amzn-requestid"], "ok-request-1");
    assert_eq!(rules.text().await.unwrap(), RULES);

    let targets = post(addr, "/SamplingTargets", STATISTICS).await;
    assert_eq!(targets.status(), 200);
    assert_eq!(targets.text().await.unwrap(), TARGETS);

    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path_and_query, "/GetSamplingRules");
    assert_eq!(seen[0].body.as_ref(), b"{}");
    assert_eq!(seen[1].path_and_query, "/SamplingTargets");
    assert_eq!(
        seen[1].body.as_ref(),
        STATISTICS.as_bytes(),
        "the body is forwarded as received"
    );
    for s in &seen {
        assert!(s.authorization.contains("/xray/aws4_request"), "{}", s.authorization);
        assert!(
            s.authorization.contains(&format!("Credential={ACCESS_KEY}/")),
            "the client's own Authorization is replaced: {}",
            s.authorization
        );
        assert_eq!(s.security_token, SESSION_TOKEN);
        assert_eq!(s.content_type, "application/json");
    }
    assert_eq!(refused(&metrics, "upstream_unreachable"), 0);
    let mut registry = prometheus_client::registry::Registry::default();
    metrics.register(&mut registry);
    let mut text = String::new();
    prometheus_client::encoding::text::encode_registry(&mut text, &registry).unwrap();
    assert!(
        text.contains(r#"otelxray_request_seconds_count{receiver="sampling_proxy"} 2"#),
        "both forwarded requests are timed: {text}"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn like_the_daemon_any_post_path_is_forwarded_unless_restricted() {
    let (fake, fake_addr) = start_fake().await;
    let (proxy, _metrics) = start_proxy(&format!("http://{fake_addr}"), SamplingProxyOptions::default());
    let answer = post(
        proxy.local_addr(),
        "/TraceSegments?probe=a%20b",
        r#"{"TraceSegmentDocuments":[]}"#,
    )
    .await;
    assert_eq!(answer.status(), 200, "the query string is signed too");
    assert_eq!(answer.text().await.unwrap(), r#"{"UnprocessedTraceSegments":[]}"#);
    assert_eq!(fake.seen()[0].path_and_query, "/TraceSegments?probe=a%20b");
    proxy.shutdown().await;

    let restricted = SamplingProxyOptions {
        forward_any_path: false,
        ..SamplingProxyOptions::default()
    };
    let (proxy, metrics) = start_proxy(&format!("http://{fake_addr}"), restricted);
    let answer = post(proxy.local_addr(), "/TraceSegments", "{}").await;
    assert_eq!(answer.status(), 404);
    assert_eq!(answer.headers()["x-amzn-errortype"], "UnknownOperationException");
    assert_eq!(fake.seen().len(), 1, "nothing more reached X-Ray");
    assert_eq!(refused(&metrics, "unknown_path"), 1);
    let rules = post(proxy.local_addr(), "/GetSamplingRules", "{}").await;
    assert_eq!(rules.status(), 200);
    proxy.shutdown().await;
}

#[tokio::test]
async fn xray_errors_are_passed_back_with_their_status_headers_and_body() {
    let (_fake, fake_addr) = start_fake().await;
    let (proxy, _metrics) = start_proxy(&format!("http://{fake_addr}"), SamplingProxyOptions::default());

    let throttled = post(proxy.local_addr(), "/SamplingTargets", r#"{"throttle":true}"#).await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "2");
    assert_eq!(
        throttled.headers()["x-amzn-errortype"],
        "ThrottledException:http://internal.amazon.com/coral/com.amazon.xray/"
    );
    assert_eq!(throttled.headers()["x-amzn-requestid"], "err-request-1");
    assert_eq!(throttled.text().await.unwrap(), r#"{"message":"Rate exceeded"}"#);

    let invalid = post(proxy.local_addr(), "/NoSuchApi", "{}").await;
    assert_eq!(invalid.status(), 400);
    assert_eq!(invalid.text().await.unwrap(), r#"{"message":"Unknown operation"}"#);
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_is_caught_by_the_signature_check() {
    // The fake endpoint really verifies signatures: credentials it does not know fail.
    let (_fake, fake_addr) = start_fake().await;
    let metrics = Arc::new(Metrics::default());
    let wrong = SharedCredentialsProvider::new(Credentials::new(ACCESS_KEY, "not-the-secret", None, None, "test"));
    let upstream = XrayUpstream::new(format!("http://{fake_addr}"), REGION, wrong).unwrap();
    let proxy = SamplingProxy::start(
        "127.0.0.1:0".parse().unwrap(),
        upstream,
        SamplingProxyOptions::default(),
        metrics,
    )
    .unwrap();
    let answer = post(proxy.local_addr(), "/GetSamplingRules", "{}").await;
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("signature mismatch"));
    proxy.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_and_other_methods_are_refused_locally() {
    let (fake, fake_addr) = start_fake().await;
    let (proxy, metrics) = start_proxy(&format!("http://{fake_addr}"), SamplingProxyOptions::default());

    let big = vec![b' '; (1 << 20) + 1];
    let answer = post(proxy.local_addr(), "/SamplingTargets", big).await;
    assert_eq!(answer.status(), 413);
    assert_eq!(answer.headers()["x-amzn-errortype"], "RequestEntityTooLargeException");
    let body: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(body["__type"], "RequestEntityTooLargeException");

    // Without a Content-Length up front (chunked), the cap applies while reading.
    assert_eq!(post_chunked(proxy.local_addr(), 20, 64 << 10).await, 413);

    let get = reqwest::get(format!("http://{}/GetSamplingRules", proxy.local_addr()))
        .await
        .unwrap();
    assert_eq!(get.status(), 405);

    assert!(fake.seen().is_empty(), "nothing reached X-Ray");
    assert_eq!(refused(&metrics, "body_too_large"), 2);
    assert_eq!(refused(&metrics, "method_not_allowed"), 1);
    proxy.shutdown().await;
}

/// Posts `chunks` chunks of `size` bytes with `Transfer-Encoding: chunked` over a raw
/// connection and returns the answer's status code.
async fn post_chunked(proxy: SocketAddr, chunks: usize, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let head = "POST /SamplingTargets HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; size];
    for _ in 0..chunks {
        // The proxy may answer and close before everything is written.
        if stream.write_all(format!("{size:x}\r\n").as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the proxy closed the connection without answering");
        answer.extend_from_slice(&buf[..n]);
    }
    // "HTTP/1.1 413 Payload Too Large"
    String::from_utf8_lossy(&answer[9..12]).parse().unwrap()
}

#[tokio::test]
async fn an_unreachable_or_silent_xray_gets_a_gateway_error() {
    // A port with nothing behind it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let (proxy, metrics) = start_proxy(&format!("http://{closed_addr}"), SamplingProxyOptions::default());
    let answer = post(proxy.local_addr(), "/GetSamplingRules", "{}").await;
    assert_eq!(answer.status(), 502);
    assert_eq!(answer.headers()["x-amzn-errortype"], "ServiceUnavailableException");
    let body: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(body["__type"], "ServiceUnavailableException");
    assert!(body["message"].as_str().unwrap().contains("could not reach X-Ray"));
    assert_eq!(refused(&metrics, "upstream_unreachable"), 1);
    proxy.shutdown().await;

    let (_fake, fake_addr) = start_fake().await;
    let options = SamplingProxyOptions {
        upstream_timeout: Duration::from_millis(300),
        ..SamplingProxyOptions::default()
    };
    let (proxy, metrics) = start_proxy(&format!("http://{fake_addr}"), options);
    let answer = post(proxy.local_addr(), "/Hang", "{}").await;
    assert_eq!(answer.status(), 504);
    assert_eq!(answer.headers()["x-amzn-errortype"], "RequestTimeoutException");
    assert_eq!(refused(&metrics, "upstream_timeout"), 1);
    proxy.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let (_fake, fake_addr) = start_fake().await;
    let (proxy, _metrics) = start_proxy(&format!("http://{fake_addr}"), SamplingProxyOptions::default());
    let addr = proxy.local_addr();
    tokio::time::timeout(Duration::from_secs(5), proxy.shutdown())
        .await
        .expect("shutdown returns promptly");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
