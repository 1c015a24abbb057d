//! `otel-xray run`: the gateway. Loads and checks the configuration, builds the output, starts
//! the pipeline, the receivers and the admin server, prints where everything listens, and on
//! SIGTERM/SIGINT stops in stages: receivers first, then the pipeline drains within the shutdown
//! deadline, then the admin server.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use otel_xray_translate::Translator;
use otel_xray_transport::telemetry::TelemetryReporter;
use otel_xray_transport::{DaemonAddress, DaemonClient, XrayApiSink, XrayAws};
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use crate::admin::{AdminServer, AdminState};
use crate::config::{Config, ConfigError, LocalPath, OutputKind, ValidConfig, ValidLocal};
use crate::local_output::{LocalBackend, LocalSettings, LocalStartError};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::pipeline::output::Output;
use crate::receivers::{OtlpReceivers, OtlpSettings};
use crate::sampling_proxy::{SamplingProxy, SamplingProxyOptions, XrayUpstream};
use crate::xray_udp::XrayUdpReceiver;

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The X-Ray API output could not be set up (e.g. no region).
    #[error(transparent)]
    Api(#[from] otel_xray_transport::ApiSetupError),
    /// A listener or the output could not be opened.
    #[error("{what}: {source}")]
    Io {
        /// What was being opened.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A receiver could not start.
    #[error(transparent)]
    Receiver(Box<dyn std::error::Error + Send + Sync>),
    /// The embedded Local X-Ray could not start.
    #[error(transparent)]
    Local(#[from] LocalStartError),
}

/// Options of `otel-xray run` that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The configuration file.
    pub config: Option<PathBuf>,
    /// `awsxray.region`.
    pub region: Option<String>,
    /// `awsxray.endpoint`.
    pub endpoint: Option<String>,
    /// `awsxray.output`.
    pub output: Option<OutputKind>,
    /// `receivers.otlp_grpc.endpoint`.
    pub otlp_grpc: Option<String>,
    /// `receivers.otlp_http.endpoint`.
    pub otlp_http: Option<String>,
    /// `receivers.xray_udp.endpoint`.
    pub xray_udp: Option<String>,
    /// `admin.endpoint.endpoint`.
    pub admin: Option<String>,
    /// `receivers.sampling_proxy.endpoint`.
    pub sampling_proxy: Option<String>,
    /// `local.endpoint`.
    pub local: Option<String>,
    /// Run the demo workload against the gateway once it is ready.
    pub demo: bool,
}

/// Reads the file (if any) and applies environment and command-line overrides, in that order.
pub fn load_config(o: &Overrides) -> Result<Config, ConfigError> {
    let mut config = match &o.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(v) = env("OTEL_XRAY_ENDPOINT") {
        config.awsxray.endpoint = Some(v);
    }
    if let Some(v) = o.region.clone() {
        config.awsxray.region = Some(v);
    }
    if let Some(v) = o.endpoint.clone() {
        config.awsxray.endpoint = Some(v);
    }
    if let Some(v) = o.output {
        config.awsxray.output = Some(v);
    }
    if let Some(v) = o.local.clone() {
        config.local.endpoint = v;
    }
    for (value, slot) in [
        (&o.otlp_grpc, &mut config.receivers.otlp_grpc),
        (&o.otlp_http, &mut config.receivers.otlp_http),
        (&o.xray_udp, &mut config.receivers.xray_udp),
        (&o.admin, &mut config.admin.endpoint),
        (&o.sampling_proxy, &mut config.receivers.sampling_proxy),
    ] {
        if let Some(v) = value {
            slot.endpoint = v.clone();
            slot.enabled = true;
        }
    }
    Ok(config)
}

/// Resolves the AWS configuration once, for the X-Ray output, the telemetry reporter and the
/// sampling proxy alike. Without the X-Ray output a failure only turns the sampling proxy off.
async fn load_aws(v: &ValidConfig) -> Result<Option<XrayAws>, RunError> {
    if v.api.http.no_verify_ssl {
        tracing::warn!(
            "awsxray.no_verify_ssl is true: the TLS certificates of X-Ray and STS are NOT verified, so anyone \
             on the network path can read and change what the gateway sends, credentials included. Use it for tests only."
        );
    }
    // Local X-Ray needs no AWS configuration; the sampling proxy has no X-Ray to forward to.
    if v.output == OutputKind::Local || (v.output != OutputKind::XrayApi && v.sampling_proxy.is_none()) {
        return Ok(None);
    }
    match XrayAws::load(&v.api).await {
        Ok(aws) => Ok(Some(aws)),
        Err(e) if v.output == OutputKind::XrayApi => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "The X-Ray sampling proxy is off: it cannot reach X-Ray without this.");
            Ok(None)
        }
    }
}

/// Where the Local X-Ray store lives by default: `$OTEL_XRAY_DATA_DIR`, else
/// `$XDG_DATA_HOME/otel-xray`, else `~/.local/share/otel-xray`; in memory when none is known.
fn default_local_path() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = env("OTEL_XRAY_DATA_DIR")
        .or_else(|| env("XDG_DATA_HOME").map(|d| d.join("otel-xray")))
        .or_else(|| env("HOME").map(|h| h.join(".local/share/otel-xray")))?;
    Some(dir.join("local-xray.sqlite3"))
}

