//! The API transport's background worker: a dedicated thread running a small Tokio runtime, so
//! the exporter works whatever runtime (or none) the application and its span processor use.

use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

use otel_xray_transport::{
    ApiOptions, ApiSetupError, DeliveryReport, OutgoingDocument, RetryPolicy, XrayApiSink, deliver,
};
use tokio::sync::{mpsc, oneshot};

/// How the worker gets its client.
pub(crate) enum ApiSetup {
    /// From an `SdkConfig` the application loaded.
    SdkConfig(Box<aws_config::SdkConfig>, Duration),
    /// Loaded by the worker with `aws-config`'s standard chains.
    Options(ApiOptions),
}

struct Job {
    documents: Vec<OutgoingDocument>,
    reply: oneshot::Sender<DeliveryReport>,
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApiWorkerError {
    /// The client could not be configured.
    #[error(transparent)]
    Setup(#[from] ApiSetupError),
    /// The worker thread or its runtime could not be started.
    #[error("could not start the X-Ray API worker: {0}")]
    Start(#[from] std::io::Error),
    /// The worker stopped before it said whether it was ready.
    #[error("the X-Ray API worker stopped during start-up")]
    Gone,
}

/// Handle to the worker.
pub(crate) struct ApiWorker {
    jobs: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for ApiWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiWorker")
    }
}

impl ApiWorker {
    /// Starts the thread, sets the client up on it and waits until it is ready.
    pub(crate) fn start(setup: ApiSetup, policy: RetryPolicy) -> Result<Self, ApiWorkerError> {
        let (jobs_tx, mut jobs_rx) = mpsc::unbounded_channel::<Job>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), ApiSetupError>>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::Builder::new()
            .name("otel-xray-api".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let sink = match setup {
                        ApiSetup::SdkConfig(config, timeout) => XrayApiSink::from_sdk_config(&config, timeout),
                        ApiSetup::Options(options) => match XrayApiSink::connect(&options).await {
                            Ok(sink) => sink,
                            Err(e) => {
                                let _ = ready_tx.send(Err(e));
                                return;
                            }
                        },
                    };
                    let _ = ready_tx.send(Ok(()));
                    let mut in_flight = tokio::task::JoinSet::new();
                    while let Some(job) = jobs_rx.recv().await {
                        let sink = sink.clone();
                        in_flight.spawn(async move {
                            let report = deliver(&sink, job.documents, &policy).await;
                            let _ = job.reply.send(report);
                        });
                        while in_flight.try_join_next().is_some() {}
                    }
                    // The exporter is shutting down: finish what was accepted.
                    while in_flight.join_next().await.is_some() {}
                });
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                jobs: Mutex::new(Some(jobs_tx)),
                thread: Mutex::new(Some(thread)),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e.into())
            }
            Err(_) => Err(ApiWorkerError::Gone),
        }
    }

    /// Hands documents to the worker; the receiver resolves with the delivery report, or fails
    /// if the worker has shut down.
    pub(crate) fn submit(&self, documents: Vec<OutgoingDocument>) -> Option<oneshot::Receiver<DeliveryReport>> {
        let (reply, rx) = oneshot::channel();
        let guard = self.jobs.lock().ok()?;
        guard.as_ref()?.send(Job { documents, reply }).ok()?;
        Some(rx)
    }

    /// Stops accepting work and waits up to `timeout` for the worker to deliver what it has.
    /// Returns false if the deadline passed first.
    pub(crate) fn shutdown(&self, timeout: Duration) -> bool {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) else {
            return true;
        };
        let deadline = std::time::Instant::now() + timeout;
        while !thread.is_finished() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = thread.join();
        true
    }
}
