//! The gateway's pipeline, in separate stages:
//!
//! ```text
//! receivers ──► Ingress (translate) ──► Queue (bounded in bytes) ──► batcher (≤ 50 docs or a timeout)
//!            ──► senders (N concurrent) ──► Output (X-Ray API with retries | daemon UDP | writer)
//! ```
//!
//! A trace-aware stage (holding a trace's documents briefly to pack children into their parent,
//! or to shed whole traces under X-Ray's segments/s quota) belongs between the queue and the
//! batcher; the document count per span is visible in the metrics (`documents_produced` against
//! `spans_received`).

mod ingress;
pub mod output;
pub mod queue;

use std::sync::Arc;
use std::time::Duration;

use otel_xray_transport::{DropReason, OutgoingDocument};
use tokio::sync::{Mutex, OwnedSemaphorePermit, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use ingress::{Ingress, OtlpOutcome, SubmitError};
use output::Output;
use queue::{QueueGauge, QueueReceiver, queue};

use crate::metrics::{CodeLabel, Metrics, ReasonLabel};

/// Pipeline settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineSettings {
    /// Queue capacity in bytes.
    pub queue_bytes: usize,
    /// Documents per batch (at most 50).
    pub batch_max_documents: usize,
    /// A batch is sent when it is full or when its first document has waited this long.
    pub batch_timeout: Duration,
    /// Concurrent senders.
    pub senders: usize,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            queue_bytes: 16 << 20,
            batch_max_documents: 50,
            batch_timeout: Duration::from_millis(200),
            senders: 4,
        }
    }
}

/// A running pipeline.
pub struct Pipeline {
    ingress: Ingress,
    stop: watch::Sender<bool>,
    batcher: JoinHandle<()>,
    senders: Vec<JoinHandle<()>>,
    gauge: QueueGauge,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").finish_non_exhaustive()
    }
}

/// What [`Pipeline::shutdown`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether everything queued was delivered or dropped (with a reason) before the deadline.
    pub drained: bool,
    /// Bytes still held when the deadline passed.
    pub abandoned_bytes: usize,
}

impl Pipeline {
    /// Starts the batcher and senders on the current Tokio runtime.
    pub fn start(
        settings: PipelineSettings,
        translator: otel_xray_translate::Translator,
        output: Output,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (queue_tx, queue_rx) = queue(settings.queue_bytes);
        metrics.queue_capacity_bytes.set(queue_tx.capacity() as i64);
        let gauge = queue_tx.gauge();
        let budget = match &output {
            Output::Daemon(_) => otel_xray_translate::Budget::DaemonUdp,
            _ => otel_xray_translate::Budget::PutTraceSegments,
        };
        let ingress = Ingress::new(queue_tx, Arc::new(translator), budget, Arc::clone(&metrics));
        let (stop, stop_rx) = watch::channel(false);
        let (batch_tx, batch_rx) = mpsc::channel::<Batch>(settings.senders.max(1));
        let batcher = tokio::spawn(batcher(
            queue_rx,
            batch_tx,
            stop_rx,
            settings
                .batch_max_documents
                .clamp(1, otel_xray_model::limits::MAX_DOCUMENTS_PER_PUT),
            settings.batch_timeout,
        ));
        let output = Arc::new(output);
        let batch_rx = Arc::new(Mutex::new(batch_rx));
        let senders = (0..settings.senders.max(1))
            .map(|_| {
                tokio::spawn(sender(
                    Arc::clone(&batch_rx),
                    Arc::clone(&output),
                    Arc::clone(&metrics),
                    gauge.clone(),
                ))
            })
            .collect();
        Self {
            ingress,
            stop,
            batcher,
            senders,
            gauge,
        }
    }

    /// The entry point for receivers.
    pub fn ingress(&self) -> Ingress {
        self.ingress.clone()
    }

    /// Stops taking documents, then delivers what is queued, until `deadline`.
    pub async fn shutdown(self, deadline: Instant) -> ShutdownReport {
        let _ = self.stop.send(true);
        drop(self.ingress);
        let mut drained = tokio::time::timeout_at(deadline, self.batcher).await.is_ok();
        for s in self.senders {
            drained &= tokio::time::timeout_at(deadline, s).await.is_ok();
        }
        let abandoned_bytes = self.gauge.used_bytes();
        if !drained || abandoned_bytes > 0 {
            tracing::warn!(
                abandoned_bytes,
                "The shutdown deadline passed before the queue was delivered."
            );
        }
        ShutdownReport {
            drained: drained && abandoned_bytes == 0,
            abandoned_bytes,
        }
    }
}

