//! The X-Ray API as a [`SegmentSink`]: `PutTraceSegments` through `aws-sdk-xray`, with
//! credentials, region, endpoint and HTTP client from [`XrayAws`] (`aws-config`'s standard
//! chains, plus the proxy and TLS options).
//!
//! SDK-level retries are off: the project's retry loop ([`crate::deliver`](mod@crate::deliver)) owns backoff, so a
//! throttled call never blocks inside the SDK (translation.md §18.4).

use std::path::PathBuf;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_xray::error::SdkError;
use aws_sdk_xray::operation::put_trace_segments::PutTraceSegmentsError;

use crate::aws_setup::XrayAws;
use crate::classify::CallFailure;
use crate::deliver::{CallError, OutgoingDocument, SegmentSink, Unprocessed};
use crate::http_client::HttpClientOptions;
use crate::request_body::{self, PreEncodedBody};

/// How to reach the X-Ray API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOptions {
    /// Region; when `None`, the standard chain (environment, profile, and unless `local_mode`,
    /// instance metadata).
    pub region: Option<String>,
    /// Endpoint URL; when `None`, `AWS_ENDPOINT_URL_XRAY` / `AWS_ENDPOINT_URL` or the regional default.
    pub endpoint: Option<String>,
    /// Assume this role (STS) on top of the base credentials.
    pub role_arn: Option<String>,
    /// External id for `role_arn`.
    pub external_id: Option<String>,
    /// Shared-config profile.
    pub profile: Option<String>,
    /// Never query EC2 instance metadata for the region.
    pub local_mode: bool,
    /// Total time one call may take.
    pub request_timeout: Duration,
    /// Proxy and TLS settings of the HTTP client (used for credentials too).
    pub http: HttpClientOptions,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            region: None,
            endpoint: None,
            role_arn: None,
            external_id: None,
            profile: None,
            local_mode: false,
            request_timeout: Duration::from_secs(30),
            http: HttpClientOptions::default(),
        }
    }
}

/// Why an X-Ray API client could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiSetupError {
    /// No region was configured and none could be found.
    #[error("no AWS region: set `region` in the configuration or the AWS_REGION environment variable{hint}")]
    NoRegion {
        /// Extra advice.
        hint: &'static str,
    },
    /// The configuration resolved to no credentials provider at all.
    #[error("no AWS credentials provider could be configured")]
    NoCredentials,
    /// The endpoint could not be resolved for the region.
    #[error("cannot resolve the X-Ray endpoint: {0}")]
    Endpoint(String),
    /// `proxy_address` (or `HTTPS_PROXY`/`HTTP_PROXY`) is not a usable proxy URL.
    #[error("invalid proxy address {address:?}: {message}")]
    Proxy {
        /// The address as configured.
        address: String,
        /// What is wrong with it.
        message: String,
    },
    /// `certificate_file_path` could not be read or holds no PEM certificate.
    #[error("cannot use the CA certificate file {path}: {message}")]
    CertificateFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for AWS: {0}")]
    HttpClient(String),
}

/// `PutTraceSegments` through `aws-sdk-xray`.
#[derive(Debug, Clone)]
pub struct XrayApiSink {
    client: aws_sdk_xray::Client,
}

impl XrayApiSink {
    /// Resolves region, credentials, endpoint and the HTTP client with [`XrayAws::load`] and
    /// builds the client. Reads the environment and shared config files; call it once at
    /// start-up.
    pub async fn connect(options: &ApiOptions) -> Result<Self, ApiSetupError> {
        Ok(Self::from_aws(&XrayAws::load(options).await?))
    }

    /// The client for an already resolved configuration (shared with the sampling proxy and the
    /// telemetry reporter).
    pub fn from_aws(aws: &XrayAws) -> Self {
        Self {
            client: aws.xray_client(),
        }
    }

