//! The X-Ray daemon's TCP sampling proxy: X-Ray SDKs and OpenTelemetry's X-Ray remote samplers
//! post `GetSamplingRules` (`POST /GetSamplingRules`) and `GetSamplingTargets`
//! (`POST /SamplingTargets`) to the daemon's TCP address (default `127.0.0.1:2000`) without
//! credentials; the proxy signs them with the gateway's credentials (SigV4, service `xray`, the
//! gateway's region) and forwards them to X-Ray. Like the daemon (`pkg/proxy/server.go`), it
//! forwards any `POST` path unless [`SamplingProxyOptions::forward_any_path`] is off.
//!
//! # Raw bytes and a SigV4 signer, not `aws-sdk-xray`'s typed operations
//!
//! The request body is forwarded byte for byte, signed with `aws-sigv4` (the signer the AWS SDK
//! itself uses), and X-Ray's answer (status, headers, body) comes back byte for byte. The
//! alternative, parsing the body into `get_sampling_rules()`/`get_sampling_targets()` inputs and
//! mapping the SDK's output types back to JSON, was rejected because:
//!
//! * the daemon forwards **any path**; typed operations cover two APIs and would need a second,
//!   raw path for everything else anyway;
//! * the sampling APIs keep growing (`SamplingRateBoost`, `SamplingBoostStatisticsDocuments`
//!   were added in 2025): a typed mapping silently drops every field it was not written for, and
//!   an SDK newer than the gateway would lose them; raw forwarding needs no change;
//! * re-serializing is a second source of truth for X-Ray's JSON: timestamps such as
//!   `CreatedAt`/`LastRuleModification` (epoch seconds), field casing, `null` versus absent;
//! * X-Ray's errors pass through exactly (status, `x-amzn-ErrorType`, body, `Retry-After`),
//!   which the SDKs' samplers already know how to read; a typed client would turn them into
//!   `SdkError`s to be re-rendered.
//!
//! What raw forwarding costs is done here once: the endpoint is resolved with `aws-sdk-xray`'s
//! own endpoint resolver (regions, partitions, FIPS, dual-stack; `AWS_ENDPOINT_URL_XRAY` and
//! `AWS_ENDPOINT_URL` honoured), and credentials from `aws-config` are cached until shortly
//! before they expire. [`XrayUpstream::from_aws`] takes region, credentials (the assumed role's
//! with `role_arn`), endpoint and HTTP client (`proxy_address`, `certificate_file_path`,
//! `no_verify_ssl`) from the same [`XrayAws`] as the gateway's X-Ray output.
//!
//! # What reaches X-Ray
//!
//! `POST <endpoint><path and query as received>` with the body as received, the client's
//! `Content-Type` (`application/json` when absent), and the signature headers (`Authorization`,
//! `X-Amz-Date`, and `X-Amz-Security-Token` for temporary credentials). Other client headers,
//! including any `Authorization` the SDK made up, are not forwarded.
//!
//! # Errors
//!
//! | situation | status | `x-amzn-ErrorType` / `__type` | metric (`requests_refused{receiver="sampling_proxy"}`) |
//! |---|---|---|---|
//! | X-Ray answered (any status) | X-Ray's | X-Ray's, body and headers as sent | — |
//! | not `POST` | 405 | `MethodNotAllowedException` | `method_not_allowed` |
//! | path other than the two sampling APIs, with `forward_any_path` off | 404 | `UnknownOperationException` | `unknown_path` |
//! | body over `max_body_bytes` (1 MiB) | 413 | `RequestEntityTooLargeException` | `body_too_large` |
//! | body could not be read | 400 | `InvalidRequestException` | `body_unreadable` |
//! | no credentials | 500 | `MissingAuthenticationTokenException` | `no_credentials` |
//! | X-Ray unreachable | 502 | `ServiceUnavailableException` | `upstream_unreachable` |
//! | no answer within `upstream_timeout` | 504 | `RequestTimeoutException` | `upstream_timeout` |
//!
//! Every request X-Ray answered is timed in `request_seconds{receiver="sampling_proxy"}`.
//! The proxy's own errors use X-Ray's REST-JSON error shape: `{"__type":"…","message":"…"}` with
//! the code in `x-amzn-ErrorType`. Nothing is retried here: the samplers retry on their own
//! schedule (targets every 10 s, rules every 5 min).
//!
//! ```no_run
//! # async fn example(metrics: std::sync::Arc<otel_xray_collector::metrics::Metrics>) -> Result<(), Box<dyn std::error::Error>> {
//! use otel_xray_collector::sampling_proxy::{SamplingProxy, SamplingProxyOptions, XrayUpstream};
//!
//! let upstream = XrayUpstream::connect(&otel_xray_transport::ApiOptions::default()).await?;
//! let handle = SamplingProxy::start("127.0.0.1:2000".parse()?, upstream, SamplingProxyOptions::default(), metrics)?;
//! // … on shutdown:
//! handle.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_xray::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_xray::error::DisplayErrorContext;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use otel_xray_transport::aws_setup::resolve_endpoint;
use otel_xray_transport::{ApiOptions, XrayAws};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::log_limit::LogLimiter;
use crate::metrics::{Metrics, ReceiverLabel};