/// Documents for one send, with their bytes of the queue.
#[derive(Debug, Default)]
struct Batch {
    docs: Vec<OutgoingDocument>,
    bytes: Option<OwnedSemaphorePermit>,
}

impl Batch {
    fn push(&mut self, doc: OutgoingDocument, bytes: OwnedSemaphorePermit) {
        self.docs.push(doc);
        match &mut self.bytes {
            Some(held) => held.merge(bytes),
            None => self.bytes = Some(bytes),
        }
    }
}

/// Groups queued documents into batches of at most `max` or whatever arrived within `timeout` of
/// the batch's first document. Requests arrive whole and are split here; full batches go out at
/// once. On stop, drains what is queued and exits.
async fn batcher(
    mut rx: QueueReceiver,
    tx: mpsc::Sender<Batch>,
    mut stop: watch::Receiver<bool>,
    max: usize,
    timeout: Duration,
) {
    let mut pending = Batch::default();
    let mut until = Instant::now();
    loop {
        let item = if pending.docs.is_empty() {
            let stopped = tokio::select! {
                item = rx.recv() => Err(item),
                r = stop.wait_for(|s| *s) => Ok(r.is_ok()),
            };
            match stopped {
                Err(item) => item,
                Ok(_) => {
                    rx.close();
                    rx.recv().await
                }
            }
        } else if *stop.borrow() {
            // Closed: what is buffered still comes out, then `None`.
            rx.close();
            rx.recv().await
        } else {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(item) => item,
                Err(_) => {
                    if tx.send(std::mem::take(&mut pending)).await.is_err() {
                        return;
                    }
                    continue;
                }
            }
        };
        let Some(queued) = item else {
            if !pending.docs.is_empty() {
                let _ = tx.send(pending).await;
            }
            return;
        };
        let (docs, mut bytes) = queued.into_parts();
        for doc in docs {
            if pending.docs.is_empty() {
                pending.docs.reserve(max);
                until = Instant::now() + timeout;
            }
            let share = bytes
                .split(queue::cost(&doc))
                .expect("the queue holds the bytes of every document");
            pending.push(doc, share);
            if pending.docs.len() >= max && tx.send(std::mem::take(&mut pending)).await.is_err() {
                return;
            }
        }
    }
}

/// Delivers batches; the queue's bytes are given back once each batch is done.
async fn sender(rx: Arc<Mutex<mpsc::Receiver<Batch>>>, output: Arc<Output>, metrics: Arc<Metrics>, gauge: QueueGauge) {
    loop {
        let batch = { rx.lock().await.recv().await };
        let Some(batch) = batch else { break };
        let Batch { docs, bytes } = batch;
        let count = docs.len();
        let started = Instant::now();
        let report = output.send(docs).await;
        metrics.batch_seconds.observe(started.elapsed().as_secs_f64());
        metrics.batches_sent.inc();
        metrics.documents_sent.inc_by(report.delivered as u64);
        metrics.segment_totals.add_sent(report.delivered as u64);
        metrics.retries.inc_by(report.retries as u64);
        for d in &report.dropped {
            metrics
                .documents_dropped
                .get_or_create(&ReasonLabel {
                    reason: d.reason.label(),
                })
                .inc();
            match &d.reason {
                DropReason::Rejected { .. } | DropReason::CallRejected(_) => metrics.segment_totals.add_rejected(1),
                DropReason::RetriesExhausted(_) | DropReason::Transport { .. } => {
                    metrics.segment_totals.add_spillover(1);
                }
            }
            if let DropReason::Rejected { code, .. } = &d.reason {
                metrics
                    .unprocessed_segments
                    .get_or_create(&CodeLabel {
                        error_code: code.clone(),
                    })
                    .inc();
            }
        }
        for u in &report.unattributed {
            metrics
                .unprocessed_segments
                .get_or_create(&CodeLabel {
                    error_code: u.error_code.clone().unwrap_or_default(),
                })
                .inc();
        }
        metrics.queue_documents.dec_by(count as i64);
        drop(bytes);
        metrics.queue_bytes.set(gauge.used_bytes() as i64);
    }
}