fn local_settings(l: &ValidLocal) -> LocalSettings {
    LocalSettings {
        listen: l.endpoint,
        path: match &l.path {
            LocalPath::Memory => None,
            LocalPath::File(p) => Some(p.clone()),
            LocalPath::Default => default_local_path(),
        },
        retention: l.retention,
        max_bytes: l.max_bytes,
    }
}

async fn build_output(
    v: &ValidConfig,
    aws: Option<&XrayAws>,
    local: Option<&LocalBackend>,
) -> Result<Output, RunError> {
    Ok(match v.output {
        OutputKind::Local => Output::Api {
            sink: local
                .expect("the local backend is started before the local output")
                .sink(v.api.request_timeout),
            policy: v.retry,
        },
        OutputKind::XrayApi => Output::Api {
            sink: match aws {
                Some(aws) => XrayApiSink::from_aws(aws),
                None => XrayApiSink::connect(&v.api).await?,
            },
            policy: v.retry,
        },
        OutputKind::Daemon => {
            let addr = DaemonAddress::parse(&v.daemon_address)
                .map_err(|e| RunError::Config(ConfigError::Invalid(e.to_string())))?;
            let client = DaemonClient::new(addr.udp).map_err(|source| RunError::Io {
                what: format!("opening a UDP socket for {}", addr.udp),
                source,
            })?;
            Output::Daemon(client)
        }
        OutputKind::Stdout => Output::Writer(Mutex::new(Box::new(std::io::stdout()))),
        OutputKind::File => {
            let path = v.file.clone().expect("validated: output file has a path");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| RunError::Io {
                    what: format!("opening {}", path.display()),
                    source,
                })?;
            Output::Writer(Mutex::new(
                Box::new(std::io::BufWriter::new(file)) as Box<dyn Write + Send>
            ))
        }
    })
}

/// A future that resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Options of a gateway run that are not configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Send the demo workload to the gateway once it is ready (`--demo`).
    pub demo: bool,
}

/// Runs the gateway until SIGINT/SIGTERM (or until `stop` resolves, for tests).
pub async fn run(config: Config, stop: impl std::future::Future<Output = ()>) -> Result<(), RunError> {
    run_with(config, RunOptions::default(), stop).await
}

