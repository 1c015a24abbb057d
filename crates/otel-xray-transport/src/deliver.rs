//! Delivering documents through `PutTraceSegments`-shaped calls: chunks of at most 50, each
//! chunk independent, failed calls and retryable `UnprocessedTraceSegments` entries retried with
//! backoff inside a bounded budget, and every document accounted for in a [`DeliveryReport`].

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use otel_xray_model::limits::MAX_DOCUMENTS_PER_PUT;
use otel_xray_model::{SegmentId, TraceId};
use tokio::time::Instant;

use crate::backoff::RetryPolicy;
use crate::classify::{CallFailure, Decision, classify_call, classify_unprocessed};

/// One encoded document to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingDocument {
    /// The document's trace (for logs).
    pub trace_id: TraceId,
    /// The document's id (what `UnprocessedTraceSegments` refers to).
    pub id: SegmentId,
    /// The JSON text.
    pub json: String,
}

/// One `UnprocessedTraceSegments` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unprocessed {
    /// The segment id, if X-Ray gave one.
    pub id: Option<String>,
    /// The error code.
    pub error_code: Option<String>,
    /// The message.
    pub message: Option<String>,
}

/// A failed call, with the text to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    /// What the retry decision needs.
    pub failure: CallFailure,
    /// A description for logs (never contains credentials).
    pub message: String,
}

/// Something that takes up to 50 documents per call, like `PutTraceSegments`.
pub trait SegmentSink: Send + Sync {
    /// Sends one call with these documents (borrowed, so that a retry does not copy them);
    /// returns the entries X-Ray did not process.
    fn put(&self, documents: &[OutgoingDocument]) -> impl Future<Output = Result<Vec<Unprocessed>, CallError>> + Send;
}

/// Why a document was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// X-Ray rejected the document with this `ErrorCode` (not retryable, or retries ran out).
    Rejected {
        /// The error code (`InvalidTraceId`, `ThrottledException`, …).
        code: String,
        /// X-Ray's message.
        message: String,
    },
    /// The call failed in a way that is not retried (4xx other than 429, construction).
    CallRejected(CallError),
    /// The call kept failing with a retryable error until the retry budget ran out.
    RetriesExhausted(CallError),
    /// Another transport could not deliver it (a full UDP socket, a failed write).
    Transport {
        /// A short label for metrics (`socket_full`, `write_error`, …).
        label: &'static str,
        /// What happened.
        message: String,
    },
}

impl DropReason {
    /// A short label for metrics.
    pub fn label(&self) -> String {
        match self {
            Self::Rejected { code, .. } => format!("rejected:{code}"),
            Self::CallRejected(_) => "call_rejected".into(),
            Self::RetriesExhausted(_) => "retries_exhausted".into(),
            Self::Transport { label, .. } => (*label).into(),
        }
    }
}

/// A document that was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The document's trace.
    pub trace_id: TraceId,
    /// The document's id.
    pub id: SegmentId,
    /// Why.
    pub reason: DropReason,
}

/// What happened to every document of one delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Documents X-Ray accepted.
    pub delivered: usize,
    /// Calls made, retries included.
    pub calls: usize,
    /// Retries made (whole calls and re-sent unprocessed documents alike).
    pub retries: usize,
    /// Documents not delivered, with the reason.
    pub dropped: Vec<Dropped>,
    /// `UnprocessedTraceSegments` entries whose `Id` matched no document of the call.
    pub unattributed: Vec<Unprocessed>,
}

impl DeliveryReport {
    /// Adds another report's figures to this one.
    pub fn merge(&mut self, other: DeliveryReport) {
        self.delivered += other.delivered;
        self.calls += other.calls;
        self.retries += other.retries;
        self.dropped.extend(other.dropped);
        self.unattributed.extend(other.unattributed);
    }

    /// Whether every document was delivered and nothing odd came back.
    pub fn is_complete(&self) -> bool {
        self.dropped.is_empty() && self.unattributed.is_empty()
    }
}