/// The receiver label of the proxy in metrics.
pub const RECEIVER: &str = "sampling_proxy";

/// SigV4 signing name of X-Ray.
const SIGNING_NAME: &str = "xray";

/// The sampling APIs' paths, the only ones forwarded when `forward_any_path` is off.
pub const SAMPLING_PATHS: [&str; 2] = ["/GetSamplingRules", "/SamplingTargets"];

/// Credentials are refreshed this long before they expire.
const CREDENTIALS_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Proxy settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplingProxyOptions {
    /// Largest request body taken (sampling requests are a few KiB).
    pub max_body_bytes: usize,
    /// Largest X-Ray answer passed back.
    pub max_response_bytes: usize,
    /// Time for X-Ray to answer, credentials included.
    pub upstream_timeout: Duration,
    /// Forward every `POST` path like the daemon does (so any local process can call any X-Ray
    /// API with the gateway's credentials), or only [`SAMPLING_PATHS`].
    pub forward_any_path: bool,
}

impl Default for SamplingProxyOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_response_bytes: 8 << 20,
            upstream_timeout: Duration::from_secs(5),
            forward_any_path: true,
        }
    }
}

/// Why the upstream could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamSetupError {
    /// No region was configured and none could be found.
    #[error("no AWS region for the sampling proxy: set `region` in the configuration or AWS_REGION")]
    NoRegion,
    /// The configuration has no credentials provider.
    #[error("no AWS credentials provider is configured for the sampling proxy")]
    NoCredentials,
    /// The endpoint is not an absolute `http`/`https` URL, or none could be resolved.
    #[error("invalid X-Ray endpoint for the sampling proxy: {0}")]
    Endpoint(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the sampling proxy's HTTP client: {0}")]
    HttpClient(String),
    /// The shared AWS configuration could not be resolved (region, proxy, CA file, …).
    #[error("the sampling proxy cannot reach X-Ray: {0}")]
    Aws(#[from] otel_xray_transport::ApiSetupError),
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot bind the sampling proxy to {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `start` was called outside a Tokio runtime.
    #[error("the sampling proxy must be started inside a Tokio runtime")]
    NoRuntime,
}

/// Credentials fetched once and reused until shortly before they expire. `aws-config`'s
/// providers do not cache by themselves (the SDK clients' identity cache does that), and a
/// provider call can mean an STS or instance-metadata round trip.
#[derive(Debug)]
struct CredentialsCache {
    provider: SharedCredentialsProvider,
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl CredentialsCache {
    async fn get(&self) -> Result<Credentials, String> {
        // Held across the refresh: concurrent requests wait for one refresh instead of each
        // starting their own.
        let mut cached = self.cached.lock().await;
        let fresh_enough = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + CREDENTIALS_REFRESH_MARGIN)
        };
        if let Some(c) = cached.as_ref().filter(|c| fresh_enough(c)) {
            return Ok(c.clone());
        }
        let fresh = self
            .provider
            .provide_credentials()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }
}

/// Where and how requests are forwarded: X-Ray's endpoint, the signing region and credentials.
#[derive(Debug)]
pub struct XrayUpstream {
    endpoint: String,
    region: String,
    credentials: CredentialsCache,
    http: reqwest::Client,
}

impl XrayUpstream {
    /// Resolves region, credentials, endpoint and HTTP client with
    /// [`XrayAws::load`](otel_xray_transport::XrayAws::load), exactly as the gateway's X-Ray API
    /// client does. Reads the environment and shared config files; call it once at start-up.
    pub async fn connect(options: &ApiOptions) -> Result<Self, UpstreamSetupError> {
        Self::from_aws(&XrayAws::load(options).await?).await
    }

    /// The upstream for an already resolved configuration: its endpoint, region, credentials
    /// (the assumed role's when `role_arn` is set) and HTTP client (proxy and TLS settings).
    pub async fn from_aws(aws: &XrayAws) -> Result<Self, UpstreamSetupError> {
        let endpoint = aws.resolve_endpoint().await?;
        Self::with_http_client(endpoint, aws.region(), aws.credentials(), aws.http_client().clone())
    }

    /// Takes region, credentials and endpoint from an `SdkConfig` the application loaded;
    /// `endpoint` overrides the configured or resolved endpoint.
    pub async fn from_sdk_config(
        config: &aws_config::SdkConfig,
        endpoint: Option<&str>,
    ) -> Result<Self, UpstreamSetupError> {
        let credentials = config.credentials_provider().ok_or(UpstreamSetupError::NoCredentials)?;
        Self::from_sdk_config_with(config, endpoint, credentials).await
    }

    async fn from_sdk_config_with(
        config: &aws_config::SdkConfig,
        endpoint: Option<&str>,
        credentials: SharedCredentialsProvider,
    ) -> Result<Self, UpstreamSetupError> {
        let region = config.region().ok_or(UpstreamSetupError::NoRegion)?.to_string();
        let endpoint = match endpoint {
            Some(e) => e.to_owned(),
            None => resolve_endpoint(config, &region).await?,
        };
        Self::new(endpoint, region, credentials)
    }

    /// An upstream with everything given: `endpoint` such as `https://xray.us-west-2.amazonaws.com`.
    pub fn new(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        credentials: SharedCredentialsProvider,
    ) -> Result<Self, UpstreamSetupError> {
        // The endpoint is checked by `with_http_client`. As the daemon's proxy: 30 s idle timeout, 2 idle connections per host.
        let http = reqwest::Client::builder()
            .user_agent(concat!("otel-xray/", env!("CARGO_PKG_VERSION"), " sampling-proxy"))
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(2)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| UpstreamSetupError::HttpClient(e.to_string()))?;
        Self::with_http_client(endpoint, region, credentials, http)
    }

    /// An upstream with everything given, sending through `http` (which must not follow
    /// redirects: a redirect would re-send the signed request elsewhere).
    pub fn with_http_client(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        credentials: SharedCredentialsProvider,
        http: reqwest::Client,
    ) -> Result<Self, UpstreamSetupError> {
        let endpoint = endpoint.into().trim_end_matches('/').to_owned();
        let uri: axum::http::Uri = endpoint
            .parse()
            .map_err(|e| UpstreamSetupError::Endpoint(format!("{endpoint:?}: {e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() || uri.query().is_some() {
            return Err(UpstreamSetupError::Endpoint(format!(
                "{endpoint:?} is not an absolute http(s) URL without a query"
            )));
        }
        Ok(Self {
            endpoint,
            region: region.into(),
            credentials: CredentialsCache {
                provider: credentials,
                cached: tokio::sync::Mutex::new(None),
            },
            http,
        })
    }

    /// The X-Ray endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Signs and sends one request; `path_and_query` starts with `/`.
    async fn forward(
        &self,
        path_and_query: &str,
        content_type: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<reqwest::Response, ForwardError> {
        let deadline = Instant::now() + timeout;
        let credentials = tokio::time::timeout_at(deadline, self.credentials.get())
            .await
            .map_err(|_| ForwardError::Timeout)?
            .map_err(ForwardError::NoCredentials)?;
        let identity = Identity::from(credentials);
        let url = format!("{}{path_and_query}", self.endpoint);
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SIGNING_NAME)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| ForwardError::Signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            [("content-type", content_type)].into_iter(),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| ForwardError::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| ForwardError::Signing(e.to_string()))?
            .into_parts();
        let mut request = self
            .http
            .post(&url)
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        let (headers, _query) = instructions.into_parts();
        for h in headers {
            let mut value = HeaderValue::from_str(h.value()).map_err(|e| ForwardError::Signing(e.to_string()))?;
            value.set_sensitive(h.sensitive());
            request = request.header(h.name(), value);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        request.timeout(remaining).send().await.map_err(|e| {
            if e.is_timeout() {
                ForwardError::Timeout
            } else {
                ForwardError::Unreachable(DisplayErrorContext(&e).to_string())
            }
        })
    }
}

/// Why a request did not get an answer from X-Ray.
#[derive(Debug)]
enum ForwardError {
    NoCredentials(String),
    Signing(String),
    Timeout,
    Unreachable(String),
}

/// The proxy's shared state.
struct ProxyState {
    upstream: XrayUpstream,
    options: SamplingProxyOptions,
    metrics: Arc<Metrics>,
    failure_log: Mutex<LogLimiter>,
    xray_error_log: Mutex<LogLimiter>,
}

/// The daemon's TCP sampling proxy.
#[derive(Debug)]
pub struct SamplingProxy;

/// A running proxy. Dropping it stops the proxy without waiting; [`SamplingProxyHandle::shutdown`]
/// stops it and waits for requests in flight.
#[derive(Debug)]
#[must_use = "dropping the handle stops the proxy"]
pub struct SamplingProxyHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SamplingProxyHandle {
    /// The address the proxy listens on (the real port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets requests in flight finish (each is bounded by
    /// `upstream_timeout`), and returns when the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!(error = %e, "The sampling proxy task ended abnormally.");
        }
    }
}

