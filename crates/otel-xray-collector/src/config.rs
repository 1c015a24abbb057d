//! The gateway's configuration: one YAML file, with the keys users of the OpenTelemetry
//! Collector's `awsxray` exporter already know under `awsxray`, plus receiver, pipeline and admin
//! sections. Unknown keys are rejected with their name and line. [`Config::validate`] turns the
//! file into a [`ValidConfig`] before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use otel_xray_translate::{ConventionReading, TranslatorConfig};
use otel_xray_transport::telemetry::{TelemetryMetadata, TelemetryOptions};
use otel_xray_transport::{ApiOptions, HttpClientOptions, RetryPolicy};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where traces come in.
    pub receivers: ReceiversConfig,
    /// Queue, batching and shutdown.
    pub pipeline: PipelineConfig,
    /// Where documents go and how spans are translated (the `awsxray` exporter's keys).
    pub awsxray: AwsXrayConfig,
    /// Health, readiness and metrics.
    pub admin: AdminConfig,
    /// The embedded Local X-Ray (`awsxray.output: local`, the default without a region).
    pub local: LocalConfig,
}

/// A listener that can be turned off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// `host:port` to bind. Loopback by default; any other address must be written here.
    pub endpoint: String,
    /// Whether to start it.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn listener(endpoint: &str) -> Listener {
    Listener {
        endpoint: endpoint.to_owned(),
        enabled: true,
    }
}

/// `receivers:`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiversConfig {
    /// OTLP/gRPC (default `127.0.0.1:4317`).
    pub otlp_grpc: Listener,
    /// OTLP/HTTP `POST /v1/traces` (default `127.0.0.1:4318`).
    pub otlp_http: Listener,
    /// Largest OTLP request body, compressed or not, in bytes (default 4 MiB).
    pub max_request_bytes: usize,
    /// X-Ray daemon UDP (default `127.0.0.1:2000`).
    pub xray_udp: Listener,
    /// X-Ray daemon TCP sampling proxy (default `127.0.0.1:2000`).
    pub sampling_proxy: Listener,
    /// Most OTLP requests (gRPC and HTTP together) being read, decoded and translated at once;
    /// beyond it OTLP/HTTP answers `503` with `Retry-After` and OTLP/gRPC `UNAVAILABLE` with
    /// `RetryInfo`, counted as `requests_refused{reason="too_many_requests"}`. Memory held by
    /// requests stays under about this × 2 × `max_request_bytes`. Default: twice the number of
    /// CPUs, at least 16.
    pub max_concurrent_requests: usize,
}

/// The default of `receivers.max_concurrent_requests`: twice the CPUs, at least 16.
pub fn default_max_concurrent_requests() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .saturating_mul(2)
        .max(16)
}

impl Default for ReceiversConfig {
    fn default() -> Self {
        Self {
            otlp_grpc: listener("127.0.0.1:4317"),
            otlp_http: listener("127.0.0.1:4318"),
            max_request_bytes: 4 << 20,
            xray_udp: listener("127.0.0.1:2000"),
            sampling_proxy: listener("127.0.0.1:2000"),
            max_concurrent_requests: default_max_concurrent_requests(),
        }
    }
}

/// `pipeline:`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Queue capacity in MiB (default 16: about 10,000 typical documents, several seconds of
    /// X-Ray's regional quota, while keeping the process under 64 MiB when saturated).
    pub queue_size_mib: usize,
    /// Documents per `PutTraceSegments` call, at most 50 (default 50).
    pub batch_max_documents: usize,
    /// Longest a document waits for its batch to fill, in milliseconds (default 200).
    pub batch_timeout_ms: u64,
    /// Time allowed on SIGTERM/SIGINT to deliver what is queued, in seconds (default 10).
    pub shutdown_timeout_seconds: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            queue_size_mib: 16,
            batch_max_documents: 50,
            batch_timeout_ms: 200,
            shutdown_timeout_seconds: 10,
        }
    }
}

