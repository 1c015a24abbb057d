//! The exporter builder, in the style of `opentelemetry-otlp`: pick a transport, set translation
//! options, `build()`. Environment variables are read only in `build()`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use otel_xray_translate::{DocumentBatch, Translator, TranslatorConfig};
use otel_xray_transport::daemon::{DAEMON_ADDRESS_ENV, DaemonAddressError};
use otel_xray_transport::{ApiOptions, DaemonAddress, DaemonClient, RetryPolicy};

use super::XrayExporter;
use super::api_worker::{ApiSetup, ApiWorker, ApiWorkerError};
use super::stats::ExportStats;
use super::transport::Transport;

/// Why an exporter could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `AWS_XRAY_DAEMON_ADDRESS` or the given daemon address is unusable.
    #[error(transparent)]
    DaemonAddress(#[from] DaemonAddressError),
    /// The UDP socket could not be opened.
    #[error("could not open a UDP socket for the X-Ray daemon: {0}")]
    Socket(std::io::Error),
    /// The X-Ray API client could not be set up.
    #[error(transparent)]
    Api(#[from] ApiWorkerError),
}

enum TransportChoice {
    Daemon(Option<String>),
    ApiSdkConfig(Box<aws_config::SdkConfig>),
    ApiOptions(ApiOptions),
    Writer(Box<dyn Write + Send>),
}

/// Builds an [`XrayExporter`].
pub struct XrayExporterBuilder {
    transport: TransportChoice,
    config: TranslatorConfig,
    retry: RetryPolicy,
    request_timeout: Duration,
    nesting: bool,
}

impl Default for XrayExporterBuilder {
    fn default() -> Self {
        Self {
            transport: TransportChoice::Daemon(None),
            config: TranslatorConfig::default(),
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(10),
            nesting: false,
        }
    }
}

impl std::fmt::Debug for XrayExporterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XrayExporterBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl XrayExporterBuilder {
    /// UDP to the X-Ray daemon at `AWS_XRAY_DAEMON_ADDRESS`, else `127.0.0.1:2000` (the default).
    pub fn with_daemon(mut self) -> Self {
        self.transport = TransportChoice::Daemon(None);
        self
    }

    /// UDP to the daemon at this address (`host:port` or `tcp:host:port udp:host:port`),
    /// ignoring `AWS_XRAY_DAEMON_ADDRESS`.
    pub fn with_daemon_address(mut self, address: impl Into<String>) -> Self {
        self.transport = TransportChoice::Daemon(Some(address.into()));
        self
    }

    /// `PutTraceSegments` with the region, credentials and endpoint of an `SdkConfig` the
    /// application loaded (`aws_config::load_defaults`).
    pub fn with_api(mut self, config: &aws_config::SdkConfig) -> Self {
        self.transport = TransportChoice::ApiSdkConfig(Box::new(config.clone()));
        self
    }

    /// `PutTraceSegments`, resolving region, credentials (incl. `role_arn`) and endpoint at
    /// `build()` with `aws-config`'s standard chains.
    pub fn with_api_options(mut self, options: ApiOptions) -> Self {
        self.transport = TransportChoice::ApiOptions(options);
        self
    }

    /// Newline-delimited documents to any writer (stdout, a file, `std::io::sink()`).
    pub fn with_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.transport = TransportChoice::Writer(Box::new(writer));
        self
    }

    /// All translation options at once.
    pub fn with_translator_config(mut self, config: TranslatorConfig) -> Self {
        self.config = config;
        self
    }

    /// Span attributes (or `otel.resource.<name>`) to write as annotations.
    pub fn with_indexed_attributes<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.indexed_attributes = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Write every scalar attribute as an annotation.
    pub fn with_index_all_attributes(mut self, on: bool) -> Self {
        self.config.index_all_attributes = on;
        self
    }

    /// Fallback CloudWatch log groups for `aws.cloudwatch_logs`.
    pub fn with_log_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.aws_log_groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Retry budget of the API transport.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Embed the children of a service-local root into its document when they are in the same
    /// export batch (off by default). A request that made 20 calls then costs one document
    /// instead of 21, which matters under X-Ray's 2,600 segments/s regional quota; a tree that
    /// would exceed the size limit is sent as independent documents. Off by default because an
    /// embedded child's data reaches X-Ray only with its root.
    ///
    /// Embedded subsegments carry `precursor_ids`: the ids of their earlier siblings (same parent,
    /// same document) that had ended when they started, so X-Ray can tell calls made one after
    /// the other from calls made in parallel. Each lists at most its 8 latest-ending precursors
    /// and a document at most 128 in all (a few KiB at most, counted in the size limit); see
    /// [`otel_xray_translate::pack`] for the exact rule. Independent documents, including those
    /// of a tree sent flat, never carry them.
    pub fn with_nesting(mut self, on: bool) -> Self {
        self.nesting = on;
        self
    }

    /// Time limit of one `PutTraceSegments` call (API transport; default 10 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Builds the exporter. Reads `AWS_XRAY_DAEMON_ADDRESS` (daemon transport) or the AWS
    /// configuration chain (API transport with options); starts the API worker thread.
    pub fn build(self) -> Result<XrayExporter, BuildError> {
        let transport = match self.transport {
            TransportChoice::Daemon(address) => {
                let address = match address.or_else(|| std::env::var(DAEMON_ADDRESS_ENV).ok()) {
                    Some(a) if !a.trim().is_empty() => DaemonAddress::parse(&a)?,
                    _ => DaemonAddress::default_local(),
                };
                let client = DaemonClient::new(address.udp).map_err(BuildError::Socket)?;
                Transport::Daemon {
                    client,
                    scratch: Mutex::new(Vec::new()),
                }
            }
            TransportChoice::ApiSdkConfig(config) => Transport::Api(ApiWorker::start(
                ApiSetup::SdkConfig(config, self.request_timeout),
                self.retry,
            )?),
            TransportChoice::ApiOptions(options) => {
                Transport::Api(ApiWorker::start(ApiSetup::Options(options), self.retry)?)
            }
            TransportChoice::Writer(w) => Transport::Writer {
                out: Mutex::new(w),
                lines: Mutex::new(Vec::new()),
            },
        };
        Ok(XrayExporter {
            translator: Translator::new(self.config),
            resource: opentelemetry_sdk::Resource::builder_empty().build(),
            transport,
            stats: Arc::new(ExportStats::default()),
            nesting: self.nesting,
            scratch: Mutex::new(DocumentBatch::new()),
        })
    }
}