impl SamplingProxy {
    /// The proxy's routes, to serve on a listener of the caller's choosing.
    pub fn router(upstream: XrayUpstream, options: SamplingProxyOptions, metrics: Arc<Metrics>) -> Router {
        let state = Arc::new(ProxyState {
            upstream,
            options,
            metrics,
            failure_log: Mutex::new(LogLimiter::new(Duration::from_secs(10), 2)),
            xray_error_log: Mutex::new(LogLimiter::new(Duration::from_secs(10), 2)),
        });
        Router::new().fallback(proxy).with_state(state)
    }

    /// Binds `addr` (TCP) and serves on the current Tokio runtime.
    pub fn start(
        addr: SocketAddr,
        upstream: XrayUpstream,
        options: SamplingProxyOptions,
        metrics: Arc<Metrics>,
    ) -> Result<SamplingProxyHandle, StartError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StartError::NoRuntime);
        }
        let bind_error = |source| StartError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let endpoint = upstream.endpoint().to_owned();
        let region = upstream.region().to_owned();
        let router = Self::router(upstream, options, metrics);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            match served {
                Ok(()) => tracing::info!(%local_addr, "The sampling proxy has stopped."),
                Err(e) => tracing::error!(%local_addr, error = %e, "The sampling proxy failed."),
            }
        });
        tracing::info!(%local_addr, %endpoint, %region, "The sampling proxy is listening.");
        Ok(SamplingProxyHandle {
            local_addr,
            stop: Some(stop),
            task,
        })
    }
}