/// Where documents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// `PutTraceSegments` to AWS X-Ray (the default when a region is set).
    XrayApi,
    /// `PutTraceSegments` into the embedded Local X-Ray, which also serves the X-Ray read API
    /// and a web viewer (the default when no region is set).
    Local,
    /// UDP to an X-Ray daemon or CloudWatch agent at `daemon_address`.
    Daemon,
    /// JSON lines on standard output.
    Stdout,
    /// JSON lines appended to `file`.
    File,
}

/// `awsxray:` — the OpenTelemetry Collector `awsxray` exporter's keys, and the output choice.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsXrayConfig {
    /// Where documents go. Default: `xray_api` when a region is set (`region`, `AWS_REGION` or
    /// `AWS_DEFAULT_REGION`), else `local`.
    pub output: Option<OutputKind>,
    /// AWS region; else `AWS_REGION`, the profile, then (unless `local_mode`) instance metadata.
    pub region: Option<String>,
    /// X-Ray endpoint URL; else `AWS_ENDPOINT_URL_XRAY` / `AWS_ENDPOINT_URL` or the regional one.
    pub endpoint: Option<String>,
    /// Assume this IAM role for `PutTraceSegments` and the sampling proxy.
    pub role_arn: Option<String>,
    /// External id for `role_arn`.
    pub external_id: Option<String>,
    /// Shared-config profile.
    pub profile: Option<String>,
    /// Never query EC2 instance metadata.
    pub local_mode: bool,
    /// Time limit of one call in seconds (default 30).
    pub request_timeout_seconds: u64,
    /// Retries after the first attempt (default 5). Retries use exponential backoff with jitter.
    pub max_retries: u32,
    /// Concurrent senders (default 8).
    pub num_workers: usize,
    /// ARN of the resource running the gateway (kept for compatibility; not written into segments).
    pub resource_arn: Option<String>,
    /// UDP address for `output: daemon` (default `127.0.0.1:2000`).
    pub daemon_address: Option<String>,
    /// Path for `output: file`.
    pub file: Option<PathBuf>,
    /// Span attributes (or `otel.resource.<name>`) written as annotations.
    pub indexed_attributes: Vec<String>,
    /// Every scalar attribute becomes an annotation.
    pub index_all_attributes: bool,
    /// Fallback CloudWatch log groups.
    pub aws_log_groups: Vec<String>,
    /// Keep `.` in annotation keys (default true).
    pub annotation_keys_allow_dot: bool,
    /// Reject trace ids older than 28 days or more than 5 minutes ahead (default false).
    pub validate_trace_id_timestamp: bool,
    /// Keep non-exception span events in metadata (default true).
    pub preserve_span_events: bool,
    /// HTTP semantic-convention generations to read.
    pub http_conventions: ConventionReading,
    /// Database semantic-convention generations to read.
    pub db_conventions: ConventionReading,
    /// Proxy for every call to AWS (X-Ray, STS, the sampling proxy's upstream), e.g.
    /// `http://proxy.internal:3128` (`user:password@` for basic authentication). When unset,
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply; instance metadata is never proxied.
    pub proxy_address: Option<String>,
    /// Accept any TLS certificate from X-Ray (and STS). Only for testing against endpoints with
    /// self-signed certificates: the gateway logs a warning at start-up (default false).
    pub no_verify_ssl: bool,
    /// PEM file of CA certificates trusted in addition to the system's roots, for a private
    /// endpoint or a TLS-inspecting proxy. Checked at start-up: an unreadable file or one without
    /// a certificate stops the gateway with the file's name.
    pub certificate_file_path: Option<PathBuf>,
    /// `PutTelemetryRecords` like the X-Ray daemon (off by default).
    pub telemetry: TelemetryConfig,
}

/// `awsxray.telemetry:` — segment counts sent to X-Ray with `PutTelemetryRecords` once a minute
/// (and once more at shutdown): documents received, sent, spilled over (dropped after queuing)
/// and rejected (untranslatable spans, malformed datagrams, documents X-Ray refused). Only with
/// `output: xray_api` (with another output it is off, with a warning); `BackendConnectionErrors`
/// and the EC2 instance id are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Send the records (default false).
    pub enabled: bool,
    /// Send the host name and `awsxray.resource_arn` with the records (default false).
    pub include_metadata: bool,
}