/// Delivers `documents` in chunks of at most 50, in order. Chunks are independent: a chunk that
/// fails does not stop the others.
pub async fn deliver<S: SegmentSink>(
    sink: &S,
    documents: Vec<OutgoingDocument>,
    policy: &RetryPolicy,
) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    let mut documents = documents.into_iter().peekable();
    while documents.peek().is_some() {
        let chunk: Vec<OutgoingDocument> = documents.by_ref().take(MAX_DOCUMENTS_PER_PUT).collect();
        report.merge(deliver_chunk(sink, chunk, policy).await);
    }
    report
}

/// Delivers one chunk of at most 50 documents, retrying within `policy`.
pub async fn deliver_chunk<S: SegmentSink>(
    sink: &S,
    mut pending: Vec<OutgoingDocument>,
    policy: &RetryPolicy,
) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    let started = Instant::now();
    let mut attempt: u32 = 0;
    while !pending.is_empty() {
        attempt += 1;
        report.calls += 1;
        let result = sink.put(&pending).await;
        // The wait before the next attempt is decided now, so that a retry is only planned when
        // the attempt *and its wait* fit the budget (a server's long `Retry-After` ends retries
        // instead of outlasting `max_elapsed`).
        let server_wait = match &result {
            Err(e) => match classify_call(&e.failure) {
                Decision::Retry { min_wait } => min_wait,
                Decision::Permanent => None,
            },
            Ok(_) => None,
        };
        let wait: Duration = policy.backoff(attempt, server_wait, &mut rand::rng());
        let budget_left = attempt < policy.max_attempts && started.elapsed() + wait <= policy.max_elapsed;
        match result {
            Ok(unprocessed) => {
                if unprocessed.is_empty() {
                    // The usual answer: everything accepted, no index of the ids needed.
                    report.delivered += pending.len();
                    break;
                }
                let mut by_id: HashMap<String, usize> =
                    pending.iter().enumerate().map(|(i, d)| (d.id.to_string(), i)).collect();
                let mut retry = Vec::new();
                let mut failed = vec![false; pending.len()];
                for entry in unprocessed {
                    let Some(i) = entry.id.as_deref().and_then(|id| by_id.remove(id)) else {
                        tracing::warn!(
                            id = ?entry.id,
                            code = ?entry.error_code,
                            message = ?entry.message,
                            "X-Ray reported an unprocessed segment that matches no document of the call."
                        );
                        report.unattributed.push(entry);
                        continue;
                    };
                    failed[i] = true;
                    let code = entry.error_code.unwrap_or_default();
                    let message = entry.message.unwrap_or_default();
                    if budget_left && classify_unprocessed(&code) != Decision::Permanent {
                        retry.push(i);
                    } else {
                        tracing::warn!(
                            trace_id = %pending[i].trace_id,
                            segment_id = %pending[i].id,
                            code = %code,
                            message = %message,
                            "X-Ray rejected a segment document."
                        );
                        report.dropped.push(Dropped {
                            trace_id: pending[i].trace_id,
                            id: pending[i].id,
                            reason: DropReason::Rejected { code, message },
                        });
                    }
                }
                report.delivered += failed.iter().filter(|f| !**f).count();
                if retry.is_empty() {
                    break;
                }
                retry.sort_unstable();
                let mut keep = vec![false; pending.len()];
                for i in retry {
                    keep[i] = true;
                }
                let mut idx = 0;
                pending.retain(|_| {
                    let k = keep[idx];
                    idx += 1;
                    k
                });
            }
            Err(error) => match classify_call(&error.failure) {
                Decision::Retry { .. } if budget_left => {
                    tracing::debug!(attempt, error = %error, wait_ms = wait.as_millis() as u64, "PutTraceSegments failed; retrying.");
                }
                decision => {
                    let reason = if decision == Decision::Permanent {
                        DropReason::CallRejected(error.clone())
                    } else {
                        DropReason::RetriesExhausted(error.clone())
                    };
                    tracing::warn!(
                        documents = pending.len(),
                        attempts = attempt,
                        error = %error,
                        "PutTraceSegments failed; the documents of this call are dropped."
                    );
                    report.dropped.extend(pending.drain(..).map(|d| Dropped {
                        trace_id: d.trace_id,
                        id: d.id,
                        reason: reason.clone(),
                    }));
                    break;
                }
            },
        }
        report.retries += 1;
        tokio::time::sleep(wait).await;
    }
    report
}