    /// Builds the client from an `SdkConfig` the application loaded itself, with SDK-level retries
    /// off and `request_timeout` per call.
    pub fn from_sdk_config(config: &aws_config::SdkConfig, request_timeout: Duration) -> Self {
        let conf = aws_sdk_xray::config::Builder::from(config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(request_timeout).build())
            .build();
        Self {
            client: aws_sdk_xray::Client::from_conf(conf),
        }
    }

    /// Wraps an already configured client.
    pub fn from_client(client: aws_sdk_xray::Client) -> Self {
        Self { client }
    }

    /// The underlying client (for the read APIs in tests and tools).
    pub fn client(&self) -> &aws_sdk_xray::Client {
        &self.client
    }
}

impl SegmentSink for XrayApiSink {
    async fn put(&self, documents: &[OutgoingDocument]) -> Result<Vec<Unprocessed>, CallError> {
        // The body is encoded here and swapped in before signing (see `request_body` for why);
        // the operation's own input carries no documents.
        let body = request_body::encode(documents.iter().map(|d| d.json.as_str()));
        let out = self
            .client
            .put_trace_segments()
            .set_trace_segment_documents(Some(Vec::new()))
            .customize()
            .interceptor(PreEncodedBody::new(body))
            .send()
            .await
            .map_err(call_error)?;
        Ok(out
            .unprocessed_trace_segments
            .unwrap_or_default()
            .into_iter()
            .map(|u| Unprocessed {
                id: u.id,
                error_code: u.error_code,
                message: u.message,
            })
            .collect())
    }
}

fn retry_after(headers: &aws_sdk_xray::config::http::HttpResponse) -> Option<Duration> {
    headers
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Reduces an SDK error to what the retry decision needs, with a log-safe message.
fn call_error(e: SdkError<PutTraceSegmentsError, aws_sdk_xray::config::http::HttpResponse>) -> CallError {
    let (failure, message) = match &e {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let err = ctx.err();
            // By error code as well as status: X-Ray's front end answers an unmodeled
            // `ThrottlingException` with HTTP 400, which must be retried like a 429.
            let code = aws_sdk_xray::error::ProvideErrorMetadata::code(err).unwrap_or("");
            let failure = if err.is_throttled_exception() || status == 429 || code.contains("Throttl") {
                CallFailure::Throttled {
                    retry_after: retry_after(ctx.raw()),
                }
            } else {
                CallFailure::Status(status)
            };
            (
                failure,
                format!(
                    "X-Ray answered HTTP {status}: {}",
                    aws_sdk_xray::error::DisplayErrorContext(err)
                ),
            )
        }
        SdkError::TimeoutError(_) => (CallFailure::Timeout, "the PutTraceSegments call timed out".to_owned()),
        SdkError::DispatchFailure(d) => {
            let failure = if d.is_timeout() {
                CallFailure::Timeout
            } else if d.is_user() {
                CallFailure::Construction
            } else {
                CallFailure::Connection
            };
            (
                failure,
                format!(
                    "could not reach X-Ray: {}",
                    aws_sdk_xray::error::DisplayErrorContext(&e)
                ),
            )
        }
        SdkError::ResponseError(r) => {
            let status = r.raw().status().as_u16();
            let failure = if status == 429 {
                CallFailure::Throttled {
                    retry_after: retry_after(r.raw()),
                }
            } else {
                CallFailure::Status(status)
            };
            (failure, format!("unreadable X-Ray response (HTTP {status})"))
        }
        SdkError::ConstructionFailure(_) => (
            CallFailure::Construction,
            format!(
                "could not build the PutTraceSegments request: {}",
                aws_sdk_xray::error::DisplayErrorContext(&e)
            ),
        ),
        _ => (
            CallFailure::Connection,
            format!(
                "PutTraceSegments failed: {}",
                aws_sdk_xray::error::DisplayErrorContext(&e)
            ),
        ),
    };
    CallError { failure, message }
}