impl Default for AwsXrayConfig {
    fn default() -> Self {
        let t = TranslatorConfig::default();
        Self {
            output: None,
            region: None,
            endpoint: None,
            role_arn: None,
            external_id: None,
            profile: None,
            local_mode: false,
            request_timeout_seconds: 30,
            max_retries: 5,
            num_workers: 8,
            resource_arn: None,
            daemon_address: None,
            file: None,
            indexed_attributes: t.indexed_attributes,
            index_all_attributes: t.index_all_attributes,
            aws_log_groups: t.aws_log_groups,
            annotation_keys_allow_dot: t.annotation_keys_allow_dot,
            validate_trace_id_timestamp: t.validate_trace_id_timestamp,
            preserve_span_events: t.preserve_span_events,
            http_conventions: t.http_conventions,
            db_conventions: t.db_conventions,
            proxy_address: None,
            no_verify_ssl: false,
            certificate_file_path: None,
            telemetry: TelemetryConfig::default(),
        }
    }
}

/// `admin:`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// `/health`, `/ready` and `/metrics` (default `127.0.0.1:13133`).
    pub endpoint: Listener,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            endpoint: listener("127.0.0.1:13133"),
        }
    }
}

/// `local:` — the embedded Local X-Ray, used by `awsxray.output: local`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalConfig {
    /// Where its X-Ray API and web viewer listen (default `127.0.0.1:4319`).
    pub endpoint: String,
    /// The SQLite database file. Default: `$OTEL_XRAY_DATA_DIR/local-xray.sqlite3`, else
    /// `$XDG_DATA_HOME/otel-xray/…`, else `~/.local/share/otel-xray/…`; `":memory:"` keeps
    /// traces in memory only.
    pub path: Option<PathBuf>,
    /// Traces older than this many days are deleted (default 30, like X-Ray).
    pub retention_days: u32,
    /// When the store grows past this many MiB the oldest traces are deleted (default 1024).
    pub max_size_mib: u64,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            endpoint: "127.0.0.1:4319".into(),
            path: None,
            retention_days: 30,
            max_size_mib: 1024,
        }
    }
}

/// What the `path` of [`LocalConfig`] resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalPath {
    /// In memory only.
    Memory,
    /// This file.
    File(PathBuf),
    /// The default location (resolved from the environment when the gateway starts).
    Default,
}

/// Why a configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The YAML is malformed, a key is unknown or a value has the wrong type.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// serde's message, with the key and the line.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// A configuration that has been checked.
#[derive(Debug, Clone)]
pub struct ValidConfig {
    /// OTLP/gRPC address, if enabled.
    pub otlp_grpc: Option<SocketAddr>,
    /// OTLP/HTTP address, if enabled.
    pub otlp_http: Option<SocketAddr>,
    /// Largest OTLP request.
    pub max_request_bytes: usize,
    /// Most OTLP requests handled at once.
    pub max_concurrent_requests: usize,
    /// X-Ray UDP address, if enabled.
    pub xray_udp: Option<SocketAddr>,
    /// Sampling proxy address, if enabled.
    pub sampling_proxy: Option<SocketAddr>,
    /// Admin address, if enabled.
    pub admin: Option<SocketAddr>,
    /// Pipeline settings.
    pub pipeline: crate::pipeline::PipelineSettings,
    /// Time allowed to drain on shutdown.
    pub shutdown_timeout: Duration,
    /// The output.
    pub output: OutputKind,
    /// Local X-Ray settings, when the output is `local`.
    pub local: Option<ValidLocal>,
    /// X-Ray API options (for `xray_api` and the sampling proxy).
    pub api: ApiOptions,
    /// Retry budget of the API output.
    pub retry: RetryPolicy,
    /// Daemon address for `output: daemon`.
    pub daemon_address: String,
    /// File for `output: file`.
    pub file: Option<PathBuf>,
    /// Translation options.
    pub translator: TranslatorConfig,
    /// `PutTelemetryRecords` settings, when enabled.
    pub telemetry: Option<TelemetryOptions>,
}