/// [`run`] with [`RunOptions`].
pub async fn run_with(
    config: Config,
    options: RunOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), RunError> {
    let v = config.validate()?;
    let metrics = Arc::new(Metrics::default());
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let admin_state = AdminState::new(registry);

    let aws = load_aws(&v).await?;
    let local = match &v.local {
        Some(l) => Some(LocalBackend::start(&local_settings(l)).await?),
        None => None,
    };
    let output = build_output(&v, aws.as_ref(), local.as_ref()).await?;
    let output_kind = match v.output {
        OutputKind::Local => "local (Local X-Ray)",
        _ => output.kind(),
    };
    let pipeline = Pipeline::start(
        v.pipeline,
        Translator::new(v.translator.clone()),
        output,
        Arc::clone(&metrics),
    );

    let otlp = OtlpReceivers::start(
        &OtlpSettings {
            grpc: v.otlp_grpc,
            http: v.otlp_http,
            max_request_bytes: v.max_request_bytes,
            max_concurrent_requests: v.max_concurrent_requests,
        },
        &pipeline.ingress(),
    )
    .await
    .map_err(|e| RunError::Receiver(Box::new(e)))?;
    let udp = match v.xray_udp {
        Some(addr) => {
            Some(XrayUdpReceiver::start(addr, pipeline.ingress()).map_err(|e| RunError::Receiver(Box::new(e)))?)
        }
        None => None,
    };
    // The sampling proxy needs a region and credentials; without them the gateway still runs
    // (for example with a stdout output) and says why the proxy is off.
    // Local X-Ray answers the sampling APIs itself (X-Ray's default rule).
    let upstream = match (v.sampling_proxy, &aws, &local) {
        (None, _, _) => None,
        (Some(_), Some(aws), _) => Some(XrayUpstream::from_aws(aws).await),
        (Some(_), None, Some(local)) => Some(local.sampling_upstream()),
        (Some(_), None, None) => None,
    };
    let proxy = match (v.sampling_proxy, upstream) {
        (Some(addr), Some(upstream)) => match upstream {
            Ok(upstream) => Some(
                SamplingProxy::start(addr, upstream, SamplingProxyOptions::default(), Arc::clone(&metrics))
                    .map_err(|e| RunError::Receiver(Box::new(e)))?,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "The X-Ray sampling proxy is off: it cannot reach X-Ray without this.");
                None
            }
        },
        _ => None,
    };
    if config.awsxray.telemetry.enabled && v.telemetry.is_none() {
        tracing::warn!(
            output = output_kind,
            "awsxray.telemetry is enabled but the output is not xray_api; no telemetry records are sent."
        );
    }
    let telemetry = match (&v.telemetry, &aws) {
        (Some(options), Some(aws)) => {
            let totals = Arc::clone(&metrics);
            Some(TelemetryReporter::start(
                aws.xray_client(),
                options.clone(),
                Arc::new(move || totals.segment_totals.counts()),
            ))
        }
        _ => None,
    };
    let admin = match v.admin {
        Some(addr) => Some(
            AdminServer::start(addr, Arc::clone(&admin_state))
                .await
                .map_err(|source| RunError::Io {
                    what: format!("listening for the admin server on {addr}"),
                    source,
                })?,
        ),
        None => None,
    };

    let mut lines = vec![format!(
        "otel-xray {} is running; output: {output_kind}",
        env!("CARGO_PKG_VERSION")
    )];
    if let Some(a) = otlp.grpc_addr() {
        lines.push(format!("  OTLP/gRPC        {a}"));
    }
    if let Some(a) = otlp.http_addr() {
        lines.push(format!("  OTLP/HTTP        http://{a}/v1/traces"));
    }
    if let Some(u) = &udp {
        lines.push(format!("  X-Ray daemon UDP {}", u.local_addr()));
    }
    if let Some(p) = &proxy {
        lines.push(format!(
            "  sampling proxy   http://{}/GetSamplingRules /SamplingTargets",
            p.local_addr()
        ));
    }
    if let Some(t) = &v.telemetry
        && telemetry.is_some()
    {
        lines.push(format!(
            "  telemetry        PutTelemetryRecords every {} s",
            t.interval.as_secs()
        ));
    }
    if let Some(a) = &admin {
        lines.push(format!(
            "  admin            http://{}/health /ready /metrics",
            a.local_addr
        ));
    }
    if let Some(l) = &local {
        lines.push(format!(
            "  Local X-Ray      {}  (trace viewer and service map; X-Ray API for `--endpoint-url`)",
            l.viewer_url()
        ));
        lines.push(match l.path() {
            Some(p) => format!("  store            {}", p.display()),
            None => "  store            in memory (lost on exit)".to_owned(),
        });
        lines.push("  Set a region (awsxray.region or AWS_REGION) to send to AWS X-Ray instead.".to_owned());
    }
    let mut err = std::io::stderr().lock();
    for l in &lines {
        let _ = writeln!(err, "{l}");
    }
    drop(err);
    admin_state.set_ready(true);
    tracing::info!(output = output_kind, "The gateway is ready.");

    let demo_task = match (options.demo, otlp.http_addr()) {
        (true, Some(http)) => Some(tokio::spawn(run_demo(http, udp.as_ref().map(|u| u.local_addr())))),
        (true, None) => {
            tracing::warn!("--demo needs the OTLP/HTTP receiver, which is off; no demo workload is sent.");
            None
        }
        (false, _) => None,
    };

    stop.await;
    if let Some(t) = demo_task {
        t.abort();
    }
    tracing::info!("Shutting down: stopping receivers, then delivering what is queued.");
    admin_state.set_ready(false);
    let deadline = Instant::now() + v.shutdown_timeout;
    otlp.shutdown(deadline).await;
    if let Some(u) = udp {
        u.shutdown().await;
    }
    if let Some(p) = proxy {
        p.shutdown().await;
    }
    let report = pipeline.shutdown(deadline).await;
    if let Some(t) = telemetry {
        // The last interval, with what the drain delivered; bounded by the request timeout.
        t.shutdown().await;
    }
    if report.drained {
        tracing::info!("The queue was delivered; stopped.");
    } else {
        tracing::warn!(
            abandoned_bytes = report.abandoned_bytes,
            "Stopped before the queue was delivered."
        );
    }
    if let Some(l) = local {
        l.stop(LOCAL_STOP_DEADLINE).await;
    }
    if let Some(a) = admin {
        a.shutdown().await;
    }
    Ok(())
}

/// How long the Local X-Ray server may take to stop once the queue is delivered.
const LOCAL_STOP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// `--demo`: the demo workload, sent to this gateway's own receivers, its lines on stderr.
async fn run_demo(otlp_http: std::net::SocketAddr, udp: Option<std::net::SocketAddr>) {
    let args = crate::demo::DemoArgs {
        otlp_endpoint: Some(format!("http://{otlp_http}")),
        xray_udp: udp.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 2000))),
        no_udp: udp.is_none(),
        protocol: crate::demo::DemoProtocol::Http,
        duration: None,
        traces: None,
        rate: crate::demo::args::DEFAULT_RATE,
        seed: None,
    };
    let mut out = std::io::stderr();
    let mut diag = std::io::stderr();
    match crate::demo::runner::run(&args, &mut out, &mut diag).await {
        Ok(_) => tracing::info!("The demo workload is done; the gateway keeps running."),
        Err(e) => tracing::warn!(error = %e, "The demo workload stopped with an error."),
    }
}

/// `run` with the process's signals.
pub async fn run_until_signal(config: Config, options: RunOptions) -> Result<(), RunError> {
    run_with(config, options, shutdown_signal()).await
}