/// X-Ray's REST-JSON error body.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "__type")]
    kind: &'a str,
    message: &'a str,
}

fn error_response(status: StatusCode, code: &'static str, message: &str) -> Response {
    let body = serde_json::to_vec(&ErrorBody { kind: code, message }).unwrap_or_default();
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (
                HeaderName::from_static("x-amzn-errortype"),
                HeaderValue::from_static(code),
            ),
        ],
        body,
    )
        .into_response()
}

/// Hop-by-hop headers, and those the server sets itself, are not copied from X-Ray's answer.
fn passes_back(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

async fn proxy(
    State(state): State<Arc<ProxyState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path();
    if method != Method::POST {
        state.metrics.refused(RECEIVER, "method_not_allowed");
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowedException",
            "The sampling proxy forwards POST requests only.",
        );
    }
    if !state.options.forward_any_path && !SAMPLING_PATHS.contains(&path) {
        state.metrics.refused(RECEIVER, "unknown_path");
        return error_response(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "The sampling proxy forwards /GetSamplingRules and /SamplingTargets only.",
        );
    }
    let limit = state.options.max_body_bytes;
    let too_large = || {
        state.metrics.refused(RECEIVER, "body_too_large");
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            &format!("The request body exceeds the sampling proxy's {limit}-byte limit."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Err(e) => {
            state.metrics.refused(RECEIVER, "body_unreadable");
            return error_response(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                &format!("The request body could not be read: {e}"),
            );
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let path_and_query = uri.path_and_query().map_or(path, |pq| pq.as_str()).to_owned();
    let started = Instant::now();
    let answer = state
        .upstream
        .forward(&path_and_query, &content_type, body, state.options.upstream_timeout)
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return state.failure(&path_and_query, e),
    };
    let status = answer.status();
    let mut response_headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if passes_back(name) {
            response_headers.append(name.clone(), value.clone());
        }
    }
    let body = match read_limited(answer, state.options.max_response_bytes).await {
        Ok(body) => body,
        Err(e) => return state.failure(&path_and_query, e),
    };
    let elapsed = started.elapsed();
    state
        .metrics
        .request_seconds
        .get_or_create(&ReceiverLabel { receiver: RECEIVER })
        .observe(elapsed.as_secs_f64());
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    if status.is_success() {
        tracing::debug!(path = %path_and_query, status = status.as_u16(), elapsed_ms, "A request was forwarded to X-Ray.");
    } else {
        let error_type = response_headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let allowed = state
            .xray_error_log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .allow(Instant::now());
        if let Some(suppressed) = allowed {
            tracing::warn!(
                path = %path_and_query,
                status = status.as_u16(),
                %error_type,
                suppressed,
                "X-Ray answered a forwarded request with an error; it is passed back to the client."
            );
        }
    }
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}

/// Reads X-Ray's answer, at most `limit` bytes.
async fn read_limited(mut answer: reqwest::Response, limit: usize) -> Result<Vec<u8>, ForwardError> {
    let mut body = Vec::new();
    loop {
        match answer.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(ForwardError::Unreachable(format!(
                        "X-Ray's answer exceeds the {limit}-byte limit"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) if e.is_timeout() => return Err(ForwardError::Timeout),
            Err(e) => return Err(ForwardError::Unreachable(DisplayErrorContext(&e).to_string())),
        }
    }
}

impl ProxyState {
    /// Counts, logs and answers a request that got no answer from X-Ray.
    fn failure(&self, path: &str, e: ForwardError) -> Response {
        let (status, code, reason, message) = match e {
            ForwardError::NoCredentials(m) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "MissingAuthenticationTokenException",
                "no_credentials",
                format!("The sampling proxy has no AWS credentials: {m}"),
            ),
            ForwardError::Signing(m) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "signing_failed",
                format!("The sampling proxy could not sign the request: {m}"),
            ),
            ForwardError::Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "RequestTimeoutException",
                "upstream_timeout",
                format!(
                    "X-Ray did not answer within {} ms.",
                    self.options.upstream_timeout.as_millis()
                ),
            ),
            ForwardError::Unreachable(m) => (
                StatusCode::BAD_GATEWAY,
                "ServiceUnavailableException",
                "upstream_unreachable",
                format!("The sampling proxy could not reach X-Ray: {m}"),
            ),
        };
        self.metrics.refused(RECEIVER, reason);
        let allowed = self
            .failure_log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .allow(Instant::now());
        if let Some(suppressed) = allowed {
            tracing::warn!(
                %path,
                endpoint = %self.upstream.endpoint,
                reason,
                error = %message,
                suppressed,
                "A sampling request could not be forwarded to X-Ray."
            );
        }
        error_response(status, code, &message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_upstream_takes_region_endpoint_and_client_from_the_shared_aws_configuration() {
        let options = ApiOptions {
            region: Some("ap-southeast-2".into()),
            endpoint: Some("http://127.0.0.1:9/".into()),
            local_mode: true,
            ..ApiOptions::default()
        };
        let aws = XrayAws::load(&options).await.unwrap();
        let upstream = XrayUpstream::from_aws(&aws).await.unwrap();
        assert_eq!(upstream.region(), "ap-southeast-2");
        assert_eq!(upstream.endpoint(), "http://127.0.0.1:9");

        // A configuration error of the shared loader is the proxy's error too, with the file.
        let bad = ApiOptions {
            http: otel_xray_transport::HttpClientOptions {
                certificate_file: Some("/nonexistent/otel-xray-ca.pem".into()),
                ..Default::default()
            },
            ..options
        };
        let err = XrayUpstream::connect(&bad).await.unwrap_err();
        assert!(matches!(err, UpstreamSetupError::Aws(_)), "{err}");
        assert!(err.to_string().contains("/nonexistent/otel-xray-ca.pem"), "{err}");
    }

    #[tokio::test]
    async fn the_regional_endpoint_comes_from_the_sdk_rules() {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        assert_eq!(
            resolve_endpoint(&config, "eu-west-1").await.unwrap(),
            "https://xray.eu-west-1.amazonaws.com"
        );
        let fips = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .use_fips(true)
            .build();
        assert_eq!(
            resolve_endpoint(&fips, "us-east-1").await.unwrap(),
            "https://xray-fips.us-east-1.amazonaws.com"
        );
        let configured = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        assert_eq!(
            resolve_endpoint(&configured, "us-east-1").await.unwrap(),
            "http://127.0.0.1:4566"
        );
    }

    #[test]
    fn endpoints_must_be_absolute_http_urls() {
        let creds = SharedCredentialsProvider::new(Credentials::new("a", "b", None, None, "test"));
        assert!(XrayUpstream::new("ftp://x", "us-east-1", creds.clone()).is_err());
        assert!(XrayUpstream::new("/relative", "us-east-1", creds.clone()).is_err());
        let ok = XrayUpstream::new("http://127.0.0.1:9/", "us-east-1", creds).unwrap();
        assert_eq!(ok.endpoint(), "http://127.0.0.1:9");
    }

    #[test]
    fn proxy_errors_use_the_xray_error_shape() {
        let r = error_response(StatusCode::BAD_GATEWAY, "ServiceUnavailableException", "down \"now\"");
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(r.headers()["x-amzn-errortype"], "ServiceUnavailableException");
    }
}