/// Checked `local:` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLocal {
    /// Where the API and the viewer listen.
    pub endpoint: SocketAddr,
    /// Where the store lives.
    pub path: LocalPath,
    /// Retention.
    pub retention: Duration,
    /// Size cap in bytes.
    pub max_bytes: u64,
}

/// Whether the environment names a region (`AWS_REGION`, `AWS_DEFAULT_REGION`): with one, the
/// default output is AWS X-Ray.
fn env_region() -> bool {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()))
}

/// An empty string in the file means "not set", as in the Collector's `awsxray` exporter.
fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

fn addr(name: &str, l: &Listener) -> Result<Option<SocketAddr>, ConfigError> {
    if !l.enabled {
        return Ok(None);
    }
    l.endpoint
        .parse()
        .map(Some)
        .map_err(|_| ConfigError::Invalid(format!("{name}.endpoint {:?} is not an ip:port address", l.endpoint)))
}

impl Config {
    /// Parses YAML text; `origin` names the source in error messages.
    pub fn from_yaml(text: &str, origin: &Path) -> Result<Self, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text, path)
    }

    /// Checks ranges and addresses and derives the settings everything else uses.
    pub fn validate(&self) -> Result<ValidConfig, ConfigError> {
        let r = &self.receivers;
        let p = &self.pipeline;
        let x = &self.awsxray;
        let output = x.output.unwrap_or_else(|| {
            if nonempty(&x.region).is_some() || env_region() {
                OutputKind::XrayApi
            } else {
                OutputKind::Local
            }
        });
        if r.max_request_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "receivers.max_request_bytes must be at least 1024".into(),
            ));
        }
        if !(1..=50).contains(&p.batch_max_documents) {
            return Err(ConfigError::Invalid(
                "pipeline.batch_max_documents must be between 1 and 50".into(),
            ));
        }
        if p.queue_size_mib == 0 || p.queue_size_mib > 16 * 1024 {
            return Err(ConfigError::Invalid(
                "pipeline.queue_size_mib must be between 1 and 16384".into(),
            ));
        }
        if x.num_workers == 0 || x.num_workers > 256 {
            return Err(ConfigError::Invalid(
                "awsxray.num_workers must be between 1 and 256".into(),
            ));
        }
        if x.request_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "awsxray.request_timeout_seconds must be positive".into(),
            ));
        }
        if output == OutputKind::File && x.file.is_none() {
            return Err(ConfigError::Invalid(
                "awsxray.output is `file` but awsxray.file is not set".into(),
            ));
        }
        if r.max_concurrent_requests == 0 {
            return Err(ConfigError::Invalid(
                "receivers.max_concurrent_requests must be at least 1".into(),
            ));
        }
        let proxy_address = nonempty(&x.proxy_address);
        if let Some(p) = &proxy_address {
            let p = p.trim();
            let scheme_ok = p.starts_with("http://") || p.starts_with("https://");
            if !scheme_ok
                || p.split_once("://")
                    .is_some_and(|(_, rest)| rest.trim_matches('/').is_empty())
            {
                return Err(ConfigError::Invalid(format!(
                    "awsxray.proxy_address {p:?} must be an http:// or https:// URL with a host"
                )));
            }
        }
        let certificate_file = x.certificate_file_path.clone().filter(|p| !p.as_os_str().is_empty());
        if let Some(path) = &certificate_file {
            check_certificate_file(path)?;
        }
        let xray_udp = addr("receivers.xray_udp", &r.xray_udp)?;
        let daemon_address = x.daemon_address.clone().unwrap_or_else(|| "127.0.0.1:2000".into());
        if output == OutputKind::Daemon && xray_udp.is_some_and(|a| a.to_string() == daemon_address) {
            return Err(ConfigError::Invalid(format!(
                "awsxray.daemon_address {daemon_address} is this gateway's own UDP receiver; documents would loop"
            )));
        }
        Ok(ValidConfig {
            otlp_grpc: addr("receivers.otlp_grpc", &r.otlp_grpc)?,
            otlp_http: addr("receivers.otlp_http", &r.otlp_http)?,
            max_request_bytes: r.max_request_bytes,
            max_concurrent_requests: r.max_concurrent_requests,
            xray_udp,
            sampling_proxy: addr("receivers.sampling_proxy", &r.sampling_proxy)?,
            admin: addr("admin.endpoint", &self.admin.endpoint)?,
            pipeline: crate::pipeline::PipelineSettings {
                queue_bytes: p.queue_size_mib << 20,
                batch_max_documents: p.batch_max_documents,
                batch_timeout: Duration::from_millis(p.batch_timeout_ms),
                senders: x.num_workers,
            },
            shutdown_timeout: Duration::from_secs(p.shutdown_timeout_seconds),
            output,
            local: (output == OutputKind::Local)
                .then(|| self.local.validate())
                .transpose()?,
            api: ApiOptions {
                region: nonempty(&x.region),
                endpoint: nonempty(&x.endpoint),
                role_arn: nonempty(&x.role_arn),
                external_id: nonempty(&x.external_id),
                profile: nonempty(&x.profile),
                local_mode: x.local_mode,
                request_timeout: Duration::from_secs(x.request_timeout_seconds),
                http: HttpClientOptions {
                    proxy_address,
                    no_verify_ssl: x.no_verify_ssl,
                    certificate_file,
                },
            },
            retry: RetryPolicy {
                max_attempts: x.max_retries.saturating_add(1),
                ..RetryPolicy::default()
            },
            daemon_address,
            file: x.file.clone(),
            translator: TranslatorConfig {
                indexed_attributes: x.indexed_attributes.clone(),
                index_all_attributes: x.index_all_attributes,
                aws_log_groups: x.aws_log_groups.clone(),
                annotation_keys_allow_dot: x.annotation_keys_allow_dot,
                validate_trace_id_timestamp: x.validate_trace_id_timestamp,
                http_conventions: x.http_conventions,
                db_conventions: x.db_conventions,
                preserve_span_events: x.preserve_span_events,
            },
            // With another output there is no X-Ray client to send with; `run` says so.
            telemetry: (x.telemetry.enabled && output == OutputKind::XrayApi).then(|| TelemetryOptions {
                metadata: x
                    .telemetry
                    .include_metadata
                    .then(|| TelemetryMetadata::detect(nonempty(&x.resource_arn))),
                ..TelemetryOptions::default()
            }),
        })
    }
}

