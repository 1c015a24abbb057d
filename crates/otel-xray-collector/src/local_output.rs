//! The `local` output: an embedded Local X-Ray (crate `otel_xray_local`) served by the gateway
//! itself, and the X-Ray API sink that delivers into it.
//!
//! Documents take the production path: the same [`XrayApiSink`] as for AWS, making real
//! `PutTraceSegments` calls signed with SigV4 (with fixed local credentials, since the local
//! backend, like X-Ray's local emulators, does not check signatures) to the local backend's
//! address. The backend's listener also serves the X-Ray read API, for boto3 and the AWS CLI with
//! `--endpoint-url`, the sampling APIs (for the gateway's sampling proxy), and the web viewer.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_xray::config::{Credentials, SharedCredentialsProvider};
use otel_xray_local::{LocalOptions, LocalXray, OpenError};
use otel_xray_transport::XrayApiSink;
use tokio::sync::oneshot;

use crate::sampling_proxy::{UpstreamSetupError, XrayUpstream};
use tokio::task::JoinHandle;

/// The region the local sink signs for. Any name would do; this one says where requests go.
const LOCAL_REGION: &str = "local";

/// What the local backend needs to start (validated configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSettings {
    /// Where the API and the viewer listen.
    pub listen: SocketAddr,
    /// The SQLite file; `None` keeps traces in memory only.
    pub path: Option<PathBuf>,
    /// How long traces are kept.
    pub retention: Duration,
    /// The size cap of the store, in bytes.
    pub max_bytes: u64,
}

/// Why the local backend could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalStartError {
    /// The store could not be opened or created.
    #[error("Local X-Ray could not open its store: {0}")]
    Open(#[from] OpenError),
    /// The task opening the store did not finish (the runtime is shutting down).
    #[error("Local X-Ray's store was not opened: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The listen address could not be bound.
    #[error("Local X-Ray could not listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

/// A running local backend.
#[derive(Debug)]
pub struct LocalBackend {
    address: SocketAddr,
    path: Option<PathBuf>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl LocalBackend {
    /// Opens the store and starts serving the API and the viewer.
    pub async fn start(settings: &LocalSettings) -> Result<Self, LocalStartError> {
        let options = LocalOptions {
            path: settings.path.clone(),
            retention: settings.retention,
            max_bytes: settings.max_bytes,
        };
        // Opening may create the database and delete expired traces: file work, off the runtime.
        let local = tokio::task::spawn_blocking(move || LocalXray::open(options)).await??;
        let listener =
            tokio::net::TcpListener::bind(settings.listen)
                .await
                .map_err(|source| LocalStartError::Bind {
                    address: settings.listen,
                    source,
                })?;
        let address = listener.local_addr().map_err(|source| LocalStartError::Bind {
            address: settings.listen,
            source,
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(local.serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            path: settings.path.clone(),
            stop: Some(stop),
            task,
        })
    }

    /// Where the API and the viewer listen.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The viewer's URL.
    pub fn viewer_url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// The store's file, if any.
    pub fn path(&self) -> Option<&PathBuf> {
        self.path.as_ref()
    }

    /// An X-Ray API sink that delivers into this backend with signed `PutTraceSegments` calls.
    pub fn sink(&self, request_timeout: Duration) -> XrayApiSink {
        XrayApiSink::from_sdk_config(&local_sdk_config(self.address), request_timeout)
    }

    /// The sampling proxy's upstream for this backend, which answers `GetSamplingRules` and
    /// `GetSamplingTargets` with X-Ray's default rule.
    pub fn sampling_upstream(&self) -> Result<XrayUpstream, UpstreamSetupError> {
        XrayUpstream::new(
            format!("http://{}", self.address),
            LOCAL_REGION,
            SharedCredentialsProvider::new(local_credentials()),
        )
    }

    /// Stops serving (after the gateway has delivered what it holds) and waits for the server.
    pub async fn stop(mut self, deadline: Duration) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(deadline, &mut self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "Local X-Ray stopped with an error."),
            Ok(Err(e)) => tracing::warn!(error = %e, "Local X-Ray's server task failed."),
            Err(_) => {
                tracing::warn!("Local X-Ray did not stop within its deadline; it is aborted.");
                self.task.abort();
            }
        }
    }
}

/// The AWS SDK configuration that points at a local backend: fixed region and credentials (no
/// credential chain, no instance metadata), endpoint `http://ADDRESS`.
fn local_sdk_config(address: SocketAddr) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(format!("http://{address}"))
        .credentials_provider(SharedCredentialsProvider::new(local_credentials()))
        .build()
}

/// Fixed credentials: the local backend does not check signatures, but requests are signed all
/// the same, as they are for AWS.
fn local_credentials() -> Credentials {
    Credentials::new("otel-xray-local", "otel-xray-local", None, None, "otel-xray-local")
}