impl LocalConfig {
    fn validate(&self) -> Result<ValidLocal, ConfigError> {
        let endpoint = self.endpoint.parse().map_err(|_| {
            ConfigError::Invalid(format!("local.endpoint {:?} is not an ip:port address", self.endpoint))
        })?;
        if self.retention_days == 0 {
            return Err(ConfigError::Invalid("local.retention_days must be at least 1".into()));
        }
        if self.max_size_mib == 0 {
            return Err(ConfigError::Invalid("local.max_size_mib must be at least 1".into()));
        }
        let path = match &self.path {
            None => LocalPath::Default,
            Some(p) if p.as_os_str().is_empty() => LocalPath::Default,
            Some(p) if p.as_os_str() == ":memory:" => LocalPath::Memory,
            Some(p) => LocalPath::File(p.clone()),
        };
        Ok(ValidLocal {
            endpoint,
            path,
            retention: Duration::from_secs(u64::from(self.retention_days) * 24 * 3600),
            max_bytes: self.max_size_mib.saturating_mul(1 << 20),
        })
    }
}

/// `certificate_file_path` must be a readable file with at least one PEM certificate; checked
/// here so that a wrong path stops the gateway before anything starts, with the file's name.
fn check_certificate_file(path: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read(path).map_err(|e| {
        ConfigError::Invalid(format!(
            "awsxray.certificate_file_path {} cannot be read: {e}",
            path.display()
        ))
    })?;
    if !text.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(ConfigError::Invalid(format!(
            "awsxray.certificate_file_path {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_yaml(text, Path::new("test.yaml"))
    }

    #[test]
    fn empty_file_gives_loopback_defaults() {
        let v = parse("").unwrap().validate().unwrap();
        assert_eq!(v.otlp_grpc.unwrap().to_string(), "127.0.0.1:4317");
        assert_eq!(v.otlp_http.unwrap().to_string(), "127.0.0.1:4318");
        assert_eq!(v.xray_udp.unwrap().to_string(), "127.0.0.1:2000");
        assert_eq!(v.admin.unwrap().to_string(), "127.0.0.1:13133");
        assert_eq!(v.pipeline.queue_bytes, 16 << 20);
        assert_eq!(v.retry.max_attempts, 6);
    }

    #[test]
    fn collector_awsxray_keys_are_understood() {
        let c = parse(
            "awsxray:\n  region: eu-west-1\n  endpoint: http://127.0.0.1:5000\n  role_arn: arn:aws:iam::123456789:role/x\n  \
             indexed_attributes: [order.id, otel.resource.service.name]\n  index_all_attributes: false\n  \
             aws_log_groups: [/aws/app]\n  local_mode: true\n  request_timeout_seconds: 5\n  max_retries: 2\n  \
             num_workers: 3\n  http_conventions: { read_v1: true }\n",
        )
        .unwrap();
        let v = c.validate().unwrap();
        assert_eq!(v.api.region.as_deref(), Some("eu-west-1"));
        assert_eq!(v.api.role_arn.as_deref(), Some("arn:aws:iam::123456789:role/x"));
        assert_eq!(v.translator.indexed_attributes.len(), 2);
        assert!(v.translator.http_conventions.read_v1 && v.translator.http_conventions.read_v0);
        assert_eq!(v.retry.max_attempts, 3);
        assert_eq!(v.pipeline.senders, 3);
    }

    #[test]
    fn a_region_makes_aws_xray_the_default_output_and_local_x_ray_otherwise() {
        let v = parse("awsxray:\n  region: eu-west-1\n").unwrap().validate().unwrap();
        assert_eq!(v.output, OutputKind::XrayApi);
        assert!(v.local.is_none());
        // Without a region in the file the environment decides; check only what it implies.
        let v = parse("").unwrap().validate().unwrap();
        if env_region() {
            assert_eq!(v.output, OutputKind::XrayApi);
        } else {
            assert_eq!(v.output, OutputKind::Local);
            let l = v.local.expect("local settings");
            assert_eq!(l.endpoint.to_string(), "127.0.0.1:4319");
            assert_eq!(l.path, LocalPath::Default);
            assert_eq!(l.retention, Duration::from_secs(30 * 24 * 3600));
        }
        // An explicit output always wins.
        let v =
            parse("awsxray:\n  output: local\n  region: eu-west-1\nlocal:\n  path: \":memory:\"\n  max_size_mib: 8\n")
                .unwrap()
                .validate()
                .unwrap();
        assert_eq!(v.output, OutputKind::Local);
        let l = v.local.unwrap();
        assert_eq!((l.path, l.max_bytes), (LocalPath::Memory, 8 << 20));
    }

    #[test]
    fn bad_local_settings_are_named() {
        for (yaml, needle) in [
            ("local:\n  endpoint: localhost\n", "local.endpoint"),
            ("local:\n  retention_days: 0\n", "local.retention_days"),
            ("local:\n  max_size_mib: 0\n", "local.max_size_mib"),
        ] {
            let text = format!("awsxray:\n  output: local\n{yaml}");
            let err = parse(&text).unwrap().validate().unwrap_err().to_string();
            assert!(err.contains(needle), "{yaml}: {err}");
        }
        let err = parse("local:\n  pth: x\n").unwrap_err().to_string();
        assert!(err.contains("pth"), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_name_and_line() {
        let err = parse("receivers:\n  otlp_grpc:\n    endpoint: 127.0.0.1:4317\nawsxray:\n  regoin: eu-west-1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("regoin"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let err = parse("pipeline:\n  batch_max_documents: 51\n")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("batch_max_documents"), "{err}");
        let err = parse("receivers:\n  otlp_http:\n    endpoint: localhost\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("receivers.otlp_http.endpoint"), "{err}");
        let err = parse("awsxray:\n  output: file\n").unwrap().validate().unwrap_err();
        assert!(err.to_string().contains("awsxray.file"), "{err}");
        let err = parse("awsxray:\n  output: daemon\n").unwrap().validate().unwrap_err();
        assert!(err.to_string().contains("loop"), "{err}");
        let err = parse("awsxray:\n  output: carrier_pigeon\n").unwrap_err();
        assert!(err.to_string().contains("carrier_pigeon"), "{err}");
    }

    #[test]
    fn connection_and_telemetry_keys_of_the_collector_are_understood() {
        let dir = std::env::temp_dir().join(format!("otel-xray-config-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        let text = format!(
            "awsxray:\n  output: xray_api\n  proxy_address: http://proxy.internal:3128\n  no_verify_ssl: true\n  \
             certificate_file_path: {}\n  resource_arn: arn:aws:ec2:us-east-1:1:instance/i-1\n  \
             telemetry:\n    enabled: true\n    include_metadata: true\nreceivers:\n  max_concurrent_requests: 3\n",
            ca.display()
        );
        let v = parse(&text).unwrap().validate().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(v.api.http.proxy_address.as_deref(), Some("http://proxy.internal:3128"));
        assert!(v.api.http.no_verify_ssl);
        assert_eq!(v.api.http.certificate_file.as_deref(), Some(ca.as_path()));
        assert_eq!(v.max_concurrent_requests, 3);
        let t = v.telemetry.unwrap();
        assert_eq!(t.interval, std::time::Duration::from_secs(60));
        assert_eq!(
            t.metadata.unwrap().resource_arn.as_deref(),
            Some("arn:aws:ec2:us-east-1:1:instance/i-1")
        );

        // The Collector writes unset strings as "".
        let v =
            parse("awsxray:\n  proxy_address: \"\"\n  certificate_file_path: \"\"\n  telemetry: { enabled: false }\n")
                .unwrap()
                .validate()
                .unwrap();
        assert_eq!(v.api.http, otel_xray_transport::HttpClientOptions::default());
        assert!(v.telemetry.is_none());
        assert!(v.max_concurrent_requests >= 16);
    }

    #[test]
    fn a_bad_certificate_file_or_proxy_stops_start_up_with_its_name() {
        let missing = std::env::temp_dir().join("otel-xray-no-such-dir/ca.pem");
        let err = parse(&format!("awsxray:\n  certificate_file_path: {}\n", missing.display()))
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("certificate_file_path"), "{err}");
        assert!(err.contains(&missing.display().to_string()), "{err}");

        let not_pem = std::env::temp_dir().join(format!("otel-xray-not-pem-{}.txt", std::process::id()));
        std::fs::write(&not_pem, "hello").unwrap();
        let err = parse(&format!("awsxray:\n  certificate_file_path: {}\n", not_pem.display()))
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        let _ = std::fs::remove_file(&not_pem);
        assert!(err.contains("no PEM certificate"), "{err}");

        let err = parse("awsxray:\n  proxy_address: proxy.internal:3128\n")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("awsxray.proxy_address"), "{err}");
        let v = parse("awsxray:\n  output: stdout\n  telemetry: { enabled: true }\n")
            .unwrap()
            .validate()
            .unwrap();
        assert!(v.telemetry.is_none(), "no X-Ray client to send telemetry with");
        let err = parse("awsxray:\n  telemetry: { enabeld: true }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("enabeld"), "{err}");
        let err = parse("receivers:\n  max_concurrent_requests: 0\n")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_concurrent_requests"), "{err}");
    }

    #[test]
    fn listeners_can_be_disabled_and_moved_explicitly() {
        let v = parse("receivers:\n  xray_udp: { endpoint: 0.0.0.0:2000 }\n  sampling_proxy: { endpoint: 127.0.0.1:2000, enabled: false }\n")
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(v.xray_udp.unwrap().to_string(), "0.0.0.0:2000");
        assert!(v.sampling_proxy.is_none());
    }
}
